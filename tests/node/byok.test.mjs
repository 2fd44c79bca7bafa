// BYOK end to end with the official Node SDK (@alicloud/kms20160120 1.2.0, v1 HMAC-SHA1
// signatures, EncryptionContext sent as dotted `EncryptionContext.purpose=test`).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { $Kms, b64, makeClient, startServer, wrapMaterial } from './harness.mjs';

const START = '2030-01-01T00:00:00Z';
const START_EPOCH = 1893456000;

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

async function expectError(promise, code, status) {
  await assert.rejects(promise, (err) => {
    // The SDK appends "Error" to the server Code and keeps the body in `data`.
    assert.equal(err.code, `${code}Error`);
    assert.equal(err.data?.Code, code);
    assert.match(err.message, new RegExp(`code: ${status}, `));
    assert.ok(err.data?.RequestId, 'error body has a RequestId');
    return true;
  });
}

async function createExternal(keySpec = 'Aliyun_AES_256') {
  const res = await client.createKey(new $Kms.CreateKeyRequest({ origin: 'EXTERNAL', keySpec, description: 'node byok' }));
  assert.equal(res.keyMetadata.keyState, 'PendingImport');
  assert.equal(res.keyMetadata.origin, 'EXTERNAL');
  assert.equal(res.keyMetadata.keySpec, keySpec);
  return res.keyMetadata.keyId;
}

async function importMaterial(keyId, material, algorithm = 'RSAES_OAEP_SHA_256', keyMaterialExpireUnix = 0) {
  const params = await client.getParametersForImport(new $Kms.GetParametersForImportRequest({
    keyId, wrappingAlgorithm: algorithm, wrappingKeySpec: 'RSA_2048',
  }));
  assert.equal(params.keyId, keyId);
  const res = await client.importKeyMaterial(new $Kms.ImportKeyMaterialRequest({
    keyId,
    importToken: params.importToken,
    encryptedKeyMaterial: wrapMaterial(material, params.publicKey, algorithm),
    keyMaterialExpireUnix,
  }));
  assert.ok(res.requestId);
  return params;
}

const describeKey = async (keyId) => (await client.describeKey(new $Kms.DescribeKeyRequest({ keyId }))).keyMetadata;
const encrypt = (keyId, plaintext, encryptionContext) =>
  client.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: b64(plaintext), encryptionContext }));
const decrypt = (ciphertextBlob, encryptionContext) =>
  client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob, encryptionContext }));

describe('BYOK with the Node SDK', () => {
  test('AES-256 with RSAES_OAEP_SHA_256 (node crypto OAEP SHA-256)', async () => {
    const keyId = await createExternal('Aliyun_AES_256');
    await expectError(encrypt(keyId, Buffer.from('too early')), 'Rejected.PendingImport', 409);

    const material = randomBytes(32);
    const params = await importMaterial(keyId, material, 'RSAES_OAEP_SHA_256');
    assert.equal(params.tokenExpireTime, '2030-01-02T00:00:00Z');
    const meta = await describeKey(keyId);
    assert.equal(meta.keyState, 'Enabled');
    assert.equal(meta.materialExpireTime, '');

    const context = { purpose: 'test', team: 'node e2e' };
    const plaintext = Buffer.from('hello from node: ünïcode');
    const enc = await encrypt(keyId, plaintext, context);
    assert.equal(enc.keyId, keyId);
    assert.ok(enc.ciphertextBlob);
    const dec = await decrypt(enc.ciphertextBlob, context);
    assert.equal(Buffer.from(dec.plaintext, 'base64').toString(), plaintext.toString());
    assert.equal(dec.keyId, keyId);
    // Same map in another order is the same context.
    const reordered = await decrypt(enc.ciphertextBlob, { team: 'node e2e', purpose: 'test' });
    assert.equal(reordered.plaintext, b64(plaintext));
    await expectError(decrypt(enc.ciphertextBlob, { purpose: 'other', team: 'node e2e' }), 'InvalidParameter', 400);
    await expectError(decrypt(enc.ciphertextBlob), 'InvalidParameter', 400);

    const dk = await client.generateDataKey(new $Kms.GenerateDataKeyRequest({ keyId, encryptionContext: context }));
    assert.equal(Buffer.from(dk.plaintext, 'base64').length, 32);
    const back = await decrypt(dk.ciphertextBlob, context);
    assert.equal(back.plaintext, dk.plaintext);

    const dk16 = await client.generateDataKeyWithoutPlaintext(
      new $Kms.GenerateDataKeyWithoutPlaintextRequest({ keyId, numberOfBytes: 16 }));
    assert.equal(Buffer.from((await decrypt(dk16.ciphertextBlob)).plaintext, 'base64').length, 16);
  });

  for (const algorithm of ['RSAES_OAEP_SHA_1', 'RSAES_PKCS1_V1_5']) {
    test(`SM4 with ${algorithm}`, async () => {
      const keyId = await createExternal('Aliyun_SM4');
      await importMaterial(keyId, randomBytes(16), algorithm);
      assert.equal((await describeKey(keyId)).keyState, 'Enabled');
      const enc = await encrypt(keyId, Buffer.from('sm4 node'), { purpose: 'test' });
      assert.equal((await decrypt(enc.ciphertextBlob, { purpose: 'test' })).plaintext, b64('sm4 node'));
    });
  }

  test('wrong material size is InvalidKeyMaterial', async () => {
    const keyId = await createExternal('Aliyun_AES_256');
    await expectError(importMaterial(keyId, randomBytes(16)), 'InvalidKeyMaterial', 400);
    assert.equal((await describeKey(keyId)).keyState, 'PendingImport');
  });

  test('DeleteKeyMaterial, then Decrypt fails and re-import restores', async () => {
    const keyId = await createExternal('Aliyun_AES_256');
    const material = randomBytes(32);
    await importMaterial(keyId, material);
    const enc = await encrypt(keyId, Buffer.from('keep me'), { purpose: 'test' });
    await client.deleteKeyMaterial(new $Kms.DeleteKeyMaterialRequest({ keyId }));
    assert.equal((await describeKey(keyId)).keyState, 'PendingImport');
    await expectError(decrypt(enc.ciphertextBlob, { purpose: 'test' }), 'Rejected.PendingImport', 409);
    await expectError(importMaterial(keyId, randomBytes(32)), 'InvalidKeyMaterial', 400);
    await importMaterial(keyId, material, 'RSAES_OAEP_SHA_1');
    assert.equal((await decrypt(enc.ciphertextBlob, { purpose: 'test' })).plaintext, b64('keep me'));
  });

  test('material expiry via the admin clock', async () => {
    const now = (await server.clock()).Epoch;
    const keyId = await createExternal('Aliyun_AES_256');
    const material = randomBytes(32);
    await importMaterial(keyId, material, 'RSAES_OAEP_SHA_256', now + 600);
    assert.equal((await describeKey(keyId)).materialExpireTime, new Date((now + 600) * 1000).toISOString().replace('.000Z', 'Z'));
    const enc = await encrypt(keyId, Buffer.from('expires'), { purpose: 'test' });
    await server.clock({ advance: '10m' });
    const meta = await describeKey(keyId);
    assert.equal(meta.keyState, 'PendingImport');
    assert.equal(meta.materialExpireTime, '');
    await expectError(encrypt(keyId, Buffer.from('x')), 'Rejected.PendingImport', 409);
    await importMaterial(keyId, material);
    assert.equal((await decrypt(enc.ciphertextBlob, { purpose: 'test' })).plaintext, b64('expires'));
  });
});

describe('errors and listing with the Node SDK', () => {
  test('unknown key: code is the server Code + "Error"', async () => {
    await expectError(describeKey('00000000-0000-4000-8000-000000000000'), 'Forbidden.KeyNotFound', 404);
  });

  test('import on a KMS-generated key is Unsupported.Origin', async () => {
    const res = await client.createKey(new $Kms.CreateKeyRequest({}));
    assert.equal(res.keyMetadata.origin, 'Aliyun_KMS');
    await expectError(client.getParametersForImport(new $Kms.GetParametersForImportRequest({
      keyId: res.keyMetadata.keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
    })), 'Unsupported.Origin', 400);
  });

  test('wrong secret is SignatureDoesNotMatch', async () => {
    const bad = makeClient(server, { accessKeySecret: 'wrong' });
    await assert.rejects(bad.listKeys(new $Kms.ListKeysRequest({})), (err) => {
      assert.equal(err.code, 'SignatureDoesNotMatchError');
      assert.match(err.data.Message, /server string to sign is:POST&%2F&/);
      return true;
    });
  });

  test('EncryptionContext keys that percent-encode still sign and round-trip', async () => {
    // The SDK sends `EncryptionContext.user:id=42` and sorts parameter names before
    // encoding them (rpc-util: Object.keys(...).sort()); the server must verify that.
    const keyId = (await client.createKey(new $Kms.CreateKeyRequest({}))).keyMetadata.keyId;
    for (const context of [{ user1: 'x', 'user:id': '42' }, { k: 'v', 'ü': 'é' }, { 'a b': 'x&y=z' }]) {
      const enc = await encrypt(keyId, Buffer.from('dotted'), context);
      const dec = await decrypt(enc.ciphertextBlob, context);
      assert.equal(dec.plaintext, b64('dotted'), JSON.stringify(context));
    }
  });

  test('ListKeys paging and the wrapped shape', async () => {
    const first = await client.listKeys(new $Kms.ListKeysRequest({ pageSize: 2, pageNumber: 1 }));
    assert.equal(first.pageNumber, 1);
    assert.equal(first.pageSize, 2);
    assert.equal(typeof first.totalCount, 'number');
    assert.ok(first.totalCount >= 2);
    assert.equal(first.keys.key.length, 2);
    const ids = new Set();
    const pages = Math.ceil(first.totalCount / 2);
    for (let page = 1; page <= pages; page++) {
      const res = await client.listKeys(new $Kms.ListKeysRequest({ pageSize: 2, pageNumber: page }));
      for (const k of res.keys.key) {
        assert.match(k.keyArn, new RegExp(`^acs:kms:cn-hangzhou:1234567890123456:key/${k.keyId}$`));
        ids.add(k.keyId);
      }
    }
    assert.equal(ids.size, first.totalCount);
  });

  test('aliases work as KeyId', async () => {
    const keyId = await createExternal('Aliyun_AES_256');
    await importMaterial(keyId, randomBytes(32));
    await client.createAlias(new $Kms.CreateAliasRequest({ aliasName: 'alias/node-byok', keyId }));
    const enc = await encrypt('alias/node-byok', Buffer.from('via alias'));
    assert.equal(enc.keyId, keyId);
    assert.equal((await decrypt(enc.ciphertextBlob)).plaintext, b64('via alias'));
  });

  test('clock starts where --clock says', async () => {
    const res = await client.createKey(new $Kms.CreateKeyRequest({}));
    assert.ok(Date.parse(res.keyMetadata.creationDate) / 1000 >= START_EPOCH);
  });
});
