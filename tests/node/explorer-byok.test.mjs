// The explorer's BYOK wizard, key dashboard, blob and token inspector, error links, deep
// links, "copy as" snippets and fixture export, in Chromium against a live qkms. Snippets
// are run with the real SDKs and tools (the venv's Python SDKs, boto3 and AWS CLI, and the
// Node SDKs of package.json); exported fixtures and seed entries are loaded by a second qkms.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { SECRET, SHOTS, call, field, kept, open as openPage, startBrowser } from './browser.mjs';
import { $Kms, makeClient, startServer } from './harness.mjs';

const VENV = path.resolve('../../.venv/bin');
let server;
let browser;
let stop;
let sdk;

before(async () => {
  ({ server, browser, stop } = await startBrowser());
  sdk = makeClient(server);
});

after(async () => { await stop?.(); });

async function open(hash = '') {
  const { page, problems } = await openPage(browser, `http://${server.endpoint}/explorer${hash}`);
  await page.fill('#secret', SECRET);
  return { page, problems };
}

/** Clicks a wizard step's button and waits for its verdict; the verdict's text. */
async function step(page, button, status) {
  await page.evaluate((id) => { document.getElementById(id).textContent = ''; }, status);
  await page.click(`#${button}`);
  const verdict = page.locator(`#${status}.status-ok, #${status}.status-err`);
  await verdict.filter({ hasText: /./ }).waitFor({ timeout: 60000 });
  const text = await page.locator(`#${status}`).textContent();
  assert.equal(await page.locator(`#${status}`).getAttribute('class'), 'status-ok', `${status}: ${text}`);
  return text;
}

async function runWizard(page, dialect, spec, algorithm, { wrappingSpec, expiry } = {}) {
  await page.selectOption('#dialect', dialect);
  await page.evaluate(() => { location.hash = '#byok'; });
  await page.locator('#view-byok').waitFor();
  await page.selectOption('#wz-spec', spec);
  await step(page, 'wz-create', 'wz-create-status');
  const keyId = await page.inputValue('#wz-key-id');
  await page.selectOption('#wz-algorithm', algorithm);
  if (wrappingSpec) await page.selectOption('#wz-wrapping-spec', wrappingSpec);
  await step(page, 'wz-params', 'wz-params-status');
  assert.match(await page.locator('#wz-expiry').textContent(), /expire in 2[34] h/);
  await page.click('#wz-generate');
  assert.match(await page.locator('#wz-material-status').textContent(), new RegExp(`^${spec === 'Aliyun_SM4' ? 16 : 32} bytes`));
  if (expiry) {
    await page.uncheck('#wz-never');
    await page.fill('#wz-expire', expiry);
  }
  await step(page, 'wz-import', 'wz-import-status');
  await step(page, 'wz-roundtrip', 'wz-roundtrip-status');
  return { keyId, material: await page.inputValue('#wz-material') };
}

const CASES = [
  ['aliyun', 'Aliyun_AES_256', 'RSAES_OAEP_SHA_256'],
  ['aliyun', 'Aliyun_AES_256', 'RSAES_OAEP_SHA_1'],
  ['aliyun', 'Aliyun_AES_256', 'RSAES_PKCS1_V1_5'],
  ['aliyun', 'Aliyun_SM4', 'RSAES_OAEP_SHA_256'],
  ['aliyun', 'Aliyun_SM4', 'RSAES_OAEP_SHA_1'],
  ['aliyun', 'Aliyun_SM4', 'RSAES_PKCS1_V1_5'],
  ['aws', 'SYMMETRIC_DEFAULT', 'RSA_AES_KEY_WRAP_SHA_256'],
  ['aws', 'SYMMETRIC_DEFAULT', 'RSA_AES_KEY_WRAP_SHA_1'],
  ['aws', 'SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_256'],
  ['aws', 'SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1'],
];

describe('BYOK wizard', () => {
  for (const [dialect, spec, algorithm] of CASES) {
    test(`${dialect} ${spec} wrapped with ${algorithm}: import, then encrypt and decrypt`, async () => {
      const { page, problems } = await open();
      const sent = [];
      page.on('request', (r) => sent.push(`${r.url()}\n${r.postData() ?? ''}`));
      const { keyId, material } = await runWizard(page, dialect, spec, algorithm);
      if (algorithm === 'RSAES_OAEP_SHA_256' && spec === 'Aliyun_AES_256') {
        await page.screenshot({ path: path.join(SHOTS, 'byok-done.png'), fullPage: true });
      }
      const described = await sdk.describeKey(new $Kms.DescribeKeyRequest({ keyId }));
      assert.equal(described.keyMetadata.keyState, 'Enabled');
      assert.equal(described.keyMetadata.keySpec, dialect === 'aws' ? 'Aliyun_AES_256' : spec);
      // The material never left the page unwrapped, and nothing secret was kept.
      const b64 = Buffer.from(material, 'hex').toString('base64');
      for (const r of sent) assert.ok(!r.includes(material) && !r.includes(encodeURIComponent(b64)) && !r.includes(b64), r);
      const stored = await kept(page);
      assert.ok(!stored.includes(material) && !stored.includes(SECRET), stored);
      assert.ok(!(await page.locator('#history').textContent()).includes(b64));
      assert.deepEqual(problems, []);
      await page.close();
    });
  }

  test('AWS with an RSA_3072 wrapping key and an expiry date', async () => {
    const { page } = await open();
    // AWS takes ValidTo at most 365 days ahead: a month from now, at noon local time.
    const d = new Date(Date.now() + 30 * 86400000);
    const p = (n) => String(n).padStart(2, '0');
    const local = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T12:00`;
    const { keyId } = await runWizard(page, 'aws', 'SYMMETRIC_DEFAULT', 'RSA_AES_KEY_WRAP_SHA_256',
      { wrappingSpec: 'RSA_3072', expiry: local });
    const meta = (await sdk.describeKey(new $Kms.DescribeKeyRequest({ keyId }))).keyMetadata;
    const expected = new Date(local).toISOString().replace('.000Z', 'Z');
    assert.equal(meta.materialExpireTime, expected);
    await page.close();
  });

  test('material of the wrong size is refused before anything is sent', async () => {
    const { page } = await open();
    await page.evaluate(() => { location.hash = '#byok'; });
    await page.selectOption('#wz-spec', 'Aliyun_SM4');
    await page.fill('#wz-material', '00'.repeat(32));
    assert.match(await page.locator('#wz-material-status').textContent(), /32 bytes; Aliyun_SM4 needs 16/);
    await page.click('#wz-import');
    assert.match(await page.locator('#wz-import-status').textContent(), /get the import parameters first/);
    assert.equal(await page.locator('#history li').count(), 0);
    await page.close();
  });

  test('the wizard exports a seed entry that restores the key on another qkms', async () => {
    const { page } = await open();
    const { keyId } = await runWizard(page, 'aliyun', 'Aliyun_SM4', 'RSAES_OAEP_SHA_256');
    const blob = (await sdk.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: Buffer.from('seeded').toString('base64') }))).ciphertextBlob;
    await page.click('#wz-seed');
    const seed = await page.locator('#wz-seed-text').textContent();
    assert.match(seed, /^\[\[keys\]\]\nkey_id = /);
    assert.match(seed, /version_id = /);
    const dir = mkdtempSync(path.join(tmpdir(), 'qkms-seed-'));
    const file = path.join(dir, 'seed.toml');
    writeFileSync(file, seed, { mode: 0o600 });
    const other = await startServer({ extraArgs: ['--seed', file] });
    try {
      const back = await makeClient(other).decrypt(new $Kms.DecryptRequest({ ciphertextBlob: blob }));
      assert.equal(Buffer.from(back.plaintext, 'base64').toString(), 'seeded');
    } finally {
      await other.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    await page.close();
  });
});

describe('key dashboard', () => {
  test('lists every key with state, spec, origin, aliases and dates; forbidden actions are greyed with the reason', async () => {
    const kmsKey = (await sdk.createKey(new $Kms.CreateKeyRequest({ description: 'dashboard kms' }))).keyMetadata.keyId;
    await sdk.createAlias(new $Kms.CreateAliasRequest({ keyId: kmsKey, aliasName: 'alias/dashboard' }));
    const external = (await sdk.createKey(new $Kms.CreateKeyRequest({ origin: 'EXTERNAL' }))).keyMetadata.keyId;
    const doomed = (await sdk.createKey(new $Kms.CreateKeyRequest({}))).keyMetadata.keyId;
    await sdk.scheduleKeyDeletion(new $Kms.ScheduleKeyDeletionRequest({ keyId: doomed, pendingWindowInDays: 7 }));
    const { page, problems } = await open('#keys');
    for (const dialect of ['aliyun', 'aws']) {
      await page.selectOption('#dialect', dialect);
      await page.locator(`#keys-table tr[data-key="${doomed}"]`).waitFor();
      const row = (id) => page.locator(`#keys-table tr[data-key="${id}"]`);
      const button = (id, action) => row(id).locator(`button[data-action="${action}"]`);
      assert.match(await row(kmsKey).textContent(), /Enabled/);
      assert.match(await row(kmsKey).textContent(), /alias\/dashboard/);
      assert.ok(await button(kmsKey, 'ImportKeyMaterial').isDisabled());
      assert.equal(await button(kmsKey, 'ImportKeyMaterial').getAttribute('title'), 'ImportKeyMaterial: key is not EXTERNAL');
      assert.match(await row(kmsKey).locator('.reasons').textContent(), /ImportKeyMaterial: key is not EXTERNAL/);
      assert.match(await row(external).textContent(), /PendingImport.*EXTERNAL/);
      assert.equal(await button(external, 'Encrypt').getAttribute('title'), 'Encrypt: key is PendingImport');
      assert.ok(await button(external, 'GetParametersForImport').isEnabled());
      assert.match(await row(doomed).textContent(), /PendingDeletion/);
      assert.match(await row(doomed).locator('td').nth(6).textContent(), /^in (6 d 23 h|7 d 0 h)$/);
      assert.ok(await button(doomed, 'CancelKeyDeletion').isEnabled());
      assert.ok(await button(doomed, 'ScheduleKeyDeletion').isDisabled());
      const rotate = dialect === 'aws' ? 'RotateKeyOnDemand' : 'CreateKeyVersion';
      assert.ok(await button(kmsKey, rotate).isEnabled());
      assert.equal(await button(external, rotate).getAttribute('title'),
        dialect === 'aws' ? 'RotateKeyOnDemand: key is PendingImport' : 'CreateKeyVersion: key is EXTERNAL');
    }
    // An allowed action opens its form for the key.
    await page.locator(`#keys-table tr[data-key="${doomed}"] button[data-action="CancelKeyDeletion"]`).click();
    await page.locator('#title', { hasText: /^CancelKeyDeletion$/ }).waitFor();
    assert.equal(await field(page, 'KeyId').locator('input').inputValue(), doomed);
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe('key dashboard for key pairs', () => {
  test('a signing key offers Sign and GetPublicKey, not Encrypt, and its form starts with a version and an algorithm', async () => {
    const keyId = (await sdk.createKey(new $Kms.CreateKeyRequest({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' }))).keyMetadata.keyId;
    const versions = await sdk.listKeyVersions(new $Kms.ListKeyVersionsRequest({ keyId }));
    const version = versions.keyVersions.keyVersion[0].keyVersionId;
    const { page, problems } = await open('#keys');
    const input = (name) => field(page, name).locator('input, select').first();
    for (const [dialect, sign, algorithm] of [['aliyun', 'AsymmetricSign', 'Algorithm'], ['aws', 'Sign', 'SigningAlgorithm']]) {
      await page.selectOption('#dialect', dialect);
      const row = page.locator(`#keys-table tr[data-key="${keyId}"]`);
      await row.waitFor();
      assert.equal(await row.locator('button[data-action="Encrypt"]').count(), 0);
      assert.ok(await row.locator('button[data-action="GetPublicKey"]').isEnabled());
      await row.locator(`button[data-action="${sign}"]`).click();
      await page.locator('#title', { hasText: new RegExp(`^${sign}$`) }).waitFor();
      assert.equal(await input('KeyId').inputValue(), keyId);
      assert.equal(await input(algorithm).inputValue(), 'ECDSA_SHA_256');
      if (dialect === 'aliyun') assert.equal(await input('KeyVersionId').inputValue(), version);
      await page.evaluate(() => { location.hash = '#keys'; });
    }
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe('blob and token inspector', () => {
  test('decodes a ciphertext blob, names its key, and checks an EncryptionContext', async () => {
    const keyId = (await sdk.createKey(new $Kms.CreateKeyRequest({ keySpec: 'Aliyun_SM4' }))).keyMetadata.keyId;
    const enc = await sdk.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: 'aGk=', encryptionContext: { app: 'demo' } }));
    const { page } = await open('#inspect');
    await page.fill('#ins-input', enc.ciphertextBlob);
    const out = await page.locator('#ins-output').textContent();
    assert.match(out, /kind: blob\nformatVersion: 1\nalgorithm: SM4-GCM/);
    assert.ok(out.includes(`keyId: ${keyId}\nkeyVersionId: ${enc.keyVersionId}\n`), out);
    assert.match(out, /ciphertextLength: 2\n/);
    await page.click('#ins-describe');
    await page.locator('#ins-key', { hasText: /./ }).waitFor();
    assert.match(await page.locator('#ins-key').textContent(), new RegExp(`key ${keyId}: Enabled, Aliyun_SM4`));
    const row = page.locator('#ins-context .kv').last();
    await page.locator('#ins-context button', { hasText: '+ row' }).click();
    await row.locator('input').first().fill('app');
    await page.locator('#ins-context .kv').last().locator('input').nth(1).fill('demo');
    await page.click('#ins-check');
    await page.locator('#ins-match', { hasText: /./ }).waitFor();
    assert.match(await page.locator('#ins-match').textContent(), /^matches/);
    await page.locator('#ins-context .kv').last().locator('input').nth(1).fill('other');
    await page.evaluate(() => { document.getElementById('ins-match').textContent = ''; });
    await page.click('#ins-check');
    await page.locator('#ins-match', { hasText: /./ }).waitFor();
    assert.match(await page.locator('#ins-match').textContent(), /^does not match: InvalidParameter/);
    assert.ok(!(await page.locator('#body').textContent()).includes('aGk='), 'the inspector showed the plaintext');
    await page.close();
  });

  test('decodes an import token: key, wrapping algorithm and spec, expiry', async () => {
    const keyId = (await sdk.createKey(new $Kms.CreateKeyRequest({ origin: 'EXTERNAL' }))).keyMetadata.keyId;
    const p = await sdk.getParametersForImport(new $Kms.GetParametersForImportRequest({
      keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_1', wrappingKeySpec: 'RSA_2048' }));
    const { page } = await open('#inspect');
    await page.fill('#ins-input', p.importToken);
    const out = await page.locator('#ins-output').textContent();
    assert.ok(out.includes(`kind: token\nformatVersion: 2\nkeyId: ${keyId}\nwrappingAlgorithm: RSAES_OAEP_SHA_1\nwrappingKeySpec: RSA_2048\nexpires: ${p.tokenExpireTime}\n`), out);
    assert.match(out, /expiresIn: in (23 h 59 min|24 h 0 min)/);
    await page.fill('#ins-input', 'bm90IGEgYmxvYg==');
    assert.match(await page.locator('#ins-output').textContent(), /neither a ciphertext blob/);
    await page.close();
  });
});

describe('errors, links and exports', () => {
  test('an error code links to its row of the README error table', async () => {
    const { page } = await open();
    await page.fill('#secret', 'wrong');
    const res = await call(page, 'aws', 'ListKeys');
    assert.equal(res.body.__type, 'InvalidSignatureException');
    await page.locator('#code a').click();
    const hit = page.locator('#errors-tables tr.hit');
    await hit.waitFor();
    assert.match(await hit.textContent(), /400InvalidSignatureExceptionwrong signature/);
    await page.close();
  });

  test('a deep link fills the form with its non-secret values, and Copy link leaves secrets out', async () => {
    const ctx = encodeURIComponent('{"app":"demo"}');
    const { page } = await open(`#aliyun/Encrypt?KeyId=alias%2Fdeep&EncryptionContext=${ctx}`);
    await page.locator('#title', { hasText: /^Encrypt$/ }).waitFor();
    assert.equal(await field(page, 'KeyId').locator('input').inputValue(), 'alias/deep');
    const row = field(page, 'EncryptionContext').locator('.kv input');
    assert.deepEqual([await row.nth(0).inputValue(), await row.nth(1).inputValue()], ['app', 'demo']);
    await field(page, 'Plaintext').locator('textarea').fill('c2VjcmV0');
    await page.click('#copy-link');
    const link = await page.locator('#snippet').textContent();
    assert.ok(link.startsWith(`http://${server.endpoint}/explorer#aliyun/Encrypt?`), link);
    assert.ok(link.includes('KeyId=alias%2Fdeep') && !link.includes('Plaintext') && !link.includes('c2VjcmV0'), link);
    assert.ok(!(await kept(page)).includes(SECRET));
    await page.close();
  });

  test('a call exported as a raw-HTTP fixture is accepted by another qkms', async () => {
    const { page } = await open();
    for (const [dialect, scheme] of [['aliyun', 'acs3'], ['aliyun', 'v1'], ['aws', 'sigv4']]) {
      await page.selectOption('#dialect', dialect);
      await page.selectOption('#scheme', scheme);
      const res = await call(page, dialect, 'CreateKey', async () => {
        await field(page, 'Description').locator('input').fill('fixture é');
      });
      assert.match(res.status, /^200/);
      await page.click('#export-fixture');
      const fixture = await page.locator('#export-box').textContent();
      assert.match(fixture, /^POST \/\S* HTTP\/1\.1\nHost: /);
      assert.ok(!fixture.includes(SECRET));
      const other = await startServer();
      try {
        const answer = await sendRaw(other, fixture);
        assert.match(answer, /^HTTP\/1\.1 200 /, answer);
        assert.match(answer, /"Description":"fixture é"/, answer);
      } finally {
        await other.stop();
      }
    }
    await page.close();
  });

  test('a key is exported as a seed entry from the last KeyMetadata', async () => {
    const { page } = await open();
    await call(page, 'aliyun', 'CreateKey', async () => {
      await field(page, 'Description').locator('input').fill('seed me');
    });
    await page.click('#export-seed');
    const seed = await page.locator('#export-box').textContent();
    assert.match(seed, /^\[\[keys\]\]\nkey_id = "[0-9a-f-]{36}"\nkey_spec = "Aliyun_AES_256"\norigin = "Aliyun_KMS"\ndescription = "seed me"\ncreation_date = "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\n# no \[\[keys.versions\]\]/);
    await page.close();
  });
});

/** Sends a fixture's bytes to a server as they are; the raw answer. */
function sendRaw(target, fixture) {
  const [head, body] = [fixture.slice(0, fixture.indexOf('\n\n')), fixture.slice(fixture.indexOf('\n\n') + 2)];
  // Host stays the original server's: it is signed, and qkms does not route by it.
  const lines = head.split('\n');
  return new Promise((resolve, reject) => {
    const socket = net.connect(target.port, target.host, () => {
      socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`), Buffer.from(body)]));
    });
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
  });
}

describe('copy as', () => {
  const env = { ...process.env, ALIBABA_CLOUD_ACCESS_KEY_ID: 'testid', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'testsecret',
    AWS_ACCESS_KEY_ID: 'testid', AWS_SECRET_ACCESS_KEY: 'testsecret', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
  const dir = mkdtempSync(path.join(tmpdir(), 'qkms-snippets-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const RUNNERS = {
    'python-tea': (f) => [path.join(VENV, 'python'), [f]],
    'python-classic': (f) => [path.join(VENV, 'python'), [f]],
    boto3: (f) => [path.join(VENV, 'python'), [f]],
    'node-alicloud': (f) => ['node', [f]],
    'node-aws': (f) => ['node', [f]],
    'aws-cli': (f) => ['bash', [f]],
    curl: (f) => ['bash', [f]],
  };
  const EXT = { 'node-alicloud': 'mjs', 'node-aws': 'mjs', 'python-tea': 'py', 'python-classic': 'py', boto3: 'py' };

  async function runSnippet(page, lang) {
    await page.selectOption('#snippet-lang', lang);
    await page.click('#copy-snippet');
    const code = await page.locator('#snippet').textContent();
    assert.ok(!code.includes('testsecret'), code);
    const file = path.join(EXT[lang] ? path.resolve(`snippet-${lang}.${EXT[lang]}`) : path.join(dir, `${lang}.sh`));
    writeFileSync(file, code);
    try {
      const [cmd, args] = RUNNERS[lang](file);
      const env2 = lang.startsWith('aws-cli') ? { ...env, PATH: `${VENV}:${process.env.PATH}` } : env;
      const out = execFileSync(cmd, args, { env: env2, encoding: 'utf8', timeout: 60000 });
      // The AWS CLI pretty-prints; the others print one line.
      return JSON.parse(out.trim());
    } finally {
      if (EXT[lang]) rmSync(file, { force: true });
    }
  }

  for (const [dialect, langs] of [['aliyun', ['python-tea', 'python-classic', 'node-alicloud', 'curl']], ['aws', ['boto3', 'node-aws', 'aws-cli', 'curl']]]) {
    test(`${dialect}: Encrypt with an EncryptionContext as ${langs.join(', ')}, run with the real clients`, async () => {
      assert.ok(existsSync(path.join(VENV, 'python')), 'the venv of scripts/test is missing');
      const keyId = (await sdk.createKey(new $Kms.CreateKeyRequest({}))).keyMetadata.keyId;
      const { page } = await open();
      await page.selectOption('#dialect', dialect);
      await page.evaluate((h) => { location.hash = h; }, `#${dialect}/Encrypt`);
      await page.locator('#title', { hasText: /^Encrypt$/ }).waitFor();
      await field(page, 'KeyId').locator('input').fill(keyId);
      await field(page, 'Plaintext').locator('select').selectOption('utf-8');
      await field(page, 'Plaintext').locator('textarea').fill('from a snippet');
      const ctx = field(page, 'EncryptionContext');
      await ctx.locator('button', { hasText: '+ row' }).click();
      await ctx.locator('.kv input').nth(0).fill('purpose');
      await ctx.locator('.kv input').nth(1).fill('snippet test');
      for (const lang of langs) {
        const out = await runSnippet(page, lang);
        const blob = out.CiphertextBlob ?? out.ciphertextBlob;
        assert.ok(blob, `${lang}: ${JSON.stringify(out)}`);
        const back = await sdk.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: blob, encryptionContext: { purpose: 'snippet test' } }));
        assert.equal(Buffer.from(back.plaintext, 'base64').toString(), 'from a snippet', lang);
      }
      await page.screenshot({ path: path.join(SHOTS, `snippet-${dialect}.png`), fullPage: true });
      await page.close();
    });
  }
});
