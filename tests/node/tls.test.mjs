// The Node SDK (@alicloud/kms20160120) over https against --tls-self-signed. Node reads the
// CA to trust from NODE_EXTRA_CA_CERTS at start-up only (the SDK's RPC client passes no
// `ca` option), so the calls run in a child node process started with it, as a user would.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { startServer } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let server;

before(async () => {
  server = await startServer({ extraArgs: ['--listen-tls', '127.0.0.1:0', '--tls-self-signed'] });
});

after(async () => {
  await server?.stop();
});

const CHILD = `
import kms from '@alicloud/kms20160120';
const client = new kms.default({
  accessKeyId: 'testid', accessKeySecret: 'testsecret',
  endpoint: process.argv[1], protocol: 'https', regionId: 'cn-hangzhou',
});
const key = (await client.createKey(new kms.CreateKeyRequest({ description: 'node tls' }))).keyMetadata.keyId;
const plaintext = Buffer.from('node over tls').toString('base64');
const blob = (await client.encrypt(new kms.EncryptRequest({ keyId: key, plaintext }))).ciphertextBlob;
const back = (await client.decrypt(new kms.DecryptRequest({ ciphertextBlob: blob }))).plaintext;
console.log(JSON.stringify({ key, back }));
`;

function child(endpoint, ca) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (ca) env.NODE_EXTRA_CA_CERTS = ca;
  return spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, endpoint], {
    cwd: here, env, encoding: 'utf8', timeout: 60000,
  });
}

test('the Node SDK encrypts and decrypts over https, trusting the local CA', () => {
  const port = server.tlsAddress.split(':')[1];
  const ca = path.join(server.dataDir, 'tls', 'ca.pem');
  const ok = child(`localhost:${port}`, ca);
  assert.equal(ok.status, 0, ok.stderr);
  const { key, back } = JSON.parse(ok.stdout.trim().split('\n').pop());
  assert.match(key, /^[0-9a-f-]{36}$/);
  assert.equal(Buffer.from(back, 'base64').toString(), 'node over tls');
  // Without the CA, the certificate is refused.
  const refused = child(`localhost:${port}`, null);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /certificate|UNABLE_TO|self.signed|SELF_SIGNED/i);
});
