// The qkms explorer: forms generated from the OpenAPI documents qkms serves, requests signed
// here (sign.js, through api.js), and the exchange shown as it happened. Every server string
// is rendered as text, never as HTML. Credentials stay in memory unless "remember for this
// tab" puts them in sessionStorage; never in localStorage, the URL, the history or a snippet.
import { buildRequest, call, callable, credentials, operation, showInspector, state, withoutSecrets } from './api.js';
import { $, el, fromBase64, fromHex, toBase64 } from './dom.js';
import { showErrors } from './errors.js';
import { initExport } from './export.js';
import { initInspector } from './inspect.js';
import { initKeys, refreshKeys } from './keys.js';
import { snippet } from './snippets.js';
import { initWizard, resetWizard } from './wizard.js';

const SCHEMES = {
  aliyun: [['acs3', 'ACS3-HMAC-SHA256'], ['v1', 'v1 HMAC-SHA1'], ['acs4', 'ACS4-HMAC-SHA256']],
  aws: [['sigv4', 'AWS SigV4']],
};
const REGION = { aliyun: 'cn-hangzhou', aws: 'us-east-1' };
const HIDDEN = new Set(['Action', 'Version']);
const STORE = 'qkms-explorer-credentials';
const VIEWS = ['action', 'byok', 'keys', 'inspect', 'errors'];

const form = { current: null, fields: [] };

// ---- operations from the documents

function operations(dialect) {
  return callable(dialect).sort((a, b) => a.operationId.localeCompare(b.operationId));
}

function fieldSpecs(dialect, op) {
  if (dialect === 'aliyun') {
    return op.parameters.filter((p) => p.in === 'query' && !HIDDEN.has(p.name))
      .map((p) => ({ name: p.name, required: !!p.required, doc: p.description || '', schema: p.schema || {} }));
  }
  const schema = Object.values(op.requestBody?.content ?? {})[0]?.schema ?? {};
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name, required: required.has(name), doc: s.description || '', schema: s,
  }));
}

/** `YYYY-MM-DDTHH:MM` in local time, as a datetime-local input wants. */
function localInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

// ---- form fields: each has a node and read() → undefined (omitted) or its value

function kvRows(pairsAsArray) {
  const rows = el('div');
  const add = (k = '', v = '') => rows.append(el('div', { class: 'kv' },
    el('input', { type: 'text', placeholder: 'key', value: k }),
    el('input', { type: 'text', placeholder: 'value', value: v }),
    el('button', { type: 'button', onclick: (e) => e.target.parentNode.remove() }, '−')));
  const node = el('div', {}, rows, el('button', { type: 'button', onclick: () => add() }, '+ row'));
  const read = () => {
    const pairs = [...rows.children].map((r) => [...r.querySelectorAll('input')].map((i) => i.value))
      .filter(([k]) => k !== '');
    if (!pairs.length) return undefined;
    return pairsAsArray ? pairs.map(([TagKey, TagValue]) => ({ TagKey, TagValue })) : Object.fromEntries(pairs);
  };
  const fill = (given) => {
    const value = typeof given === 'string' ? JSON.parse(given) : given;
    rows.replaceChildren();
    const list = Array.isArray(value) ? value.map((t) => [t.TagKey, t.TagValue]) : Object.entries(value ?? {});
    for (const [k, v] of list) add(k, v);
  };
  return { node, read, fill };
}

function encodeBlob(text, encoding) {
  if (encoding === 'base64') return text.trim();
  return toBase64(encoding === 'hex' ? fromHex(text) : new TextEncoder().encode(text));
}

function blobField() {
  const area = el('textarea', { spellcheck: 'false' });
  const encoding = el('select', {}, el('option', { value: 'base64' }, 'base64'),
    el('option', { value: 'hex' }, 'hex'), el('option', { value: 'utf-8' }, 'UTF-8'));
  const size = el('small');
  const file = el('input', { type: 'file' });
  file.addEventListener('change', async () => {
    encoding.value = 'base64';
    area.value = toBase64(new Uint8Array(await file.files[0].arrayBuffer()));
    update();
  });
  const update = () => {
    try {
      size.textContent = area.value ? `${fromBase64(encodeBlob(area.value, encoding.value)).length} bytes` : '';
    } catch { size.textContent = 'not valid'; }
  };
  area.addEventListener('input', update);
  encoding.addEventListener('change', update);
  const node = el('div', { class: 'controls' }, area, el('div', {}, encoding, el('br'), size, el('br'), file));
  return { node, read: () => (area.value ? encodeBlob(area.value, encoding.value) : undefined), fill: (v) => { area.value = v; encoding.value = 'base64'; update(); } };
}

function makeField(dialect, spec) {
  const s = spec.schema;
  let f;
  if (s.enum || s.type === 'boolean') {
    const values = s.enum ?? ['true', 'false'];
    const select = el('select', {}, el('option', { value: '' }, spec.required ? '(choose)' : '(not sent)'),
      values.map((v) => el('option', { value: String(v) }, String(v))));
    f = { node: select, read: () => (select.value === '' ? undefined : select.value), fill: (v) => { select.value = String(v); } };
    if (s.type === 'boolean') { const r = f.read; f.read = () => { const v = r(); return v === undefined ? v : v === 'true'; }; }
  } else if (s.format === 'byte') {
    f = blobField();
  } else if (s.type === 'integer') {
    const input = el('input', { type: 'number', min: s.minimum, max: s.maximum });
    const children = [input];
    if (/Unix$/.test(spec.name) || /Unix seconds/.test(spec.doc)) {
      const when = el('input', { type: 'datetime-local', title: 'pick a date (your local time)' });
      when.addEventListener('change', () => { input.value = String(Math.floor(new Date(when.value).getTime() / 1000)); });
      children.push(when);
    }
    f = { node: el('div', { class: 'controls' }, children), read: () => (input.value === '' ? undefined : Number(input.value)), fill: (v) => { input.value = String(v); } };
  } else if (s.format === 'date-time') {
    const input = el('input', { type: 'datetime-local' });
    f = { node: input, read: () => (input.value ? new Date(input.value).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined),
      fill: (v) => { const d = new Date(typeof v === 'number' ? v * 1000 : v); if (!Number.isNaN(d.getTime())) input.value = localInput(d); } };
  } else if (s.contentMediaType === 'application/json' || s.type === 'object' || (s.type === 'array' && s.items?.properties?.TagKey)) {
    f = kvRows(spec.name === 'Tags' || s.type === 'array');
    if (dialect === 'aliyun') { const r = f.read; f.read = () => { const v = r(); return v === undefined ? v : JSON.stringify(v); }; }
  } else if (s.type === 'array') {
    const area = el('textarea', { placeholder: 'one per line' });
    f = { node: area, read: () => { const l = area.value.split('\n').map((x) => x.trim()).filter(Boolean); return l.length ? l : undefined; }, fill: (v) => { area.value = (typeof v === 'string' ? JSON.parse(v) : v ?? []).join('\n'); } };
  } else {
    const input = el('input', { type: 'text', spellcheck: 'false', minlength: s.minLength, maxlength: s.maxLength });
    f = { node: input, read: () => (input.value === '' ? undefined : input.value), fill: (v) => { input.value = v; } };
  }
  f.spec = spec;
  f.box = el('div', { class: spec.required ? 'field required' : 'field' },
    el('div', {}, el('span', { class: 'name' }, spec.name), spec.required ? el('span', { class: 'req' }, 'required') : ''),
    spec.doc ? el('div', { class: 'doc' }, spec.doc) : '', f.node);
  return f;
}

// ---- choosing an action

function renderList() {
  const q = $('search').value.trim().toLowerCase();
  $('actions').replaceChildren(...operations(state.dialect)
    .filter((op) => !q || op.operationId.toLowerCase().includes(q) || (op.summary ?? '').toLowerCase().includes(q))
    .map((op) => el('li', {}, el('a', {
      href: `#${state.dialect}/${op.operationId}`,
      class: form.current?.operationId === op.operationId ? 'current' : '',
    }, op.operationId, el('br'), el('small', {}, op.summary ?? '')))));
}

function setDialect(dialect) {
  const changed = dialect !== state.dialect;
  state.dialect = dialect;
  $('dialect').value = dialect;
  $('scheme').replaceChildren(...SCHEMES[dialect].map(([v, label]) => el('option', { value: v }, label)));
  if (!$('region').value || Object.values(REGION).includes($('region').value)) $('region').value = REGION[dialect];
  renderList();
  if (changed || !$('wz-spec').options.length) resetWizard();
}

/** The dialect select changed: keep the view, or the same action in the other dialect. */
function switchDialect(dialect) {
  setDialect(dialect);
  const action = /^#(aliyun|aws)\/(\w+)/.exec(location.hash);
  if (!action) { route(); return; }
  if (operation(dialect, action[2])) location.hash = `#${dialect}/${action[2]}`;
  else { history.replaceState(null, '', location.pathname); select(dialect, ''); }
}

function show(view) {
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
}

/** Opens the form of `name`, filled with `values` (wire names) when given. */
function select(dialect, name, values = {}) {
  if (dialect !== state.dialect) setDialect(dialect);
  show('action');
  const op = operation(dialect, name);
  form.current = op ?? null;
  renderList();
  $('snippet').hidden = true;
  if (!op) { $('title').textContent = name ? `No action ${name}` : 'Pick an action'; $('form').replaceChildren(); return; }
  $('title').textContent = op.operationId;
  $('summary').textContent = `${op.summary ?? ''} Permission ${op['x-qkms-permission'] ?? ''}.`;
  form.fields = fieldSpecs(dialect, op).map((spec) => makeField(dialect, spec));
  $('form').replaceChildren(...form.fields.map((f) => f.box));
  for (const f of form.fields) {
    if (f.spec.name in values) {
      try { f.fill(values[f.spec.name]); } catch { /* a malformed value in a link is left out */ }
    }
  }
  for (const b of ['send', 'preview', 'copy-snippet', 'copy-link']) $(b).disabled = !canSign() && b !== 'copy-link';
}

// ---- credentials

function remember() {
  if ($('remember').checked) sessionStorage.setItem(STORE, JSON.stringify({ ak: $('ak').value, secret: $('secret').value }));
  else sessionStorage.removeItem(STORE);
}

function forget() {
  sessionStorage.removeItem(STORE);
  $('remember').checked = false;
  $('secret').value = '';
  $('ak').value = 'testid';
}

// ---- the form's values, sending, links, snippets

function values() {
  const out = {};
  for (const f of form.fields) {
    const v = f.read();
    if (v !== undefined) out[f.spec.name] = v;
  }
  return out;
}

async function send() {
  await call(state.dialect, form.current.operationId, values());
}

/** `#dialect/Action?…` with the non-secret members of `vals`; never a credential. */
function actionHash(dialect, name, vals) {
  const kept = withoutSecrets(dialect, name, vals);
  const q = new URLSearchParams(Object.entries(kept).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]));
  return `#${dialect}/${name}${q.size ? `?${q}` : ''}`;
}

/** Opens an action's form filled with `vals`, through its deep link (so Back works). */
function openAction(dialect, name, vals) {
  const hash = actionHash(dialect, name, vals);
  if (location.hash === hash) route();
  else location.hash = hash;
}

function refill(entry) {
  openAction(entry.dialect, entry.name, entry.values);
}

function copyLink() {
  const link = `${location.origin}/explorer${actionHash(state.dialect, form.current.operationId, values())}`;
  history.replaceState(null, '', link);
  showSnippet(link);
}

function showSnippet(text) {
  $('snippet').textContent = text;
  $('snippet').hidden = false;
  navigator.clipboard?.writeText(text).catch(() => { /* shown anyway */ });
}

async function copySnippet() {
  const name = form.current.operationId;
  const lang = $('snippet-lang').value;
  const signed = lang === 'curl' && state.dialect === 'aliyun' ? await buildRequest(state.dialect, name, values()) : null;
  showSnippet(snippet(lang, { dialect: state.dialect, name, params: values(), origin: location.origin,
    region: credentials().region, signed, op: form.current }));
}

// ---- start

function canSign() {
  return window.isSecureContext && !!globalThis.crypto?.subtle;
}

function route() {
  const view = /^#(byok|keys|inspect|errors)(?:\/(.*))?$/.exec(location.hash);
  if (view) {
    show(view[1]);
    form.current = null;
    renderList();
    if (view[1] === 'keys') refreshKeys();
    if (view[1] === 'errors') showErrors(view[2] ? decodeURIComponent(view[2]) : '');
    return;
  }
  const m = /^#(aliyun|aws)\/(\w+)(?:\?(.*))?$/.exec(location.hash);
  if (m) select(m[1], m[2], Object.fromEntries(new URLSearchParams(m[3] ?? '')));
}

function initTheme() {
  const theme = localStorage.getItem('qkms-explorer-theme'); // a preference, never a secret
  if (theme) document.documentElement.dataset.theme = theme;
  $('theme').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === 'dark'
      : matchMedia('(prefers-color-scheme: dark)').matches;
    document.documentElement.dataset.theme = dark ? 'light' : 'dark';
    localStorage.setItem('qkms-explorer-theme', document.documentElement.dataset.theme);
  });
}

function initCredentials() {
  const saved = sessionStorage.getItem(STORE);
  if (saved) {
    const { ak, secret } = JSON.parse(saved);
    $('ak').value = ak;
    $('secret').value = secret;
    $('remember').checked = true;
  }
  for (const id of ['ak', 'secret', 'remember']) $(id).addEventListener('change', remember);
  $('forget').addEventListener('click', forget);
}

async function start() {
  initTheme();
  if (!canSign()) {
    const n = $('insecure');
    n.textContent = `This page (${location.origin}) is not a secure context, so the browser gives it no WebCrypto and it cannot sign requests. Fixes: start qkms with --tls-self-signed (or --tls-cert/--tls-key) and open it over https; or tunnel to localhost (ssh -L 8080:127.0.0.1:8080 host) and open http://localhost:8080/explorer.`;
    n.hidden = false;
  }
  initCredentials();
  state.onRefill = refill;
  $('dialect').addEventListener('change', () => switchDialect($('dialect').value));
  $('search').addEventListener('input', renderList);
  const report = (e) => { $('exchange').hidden = false; $('body').textContent = String(e.message ?? e); };
  $('send').addEventListener('click', () => send().catch(report));
  $('preview').addEventListener('click', () => buildRequest(state.dialect, form.current.operationId, values())
    .then((r) => { showInspector(r.inspect); $('inspector').open = true; }).catch(report));
  $('copy-snippet').addEventListener('click', () => copySnippet().catch(report));
  $('copy-link').addEventListener('click', copyLink);
  initWizard();
  initKeys(openAction);
  initInspector(kvRows);
  initExport();
  window.addEventListener('hashchange', route);
  const [aliyun, aws] = await Promise.all(['aliyun', 'aws'].map((d) => fetch(`/openapi/${d}.json`).then((r) => r.json())));
  state.docs = { aliyun, aws };
  setDialect(/^#aws\//.test(location.hash) ? 'aws' : 'aliyun');
  route();
}

start();
