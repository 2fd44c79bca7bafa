// Turning a call into a regression fixture: the last signed request in the raw-HTTP format
// of the captured SDK requests (request line, headers, empty line, body), or a seed-file
// entry (`qkms serve --seed`) for the key the last call returned. The page knows a key's
// material only when the BYOK wizard imported it; other entries get fresh material on load.
import { state } from './api.js';
import { $, fromBase64 } from './dom.js';
import { decodeBlob } from './inspect.js';
import { wizardSeed } from './wizard.js';

/** The last call's request as a raw HTTP/1.1 request. */
export function fixtureText(last, host) {
  const body = last.request.body ?? '';
  const headers = { Host: host, ...last.request.headers, 'Content-Length': String(new TextEncoder().encode(body).length) };
  return `POST ${last.request.url} HTTP/1.1\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${body}`;
}

const toml = (v) => JSON.stringify(String(v));
const date = (v) => (typeof v === 'number' ? new Date(v * 1000).toISOString().replace('.000Z', 'Z') : v);

/** A `[[keys]]` entry for the key in `metadata` (either dialect), with material if known. */
export function seedText(metadata, known) {
  const lines = ['[[keys]]', `key_id = ${toml(metadata.KeyId)}`];
  const spec = metadata.KeySpec;
  if (spec) lines.push(`key_spec = ${toml(spec)}`);
  lines.push(`origin = ${toml(metadata.Origin === 'AWS_KMS' ? 'Aliyun_KMS' : metadata.Origin)}`);
  if (metadata.Description) lines.push(`description = ${toml(metadata.Description)}`);
  if (metadata.CreationDate) lines.push(`creation_date = ${toml(date(metadata.CreationDate))}`);
  if (known) {
    if (known.expires) lines.push(`material_expire_time = ${toml(known.expires)}`);
    lines.push('[[keys.versions]]');
    if (known.versionId) lines.push(`version_id = ${toml(known.versionId)}`);
    lines.push(`material_hex = ${toml(known.materialHex)}   # the material itself: keep this file 0600`);
  } else if (metadata.Origin === 'EXTERNAL') {
    lines.push('# no [[keys.versions]]: the key loads PendingImport; import the same material to restore it');
  } else {
    lines.push('# no [[keys.versions]]: this page never sees the material, so the key loads with new random material');
  }
  return `${lines.join('\n')}\n`;
}

function show(text) {
  $('export-box').textContent = text;
  $('export-box').hidden = false;
  navigator.clipboard?.writeText(text).catch(() => { /* shown anyway */ });
}

function seedFromLast() {
  const meta = state.last?.body?.KeyMetadata;
  if (!meta) return '# the last response has no KeyMetadata: send CreateKey or DescribeKey first\n';
  const wz = wizardSeed();
  if (!wz || wz.keyId !== meta.KeyId) return seedText(meta, null);
  return seedText(meta, knownMaterial(wz, meta));
}

function knownMaterial(wz, meta) {
  let versionId = wz.versionId;
  if (!versionId && wz.blob) versionId = decodeBlob(fromBase64(wz.blob)).keyVersionId;
  const expires = meta.MaterialExpireTime || (meta.ValidTo ? date(meta.ValidTo) : '');
  return { materialHex: wz.materialHex, versionId, expires };
}

/** Wires the export buttons. */
export function initExport() {
  $('export-fixture').addEventListener('click', () => {
    if (state.last) show(fixtureText(state.last, location.host));
  });
  $('export-seed').addEventListener('click', () => show(seedFromLast()));
  $('wz-seed').addEventListener('click', () => {
    const wz = wizardSeed();
    const meta = { KeyId: wz?.keyId, KeySpec: wz?.spec, Origin: 'EXTERNAL', Description: 'BYOK wizard' };
    $('wz-seed-text').textContent = wz ? seedText(meta, knownMaterial(wz, { MaterialExpireTime: wz.expires })) : 'import material with the wizard first';
    $('wz-seed-text').hidden = false;
  });
}
