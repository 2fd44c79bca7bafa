// Wrapping key material for ImportKeyMaterial in the browser, so unwrapped material never
// leaves the page. WebCrypto does RSA-OAEP (SHA-1 and SHA-256, MGF1 with the same hash) and
// AES; what it lacks is written here, small and checked by the BYOK browser tests against
// qkms's own unwrap: RSAES-PKCS1-v1_5 encryption (RFC 8017 §7.2.1, with BigInt) and AES key
// wrap with padding (RFC 5649), built from single AES blocks (AES-CBC with a zero IV on one
// block is the raw block cipher; WebCrypto's AES-KW has the fixed RFC 3394 IV only).

/** Reads one DER TLV at `at`: its tag, and where its value starts and ends. */
function tlv(der, at) {
  const tag = der[at];
  let len = der[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
    start += n;
  }
  if (start + len > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

const toBigInt = (bytes) => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);

function toBytes(n, length) {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) { out[i] = Number(n & 0xffn); n >>= 8n; }
  return out;
}

/** Modulus, exponent and modulus length in bytes of an RSA SubjectPublicKeyInfo (DER). */
export function rsaPublicKey(spki) {
  const outer = tlv(spki, 0);
  const algorithm = tlv(spki, outer.start);
  const bits = tlv(spki, algorithm.end);
  if (outer.tag !== 0x30 || algorithm.tag !== 0x30 || bits.tag !== 0x03) throw new Error('not a SubjectPublicKeyInfo');
  const seq = tlv(spki, bits.start + 1); // skip the unused-bits byte
  const n = tlv(spki, seq.start);
  const e = tlv(spki, n.end);
  if (n.tag !== 0x02 || e.tag !== 0x02) throw new Error('not an RSA public key');
  const modulus = toBigInt(spki.subarray(n.start, n.end));
  return { n: modulus, e: toBigInt(spki.subarray(e.start, e.end)), k: Math.ceil(modulus.toString(16).length / 2) };
}

function modPow(base, exp, mod) {
  let result = 1n;
  base %= mod;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % mod;
    base = (base * base) % mod;
    exp >>= 1n;
  }
  return result;
}

/** RSAES-PKCS1-v1_5 encryption of `message` under an RSA SubjectPublicKeyInfo. */
export function rsaPkcs1v15(spki, message) {
  const { n, e, k } = rsaPublicKey(spki);
  if (message.length > k - 11) throw new Error('message too long for the key');
  const ps = new Uint8Array(k - message.length - 3);
  for (let i = 0; i < ps.length; i++) {
    let b = 0;
    while (b === 0) b = crypto.getRandomValues(new Uint8Array(1))[0];
    ps[i] = b;
  }
  const em = new Uint8Array(k);
  em[1] = 2;
  em.set(ps, 2);
  em.set(message, ps.length + 3);
  return toBytes(modPow(toBigInt(em), e, n), k);
}

/** RSAES-OAEP with `hash` ('SHA-1' or 'SHA-256') and MGF1 of the same hash. */
export async function rsaOaep(spki, hash, message) {
  const key = await crypto.subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash }, false, ['encrypt']);
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, message));
}

/** AES key wrap with padding (RFC 5649) of `plain` under the raw AES key `kek`. */
export async function aesKeyWrapPadded(kek, plain) {
  const key = await crypto.subtle.importKey('raw', kek, 'AES-CBC', false, ['encrypt']);
  const zero = new Uint8Array(16);
  const block = async (b) => new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: zero }, key, b)).slice(0, 16);
  const padded = new Uint8Array(Math.ceil(plain.length / 8) * 8);
  padded.set(plain);
  const a = new Uint8Array([0xa6, 0x59, 0x59, 0xa6, ...toBytes(BigInt(plain.length), 4)]);
  if (padded.length === 8) return block(new Uint8Array([...a, ...padded]));
  const n = padded.length / 8;
  const r = Array.from({ length: n }, (_, i) => padded.slice(i * 8, i * 8 + 8));
  for (let j = 0; j < 6; j++) {
    for (let i = 0; i < n; i++) {
      const b = await block(new Uint8Array([...a, ...r[i]]));
      const t = toBytes(BigInt(n * j + i + 1), 8);
      for (let x = 0; x < 8; x++) a[x] = b[x] ^ t[x];
      r[i] = b.slice(8);
    }
  }
  const out = new Uint8Array(8 + padded.length);
  out.set(a);
  r.forEach((ri, i) => out.set(ri, 8 + i * 8));
  return out;
}

/**
 * `material` wrapped as `algorithm` (the wire name) under the wrapping public key `spki`.
 * RSA_AES_KEY_WRAP_*: OAEP of a fresh AES-256 key, then that key's RFC 5649 wrap of the
 * material (PKCS #11 CKM_RSA_AES_KEY_WRAP, as AWS documents it).
 */
export async function wrapMaterial(algorithm, spki, material) {
  switch (algorithm) {
    case 'RSAES_PKCS1_V1_5': return rsaPkcs1v15(spki, material);
    case 'RSAES_OAEP_SHA_1': return rsaOaep(spki, 'SHA-1', material);
    case 'RSAES_OAEP_SHA_256': return rsaOaep(spki, 'SHA-256', material);
    case 'RSA_AES_KEY_WRAP_SHA_1':
    case 'RSA_AES_KEY_WRAP_SHA_256': {
      const aes = crypto.getRandomValues(new Uint8Array(32));
      const head = await rsaOaep(spki, algorithm.endsWith('_1') ? 'SHA-1' : 'SHA-256', aes);
      const tail = await aesKeyWrapPadded(aes, material);
      aes.fill(0);
      return new Uint8Array([...head, ...tail]);
    }
    default: throw new Error(`the page cannot wrap with ${algorithm}`);
  }
}
