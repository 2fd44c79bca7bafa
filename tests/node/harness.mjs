// Starts the real qkms binary for the Node SDK tests and builds SDK clients.
import { spawn } from 'node:child_process';
import { createPublicKey, publicEncrypt, constants } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import kms from '@alicloud/kms20160120';

const here = path.dirname(fileURLToPath(import.meta.url));
export const QKMS_BIN = process.env.QKMS_BIN || path.resolve(here, '../../target/debug/qkms');
export const ADMIN_SECRET = 'node-admin-secret';
export const Client = kms.default;
export const $Kms = kms;

export async function startServer({ clock, admin = ADMIN_SECRET, extraArgs = [] } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'qkms-node-'));
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir];
  if (admin) args.push('--admin', admin);
  if (clock) args.push('--clock', clock);
  args.push(...extraArgs);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('QKMS_')));
  const proc = spawn(QKMS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  proc.stderr.on('data', (chunk) => { stderr += chunk; });

  // One address line per listener: with --listen-tls, the second is the https one.
  const lines = extraArgs.includes('--listen-tls') ? 2 : 1;
  const [address, tlsAddress] = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`qkms printed no address: ${stderr}`)), 30000);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`qkms exited with ${code}: ${stderr}`)); });
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const got = out.split('\n');
      if (got.length > lines) { clearTimeout(timer); resolve(got.slice(0, lines).map((l) => l.trim())); }
    });
  });
  proc.stdout.resume(); // keep draining
  const match = /^(127\.0\.0\.1):(\d+)$/.exec(address);
  if (!match) throw new Error(`first stdout line is not an address: ${address}`);
  const server = {
    proc, host: match[1], port: Number(match[2]), endpoint: address, tlsAddress, dataDir, admin,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
    async clock(body) {
      const res = await fetch(`http://${address}/_qkms/clock`, {
        method: body ? 'POST' : 'GET',
        headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (res.status !== 200) throw new Error(`admin clock: ${res.status} ${await res.text()}`);
      return res.json();
    },
  };
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://${address}/healthz`);
      if (res.status === 200) return server;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.stop();
  throw new Error('/healthz never answered 200');
}

export function makeClient(server, { accessKeyId = 'testid', accessKeySecret = 'testsecret' } = {}) {
  return new Client({
    accessKeyId,
    accessKeySecret,
    endpoint: server.endpoint,
    protocol: 'http',
    regionId: 'cn-hangzhou',
  });
}

// Wrap key material with the base64 DER SubjectPublicKeyInfo from GetParametersForImport.
export function wrapMaterial(material, publicKeyB64, algorithm = 'RSAES_OAEP_SHA_256') {
  const key = createPublicKey({ key: Buffer.from(publicKeyB64, 'base64'), format: 'der', type: 'spki' });
  const options = { key };
  if (algorithm === 'RSAES_OAEP_SHA_256') {
    options.padding = constants.RSA_PKCS1_OAEP_PADDING;
    options.oaepHash = 'sha256';
  } else if (algorithm === 'RSAES_OAEP_SHA_1') {
    options.padding = constants.RSA_PKCS1_OAEP_PADDING;
    options.oaepHash = 'sha1';
  } else if (algorithm === 'RSAES_PKCS1_V1_5') {
    options.padding = constants.RSA_PKCS1_PADDING;
  } else {
    throw new Error(`unknown algorithm ${algorithm}`);
  }
  return publicEncrypt(options, material).toString('base64');
}

export const b64 = (buf) => Buffer.from(buf).toString('base64');
