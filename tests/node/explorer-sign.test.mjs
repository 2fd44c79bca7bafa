// The explorer's browser signer (src/explorer/sign.js, WebCrypto only) against the shared
// known-answer vectors in tests/vectors/signing.json, which the Rust signer's tests read too.
// Node's global WebCrypto is the same API the page uses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { aliyunAcs, aliyunV1, awsSigV4, canonicalQuery, pct } from '../../src/explorer/sign.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/signing.json', import.meta.url), 'utf8'));

test('RFC 3986 encoding as Aliyun signs it', () => {
  assert.equal(pct("a b*~!'()/+="), 'a%20b%2A~%21%27%28%29%2F%2B%3D');
  assert.equal(pct('ü'), '%C3%BC');
  assert.equal(canonicalQuery({ b: '2', a: '1', B: '0' }), 'B=0&a=1&b=2');
});

for (const v of vectors.aliyun_v1) {
  test(`Aliyun v1 ${v.name}`, async () => {
    const { stringToSign, signature } = await aliyunV1(v.method, v.params, v.secret);
    assert.equal(stringToSign, v.string_to_sign);
    assert.equal(signature, v.signature);
  });
}

for (const [list, region] of [[vectors.aliyun_acs3, undefined], [vectors.aliyun_acs4, 'cn-hangzhou']]) {
  for (const v of list) {
    test(`Aliyun ${region ? 'ACS4' : 'ACS3'} ${v.name}`, async () => {
      const out = await aliyunAcs({
        method: v.method, query: v.query, headers: v.headers, body: v.body,
        accessKeyId: v.access_key_id, secret: v.secret, region: v.region,
      });
      if (v.string_to_sign) assert.equal(out.stringToSign, v.string_to_sign);
      if (v.signing_key_hex) assert.equal(out.signingKey, v.signing_key_hex);
      assert.equal(out.authorization, v.authorization);
    });
  }
}

for (const v of vectors.aws_sigv4) {
  test(`AWS SigV4 ${v.name}`, async () => {
    const out = await awsSigV4({
      host: v.host, target: v.target, body: v.body, accessKeyId: v.access_key_id,
      secret: v.secret, region: v.region, amzDate: v.amz_date,
    });
    assert.equal(out.stringToSign, v.string_to_sign);
    assert.equal(out.signingKey, v.signing_key_hex);
    assert.equal(out.signature, v.signature);
    assert.equal(out.headers.host, undefined, 'the browser sets host itself');
  });
}
