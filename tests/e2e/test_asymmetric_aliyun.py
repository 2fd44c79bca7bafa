"""Key pairs, HMAC keys and SM2 wrapping through the Aliyun SDKs (Tea, and the classic SDK
for one path), checked against local implementations: Python `cryptography` for RSA and
ECDSA, `gmssl` 3.2.2 for SM2 and SM3 (its gotchas: public keys and C1 carry no `04` tag,
mode 0 is C1C2C3, and decrypt never checks C3, so it is never a failure oracle here).

One server for the module, with a fixed clock (CreateKeyVersion needs 7 days to pass) and a
seed file of keys whose private halves the test holds, so that signing and decrypting can
be checked in both directions: one key pair per spec × usage (four RSA keys, made once)
and the HMAC keys. The SM2 signing key is the GB/T 32918 example key of the crypto sheet,
whose vectors are checked too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from gmssl import sm2 as gm_sm2
from gmssl import sm3 as gm_sm3

from qkms_harness import QkmsServer, b64, expect_error, make_caller, unb64

SM2_SPKI_PREFIX = base64.b64decode("MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE")  # ends with the 04 tag
SM2_ID = b"1234567812345678"
SM2_N = int(gm_sm2.default_ecc_table["n"], 16)
CURVE_N = {
    "EC_P256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "EC_P256K": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
}
HMAC_KEYS = {  # spec -> (key id, material, hash): a key of the digest's length each
    "HMAC_SHA_224": ("0c0c0c0c-0000-4000-8000-000000000224", bytes(range(28)), hashlib.sha224),
    "HMAC_SHA_256": ("0c0c0c0c-0000-4000-8000-000000000256", bytes(range(1, 33)), hashlib.sha256),
    "HMAC_SHA_384": ("0c0c0c0c-0000-4000-8000-000000000384", bytes(range(2, 50)), hashlib.sha384),
    "HMAC_SHA_512": ("0c0c0c0c-0000-4000-8000-000000000512", bytes(range(3, 67)), hashlib.sha512),
    "HMAC_SM3": ("0c0c0c0c-0000-4000-8000-000000000003", bytes(range(4, 36)), None),
}


def sm3(data: bytes) -> bytes:
    return bytes.fromhex(gm_sm3.sm3_hash(list(data)))


def hmac_sm3(key: bytes, msg: bytes) -> bytes:
    """RFC 2104 over gmssl's SM3 (block 64 bytes)."""
    key = key.ljust(64, b"\0")
    inner = sm3(bytes(k ^ 0x36 for k in key) + msg)
    return sm3(bytes(k ^ 0x5C for k in key) + inner)


def sm2_public_hex(pem: str) -> str:
    """x‖y hex (no tag, as gmssl wants) from GetPublicKey's PEM, after checking the SPKI."""
    der = pem_der(pem)
    assert len(der) == 91 and der[:27] == SM2_SPKI_PREFIX, der.hex()
    return der[27:].hex()


def sm2_e(public_hex: str, msg: bytes) -> bytes:
    """The Digest AsymmetricSign takes for SM2DSA: e = SM3(Z_A ‖ M), default ID."""
    t = gm_sm2.default_ecc_table
    z = sm3(len(SM2_ID * 8).to_bytes(2, "big") + SM2_ID
            + bytes.fromhex(t["a"] + t["b"] + t["g"] + public_hex))
    return sm3(z + msg)


def gm(public_hex: str, private_hex: str | None = None, mode: int = 1) -> gm_sm2.CryptSM2:
    c = gm_sm2.CryptSM2(private_key=private_hex, public_key="", mode=mode)
    c.public_key = public_hex  # the constructor's lstrip("04") would eat a leading 0 or 4
    return c


def pem_der(pem: str) -> bytes:
    lines = pem.split("\n")
    assert pem.endswith("-----END PUBLIC KEY-----\n"), pem
    assert lines[0] == "-----BEGIN PUBLIC KEY-----" and lines[-1] == "", pem
    body = lines[1:-2]
    assert all(len(line) == 64 for line in body[:-1]) and 0 < len(body[-1]) <= 64, pem
    return base64.b64decode("".join(body))


# The sheet's SM2 vectors (§9): the example key, its GetPublicKey body, e for "message
# digest" and the fixed-k signature.
SM2_EXAMPLE_D = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
SM2_EXAMPLE_SPKI = ("MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAECfnfMR5UIaFQ3X0WHkvFxnIXn60YM/wHa7CP81bzUCDM6kkM4md1pS3G6nGM"
                    "wapgCu0F+/NeCEpmMvYHLamtEw==")
SM2_EXAMPLE_E = "8LQ+lLpFrMqs5pLtU0OC6xfmq1oZznsx9Ehv38DShkA="
SM2_EXAMPLE_SIG = "MEYCIQD1oDsGSNLEYw7qxRPhu4GhWUTaOCfVt0FDrH6s7ucgswIhALG2qinfIS/YdjGCvA1CHKG7kDj9H39C1IQLacSFu8Gq"


def der_len(n: int) -> bytes:
    return bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82]) + n.to_bytes(2, "big")


def der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + der_len(len(body)) + body


def der_int(v: int) -> bytes:
    raw = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return der(0x02, raw)


def sm2_pkcs8(d_hex: str) -> bytes:
    """PKCS #8 of an SM2 private key (id-ecPublicKey, curve SM2), built by hand: the Python
    `cryptography` package has no SM2."""
    alg = der(0x30, der(0x06, bytes.fromhex("2a8648ce3d0201")) + der(0x06, bytes.fromhex("2a811ccf5501822d")))
    ec_private = der(0x30, der_int(1) + der(0x04, bytes.fromhex(d_hex)))
    return der(0x30, der_int(0) + alg + der(0x04, ec_private))


def sm2_der_ciphertext(raw_c1c3c2: bytes) -> bytes:
    """GM/T 0009 DER of a tagless C1‖C3‖C2: SEQUENCE {x, y, C3, C2}."""
    x, y, c3, c2 = raw_c1c3c2[:32], raw_c1c3c2[32:64], raw_c1c3c2[64:96], raw_c1c3c2[96:]
    return der(0x30, der_int(int.from_bytes(x, "big")) + der_int(int.from_bytes(y, "big"))
               + der(0x04, c3) + der(0x04, c2))


def pkcs8(private) -> bytes:
    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


SEEDED = {  # name -> (key id, version id, spec, usage)
    "rsa2048-sign": ("0d0d0d0d-0000-4000-8000-000000000001", "RSA_2048", "SIGN/VERIFY"),
    "rsa3072-sign": ("0d0d0d0d-0000-4000-8000-000000000002", "RSA_3072", "SIGN/VERIFY"),
    "rsa2048-enc": ("0d0d0d0d-0000-4000-8000-000000000003", "RSA_2048", "ENCRYPT/DECRYPT"),
    "rsa3072-enc": ("0d0d0d0d-0000-4000-8000-000000000004", "RSA_3072", "ENCRYPT/DECRYPT"),
    "p256": ("0d0d0d0d-0000-4000-8000-000000000005", "EC_P256", "SIGN/VERIFY"),
    "p256k": ("0d0d0d0d-0000-4000-8000-000000000006", "EC_P256K", "SIGN/VERIFY"),
    "sm2-sign": ("0d0d0d0d-0000-4000-8000-000000000007", "EC_SM2", "SIGN/VERIFY"),
    "sm2-enc": ("0d0d0d0d-0000-4000-8000-000000000008", "EC_SM2", "ENCRYPT/DECRYPT"),
}


class Pair:
    """A seeded key pair: its IDs and the local private key (cryptography object, or SM2 hex)."""

    def __init__(self, name: str, private):
        self.key_id, self.spec, self.usage = SEEDED[name]
        self.version = self.key_id[:-3] + "f" + self.key_id[-2:]
        self.private = private

    @property
    def material(self) -> bytes:
        return sm2_pkcs8(self.private) if isinstance(self.private, str) else pkcs8(self.private)

    @property
    def sm2_public_hex(self) -> str:
        return gm_sm2.CryptSM2(private_key=self.private, public_key="")._kg(int(self.private, 16), gm_sm2.default_ecc_table["g"])


def seeded_pairs() -> dict[str, Pair]:
    rsa2048 = lambda: rsa.generate_private_key(65537, 2048)  # noqa: E731
    rsa3072 = lambda: rsa.generate_private_key(65537, 3072)  # noqa: E731
    return {
        "rsa2048-sign": Pair("rsa2048-sign", rsa2048()),
        "rsa3072-sign": Pair("rsa3072-sign", rsa3072()),
        "rsa2048-enc": Pair("rsa2048-enc", rsa2048()),
        "rsa3072-enc": Pair("rsa3072-enc", rsa3072()),
        "p256": Pair("p256", ec.generate_private_key(ec.SECP256R1())),
        "p256k": Pair("p256k", ec.generate_private_key(ec.SECP256K1())),
        "sm2-sign": Pair("sm2-sign", SM2_EXAMPLE_D.lower()),
        "sm2-enc": Pair("sm2-enc", "%064x" % (secrets.randbelow(SM2_N - 2) + 1)),
    }


@pytest.fixture(scope="module")
def pairs() -> dict[str, Pair]:
    return seeded_pairs()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, pairs):
    root = tmp_path_factory.mktemp("asym")
    entries = [(kid, spec, None, mat, kid[:-3] + "f" + kid[-2:]) for spec, (kid, mat, _) in HMAC_KEYS.items()]
    entries += [(p.key_id, p.spec, p.usage, p.material, p.version) for p in pairs.values()]
    seed = root / "seed.toml"
    seed.write_text("".join(
        f'[[keys]]\nkey_id = "{kid}"\nkey_spec = "{spec}"\n' + (f'key_usage = "{usage}"\n' if usage else "")
        + f'\n[[keys.versions]]\nversion_id = "{ver}"\nmaterial_base64 = "{b64(mat)}"\n\n'
        for kid, spec, usage, mat, ver in entries))
    server = QkmsServer(root / "run", ephemeral=True, clock="fixed:2030-01-01T00:00:00Z",
                        extra_args=("--seed", str(seed)))
    server.start()
    yield server
    server.stop()
    assert not server.server_errors(), "\n".join(server.server_errors())


@pytest.fixture(scope="module")
def tea(srv):
    return make_caller(srv, "tea_acs3")


def public_pem(kms, key_id: str, version: str) -> str:
    got = kms.call("GetPublicKey", KeyId=key_id, KeyVersionId=version)
    assert (got["KeyId"], got["KeyVersionId"]) == (key_id, version)
    return got["PublicKey"]


def sign(kms, key_id, version, alg, digest: bytes) -> bytes:
    got = kms.call("AsymmetricSign", KeyId=key_id, KeyVersionId=version, Algorithm=alg, Digest=b64(digest))
    assert (got["KeyId"], got["KeyVersionId"]) == (key_id, version)
    return unb64(got["Value"])


def verify(kms, key_id, version, alg, digest: bytes, sig: bytes) -> bool:
    got = kms.call("AsymmetricVerify", KeyId=key_id, KeyVersionId=version, Algorithm=alg,
                   Digest=b64(digest), Value=b64(sig))
    assert (got["KeyId"], got["KeyVersionId"]) == (key_id, version)
    assert isinstance(got["Value"], bool), got
    return got["Value"]


def encrypt(kms, key_id, version, alg, plaintext: bytes) -> bytes:
    got = kms.call("AsymmetricEncrypt", KeyId=key_id, KeyVersionId=version, Algorithm=alg, Plaintext=b64(plaintext))
    assert (got["KeyId"], got["KeyVersionId"]) == (key_id, version)
    return unb64(got["CiphertextBlob"])


def decrypt(kms, key_id, version, alg, ciphertext: bytes) -> bytes:
    got = kms.call("AsymmetricDecrypt", KeyId=key_id, KeyVersionId=version, Algorithm=alg, CiphertextBlob=b64(ciphertext))
    assert (got["KeyId"], got["KeyVersionId"]) == (key_id, version)
    return unb64(got["Plaintext"])


def gm_sign(private_hex: str, e: bytes) -> bytes:
    """A local SM2 signature of e, DER."""
    public = gm_sm2.CryptSM2(private_key=private_hex, public_key="")._kg(int(private_hex, 16), gm_sm2.default_ecc_table["g"])
    while True:
        rs = gm(public, private_hex).sign(e, "%064x" % (secrets.randbelow(SM2_N - 2) + 1))
        if rs:
            return utils.encode_dss_signature(int(rs[:64], 16), int(rs[64:], 16))


def test_create_key_matrix_defaults_and_metadata(tea, pairs):
    # Defaults: ENCRYPT/DECRYPT for RSA and SM2, SIGN/VERIFY for the ECDSA curves, MAC for HMAC.
    for spec, want in [("RSA_2048", "ENCRYPT/DECRYPT"), ("EC_SM2", "ENCRYPT/DECRYPT"), ("EC_P256", "SIGN/VERIFY"),
                       ("EC_P256K", "SIGN/VERIFY"), ("HMAC_SHA_256", "GENERATE/VERIFY_MAC"), ("HMAC_SM3", "GENERATE/VERIFY_MAC")]:
        meta = tea.call("CreateKey", KeySpec=spec)["KeyMetadata"]
        assert (meta["KeySpec"], meta["KeyUsage"]) == (spec, want), meta
        # Key pairs have no primary version; an HMAC key shows its one version.
        assert (meta["PrimaryKeyVersion"] == "") == (not spec.startswith("HMAC")), meta
    for spec, usage in [("EC_SM2", "SIGN/VERIFY"), ("HMAC_SHA_512", "GENERATE/VERIFY_MAC")]:
        meta = tea.call("CreateKey", KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
        assert (meta["KeySpec"], meta["KeyUsage"]) == (spec, usage), meta
    meta = tea.call("DescribeKey", KeyId=pairs["rsa2048-sign"].key_id)["KeyMetadata"]
    assert (meta["KeySpec"], meta["KeyUsage"], meta["PrimaryKeyVersion"]) == ("RSA_2048", "SIGN/VERIFY", ""), meta
    meta = tea.call("DescribeKey", KeyId=HMAC_KEYS["HMAC_SM3"][0])["KeyMetadata"]
    assert (meta["KeySpec"], meta["KeyUsage"]) == ("HMAC_SM3", "GENERATE/VERIFY_MAC"), meta
    # What the matrix forbids, the specs of the AWS dialect, EXTERNAL key pairs and HMAC keys.
    for args in [dict(KeySpec="EC_P256", KeyUsage="ENCRYPT/DECRYPT"), dict(KeySpec="EC_P256K", KeyUsage="GENERATE/VERIFY_MAC"),
                 dict(KeySpec="HMAC_SM3", KeyUsage="SIGN/VERIFY"), dict(KeySpec="RSA_2048", KeyUsage="GENERATE/VERIFY_MAC"),
                 dict(KeySpec="Aliyun_AES_256", KeyUsage="SIGN/VERIFY"), dict(KeySpec="EC_SM2", KeyUsage="KEY_AGREEMENT"),
                 dict(KeySpec="RSA_4096"), dict(KeySpec="EC_P384"), dict(KeySpec="ML_DSA_44"), dict(KeySpec="EC_P256X"),
                 dict(KeySpec="RSA_2048", Origin="EXTERNAL"), dict(KeySpec="HMAC_SHA_256", Origin="EXTERNAL")]:
        expect_error(tea.call, "CreateKey", **args, code="InvalidParameter", status=400)


def test_public_keys_are_pem_spki_with_the_right_oids(tea, pairs):
    for p in pairs.values():
        pem = public_pem(tea, p.key_id, p.version)
        spki = pem_der(pem)
        if p.spec == "EC_SM2":
            assert spki[:27] == SM2_SPKI_PREFIX and spki[27:].hex() == p.sm2_public_hex, p.spec
        else:
            want = p.private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            assert spki == want, p.spec
    assert pem_der(public_pem(tea, pairs["sm2-sign"].key_id, pairs["sm2-sign"].version)) == base64.b64decode(SM2_EXAMPLE_SPKI)


def test_rsa_and_ecdsa_sign_and_verify_both_ways(tea, pairs):
    digest, other = hashlib.sha256(b"the message").digest(), hashlib.sha256(b"another").digest()
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    prehashed = utils.Prehashed(hashes.SHA256())
    for name in ["rsa2048-sign", "rsa3072-sign"]:
        p = pairs[name]
        public = p.private.public_key()
        for alg, pad in [("RSA_PSS_SHA_256", pss), ("RSA_PKCS1_SHA_256", padding.PKCS1v15())]:
            sig = sign(tea, p.key_id, p.version, alg, digest)
            assert len(sig) == public.key_size // 8, (name, alg)
            public.verify(sig, digest, pad, prehashed)
            assert verify(tea, p.key_id, p.version, alg, digest, p.private.sign(digest, pad, prehashed))
            assert not verify(tea, p.key_id, p.version, alg, other, sig)
        # A PSS signature is not a PKCS #1 v1.5 one.
        assert not verify(tea, p.key_id, p.version, "RSA_PKCS1_SHA_256", digest, p.private.sign(digest, pss, prehashed))
    for name, spec in [("p256", "EC_P256"), ("p256k", "EC_P256K")]:
        p = pairs[name]
        ecdsa = ec.ECDSA(prehashed)
        sig = sign(tea, p.key_id, p.version, "ECDSA_SHA_256", digest)
        assert sig[0] == 0x30 and len(sig) <= 72
        p.private.public_key().verify(sig, digest, ecdsa)
        assert not verify(tea, p.key_id, p.version, "ECDSA_SHA_256", other, sig)
        # Local signatures, in both S halves (OpenSSL makes high-S ones; k256 needs normalising).
        for _ in range(2):
            r, s = utils.decode_dss_signature(p.private.sign(digest, ecdsa))
            for s2 in (s, CURVE_N[spec] - s):
                assert verify(tea, p.key_id, p.version, "ECDSA_SHA_256", digest, utils.encode_dss_signature(r, s2))


def test_sm2dsa_sign_and_verify_both_ways_and_the_sheet_vectors(tea, pairs):
    p = pairs["sm2-sign"]
    public = p.sm2_public_hex
    assert verify(tea, p.key_id, p.version, "SM2DSA", unb64(SM2_EXAMPLE_E), unb64(SM2_EXAMPLE_SIG))
    assert sm2_e(public, b"message digest") == unb64(SM2_EXAMPLE_E)
    msg = b"sign me with SM2"
    e = sm2_e(public, msg)
    assert e.hex() == gm(public)._sm3_z(msg), "the test's Z_A agrees with gmssl's"
    sig = sign(tea, p.key_id, p.version, "SM2DSA", e)
    assert sig[0] == 0x30 and len(sig) <= 72
    r, s = utils.decode_dss_signature(sig)
    assert gm(public).verify("%064x%064x" % (r, s), e)
    assert gm(public).verify_with_sm3("%064x%064x" % (r, s), msg)
    assert verify(tea, p.key_id, p.version, "SM2DSA", e, gm_sign(p.private, e))
    assert not verify(tea, p.key_id, p.version, "SM2DSA", sm3(msg), sig), "Digest is e = SM3(Z_A‖M), not SM3(M)"


def test_encrypt_and_decrypt_both_ways(tea, pairs):
    for name, limits in [("rsa2048-enc", {"RSAES_OAEP_SHA_256": 190, "RSAES_OAEP_SHA_1": 214}),
                         ("rsa3072-enc", {"RSAES_OAEP_SHA_256": 318, "RSAES_OAEP_SHA_1": 342})]:
        p = pairs[name]
        public = serialization.load_pem_public_key(public_pem(tea, p.key_id, p.version).encode())
        for alg, most in limits.items():
            h = hashes.SHA256() if alg.endswith("256") else hashes.SHA1()
            oaep = padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)
            msg = os.urandom(most)
            assert decrypt(tea, p.key_id, p.version, alg, public.encrypt(msg, oaep)) == msg
            ct = encrypt(tea, p.key_id, p.version, alg, msg)
            assert len(ct) == public.key_size // 8 and p.private.decrypt(ct, oaep) == msg
            expect_error(encrypt, tea, p.key_id, p.version, alg, msg + b"x", code="InvalidParameter", status=400)
        # An OAEP-SHA-1 ciphertext does not decrypt as OAEP-SHA-256.
        sha1 = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
        expect_error(decrypt, tea, p.key_id, p.version, "RSAES_OAEP_SHA_256", public.encrypt(b"m", sha1),
                     code="InvalidParameter", status=400)
    p = pairs["sm2-enc"]
    public = sm2_public_hex(public_pem(tea, p.key_id, p.version))
    msg = b"SM2 public-key encryption"
    ct = encrypt(tea, p.key_id, p.version, "SM2PKE", msg)
    assert ct[0] == 0x04 and len(ct) == 97 + len(msg), "raw 04 ‖ C1 ‖ C3 ‖ C2"
    assert gm(public, p.private, mode=1).decrypt(ct[1:]) == msg
    c1c3c2 = gm(public, mode=1).encrypt(msg)  # tagless, as gmssl makes it
    c1c2c3 = gm(public, mode=0).encrypt(msg)
    for layout in [c1c3c2, b"\x04" + c1c3c2, c1c2c3, b"\x04" + c1c2c3, sm2_der_ciphertext(c1c3c2)]:
        assert decrypt(tea, p.key_id, p.version, "SM2PKE", layout) == msg
    big = os.urandom(6047)
    assert decrypt(tea, p.key_id, p.version, "SM2PKE", encrypt(tea, p.key_id, p.version, "SM2PKE", big)) == big
    expect_error(encrypt, tea, p.key_id, p.version, "SM2PKE", big + b"x", code="InvalidParameter", status=400)
    bad = bytearray(c1c3c2)
    bad[70] ^= 1  # C3
    expect_error(decrypt, tea, p.key_id, p.version, "SM2PKE", bytes(bad), code="InvalidParameter", status=400)


def test_mac_against_python_hmac_and_sm3(tea):
    msg = b"MAC me"
    for spec, (key_id, material, h) in HMAC_KEYS.items():
        want = hmac.new(material, msg, h).digest() if h else hmac_sm3(material, msg)
        got = tea.call("GenerateMac", KeyId=key_id, Algorithm=spec, Message=b64(msg))
        assert (got["KeyId"], got["Algorithm"], unb64(got["Mac"])) == (key_id, spec, want), spec
        ok = tea.call("VerifyMac", KeyId=key_id, Algorithm=spec, Message=b64(msg), Mac=b64(want))
        assert (ok["KeyId"], ok["Algorithm"], ok["Value"]) == (key_id, spec, True)
        wrong = want[:-1] + bytes([want[-1] ^ 1])
        assert tea.call("VerifyMac", KeyId=key_id, Algorithm=spec, Message=b64(msg), Mac=b64(wrong))["Value"] is False
        assert tea.call("VerifyMac", KeyId=key_id, Algorithm=spec, Message=b64(msg + b"!"), Mac=b64(want))["Value"] is False
    # The sheet's HMAC-SM3 known answer, through the local implementation the test trusts.
    assert hmac_sm3(bytes.fromhex("00112233445566778899AABBCCDDEEFF"),
                    b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex() == \
        "dc813339153491ad81477754eb3df00dbb3cc3e6a69f9cacce737db7e61342ff"
    key_id = HMAC_KEYS["HMAC_SHA_256"][0]
    expect_error(tea.call, "GenerateMac", KeyId=key_id, Algorithm="HMAC_SHA_512", Message=b64(msg), code="InvalidParameter", status=400)
    expect_error(tea.call, "GenerateMac", KeyId=key_id, Algorithm="HMAC_MD5", Message=b64(msg), code="InvalidParameter", status=400)
    expect_error(tea.call, "GenerateMac", KeyId=key_id, Algorithm="HMAC_SHA_256", Message=b64(b"x" * 4097), code="InvalidParameter", status=400)


def test_a_new_version_signs_while_the_old_one_still_verifies(srv, tea):
    meta = tea.call("CreateKey", KeySpec="EC_SM2", KeyUsage="SIGN/VERIFY")["KeyMetadata"]
    key_id = meta["KeyId"]
    (v1,) = [v["KeyVersionId"] for v in tea.call("ListKeyVersions", KeyId=key_id)["KeyVersions"]["KeyVersion"]]
    pub1 = sm2_public_hex(public_pem(tea, key_id, v1))
    e1 = sm2_e(pub1, b"before")
    sig1 = sign(tea, key_id, v1, "SM2DSA", e1)
    srv.clock(advance="7d")
    v2 = tea.call("CreateKeyVersion", KeyId=key_id)["KeyVersion"]["KeyVersionId"]
    assert v2 != v1
    pub2 = sm2_public_hex(public_pem(tea, key_id, v2))
    assert pub2 != pub1, "a new key pair"
    e2 = sm2_e(pub2, b"after")
    sig2 = sign(tea, key_id, v2, "SM2DSA", e2)
    assert verify(tea, key_id, v2, "SM2DSA", e2, sig2)
    assert verify(tea, key_id, v1, "SM2DSA", e1, sig1), "the old version still verifies"
    assert verify(tea, key_id, v1, "SM2DSA", e1, sign(tea, key_id, v1, "SM2DSA", e1)), "and still signs"
    assert not verify(tea, key_id, v2, "SM2DSA", e1, sig1)
    assert tea.call("DescribeKey", KeyId=key_id)["KeyMetadata"]["PrimaryKeyVersion"] == ""


def sm2_wrap(public_key_b64: str, material: bytes, tagged: bool, mode: int) -> str:
    spki = unb64(public_key_b64)
    assert len(spki) == 91 and spki[:27] == SM2_SPKI_PREFIX and public_key_b64.startswith("MFkwEwYHKoZIzj0CAQYIKoEcz1UB")
    ct = gm(spki[27:].hex(), mode=mode).encrypt(material)
    return b64(b"\x04" + ct if tagged else ct)


def test_sm2pke_import_end_to_end(tea):
    for spec, size in [("Aliyun_AES_256", 32), ("Aliyun_SM4", 16)]:
        key_id = tea.call("CreateKey", KeySpec=spec, Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        material = os.urandom(size)
        params = tea.call("GetParametersForImport", KeyId=key_id, WrappingAlgorithm="SM2PKE", WrappingKeySpec="EC_SM2")
        tea.call("ImportKeyMaterial", KeyId=key_id, ImportToken=params["ImportToken"],
                 EncryptedKeyMaterial=sm2_wrap(params["PublicKey"], material, tagged=False, mode=1))
        assert tea.call("DescribeKey", KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
        blob = tea.call("Encrypt", KeyId=key_id, Plaintext=b64(b"hello"))["CiphertextBlob"]
        assert unb64(tea.call("Decrypt", CiphertextBlob=blob)["Plaintext"]) == b"hello"
        # The same material again, in another layout and with a fresh token, is accepted;
        # other material is not.
        again = tea.call("GetParametersForImport", KeyId=key_id, WrappingAlgorithm="SM2PKE", WrappingKeySpec="EC_SM2")
        tea.call("ImportKeyMaterial", KeyId=key_id, ImportToken=again["ImportToken"],
                 EncryptedKeyMaterial=sm2_wrap(again["PublicKey"], material, tagged=True, mode=0))
        expect_error(tea.call, "ImportKeyMaterial", KeyId=key_id, ImportToken=again["ImportToken"],
                     EncryptedKeyMaterial=sm2_wrap(again["PublicKey"], os.urandom(size), tagged=True, mode=1),
                     code="InvalidKeyMaterial", status=400)
        # A ciphertext for another SM2 key does not unwrap.
        expect_error(tea.call, "ImportKeyMaterial", KeyId=key_id, ImportToken=again["ImportToken"],
                     EncryptedKeyMaterial=sm2_wrap(params["PublicKey"], material, tagged=True, mode=1),
                     code="InvalidKeyMaterial", status=400)
        assert unb64(tea.call("Decrypt", CiphertextBlob=blob)["Plaintext"]) == b"hello"
    key_id = tea.call("CreateKey", KeySpec="Aliyun_AES_256", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    for alg, spec in [("RSAES_OAEP_SHA_256", "EC_SM2"), ("SM2PKE", "RSA_2048"), ("SM2PKE", "EC_SM3")]:
        expect_error(tea.call, "GetParametersForImport", KeyId=key_id, WrappingAlgorithm=alg, WrappingKeySpec=spec,
                     code="InvalidParameter", status=400)


def test_export_data_key_to_an_sm2_key(tea, pairs):
    d = "%064x" % (secrets.randbelow(SM2_N - 2) + 1)
    public = gm_sm2.CryptSM2(private_key=d, public_key="")._kg(int(d, 16), gm_sm2.default_ecc_table["g"])
    spki = b64(SM2_SPKI_PREFIX + bytes.fromhex(public))
    key_id = tea.call("CreateKey")["KeyMetadata"]["KeyId"]
    made = tea.call("GenerateDataKey", KeyId=key_id)
    out = tea.call("ExportDataKey", CiphertextBlob=made["CiphertextBlob"], PublicKeyBlob=spki,
                   WrappingKeySpec="EC_SM2", WrappingAlgorithm="SM2PKE")
    exported = unb64(out["ExportedDataKey"])
    assert exported[0] == 0x04 and len(exported) == 97 + 32
    assert gm(public, d, mode=1).decrypt(exported[1:]) == unb64(made["Plaintext"])
    both = tea.call("GenerateAndExportDataKey", KeyId=key_id, PublicKeyBlob=spki, WrappingKeySpec="EC_SM2",
                    WrappingAlgorithm="SM2PKE", NumberOfBytes=24)
    plain = unb64(tea.call("Decrypt", CiphertextBlob=both["CiphertextBlob"])["Plaintext"])
    assert len(plain) == 24 and gm(public, d, mode=1).decrypt(unb64(both["ExportedDataKey"])[1:]) == plain
    rsa_spki = b64(pairs["rsa2048-enc"].private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    for blob, spec, alg in [(spki, "EC_SM2", "RSAES_OAEP_SHA_256"), (rsa_spki, "RSA_2048", "SM2PKE"),
                            (rsa_spki, "EC_SM2", "SM2PKE"), (spki, "RSA_2048", "RSAES_OAEP_SHA_256")]:
        expect_error(tea.call, "ExportDataKey", CiphertextBlob=made["CiphertextBlob"], PublicKeyBlob=blob,
                     WrappingKeySpec=spec, WrappingAlgorithm=alg, code="InvalidParameter", status=400)


def test_every_refusal_has_its_code(tea, pairs):
    rs, ec_key, sm2e = pairs["rsa2048-sign"], pairs["p256"], pairs["sm2-enc"]
    d32 = hashlib.sha256(b"x").digest()
    bad = [
        # wrong algorithm for the spec
        ("AsymmetricSign", dict(KeyId=ec_key.key_id, KeyVersionId=ec_key.version, Algorithm="RSA_PSS_SHA_256", Digest=b64(d32))),
        ("AsymmetricSign", dict(KeyId=rs.key_id, KeyVersionId=rs.version, Algorithm="SM2DSA", Digest=b64(d32))),
        ("AsymmetricEncrypt", dict(KeyId=sm2e.key_id, KeyVersionId=sm2e.version, Algorithm="RSAES_OAEP_SHA_256", Plaintext=b64(b"m"))),
        ("AsymmetricSign", dict(KeyId=rs.key_id, KeyVersionId=rs.version, Algorithm="RSA_PSS_SHA_384", Digest=b64(d32))),
        # wrong usage
        ("AsymmetricEncrypt", dict(KeyId=rs.key_id, KeyVersionId=rs.version, Algorithm="RSAES_OAEP_SHA_256", Plaintext=b64(b"m"))),
        ("AsymmetricSign", dict(KeyId=sm2e.key_id, KeyVersionId=sm2e.version, Algorithm="SM2DSA", Digest=b64(d32))),
        ("GenerateMac", dict(KeyId=rs.key_id, Algorithm="HMAC_SHA_256", Message=b64(b"m"))),
        ("AsymmetricSign", dict(KeyId=HMAC_KEYS["HMAC_SM3"][0], KeyVersionId="v", Algorithm="SM2DSA", Digest=b64(d32))),
        # a Digest that is not 32 bytes, malformed base64, oversize ciphertext
        ("AsymmetricSign", dict(KeyId=ec_key.key_id, KeyVersionId=ec_key.version, Algorithm="ECDSA_SHA_256", Digest=b64(d32[:31]))),
        ("AsymmetricVerify", dict(KeyId=ec_key.key_id, KeyVersionId=ec_key.version, Algorithm="ECDSA_SHA_256", Digest=b64(d32 + b"!"), Value=b64(b"0"))),
        ("AsymmetricSign", dict(KeyId=ec_key.key_id, KeyVersionId=ec_key.version, Algorithm="ECDSA_SHA_256", Digest="not base64!")),
        ("AsymmetricVerify", dict(KeyId=ec_key.key_id, KeyVersionId=ec_key.version, Algorithm="ECDSA_SHA_256", Digest=b64(d32), Value="%%%")),
        ("AsymmetricDecrypt", dict(KeyId=sm2e.key_id, KeyVersionId=sm2e.version, Algorithm="SM2PKE", CiphertextBlob=b64(os.urandom(6145)))),
        ("AsymmetricDecrypt", dict(KeyId=pairs["rsa2048-enc"].key_id, KeyVersionId=pairs["rsa2048-enc"].version, Algorithm="RSAES_OAEP_SHA_1", CiphertextBlob=b64(os.urandom(255)))),
        # an unknown algorithm name
        ("AsymmetricSign", dict(KeyId=ec_key.key_id, KeyVersionId=ec_key.version, Algorithm="ECDSA_SHA_512", Digest=b64(d32))),
    ]
    for action, args in bad:
        expect_error(tea.call, action, **args, code="InvalidParameter", status=400)
    # A missing KeyVersionId, an unknown one, an unknown key.
    expect_error(tea.call, "AsymmetricSign", KeyId=ec_key.key_id, Algorithm="ECDSA_SHA_256", Digest=b64(d32),
                 code="MissingParameter", status=400)
    expect_error(tea.call, "GetPublicKey", KeyId=ec_key.key_id, code="MissingParameter", status=400)
    for action, args in [("AsymmetricSign", dict(Algorithm="ECDSA_SHA_256", Digest=b64(d32))), ("GetPublicKey", {}),
                         ("AsymmetricVerify", dict(Algorithm="ECDSA_SHA_256", Digest=b64(d32), Value=b64(b"0")))]:
        expect_error(tea.call, action, KeyId=ec_key.key_id, KeyVersionId="0d0d0d0d-0000-4000-8000-00000000ffff", **args,
                     code="Forbidden.KeyVersionNotFound", status=404)
    expect_error(tea.call, "GetPublicKey", KeyId="0d0d0d0d-0000-4000-8000-00000000dead", KeyVersionId="x",
                 code="Forbidden.KeyNotFound", status=404)
    expect_error(tea.call, "GetPublicKey", KeyId=HMAC_KEYS["HMAC_SHA_224"][0], KeyVersionId="x", code="InvalidParameter", status=400)
    # A well-formed wrong signature, and a DER that is not a signature, are Value false.
    assert not verify(tea, ec_key.key_id, ec_key.version, "ECDSA_SHA_256", d32, utils.encode_dss_signature(1, 1))
    assert not verify(tea, ec_key.key_id, ec_key.version, "ECDSA_SHA_256", d32, b"\x30\x00")
    assert not verify(tea, rs.key_id, rs.version, "RSA_PKCS1_SHA_256", d32, bytes(256))
    # Key pairs and HMAC keys do not rotate automatically; HMAC keys have one version.
    expect_error(tea.call, "UpdateRotationPolicy", KeyId=ec_key.key_id, EnableAutomaticRotation=True,
                 RotationInterval="30d", code="InvalidParameter", status=400)
    expect_error(tea.call, "CreateKey", KeySpec="EC_P256", EnableAutomaticRotation=True, RotationInterval="30d",
                 code="InvalidParameter", status=400)
    expect_error(tea.call, "CreateKeyVersion", KeyId=HMAC_KEYS["HMAC_SHA_256"][0],
                 code="Rejected.UnsupportedOperation", status=400)
    # Symmetric Encrypt refuses a key pair.
    expect_error(tea.call, "Encrypt", KeyId=sm2e.key_id, Plaintext=b64(b"m"), code="InvalidParameter", status=400)


def test_the_classic_sdk_path(srv, pairs):
    classic = make_caller(srv, "classic")
    p = pairs["p256"]
    digest = hashlib.sha256(b"classic").digest()
    pem = classic.call("GetPublicKey", KeyId=p.key_id, KeyVersionId=p.version)["PublicKey"]
    assert serialization.load_pem_public_key(pem.encode()).public_numbers() == p.private.public_key().public_numbers()
    sig = unb64(classic.call("AsymmetricSign", KeyId=p.key_id, KeyVersionId=p.version, Algorithm="ECDSA_SHA_256",
                             Digest=b64(digest))["Value"])
    p.private.public_key().verify(sig, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    got = classic.call("AsymmetricVerify", KeyId=p.key_id, KeyVersionId=p.version, Algorithm="ECDSA_SHA_256",
                       Digest=b64(digest), Value=b64(sig))
    assert got["Value"] is True
    e = pairs["rsa2048-enc"]
    ct = unb64(classic.call("AsymmetricEncrypt", KeyId=e.key_id, KeyVersionId=e.version, Algorithm="RSAES_OAEP_SHA_1",
                            Plaintext=b64(b"classic"))["CiphertextBlob"])
    oaep1 = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    assert e.private.decrypt(ct, oaep1) == b"classic"
    got = classic.call("AsymmetricDecrypt", KeyId=e.key_id, KeyVersionId=e.version, Algorithm="RSAES_OAEP_SHA_1",
                       CiphertextBlob=b64(ct))
    assert unb64(got["Plaintext"]) == b"classic"
    try:
        classic.call("AsymmetricSign", KeyId=p.key_id, KeyVersionId=p.version, Algorithm="ECDSA_SHA_256", Digest=b64(digest[:16]))
    except Exception as err:  # noqa: BLE001 - checked below
        assert (getattr(err, "code", None), getattr(err, "status", None)) == ("InvalidParameter", 400), err
    else:
        raise AssertionError("a 16-byte Digest was signed")


def test_re_encrypt_an_asymmetric_ciphertext(tea, pairs):
    """ReEncrypt takes a ciphertext made with a public key (SourceEncryptionAlgorithm, with the
    source key and version it needs) and re-encrypts it under a symmetric key."""
    p = pairs["rsa2048-enc"]
    public = serialization.load_pem_public_key(public_pem(tea, p.key_id, p.version).encode())
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    ct = b64(public.encrypt(b"into the vault", oaep))
    target = tea.call("CreateKey")["KeyMetadata"]["KeyId"]
    out = tea.call("ReEncrypt", CiphertextBlob=ct, SourceKeyId=p.key_id, SourceKeyVersionId=p.version,
                   SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256", DestinationKeyId=target,
                   DestinationEncryptionContext={"k": "v"})
    assert out["KeyId"] == target
    back = tea.call("Decrypt", CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "v"})
    assert unb64(back["Plaintext"]) == b"into the vault"
    expect_error(tea.call, "ReEncrypt", CiphertextBlob=ct, SourceKeyId=p.key_id,
                 SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256", DestinationKeyId=target,
                 code="MissingParameter", status=400)
    expect_error(tea.call, "ReEncrypt", CiphertextBlob=ct, SourceKeyId=p.key_id, SourceKeyVersionId=p.version,
                 SourceEncryptionAlgorithm="SM2PKE", DestinationKeyId=target, code="InvalidParameter", status=400)
