"""Key lifecycle, aliases, tags and regions across the four Python SDK modes."""

from __future__ import annotations

import json
import uuid

from qkms_harness import ACCOUNT, REGION, Byok, expect_error, parse_iso, unb64

CONTEXT = {"k": "v"}


def test_create_key_defaults_and_describe(kms, server):
    meta = kms.call("CreateKey", Description="defaults")["KeyMetadata"]
    key_id = meta["KeyId"]
    uuid.UUID(key_id)
    assert meta["KeySpec"] == "Aliyun_AES_256"
    assert meta["Origin"] == "Aliyun_KMS"
    assert meta["KeyState"] == "Enabled"
    assert meta["KeyUsage"] == "ENCRYPT/DECRYPT"
    assert meta["ProtectionLevel"] == "SOFTWARE"
    assert meta["Creator"] == ACCOUNT
    assert meta["Arn"] == f"acs:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    assert abs(parse_iso(meta["CreationDate"]) - server.now()) <= 5
    assert meta["MaterialExpireTime"] == ""
    described = kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    for field in ("KeyId", "Arn", "KeySpec", "Origin", "KeyState", "CreationDate", "Description"):
        assert described[field] == meta[field], field
    # DescribeKey by ARN returns the real key ID.
    assert kms.call("DescribeKey", KeyId=meta["Arn"])["KeyMetadata"]["KeyId"] == key_id

    kms.call("UpdateKeyDescription", KeyId=key_id, Description="new: * ~ é")
    assert kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]["Description"] == "new: * ~ é"


def test_sm4_generated_key_roundtrip(kms):
    byok = Byok(kms)
    key_id = kms.call("CreateKey", KeySpec="Aliyun_SM4")["KeyMetadata"]["KeyId"]
    blob = byok.encrypt(key_id, b"sm4 data", CONTEXT)["CiphertextBlob"]
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"sm4 data"


def test_enable_disable_schedule_cancel(kms, server):
    byok = Byok(kms)
    key_id = kms.call("CreateKey")["KeyMetadata"]["KeyId"]
    kms.call("DisableKey", KeyId=key_id)
    kms.call("DisableKey", KeyId=key_id)  # idempotent
    assert byok.describe(key_id)["KeyState"] == "Disabled"
    kms.call("EnableKey", KeyId=key_id)
    kms.call("EnableKey", KeyId=key_id)
    assert byok.describe(key_id)["KeyState"] == "Enabled"
    expect_error(kms.call, "CancelKeyDeletion", KeyId=key_id, code="Rejected.StateModifiedFailed", status=409)

    kms.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    meta = byok.describe(key_id)
    assert meta["KeyState"] == "PendingDeletion"
    assert abs(parse_iso(meta["DeleteDate"]) - (server.now() + 7 * 86400)) <= 5
    expect_error(kms.call, "EnableKey", KeyId=key_id, code="Rejected.StateModifiedFailed", status=409)
    expect_error(kms.call, "DisableKey", KeyId=key_id, code="Rejected.StateModifiedFailed", status=409)
    expect_error(kms.call, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7,
                 code="Rejected.StateModifiedFailed", status=409)
    kms.call("CancelKeyDeletion", KeyId=key_id)
    meta = byok.describe(key_id)
    assert meta["KeyState"] == "Enabled"
    assert meta["DeleteDate"] == ""

    ext = byok.create_external()
    expect_error(kms.call, "EnableKey", KeyId=ext, code="Rejected.StateModifiedFailed", status=409)
    expect_error(kms.call, "DisableKey", KeyId=ext, code="Rejected.StateModifiedFailed", status=409)


def test_aliases(kms):
    byok = Byok(kms)
    key_a = kms.call("CreateKey")["KeyMetadata"]["KeyId"]
    key_b, _ = byok.imported_key("Aliyun_AES_256")
    alias = f"alias/e2e-{uuid.uuid4().hex[:12]}"
    kms.call("CreateAlias", AliasName=alias, KeyId=key_a)
    expect_error(kms.call, "CreateAlias", AliasName=alias, KeyId=key_b, code="AliasAlreadyExists", status=400)

    enc = byok.encrypt(alias, b"via alias", CONTEXT)
    assert enc["KeyId"] == key_a
    assert byok.decrypt(enc["CiphertextBlob"], CONTEXT)["KeyId"] == key_a
    alias_arn = f"acs:kms:{REGION}:{ACCOUNT}:{alias}"
    assert byok.encrypt(alias_arn, b"via alias arn")["KeyId"] == key_a

    listed = kms.call("ListAliases", PageSize=100)
    assert isinstance(listed["TotalCount"], int)
    mine = [a for a in listed["Aliases"]["Alias"] if a["AliasName"] == alias]
    assert mine == [{"AliasName": alias, "KeyId": key_a, "AliasArn": alias_arn}]

    kms.call("UpdateAlias", AliasName=alias, KeyId=key_b)
    assert byok.encrypt(alias, b"now B")["KeyId"] == key_b
    # The old ciphertext still decrypts with A (the blob names the key, not the alias).
    assert unb64(byok.decrypt(enc["CiphertextBlob"], CONTEXT)["Plaintext"]) == b"via alias"

    kms.call("DeleteAlias", AliasName=alias)
    expect_error(byok.encrypt, alias, b"x", code="Forbidden.AliasNotFound", status=404)
    expect_error(kms.call, "DeleteAlias", AliasName=alias, code="Forbidden.AliasNotFound", status=404)
    expect_error(kms.call, "CreateAlias", AliasName="no-prefix", KeyId=key_a, code="InvalidParameter", status=400)


def test_tags(kms):
    key_id = kms.call("CreateKey")["KeyMetadata"]["KeyId"]
    kms.call("TagResource", KeyId=key_id,
             Tags=json.dumps([{"TagKey": "env", "TagValue": "e2e"}, {"TagKey": "team", "TagValue": "kms"}]))
    tags = kms.call("ListResourceTags", KeyId=key_id)["Tags"]["Tag"]
    assert sorted((t["KeyId"], t["TagKey"], t["TagValue"]) for t in tags) == [
        (key_id, "env", "e2e"), (key_id, "team", "kms")]
    kms.call("UntagResource", KeyId=key_id, TagKeys=json.dumps(["env"]))
    tags = kms.call("ListResourceTags", KeyId=key_id)["Tags"]["Tag"]
    assert [(t["TagKey"], t["TagValue"]) for t in tags] == [("team", "kms")]
    expect_error(kms.call, "ListResourceTags", KeyId=str(uuid.uuid4()), code="Forbidden.KeyNotFound", status=404)


def test_describe_regions(kms):
    body = kms.call("DescribeRegions")
    assert body["Regions"] == {"Region": [{"RegionId": REGION}]}
    assert body["RequestId"]


def test_generate_data_key_sizes(kms):
    byok = Byok(kms)
    key_id = kms.call("CreateKey")["KeyMetadata"]["KeyId"]
    for params, size in (({}, 32), ({"KeySpec": "AES_128"}, 16), ({"KeySpec": "AES_256"}, 32),
                         ({"NumberOfBytes": 1}, 1), ({"NumberOfBytes": 1024}, 1024),
                         ({"KeySpec": "AES_128", "NumberOfBytes": 40}, 40)):
        dk = kms.call("GenerateDataKey", KeyId=key_id, **params)
        plain = unb64(dk["Plaintext"])
        assert len(plain) == size, params
        assert unb64(byok.decrypt(dk["CiphertextBlob"])["Plaintext"]) == plain
    expect_error(kms.call, "GenerateDataKey", KeyId=key_id, NumberOfBytes=1025, code="InvalidParameter", status=400)
