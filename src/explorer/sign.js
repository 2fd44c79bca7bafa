// Request signing in the browser with WebCrypto only: Aliyun v1 (HMAC-SHA1), ACS3 and ACS4
// (HMAC-SHA256), and AWS SigV4. Every function returns the intermediate strings too, so
// the explorer's signature inspector can show them. Known answers: tests/vectors/signing.json
// (also read by the Rust signer's tests), run by tests/node/explorer-sign.test.mjs.

const enc = new TextEncoder();

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

const base64 = (buf) => {
  let s = '';
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s);
};

const bytes = (v) => (typeof v === 'string' ? enc.encode(v) : v);

/** HMAC of `msg` under `key` (string or bytes) with `hash` ('SHA-1' or 'SHA-256'). */
export async function hmac(hash, key, msg) {
  const k = await crypto.subtle.importKey('raw', bytes(key), { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, bytes(msg)));
}

/** Lowercase hex SHA-256 of a string or bytes. */
export async function sha256Hex(data) {
  return hex(await crypto.subtle.digest('SHA-256', bytes(data)));
}

/** RFC 3986 percent-encoding with uppercase hex, as the Aliyun signatures need. */
export function pct(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** `name=value&…`, sorted by name (code point order), both parts encoded. */
export function canonicalQuery(params) {
  return Object.keys(params)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${pct(k)}=${pct(params[k])}`)
    .join('&');
}

/** Aliyun v1: the string to sign and the Signature of `params` (without Signature). */
export async function aliyunV1(method, params, secret) {
  const stringToSign = `${method.toUpperCase()}&%2F&${pct(canonicalQuery(params))}`;
  const signature = base64(await hmac('SHA-1', `${secret}&`, stringToSign));
  return { stringToSign, signature };
}

function canonicalHeaders(headers, signed) {
  return signed.map((h) => `${h}:${String(headers[h]).trim()}\n`).join('');
}

/**
 * Aliyun ACS3 (or ACS4 with `{region}`): adds x-acs-content-sha256 to `headers` (which hold
 * host and the other x-acs-* headers) and returns the canonical request, the string to
 * sign and the Authorization header.
 */
export async function aliyunAcs({ method, query, headers, body, accessKeyId, secret, region }) {
  const h = { ...headers, 'x-acs-content-sha256': await sha256Hex(body ?? '') };
  const signed = Object.keys(h).map((k) => k.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalRequest = [
    method.toUpperCase(), '/', canonicalQuery(query),
    canonicalHeaders(lower, signed), signed.join(';'), lower['x-acs-content-sha256'],
  ].join('\n');
  const algorithm = region ? 'ACS4-HMAC-SHA256' : 'ACS3-HMAC-SHA256';
  const stringToSign = `${algorithm}\n${await sha256Hex(canonicalRequest)}`;
  let key = enc.encode(secret);
  let credential = accessKeyId;
  if (region) {
    const date = lower['x-acs-date'].slice(0, 10).replaceAll('-', '');
    key = await hmac('SHA-256', `aliyun_v4${secret}`, date);
    for (const part of [region, 'Kms', 'aliyun_v4_request']) key = await hmac('SHA-256', key, part);
    credential = `${accessKeyId}/${date}/${region}/Kms/aliyun_v4_request`;
  }
  const signature = hex(await hmac('SHA-256', key, stringToSign));
  const authorization = `${algorithm} Credential=${credential},SignedHeaders=${signed.join(';')},Signature=${signature}`;
  return { headers: { ...h, authorization }, canonicalRequest, stringToSign, signingKey: hex(key), authorization };
}

/**
 * AWS SigV4 for a JSON 1.1 `POST /` to `target` (`TrentService.X`), signing content-type,
 * host, x-amz-date and x-amz-target (and x-amz-security-token when given), as boto3 does.
 */
export async function awsSigV4({ host, target, body, accessKeyId, secret, region, amzDate, sessionToken }) {
  const headers = {
    'content-type': 'application/x-amz-json-1.1',
    host,
    'x-amz-date': amzDate,
    'x-amz-target': target,
  };
  if (sessionToken) headers['x-amz-security-token'] = sessionToken;
  const signed = Object.keys(headers).sort();
  const canonicalRequest = [
    'POST', '/', '', canonicalHeaders(headers, signed), signed.join(';'), await sha256Hex(body),
  ].join('\n');
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${region}/kms/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${await sha256Hex(canonicalRequest)}`;
  let key = await hmac('SHA-256', `AWS4${secret}`, date);
  for (const part of [region, 'kms', 'aws4_request']) key = await hmac('SHA-256', key, part);
  const signature = hex(await hmac('SHA-256', key, stringToSign));
  const authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  delete headers.host; // the browser sends the URL's host itself (a forbidden header)
  return { headers: { ...headers, authorization }, canonicalRequest, stringToSign, signingKey: hex(key), signature, authorization };
}

/** `2024-01-01T12:00:00Z` (Aliyun) for a Date. */
export const aliyunDate = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `20240101T120000Z` (AWS) for a Date. */
export const amzDate = (d = new Date()) => aliyunDate(d).replace(/[-:]/g, '');

/** 32 hex characters from the page's CSPRNG (works outside secure contexts too). */
export function nonce() {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}
