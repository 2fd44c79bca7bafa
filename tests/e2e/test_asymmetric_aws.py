"""Key pairs and HMAC keys on the AWS dialect, through boto3 (and one awscli call), checked
against Python `cryptography`, `hmac` and `gmssl`: every spec x signing algorithm x
MessageType both ways, public-key encryption both ways, data key pairs, MACs, ECDH,
ML-DSA, ML-KEM, asymmetric and HMAC import, and every failure with its exception.

Lean on purpose: one server for the module, loops inside tests, few RSA keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, mlkem, padding, rsa, utils
from gmssl import sm2 as gm_sm2

from qkms_harness import AK_ID, AK_SECRET, aws_wrap, make_caller

REGION = "us-east-1"
HASHES = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
PY_HASH = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
RSA_ALGS = [f"RSASSA_{p}_SHA_{n}" for p in ("PSS", "PKCS1_V1_5") for n in ("256", "384", "512")]
EC_ALG = {"ECC_NIST_P256": "256", "ECC_NIST_P384": "384", "ECC_NIST_P521": "512", "ECC_SECG_P256K1": "256"}


@pytest.fixture(scope="module")
def kms(server):
    return boto3.client(
        "kms",
        endpoint_url=server.base_url,
        region_name=REGION,
        aws_access_key_id=AK_ID,
        aws_secret_access_key=AK_SECRET,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture(scope="module")
def keys(kms):
    """Created once: spec/usage -> key ID."""
    made = {}

    def make(spec, usage, **kw):
        meta = kms.create_key(KeySpec=spec, KeyUsage=usage, **kw)["KeyMetadata"]
        made[(spec, usage)] = meta["KeyId"]
        return meta

    return made, make


def key(keys, spec, usage):
    made, make = keys
    if (spec, usage) not in made:
        make(spec, usage)
    return made[(spec, usage)]


def fails(fn, exception, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    err = e.value.response
    assert err["Error"]["Code"] == exception, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
    return err["Error"]["Message"]


def public(kms, key_id):
    return kms.get_public_key(KeyId=key_id)


def sm2_point(spki_der: bytes) -> str:
    """x || y hex of an SM2 SubjectPublicKeyInfo (its BIT STRING ends with 04 || x || y)."""
    assert spki_der[-65] == 0x04
    return spki_der[-64:].hex()


def rsa_padding(alg):
    h = HASHES[alg[-3:]]
    if "PSS" in alg:
        return padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h
    return padding.PKCS1v15(), h


# --- CreateKey / DescribeKey / GetPublicKey -----------------------------------------------


def test_metadata_reports_spec_usage_and_algorithms_as_aws(kms, keys):
    _, make = keys
    cases = [
        ("RSA_2048", "SIGN_VERIFY", "SigningAlgorithms", RSA_ALGS[:3] + RSA_ALGS[3:]),
        ("RSA_2048", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]),
        ("ECC_NIST_P256", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
        ("ECC_NIST_P384", "KEY_AGREEMENT", "KeyAgreementAlgorithms", ["ECDH"]),
        ("ECC_SECG_P256K1", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
        ("SM2", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", ["SM2PKE"]),
        ("HMAC_384", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_384"]),
        ("ML_DSA_44", "SIGN_VERIFY", "SigningAlgorithms", ["ML_DSA_SHAKE_256"]),
        ("ML_KEM_768", "ENCAPSULATE_DECAPSULATE", "EncapsulationAlgorithms", ["ML_KEM"]),
    ]
    lists = {"SigningAlgorithms", "EncryptionAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms",
             "EncapsulationAlgorithms"}
    for spec, usage, field, algs in cases:
        created = make(spec, usage)
        meta = kms.describe_key(KeyId=created["KeyId"])["KeyMetadata"]
        assert meta == created
        assert meta["KeySpec"] == spec and meta["KeyUsage"] == usage, meta
        assert meta[field] == algs, meta
        assert not (lists - {field}) & meta.keys(), meta
        if spec.startswith("ML_"):
            assert "CustomerMasterKeySpec" not in meta
        else:
            assert meta["CustomerMasterKeySpec"] == spec
        if usage != "GENERATE_VERIFY_MAC":
            pk = public(kms, meta["KeyId"])
            assert pk["KeySpec"] == spec and pk["KeyUsage"] == usage and pk[field] == algs
            assert pk["KeyId"] == meta["Arn"]
    sym = kms.create_key()["KeyMetadata"]
    assert sym["KeySpec"] == sym["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert sym["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    # The deprecated member makes the same key.
    old = kms.create_key(CustomerMasterKeySpec="ECC_NIST_P521", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert old["KeySpec"] == "ECC_NIST_P521" and old["SigningAlgorithms"] == ["ECDSA_SHA_512"]


def test_create_key_refusals(kms):
    assert "KeyUsage" in fails(kms.create_key, "ValidationException", KeySpec="ECC_NIST_P256")
    for spec, usage in [("ECC_NIST_P256", "ENCRYPT_DECRYPT"), ("ECC_SECG_P256K1", "KEY_AGREEMENT"),
                        ("HMAC_256", "SIGN_VERIFY"), ("RSA_2048", "KEY_AGREEMENT"),
                        ("ML_KEM_512", "SIGN_VERIFY"), ("SYMMETRIC_DEFAULT", "SIGN_VERIFY")]:
        fails(kms.create_key, "ValidationException", KeySpec=spec, KeyUsage=usage)
    fails(kms.create_key, "ValidationException", KeySpec="RSA_1024", KeyUsage="SIGN_VERIFY")
    fails(kms.create_key, "ValidationException", KeySpec="RSA_2048", CustomerMasterKeySpec="RSA_3072",
          KeyUsage="SIGN_VERIFY")
    fails(kms.create_key, "UnsupportedOperationException", KeySpec="ECC_NIST_EDWARDS25519",
          KeyUsage="SIGN_VERIFY")
    fails(kms.create_key, "UnsupportedOperationException", KeySpec="ML_DSA_65", KeyUsage="SIGN_VERIFY",
          Origin="EXTERNAL")


# --- Sign / Verify ------------------------------------------------------------------------


def sign_both_ways(kms, key_id, alg, message_type, message, local_verify, local_sign):
    sig = kms.sign(KeyId=key_id, Message=message, MessageType=message_type, SigningAlgorithm=alg)
    assert sig["SigningAlgorithm"] == alg
    local_verify(sig["Signature"])
    theirs = local_sign()
    if theirs is not None:
        out = kms.verify(KeyId=key_id, Message=message, MessageType=message_type, Signature=theirs,
                         SigningAlgorithm=alg)
        assert out["SignatureValid"] is True and out["SigningAlgorithm"] == alg
    bad = bytearray(sig["Signature"])
    bad[len(bad) // 2] ^= 1
    fails(kms.verify, "KMSInvalidSignatureException", KeyId=key_id, Message=message,
          MessageType=message_type, Signature=bytes(bad), SigningAlgorithm=alg)


def test_rsa_sign_every_algorithm_and_message_type(kms, keys):
    message = b"rsa signed by qkms"
    for spec in ("RSA_2048", "RSA_3072", "RSA_4096"):
        key_id = key(keys, spec, "SIGN_VERIFY")
        pub = serialization.load_der_public_key(public(kms, key_id)["PublicKey"])
        assert pub.key_size == int(spec[4:])
        for alg in RSA_ALGS:
            pad, h = rsa_padding(alg)
            digest = PY_HASH[alg[-3:]](message).digest()
            for mt, msg, chosen in (("RAW", message, h), ("DIGEST", digest, utils.Prehashed(h))):
                sign_both_ways(
                    kms, key_id, alg, mt, msg,
                    lambda s: pub.verify(s, msg, pad, chosen),
                    lambda: None,
                )
                assert len(kms.sign(KeyId=key_id, Message=msg, MessageType=mt,
                                    SigningAlgorithm=alg)["Signature"]) == pub.key_size // 8


def test_ecdsa_sign_both_ways_on_every_curve(kms, keys):
    message = b"ecdsa message"
    for spec, n in EC_ALG.items():
        key_id = key(keys, spec, "SIGN_VERIFY")
        pub = serialization.load_der_public_key(public(kms, key_id)["PublicKey"])
        mine = ec.generate_private_key(pub.curve)
        alg = f"ECDSA_SHA_{n}"
        digest = PY_HASH[n](message).digest()
        for mt, msg, chosen in (("RAW", message, HASHES[n]), ("DIGEST", digest, utils.Prehashed(HASHES[n]))):
            sign_both_ways(
                kms, key_id, alg, mt, msg,
                lambda s: pub.verify(s, msg, ec.ECDSA(chosen)),
                lambda: None,
            )
        # Locally signed with a foreign key: never valid.
        foreign = mine.sign(message, ec.ECDSA(HASHES[n]))
        fails(kms.verify, "KMSInvalidSignatureException", KeyId=key_id, Message=message,
              Signature=foreign, SigningAlgorithm=alg)


def test_sm2dsa_sign_both_ways_with_gmssl(kms, keys):
    key_id = key(keys, "SM2", "SIGN_VERIFY")
    point = sm2_point(public(kms, key_id)["PublicKey"])
    verifier = gm_sm2.CryptSM2(private_key=None, public_key=point)
    message = b"sm2 message"
    e = bytes.fromhex(verifier._sm3_z(message))  # SM3(Z_A || M) with the default ID

    def check(sig_der):
        r, s = utils.decode_dss_signature(sig_der)
        assert verifier.verify(f"{r:064x}{s:064x}", e)

    for mt, msg in (("RAW", message), ("DIGEST", e)):
        sign_both_ways(kms, key_id, "SM2DSA", mt, msg, check, lambda: None)


def import_material(kms, key_id, material, algorithm="RSA_AES_KEY_WRAP_SHA_256", wrapping_spec="RSA_3072", **kw):
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_spec)
    return kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                                   EncryptedKeyMaterial=aws_wrap(material, params["PublicKey"], algorithm),
                                   **(kw or {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}))


def pkcs8(private) -> bytes:
    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def local_signer(private, alg, message_type):
    """Sign (and verify) as `cryptography` does for a SIGN_VERIFY algorithm and MessageType."""
    n = alg[-3:]
    chosen = HASHES[n] if message_type == "RAW" else utils.Prehashed(HASHES[n])
    if alg.startswith("RSASSA"):
        pad, _ = rsa_padding(alg)
        return (lambda m: private.sign(m, pad, chosen),
                lambda s, m: private.public_key().verify(s, m, pad, chosen))
    return (lambda m: private.sign(m, ec.ECDSA(chosen)),
            lambda s, m: private.public_key().verify(s, m, ec.ECDSA(chosen)))


def test_imported_keys_sign_like_generated_ones(kms):
    """RSA and EC private keys (PKCS #8) wrapped with RSA_AES_KEY_WRAP_SHA_256: for every
    algorithm and MessageType, qkms's signatures verify locally and the local private key's
    verify in qkms."""
    local = {
        "RSA_2048": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ECC_NIST_P256": ec.generate_private_key(ec.SECP256R1()),
        "ECC_NIST_P384": ec.generate_private_key(ec.SECP384R1()),
        "ECC_NIST_P521": ec.generate_private_key(ec.SECP521R1()),
        "ECC_SECG_P256K1": ec.generate_private_key(ec.SECP256K1()),
    }
    message = b"imported"
    for spec, private in local.items():
        meta = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")["KeyMetadata"]
        assert meta["KeyState"] == "PendingImport" and meta["Origin"] == "EXTERNAL"
        key_id = meta["KeyId"]
        fails(kms.sign, "KMSInvalidStateException", KeyId=key_id, Message=message,
              SigningAlgorithm=public_alg(spec))
        import_material(kms, key_id, pkcs8(private))
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert meta["KeyState"] == "Enabled" and meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
        assert public(kms, key_id)["PublicKey"] == spki(private.public_key())
        for alg in RSA_ALGS if spec.startswith("RSA") else [public_alg(spec)]:
            for mt in ("RAW", "DIGEST"):
                sign, check = local_signer(private, alg, mt)
                msg = message if mt == "RAW" else PY_HASH[alg[-3:]](message).digest()
                sign_both_ways(kms, key_id, alg, mt, msg, lambda s: check(s, msg), lambda: sign(msg))
        # Other material than the first is refused.
        other = pkcs8(ec.generate_private_key(ec.SECP384R1()))
        with pytest.raises(ClientError) as e:
            import_material(kms, key_id, other, wrapping_spec="RSA_2048")
        assert e.value.response["Error"]["Code"] == "IncorrectKeyMaterialException"
    # EC material fits RSA-OAEP directly (AWS allows RSAES_OAEP_* for all but RSA material).
    private = ec.generate_private_key(ec.SECP256R1())
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_material(kms, key_id, pkcs8(private), algorithm="RSAES_OAEP_SHA_256", wrapping_spec="RSA_2048")
    peer = ec.generate_private_key(ec.SECP256R1())
    out = kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=spki(peer.public_key()))
    assert out["SharedSecret"] == peer.exchange(ec.ECDH(), private.public_key()) and out["KeyOrigin"] == "EXTERNAL"


def public_alg(spec):
    return f"ECDSA_SHA_{EC_ALG[spec]}" if spec in EC_ALG else "RSASSA_PSS_SHA_256"


def test_sm2_data_key_pair_imports_and_signs_both_ways(kms):
    """GenerateDataKeyPair's SM2 private key, imported into an EXTERNAL SM2 key: gmssl signs
    with its scalar and qkms verifies, and the reverse."""
    wrapping = kms.create_key()["KeyMetadata"]["KeyId"]
    pair = kms.generate_data_key_pair(KeyId=wrapping, KeyPairSpec="SM2")
    der = pair["PrivateKeyPlaintext"]
    at = der.index(b"\x02\x01\x01\x04\x20") + 5  # ECPrivateKey: version 1, then the 32-byte scalar
    scalar = der[at:at + 32].hex()
    point = sm2_point(pair["PublicKey"])
    key_id = kms.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_material(kms, key_id, der)
    assert public(kms, key_id)["PublicKey"] == pair["PublicKey"]
    local = gm_sm2.CryptSM2(private_key=scalar, public_key=point)
    message = b"sm2 both ways"
    e = bytes.fromhex(local._sm3_z(message))
    for mt, msg in (("RAW", message), ("DIGEST", e)):
        rs = local.sign(e, os.urandom(32).hex())
        theirs = utils.encode_dss_signature(int(rs[:64], 16), int(rs[64:], 16))

        def check(sig_der):
            r, s = utils.decode_dss_signature(sig_der)
            assert local.verify(f"{r:064x}{s:064x}", e)

        sign_both_ways(kms, key_id, "SM2DSA", mt, msg, check, lambda: theirs)


def test_ml_dsa_sign_verify_locally(kms, keys):
    sizes = {"ML_DSA_44": 2420, "ML_DSA_65": 3309, "ML_DSA_87": 4627}
    message = b"post-quantum message"
    for spec, size in sizes.items():
        key_id = key(keys, spec, "SIGN_VERIFY")
        pub = serialization.load_der_public_key(public(kms, key_id)["PublicKey"])
        sig = kms.sign(KeyId=key_id, Message=message, MessageType="RAW",
                       SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
        assert len(sig) == size
        pub.verify(sig, message)
        assert kms.verify(KeyId=key_id, Message=message, Signature=sig,
                          SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"]
        fails(kms.verify, "KMSInvalidSignatureException", KeyId=key_id, Message=b"other", Signature=sig,
              SigningAlgorithm="ML_DSA_SHAKE_256")
        fails(kms.sign, "ValidationException", KeyId=key_id, Message=hashlib.sha512(message).digest(),
              MessageType="DIGEST", SigningAlgorithm="ML_DSA_SHAKE_256")
        # EXTERNAL_MU: mu computed locally (FIPS 204) signs like the message it stands for.
        hasher = mldsa.MLDSAMuHasher(pub)
        hasher.update(message)
        mu = hasher.finalize()
        by_mu = kms.sign(KeyId=key_id, Message=mu, MessageType="EXTERNAL_MU",
                         SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
        pub.verify(by_mu, message)
        assert kms.verify(KeyId=key_id, Message=mu, MessageType="EXTERNAL_MU", Signature=sig,
                          SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"]
        fails(kms.sign, "ValidationException", KeyId=key_id, Message=mu[:63],
              MessageType="EXTERNAL_MU", SigningAlgorithm="ML_DSA_SHAKE_256")


def test_sign_failures(kms, keys):
    rsa_sign = key(keys, "RSA_2048", "SIGN_VERIFY")
    rsa_enc = key(keys, "RSA_2048", "ENCRYPT_DECRYPT")
    p256 = key(keys, "ECC_NIST_P256", "SIGN_VERIFY")
    fails(kms.sign, "InvalidKeyUsageException", KeyId=rsa_enc, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    fails(kms.sign, "InvalidKeyUsageException", KeyId=p256, Message=b"m", SigningAlgorithm="ECDSA_SHA_384")
    fails(kms.sign, "InvalidKeyUsageException", KeyId=rsa_sign, Message=b"m", SigningAlgorithm="SM2DSA")
    fails(kms.sign, "InvalidKeyUsageException", KeyId=kms.create_key()["KeyMetadata"]["KeyId"], Message=b"m",
          SigningAlgorithm="ECDSA_SHA_256")
    msg = fails(kms.sign, "ValidationException", KeyId=p256, Message=b"x" * 31, MessageType="DIGEST",
                SigningAlgorithm="ECDSA_SHA_256")
    assert msg == "Digest is invalid length for algorithm ECDSA_SHA_256."
    fails(kms.sign, "ValidationException", KeyId=p256, Message=b"x" * 4097, SigningAlgorithm="ECDSA_SHA_256")
    fails(kms.sign, "ValidationException", KeyId=p256, Message=b"m", SigningAlgorithm="ECDSA_SHA_999")
    fails(kms.sign, "UnsupportedOperationException", KeyId=p256, Message=b"m", SigningAlgorithm="ED25519_SHA_512")
    kms.disable_key(KeyId=p256)
    try:
        fails(kms.sign, "DisabledException", KeyId=p256, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    finally:
        kms.enable_key(KeyId=p256)


# --- Encrypt / Decrypt --------------------------------------------------------------------


def test_rsa_encrypt_locally_and_decrypt_in_qkms(kms, keys):
    key_id = key(keys, "RSA_2048", "ENCRYPT_DECRYPT")
    pub = serialization.load_der_public_key(public(kms, key_id)["PublicKey"])
    for alg, h, limit in (("RSAES_OAEP_SHA_1", hashes.SHA1(), 214), ("RSAES_OAEP_SHA_256", hashes.SHA256(), 190)):
        oaep = padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)
        pt = os.urandom(limit)
        out = kms.decrypt(KeyId=key_id, CiphertextBlob=pub.encrypt(pt, oaep), EncryptionAlgorithm=alg)
        assert out["Plaintext"] == pt and out["EncryptionAlgorithm"] == alg
        ct = kms.encrypt(KeyId=key_id, Plaintext=pt, EncryptionAlgorithm=alg)
        assert len(ct["CiphertextBlob"]) == 256 and ct["EncryptionAlgorithm"] == alg
        assert kms.decrypt(KeyId=key_id, CiphertextBlob=ct["CiphertextBlob"],
                           EncryptionAlgorithm=alg)["Plaintext"] == pt
        fails(kms.encrypt, "ValidationException", KeyId=key_id, Plaintext=os.urandom(limit + 1),
              EncryptionAlgorithm=alg)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"p", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    fails(kms.decrypt, "ValidationException", CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    fails(kms.decrypt, "InvalidCiphertextException", KeyId=key_id, CiphertextBlob=blob,
          EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    fails(kms.encrypt, "InvalidKeyUsageException", KeyId=key_id, Plaintext=b"p")
    fails(kms.encrypt, "InvalidKeyUsageException", KeyId=key_id, Plaintext=b"p", EncryptionAlgorithm="SM2PKE")
    fails(kms.encrypt, "ValidationException", KeyId=key_id, Plaintext=b"p",
          EncryptionAlgorithm="RSAES_OAEP_SHA_256", EncryptionContext={"a": "b"})
    fails(kms.encrypt, "InvalidKeyUsageException", KeyId=key(keys, "RSA_2048", "SIGN_VERIFY"), Plaintext=b"p",
          EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    fails(kms.encrypt, "InvalidKeyUsageException", KeyId=kms.create_key()["KeyMetadata"]["KeyId"],
          Plaintext=b"p", EncryptionAlgorithm="RSAES_OAEP_SHA_256")


def test_imported_rsa_encryption_key_decrypts_locally(kms):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    # Expiring material: AWS documents no ban on an expiry for key-pair material.
    import_material(kms, key_id, pkcs8(private), algorithm="RSA_AES_KEY_WRAP_SHA_1", wrapping_spec="RSA_2048",
                    ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=int(time.time()) + 3600)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and "ValidTo" in meta
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    ct = kms.encrypt(KeyId=key_id, Plaintext=b"to the owner", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert private.decrypt(ct["CiphertextBlob"], oaep) == b"to the owner"


def test_sm2pke_encrypt_locally_and_decrypt_in_qkms(kms, keys):
    key_id = key(keys, "SM2", "ENCRYPT_DECRYPT")
    point = sm2_point(public(kms, key_id)["PublicKey"])
    local = gm_sm2.CryptSM2(private_key=None, public_key=point, mode=1)  # C1 || C3 || C2
    pt = b"sm2 plaintext"
    ct = b"\x04" + local.encrypt(pt)
    out = kms.decrypt(KeyId=key_id, CiphertextBlob=ct, EncryptionAlgorithm="SM2PKE")
    assert out["Plaintext"] == pt and out["EncryptionAlgorithm"] == "SM2PKE"
    ours = kms.encrypt(KeyId=key_id, Plaintext=pt, EncryptionAlgorithm="SM2PKE")["CiphertextBlob"]
    assert kms.decrypt(KeyId=key_id, CiphertextBlob=ours, EncryptionAlgorithm="SM2PKE")["Plaintext"] == pt
    fails(kms.encrypt, "InvalidKeyUsageException", KeyId=key_id, Plaintext=pt,
          EncryptionAlgorithm="RSAES_OAEP_SHA_256")


# --- Data key pairs -----------------------------------------------------------------------


def test_generate_data_key_pair_private_matches_public(kms, keys):
    wrapping = kms.create_key()["KeyMetadata"]
    context = {"purpose": "pair"}
    for spec in ("ECC_NIST_P256", "ECC_SECG_P256K1", "RSA_2048"):
        out = kms.generate_data_key_pair(KeyId=wrapping["KeyId"], KeyPairSpec=spec, EncryptionContext=context)
        assert out["KeyPairSpec"] == spec and out["KeyId"] == wrapping["Arn"]
        private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], None)
        assert private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == out["PublicKey"]
        dec = kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"], EncryptionContext=context)
        assert dec["Plaintext"] == out["PrivateKeyPlaintext"]
        fails(kms.decrypt, "InvalidCiphertextException", CiphertextBlob=out["PrivateKeyCiphertextBlob"])
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=wrapping["KeyId"], KeyPairSpec="ECC_NIST_P384")
    assert "PrivateKeyPlaintext" not in bare
    private = serialization.load_der_private_key(kms.decrypt(CiphertextBlob=bare["PrivateKeyCiphertextBlob"])["Plaintext"], None)
    assert private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == bare["PublicKey"]
    kem = kms.generate_data_key_pair(KeyId=wrapping["KeyId"], KeyPairSpec="ML_KEM_768")
    assert isinstance(serialization.load_der_public_key(kem["PublicKey"]), mlkem.MLKEM768PublicKey)
    fails(kms.generate_data_key_pair, "UnsupportedOperationException", KeyId=wrapping["KeyId"],
          KeyPairSpec="ECC_NIST_EDWARDS25519")
    fails(kms.generate_data_key_pair, "ValidationException", KeyId=wrapping["KeyId"], KeyPairSpec="ML_DSA_44")
    fails(kms.generate_data_key_pair, "InvalidKeyUsageException", KeyId=key(keys, "ECC_NIST_P256", "SIGN_VERIFY"),
          KeyPairSpec="ECC_NIST_P256")


def test_only_symmetric_keys_rotate(kms, keys):
    for key_id in (key(keys, "ECC_NIST_P256", "SIGN_VERIFY"), key(keys, "HMAC_256", "GENERATE_VERIFY_MAC")):
        fails(kms.enable_key_rotation, "UnsupportedOperationException", KeyId=key_id)
        fails(kms.rotate_key_on_demand, "UnsupportedOperationException", KeyId=key_id)
        fails(kms.get_key_rotation_status, "UnsupportedOperationException", KeyId=key_id)


# --- MACs ---------------------------------------------------------------------------------


def test_hmac_against_python_hmac_with_imported_keys(kms, keys):
    message = b"mac me"
    for bits, length, wrap in (("224", 28, "RSAES_OAEP_SHA_1"), ("256", 32, "RSAES_OAEP_SHA_256"),
                               ("384", 48, "RSA_AES_KEY_WRAP_SHA_1"), ("512", 100, "RSA_AES_KEY_WRAP_SHA_256")):
        spec, alg = f"HMAC_{bits}", f"HMAC_SHA_{bits}"
        secret = os.urandom(length)
        key_id = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        import_material(kms, key_id, secret, algorithm=wrap, wrapping_spec="RSA_2048")
        expected = hmac.new(secret, message, getattr(hashlib, f"sha{bits}")).digest()
        out = kms.generate_mac(KeyId=key_id, Message=message, MacAlgorithm=alg)
        assert out["Mac"] == expected and out["MacAlgorithm"] == alg
        ok = kms.verify_mac(KeyId=key_id, Message=message, MacAlgorithm=alg, Mac=expected)
        assert ok["MacValid"] is True
        fails(kms.verify_mac, "KMSInvalidMacException", KeyId=key_id, Message=b"other", MacAlgorithm=alg, Mac=expected)
        # A generated key of the spec: round trip and the digest's length.
        gen = key(keys, spec, "GENERATE_VERIFY_MAC")
        mac = kms.generate_mac(KeyId=gen, Message=message, MacAlgorithm=alg)["Mac"]
        assert len(mac) == int(bits) // 8
        assert kms.verify_mac(KeyId=gen, Message=message, MacAlgorithm=alg, Mac=mac)["MacValid"]
    gen = key(keys, "HMAC_256", "GENERATE_VERIFY_MAC")
    fails(kms.generate_mac, "InvalidKeyUsageException", KeyId=gen, Message=message, MacAlgorithm="HMAC_SHA_512")
    fails(kms.generate_mac, "InvalidKeyUsageException", KeyId=kms.create_key()["KeyMetadata"]["KeyId"],
          Message=message, MacAlgorithm="HMAC_SHA_256")
    fails(kms.generate_mac, "ValidationException", KeyId=gen, Message=b"x" * 4097, MacAlgorithm="HMAC_SHA_256")
    fails(kms.get_public_key, "UnsupportedOperationException", KeyId=gen)
    fails(kms.encrypt, "InvalidKeyUsageException", KeyId=gen, Plaintext=b"p")


# --- Key agreement ------------------------------------------------------------------------


def test_derive_shared_secret_against_local_ecdh(kms, keys):
    for spec in ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"):
        key_id = key(keys, spec, "KEY_AGREEMENT")
        theirs = serialization.load_der_public_key(public(kms, key_id)["PublicKey"])
        mine = ec.generate_private_key(theirs.curve)
        spki = mine.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
        out = kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=spki)
        assert out["SharedSecret"] == mine.exchange(ec.ECDH(), theirs)
        assert out["KeyAgreementAlgorithm"] == "ECDH" and out["KeyOrigin"] == "AWS_KMS"
    p256 = key(keys, "ECC_NIST_P256", "KEY_AGREEMENT")
    wrong_curve = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    fails(kms.derive_shared_secret, "ValidationException", KeyId=p256, KeyAgreementAlgorithm="ECDH",
          PublicKey=wrong_curve)
    fails(kms.derive_shared_secret, "InvalidKeyUsageException", KeyId=key(keys, "ECC_NIST_P256", "SIGN_VERIFY"),
          KeyAgreementAlgorithm="ECDH", PublicKey=wrong_curve)
    # SM2 agreement: two qkms keys reach the same secret from each other's public keys.
    a = key(keys, "SM2", "KEY_AGREEMENT")
    b = kms.create_key(KeySpec="SM2", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    ab = kms.derive_shared_secret(KeyId=a, KeyAgreementAlgorithm="ECDH", PublicKey=public(kms, b)["PublicKey"])
    ba = kms.derive_shared_secret(KeyId=b, KeyAgreementAlgorithm="ECDH", PublicKey=public(kms, a)["PublicKey"])
    assert ab["SharedSecret"] == ba["SharedSecret"] and len(ab["SharedSecret"]) == 32


# --- ML-KEM -------------------------------------------------------------------------------


def test_ml_kem_encapsulate_and_decapsulate(kms, keys):
    sizes = {"ML_KEM_512": 768, "ML_KEM_768": 1088, "ML_KEM_1024": 1568}
    for spec, ct_len in sizes.items():
        key_id = key(keys, spec, "ENCAPSULATE_DECAPSULATE")
        enc = kms.encapsulate(KeyId=key_id, EncapsulationAlgorithm="ML_KEM")
        assert len(enc["SharedSecret"]) == 32 and len(enc["SharedSecretCiphertextBlob"]) == ct_len
        dec = kms.decapsulate(KeyId=key_id, SharedSecretCiphertextBlob=enc["SharedSecretCiphertextBlob"],
                              EncapsulationAlgorithm="ML_KEM")
        assert dec["SharedSecret"] == enc["SharedSecret"] and dec["EncapsulationAlgorithm"] == "ML_KEM"
        if spec != "ML_KEM_512":  # cryptography has ML-KEM-768 and -1024 only
            pub = serialization.load_der_public_key(public(kms, key_id)["PublicKey"])
            secret, ct = pub.encapsulate()
            assert kms.decapsulate(KeyId=key_id, SharedSecretCiphertextBlob=ct,
                                   EncapsulationAlgorithm="ML_KEM")["SharedSecret"] == secret
        fails(kms.decapsulate, "InvalidCiphertextException", KeyId=key_id, SharedSecretCiphertextBlob=b"short",
              EncapsulationAlgorithm="ML_KEM")
    fails(kms.encapsulate, "InvalidKeyUsageException", KeyId=key(keys, "RSA_2048", "ENCRYPT_DECRYPT"),
          EncapsulationAlgorithm="ML_KEM")


# --- One key store, both dialects; awscli ---------------------------------------------------


def test_key_made_on_aws_is_seen_by_aliyun_and_awscli(server, kms, keys):
    key_id = key(keys, "ECC_NIST_P256", "SIGN_VERIFY")
    tea = make_caller(server, "tea_acs3")
    meta = tea.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert meta["KeySpec"] == "EC_P256" and meta["KeyUsage"] == "SIGN/VERIFY"
    # The other way: an Aliyun EC_P256 SIGN/VERIFY key signs through boto3 under AWS names.
    ali = tea.call("CreateKey", KeySpec="EC_P256", KeyUsage="SIGN/VERIFY")["KeyMetadata"]["KeyId"]
    aws_meta = kms.describe_key(KeyId=ali)["KeyMetadata"]
    assert aws_meta["KeySpec"] == "ECC_NIST_P256" and aws_meta["SigningAlgorithms"] == ["ECDSA_SHA_256"]
    pub = serialization.load_der_public_key(public(kms, ali)["PublicKey"])
    sig = kms.sign(KeyId=ali, Message=b"both dialects", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    pub.verify(sig, b"both dialects", ec.ECDSA(hashes.SHA256()))
    aws = Path(sys.executable).parent / "aws"
    env = dict(os.environ, AWS_ACCESS_KEY_ID=AK_ID, AWS_SECRET_ACCESS_KEY=AK_SECRET, AWS_DEFAULT_REGION=REGION)
    out = subprocess.run([str(aws), "kms", "get-public-key", "--key-id", key_id, "--endpoint-url", server.base_url,
                          "--output", "json"], env=env, capture_output=True, text=True, timeout=60, check=True)
    got = json.loads(out.stdout)
    assert base64.b64decode(got["PublicKey"]) == public(kms, key_id)["PublicKey"]
    assert got["SigningAlgorithms"] == ["ECDSA_SHA_256"]


def test_re_encrypt_from_and_to_key_pairs(kms, keys):
    """ReEncrypt takes a key pair on either side, as AWS does: RSA ciphertext -> symmetric
    ciphertext -> SM2 ciphertext, the plaintext never leaving qkms."""
    rsa_key = key(keys, "RSA_2048", "ENCRYPT_DECRYPT")
    sm2_key = key(keys, "SM2", "ENCRYPT_DECRYPT")
    sym = kms.create_key()["KeyMetadata"]["KeyId"]
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    pub = serialization.load_der_public_key(public(kms, rsa_key)["PublicKey"])
    ct = pub.encrypt(b"moved twice", oaep)
    out = kms.re_encrypt(CiphertextBlob=ct, SourceKeyId=rsa_key, SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
                         DestinationKeyId=sym, DestinationEncryptionContext={"hop": "1"})
    assert out["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert out["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    out = kms.re_encrypt(CiphertextBlob=out["CiphertextBlob"], SourceEncryptionContext={"hop": "1"},
                         DestinationKeyId=sm2_key, DestinationEncryptionAlgorithm="SM2PKE")
    assert out["DestinationEncryptionAlgorithm"] == "SM2PKE" and out["KeyId"].endswith(sm2_key)
    back = kms.decrypt(KeyId=sm2_key, CiphertextBlob=out["CiphertextBlob"], EncryptionAlgorithm="SM2PKE")
    assert back["Plaintext"] == b"moved twice"
    fails(kms.re_encrypt, "ValidationException", CiphertextBlob=ct, SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
          DestinationKeyId=sym)
    fails(kms.re_encrypt, "InvalidKeyUsageException", CiphertextBlob=ct, SourceKeyId=rsa_key,
          SourceEncryptionAlgorithm="SM2PKE", DestinationKeyId=sym)


def test_sm2pke_wrapping_imports_symmetric_material(kms):
    """GetParametersForImport with SM2 / SM2PKE (AWS China's wrapping) gives an SM2 public key;
    material wrapped to it with gmssl imports, and ciphertexts survive a re-import."""
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    material = os.urandom(32)
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="SM2PKE", WrappingKeySpec="SM2")
    local = gm_sm2.CryptSM2(private_key=None, public_key=sm2_point(params["PublicKey"]), mode=1)
    kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                            EncryptedKeyMaterial=b"\x04" + local.encrypt(material),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    ct = kms.encrypt(KeyId=key_id, Plaintext=b"sm2 wrapped")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"sm2 wrapped"
    fails(kms.get_parameters_for_import, "ValidationException", KeyId=key_id, WrappingAlgorithm="SM2PKE",
          WrappingKeySpec="RSA_2048")
    fails(kms.get_parameters_for_import, "ValidationException", KeyId=key_id,
          WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="SM2")


def test_grants_allow_what_the_key_can_do(kms, keys):
    signing = key(keys, "ECC_NIST_P256", "SIGN_VERIFY")
    grantee = "arn:aws:iam::111122223333:role/signer"
    out = kms.create_grant(KeyId=signing, GranteePrincipal=grantee, Operations=["Sign", "Verify", "GetPublicKey"])
    listed = kms.list_grants(KeyId=signing)["Grants"]
    assert [g["Operations"] for g in listed if g["GrantId"] == out["GrantId"]] == [["GetPublicKey", "Sign", "Verify"]]
    fails(kms.create_grant, "ValidationException", KeyId=signing, GranteePrincipal=grantee, Operations=["Encrypt"])
    mac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=mac, GranteePrincipal=grantee, Operations=["GenerateMac", "VerifyMac", "DescribeKey"])
    fails(kms.create_grant, "ValidationException", KeyId=mac, GranteePrincipal=grantee, Operations=["Sign"])
