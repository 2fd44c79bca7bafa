// The qkms explorer: forms generated from the OpenAPI documents qkms serves, requests signed
// here (sign.js), and the exchange shown as it happened. Every server string is rendered
// with textContent, never as HTML. Credentials stay in memory unless "remember for this tab"
// puts them in sessionStorage; never in localStorage, the URL or the history.
import { aliyunAcs, aliyunDate, aliyunV1, amzDate, awsSigV4, canonicalQuery, nonce, pct } from './sign.js';

const $ = (id) => document.getElementById(id);

/** A DOM element with attributes and text or element children (text is never parsed). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const SCHEMES = {
  aliyun: [['acs3', 'ACS3-HMAC-SHA256'], ['v1', 'v1 HMAC-SHA1'], ['acs4', 'ACS4-HMAC-SHA256']],
  aws: [['sigv4', 'AWS SigV4']],
};
const REGION = { aliyun: 'cn-hangzhou', aws: 'us-east-1' };
const HIDDEN = new Set(['Action', 'Version']);
const STORE = 'qkms-explorer-credentials';

const state = { docs: {}, dialect: 'aliyun', current: null, fields: [], history: [], last: null };

// ---- operations from the documents

function operations(dialect) {
  const doc = state.docs[dialect];
  if (!doc) return [];
  return Object.values(doc.paths).map((p) => p.post).sort((a, b) => a.operationId.localeCompare(b.operationId));
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
  const fill = (value) => {
    rows.replaceChildren();
    const list = Array.isArray(value) ? value.map((t) => [t.TagKey, t.TagValue]) : Object.entries(value ?? {});
    for (const [k, v] of list) add(k, v);
  };
  return { node, read, fill };
}

function toBase64(text, encoding) {
  if (encoding === 'base64') return text.trim();
  let bytes;
  if (encoding === 'hex') {
    const clean = text.replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error('not hex');
    bytes = Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
  } else {
    bytes = new TextEncoder().encode(text);
  }
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function blobField() {
  const area = el('textarea', { spellcheck: 'false' });
  const encoding = el('select', {}, el('option', { value: 'base64' }, 'base64'),
    el('option', { value: 'hex' }, 'hex'), el('option', { value: 'utf-8' }, 'UTF-8'));
  const size = el('small');
  const file = el('input', { type: 'file' });
  file.addEventListener('change', async () => {
    const buf = new Uint8Array(await file.files[0].arrayBuffer());
    encoding.value = 'base64';
    let s = '';
    for (const b of buf) s += String.fromCharCode(b);
    area.value = btoa(s);
    update();
  });
  const update = () => {
    try {
      const b64 = toBase64(area.value, encoding.value);
      size.textContent = area.value ? `${atob(b64).length} bytes` : '';
    } catch { size.textContent = 'not valid'; }
  };
  area.addEventListener('input', update);
  encoding.addEventListener('change', update);
  const node = el('div', { class: 'controls' }, area, el('div', {}, encoding, el('br'), size, el('br'), file));
  return { node, read: () => (area.value ? toBase64(area.value, encoding.value) : undefined), fill: (v) => { area.value = v; encoding.value = 'base64'; update(); } };
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
    f = { node: el('div', { class: 'controls' }, children), read: () => (input.value === '' ? undefined : Number(input.value)), fill: (v) => { input.value = v; } };
  } else if (s.format === 'date-time') {
    const input = el('input', { type: 'datetime-local' });
    f = { node: input, read: () => (input.value ? new Date(input.value).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined), fill: () => {} };
  } else if (s.contentMediaType === 'application/json' || s.type === 'object' || (s.type === 'array' && s.items?.properties?.TagKey)) {
    f = kvRows(spec.name === 'Tags' || s.type === 'array');
    if (dialect === 'aliyun') { const r = f.read; f.read = () => { const v = r(); return v === undefined ? v : JSON.stringify(v); }; }
  } else if (s.type === 'array') {
    const area = el('textarea', { placeholder: 'one per line' });
    f = { node: area, read: () => { const l = area.value.split('\n').map((x) => x.trim()).filter(Boolean); return l.length ? l : undefined; }, fill: (v) => { area.value = (v ?? []).join('\n'); } };
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
      class: state.current?.operationId === op.operationId ? 'current' : '',
    }, op.operationId, el('br'), el('small', {}, op.summary ?? '')))));
}

function setDialect(dialect) {
  state.dialect = dialect;
  $('dialect').value = dialect;
  $('scheme').replaceChildren(...SCHEMES[dialect].map(([v, label]) => el('option', { value: v }, label)));
  if (!$('region').value || Object.values(REGION).includes($('region').value)) $('region').value = REGION[dialect];
  renderList();
}

function select(dialect, name) {
  if (dialect !== state.dialect) setDialect(dialect);
  const op = operations(dialect).find((o) => o.operationId === name);
  state.current = op ?? null;
  renderList();
  if (!op) { $('title').textContent = name ? `No action ${name}` : 'Pick an action'; $('form').replaceChildren(); return; }
  $('title').textContent = op.operationId;
  $('summary').textContent = `${op.summary ?? ''} Permission ${op['x-qkms-permission'] ?? ''}.`;
  state.fields = fieldSpecs(dialect, op).map((spec) => makeField(dialect, spec));
  $('form').replaceChildren(...state.fields.map((f) => f.box));
  for (const b of ['send', 'preview', 'copy-curl']) $(b).disabled = !canSign();
}

// ---- credentials

function credentials() {
  const secret = $('secret').value;
  return { id: $('ak').value.trim(), secret: secret === '' ? 'testsecret' : secret, region: $('region').value.trim() };
}

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

// ---- signing and sending

function values() {
  const out = {};
  for (const f of state.fields) {
    const v = f.read();
    if (v !== undefined) out[f.spec.name] = v;
  }
  return out;
}

async function build() {
  const op = state.current;
  const cred = credentials();
  const scheme = $('scheme').value;
  const params = values();
  if (state.dialect === 'aws') {
    const body = JSON.stringify(params);
    const signed = await awsSigV4({ host: location.host, target: `TrentService.${op.operationId}`, body,
      accessKeyId: cred.id, secret: cred.secret, region: cred.region, amzDate: amzDate() });
    return { url: '/', headers: signed.headers, body, inspect: signed };
  }
  const strings = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
  if (scheme === 'v1') {
    const all = { ...strings, Action: op.operationId, Version: '2016-01-20', AccessKeyId: cred.id,
      SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: nonce(), Timestamp: aliyunDate() };
    if (!all.Format) all.Format = 'JSON';
    const { stringToSign, signature } = await aliyunV1('POST', all, cred.secret);
    const body = `${canonicalQuery(all)}&Signature=${pct(signature)}`;
    return { url: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body,
      inspect: { stringToSign, signature } };
  }
  const headers = { host: location.host, 'x-acs-action': op.operationId, 'x-acs-version': '2016-01-20',
    'x-acs-date': aliyunDate(), 'x-acs-signature-nonce': nonce() };
  const signed = await aliyunAcs({ method: 'POST', query: strings, headers, body: '', accessKeyId: cred.id,
    secret: cred.secret, region: scheme === 'acs4' ? cred.region : undefined });
  const sent = { ...signed.headers };
  delete sent.host; // the browser sends it
  const q = canonicalQuery(strings);
  return { url: q ? `/?${q}` : '/', headers: sent, body: '', inspect: signed };
}

function showInspector(inspect) {
  const parts = [];
  if (inspect.canonicalRequest) parts.push(`Canonical request:\n${inspect.canonicalRequest}`);
  parts.push(`String to sign:\n${inspect.stringToSign}`);
  if (inspect.authorization) parts.push(`Authorization:\n${inspect.authorization}`);
  else parts.push(`Signature:\n${inspect.signature}`);
  $('ours').textContent = parts.join('\n\n');
  $('theirs-box').hidden = true;
}

function explainFailure(err) {
  if (!window.isSecureContext) return 'This page is not a secure context, so the browser offers no WebCrypto: open it over https or at localhost.';
  return `qkms did not answer (${err.message}). Is it still running at ${location.origin}? A proxy or browser extension may also have blocked the request.`;
}

async function send() {
  const op = state.current;
  const req = await build();
  showInspector(req.inspect);
  const started = performance.now();
  let resp;
  let text;
  $('exchange').hidden = false;
  $('explain').hidden = true;
  try {
    resp = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body || undefined, credentials: 'omit', cache: 'no-store' });
    text = await resp.text();
  } catch (err) {
    $('status').textContent = 'no response';
    $('status').className = 'status-err';
    $('explain').textContent = explainFailure(err);
    $('explain').hidden = false;
    return;
  }
  const elapsed = Math.round(performance.now() - started);
  $('status').textContent = `${resp.status} ${resp.statusText}`;
  $('status').className = resp.ok ? 'status-ok' : 'status-err';
  $('elapsed').textContent = `${elapsed} ms`;
  $('resp-headers').textContent = [...resp.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { /* XML or text */ }
  $('body').textContent = parsed ? JSON.stringify(parsed, null, 2) : text;
  const requestId = parsed?.RequestId ?? resp.headers.get('x-amzn-requestid') ?? '';
  $('request-id').textContent = requestId ? `RequestId ${requestId}` : '';
  const code = parsed?.Code ?? parsed?.__type ?? '';
  const theirs = /string to sign is:(.*)$/s.exec(parsed?.Message ?? parsed?.message ?? '');
  if (theirs) {
    $('theirs').textContent = theirs[1];
    $('theirs-box').hidden = false;
    $('inspector').open = true;
  }
  addHistory(op, resp.status, code, elapsed);
}

// ---- history (this tab only; secret fields are not kept)

function addHistory(op, status, code, elapsed) {
  const secrets = new Set(op['x-qkms-secrets'] ?? []);
  const kept = {};
  for (const f of state.fields) {
    const v = f.read();
    if (v !== undefined && !secrets.has(f.spec.name)) kept[f.spec.name] = v;
  }
  const entry = { dialect: state.dialect, name: op.operationId, values: kept, status, code, elapsed, at: new Date() };
  state.history.unshift(entry);
  $('history').prepend(el('li', { 'data-action': entry.name },
    `${entry.at.toLocaleTimeString()} ${entry.dialect} ${entry.name} → ${status}${code ? ` ${code}` : ''} (${elapsed} ms) `,
    el('button', { type: 'button', onclick: () => refill(entry) }, 're-fill')));
}

function refill(entry) {
  location.hash = `#${entry.dialect}/${entry.name}`;
  select(entry.dialect, entry.name);
  for (const f of state.fields) {
    if (f.spec.name in entry.values) {
      const v = entry.values[f.spec.name];
      f.fill(typeof v === 'string' && f.spec.schema.contentMediaType === 'application/json' ? JSON.parse(v) : v);
    }
  }
}

// ---- copy as curl (no secret: a signed Aliyun request, or curl's own SigV4 from env vars)

async function copyCurl() {
  const origin = location.origin;
  let cmd;
  if (state.dialect === 'aws') {
    const body = JSON.stringify(values());
    cmd = `curl -sS ${origin}/ --aws-sigv4 "aws:amz:${credentials().region}:kms" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: TrentService.${state.current.operationId}' --data '${body.replaceAll("'", "'\\''")}'`;
  } else {
    const req = await build();
    const headers = Object.entries(req.headers).map(([k, v]) => ` -H '${k}: ${v}'`).join('');
    cmd = `# signed now in the page, valid for 15 minutes, holds no secret\ncurl -sS -X POST '${origin}${req.url}'${headers}${req.body ? ` --data '${req.body}'` : ''}`;
  }
  $('ours').textContent = cmd;
  $('inspector').open = true;
  try { await navigator.clipboard.writeText(cmd); } catch { /* shown above anyway */ }
}

// ---- start

function canSign() {
  return window.isSecureContext && !!globalThis.crypto?.subtle;
}

function route() {
  const m = /^#(aliyun|aws)\/(\w+)/.exec(location.hash);
  if (m) select(m[1], m[2]);
}

async function start() {
  const theme = localStorage.getItem('qkms-explorer-theme'); // a preference, never a secret
  if (theme) document.documentElement.dataset.theme = theme;
  $('theme').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === 'dark'
      : matchMedia('(prefers-color-scheme: dark)').matches;
    document.documentElement.dataset.theme = dark ? 'light' : 'dark';
    localStorage.setItem('qkms-explorer-theme', document.documentElement.dataset.theme);
  });
  if (!canSign()) {
    const n = $('insecure');
    n.textContent = `This page (${location.origin}) is not a secure context, so the browser gives it no WebCrypto and it cannot sign requests. Fixes: start qkms with --tls-self-signed (or --tls-cert/--tls-key) and open it over https; or tunnel to localhost (ssh -L 8080:127.0.0.1:8080 host) and open http://localhost:8080/explorer.`;
    n.hidden = false;
  }
  const saved = sessionStorage.getItem(STORE);
  if (saved) {
    const { ak, secret } = JSON.parse(saved);
    $('ak').value = ak;
    $('secret').value = secret;
    $('remember').checked = true;
  }
  for (const id of ['ak', 'secret', 'remember']) $(id).addEventListener('change', remember);
  $('forget').addEventListener('click', forget);
  $('dialect').addEventListener('change', () => setDialect($('dialect').value));
  $('search').addEventListener('input', renderList);
  $('send').addEventListener('click', () => send().catch((e) => { $('exchange').hidden = false; $('body').textContent = String(e.message ?? e); }));
  $('preview').addEventListener('click', async () => { showInspector((await build()).inspect); $('inspector').open = true; });
  $('copy-curl').addEventListener('click', copyCurl);
  window.addEventListener('hashchange', route);
  const [aliyun, aws] = await Promise.all(['aliyun', 'aws'].map((d) => fetch(`/openapi/${d}.json`).then((r) => r.json())));
  state.docs = { aliyun, aws };
  setDialect(/^#aws\//.test(location.hash) ? 'aws' : 'aliyun');
  route();
}

start();
