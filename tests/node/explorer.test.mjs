// The explorer in a real browser: Debian's Chromium driven by playwright-core (pinned in
// package.json; scripts/test installs Chromium when it is missing). CHROMIUM overrides the
// browser path. The page is served by a live qkms and signs every request itself.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { SECRET, SHOTS, call, field, kept, open as openPage, startBrowser } from './browser.mjs';

let server;
let browser;
let stop;

before(async () => {
  ({ server, browser, stop } = await startBrowser());
  console.log(`# explorer screenshots in ${SHOTS}`);
});

after(async () => { await stop?.(); });

const open = (url = `http://${server.endpoint}/explorer`) => openPage(browser, url);

async function roundTrip(page, dialect, scheme) {
  await page.selectOption('#dialect', dialect);
  await page.selectOption('#scheme', scheme);
  await page.fill('#secret', SECRET);
  const created = await call(page, dialect, 'CreateKey', async () => {
    await field(page, 'Description').locator('input').fill(`explorer ${scheme}`);
  });
  assert.match(created.status, /^200/, JSON.stringify(created.body));
  const keyId = created.body.KeyMetadata.KeyId;
  const enc = await call(page, dialect, 'Encrypt', async () => {
    await field(page, 'KeyId').locator('input').fill(keyId);
    await field(page, 'Plaintext').locator('select').selectOption('utf-8');
    await field(page, 'Plaintext').locator('textarea').fill(`hello from ${scheme}`);
  });
  assert.match(enc.status, /^200/, JSON.stringify(enc.body));
  const dec = await call(page, dialect, 'Decrypt', async () => {
    await field(page, 'CiphertextBlob').locator('textarea').fill(enc.body.CiphertextBlob);
  });
  assert.match(dec.status, /^200/, JSON.stringify(dec.body));
  assert.equal(Buffer.from(dec.body.Plaintext, 'base64').toString(), `hello from ${scheme}`);
}

test('the page loads with no console error and no CSP violation, and lists both dialects', async () => {
  const { page, problems } = await open();
  await page.locator('#actions li').first().waitFor();
  const aliyun = await page.locator('#actions li').count();
  await page.selectOption('#dialect', 'aws');
  const aws = await page.locator('#actions li').count();
  assert.ok(aliyun >= 20 && aws >= 20, `${aliyun} ${aws}`);
  assert.deepEqual(problems, []);
  assert.deepEqual(await page.evaluate(() => window.__csp ?? []), []);
  const csp = (await page.request.get(`http://${server.endpoint}/explorer`)).headers()['content-security-policy'];
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  await page.close();
});

for (const [dialect, scheme] of [['aliyun', 'acs3'], ['aliyun', 'v1'], ['aliyun', 'acs4'], ['aws', 'sigv4']]) {
  test(`CreateKey, Encrypt and Decrypt through the forms: ${dialect} ${scheme}`, async () => {
    const { page, problems } = await open();
    await page.locator('#actions li').first().waitFor();
    await roundTrip(page, dialect, scheme);
    assert.equal(await page.locator('#history li').count(), 3);
    assert.deepEqual(problems, []);
    // Nothing secret was kept: no storage without the opt-in, nothing in the URL.
    const stored = await kept(page);
    assert.ok(!stored.includes(SECRET), stored);
    await page.close();
  });
}

test('a wrong secret shows the server string to sign beside the page', async () => {
  const { page } = await open();
  await page.locator('#actions li').first().waitFor();
  await page.selectOption('#scheme', 'v1');
  await page.fill('#secret', 'not-the-secret');
  const res = await call(page, 'aliyun', 'DescribeRegions');
  assert.match(res.status, /^400/);
  assert.equal(res.body.Code, 'SignatureDoesNotMatch');
  assert.ok(await page.locator('#theirs-box').isVisible());
  const ours = await page.locator('#ours').textContent();
  const theirs = await page.locator('#theirs').textContent();
  assert.ok(ours.includes(theirs.trim()), `${ours}\n---\n${theirs}`);
  await page.close();
});

test('remember for this tab uses sessionStorage only, and Forget clears it', async () => {
  const { page } = await open();
  await page.fill('#secret', SECRET);
  await page.check('#remember');
  assert.ok((await page.evaluate(() => sessionStorage.getItem('qkms-explorer-credentials'))).includes(SECRET));
  assert.ok(!(await page.evaluate(() => JSON.stringify({ ...localStorage }))).includes(SECRET));
  await page.click('#forget');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal(await page.inputValue('#secret'), '');
  await page.close();
});

test('a non-loopback http origin explains that it cannot sign', async () => {
  const { page } = await open(`http://qkms.test:${server.port}/explorer`);
  await page.locator('#insecure').waitFor({ state: 'visible' });
  assert.match(await page.locator('#insecure').textContent(), /not a secure context/);
  assert.equal(await page.evaluate(() => window.isSecureContext), false);
  await page.close();
});

test('screenshots of the main views, light and dark', async () => {
  const views = [['import', '#aliyun/ImportKeyMaterial', '#title'], ['byok', '#byok', '#view-byok'],
    ['keys', '#keys', '#keys-status:text-matches("keys \\\\(")'], ['inspect', '#inspect', '#view-inspect'], ['errors', '#errors', '#errors-tables table']];
  for (const scheme of ['light', 'dark']) {
    const page = await browser.newPage({ colorScheme: scheme });
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`http://${server.endpoint}/explorer`);
    await page.locator('#actions li').first().waitFor();
    for (const [name, hash, ready] of views) {
      await page.evaluate((h) => { location.hash = h; }, hash);
      await page.locator(ready).first().waitFor();
      const file = path.join(SHOTS, `${name}-${scheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      assert.ok(statSync(file).size > 10000, file);
    }
    await page.close();
  }
});
