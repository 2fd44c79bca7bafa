// Rotation and key versions with the official Node SDK (@alicloud/kms20160120 1.2.0): the
// actions it knows (CreateKey with rotation, UpdateRotationPolicy, CreateKeyVersion,
// ListKeyVersions), driven by the admin clock.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { $Kms, b64, makeClient, startServer } from './harness.mjs';

const DAY = 86400;
let server;
let client;

before(async () => {
  server = await startServer({ clock: 'fixed:2030-01-01T00:00:00Z' });
  client = makeClient(server);
});

after(async () => {
  await server?.stop();
  const bad = (server?.stderr() ?? '').split('\n').filter((l) => /\bstatus=5\d\d\b|panicked/.test(l));
  assert.deepEqual(bad, [], 'the server answered 5xx or panicked');
});

const describeKey = async (keyId) => (await client.describeKey(new $Kms.DescribeKeyRequest({ keyId }))).keyMetadata;
const versionsOf = async (keyId, extra = {}) =>
  client.listKeyVersions(new $Kms.ListKeyVersionsRequest({ keyId, ...extra }));

test('a key created with rotation rotates when the clock passes NextRotationDate', async () => {
  const created = await client.createKey(new $Kms.CreateKeyRequest({ enableAutomaticRotation: true, rotationInterval: '30d' }));
  const meta = created.keyMetadata;
  assert.equal(meta.automaticRotation, 'Enabled');
  assert.equal(meta.rotationInterval, `${30 * DAY}s`);
  const blob = (await client.encrypt(new $Kms.EncryptRequest({ keyId: meta.keyId, plaintext: b64('node before') }))).ciphertextBlob;
  await server.clock({ advance: '30d' });
  const after30 = await describeKey(meta.keyId);
  assert.notEqual(after30.primaryKeyVersion, meta.primaryKeyVersion);
  assert.equal(Date.parse(after30.nextRotationDate) / 1000, Date.parse(meta.creationDate) / 1000 + 60 * DAY);
  const plain = await client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: blob }));
  assert.equal(Buffer.from(plain.plaintext, 'base64').toString(), 'node before');
  assert.equal(plain.keyVersionId, meta.primaryKeyVersion);
  const listed = await versionsOf(meta.keyId);
  assert.equal(listed.totalCount, 2);
  assert.deepEqual(listed.keyVersions.keyVersion.map((v) => v.keyVersionId), [meta.primaryKeyVersion, after30.primaryKeyVersion]);
});

test('UpdateRotationPolicy and CreateKeyVersion with its 7-day rule', async () => {
  const keyId = (await client.createKey(new $Kms.CreateKeyRequest({}))).keyMetadata.keyId;
  await client.updateRotationPolicy(new $Kms.UpdateRotationPolicyRequest({ keyId, enableAutomaticRotation: true, rotationInterval: '7d' }));
  assert.equal((await describeKey(keyId)).rotationInterval, `${7 * DAY}s`);
  await client.updateRotationPolicy(new $Kms.UpdateRotationPolicyRequest({ keyId, enableAutomaticRotation: false }));
  assert.equal((await describeKey(keyId)).automaticRotation, 'Disabled');
  await assert.rejects(client.createKeyVersion(new $Kms.CreateKeyVersionRequest({ keyId })), (err) => {
    assert.equal(err.code, 'Rejected.UnsupportedOperationError');
    assert.match(err.message, /code: 400, /);
    return true;
  });
  await server.clock({ advance: '7d' });
  const made = (await client.createKeyVersion(new $Kms.CreateKeyVersionRequest({ keyId }))).keyVersion;
  assert.equal(made.keyId, keyId);
  assert.equal((await describeKey(keyId)).primaryKeyVersion, made.keyVersionId);
  const page2 = await versionsOf(keyId, { pageSize: 1, pageNumber: 2 });
  assert.equal(page2.totalCount, 2);
  assert.deepEqual(page2.keyVersions.keyVersion.map((v) => v.keyVersionId), [made.keyVersionId]);
});
