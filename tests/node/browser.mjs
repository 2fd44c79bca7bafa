// Shared set-up of the explorer's browser suites: a live qkms, Debian's Chromium driven by
// playwright-core (pinned in package.json; scripts/test installs Chromium when missing;
// CHROMIUM overrides the path), and helpers that use the page as a person would.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { startServer } from './harness.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = process.env.EXPLORER_SCREENSHOTS || path.resolve('../../target/explorer-screenshots');
export const SECRET = 'testsecret';

/** Starts qkms and Chromium; `stop()` closes both and fails on any 5xx or panic. */
export async function startBrowser(serverOptions = {}) {
  const server = await startServer(serverOptions);
  const profile = mkdtempSync(path.join(tmpdir(), 'qkms-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--no-proxy-server',
      '--host-resolver-rules=MAP qkms.test 127.0.0.1'],
  });
  mkdirSync(SHOTS, { recursive: true });
  const stop = async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
    await server.stop();
    const bad = server.stderr().split('\n').filter((l) => /\bstatus=5\d\d\b|panicked/.test(l));
    assert.deepEqual(bad, [], 'the server answered 5xx or panicked');
  };
  return { server, browser, stop };
}

/** A fresh page that records console errors and CSP violations in `problems`. */
export async function open(browser, url) {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp = [...(window.__csp ?? []), `${e.violatedDirective} ${e.blockedURI}`];
    });
  });
  await page.goto(url);
  await page.locator('#actions li').first().waitFor();
  return { page, problems };
}

/** The form field box of member `name`. */
export const field = (page, name) => page.locator('.field', { has: page.locator('.name', { hasText: new RegExp(`^${name}$`) }) });

/** Opens an action's form by its deep link, fills it, sends it; the parsed answer. */
export async function call(page, dialect, action, fill = async () => {}) {
  await page.evaluate((h) => { location.hash = h; }, `#${dialect}/${action}`);
  await page.locator('#title', { hasText: new RegExp(`^${action}$`) }).waitFor();
  await fill();
  const before = await page.locator('#history li').count();
  await page.click('#send');
  await page.waitForFunction((n) => document.querySelectorAll('#history li').length > n, before);
  const status = await page.locator('#status').textContent();
  const body = await page.locator('#body').textContent();
  return { status, body: JSON.parse(body) };
}

/** What the page keeps anywhere a secret must never be: storage and the URL. */
export const kept = (page) => page.evaluate(() => JSON.stringify({ l: { ...localStorage }, s: { ...sessionStorage }, u: location.href }));
