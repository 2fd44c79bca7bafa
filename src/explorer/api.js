// Signing and sending one call, shared by the forms, the BYOK wizard and the key dashboard:
// every call is signed in the page (sign.js), shown in the exchange view and kept in the
// tab's history without its secret members. Credentials are read from the form each time.
import { $, el } from './dom.js';
import { aliyunAcs, aliyunDate, aliyunV1, amzDate, awsSigV4, canonicalQuery, nonce, pct } from './sign.js';

/** The page's shared state: the OpenAPI documents, the dialect, the history. */
export const state = { docs: {}, dialect: 'aliyun', history: [], last: null, onRefill: () => {} };

/**
 * The operations of a dialect's document the page can call: every Aliyun action, and the
 * AWS document's KMS operations (`/#TrentService.X`; its Secrets Manager operations, under
 * `/#secretsmanager.X`, are for SDKs and tools, not this page).
 */
export function callable(dialect) {
  const doc = state.docs[dialect];
  if (!doc) return [];
  return Object.entries(doc.paths)
    .filter(([path]) => dialect !== 'aws' || path.startsWith('/#TrentService.'))
    .map(([, p]) => p.post);
}

/** The operation object of an action in a dialect's OpenAPI document, or undefined. */
export function operation(dialect, name) {
  return callable(dialect).find((o) => o.operationId === name);
}

/** The members of an action that hold secrets (never kept, never put in a link). */
export const secretsOf = (dialect, name) => new Set(operation(dialect, name)?.['x-qkms-secrets'] ?? []);

/** The credentials typed into the page (an empty secret means the default `testsecret`). */
export function credentials() {
  const secret = $('secret').value;
  return { id: $('ak').value.trim(), secret: secret === '' ? 'testsecret' : secret, region: $('region').value.trim() };
}

/** The Aliyun signing scheme chosen (AWS has only SigV4). */
export const scheme = (dialect) => (dialect === 'aws' ? 'sigv4' : $('scheme').value || 'acs3');

/**
 * The signed request for `name` with `params` (wire names, JSON values) in `dialect`:
 * `{url, headers, body, inspect}`, where `inspect` has the intermediate strings.
 */
export async function buildRequest(dialect, name, params) {
  const cred = credentials();
  if (dialect === 'aws') {
    const body = JSON.stringify(params);
    const signed = await awsSigV4({ host: location.host, target: `TrentService.${name}`, body,
      accessKeyId: cred.id, secret: cred.secret, region: cred.region, amzDate: amzDate() });
    return { url: '/', headers: signed.headers, body, inspect: signed };
  }
  const strings = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]));
  if (scheme(dialect) === 'v1') {
    const all = { ...strings, Action: name, Version: '2016-01-20', AccessKeyId: cred.id,
      SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: nonce(), Timestamp: aliyunDate() };
    if (!all.Format) all.Format = 'JSON';
    const { stringToSign, signature } = await aliyunV1('POST', all, cred.secret);
    const body = `${canonicalQuery(all)}&Signature=${pct(signature)}`;
    return { url: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body,
      inspect: { stringToSign, signature } };
  }
  const headers = { host: location.host, 'x-acs-action': name, 'x-acs-version': '2016-01-20',
    'x-acs-date': aliyunDate(), 'x-acs-signature-nonce': nonce() };
  const signed = await aliyunAcs({ method: 'POST', query: strings, headers, body: '', accessKeyId: cred.id,
    secret: cred.secret, region: scheme(dialect) === 'acs4' ? cred.region : undefined });
  const sent = { ...signed.headers };
  delete sent.host; // the browser sends it
  const q = canonicalQuery(strings);
  return { url: q ? `/?${q}` : '/', headers: sent, body: '', inspect: signed };
}

/** Shows what the page signed in the signature inspector. */
export function showInspector(inspect) {
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

function showResponse(resp, text, elapsed) {
  $('status').textContent = `${resp.status} ${resp.statusText}`;
  $('status').className = resp.ok ? 'status-ok' : 'status-err';
  $('elapsed').textContent = `${elapsed} ms`;
  $('resp-headers').textContent = [...resp.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { /* XML or text */ }
  $('body').textContent = parsed ? JSON.stringify(parsed, null, 2) : text;
  $('raw').textContent = text;
  const requestId = parsed?.RequestId ?? resp.headers.get('x-amzn-requestid') ?? resp.headers.get('x-acs-request-id') ?? '';
  $('request-id').textContent = requestId ? `RequestId ${requestId}` : '';
  const code = resp.ok ? '' : (parsed?.Code ?? parsed?.__type ?? resp.headers.get('x-amzn-errortype') ?? '');
  $('code').replaceChildren(code ? el('a', { href: `#errors/${code}`, title: 'This code in the README error table' }, code) : '');
  const theirs = /string to sign is:(.*)$/s.exec(parsed?.Message ?? parsed?.message ?? '');
  if (theirs) {
    $('theirs').textContent = theirs[1];
    $('theirs-box').hidden = false;
    $('inspector').open = true;
  }
  return { parsed, code };
}

/** Signs and sends one call without showing it (the dashboard's reads). */
export async function quietCall(dialect, name, params) {
  const req = await buildRequest(dialect, name, params);
  const resp = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body || undefined, credentials: 'omit', cache: 'no-store' });
  const text = await resp.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { ok: resp.ok, status: resp.status, body, code: resp.ok ? '' : (body?.Code ?? body?.__type ?? '') };
}

/**
 * Signs, sends and shows one call; adds it to the history. Returns
 * `{ok, status, body, code}` (`status` 0 when nothing answered).
 */
export async function call(dialect, name, params) {
  const req = await buildRequest(dialect, name, params);
  showInspector(req.inspect);
  $('exchange').hidden = false;
  $('explain').hidden = true;
  const started = performance.now();
  let resp;
  let text;
  try {
    resp = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body || undefined, credentials: 'omit', cache: 'no-store' });
    text = await resp.text();
  } catch (err) {
    $('status').textContent = 'no response';
    $('status').className = 'status-err';
    $('explain').textContent = explainFailure(err);
    $('explain').hidden = false;
    return { ok: false, status: 0, body: null, code: '' };
  }
  const elapsed = Math.round(performance.now() - started);
  const { parsed, code } = showResponse(resp, text, elapsed);
  // The signed request of the last call only (for "export as fixture"); the history keeps
  // no secret member.
  state.last = { dialect, name, request: req, status: resp.status, body: parsed };
  $('export-box').hidden = true;
  addHistory({ dialect, name, params, status: resp.status, code, elapsed });
  return { ok: resp.ok, status: resp.status, body: parsed, code };
}

/** `params` without the members of `name` that hold secrets. */
export function withoutSecrets(dialect, name, params) {
  const secrets = secretsOf(dialect, name);
  return Object.fromEntries(Object.entries(params).filter(([k]) => !secrets.has(k)));
}

function addHistory(call) {
  const entry = { ...call, values: withoutSecrets(call.dialect, call.name, call.params), at: new Date() };
  delete entry.params; // secrets stay out of the history
  state.history.unshift(entry);
  const { status, code, elapsed } = entry;
  $('history').prepend(el('li', { 'data-action': entry.name },
    `${entry.at.toLocaleTimeString()} ${entry.dialect} ${entry.name} → ${status}${code ? ` ${code}` : ''} (${elapsed} ms) `,
    el('button', { type: 'button', onclick: () => state.onRefill(entry) }, 're-fill')));
}
