// The key dashboard: every key of the current dialect with its state, spec, origin,
// aliases, material expiry and deletion date, and the actions on it; an action the key's
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

const ACTIONS = {
  aliyun: ['Encrypt', 'CreateKeyVersion', 'GetParametersForImport', 'ImportKeyMaterial', 'DeleteKeyMaterial', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion'],
  aws: ['Encrypt', 'RotateKeyOnDemand', 'GetParametersForImport', 'ImportKeyMaterial', 'DeleteImportedKeyMaterial', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion'],
};

function normalise(dialect, k) {
  return {
    id: k.KeyId, state: k.KeyState, spec: k.KeySpec, origin: k.Origin,
    expires: when(dialect === 'aws' ? k.ValidTo : k.MaterialExpireTime),
    deletion: when(dialect === 'aws' ? k.DeletionDate : k.DeleteDate),
  };
}

function row(dialect, m, aliases) {
  const date = (t) => (t === null ? '—' : el('span', { title: new Date(t).toISOString() }, countdown(t)));
  const buttons = ACTIONS[dialect].map((action) => {
    const why = forbidden(action, m);
    return el('button', { type: 'button', disabled: !!why, title: why ? `${action}: ${why}` : `open ${action} for this key`,
      'data-action': action, onclick: () => openAction(dialect, action, { KeyId: m.id }) }, action);
  });
  const reasons = ACTIONS[dialect].map((a) => [a, forbidden(a, m)]).filter(([, why]) => why).map(([a, why]) => `${a}: ${why}`);
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
