// Key pairs with the official Node SDK (@alicloud/kms20160120 1.2.0): GetPublicKey's PEM
// loads in node:crypto, qkms signatures verify there, and node's OAEP ciphertexts decrypt
// in qkms.
import assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, publicEncrypt, verify } from 'node:crypto';
import { after, before, test } from 'node:test';

import { $Kms, b64, makeClient, startServer } from './harness.mjs';

let server;
let client;

before(async () => {
  server = await startServer();
  client = makeClient(server);
});

after(async () => {
  await server?.stop();
  const bad = (server?.stderr() ?? '').split('\n').filter((l) => /\bstatus=5\d\d\b|panicked/.test(l));
  assert.deepEqual(bad, [], 'the server answered 5xx or panicked');
});

async function keyPair(keySpec, keyUsage) {
  const meta = (await client.createKey(new $Kms.CreateKeyRequest({ keySpec, keyUsage }))).keyMetadata;
  assert.equal(meta.keySpec, keySpec);
  assert.equal(meta.keyUsage, keyUsage);
  const versions = await client.listKeyVersions(new $Kms.ListKeyVersionsRequest({ keyId: meta.keyId }));
  const [version] = versions.keyVersions.keyVersion;
  const pem = await client.getPublicKey(new $Kms.GetPublicKeyRequest({ keyId: meta.keyId, keyVersionId: version.keyVersionId }));
  assert.match(pem.publicKey, /^-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END PUBLIC KEY-----\n$/);
  return { keyId: meta.keyId, keyVersionId: version.keyVersionId, publicKey: createPublicKey(pem.publicKey) };
}

const message = Buffer.from('signed through the Node SDK');
const digest = createHash('sha256').update(message).digest();

async function signed(key, algorithm, d = digest) {
  const res = await client.asymmetricSign(new $Kms.AsymmetricSignRequest({
    keyId: key.keyId, keyVersionId: key.keyVersionId, algorithm, digest: b64(d),
  }));
  assert.equal(res.keyVersionId, key.keyVersionId);
  return Buffer.from(res.value, 'base64');
}

async function verified(key, algorithm, signature, d = digest) {
  const res = await client.asymmetricVerify(new $Kms.AsymmetricVerifyRequest({
    keyId: key.keyId, keyVersionId: key.keyVersionId, algorithm, digest: b64(d), value: b64(signature),
  }));
  return res.value;
}

test('RSA signatures verify in node:crypto, and back', async () => {
  const key = await keyPair('RSA_2048', 'SIGN/VERIFY');
  assert.equal(key.publicKey.asymmetricKeyDetails.modulusLength, 2048);
  const pss = await signed(key, 'RSA_PSS_SHA_256');
  assert.equal(pss.length, 256);
  assert.ok(verify('sha256', message, { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss));
  const pkcs1 = await signed(key, 'RSA_PKCS1_SHA_256');
  assert.ok(verify('sha256', message, { key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, pkcs1));
  assert.equal(await verified(key, 'RSA_PSS_SHA_256', pss), true);
  assert.equal(await verified(key, 'RSA_PKCS1_SHA_256', pss), false);
});

test('ECDSA on P-256 and secp256k1 verifies in node:crypto', async () => {
  for (const [spec, curve] of [['EC_P256', 'prime256v1'], ['EC_P256K', 'secp256k1']]) {
    const key = await keyPair(spec, 'SIGN/VERIFY');
    assert.equal(key.publicKey.asymmetricKeyDetails.namedCurve, curve);
    const sig = await signed(key, 'ECDSA_SHA_256');
    assert.equal(sig[0], 0x30, 'DER');
    assert.ok(verify('sha256', message, { key: key.publicKey, dsaEncoding: 'der' }, sig), spec);
    assert.equal(await verified(key, 'ECDSA_SHA_256', sig), true);
  }
});

test('an OAEP ciphertext made with the PEM decrypts in qkms', async () => {
  const key = await keyPair('RSA_2048', 'ENCRYPT/DECRYPT');
  const plaintext = Buffer.from('encrypted in node');
  const ciphertext = publicEncrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plaintext);
  const res = await client.asymmetricDecrypt(new $Kms.AsymmetricDecryptRequest({
    keyId: key.keyId, keyVersionId: key.keyVersionId, algorithm: 'RSAES_OAEP_SHA_256', ciphertextBlob: b64(ciphertext),
  }));
  assert.equal(Buffer.from(res.plaintext, 'base64').toString(), 'encrypted in node');
});

test('a Digest that is not 32 bytes is InvalidParameter', async () => {
  const key = await keyPair('EC_P256', 'SIGN/VERIFY');
  await assert.rejects(signed(key, 'ECDSA_SHA_256', digest.subarray(0, 20)), (err) => {
    assert.equal(err.code, 'InvalidParameterError');
    assert.match(err.message, /code: 400, /);
    return true;
  });
});
