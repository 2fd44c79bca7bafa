"""Key versions, rotation on the KMS clock and deletion protection, through the Aliyun SDKs
(all four modes) and boto3 / the AWS CLI, on one key store: a key rotated through one
dialect is seen rotated through the other."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from qkms_harness import AK_ID, AK_SECRET, Byok, b64, expect_error, iso, make_caller, parse_iso

DAY = 86_400
AWS_REGION = "us-east-1"


def aws(server):
    return boto3.client("kms", endpoint_url=server.base_url, region_name=AWS_REGION,
                        aws_access_key_id=AK_ID, aws_secret_access_key=AK_SECRET,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def aws_error(fn, code: str, **kw) -> ClientError:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    assert e.value.response["Error"]["Code"] == code, e.value.response
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.value.response
    return e.value


@pytest.fixture
def clocked(server_factory):
    """A server of its own whose clock starts fixed, so tests can move it."""
    return server_factory(clock="fixed:2030-01-01T00:00:00Z")


def test_automatic_rotation_on_the_clock(clocked, mode):
    kms = make_caller(clocked, mode)
    meta = kms.call("CreateKey", EnableAutomaticRotation=True, RotationInterval="7d")["KeyMetadata"]
    key_id, first = meta["KeyId"], meta["PrimaryKeyVersion"]
    created = parse_iso(meta["CreationDate"])
    assert meta["AutomaticRotation"] == "Enabled"
    assert meta["RotationInterval"] == "604800s"
    assert parse_iso(meta["NextRotationDate"]) == created + 7 * DAY
    assert meta["LastRotationDate"] == meta["CreationDate"]
    old = kms.call("Encrypt", KeyId=key_id, Plaintext=b64(b"written before the rotation"))
    assert old["KeyVersionId"] == first

    clocked.clock(advance="7d")
    meta = kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert meta["PrimaryKeyVersion"] != first
    assert parse_iso(meta["LastRotationDate"]) == created + 7 * DAY
    assert parse_iso(meta["NextRotationDate"]) == created + 14 * DAY
    new = kms.call("Encrypt", KeyId=key_id, Plaintext=b64(b"after"))
    assert new["KeyVersionId"] == meta["PrimaryKeyVersion"]
    back = kms.call("Decrypt", CiphertextBlob=old["CiphertextBlob"])
    assert base64.b64decode(back["Plaintext"]) == b"written before the rotation"
    assert back["KeyVersionId"] == first
    versions = kms.call("ListKeyVersions", KeyId=key_id)
    assert [v["KeyVersionId"] for v in versions["KeyVersions"]["KeyVersion"]] == [first, meta["PrimaryKeyVersion"]]

    # The same rotation through the AWS dialect, and the old ciphertext re-encrypted there
    # to the new version.
    client = aws(clocked)
    status = client.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 7
    rotations = client.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    assert rotations[0]["KeyMaterialState"] == "CURRENT"
    re = client.re_encrypt(CiphertextBlob=base64.b64decode(old["CiphertextBlob"]), DestinationKeyId=key_id)
    again = kms.call("Decrypt", CiphertextBlob=b64(re["CiphertextBlob"]))
    assert again["KeyVersionId"] == meta["PrimaryKeyVersion"]
    assert base64.b64decode(again["Plaintext"]) == b"written before the rotation"


def test_rotation_policy_and_its_interval_rules(clocked, mode):
    kms = make_caller(clocked, mode)
    for bad in ["6d", "366d", "8760h1", "7w", "abc", "-7d"]:
        expect_error(kms.call, "CreateKey", EnableAutomaticRotation=True, RotationInterval=bad,
                     code="InvalidParameter", status=400)
        # nothing was created by the refused calls
    assert kms.call("ListKeys")["TotalCount"] == 0
    key_id = kms.call("CreateKey")["KeyMetadata"]["KeyId"]
    meta = kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert (meta["AutomaticRotation"], meta["RotationInterval"], meta["NextRotationDate"]) == ("Disabled", "", "")
    kms.call("UpdateRotationPolicy", KeyId=key_id, EnableAutomaticRotation=True, RotationInterval="168h")
    meta = kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert meta["AutomaticRotation"] == "Enabled" and meta["RotationInterval"] == "604800s"
    assert parse_iso(meta["NextRotationDate"]) == clocked.now() + 7 * DAY
    expect_error(kms.call, "UpdateRotationPolicy", KeyId=key_id, EnableAutomaticRotation=True,
                 RotationInterval="1d", code="InvalidParameter", status=400)
    # A Disabled key's rotation is suspended, and does not happen.
    kms.call("DisableKey", KeyId=key_id)
    assert kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]["AutomaticRotation"] == "Suspended"
    clocked.clock(advance="8d")
    assert kms.call("ListKeyVersions", KeyId=key_id)["TotalCount"] == 1
    kms.call("EnableKey", KeyId=key_id)
    clocked.clock(advance="1s")
    assert kms.call("ListKeyVersions", KeyId=key_id)["TotalCount"] == 2
    kms.call("UpdateRotationPolicy", KeyId=key_id, EnableAutomaticRotation=False)
    meta = kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert (meta["AutomaticRotation"], meta["RotationInterval"]) == ("Disabled", "")
    # EXTERNAL keys do not rotate.
    ext = Byok(kms).create_external()
    expect_error(kms.call, "UpdateRotationPolicy", KeyId=ext, EnableAutomaticRotation=True,
                 code="Unsupported.Origin", status=400)
    expect_error(kms.call, "CreateKey", Origin="EXTERNAL", EnableAutomaticRotation=True,
                 code="InvalidParameter", status=400)
    expect_error(kms.call, "UpdateRotationPolicy", KeyId=key_id, EnableAutomaticRotation="maybe",
                 code="InvalidParameter", status=400)


def test_key_versions(clocked, mode):
    kms = make_caller(clocked, mode)
    meta = kms.call("CreateKey", KeySpec="Aliyun_SM4")["KeyMetadata"]
    key_id, first = meta["KeyId"], meta["PrimaryKeyVersion"]
    # A second version within 7 days of the newest is refused.
    expect_error(kms.call, "CreateKeyVersion", KeyId=key_id, code="Rejected.UnsupportedOperation", status=400)
    clocked.clock(advance="7d")
    made = kms.call("CreateKeyVersion", KeyId=key_id)["KeyVersion"]
    assert made["KeyId"] == key_id and made["KeyVersionId"] != first
    assert parse_iso(made["CreationDate"]) == clocked.now()
    assert kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]["PrimaryKeyVersion"] == made["KeyVersionId"]
    expect_error(kms.call, "CreateKeyVersion", KeyId=key_id, code="Rejected.UnsupportedOperation", status=400)
    clocked.clock(advance="7d")
    third = kms.call("CreateKeyVersion", KeyId=key_id)["KeyVersion"]["KeyVersionId"]
    # Paged, oldest first, in the wrapped list shape.
    page1 = kms.call("ListKeyVersions", KeyId=key_id, PageSize=2)
    page2 = kms.call("ListKeyVersions", KeyId=key_id, PageSize=2, PageNumber=2)
    assert (page1["TotalCount"], page1["PageNumber"], page1["PageSize"]) == (3, 1, 2)
    ids = [v["KeyVersionId"] for p in (page1, page2) for v in p["KeyVersions"]["KeyVersion"]]
    assert ids == [first, made["KeyVersionId"], third]
    one = kms.call("DescribeKeyVersion", KeyId=key_id, KeyVersionId=first)["KeyVersion"]
    assert one == {"KeyId": key_id, "KeyVersionId": first, "CreationDate": meta["CreationDate"]}
    expect_error(kms.call, "DescribeKeyVersion", KeyId=key_id, KeyVersionId="00000000-0000-4000-8000-000000000000",
                 code="Forbidden.KeyVersionNotFound", status=404)
    expect_error(kms.call, "ListKeyVersions", KeyId="00000000-0000-4000-8000-000000000000",
                 code="Forbidden.KeyNotFound", status=404)
    ext = Byok(kms).create_external()
    expect_error(kms.call, "CreateKeyVersion", KeyId=ext, code="Unsupported.Origin", status=400)
    kms.call("DisableKey", KeyId=key_id)
    clocked.clock(advance="7d")
    expect_error(kms.call, "CreateKeyVersion", KeyId=key_id, code="Rejected.Disabled", status=409)


def test_deletion_protection(clocked, mode):
    kms = make_caller(clocked, mode)
    meta = kms.call("CreateKey")["KeyMetadata"]
    key_id, arn = meta["KeyId"], meta["Arn"]
    described = kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert (described["DeletionProtection"], described["DeletionProtectionDescription"]) == ("Disabled", "")
    kms.call("SetDeletionProtection", ProtectedResourceArn=arn, EnableDeletionProtection=True,
             DeletionProtectionDescription="used by the billing service")
    described = kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert described["DeletionProtection"] == "Enabled"
    assert described["DeletionProtectionDescription"] == "used by the billing service"
    expect_error(kms.call, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7,
                 code="Forbidden.NoPermission", status=403)
    assert kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    # The AWS dialect honours it too.
    aws_error(aws(clocked).schedule_key_deletion, "KMSInvalidStateException", KeyId=key_id, PendingWindowInDays=7)
    # The classic SDK's request class has no KeyId (it predates it): the ARN names the key.
    by_id = {"ProtectedResourceArn": arn} if mode == "classic" else {"KeyId": key_id}
    kms.call("SetDeletionProtection", **by_id, EnableDeletionProtection=False)
    described = kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert (described["DeletionProtection"], described["DeletionProtectionDescription"]) == ("Disabled", "")
    kms.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    expect_error(kms.call, "SetDeletionProtection", **by_id, EnableDeletionProtection=True,
                 code="Rejected.StateModifiedFailed", status=409)
    expect_error(kms.call, "SetDeletionProtection", EnableDeletionProtection=True,
                 code="MissingParameter", status=400)
    expect_error(kms.call, "SetDeletionProtection", ProtectedResourceArn="acs:kms:cn-hangzhou:1:key/nope",
                 EnableDeletionProtection=True, code="Forbidden.KeyNotFound", status=404)


def test_aws_rotation_operations(clocked):
    client = aws(clocked)
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    arn = f"arn:aws:kms:{AWS_REGION}:111122223333:key/{key_id}"
    assert client.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    client.enable_key_rotation(KeyId=key_id)
    status = client.get_key_rotation_status(KeyId=key_id)
    now = clocked.now()
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365
    assert int(status["NextRotationDate"].timestamp()) == now + 365 * DAY
    assert status["KeyId"] == arn and "OnDemandRotationStartDate" not in status
    for days in (2561, 100000):  # botocore itself refuses values under the minimum
        aws_error(client.enable_key_rotation, "ValidationException", KeyId=key_id, RotationPeriodInDays=days)
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    assert client.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 90
    before = client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    blob = client.encrypt(KeyId=key_id, Plaintext=b"one")["CiphertextBlob"]
    assert client.rotate_key_on_demand(KeyId=key_id)["KeyId"] == arn
    after = client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert after != before and len(after) == 64
    clocked.clock(advance="90d")
    rotations = client.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND", "AUTOMATIC"]
    assert [r["KeyMaterialState"] for r in rotations] == ["NON_CURRENT", "CURRENT"]
    everything = client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [r["KeyMaterialId"] for r in everything][:2] == [before, after]
    page = client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL", Limit=2)
    assert page["Truncated"] is True and len(page["Rotations"]) == 2
    rest = client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL", Marker=page["NextMarker"])
    assert rest["Truncated"] is False and len(rest["Rotations"]) == 1
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"one"
    # The Aliyun dialect sees the same versions.
    kms = make_caller(clocked, "tea_acs3")
    assert kms.call("ListKeyVersions", KeyId=key_id)["TotalCount"] == 3
    client.disable_key_rotation(KeyId=key_id)
    assert client.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    # State and origin rules.
    client.disable_key(KeyId=key_id)
    aws_error(client.enable_key_rotation, "DisabledException", KeyId=key_id)
    aws_error(client.rotate_key_on_demand, "DisabledException", KeyId=key_id)
    ext = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    aws_error(client.enable_key_rotation, "UnsupportedOperationException", KeyId=ext)
    aws_error(client.rotate_key_on_demand, "KMSInvalidStateException", KeyId=ext)
    aws_error(client.get_key_rotation_status, "NotFoundException", KeyId="11111111-2222-4333-8444-555555555555")
    aws_error(client.enable_key_rotation, "InvalidArnException", KeyId="alias/nope")


def test_aws_on_demand_rotation_limit(clocked):
    client = aws(clocked)
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(25):
        client.rotate_key_on_demand(KeyId=key_id)
    aws_error(client.rotate_key_on_demand, "LimitExceededException", KeyId=key_id)


def test_aws_cli_sees_rotation(clocked, tmp_path):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": AK_ID, "AWS_SECRET_ACCESS_KEY": AK_SECRET,
           "AWS_DEFAULT_REGION": AWS_REGION, "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_MAX_ATTEMPTS": "1"}
    aws_bin = str(Path(sys.executable).with_name("aws"))

    def cli(*args):
        out = subprocess.run([aws_bin, "kms", *args, "--endpoint-url", clocked.base_url, "--output", "json"],
                             env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else {}

    key_id = cli("create-key")["KeyMetadata"]["KeyId"]
    cli("enable-key-rotation", "--key-id", key_id, "--rotation-period-in-days", "180")
    assert cli("get-key-rotation-status", "--key-id", key_id)["RotationPeriodInDays"] == 180
    cli("rotate-key-on-demand", "--key-id", key_id)
    rotations = cli("list-key-rotations", "--key-id", key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]


def aws_import(client, key_id, material, **extra):
    p = client.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                         WrappingKeySpec="RSA_2048")
    from qkms_harness import aws_wrap
    return client.import_key_material(KeyId=key_id, ImportToken=p["ImportToken"],
                                      EncryptedKeyMaterial=aws_wrap(material, p["PublicKey"], "RSAES_OAEP_SHA_256"),
                                      ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", **extra)


def test_aws_multi_material_import(clocked):
    client = aws(clocked)
    key_id = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    assert "CurrentKeyMaterialId" not in client.describe_key(KeyId=key_id)["KeyMetadata"]
    first, second = os.urandom(32), os.urandom(32)
    # Without the several-materials members the answer is the seed page's empty one.
    r1 = aws_import(client, key_id, first)
    assert {k: v for k, v in r1.items() if k != "ResponseMetadata"} == {}
    first_id = client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert len(first_id) == 64
    r1 = aws_import(client, key_id, first, ImportType="EXISTING_KEY_MATERIAL")
    assert r1["KeyMaterialId"] == first_id and r1["KeyId"].endswith(key_id)
    old = client.encrypt(KeyId=key_id, Plaintext=b"under the first material")["CiphertextBlob"]
    # Nothing pending rotation yet.
    aws_error(client.rotate_key_on_demand, "UnsupportedOperationException", KeyId=key_id)

    # New material waits, pending rotation; the key keeps encrypting under the first.
    aws_error(aws_import, "IncorrectKeyMaterialException", client=client, key_id=key_id, material=first,
              ImportType="NEW_KEY_MATERIAL")
    aws_error(aws_import, "ValidationException", client=client, key_id=key_id, material=second,
              ImportType="NEW_KEY_MATERIAL", KeyMaterialId=first_id)
    second_id = aws_import(client, key_id, second, ImportType="NEW_KEY_MATERIAL",
                           KeyMaterialDescription="second material 2030")["KeyMaterialId"]
    assert second_id != first_id
    listed = client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"], r["ImportState"]) for r in listed] == [
        (first_id, "CURRENT", "IMPORTED"), (second_id, "PENDING_ROTATION", "IMPORTED")]
    assert listed[1]["KeyMaterialDescription"] == "second material 2030"
    assert listed[1]["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert client.list_key_rotations(KeyId=key_id)["Rotations"] == []
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == first_id

    client.rotate_key_on_demand(KeyId=key_id)
    meta = client.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["CurrentKeyMaterialId"] == second_id and meta["KeyState"] == "Enabled"
    rotations = client.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"], r["KeyMaterialState"]) for r in rotations] == [
        (second_id, "ON_DEMAND", "CURRENT")]
    new = client.encrypt(KeyId=key_id, Plaintext=b"under the second")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=old)["Plaintext"] == b"under the first material"
    assert client.decrypt(CiphertextBlob=new)["Plaintext"] == b"under the second"

    # Re-importing existing material by its ID; a wrong ID is refused.
    assert aws_import(client, key_id, first, ImportType="EXISTING_KEY_MATERIAL",
                      KeyMaterialId=first_id)["KeyMaterialId"] == first_id
    aws_error(aws_import, "IncorrectKeyMaterialException", client=client, key_id=key_id, material=first,
              ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=second_id)
    aws_error(aws_import, "IncorrectKeyMaterialException", client=client, key_id=key_id,
              material=os.urandom(32), ImportType="EXISTING_KEY_MATERIAL")

    # Deleting one material by ID: its ciphertexts stop decrypting, the key stays usable.
    gone = client.delete_imported_key_material(KeyId=key_id, KeyMaterialId=first_id)
    assert gone["KeyMaterialId"] == first_id
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    with pytest.raises(ClientError):
        client.decrypt(CiphertextBlob=old)
    assert client.decrypt(CiphertextBlob=new)["Plaintext"] == b"under the second"
    aws_error(client.delete_imported_key_material, "NotFoundException", KeyId=key_id, KeyMaterialId="0" * 64)
    # Without an ID the current material goes, and the key waits for an import.
    assert client.delete_imported_key_material(KeyId=key_id)["KeyMaterialId"] == second_id
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    # The first material comes back by re-import: its old ciphertexts decrypt again, and the
    # Aliyun dialect reports the versions.
    aws_import(client, key_id, first)
    aws_import(client, key_id, second)
    assert client.decrypt(CiphertextBlob=old)["Plaintext"] == b"under the first material"
    kms = make_caller(clocked, "tea_acs3")
    meta = kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert kms.call("ListKeyVersions", KeyId=key_id)["TotalCount"] == 2


def test_aliyun_keeps_one_material_per_key(clocked, mode):
    kms = make_caller(clocked, mode)
    byok = Byok(kms)
    key_id, material = byok.imported_key()
    expect_error(byok.import_material, key_id, os.urandom(32), code="InvalidKeyMaterial", status=400)
    byok.import_material(key_id, material)
    assert kms.call("ListKeyVersions", KeyId=key_id)["TotalCount"] == 1
