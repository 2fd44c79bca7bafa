// The blob and token inspector: decodes the public header of a CiphertextBlob (format 1)
// or an ImportToken (format 2) in the page, as the README's "Ciphertext blob and import
// token formats" documents them; then, on request, asks the server which key would
// decrypt the blob and whether an EncryptionContext matches (a Decrypt whose plaintext
// is not shown).
import { call, quietCall, state } from './api.js';
import { $, countdown, fromBase64 } from './dom.js';

const AEADS = { 1: 'AES-256-GCM', 2: 'SM4-GCM' };
const ALGORITHMS = { 1: 'RSAES_PKCS1_V1_5', 2: 'RSAES_OAEP_SHA_1', 3: 'RSAES_OAEP_SHA_256', 4: 'RSA_AES_KEY_WRAP_SHA_1', 5: 'RSA_AES_KEY_WRAP_SHA_256', 6: 'SM2PKE' };
const SPECS = { 1: 'RSA_2048', 2: 'RSA_3072', 3: 'RSA_4096', 4: 'EC_SM2' };
const NONCE = 12;
const TAG = 16;

const text = (bytes) => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

/** The public fields of a ciphertext blob (format 1), or throws. */
export function decodeBlob(b) {
  if (b[0] !== 1 || !AEADS[b[1]]) throw new Error('not a qkms ciphertext blob');
  const l = b[2];
  const m = b[3 + l];
  const headerLength = 4 + l + m;
  if (l === 0 || m === undefined || m === 0 || b.length < headerLength + NONCE + TAG) throw new Error('truncated ciphertext blob');
  return {
    kind: 'blob', formatVersion: 1, algorithm: AEADS[b[1]], keyId: text(b.subarray(3, 3 + l)),
    keyVersionId: text(b.subarray(4 + l, headerLength)), headerLength, nonceLength: NONCE,
    ciphertextLength: b.length - headerLength - NONCE - TAG, tagLength: TAG, totalLength: b.length,
  };
}

/** The public fields of an import token (format 2), or throws. */
export function decodeToken(b) {
  if (b[0] !== 2 || b.length < 12) throw new Error('not an import token of format 2');
  const expires = Number(new DataView(b.buffer, b.byteOffset + 1, 8).getBigInt64(0));
  const l = b[11];
  if (!ALGORITHMS[b[9]] || !SPECS[b[10]] || l === 0 || b.length < 12 + l + NONCE + TAG) throw new Error('not an import token of format 2');
  return {
    kind: 'token', formatVersion: 2, keyId: text(b.subarray(12, 12 + l)), wrappingAlgorithm: ALGORITHMS[b[9]],
    wrappingKeySpec: SPECS[b[10]], expires: new Date(expires * 1000).toISOString().replace('.000Z', 'Z'),
    expiresIn: countdown(expires * 1000), sealedLength: b.length - 12 - l, totalLength: b.length,
  };
}

/** Decodes what was pasted: a blob, a token, or an explanation. */
export function decode(input) {
  const b = fromBase64(input);
  if (b[0] === 1) return decodeBlob(b);
  if (b[0] === 2) return decodeToken(b);
  throw new Error(`format byte ${b[0]} is neither a ciphertext blob (1) nor an import token (2); an import token of format 1 (from before this release) is sealed whole and only qkms can read it`);
}

let current = null;
let context = null;

function render() {
  current = null;
  $('ins-key').textContent = '';
  $('ins-match').textContent = '';
  const input = $('ins-input').value.trim();
  if (!input) { $('ins-output').textContent = ''; }
  else {
    try {
      current = decode(input);
      $('ins-output').textContent = Object.entries(current).map(([k, v]) => `${k}: ${v}`).join('\n');
    } catch (e) {
      $('ins-output').textContent = e.message;
    }
  }
  $('ins-describe').disabled = !current;
  $('ins-check').disabled = current?.kind !== 'blob';
}

async function describe() {
  const r = await quietCall(state.dialect, 'DescribeKey', { KeyId: current.keyId });
  if (!r.ok) { $('ins-key').textContent = `key ${current.keyId} is not on this server (${r.status} ${r.code})`; return; }
  const m = r.body.KeyMetadata;
  $('ins-key').textContent = `key ${m.KeyId}: ${m.KeyState}, ${m.KeySpec}, origin ${m.Origin}${current.kind === 'blob' ? `; key version ${current.keyVersionId}` : ''}`;
}

async function check() {
  const ctx = context.read();
  const params = { CiphertextBlob: $('ins-input').value.trim() };
  if (ctx) params.EncryptionContext = state.dialect === 'aws' ? ctx : JSON.stringify(ctx);
  const r = await call(state.dialect, 'Decrypt', params);
  $('body').textContent = r.ok ? '(the plaintext is not shown by the inspector)' : $('body').textContent;
  $('ins-match').textContent = r.ok ? 'matches: Decrypt succeeded with this EncryptionContext'
    : /InvalidParameter|InvalidCiphertext/.test(r.code) ? `does not match: ${r.code}` : `could not tell: ${r.status} ${r.code}`;
  $('ins-match').className = r.ok ? 'status-ok' : 'status-err';
}

/** Wires the inspector; `kv` makes the key/value rows for the EncryptionContext. */
export function initInspector(kv) {
  context = kv(false);
  $('ins-context').replaceChildren(context.node);
  $('ins-input').addEventListener('input', render);
  $('ins-describe').addEventListener('click', () => describe().catch((e) => { $('ins-key').textContent = e.message; }));
  $('ins-check').addEventListener('click', () => check().catch((e) => { $('ins-match').textContent = e.message; }));
}
