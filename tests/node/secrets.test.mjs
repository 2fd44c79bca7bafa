// Secrets Manager actions (issue 13) with the official Node SDK (@alicloud/kms20160120
// 1.2.0, v1 HMAC-SHA1 RPC): every secrets action 1.2.0 knows (CreateSecret, GetSecretValue,
// PutSecretValue, DescribeSecret, ListSecrets, ListSecretVersionIds,
// UpdateSecretVersionStage, UpdateSecret, DeleteSecret, RestoreSecret), each with its
// documented failure. The SDK reports a server error as `code` = the server Code + "Error"
// and a message that starts with the HTTP status.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';

import { $Kms, makeClient, startServer } from './harness.mjs';

const START = '2030-01-01T00:00:00Z';
const DAY = 86400;
const ARN_PREFIX = 'acs:kms:cn-hangzhou:1234567890123456:secret/';
let server;
let client;

before(async () => {
  server = await startServer({ clock: `fixed:${START}` });
  client = makeClient(server);
});

after(async () => {
  await server?.stop();
  const bad = (server?.stderr() ?? '').split('\n').filter((l) => /\bstatus=5\d\d\b|panicked/.test(l));
  assert.deepEqual(bad, [], 'the server answered 5xx or panicked');
});

const uniq = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`;
const iso = (epoch) => new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const stagesOf = (v) => [...(v?.versionStages?.versionStage ?? [])].sort();

async function fails(promise, code, status) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, `${code}Error`, err.message);
    assert.match(err.message, new RegExp(`code: ${status}, `));
    return true;
  });
}

const create = (secretName, secretData = 'value', versionId = 'v1', extra = {}) =>
  client.createSecret(new $Kms.CreateSecretRequest({ secretName, versionId, secretData, ...extra }));
const put = (secretName, versionId, secretData, extra = {}) =>
  client.putSecretValue(new $Kms.PutSecretValueRequest({ secretName, versionId, secretData, ...extra }));
const get = (secretName, extra = {}) =>
  client.getSecretValue(new $Kms.GetSecretValueRequest({ secretName, ...extra }));
const describe = (secretName, extra = {}) =>
  client.describeSecret(new $Kms.DescribeSecretRequest({ secretName, ...extra }));
const versionIds = (secretName, extra = {}) =>
  client.listSecretVersionIds(new $Kms.ListSecretVersionIdsRequest({ secretName, ...extra }));
const stage = (secretName, extra) =>
  client.updateSecretVersionStage(new $Kms.UpdateSecretVersionStageRequest({ secretName, ...extra }));

async function labels(secretName) {
  const body = await versionIds(secretName, { includeDeprecated: 'true', pageSize: 100 });
  return Object.fromEntries(body.versionIds.versionId.map((v) => [v.versionId, stagesOf(v)]));
}

test('CreateSecret, DescribeSecret and GetSecretValue, and their failures', async () => {
  const name = uniq('node');
  const data = JSON.stringify({ user: 'app', password: 'pw' });
  const made = await create(name, data, 'v1', {
    description: 'node secret', tags: JSON.stringify([{ TagKey: 'env', TagValue: 'node' }]),
  });
  assert.equal(made.arn, ARN_PREFIX + name);
  assert.equal(made.secretName, name);
  assert.equal(made.versionId, 'v1');
  assert.ok(made.requestId);

  const meta = await describe(name, { fetchTags: 'true' });
  assert.equal(meta.arn, ARN_PREFIX + name);
  assert.equal(meta.description, 'node secret');
  assert.equal(meta.createTime, START);
  assert.equal(meta.updateTime, START);
  assert.equal(meta.plannedDeleteTime, undefined);
  assert.deepEqual(meta.tags.tag.map((t) => [t.tagKey, t.tagValue]), [['env', 'node']]);

  const got = await get(name);
  assert.equal(got.secretName, name);
  assert.equal(got.secretData, data);
  assert.equal(got.secretDataType, 'text');
  assert.equal(got.versionId, 'v1');
  assert.deepEqual(stagesOf(got), ['ACSCurrent']);
  assert.equal((await get(ARN_PREFIX + name)).secretName, name);

  const key = (await client.createKey(new $Kms.CreateKeyRequest({}))).keyMetadata.keyId;
  const keyed = uniq('node-key');
  await create(keyed, 'x', 'v1', { encryptionKeyId: key });
  assert.equal((await describe(keyed)).encryptionKeyId, key);

  await fails(create(name, 'again', 'v9'), 'Rejected.ResourceExist', 409);
  await fails(create(`acs/${uniq('n')}`), 'InvalidParameter', 400);
  await fails(create(uniq('node'), 'x', 'v1', { secretDataType: 'blob' }), 'InvalidParameter', 400);
  await fails(create(uniq('node'), 'x', 'v1', { encryptionKeyId: randomUUID() }), 'Forbidden.KeyNotFound', 404);
  await fails(get(uniq('missing')), 'Forbidden.ResourceNotFound', 404);
  await fails(get(name, { versionId: 'v1', versionStage: 'ACSPrevious' }), 'InvalidParameter', 400);
  await fails(get(name, { versionId: 'nope' }), 'Forbidden.ResourceNotFound', 404);
  await fails(describe(uniq('missing')), 'Forbidden.ResourceNotFound', 404);
});

test('binary secrets come back verbatim', async () => {
  const name = uniq('node-bin');
  const data = Buffer.from('binary \x00\x01 payload').toString('base64');
  await create(name, data, 'b1', { secretDataType: 'binary' });
  const got = await get(name);
  assert.equal(got.secretData, data);
  assert.equal(got.secretDataType, 'binary');
});

test('PutSecretValue: stage rules, idempotent reuse, conflicts', async () => {
  const name = uniq('node-put');
  await create(name, 'd1', 'v1');
  const r2 = await put(name, 'v2', 'd2');
  assert.equal(r2.secretName, name);
  assert.equal(r2.versionId, 'v2');
  assert.deepEqual(stagesOf(r2), ['ACSCurrent']);
  assert.deepEqual(await labels(name), { v1: ['ACSPrevious'], v2: ['ACSCurrent'] });
  const r3 = await put(name, 'v3', 'd3', { versionStages: JSON.stringify(['Pending']) });
  assert.deepEqual(stagesOf(r3), ['Pending']);
  assert.deepEqual(await labels(name), { v1: ['ACSPrevious'], v2: ['ACSCurrent'], v3: ['Pending'] });
  const r4 = await put(name, 'v4', 'd4', { versionStages: JSON.stringify({ VersionStage: ['ACSCurrent'] }) });
  assert.deepEqual(stagesOf(r4), ['ACSCurrent']);
  assert.deepEqual(await labels(name), { v1: [], v2: ['ACSPrevious'], v3: ['Pending'], v4: ['ACSCurrent'] });
  // Same VersionId and data: success, nothing changes.
  const again = await put(name, 'v4', 'd4');
  assert.equal(again.versionId, 'v4');
  assert.deepEqual(stagesOf(again), ['ACSCurrent']);
  assert.deepEqual(await labels(name), { v1: [], v2: ['ACSPrevious'], v3: ['Pending'], v4: ['ACSCurrent'] });
  await fails(put(name, 'v4', 'other data'), 'Rejected.ResourceExist', 409);
  await fails(put(name, 'v5', 'x', { versionStages: 'not json' }), 'InvalidParameter', 400);
  await fails(put(uniq('missing'), 'v1', 'x'), 'Forbidden.ResourceNotFound', 404);
  assert.equal((await get(name)).secretData, 'd4');
  assert.equal((await get(name, { versionStage: 'Pending' })).secretData, 'd3');
  assert.equal((await get(name, { versionId: 'v1' })).secretData, 'd1');
});

test('ListSecretVersionIds: IncludeDeprecated, paging, failures', async () => {
  const name = uniq('node-lsv');
  await create(name, 'd1', 'v1');
  await put(name, 'v2', 'd2');
  await put(name, 'v3', 'd3');
  const shown = await versionIds(name);
  assert.equal(shown.secretName, name);
  assert.equal(shown.totalCount, 2);
  assert.equal(shown.pageNumber, 1);
  assert.equal(shown.pageSize, 20);
  assert.deepEqual(shown.versionIds.versionId.map((v) => v.versionId).sort(), ['v2', 'v3']);
  for (const v of shown.versionIds.versionId) assert.equal(v.createTime, START);
  const all = await versionIds(name, { includeDeprecated: 'true' });
  assert.equal(all.totalCount, 3);
  const order = all.versionIds.versionId.map((v) => v.versionId);
  const pages = [];
  for (const pageNumber of [1, 2, 3]) {
    const page = await versionIds(name, { includeDeprecated: 'true', pageSize: 1, pageNumber });
    assert.equal(page.totalCount, 3);
    pages.push(...page.versionIds.versionId.map((v) => v.versionId));
  }
  assert.deepEqual(pages, order);
  await fails(versionIds(name, { pageSize: 101 }), 'InvalidParameter', 400);
  await fails(versionIds(uniq('missing')), 'Forbidden.ResourceNotFound', 404);
});

test('UpdateSecretVersionStage: moves, removals and their failures', async () => {
  const name = uniq('node-stage');
  await create(name, 'd1', 'v1');
  await put(name, 'v2', 'd2', { versionStages: JSON.stringify(['Blue']) });
  const reply = await stage(name, { versionStage: 'Blue', moveToVersion: 'v1' });
  assert.equal(reply.requestId.length > 0, true);
  assert.deepEqual(await labels(name), { v1: ['ACSCurrent', 'Blue'], v2: [] });
  await stage(name, { versionStage: 'ACSCurrent', removeFromVersion: 'v1', moveToVersion: 'v2' });
  assert.deepEqual(await labels(name), { v1: ['ACSPrevious', 'Blue'], v2: ['ACSCurrent'] });
  assert.equal((await get(name)).secretData, 'd2');
  await stage(name, { versionStage: 'Blue', removeFromVersion: 'v1' });
  assert.deepEqual(await labels(name), { v1: ['ACSPrevious'], v2: ['ACSCurrent'] });
  await fails(stage(name, { versionStage: 'ACSCurrent', removeFromVersion: 'v2' }), 'InvalidParameter', 400);
  await fails(stage(name, { versionStage: 'Blue', removeFromVersion: 'v1' }), 'InvalidParameter', 400);
  await fails(stage(name, { versionStage: 'Blue', moveToVersion: 'v9' }), 'Forbidden.ResourceNotFound', 404);
  await fails(stage(uniq('missing'), { versionStage: 'Blue', moveToVersion: 'v1' }), 'Forbidden.ResourceNotFound', 404);
});

test('ListSecrets: paging, FetchTags, failures', async () => {
  const before = (await client.listSecrets(new $Kms.ListSecretsRequest({ pageSize: 100 }))).totalCount;
  const names = [];
  for (let i = 0; i < 3; i++) {
    const name = uniq(`node-ls${i}`);
    names.push(name);
    await server.clock({ advance: '1s' }); // listed in creation order: no ties with earlier secrets
    await create(name, 'x', 'v1', { tags: JSON.stringify([{ TagKey: 'list', TagValue: `n${i}` }]) });
  }
  const all = await client.listSecrets(new $Kms.ListSecretsRequest({ pageSize: 100, fetchTags: 'true' }));
  assert.equal(all.totalCount, before + 3);
  assert.equal(all.pageNumber, 1);
  assert.equal(all.pageSize, 100);
  const listed = all.secretList.secret;
  assert.deepEqual(listed.slice(-3).map((s) => s.secretName), names);
  assert.deepEqual(listed.slice(-3).map((s) => s.tags.tag.map((t) => `${t.tagKey}=${t.tagValue}`)),
    [['list=n0'], ['list=n1'], ['list=n2']]);
  for (const s of listed) assert.match(s.createTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  const first = await client.listSecrets(new $Kms.ListSecretsRequest({}));
  assert.equal(first.pageSize, 10);
  assert.equal(first.secretList.secret.length, Math.min(10, before + 3));
  const last = await client.listSecrets(new $Kms.ListSecretsRequest({ pageSize: 1, pageNumber: before + 3 }));
  assert.deepEqual(last.secretList.secret.map((s) => s.secretName), [names[2]]);
  await fails(client.listSecrets(new $Kms.ListSecretsRequest({ pageSize: 0 })), 'InvalidParameter', 400);
  await fails(client.listSecrets(new $Kms.ListSecretsRequest({ pageSize: 101 })), 'InvalidParameter', 400);
});

test('UpdateSecret changes the description', async () => {
  const name = uniq('node-upd');
  await create(name, 'x', 'v1', { description: 'old' });
  const reply = await client.updateSecret(new $Kms.UpdateSecretRequest({ secretName: name, description: 'new' }));
  assert.ok(reply.requestId);
  assert.equal((await describe(name)).description, 'new');
  await fails(client.updateSecret(new $Kms.UpdateSecretRequest({ secretName: uniq('missing'), description: 'x' })),
    'Forbidden.ResourceNotFound', 404);
});

test('DeleteSecret and RestoreSecret on the KMS clock', async () => {
  const del = (secretName, extra = {}) => client.deleteSecret(new $Kms.DeleteSecretRequest({ secretName, ...extra }));
  const restore = (secretName) => client.restoreSecret(new $Kms.RestoreSecretRequest({ secretName }));
  const name = uniq('node-del');
  await create(name, 'keep', 'v1');
  await fails(del(name, { recoveryWindowInDays: '6' }), 'InvalidParameter', 400);
  await fails(del(name, { recoveryWindowInDays: '31' }), 'InvalidParameter', 400);
  await fails(del(name, { recoveryWindowInDays: '7', forceDeleteWithoutRecovery: 'true' }), 'InvalidParameter', 400);
  const now = (await server.clock()).Epoch;
  const reply = await del(name, { recoveryWindowInDays: '7' });
  assert.equal(reply.secretName, name);
  assert.equal(reply.plannedDeleteTime, iso(now + 7 * DAY));
  assert.equal((await describe(name)).plannedDeleteTime, iso(now + 7 * DAY));
  await fails(del(name), 'Rejected.ResourceInDeleteWindow', 409);
  await fails(get(name), 'Rejected.ResourceInDeleteWindow', 409);
  await fails(put(name, 'v2', 'x'), 'Rejected.ResourceInDeleteWindow', 409);
  await fails(create(name, 'x', 'v1'), 'Rejected.ResourceInDeleteWindow', 409);
  const restored = await restore(name);
  assert.equal(restored.requestId.length > 0, true);
  assert.equal((await describe(name)).plannedDeleteTime, undefined);
  assert.equal((await get(name)).secretData, 'keep');
  await fails(restore(name), 'Rejected.ResourceInUse', 409);

  // Default window 30 days; gone once the clock passes it.
  const later = (await server.clock()).Epoch;
  assert.equal((await del(name)).plannedDeleteTime, iso(later + 30 * DAY));
  await server.clock({ advance: '30d' });
  await server.clock({ advance: '1s' });
  await fails(describe(name), 'Forbidden.ResourceNotFound', 404);
  await fails(restore(name), 'Forbidden.ResourceNotFound', 404);

  // Force: gone at once, name free again.
  const forced = uniq('node-force');
  await create(forced, 'x', 'v1');
  await del(forced, { forceDeleteWithoutRecovery: 'true' });
  await fails(get(forced), 'Forbidden.ResourceNotFound', 404);
  await fails(del(forced), 'Forbidden.ResourceNotFound', 404);
  assert.equal((await create(forced, 'y', 'v1')).secretName, forced);
});
