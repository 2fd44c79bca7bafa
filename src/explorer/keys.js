// The key dashboard: every key of the current dialect with its state, spec, origin,
// aliases, material expiry and deletion date, and the actions on it (those of the key's
// kind: encryption, signing, MAC, key agreement, encapsulation); an action the key's
// state or origin forbids is greyed, with the reason as its title and in the text.
import { quietCall, state } from './api.js';
import { $, countdown, el } from './dom.js';

let openAction = () => {};

/** Reads every page of a list action. */
async function listAll(dialect, name, pick) {
  const out = [];
  if (dialect === 'aws') {
    let marker;
    const limit = name === 'ListKeys' ? 1000 : 100;
    do {
      const r = await quietCall(dialect, name, marker ? { Limit: limit, Marker: marker } : { Limit: limit });
      if (!r.ok) throw new Error(`${name}: ${r.status} ${r.code}`);
      out.push(...pick(r.body));
      marker = r.body.Truncated ? r.body.NextMarker : undefined;
    } while (marker);
    return out;
  }
  for (let page = 1; ; page++) {
    const r = await quietCall(dialect, name, { PageNumber: page, PageSize: 100 });
    if (!r.ok) throw new Error(`${name}: ${r.status} ${r.code}`);
    const items = pick(r.body);
    out.push(...items);
    if (!items.length || page * 100 >= r.body.TotalCount) return out;
  }
}

/** Epoch milliseconds of a dialect's date value (Aliyun strings, AWS epoch seconds), or null. */
const when = (v) => (v === undefined || v === null || v === '' ? null : typeof v === 'number' ? v * 1000 : Date.parse(v));

/** Why `action` cannot run on a key `m` (normalised metadata), or '' when it can. */
export function forbidden(action, m) {
  const external = m.origin === 'EXTERNAL';
  switch (action) {
    case 'Encrypt':
    case 'GenerateDataKey':
    case 'AsymmetricEncrypt':
    case 'AsymmetricSign':
    case 'Sign':
    case 'GetPublicKey':
    case 'GenerateMac':
    case 'DeriveSharedSecret':
    case 'Encapsulate':
      return m.state === 'Enabled' ? '' : `key is ${m.state}`;
    case 'GetParametersForImport':
    case 'ImportKeyMaterial':
      if (!external) return 'key is not EXTERNAL';
      return m.state === 'PendingDeletion' ? 'key is PendingDeletion' : '';
    case 'DeleteKeyMaterial':
    case 'DeleteImportedKeyMaterial':
      if (!external) return 'key is not EXTERNAL';
      return m.state === 'PendingImport' ? 'key has no material' : m.state === 'PendingDeletion' ? 'key is PendingDeletion' : '';
    case 'EnableKey':
      return m.state === 'Disabled' ? '' : `key is ${m.state}`;
    case 'DisableKey':
      return m.state === 'Enabled' ? '' : `key is ${m.state}`;
    case 'ScheduleKeyDeletion':
      return m.state === 'PendingDeletion' ? 'key is PendingDeletion already' : '';
    case 'CancelKeyDeletion':
      return m.state === 'PendingDeletion' ? '' : 'key is not PendingDeletion';
    case 'CreateKeyVersion':
      if (external) return 'key is EXTERNAL';
      return m.state === 'Enabled' ? '' : `key is ${m.state}`;
    case 'RotateKeyOnDemand':
      return m.state === 'Enabled' ? '' : `key is ${m.state}`;
    default:
      return '';
  }
}

/** The actions of every key; the first ones depend on what the key is for. */
const COMMON = {
  aliyun: ['GetParametersForImport', 'ImportKeyMaterial', 'DeleteKeyMaterial', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion'],
  aws: ['GetParametersForImport', 'ImportKeyMaterial', 'DeleteImportedKeyMaterial', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion'],
};

/** What a key is for: 'symmetric', 'encrypt' (a key pair), 'sign', 'mac', 'agree' or 'kem'. */
function kind(m) {
  const usage = (m.usage ?? '').replace('/', '_');
  if (usage === 'ENCRYPT_DECRYPT') return ['Aliyun_AES_256', 'Aliyun_SM4', 'SYMMETRIC_DEFAULT'].includes(m.spec) ? 'symmetric' : 'encrypt';
  return { SIGN_VERIFY: 'sign', GENERATE_VERIFY_MAC: 'mac', KEY_AGREEMENT: 'agree', ENCAPSULATE_DECAPSULATE: 'kem' }[usage] ?? 'symmetric';
}

const FIRST = {
  aliyun: { symmetric: ['Encrypt', 'CreateKeyVersion'], encrypt: ['AsymmetricEncrypt', 'GetPublicKey', 'CreateKeyVersion'],
    sign: ['AsymmetricSign', 'GetPublicKey', 'CreateKeyVersion'], mac: ['GenerateMac'], agree: [], kem: [] },
  aws: { symmetric: ['Encrypt', 'RotateKeyOnDemand'], encrypt: ['Encrypt', 'GetPublicKey'], sign: ['Sign', 'GetPublicKey'],
    mac: ['GenerateMac'], agree: ['DeriveSharedSecret', 'GetPublicKey'], kem: ['Encapsulate', 'GetPublicKey'] },
};

/** The dashboard's actions for key `m` in `dialect`. */
export function actionsFor(dialect, m) {
  return [...FIRST[dialect][kind(m)], ...COMMON[dialect]];
}

/** The Aliyun algorithm a key pair's form starts with (the first its spec takes). */
const ALIYUN_ALGORITHM = {
  sign: { RSA_2048: 'RSA_PSS_SHA_256', RSA_3072: 'RSA_PSS_SHA_256', EC_SM2: 'SM2DSA' },
  encrypt: { EC_SM2: 'SM2PKE' },
};

/** The form values an action starts with for key `m`: the key, and for key pairs and HMAC
 * keys the algorithm (and, in the Aliyun dialect, the newest version, which key pairs
 * need and DescribeKey does not give). */
async function prefill(dialect, action, m) {
  const vals = { KeyId: m.id };
  const k = kind(m);
  if (dialect === 'aws') {
    const first = {
      Sign: ['SigningAlgorithm', m.signing?.[0]],
      Encrypt: k === 'encrypt' ? ['EncryptionAlgorithm', m.encryption?.[0]] : [],
      GenerateMac: ['MacAlgorithm', m.mac?.[0]],
      DeriveSharedSecret: ['KeyAgreementAlgorithm', 'ECDH'],
      Encapsulate: ['EncapsulationAlgorithm', 'ML_KEM'],
    }[action] ?? [];
    if (first[1] !== undefined) vals[first[0]] = first[1];
    return vals;
  }
  if (action === 'GenerateMac') vals.Algorithm = m.spec;
  if (action === 'AsymmetricSign') vals.Algorithm = ALIYUN_ALGORITHM.sign[m.spec] ?? 'ECDSA_SHA_256';
  if (action === 'AsymmetricEncrypt') vals.Algorithm = ALIYUN_ALGORITHM.encrypt[m.spec] ?? 'RSAES_OAEP_SHA_256';
  if (['AsymmetricSign', 'AsymmetricEncrypt', 'GetPublicKey'].includes(action)) {
    const r = await quietCall(dialect, 'ListKeyVersions', { KeyId: m.id, PageSize: 100 });
    const versions = r.ok ? r.body.KeyVersions.KeyVersion : [];
    const newest = versions.reduce((a, v) => (!a || Date.parse(v.CreationDate) >= Date.parse(a.CreationDate) ? v : a), null);
    if (newest) vals.KeyVersionId = newest.KeyVersionId;
  }
  return vals;
}

function normalise(dialect, k) {
  return {
    id: k.KeyId, state: k.KeyState, spec: k.KeySpec, origin: k.Origin, usage: k.KeyUsage,
    signing: k.SigningAlgorithms, encryption: k.EncryptionAlgorithms, mac: k.MacAlgorithms,
    expires: when(dialect === 'aws' ? k.ValidTo : k.MaterialExpireTime),
    deletion: when(dialect === 'aws' ? k.DeletionDate : k.DeleteDate),
  };
}

function row(dialect, m, aliases) {
  const date = (t) => (t === null ? '—' : el('span', { title: new Date(t).toISOString() }, countdown(t)));
  const actions = actionsFor(dialect, m);
  const buttons = actions.map((action) => {
    const why = forbidden(action, m);
    return el('button', { type: 'button', disabled: !!why, title: why ? `${action}: ${why}` : `open ${action} for this key`,
      'data-action': action, onclick: async () => openAction(dialect, action, await prefill(dialect, action, m)) }, action);
  });
  const reasons = actions.map((a) => [a, forbidden(a, m)]).filter(([, why]) => why).map(([a, why]) => `${a}: ${why}`);
  return el('tr', { 'data-key': m.id },
    el('td', { class: 'mono' }, m.id), el('td', {}, m.state), el('td', {}, m.spec), el('td', {}, m.origin),
    el('td', {}, aliases.join(', ') || '—'), el('td', {}, date(m.expires)), el('td', {}, date(m.deletion)),
    el('td', {}, el('div', { class: 'actions' }, buttons), reasons.length ? el('small', { class: 'reasons' }, reasons.join('; ')) : ''));
}

/** Reloads the table for the current dialect. */
export async function refreshKeys() {
  const dialect = state.dialect;
  $('keys-status').textContent = 'loading…';
  try {
    const keys = await listAll(dialect, 'ListKeys', (b) => (dialect === 'aws' ? b.Keys : b.Keys.Key));
    const aliases = await listAll(dialect, 'ListAliases', (b) => (dialect === 'aws' ? b.Aliases : b.Aliases.Alias));
    const byKey = new Map();
    for (const a of aliases) {
      const id = dialect === 'aws' ? a.TargetKeyId : a.KeyId;
      if (id) byKey.set(id, [...(byKey.get(id) ?? []), a.AliasName]);
    }
    const rows = [];
    for (const k of keys) {
      const r = await quietCall(dialect, 'DescribeKey', { KeyId: k.KeyId });
      if (r.ok) rows.push(row(dialect, normalise(dialect, r.body.KeyMetadata), byKey.get(k.KeyId) ?? []));
    }
    $('keys-table').tBodies[0].replaceChildren(...rows);
    $('keys-status').textContent = `${rows.length} keys (${dialect === 'aws' ? 'AWS' : 'Alibaba Cloud'} dialect), read ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    $('keys-status').textContent = `could not list keys: ${e.message}`;
  }
}

/** Wires the dashboard; `open(dialect, action, values)` opens an action's form. */
export function initKeys(open) {
  openAction = open;
  $('keys-refresh').addEventListener('click', refreshKeys);
}
