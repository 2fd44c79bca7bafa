"""ReEncrypt, ExportDataKey, GenerateAndExportDataKey, GetRandomPassword, the plural tag
actions and the account actions, through the official Python SDKs in all four modes
(classic v1, Tea ACS3, Tea v1, Tea ACS4)."""

from __future__ import annotations

import base64
import string
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from qkms_harness import REGION, Byok, b64, expect_error, unb64

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def new_key(kms) -> str:
    return kms.call("CreateKey")["KeyMetadata"]["KeyId"]


# --------------------------------------------------------------------------- ReEncrypt


def test_re_encrypt_moves_a_ciphertext_to_another_key(kms):
    byok = Byok(kms)
    src, dst = new_key(kms), new_key(kms)
    blob = byok.encrypt(src, b"move me", {"from": "a"})["CiphertextBlob"]
    out = kms.call("ReEncrypt", CiphertextBlob=blob, DestinationKeyId=dst,
                   SourceEncryptionContext={"from": "a"}, DestinationEncryptionContext={"to": "b"})
    assert out["KeyId"] == dst
    assert out["KeyVersionId"] == byok.describe(dst)["PrimaryKeyVersion"]
    plain = byok.decrypt(out["CiphertextBlob"], {"to": "b"})
    assert (plain["KeyId"], unb64(plain["Plaintext"])) == (dst, b"move me")
    # The source key and its version may be named; they must be the ciphertext's.
    version = byok.decrypt(blob, {"from": "a"})["KeyVersionId"]
    again = kms.call("ReEncrypt", CiphertextBlob=blob, DestinationKeyId=f"acs:kms:{REGION}:1234567890123456:key/{dst}",
                     SourceEncryptionContext={"from": "a"}, SourceKeyId=src, SourceKeyVersionId=version)
    assert again["KeyId"] == dst
    assert unb64(byok.decrypt(again["CiphertextBlob"])["Plaintext"]) == b"move me"


def test_re_encrypt_refusals(kms, mode):
    byok = Byok(kms)
    src, dst = new_key(kms), new_key(kms)
    blob = byok.encrypt(src, b"x", {"k": "v"})["CiphertextBlob"]
    args = dict(CiphertextBlob=blob, DestinationKeyId=dst, SourceEncryptionContext={"k": "v"})
    expect_error(kms.call, "ReEncrypt", CiphertextBlob=blob, code="MissingParameter", status=400)
    expect_error(kms.call, "ReEncrypt", **{**args, "SourceEncryptionContext": {"k": "other"}},
                 code="InvalidParameter", status=400)
    expect_error(kms.call, "ReEncrypt", **{**args, "SourceKeyId": dst}, code="InvalidParameter", status=400)
    expect_error(kms.call, "ReEncrypt", **{**args, "SourceKeyVersionId": str(uuid.uuid4())},
                 code="Forbidden.KeyVersionNotFound", status=404)
    # An asymmetric source names its key and version; a symmetric key does not decrypt it.
    expect_error(kms.call, "ReEncrypt", **{**args, "SourceEncryptionAlgorithm": "RSAES_OAEP_SHA_256"},
                 code="MissingParameter", status=400)
    version = kms.call("DescribeKey", KeyId=src)["KeyMetadata"]["PrimaryKeyVersion"]
    expect_error(kms.call, "ReEncrypt", **{**args, "SourceEncryptionAlgorithm": "RSAES_OAEP_SHA_256",
                                           "SourceKeyId": src, "SourceKeyVersionId": version},
                 code="InvalidParameter", status=400)
    expect_error(kms.call, "ReEncrypt", **{**args, "DestinationKeyId": str(uuid.uuid4())},
                 code="Forbidden.KeyNotFound", status=404)
    # Source-side states are Decrypt's, destination-side ones Encrypt's.
    kms.call("DisableKey", KeyId=dst)
    expect_error(kms.call, "ReEncrypt", **args, code="Rejected.Disabled", status=409)
    kms.call("EnableKey", KeyId=dst)
    kms.call("DisableKey", KeyId=src)
    expect_error(kms.call, "ReEncrypt", **args, code="Rejected.Disabled", status=409)
    kms.call("EnableKey", KeyId=src)
    external = byok.create_external()
    expect_error(kms.call, "ReEncrypt", **{**args, "DestinationKeyId": external},
                 code="Rejected.PendingImport", status=409)
    # DryRun: everything checked, nothing answered.
    expect_error(kms.call, "ReEncrypt", **args, DryRun="true", code="DryRunOperationError", status=400)
    expect_error(kms.call, "ReEncrypt", **{**args, "DestinationKeyId": external}, DryRun="true",
                 code="Rejected.PendingImport", status=409)


# --------------------------------------------------------------------------- export


def rsa_pair(bits: int = 2048):
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    der = private.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, b64(der)


def oaep(algorithm: str):
    h = hashes.SHA256() if algorithm == "RSAES_OAEP_SHA_256" else hashes.SHA1()
    return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)


@pytest.mark.parametrize("spec,bits,algorithm", [
    ("RSA_2048", 2048, "RSAES_OAEP_SHA_256"),
    ("RSA_2048", 2048, "RSAES_OAEP_SHA_1"),
    ("RSA_3072", 3072, "RSAES_OAEP_SHA_256"),
])
def test_export_data_key_opens_with_the_private_key(kms, spec, bits, algorithm):
    byok = Byok(kms)
    private, public = rsa_pair(bits)
    key_id = new_key(kms)
    dk = kms.call("GenerateDataKeyWithoutPlaintext", KeyId=key_id, EncryptionContext={"app": "x"})
    out = kms.call("ExportDataKey", CiphertextBlob=dk["CiphertextBlob"], PublicKeyBlob=public,
                   WrappingAlgorithm=algorithm, WrappingKeySpec=spec, EncryptionContext={"app": "x"})
    assert (out["KeyId"], out["KeyVersionId"]) == (key_id, dk["KeyVersionId"])
    exported = private.decrypt(unb64(out["ExportedDataKey"]), oaep(algorithm))
    assert exported == unb64(byok.decrypt(dk["CiphertextBlob"], {"app": "x"})["Plaintext"])
    assert len(exported) == 32

    gen = kms.call("GenerateAndExportDataKey", KeyId=key_id, PublicKeyBlob=public, WrappingAlgorithm=algorithm,
                   WrappingKeySpec=spec, NumberOfBytes=64, EncryptionContext={"app": "y"})
    assert gen["KeyId"] == key_id and gen["KeyVersionId"]
    exported = private.decrypt(unb64(gen["ExportedDataKey"]), oaep(algorithm))
    assert len(exported) == 64
    assert exported == unb64(byok.decrypt(gen["CiphertextBlob"], {"app": "y"})["Plaintext"])


def test_generate_and_export_sizes(kms):
    private, public = rsa_pair()
    key_id = new_key(kms)
    for params, size in (({}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 190}, 190)):
        gen = kms.call("GenerateAndExportDataKey", KeyId=key_id, PublicKeyBlob=public,
                       WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048", **params)
        assert len(private.decrypt(unb64(gen["ExportedDataKey"]), oaep("RSAES_OAEP_SHA_256"))) == size


def test_export_refusals(kms):
    _, public = rsa_pair()
    _, public_3072 = rsa_pair(3072)
    ec_der = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    key_id = new_key(kms)
    blob = kms.call("GenerateDataKey", KeyId=key_id)["CiphertextBlob"]
    ok = dict(PublicKeyBlob=public, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    gen = dict(KeyId=key_id, **ok)
    for bad, code, status in (
        ({"PublicKeyBlob": b64(b"not a key")}, "InvalidParameter", 400),
        ({"PublicKeyBlob": b64(ec_der)}, "InvalidParameter", 400),
        ({"PublicKeyBlob": "!!"}, "InvalidParameter", 400),
        ({"PublicKeyBlob": public_3072}, "InvalidParameter", 400),  # spec does not match the key
        ({"WrappingKeySpec": "EC_SM2"}, "InvalidParameter", 400),
        ({"WrappingAlgorithm": "SM2PKE"}, "InvalidParameter", 400),
        ({"WrappingAlgorithm": "RSAES_PKCS1_V1_5"}, "InvalidParameter", 400),
        ({"WrappingKeySpec": "RSA_4096"}, "InvalidParameter", 400),
    ):
        expect_error(kms.call, "ExportDataKey", CiphertextBlob=blob, **{**ok, **bad}, code=code, status=status)
        expect_error(kms.call, "GenerateAndExportDataKey", **{**gen, **bad}, code=code, status=status)
    e = expect_error(kms.call, "ExportDataKey", CiphertextBlob=blob, **{**ok, "WrappingKeySpec": "EC_SM2"},
                     code="InvalidParameter", status=400)
    assert "takes SM2PKE only" in e.message
    expect_error(kms.call, "ExportDataKey", CiphertextBlob=blob, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                 WrappingKeySpec="RSA_2048", code="MissingParameter", status=400)
    expect_error(kms.call, "ExportDataKey", CiphertextBlob=blob, EncryptionContext={"no": "such"}, **ok,
                 code="InvalidParameter", status=400)
    # 191 bytes do not fit RSA-2048 with OAEP-SHA-256; 1025 is out of range.
    for n in (191, 1025, 0):
        expect_error(kms.call, "GenerateAndExportDataKey", **gen, NumberOfBytes=n, code="InvalidParameter", status=400)
    expect_error(kms.call, "GenerateAndExportDataKey", **{**gen, "KeyId": str(uuid.uuid4())},
                 code="Forbidden.KeyNotFound", status=404)
    kms.call("DisableKey", KeyId=key_id)
    expect_error(kms.call, "ExportDataKey", CiphertextBlob=blob, **ok, code="Rejected.Disabled", status=409)
    expect_error(kms.call, "GenerateAndExportDataKey", **gen, code="Rejected.Disabled", status=409)
    kms.call("EnableKey", KeyId=key_id)
    expect_error(kms.call, "ExportDataKey", CiphertextBlob=blob, **ok, DryRun="true",
                 code="DryRunOperationError", status=400)
    expect_error(kms.call, "GenerateAndExportDataKey", **gen, DryRun="true", code="DryRunOperationError", status=400)


# --------------------------------------------------------------------------- GetRandomPassword


CLASSES = {
    "ExcludeLowercase": set(string.ascii_lowercase),
    "ExcludeUppercase": set(string.ascii_uppercase),
    "ExcludeNumbers": set(string.digits),
    "ExcludePunctuation": set(PUNCTUATION),
}


def password(kms, **params) -> str:
    return kms.call("GetRandomPassword", **params)["RandomPassword"]


def test_random_password_defaults(kms):
    seen = set()
    for _ in range(20):
        p = password(kms)
        assert len(p) == 32
        for chars in CLASSES.values():
            assert set(p) & chars, p  # RequireEachIncludedType defaults to true
        assert set(p) <= set().union(*CLASSES.values())
        seen.add(p)
    assert len(seen) == 20
    assert len(PUNCTUATION) == 32


@pytest.mark.parametrize("excluded", sorted(CLASSES))
def test_random_password_exclusions(kms, excluded):
    for _ in range(10):
        p = password(kms, PasswordLength="128", **{excluded: "true"})
        assert len(p) == 128
        assert not set(p) & CLASSES[excluded], p
        for name, chars in CLASSES.items():
            if name != excluded:
                assert set(p) & chars, (name, p)


def test_random_password_options(kms):
    for n in ("8", "9", "127", "128"):
        assert len(password(kms, PasswordLength=n)) == int(n)
    p = "".join(password(kms, PasswordLength="128", ExcludeCharacters="abcXYZ0") for _ in range(5))
    assert not set(p) & set("abcXYZ0")
    # Only digits left: every character is one.
    only = password(kms, ExcludeLowercase="true", ExcludeUppercase="true", ExcludePunctuation="true")
    assert set(only) <= set(string.digits)
    # One digit allowed and required: it appears in every draw of 8.
    for _ in range(10):
        assert "7" in password(kms, PasswordLength="8", ExcludeCharacters="012345689")
    # Without RequireEachIncludedType, draws of 8 over a mostly-letter set often miss digits.
    missing = sum(not set(password(kms, PasswordLength="8", ExcludePunctuation="true",
                                   RequireEachIncludedType="false")) & set(string.digits) for _ in range(40))
    assert missing > 0
    # Every character is used over many draws: the choice is over the whole set.
    assert set("".join(password(kms, PasswordLength="128") for _ in range(20))) == set().union(*CLASSES.values())


def test_random_password_refusals(kms):
    for n in ("7", "129", "x", "0"):
        expect_error(kms.call, "GetRandomPassword", PasswordLength=n, code="InvalidParameter", status=400)
    expect_error(kms.call, "GetRandomPassword", ExcludeLowercase="true", ExcludeUppercase="true",
                 ExcludeNumbers="true", ExcludePunctuation="true", code="InvalidParameter", status=400)
    expect_error(kms.call, "GetRandomPassword", ExcludeLowercase="true", ExcludeUppercase="true",
                 ExcludeNumbers="true", ExcludeCharacters=PUNCTUATION, code="InvalidParameter", status=400)
    expect_error(kms.call, "GetRandomPassword", ExcludeNumbers="maybe", code="InvalidParameter", status=400)


# --------------------------------------------------------------------------- plural tags


def tags_call(kms, action, *, resource_ids=None, tags=None, tag_keys=None, **params):
    """The plural tag actions take lists; each SDK flattens them itself (ResourceId.N,
    Tag.N.Key/Value, TagKey.N), so the lists go to the SDK's own list setters."""
    params.setdefault("RegionId", REGION)
    params.setdefault("ResourceType", "key")
    if kms.mode == "classic":
        # The classic request classes have no RegionId setter: the core adds the client's
        # region unless the query already names one.
        region = params.pop("RegionId")
        req = kms.request(action, **params)
        req.add_query_param("RegionId", region)
        if resource_ids is not None:
            req.set_ResourceIds(resource_ids)
        if tags is not None:
            req.set_Tags([{"Key": k, "Value": v} for k, v in tags])
        if tag_keys is not None:
            req.set_TagKeys(tag_keys)
        return kms.send(req)
    if resource_ids is not None:
        params["ResourceId"] = resource_ids
    if tags is not None:
        params["Tag"] = [{"Key": k, "Value": v} for k, v in tags]
    if tag_keys is not None:
        params["TagKey"] = tag_keys
    return kms.call(action, **params)


def rows(body) -> list[tuple[str, str, str, str]]:
    return [(r["ResourceId"], r["ResourceType"], r["TagKey"], r["TagValue"])
            for r in body["TagResources"]["TagResource"]]


def test_tag_resources_round_trip(kms):
    a, b = new_key(kms), new_key(kms)
    tags_call(kms, "TagResources", resource_ids=[a, b], tags=[("env", "e2e"), ("team", "kms")])
    listed = tags_call(kms, "ListTagResources", resource_ids=[a, b])
    assert "NextToken" not in listed or not listed["NextToken"]
    assert rows(listed) == sorted([(k, "key", t, v) for k in (a, b) for t, v in (("env", "e2e"), ("team", "kms"))])
    # The singular actions see the same tags.
    assert sorted(t["TagKey"] for t in kms.call("ListResourceTags", KeyId=a)["Tags"]["Tag"]) == ["env", "team"]
    # Filter by tag: a key alone, or a key and its value.
    assert {r[2] for r in rows(tags_call(kms, "ListTagResources", resource_ids=[a, b], tags=[("team", "")]))} == {"team"}
    assert rows(tags_call(kms, "ListTagResources", resource_ids=[a, b], tags=[("env", "other")])) == []
    tags_call(kms, "UntagResources", resource_ids=[a], tag_keys=["env", "absent"])
    assert rows(tags_call(kms, "ListTagResources", resource_ids=[a])) == [(a, "key", "team", "kms")]
    tags_call(kms, "UntagResources", resource_ids=[a, b], All="true")
    assert rows(tags_call(kms, "ListTagResources", resource_ids=[a, b])) == []
    # Without ResourceId: every tagged key, ours among them.
    tags_call(kms, "TagResources", resource_ids=[b], tags=[("only", "b")])
    everything, token = [], None
    while True:
        page = tags_call(kms, "ListTagResources", **({"NextToken": token} if token else {}))
        everything += rows(page)
        token = page.get("NextToken")
        if not token:
            break
    assert (b, "key", "only", "b") in everything
    # Other resource types exist, but qkms has none of them.
    assert rows(tags_call(kms, "ListTagResources", ResourceType="secret")) == []


def test_list_tag_resources_pages(kms):
    keys = [new_key(kms) for _ in range(11)]
    tags = [(f"t{i:02}", str(i)) for i in range(20)]
    tags_call(kms, "TagResources", resource_ids=keys, tags=tags)
    pages, token = [], None
    while True:
        page = tags_call(kms, "ListTagResources", resource_ids=keys, **({"NextToken": token} if token else {}))
        pages.append(rows(page))
        token = page.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [200, 20]
    assert sum(pages, []) == sorted((k, "key", t, v) for k in keys for t, v in tags)


def test_tag_resources_refusals(kms):
    a = new_key(kms)
    one = [("k", "v")]
    expect_error(tags_call, kms, "TagResources", resource_ids=[a], tags=one, RegionId="cn-shanghai",
                 code="InvalidParameter", status=400)
    expect_error(tags_call, kms, "TagResources", resource_ids=[a], tags=one, ResourceType="bucket",
                 code="InvalidParameter", status=400)
    expect_error(tags_call, kms, "TagResources", resource_ids=[a], tags=one, ResourceType="secret",
                 code="Forbidden.ResourceNotFound", status=404)
    expect_error(tags_call, kms, "TagResources", tags=one, code="MissingParameter", status=400)
    expect_error(tags_call, kms, "TagResources", resource_ids=[a], code="MissingParameter", status=400)
    expect_error(tags_call, kms, "TagResources", resource_ids=[a], tags=[("aliyun-x", "v")],
                 code="InvalidParameter", status=400)
    expect_error(tags_call, kms, "TagResources", resource_ids=[a, str(uuid.uuid4())], tags=one,
                 code="Forbidden.KeyNotFound", status=404)
    # Nothing was written for the request that named an unknown key.
    assert rows(tags_call(kms, "ListTagResources", resource_ids=[a])) == []
    expect_error(tags_call, kms, "TagResources", resource_ids=[f"r{i}" for i in range(51)], tags=one,
                 code="InvalidParameter", status=400)
    expect_error(tags_call, kms, "TagResources", resource_ids=[a], tags=[(f"k{i}", "v") for i in range(21)],
                 code="InvalidParameter", status=400)
    # The quota counts the tags the key has already.
    tags_call(kms, "TagResources", resource_ids=[a], tags=[(f"k{i}", "v") for i in range(15)])
    expect_error(tags_call, kms, "TagResources", resource_ids=[a], tags=[(f"n{i}", "v") for i in range(6)],
                 code="InvalidParameter", status=400)
    expect_error(tags_call, kms, "UntagResources", resource_ids=[a], code="MissingParameter", status=400)
    expect_error(tags_call, kms, "UntagResources", resource_ids=[a], tag_keys=["k0"], RegionId="us-east-1",
                 code="InvalidParameter", status=400)
    expect_error(tags_call, kms, "ListTagResources", NextToken="not-a-token", code="InvalidParameter", status=400)
    expect_error(tags_call, kms, "ListTagResources", resource_ids=[str(uuid.uuid4())],
                 code="Forbidden.KeyNotFound", status=404)


# --------------------------------------------------------------------------- account


def test_account_actions(kms):
    assert kms.call("DescribeAccountKmsStatus")["AccountStatus"] == "Enabled"
    for _ in range(2):  # idempotent
        body = kms.call("OpenKmsService")
        assert body["RequestId"] and set(body) <= {"RequestId"}, body
    assert kms.call("DescribeAccountKmsStatus")["AccountStatus"] == "Enabled"
