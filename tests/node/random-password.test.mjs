// GetRandomPassword with the official Node SDK (@alicloud/kms20160120 1.2.0, v1 HMAC-SHA1):
// the only one of the newer Aliyun actions that SDK has.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { $Kms, makeClient, startServer } from './harness.mjs';

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

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

const password = async (opts) => (await client.getRandomPassword(new $Kms.GetRandomPasswordRequest(opts))).randomPassword;

test('GetRandomPassword: defaults, length and exclusions', async () => {
  const p = await password({});
  assert.equal(p.length, 32);
  for (const re of [/[a-z]/, /[A-Z]/, /[0-9]/]) assert.match(p, re);
  assert.ok([...p].some((c) => PUNCTUATION.includes(c)), p);

  const digits = await password({
    passwordLength: '64', excludeLowercase: 'true', excludeUppercase: 'true', excludePunctuation: 'true',
  });
  assert.match(digits, /^[0-9]{64}$/);
  const noAbc = await password({ passwordLength: '128', excludeCharacters: 'abc' });
  assert.equal(noAbc.length, 128);
  assert.doesNotMatch(noAbc, /[abc]/);

  await assert.rejects(password({ passwordLength: '7' }), (err) => {
    assert.equal(err.data?.Code, 'InvalidParameter');
    assert.match(err.message, /code: 400, /);
    return true;
  });
});
