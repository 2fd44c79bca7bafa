// The BYOK wizard: CreateKey with Origin EXTERNAL → GetParametersForImport → material
// generated or pasted here and wrapped here (wrap.js) → ImportKeyMaterial → an Encrypt and
// Decrypt round trip. Every step is an ordinary signed call (api.js), so it shows in the
// exchange view and the history. Unwrapped material never leaves the page.
import { call, state } from './api.js';
import { $, countdown, el, fromBase64, fromHex, toBase64, toHex } from './dom.js';
import { wrapMaterial } from './wrap.js';

/** Per dialect: key specs with material sizes, wrapping algorithms and wrapping key specs. */
const OPTIONS = {
  aliyun: {
    specs: [['Aliyun_AES_256', 32], ['Aliyun_SM4', 16]],
    algorithms: ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSAES_PKCS1_V1_5'],
    wrappingSpecs: ['RSA_2048'],
  },
  aws: {
    specs: [['SYMMETRIC_DEFAULT', 32]],
    algorithms: ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'],
    wrappingSpecs: ['RSA_2048', 'RSA_3072', 'RSA_4096'],
  },
};

const wz = { keyId: '', params: null, timer: null, blob: '', versionId: '', expires: '' };

const options = (list) => list.map((v) => el('option', { value: Array.isArray(v) ? v[0] : v }, Array.isArray(v) ? v[0] : v));

function say(step, ok, text) {
  const n = $(`wz-${step}-status`);
  n.textContent = text;
  n.className = ok ? 'status-ok' : 'status-err';
  return ok;
}

const problem = (r) => (r.status ? `${r.status} ${r.code}: ${r.body?.Message ?? r.body?.message ?? ''}` : 'no answer');

/** Fills the wizard's selects for the current dialect and resets its progress. */
export function resetWizard() {
  const o = OPTIONS[state.dialect];
  $('wz-spec').replaceChildren(...options(o.specs));
  $('wz-algorithm').replaceChildren(...options(o.algorithms));
  $('wz-wrapping-spec').replaceChildren(...options(o.wrappingSpecs));
  $('wz-dialect').textContent = state.dialect === 'aws' ? 'AWS KMS' : 'Alibaba Cloud KMS';
  clearInterval(wz.timer);
  Object.assign(wz, { keyId: '', params: null, blob: '', versionId: '', expires: '' });
  for (const s of ['create', 'params', 'material', 'import', 'roundtrip']) $(`wz-${s}-status`).textContent = '';
  $('wz-key-id').value = '';
  $('wz-expiry').textContent = '';
  checkMaterial();
}

const size = () => OPTIONS[state.dialect].specs.find(([s]) => s === $('wz-spec').value)?.[1] ?? 32;

function material() {
  const text = $('wz-material').value;
  return $('wz-encoding').value === 'hex' ? fromHex(text) : fromBase64(text);
}

function checkMaterial() {
  if (!$('wz-material').value.trim()) {
    $('wz-material-status').textContent = `${size()} bytes for ${$('wz-spec').value}: generate them here or paste them`;
    $('wz-material-status').className = '';
    return false;
  }
  try {
    const n = material().length;
    const want = size();
    return say('material', n === want, n === want ? `${n} bytes ✓` : `${n} bytes; ${$('wz-spec').value} needs ${want}`);
  } catch (e) {
    return say('material', false, e.message);
  }
}

async function createKey() {
  const spec = $('wz-spec').value;
  const params = state.dialect === 'aws'
    ? { Origin: 'EXTERNAL', KeySpec: spec, KeyUsage: 'ENCRYPT_DECRYPT', Description: 'BYOK wizard' }
    : { Origin: 'EXTERNAL', KeySpec: spec, KeyUsage: 'ENCRYPT/DECRYPT', Description: 'BYOK wizard' };
  const r = await call(state.dialect, 'CreateKey', params);
  if (!r.ok) return say('create', false, problem(r));
  wz.keyId = r.body.KeyMetadata.KeyId;
  $('wz-key-id').value = wz.keyId;
  return say('create', true, `${wz.keyId}: ${r.body.KeyMetadata.KeyState}`);
}

function tick() {
  const left = wz.params.expires - Date.now();
  $('wz-expiry').textContent = left > 0 ? `token and public key expire ${countdown(wz.params.expires)}` : 'token expired: get new parameters';
}

async function getParameters() {
  wz.keyId = $('wz-key-id').value.trim();
  const r = await call(state.dialect, 'GetParametersForImport', {
    KeyId: wz.keyId, WrappingAlgorithm: $('wz-algorithm').value, WrappingKeySpec: $('wz-wrapping-spec').value,
  });
  if (!r.ok) return say('params', false, problem(r));
  const expires = state.dialect === 'aws' ? r.body.ParametersValidTo * 1000 : Date.parse(r.body.TokenExpireTime);
  wz.params = { token: r.body.ImportToken, publicKey: fromBase64(r.body.PublicKey), algorithm: $('wz-algorithm').value, expires };
  clearInterval(wz.timer);
  tick();
  wz.timer = setInterval(tick, 1000);
  return say('params', true, `${wz.params.algorithm} wrapping key, ${wz.params.publicKey.length} bytes of public key`);
}

function generate() {
  const bytes = crypto.getRandomValues(new Uint8Array(size()));
  $('wz-material').value = $('wz-encoding').value === 'hex' ? toHex(bytes) : toBase64(bytes);
  bytes.fill(0);
  checkMaterial();
}

async function importMaterial() {
  if (!wz.params) return say('import', false, 'get the import parameters first');
  if (!checkMaterial()) return say('import', false, 'the material has the wrong size');
  const plain = material();
  const wrapped = toBase64(await wrapMaterial(wz.params.algorithm, wz.params.publicKey, plain));
  plain.fill(0);
  const when = $('wz-never').checked ? null : Math.floor(new Date($('wz-expire').value).getTime() / 1000);
  if (when !== null && !Number.isFinite(when)) return say('import', false, 'pick an expiry date, or "never"');
  const params = { KeyId: wz.keyId, ImportToken: wz.params.token, EncryptedKeyMaterial: wrapped };
  if (state.dialect === 'aws') {
    params.ExpirationModel = when === null ? 'KEY_MATERIAL_DOES_NOT_EXPIRE' : 'KEY_MATERIAL_EXPIRES';
    if (when !== null) params.ValidTo = when;
  } else {
    params.KeyMaterialExpireUnix = when ?? 0;
  }
  const r = await call(state.dialect, 'ImportKeyMaterial', params);
  wz.expires = when === null ? '' : new Date(when * 1000).toISOString().replace('.000Z', 'Z');
  return say('import', r.ok, r.ok ? `imported ${wz.params.algorithm}, ${when === null ? 'never expires' : `expires ${new Date(when * 1000).toISOString()}`}` : problem(r));
}

async function roundTrip() {
  const text = `BYOK round trip ${new Date().toISOString()}`;
  const enc = await call(state.dialect, 'Encrypt', { KeyId: wz.keyId, Plaintext: toBase64(new TextEncoder().encode(text)) });
  if (!enc.ok) return say('roundtrip', false, `Encrypt: ${problem(enc)}`);
  wz.blob = enc.body.CiphertextBlob;
  wz.versionId = enc.body.KeyVersionId ?? '';
  const dec = await call(state.dialect, 'Decrypt', { CiphertextBlob: wz.blob });
  if (!dec.ok) return say('roundtrip', false, `Decrypt: ${problem(dec)}`);
  const back = new TextDecoder().decode(fromBase64(dec.body.Plaintext));
  return say('roundtrip', back === text, back === text ? `encrypted and decrypted: "${back}"` : `decrypted something else: "${back}"`);
}

/** The material of the last wizard run as a seed-file entry (it holds the material). */
export function wizardSeed() {
  if (!wz.keyId || $('wz-import-status').className !== 'status-ok') return null;
  return { keyId: wz.keyId, spec: $('wz-spec').value, materialHex: toHex(material()), blob: wz.blob, versionId: wz.versionId, expires: wz.expires };
}

/** Wires the wizard's buttons. */
export function initWizard() {
  const guard = (step, f) => () => f().catch((e) => say(step, false, String(e.message ?? e)));
  $('wz-create').addEventListener('click', guard('create', createKey));
  $('wz-params').addEventListener('click', guard('params', getParameters));
  $('wz-generate').addEventListener('click', generate);
  $('wz-material').addEventListener('input', checkMaterial);
  $('wz-encoding').addEventListener('change', checkMaterial);
  $('wz-spec').addEventListener('change', checkMaterial);
  $('wz-import').addEventListener('click', guard('import', importMaterial));
  $('wz-roundtrip').addEventListener('click', guard('roundtrip', roundTrip));
  $('wz-reset').addEventListener('click', resetWizard);
  $('wz-never').addEventListener('change', () => { $('wz-expire').disabled = $('wz-never').checked; });
}
