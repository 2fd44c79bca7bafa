"""Key policies (both dialects, byte-exact across them), grants, GetKeyLastUsage and the
custom key store answers, end to end with boto3, the AWS CLI and the Aliyun SDKs."""

from __future__ import annotations

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

from qkms_harness import AK_ID, AK_SECRET, expect_error, make_caller

REGION = "us-east-1"
ACCOUNT = "111122223333"
# The AWS CLI of the interpreter running the tests (scripts/test installs it in the venv).
AWS_CLI = Path(sys.executable).with_name("aws")

# An odd layout on purpose: byte-exact storage must keep it.
POLICY = ('{ "Version":"2012-10-17",\n\t"Statement": [ {"Sid":"x","Effect":"Allow",'
          '"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"} ]  }')
ALIYUN_POLICY = ('{"Version":"1","Statement":[{"Effect":"Deny","Principal":{"RAM":["acs:ram::1:*"]},'
                 '"Action":["kms:Decrypt"],"Resource":["*"],"Condition":{"Bool":{"acs:SecureTransport":"false"}}}]}')
AWS_DEFAULT = (
    '{\n  "Version" : "2012-10-17",\n  "Id" : "key-default-1",\n  "Statement" : [ {\n'
    '    "Sid" : "Enable IAM User Permissions",\n    "Effect" : "Allow",\n    "Principal" : {\n'
    f'      "AWS" : "arn:aws:iam::{ACCOUNT}:root"\n    }},\n    "Action" : "kms:*",\n'
    '    "Resource" : "*"\n  } ]\n}'
)


def client(server):
    return boto3.client(
        "kms", endpoint_url=server.base_url, region_name=REGION,
        aws_access_key_id=AK_ID, aws_secret_access_key=AK_SECRET,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture
def aws(server):
    return client(server)


def aws_error(fn, code: str, status: int = 400, **kw) -> ClientError:
    with pytest.raises(ClientError) as info:
        fn(**kw)
    err = info.value
    assert err.response["Error"]["Code"] == code, err.response
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == status
    return err


def cli(server, *args) -> dict:
    env = dict(os.environ, AWS_ACCESS_KEY_ID=AK_ID, AWS_SECRET_ACCESS_KEY=AK_SECRET,
               AWS_DEFAULT_REGION=REGION, AWS_MAX_ATTEMPTS="1", AWS_PAGER="")
    out = subprocess.run([str(AWS_CLI), "--endpoint-url", server.base_url, "kms", *args, "--output", "json"],
                         env=env, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        return {"error": out.stderr}
    return json.loads(out.stdout) if out.stdout.strip() else {}


# ------------------------------------------------------------------------------- policies


def test_aws_policy_round_trip_and_default(aws):
    key = aws.create_key()["KeyMetadata"]["KeyId"]
    got = aws.get_key_policy(KeyId=key)
    assert got["Policy"] == AWS_DEFAULT and got["PolicyName"] == "default"
    assert json.loads(got["Policy"])["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{ACCOUNT}:root"
    aws.put_key_policy(KeyId=key, Policy=POLICY, PolicyName="default")
    assert aws.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == POLICY
    listed = aws.list_key_policies(KeyId=key)
    assert listed["PolicyNames"] == ["default"] and listed["Truncated"] is False
    made = aws.create_key(Policy=POLICY, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["KeyId"]
    assert aws.get_key_policy(KeyId=made)["Policy"] == POLICY


def test_aws_policy_refusals(aws):
    key = aws.create_key()["KeyMetadata"]["KeyId"]
    aws_error(aws.put_key_policy, "MalformedPolicyDocumentException", KeyId=key, Policy="not json")
    aws_error(aws.put_key_policy, "MalformedPolicyDocumentException", KeyId=key,
              Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Perhaps","Principal":"*","Action":"kms:*","Resource":"*"}]}')
    aws_error(aws.create_key, "MalformedPolicyDocumentException", Policy='{"Version":"2012-10-17"}')
    aws_error(aws.put_key_policy, "ValidationException", KeyId=key, Policy=POLICY, PolicyName="AWS_RAM")
    aws_error(aws.put_key_policy, "ValidationException", KeyId=key, Policy=POLICY.replace("x", "\u4e2d"))
    big = POLICY.replace('"Sid":"x"', '"Sid":"' + "s" * 33000 + '"')
    aws_error(aws.put_key_policy, "LimitExceededException", KeyId=key, Policy=big)
    aws_error(aws.get_key_policy, "NotFoundException", KeyId=key, PolicyName="AWS_RAM")
    aws_error(aws.get_key_policy, "InvalidArnException", KeyId="alias/nope")
    # Nothing was stored by the refusals.
    assert aws.get_key_policy(KeyId=key)["Policy"] == AWS_DEFAULT


def test_policy_in_every_state(aws):
    key = aws.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]  # PendingImport
    aws.put_key_policy(KeyId=key, Policy=POLICY)
    aws.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    aws.put_key_policy(KeyId=key, Policy=POLICY + " ")
    assert aws.get_key_policy(KeyId=key)["Policy"] == POLICY + " "
    meta = aws.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["PendingDeletionWindowInDays"] == 7 and meta["DeletionDate"]
    aws.cancel_key_deletion(KeyId=key)
    assert "PendingDeletionWindowInDays" not in aws.describe_key(KeyId=key)["KeyMetadata"]


def test_aliyun_policy_round_trip_default_and_refusals(kms):
    created = kms.call("CreateKey")["KeyMetadata"]
    key, account = created["KeyId"], created["Creator"]
    default = kms.call("GetKeyPolicy", KeyId=key)["Policy"]
    assert default == (
        '{"Version":"1","Statement":[{"Sid":"Enable RAM User Permissions","Effect":"Allow",'
        f'"Principal":{{"RAM":["acs:ram::{account}:*"]}},"Action":["kms:*"],"Resource":["*"]}}]}}'
    )
    kms.call("SetKeyPolicy", KeyId=key, Policy=ALIYUN_POLICY, PolicyName="default")
    assert kms.call("GetKeyPolicy", KeyId=key, PolicyName="default")["Policy"] == ALIYUN_POLICY
    expect_error(kms.call, "SetKeyPolicy", KeyId=key, Policy="{", code="InvalidParameter", status=400)
    expect_error(kms.call, "SetKeyPolicy", KeyId=key, Policy='{"Version":"1","Statement":[{"Effect":"Allow"}]}',
                 code="InvalidParameter", status=400)
    big = ALIYUN_POLICY.replace('"Effect":"Deny"', '"Sid":"' + "s" * 32768 + '","Effect":"Deny"')
    expect_error(kms.call, "SetKeyPolicy", KeyId=key, Policy=big, code="InvalidParameter", status=400)
    expect_error(kms.call, "GetKeyPolicy", KeyId=key, PolicyName="other", code="InvalidParameter", status=400)
    expect_error(kms.call, "GetKeyPolicy", KeyId="no-such-key", code="Forbidden.KeyNotFound", status=404)
    assert kms.call("GetKeyPolicy", KeyId=key)["Policy"] == ALIYUN_POLICY


def test_policy_crosses_dialects_byte_exact(server, aws):
    tea = make_caller(server, "tea_acs3")
    key = aws.create_key()["KeyMetadata"]["KeyId"]
    aws.put_key_policy(KeyId=key, Policy=POLICY)
    assert tea.call("GetKeyPolicy", KeyId=key)["Policy"] == POLICY
    made = tea.call("CreateKey", Policy=ALIYUN_POLICY)["KeyMetadata"]["KeyId"]
    assert aws.get_key_policy(KeyId=made)["Policy"] == ALIYUN_POLICY
    classic = make_caller(server, "classic")
    classic.call("SetKeyPolicy", KeyId=made, Policy=POLICY)
    assert aws.get_key_policy(KeyId=made)["Policy"] == POLICY


def test_aws_cli_policy(server):
    key = cli(server, "create-key")["KeyMetadata"]["KeyId"]
    got = cli(server, "get-key-policy", "--key-id", key, "--policy-name", "default")
    assert got["Policy"] == AWS_DEFAULT
    assert cli(server, "put-key-policy", "--key-id", key, "--policy-name", "default", "--policy", POLICY) == {}
    assert cli(server, "get-key-policy", "--key-id", key)["Policy"] == POLICY
    bad = cli(server, "put-key-policy", "--key-id", key, "--policy", "nope")
    assert "MalformedPolicyDocumentException" in bad["error"]


# --------------------------------------------------------------------------------- grants

GRANTEE = f"arn:aws:iam::{ACCOUNT}:role/app"


def test_grant_lifecycle(aws):
    key = aws.create_key()["KeyMetadata"]["KeyId"]
    retirer = f"arn:aws:iam::{ACCOUNT}:role/retirer-{os.urandom(4).hex()}"
    g1 = aws.create_grant(KeyId=key, GranteePrincipal=GRANTEE, RetiringPrincipal=retirer,
                          Operations=["Encrypt", "Decrypt"],
                          Constraints={"EncryptionContextSubset": {"app": "x"}})
    assert len(g1["GrantId"]) == 64 and int(g1["GrantId"], 16) >= 0 and len(g1["GrantToken"]) > 64
    g2 = aws.create_grant(KeyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}", GranteePrincipal=GRANTEE,
                          Operations=["DescribeKey"], Name="second")
    listed = aws.list_grants(KeyId=key)
    assert listed["Truncated"] is False
    by_id = {g["GrantId"]: g for g in listed["Grants"]}
    assert set(by_id) == {g1["GrantId"], g2["GrantId"]}
    first = by_id[g1["GrantId"]]
    assert first["KeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"
    assert first["GranteePrincipal"] == GRANTEE and first["RetiringPrincipal"] == retirer
    assert first["IssuingAccount"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert sorted(first["Operations"]) == ["Decrypt", "Encrypt"]
    assert first["Constraints"] == {"EncryptionContextSubset": {"app": "x"}}
    assert "Name" not in first and by_id[g2["GrantId"]]["Name"] == "second"
    assert first["CreationDate"].timestamp() > 0
    page = aws.list_grants(KeyId=key, Limit=1)
    assert len(page["Grants"]) == 1 and page["Truncated"] is True
    rest = aws.list_grants(KeyId=key, Limit=1, Marker=page["NextMarker"])
    assert len(rest["Grants"]) == 1 and rest["Truncated"] is False
    assert [g["GrantId"] for g in aws.list_grants(KeyId=key, GrantId=g2["GrantId"])["Grants"]] == [g2["GrantId"]]
    assert aws.list_grants(KeyId=key, GranteePrincipal="arn:aws:iam::1:role/none")["Grants"] == []
    retirable = aws.list_retirable_grants(RetiringPrincipal=retirer)["Grants"]
    assert [g["GrantId"] for g in retirable] == [g1["GrantId"]]
    # The token works where GrantTokens are taken.
    blob = aws.encrypt(KeyId=key, Plaintext=b"granted", EncryptionContext={"app": "x"},
                       GrantTokens=[g1["GrantToken"]])["CiphertextBlob"]
    assert aws.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "x"},
                       GrantTokens=[g1["GrantToken"]])["Plaintext"] == b"granted"
    aws.describe_key(KeyId=key, GrantTokens=[g1["GrantToken"]])
    aws_error(aws.retire_grant, "DryRunOperationException", 412, GrantToken=g1["GrantToken"], DryRun=True)
    aws.retire_grant(GrantToken=g1["GrantToken"])
    aws_error(aws.retire_grant, "NotFoundException", GrantToken=g1["GrantToken"])
    assert aws.list_retirable_grants(RetiringPrincipal=retirer)["Grants"] == []
    aws.revoke_grant(KeyId=key, GrantId=g2["GrantId"])
    aws_error(aws.revoke_grant, "NotFoundException", KeyId=key, GrantId=g2["GrantId"])
    assert aws.list_grants(KeyId=key)["Grants"] == []


def test_grant_name_idempotence(aws):
    key = aws.create_key()["KeyMetadata"]["KeyId"]
    args = dict(KeyId=key, GranteePrincipal=GRANTEE, Operations=["Encrypt", "GenerateDataKey"], Name="app-1")
    a = aws.create_grant(**args)
    b = aws.create_grant(**dict(args, Operations=["GenerateDataKey", "Encrypt"]))
    assert a["GrantId"] == b["GrantId"] and a["GrantToken"] != b["GrantToken"]
    # Either token retires it.
    c = aws.create_grant(**dict(args, Operations=["Decrypt"]))
    assert c["GrantId"] != a["GrantId"]
    assert len(aws.list_grants(KeyId=key)["Grants"]) == 2
    aws.retire_grant(GrantToken=b["GrantToken"])
    assert [g["GrantId"] for g in aws.list_grants(KeyId=key)["Grants"]] == [c["GrantId"]]
    aws.retire_grant(KeyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}", GrantId=c["GrantId"])
    assert aws.list_grants(KeyId=key)["Grants"] == []


def test_grant_refusals(aws):
    key = aws.create_key()["KeyMetadata"]["KeyId"]
    base = dict(KeyId=key, GranteePrincipal=GRANTEE)
    aws_error(aws.create_grant, "ValidationException", **base, Operations=["Sign"])
    aws_error(aws.create_grant, "ValidationException", **base, Operations=[])
    aws_error(aws.create_grant, "ValidationException", **base, Operations=["Encrypt"],
              Constraints={"EncryptionContextSubset": {"a": "1"}, "EncryptionContextEquals": {"a": "1"}})
    aws_error(aws.create_grant, "ValidationException", **base, Operations=["Encrypt"], Name="bad name")
    aws_error(aws.create_grant, "ValidationException", KeyId=key, Operations=["Encrypt"])
    aws_error(aws.create_grant, "InvalidArnException", KeyId="alias/x", GranteePrincipal=GRANTEE,
              Operations=["Encrypt"])
    aws_error(aws.create_grant, "NotFoundException", KeyId="00000000-0000-0000-0000-000000000000",
              GranteePrincipal=GRANTEE, Operations=["Encrypt"])
    aws_error(aws.create_grant, "DryRunOperationException", 412, **base, Operations=["Encrypt"], DryRun=True)
    assert aws.list_grants(KeyId=key)["Grants"] == []
    aws_error(aws.retire_grant, "InvalidGrantTokenException", GrantToken="not-a-qkms-token")
    aws_error(aws.retire_grant, "ValidationException", GrantId="0" * 64)
    aws_error(aws.revoke_grant, "InvalidGrantIdException", KeyId=key, GrantId="short")
    aws_error(aws.list_grants, "InvalidGrantIdException", KeyId=key, GrantId="short")
    aws_error(aws.encrypt, "ValidationException", KeyId=key, Plaintext=b"x", GrantTokens=["t"] * 11)
    aws_error(aws.describe_key, "ValidationException", KeyId=key, GrantTokens=["t" * 8193])
    aws.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    aws_error(aws.create_grant, "KMSInvalidStateException", **base, Operations=["Encrypt"])


def test_grants_disappear_with_their_key(server_factory):
    srv = server_factory()
    aws = client(srv)
    key = aws.create_key()["KeyMetadata"]["KeyId"]
    retirer = f"arn:aws:iam::{ACCOUNT}:role/r"
    aws.create_grant(KeyId=key, GranteePrincipal=GRANTEE, RetiringPrincipal=retirer, Operations=["Encrypt"])
    assert len(aws.list_retirable_grants(RetiringPrincipal=retirer)["Grants"]) == 1
    aws.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    srv.clock(advance="8d")
    assert aws.list_retirable_grants(RetiringPrincipal=retirer)["Grants"] == []
    aws_error(aws.list_grants, "NotFoundException", KeyId=key)


def test_aws_cli_grants(server):
    key = cli(server, "create-key")["KeyMetadata"]["KeyId"]
    made = cli(server, "create-grant", "--key-id", key, "--grantee-principal", GRANTEE,
               "--operations", "Encrypt", "Decrypt", "--name", "cli")
    assert len(made["GrantId"]) == 64
    listed = cli(server, "list-grants", "--key-id", key)
    assert [g["GrantId"] for g in listed["Grants"]] == [made["GrantId"]]
    assert cli(server, "retire-grant", "--grant-token", made["GrantToken"]) == {}
    assert cli(server, "list-grants", "--key-id", key)["Grants"] == []


# ------------------------------------------------------------------------ last key usage


def test_key_last_usage_tracks_crypto_and_survives_restart(server_factory):
    srv = server_factory()
    aws = client(srv)
    key = aws.create_key()["KeyMetadata"]["KeyId"]
    fresh = aws.get_key_last_usage(KeyId=key)
    assert "KeyLastUsage" not in fresh or not fresh["KeyLastUsage"]
    assert fresh["KeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"
    assert fresh["KeyCreationDate"] >= fresh["TrackingStartDate"]
    aws.encrypt(KeyId=key, Plaintext=b"use me")
    used = aws.get_key_last_usage(KeyId=key)["KeyLastUsage"]
    assert used["Operation"] == "Encrypt" and used["Timestamp"].timestamp() > 0
    aws.generate_data_key_without_plaintext(KeyId=key, KeySpec="AES_256")
    assert aws.get_key_last_usage(KeyId=key)["KeyLastUsage"]["Operation"] == "GenerateDataKeyWithoutPlaintext"
    # Through the other dialect too.
    make_caller(srv, "tea_acs3").call("GenerateDataKey", KeyId=key)
    assert aws.get_key_last_usage(KeyId=key)["KeyLastUsage"]["Operation"] == "GenerateDataKey"
    blob = aws.encrypt(KeyId=key, Plaintext=b"again")["CiphertextBlob"]
    aws.decrypt(CiphertextBlob=blob)
    # The sweeper flushes once a second: after that even SIGKILL keeps the last use.
    time.sleep(2.5)
    srv.kill9()
    srv.start()
    aws = client(srv)
    after = aws.get_key_last_usage(KeyId=key)
    assert after["KeyLastUsage"]["Operation"] == "Decrypt"
    # A graceful stop flushes at shutdown.
    other = aws.create_key()["KeyMetadata"]["KeyId"]
    aws.encrypt(KeyId=other, Plaintext=b"x")
    srv.restart()
    assert client(srv).get_key_last_usage(KeyId=other)["KeyLastUsage"]["Operation"] == "Encrypt"
    aws_error(client(srv).get_key_last_usage, "InvalidArnException", KeyId="alias/x")


# ---------------------------------------------------------------------- custom key stores


def test_custom_key_stores_are_absent(aws, server):
    assert aws.describe_custom_key_stores()["CustomKeyStores"] == []
    assert aws.describe_custom_key_stores()["Truncated"] is False
    aws_error(aws.describe_custom_key_stores, "CustomKeyStoreNotFoundException", CustomKeyStoreId="cks-1234567890abcdef0")
    aws_error(aws.describe_custom_key_stores, "CustomKeyStoreNotFoundException", CustomKeyStoreName="mine")
    for op in (aws.connect_custom_key_store, aws.disconnect_custom_key_store, aws.delete_custom_key_store,
               aws.update_custom_key_store):
        aws_error(op, "CustomKeyStoreNotFoundException", CustomKeyStoreId="cks-1234567890abcdef0")
    aws_error(aws.create_custom_key_store, "UnsupportedOperationException", CustomKeyStoreName="mine",
              CloudHsmClusterId="cluster-1234567890a", TrustAnchorCertificate="x", KeyStorePassword="secret12")
    # The CLI pages through the answer itself, so it shows the list without the flag.
    assert cli(server, "describe-custom-key-stores") == {"CustomKeyStores": []}
