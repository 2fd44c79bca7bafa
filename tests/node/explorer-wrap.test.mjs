// The explorer's browser-side wrapping (src/explorer/wrap.js) against known answers and
// Node's OpenSSL: RFC 5649's own vectors for AES key wrap with padding, and an RSA private
// key decrypting what the page encrypts. The BYOK browser tests then import through qkms.
import assert from 'node:assert/strict';
import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { test } from 'node:test';

import { aesKeyWrapPadded, rsaPkcs1v15, rsaPublicKey, wrapMaterial } from '../../src/explorer/wrap.js';

const hex = (s) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));

test('AES key wrap with padding: the RFC 5649 section 6 vectors', async () => {
  const kek = hex('5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8');
  assert.equal(Buffer.from(await aesKeyWrapPadded(kek, hex('c37b7e6492584340 bed1220780894115 5068f738'))).toString('hex'),
    '138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a');
  assert.equal(Buffer.from(await aesKeyWrapPadded(kek, hex('466f7250617369'))).toString('hex'), 'afbeb0f07dfbf5419200f2ccb50bb24f');
});

test('the RSA public key is read from its SubjectPublicKeyInfo', () => {
  const jwk = publicKey.export({ format: 'jwk' });
  const { n, e, k } = rsaPublicKey(spki);
  assert.equal(k, 256);
  assert.equal(e, 65537n);
  assert.equal(n.toString(16), Buffer.from(jwk.n, 'base64url').toString('hex').replace(/^0+/, ''));
});

test('RSAES-PKCS1-v1_5: type 2 padding with nonzero filler, decrypted by OpenSSL', () => {
  const material = Uint8Array.from({ length: 32 }, (_, i) => i);
  const c = rsaPkcs1v15(spki, material);
  assert.equal(c.length, 256);
  const em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, c);
  assert.equal(em[0], 0);
  assert.equal(em[1], 2);
  const sep = em.indexOf(0, 2);
  assert.equal(sep, 256 - 32 - 1);
  assert.ok(em.subarray(2, sep).every((b) => b !== 0));
  assert.deepEqual(new Uint8Array(em.subarray(sep + 1)), material);
  assert.throws(() => rsaPkcs1v15(spki, new Uint8Array(246)), /too long/);
});

for (const [algorithm, hash] of [['RSAES_OAEP_SHA_1', 'sha1'], ['RSAES_OAEP_SHA_256', 'sha256']]) {
  test(`${algorithm} decrypts with OpenSSL`, async () => {
    const material = Uint8Array.from({ length: 16 }, (_, i) => 100 + i);
    const c = await wrapMaterial(algorithm, spki, material);
    const back = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, c);
    assert.deepEqual(new Uint8Array(back), material);
  });
}

for (const [algorithm, hash] of [['RSA_AES_KEY_WRAP_SHA_1', 'sha1'], ['RSA_AES_KEY_WRAP_SHA_256', 'sha256']]) {
  test(`${algorithm}: OAEP of an AES-256 key, then RFC 5649 of the material`, async () => {
    const material = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
    const c = await wrapMaterial(algorithm, spki, material);
    assert.equal(c.length, 256 + 40);
    const aes = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, c.subarray(0, 256));
    assert.equal(aes.length, 32);
    const d = createDecipheriv('id-aes256-wrap-pad', aes, Buffer.from('A65959A6', 'hex'));
    const back = Buffer.concat([d.update(c.subarray(256)), d.final()]);
    assert.deepEqual(new Uint8Array(back), material);
  });
}
