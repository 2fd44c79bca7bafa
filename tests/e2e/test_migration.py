"""A data directory written by the previous release (qkms 0.1.0, before key versions,
rotation, policies and grants: `tests/fixtures/store-0.1.0`) opens with this one and keeps
working: every key, alias, tag and state is there, every old ciphertext decrypts, and the
new lifecycle operations work on the old keys."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import boto3

from qkms_harness import AK_ID, AK_SECRET, QKMS_BIN, expect_error, make_caller

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-0.1.0"


def copy_fixture(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE / "data", data)
    # git keeps no file modes but the executable bit; qkms wants its files private.
    data.chmod(0o700)
    for f in data.iterdir():
        f.chmod(0o600)
    return data


def test_an_old_data_directory_opens_and_keeps_working(server_factory, tmp_path):
    expected = json.loads((FIXTURE / "expected.json").read_text())
    keys = expected["keys"]
    data = copy_fixture(tmp_path)
    check = subprocess.run([QKMS_BIN, "check", "--data-dir", str(data)], capture_output=True, text=True)
    assert check.returncode == 0 and "0 problems" in check.stdout, check
    # A fixed clock a day after the fixture was made: its deletion window stays open.
    srv = server_factory(data_dir=data, clock="fixed:2026-12-03T00:00:00Z")
    kms = make_caller(srv, "tea_acs3")
    assert kms.call("ListKeys", PageSize=100)["TotalCount"] == len(keys)
    states = {name: kms.call("DescribeKey", KeyId=k["KeyId"])["KeyMetadata"] for name, k in keys.items()}
    assert states["aes"]["KeyState"] == "Enabled"
    assert states["aes"]["PrimaryKeyVersion"] == keys["aes"]["PrimaryKeyVersion"]
    assert states["aes"]["AutomaticRotation"] == "Disabled" and states["aes"]["DeletionProtection"] == "Disabled"
    assert states["disabled"]["KeyState"] == "Disabled"
    assert states["pending_deletion"]["KeyState"] == "PendingDeletion"
    assert states["external"]["Origin"] == "EXTERNAL" and states["external"]["KeyState"] == "Enabled"
    assert states["external_expiring"]["MaterialExpireTime"] == "2100-01-01T00:00:00Z"
    tags = kms.call("ListResourceTags", KeyId=keys["aes"]["KeyId"])["Tags"]["Tag"]
    assert [(t["TagKey"], t["TagValue"]) for t in tags] == [("team", "core")]
    assert kms.call("DescribeKey", KeyId="alias/migration")["KeyMetadata"]["KeyId"] == keys["aes"]["KeyId"]

    kms.call("EnableKey", KeyId=keys["disabled"]["KeyId"])
    for c in expected["ciphertexts"]:
        args = {"CiphertextBlob": c["CiphertextBlob"]}
        if c["EncryptionContext"]:
            args["EncryptionContext"] = c["EncryptionContext"]
        assert kms.call("Decrypt", **args)["Plaintext"] == c["Plaintext"]

    # The old EXTERNAL key is still bound to its material: a different one is refused and
    # its KeyMaterialId is the fingerprint the old release stored.
    aws = boto3.client("kms", endpoint_url=srv.base_url, region_name="us-east-1",
                       aws_access_key_id=AK_ID, aws_secret_access_key=AK_SECRET)
    ext = keys["external"]["KeyId"]
    current = aws.describe_key(KeyId=ext)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert len(current) == 64
    rotations = aws.list_key_rotations(KeyId=ext, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [r["KeyMaterialId"] for r in rotations] == [current]

    # New operations on old keys: rotation on the clock, versions, deletion protection.
    aes = keys["aes"]["KeyId"]
    kms.call("UpdateRotationPolicy", KeyId=aes, EnableAutomaticRotation=True, RotationInterval="7d")
    srv.clock(advance="7d")
    meta = kms.call("DescribeKey", KeyId=aes)["KeyMetadata"]
    assert meta["PrimaryKeyVersion"] != keys["aes"]["PrimaryKeyVersion"]
    kms.call("CreateKeyVersion", KeyId=keys["sm4"]["KeyId"])
    assert kms.call("ListKeyVersions", KeyId=keys["sm4"]["KeyId"])["TotalCount"] == 2
    kms.call("SetDeletionProtection", KeyId=aes, EnableDeletionProtection=True)
    expect_error(kms.call, "ScheduleKeyDeletion", KeyId=aes, PendingWindowInDays=7,
                 code="Forbidden.NoPermission", status=403)

    # And all of it survives a restart.
    srv.restart()
    kms = make_caller(srv, "tea_acs3")
    for c in expected["ciphertexts"]:
        args = {"CiphertextBlob": c["CiphertextBlob"]}
        if c["EncryptionContext"]:
            args["EncryptionContext"] = c["EncryptionContext"]
        assert base64.b64decode(kms.call("Decrypt", **args)["Plaintext"]) == base64.b64decode(c["Plaintext"])
    assert kms.call("DescribeKey", KeyId=aes)["KeyMetadata"]["DeletionProtection"] == "Enabled"
    assert kms.call("ListKeyVersions", KeyId=aes)["TotalCount"] == 2
