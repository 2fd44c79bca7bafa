"""AWS Secrets Manager on the qkms port (issue 13), end to end with boto3, the AWS CLI and
raw SigV4 requests; one store shared with the Aliyun secrets actions.

The authority for member names, shapes and exception names is the botocore
`secretsmanager` service model; behaviour follows the README's Secrets section."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import string
import subprocess
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from qkms_harness import AK_ID, AK_SECRET, KmsError, make_caller, parse_iso, raw_request

REGION = "us-east-1"
AWS_ACCOUNT = "111122223333"
ALI_REGION = "cn-hangzhou"
ALI_ACCOUNT = "1234567890123456"
LAMBDA_ARN = f"arn:aws:lambda:{REGION}:{AWS_ACCOUNT}:function:qkms-e2e-rotation"
START = "2030-01-01T00:00:00Z"
START_EPOCH = 1893456000
DAY = 86400
NOT_FOUND_MESSAGE = "Secrets Manager can't find the specified secret."
PASSWORD_RE = re.compile(r"^[A-Za-z0-9]{32}$")
REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- helpers


def _cfg():
    # One attempt: a 4xx must never be retried, and a retry would hide the real answer.
    return Config(retries={"max_attempts": 1, "mode": "standard"})


def sm_client(server, ak_id=AK_ID, secret=AK_SECRET, region=REGION):
    return boto3.client("secretsmanager", endpoint_url=server.base_url, region_name=region,
                        aws_access_key_id=ak_id, aws_secret_access_key=secret, config=_cfg())


def kms_client(server):
    return boto3.client("kms", endpoint_url=server.base_url, region_name=REGION,
                        aws_access_key_id=AK_ID, aws_secret_access_key=AK_SECRET, config=_cfg())


def name(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def token() -> str:
    return str(uuid.uuid4())


def value() -> str:
    return "v-" + uuid.uuid4().hex + uuid.uuid4().hex[:8]


def expect(fn, code: str, **kw) -> ClientError:
    """Call fn(**kw) and assert it fails with the modelled exception `code`, HTTP 400."""
    try:
        out = fn(**kw)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e.response['Error'].get('Message')!r}"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response["ResponseMetadata"]
        return e
    raise AssertionError(f"expected {code}, but the call succeeded: {out!r}")


def epoch(d) -> int:
    assert isinstance(d, dt.datetime), f"not a timestamp: {d!r}"
    return int(d.timestamp())


def arn_re(secret_name: str, region: str = REGION) -> re.Pattern:
    return re.compile(rf"^arn:aws:secretsmanager:{region}:{AWS_ACCOUNT}:secret:{re.escape(secret_name)}-[A-Za-z0-9]{{6}}$")


def stages_of(sm, secret_id) -> dict:
    return sm.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})


def sort_tags(tags):
    return sorted((t["Key"], t["Value"]) for t in tags)


def raw_sm(server, op: str, body: dict | bytes, region: str = REGION):
    """A SigV4-signed JSON 1.1 request, answered as (status, headers, parsed JSON body)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = AWSRequest(method="POST", url=server.base_url + "/", data=data,
                     headers={"Content-Type": "application/x-amz-json-1.1",
                              "X-Amz-Target": f"secretsmanager.{op}"})
    SigV4Auth(Credentials(AK_ID, AK_SECRET), "secretsmanager", region).add_auth(req)
    resp = raw_request(server, "POST", "/", body=data, headers=dict(req.headers.items()))
    return resp.status, resp.headers, (json.loads(resp.body) if resp.body else {})


def all_pages(fn, key, **kw):
    out, pages, tok = [], 0, None
    while True:
        args = dict(kw)
        if tok:
            args["NextToken"] = tok
        page = fn(**args)
        pages += 1
        out.extend(page.get(key, []))
        tok = page.get("NextToken")
        if not tok:
            return out, pages
        assert pages < 200, "paging does not end"


@pytest.fixture
def sm(server):
    return sm_client(server)


@pytest.fixture
def kms(server):
    return kms_client(server)


@pytest.fixture
def ali(server):
    return make_caller(server, "tea_acs3")


@pytest.fixture
def clock_server(server_factory):
    return server_factory(ephemeral=True, clock=f"fixed:{START}")


# --------------------------------------------------------------------------- CreateSecret / GetSecretValue


def test_create_string_secret_and_get_by_name_full_and_partial_arn(sm):
    n, v, t = name(), value(), token()
    created = sm.create_secret(Name=n, SecretString=v, Description="first secret", ClientRequestToken=t)
    assert created["Name"] == n
    assert created["VersionId"] == t
    assert arn_re(n).match(created["ARN"]), created["ARN"]
    arn = created["ARN"]
    partial = arn[:-7]
    assert partial.endswith(":secret:" + n)

    for secret_id in (n, arn, partial):
        got = sm.get_secret_value(SecretId=secret_id)
        assert got["SecretString"] == v, secret_id
        assert "SecretBinary" not in got
        assert got["Name"] == n and got["ARN"] == arn and got["VersionId"] == t
        assert got["VersionStages"] == ["AWSCURRENT"]
        assert abs(epoch(got["CreatedDate"]) - time.time()) < 300

    d = sm.describe_secret(SecretId=partial)
    assert d["ARN"] == arn and d["Name"] == n and d["Description"] == "first secret"
    assert d["VersionIdsToStages"] == {t: ["AWSCURRENT"]}


def test_arn_suffix_is_random_and_stable(sm):
    n1, n2 = name(), name()
    a1 = sm.create_secret(Name=n1, SecretString=value())["ARN"]
    a2 = sm.create_secret(Name=n2, SecretString=value())["ARN"]
    assert arn_re(n1).match(a1) and arn_re(n2).match(a2)
    assert sm.describe_secret(SecretId=n1)["ARN"] == a1
    assert sm.list_secret_version_ids(SecretId=n1)["ARN"] == a1
    # A full ARN with a wrong suffix is not the secret.
    wrong = a1[:-6] + ("a" * 6 if a1[-6:] != "a" * 6 else "b" * 6)
    expect(sm.get_secret_value, "ResourceNotFoundException", SecretId=wrong)


def test_create_binary_secret(sm):
    n, blob = name(), os.urandom(64) + b"\x00\xff"
    sm.create_secret(Name=n, SecretBinary=blob)
    got = sm.get_secret_value(SecretId=n)
    assert got["SecretBinary"] == blob
    assert "SecretString" not in got
    assert got["VersionStages"] == ["AWSCURRENT"]


def test_create_with_both_values_is_invalid_parameter(sm):
    n = name()
    expect(sm.create_secret, "InvalidParameterException", Name=n, SecretString="a", SecretBinary=b"b")
    # Nothing was created.
    expect(sm.describe_secret, "ResourceNotFoundException", SecretId=n)


def test_create_existing_name_is_resource_exists(sm):
    n = name()
    sm.create_secret(Name=n, SecretString="one")
    expect(sm.create_secret, "ResourceExistsException", Name=n, SecretString="two")
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "one"


def test_create_without_value_has_no_version(sm):
    n = name()
    created = sm.create_secret(Name=n, Description="empty")
    assert created["Name"] == n and arn_re(n).match(created["ARN"])
    assert "VersionId" not in created
    expect(sm.get_secret_value, "ResourceNotFoundException", SecretId=n)
    assert not sm.describe_secret(SecretId=n).get("VersionIdsToStages")
    t = token()
    put = sm.put_secret_value(SecretId=n, SecretString="now", ClientRequestToken=t)
    assert put["VersionId"] == t and put["VersionStages"] == ["AWSCURRENT"]
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "now"


def test_create_with_tags_and_description(sm):
    n = name()
    tags = [{"Key": "env", "Value": "e2e"}, {"Key": "team", "Value": "kms"}]
    sm.create_secret(Name=n, SecretString=value(), Description="described", Tags=tags)
    d = sm.describe_secret(SecretId=n)
    assert d["Description"] == "described"
    assert sort_tags(d["Tags"]) == sort_tags(tags)
    assert abs(epoch(d["CreatedDate"]) - time.time()) < 300
    assert "DeletedDate" not in d and "KmsKeyId" not in d


def test_get_unknown_secret_version_and_stage(sm):
    e = expect(sm.get_secret_value, "ResourceNotFoundException", SecretId=name("missing"))
    assert e.response["Error"]["Message"] == NOT_FOUND_MESSAGE
    expect(sm.describe_secret, "ResourceNotFoundException", SecretId=name("missing"))
    n = name()
    sm.create_secret(Name=n, SecretString="x")
    expect(sm.get_secret_value, "ResourceNotFoundException", SecretId=n, VersionId=token())
    expect(sm.get_secret_value, "ResourceNotFoundException", SecretId=n, VersionStage="NOSUCHSTAGE")
    # Labels are case-sensitive.
    expect(sm.get_secret_value, "ResourceNotFoundException", SecretId=n, VersionStage="awscurrent")


# --------------------------------------------------------------------------- KmsKeyId


def test_kms_key_from_boto3_kms_by_id_alias_and_arn(sm, kms):
    key_id = kms.create_key(Description="secrets key")["KeyMetadata"]["KeyId"]
    alias = "alias/" + name("sm-key")
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    for kms_key in (key_id, alias, f"arn:aws:kms:{REGION}:{AWS_ACCOUNT}:key/{key_id}",
                    f"arn:aws:kms:{REGION}:{AWS_ACCOUNT}:{alias}"):
        n, v = name(), value()
        sm.create_secret(Name=n, SecretString=v, KmsKeyId=kms_key)
        # The resolved key is stored and shown as its ARN (as AWS's DescribeSecret shows it).
        arn = f"arn:aws:kms:{REGION}:{AWS_ACCOUNT}:key/{key_id}"
        assert sm.describe_secret(SecretId=n)["KmsKeyId"] == arn, kms_key
        assert sm.get_secret_value(SecretId=n)["SecretString"] == v
        sm.put_secret_value(SecretId=n, SecretString=v + "2")
        assert sm.get_secret_value(SecretId=n)["SecretString"] == v + "2"
        assert sm.list_secrets(Filters=[{"Key": "name", "Values": [n]}])["SecretList"][0]["KmsKeyId"] == arn


def test_kms_key_made_through_aliyun(sm, ali):
    key_id = ali.call("CreateKey", Description="aliyun key for aws secrets")["KeyMetadata"]["KeyId"]
    for kms_key in (key_id, f"acs:kms:{ALI_REGION}:{ALI_ACCOUNT}:key/{key_id}"):
        n, v = name(), value()
        sm.create_secret(Name=n, SecretString=v, KmsKeyId=kms_key)
        assert sm.describe_secret(SecretId=n)["KmsKeyId"] == f"arn:aws:kms:{REGION}:{AWS_ACCOUNT}:key/{key_id}"
        assert sm.get_secret_value(SecretId=n)["SecretString"] == v
        # The Aliyun dialect shows the same key.
        assert ali.call("DescribeSecret", SecretName=n)["EncryptionKeyId"] == key_id


def test_kms_key_unknown_or_not_symmetric(sm, kms):
    n = name()
    # Secrets Manager reports a key it cannot use, missing ones included, as EncryptionFailure.
    e = expect(sm.create_secret, "EncryptionFailure", Name=n, SecretString="x",
               KmsKeyId="00000000-0000-0000-0000-000000000000")
    assert "does not exist" in str(e)
    expect(sm.create_secret, "EncryptionFailure", Name=n, SecretString="x", KmsKeyId="alias/" + name("none"))
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    expect(sm.create_secret, "InvalidParameterException", Name=n, SecretString="x", KmsKeyId=signing)
    hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    expect(sm.create_secret, "InvalidParameterException", Name=n, SecretString="x", KmsKeyId=hmac_key)
    expect(sm.describe_secret, "ResourceNotFoundException", SecretId=n)


def test_default_key_created_on_first_use_with_both_aliases(server_factory):
    srv = server_factory(ephemeral=True)
    sm, kms, ali = sm_client(srv), kms_client(srv), make_caller(srv, "tea_acs3")
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId="alias/aws/secretsmanager")
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    n = name()
    sm.create_secret(Name=n, SecretString="on the default key")
    assert "KmsKeyId" not in sm.describe_secret(SecretId=n)
    aws_key = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert aws_key["KeySpec"] == "SYMMETRIC_DEFAULT" and aws_key["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert aws_key["KeyState"] == "Enabled"
    ali_key = ali.call("DescribeKey", KeyId="alias/acs/secretsmanager")["KeyMetadata"]
    assert ali_key["KeyId"] == aws_key["KeyId"]
    # A second secret uses the same key: still exactly one service key.
    sm.create_secret(Name=name(), SecretString="again")
    assert kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]["KeyId"] == aws_key["KeyId"]
    assert "alias/aws/secretsmanager" in [a["AliasName"] for a in kms.list_aliases(KeyId=aws_key["KeyId"])["Aliases"]]


def test_disabled_key_fails_reads_and_writes_but_not_metadata(sm, kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    n, v = name(), value()
    sm.create_secret(Name=n, SecretString=v, KmsKeyId=key_id)
    kms.disable_key(KeyId=key_id)
    e = expect(sm.get_secret_value, "DecryptionFailure", SecretId=n)
    assert "disabled" in e.response["Error"]["Message"].lower(), e.response["Error"]
    e = expect(sm.put_secret_value, "EncryptionFailure", SecretId=n, SecretString="new")
    assert "disabled" in e.response["Error"]["Message"].lower(), e.response["Error"]
    expect(sm.update_secret, "EncryptionFailure", SecretId=n, SecretString="new via update")
    expect(sm.create_secret, "EncryptionFailure", Name=name(), SecretString="x", KmsKeyId=key_id)
    # Metadata keeps working.
    d = sm.describe_secret(SecretId=n)
    assert len(d["VersionIdsToStages"]) == 1 and d["KmsKeyId"].endswith(key_id)
    sm.update_secret(SecretId=n, Description="still editable")
    sm.tag_resource(SecretId=n, Tags=[{"Key": "k", "Value": "v"}])
    assert len(sm.list_secret_version_ids(SecretId=n)["Versions"]) == 1
    # Batch reads report the failure per secret.
    batch = sm.batch_get_secret_value(SecretIdList=[n])
    assert batch["SecretValues"] == []
    assert [(x["SecretId"], x["ErrorCode"]) for x in batch["Errors"]] == [(n, "DecryptionFailure")]
    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId=n)["SecretString"] == v
    sm.put_secret_value(SecretId=n, SecretString="after enable")
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "after enable"
    # A key pending deletion: the message names that state.
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    e = expect(sm.get_secret_value, "DecryptionFailure", SecretId=n)
    assert "pending" in e.response["Error"]["Message"].lower(), e.response["Error"]
    expect(sm.put_secret_value, "EncryptionFailure", SecretId=n, SecretString="x")
    kms.cancel_key_deletion(KeyId=key_id)
    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "after enable"


# --------------------------------------------------------------------------- PutSecretValue


def test_put_moves_current_and_previous(sm):
    n = name()
    t1, t2, t3 = token(), token(), token()
    sm.create_secret(Name=n, SecretString="one", ClientRequestToken=t1)
    put = sm.put_secret_value(SecretId=n, SecretString="two", ClientRequestToken=t2)
    assert put["VersionId"] == t2 and put["Name"] == n and arn_re(n).match(put["ARN"])
    assert put["VersionStages"] == ["AWSCURRENT"]
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "two"
    prev = sm.get_secret_value(SecretId=n, VersionStage="AWSPREVIOUS")
    assert prev["SecretString"] == "one" and prev["VersionId"] == t1 and prev["VersionStages"] == ["AWSPREVIOUS"]
    cur = sm.get_secret_value(SecretId=n, VersionStage="AWSCURRENT")
    assert cur["VersionId"] == t2
    assert stages_of(sm, n) == {t1: ["AWSPREVIOUS"], t2: ["AWSCURRENT"]}

    sm.put_secret_value(SecretId=n, SecretBinary=b"\x01three", ClientRequestToken=t3)
    assert stages_of(sm, n) == {t2: ["AWSPREVIOUS"], t3: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=n)["SecretBinary"] == b"\x01three"
    # The unlabelled version is still readable by VersionId.
    old = sm.get_secret_value(SecretId=n, VersionId=t1)
    assert old["SecretString"] == "one" and not old.get("VersionStages")
    # VersionId and VersionStage together, pointing at the same version.
    assert sm.get_secret_value(SecretId=n, VersionId=t2, VersionStage="AWSPREVIOUS")["SecretString"] == "two"


def test_put_with_custom_stages(sm):
    n = name()
    t1, t2, t3 = token(), token(), token()
    sm.create_secret(Name=n, SecretString="one", ClientRequestToken=t1)
    put = sm.put_secret_value(SecretId=n, SecretString="blue", ClientRequestToken=t2, VersionStages=["BLUE", "Green"])
    assert sorted(put["VersionStages"]) == ["BLUE", "Green"]
    # AWSCURRENT stays where it was.
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "one"
    assert sm.get_secret_value(SecretId=n, VersionStage="BLUE")["VersionId"] == t2
    assert sm.get_secret_value(SecretId=n, VersionStage="Green")["SecretString"] == "blue"
    expect(sm.get_secret_value, "ResourceNotFoundException", SecretId=n, VersionStage="AWSPREVIOUS")
    # A label moves from wherever it was.
    sm.put_secret_value(SecretId=n, SecretString="blue2", ClientRequestToken=t3, VersionStages=["BLUE"])
    st = stages_of(sm, n)
    assert st[t1] == ["AWSCURRENT"] and st[t2] == ["Green"] and st[t3] == ["BLUE"]
    # Listing AWSCURRENT moves it and AWSPREVIOUS follows.
    t4 = token()
    sm.put_secret_value(SecretId=n, SecretString="four", ClientRequestToken=t4, VersionStages=["AWSCURRENT"])
    st = stages_of(sm, n)
    assert st[t4] == ["AWSCURRENT"] and st[t1] == ["AWSPREVIOUS"]


def test_put_idempotent_token(sm):
    n = name()
    t1, t2 = token(), token()
    sm.create_secret(Name=n, SecretString="one", ClientRequestToken=t1)
    first = sm.put_secret_value(SecretId=n, SecretString="two", ClientRequestToken=t2)
    before = stages_of(sm, n)
    again = sm.put_secret_value(SecretId=n, SecretString="two", ClientRequestToken=t2)
    assert again["VersionId"] == first["VersionId"] == t2
    assert again["VersionStages"] == ["AWSCURRENT"]
    assert stages_of(sm, n) == before == {t1: ["AWSPREVIOUS"], t2: ["AWSCURRENT"]}
    assert len(sm.list_secret_version_ids(SecretId=n, IncludeDeprecated=True)["Versions"]) == 2
    # The same token with another value.
    expect(sm.put_secret_value, "ResourceExistsException", SecretId=n, SecretString="other", ClientRequestToken=t2)
    expect(sm.put_secret_value, "ResourceExistsException", SecretId=n, SecretBinary=b"two", ClientRequestToken=t2)
    # The token of the creating call counts as well.
    expect(sm.put_secret_value, "ResourceExistsException", SecretId=n, SecretString="x", ClientRequestToken=t1)
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "two"
    assert stages_of(sm, n) == before


def test_put_errors(sm):
    expect(sm.put_secret_value, "ResourceNotFoundException", SecretId=name("missing"), SecretString="x")
    n = name()
    sm.create_secret(Name=n, SecretString="x")
    expect(sm.put_secret_value, "InvalidParameterException", SecretId=n, SecretString="a", SecretBinary=b"b")


def test_version_limit_drops_oldest_unlabelled(sm):
    n = name()
    first = token()
    sm.create_secret(Name=n, SecretString="v0", ClientRequestToken=first)
    second = token()
    sm.put_secret_value(SecretId=n, SecretString="v1", ClientRequestToken=second)
    for i in range(2, 101):
        sm.put_secret_value(SecretId=n, SecretString=f"v{i}")
    versions, _ = all_pages(sm.list_secret_version_ids, "Versions", SecretId=n, IncludeDeprecated=True, MaxResults=100)
    assert len(versions) == 100
    ids = {x["VersionId"] for x in versions}
    assert first not in ids and second in ids
    expect(sm.get_secret_value, "ResourceNotFoundException", SecretId=n, VersionId=first)
    assert sm.get_secret_value(SecretId=n, VersionId=second)["SecretString"] == "v1"
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "v100"


# --------------------------------------------------------------------------- DescribeSecret / dates


def test_describe_dates_follow_the_kms_clock(clock_server):
    sm = sm_client(clock_server)
    n = name()
    t1 = token()
    sm.create_secret(Name=n, SecretString="one", ClientRequestToken=t1)
    d = sm.describe_secret(SecretId=n)
    assert epoch(d["CreatedDate"]) == START_EPOCH
    assert epoch(d["LastChangedDate"]) == START_EPOCH
    assert epoch(sm.get_secret_value(SecretId=n)["CreatedDate"]) == START_EPOCH
    clock_server.clock(advance="1h")
    t2 = token()
    sm.put_secret_value(SecretId=n, SecretString="two", ClientRequestToken=t2)
    d = sm.describe_secret(SecretId=n)
    assert epoch(d["CreatedDate"]) == START_EPOCH
    assert epoch(d["LastChangedDate"]) == START_EPOCH + 3600
    assert epoch(sm.get_secret_value(SecretId=n)["CreatedDate"]) == START_EPOCH + 3600
    assert epoch(sm.get_secret_value(SecretId=n, VersionId=t1)["CreatedDate"]) == START_EPOCH
    versions = {x["VersionId"]: epoch(x["CreatedDate"]) for x in sm.list_secret_version_ids(SecretId=n)["Versions"]}
    assert versions == {t1: START_EPOCH, t2: START_EPOCH + 3600}


def test_wire_shapes_epoch_numbers_and_errors(server):
    n = name()
    status, _, body = raw_sm(server, "CreateSecret", {"Name": n, "SecretString": "wire", "ClientRequestToken": token()})
    assert status == 200, body
    status, headers, body = raw_sm(server, "DescribeSecret", {"SecretId": n})
    assert status == 200, body
    assert headers["content-type"].startswith("application/x-amz-json-1.1"), headers
    assert isinstance(body["CreatedDate"], (int, float)) and not isinstance(body["CreatedDate"], bool), body
    assert isinstance(body["LastChangedDate"], (int, float)), body
    assert abs(body["CreatedDate"] - time.time()) < 300
    status, _, body = raw_sm(server, "GetSecretValue", {"SecretId": n})
    assert status == 200 and body["SecretString"] == "wire" and isinstance(body["CreatedDate"], (int, float)), body
    # Binary values travel as base64 in JSON.
    nb = name()
    raw = os.urandom(20)
    status, _, body = raw_sm(server, "CreateSecret", {"Name": nb, "SecretBinary": base64.b64encode(raw).decode()})
    assert status == 200, body
    status, _, body = raw_sm(server, "GetSecretValue", {"SecretId": nb})
    assert base64.b64decode(body["SecretBinary"]) == raw and "SecretString" not in body
    # A modelled error: HTTP 400, __type and message, x-amzn-ErrorType.
    status, headers, body = raw_sm(server, "GetSecretValue", {"SecretId": name("missing")})
    assert status == 400
    assert body["__type"].split("#")[-1] == "ResourceNotFoundException", body
    assert body.get("message", body.get("Message")) == NOT_FOUND_MESSAGE, body
    assert headers.get("x-amzn-errortype", "").split(":")[0].split("#")[-1] == "ResourceNotFoundException", headers
    # Shape violations: ValidationException.
    status, _, body = raw_sm(server, "CreateSecret", {"Name": name(), "SecretString": "x", "ClientRequestToken": "short"})
    assert status == 400 and body["__type"].split("#")[-1] == "ValidationException", body
    status, _, body = raw_sm(server, "GetRandomPassword", {"PasswordLength": 4097})
    assert status == 400 and body["__type"].split("#")[-1] == "ValidationException", body
    status, _, body = raw_sm(server, "ListSecrets", {"MaxResults": 101})
    assert status == 400 and body["__type"].split("#")[-1] == "ValidationException", body
    status, _, body = raw_sm(server, "GetSecretValue", {})
    assert status == 400 and body["__type"].split("#")[-1] == "ValidationException", body


# --------------------------------------------------------------------------- ListSecrets


def test_list_secrets_filters_and_paging(sm):
    p = name("lst")
    names = [f"{p}-a", f"{p}-b", f"{p}-c"]
    tag_key = "tk-" + uuid.uuid4().hex[:8]
    desc = "Desc-" + uuid.uuid4().hex
    sm.create_secret(Name=names[0], SecretString="1", Tags=[{"Key": tag_key, "Value": "x"}], Description=desc)
    sm.create_secret(Name=names[1], SecretString="2", Tags=[{"Key": tag_key, "Value": "y"}])
    sm.create_secret(Name=names[2], SecretString="3", Description="other " + desc)

    def listed(filters, **kw):
        got, _ = all_pages(sm.list_secrets, "SecretList", Filters=filters, **kw)
        return sorted(s["Name"] for s in got)

    # name: prefix match, case-sensitive.
    assert listed([{"Key": "name", "Values": [p]}]) == names
    assert listed([{"Key": "name", "Values": [names[1]]}]) == [names[1]]
    assert listed([{"Key": "name", "Values": [p.upper()]}]) == []
    assert listed([{"Key": "name", "Values": [names[0], names[2]]}]) == [names[0], names[2]]
    # tag-key
    assert listed([{"Key": "tag-key", "Values": [tag_key]}]) == names[:2]
    # description: prefix match, not case-sensitive.
    assert listed([{"Key": "description", "Values": [desc]}]) == [names[0]]
    assert listed([{"Key": "description", "Values": [desc.lower()]}]) == [names[0]]
    # Different keys are ANDed.
    assert listed([{"Key": "name", "Values": [p]}, {"Key": "tag-key", "Values": [tag_key]},
                   {"Key": "tag-value", "Values": ["y"]}]) == [names[1]]

    entry = [s for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [names[0]]}])["SecretList"]][0]
    assert arn_re(names[0]).match(entry["ARN"]) and entry["Description"] == desc
    assert list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]
    assert sort_tags(entry["Tags"]) == [(tag_key, "x")]

    # Paging with MaxResults/NextToken.
    got, pages = all_pages(sm.list_secrets, "SecretList", Filters=[{"Key": "name", "Values": [p]}], MaxResults=1)
    assert sorted(s["Name"] for s in got) == names and len(got) == 3
    assert 3 <= pages <= 4
    first = sm.list_secrets(Filters=[{"Key": "name", "Values": [p]}], MaxResults=2)
    assert len(first["SecretList"]) == 2 and first.get("NextToken")
    rest = sm.list_secrets(Filters=[{"Key": "name", "Values": [p]}], MaxResults=2, NextToken=first["NextToken"])
    assert [s["Name"] for s in rest["SecretList"]] == sorted(set(names) - {s["Name"] for s in first["SecretList"]})
    assert not rest.get("NextToken")


def test_list_secrets_include_planned_deletion(sm):
    p = name("pd")
    sm.create_secret(Name=f"{p}-keep", SecretString="1")
    sm.create_secret(Name=f"{p}-gone", SecretString="2")
    sm.delete_secret(SecretId=f"{p}-gone", RecoveryWindowInDays=7)
    flt = [{"Key": "name", "Values": [p]}]
    assert [s["Name"] for s in sm.list_secrets(Filters=flt)["SecretList"]] == [f"{p}-keep"]
    shown = {s["Name"]: s for s in sm.list_secrets(Filters=flt, IncludePlannedDeletion=True)["SecretList"]}
    assert set(shown) == {f"{p}-keep", f"{p}-gone"}
    assert "DeletedDate" in shown[f"{p}-gone"] and "DeletedDate" not in shown[f"{p}-keep"]


# --------------------------------------------------------------------------- UpdateSecret


def test_update_secret_description_and_value(sm):
    n = name()
    t1 = token()
    sm.create_secret(Name=n, SecretString="one", Description="old", ClientRequestToken=t1)
    out = sm.update_secret(SecretId=n, Description="new description")
    assert out["Name"] == n and arn_re(n).match(out["ARN"])
    assert "VersionId" not in out
    d = sm.describe_secret(SecretId=n)
    assert d["Description"] == "new description"
    assert d["VersionIdsToStages"] == {t1: ["AWSCURRENT"]}
    t2 = token()
    out = sm.update_secret(SecretId=n, SecretString="two", ClientRequestToken=t2)
    assert out["VersionId"] == t2
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "two"
    assert stages_of(sm, n) == {t1: ["AWSPREVIOUS"], t2: ["AWSCURRENT"]}
    out = sm.update_secret(SecretId=n, SecretBinary=b"\x00bin")
    assert out["VersionId"] and out["VersionId"] not in (t1, t2)
    assert sm.get_secret_value(SecretId=n)["SecretBinary"] == b"\x00bin"
    expect(sm.update_secret, "ResourceNotFoundException", SecretId=name("missing"), Description="x")
    expect(sm.update_secret, "InvalidParameterException", SecretId=n, SecretString="a", SecretBinary=b"b")


# --------------------------------------------------------------------------- UpdateSecretVersionStage


def test_update_secret_version_stage(sm):
    n = name()
    t1, t2, t3 = token(), token(), token()
    sm.create_secret(Name=n, SecretString="one", ClientRequestToken=t1)
    sm.put_secret_value(SecretId=n, SecretString="two", ClientRequestToken=t2)
    sm.put_secret_value(SecretId=n, SecretString="three", ClientRequestToken=t3, VersionStages=["BLUE"])
    assert stages_of(sm, n) == {t1: ["AWSPREVIOUS"], t2: ["AWSCURRENT"], t3: ["BLUE"]}

    # Moving a label attached elsewhere needs RemoveFromVersionId = its current version.
    expect(sm.update_secret_version_stage, "InvalidParameterException", SecretId=n, VersionStage="BLUE", MoveToVersionId=t1)
    expect(sm.update_secret_version_stage, "InvalidParameterException", SecretId=n, VersionStage="BLUE",
           MoveToVersionId=t1, RemoveFromVersionId=t2)
    assert stages_of(sm, n)[t3] == ["BLUE"]
    out = sm.update_secret_version_stage(SecretId=n, VersionStage="BLUE", MoveToVersionId=t1, RemoveFromVersionId=t3)
    assert out["Name"] == n and arn_re(n).match(out["ARN"])
    assert sm.get_secret_value(SecretId=n, VersionStage="BLUE")["VersionId"] == t1
    st = stages_of(sm, n)
    assert sorted(st[t1]) == ["AWSPREVIOUS", "BLUE"] and t3 not in st

    # A new label goes on with MoveToVersionId alone; a custom one comes off with RemoveFromVersionId alone.
    sm.update_secret_version_stage(SecretId=n, VersionStage="RED", MoveToVersionId=t3)
    assert stages_of(sm, n)[t3] == ["RED"]
    sm.update_secret_version_stage(SecretId=n, VersionStage="RED", RemoveFromVersionId=t3)
    assert t3 not in stages_of(sm, n)
    expect(sm.get_secret_value, "ResourceNotFoundException", SecretId=n, VersionStage="RED")

    # Moving AWSCURRENT: AWSPREVIOUS goes to the version that lost AWSCURRENT.
    expect(sm.update_secret_version_stage, "InvalidParameterException", SecretId=n, VersionStage="AWSCURRENT",
           MoveToVersionId=t3)
    sm.update_secret_version_stage(SecretId=n, VersionStage="AWSCURRENT", MoveToVersionId=t3, RemoveFromVersionId=t2)
    st = stages_of(sm, n)
    assert st[t3] == ["AWSCURRENT"] and st[t2] == ["AWSPREVIOUS"] and st[t1] == ["BLUE"]
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "three"
    assert sm.get_secret_value(SecretId=n, VersionStage="AWSPREVIOUS")["SecretString"] == "two"
    # Unknown version or secret.
    expect(sm.update_secret_version_stage, "ResourceNotFoundException", SecretId=n, VersionStage="X", MoveToVersionId=token())
    expect(sm.update_secret_version_stage, "ResourceNotFoundException", SecretId=name("missing"), VersionStage="X",
           MoveToVersionId=t1)


# --------------------------------------------------------------------------- ListSecretVersionIds


def test_list_secret_version_ids(sm):
    n = name()
    t1, t2, t3 = token(), token(), token()
    sm.create_secret(Name=n, SecretString="1", ClientRequestToken=t1)
    sm.put_secret_value(SecretId=n, SecretString="2", ClientRequestToken=t2)
    sm.put_secret_value(SecretId=n, SecretString="3", ClientRequestToken=t3)
    out = sm.list_secret_version_ids(SecretId=n)
    assert out["Name"] == n and arn_re(n).match(out["ARN"])
    assert {v["VersionId"]: v["VersionStages"] for v in out["Versions"]} == {t2: ["AWSPREVIOUS"], t3: ["AWSCURRENT"]}
    for v in out["Versions"]:
        assert abs(epoch(v["CreatedDate"]) - time.time()) < 300
    out = sm.list_secret_version_ids(SecretId=n, IncludeDeprecated=True)
    got = {v["VersionId"]: v.get("VersionStages", []) for v in out["Versions"]}
    assert set(got) == {t1, t2, t3} and got[t1] == []
    got, pages = all_pages(sm.list_secret_version_ids, "Versions", SecretId=n, IncludeDeprecated=True, MaxResults=1)
    assert sorted(v["VersionId"] for v in got) == sorted([t1, t2, t3]) and 3 <= pages <= 4
    expect(sm.list_secret_version_ids, "ResourceNotFoundException", SecretId=name("missing"))


# --------------------------------------------------------------------------- DeleteSecret / RestoreSecret


def test_delete_parameters(sm):
    n = name()
    sm.create_secret(Name=n, SecretString="x")
    for days in (0, 6, 31, 365):
        expect(sm.delete_secret, "InvalidParameterException", SecretId=n, RecoveryWindowInDays=days)
    expect(sm.delete_secret, "InvalidParameterException", SecretId=n, RecoveryWindowInDays=7,
           ForceDeleteWithoutRecovery=True)
    assert "DeletedDate" not in sm.describe_secret(SecretId=n)
    expect(sm.delete_secret, "ResourceNotFoundException", SecretId=name("missing"))
    # RestoreSecret of a secret that is not pending deletion succeeds.
    out = sm.restore_secret(SecretId=n)
    assert out["Name"] == n and arn_re(n).match(out["ARN"])
    expect(sm.restore_secret, "ResourceNotFoundException", SecretId=name("missing"))


def test_delete_window_restore_and_expiry(clock_server):
    sm = sm_client(clock_server)
    n, v = name(), value()
    arn = sm.create_secret(Name=n, SecretString=v)["ARN"]
    out = sm.delete_secret(SecretId=n, RecoveryWindowInDays=7)
    assert out["Name"] == n and out["ARN"] == arn
    assert epoch(out["DeletionDate"]) == START_EPOCH + 7 * DAY
    d = sm.describe_secret(SecretId=n)
    assert epoch(d["DeletedDate"]) == START_EPOCH + 7 * DAY

    # Everything but describe/list/restore is refused while pending.
    for fn, kw in [
        (sm.get_secret_value, {}),
        (sm.put_secret_value, {"SecretString": "new"}),
        (sm.update_secret, {"Description": "d"}),
        (sm.update_secret_version_stage, {"VersionStage": "X", "MoveToVersionId": list(d["VersionIdsToStages"])[0]}),
        (sm.rotate_secret, {"RotationLambdaARN": LAMBDA_ARN}),
        (sm.tag_resource, {"Tags": [{"Key": "a", "Value": "b"}]}),
        (sm.untag_resource, {"TagKeys": ["a"]}),
        (sm.put_resource_policy, {"ResourcePolicy": json.dumps(POLICY)}),
    ]:
        expect(fn, "InvalidRequestException", SecretId=n, **kw)
    expect(sm.create_secret, "InvalidRequestException", Name=n, SecretString="again")
    batch = sm.batch_get_secret_value(SecretIdList=[n])
    assert batch["SecretValues"] == [] and [e["SecretId"] for e in batch["Errors"]] == [n]

    # Restore within the window.
    clock_server.clock(advance="6d")
    out = sm.restore_secret(SecretId=n)
    assert out["Name"] == n and out["ARN"] == arn
    assert "DeletedDate" not in sm.describe_secret(SecretId=n)
    assert sm.get_secret_value(SecretId=n)["SecretString"] == v
    # Restored: the old window no longer applies.
    clock_server.clock(advance="30d")
    assert sm.get_secret_value(SecretId=n)["SecretString"] == v

    # Delete again with the default window (30 days), and let it pass.
    now = clock_server.now()
    out = sm.delete_secret(SecretId=n)
    assert epoch(out["DeletionDate"]) == now + 30 * DAY
    clock_server.clock(advance_seconds=30 * DAY - 60)
    assert epoch(sm.describe_secret(SecretId=n)["DeletedDate"]) == now + 30 * DAY
    clock_server.clock(advance_seconds=120)
    expect(sm.describe_secret, "ResourceNotFoundException", SecretId=n)
    expect(sm.get_secret_value, "ResourceNotFoundException", SecretId=n)
    expect(sm.restore_secret, "ResourceNotFoundException", SecretId=n)
    assert [s for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"] if s["Name"] == n] == []
    # The name is free again.
    arn2 = sm.create_secret(Name=n, SecretString="reborn")["ARN"]
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "reborn"
    assert arn_re(n).match(arn2)


def test_force_delete(sm):
    n = name()
    sm.create_secret(Name=n, SecretString="x")
    out = sm.delete_secret(SecretId=n, ForceDeleteWithoutRecovery=True)
    assert out["Name"] == n and abs(epoch(out["DeletionDate"]) - time.time()) < 300
    expect(sm.describe_secret, "ResourceNotFoundException", SecretId=n)
    expect(sm.restore_secret, "ResourceNotFoundException", SecretId=n)
    sm.create_secret(Name=n, SecretString="y")
    assert sm.get_secret_value(SecretId=n)["SecretString"] == "y"


# --------------------------------------------------------------------------- RotateSecret


def _check_after_rotation(sm, n, old_version, new_version):
    st = stages_of(sm, n)
    assert "AWSCURRENT" in st[new_version], st
    assert st[old_version] == ["AWSPREVIOUS"], st
    # When rotation is done, AWSPENDING is on the AWSCURRENT version or nowhere.
    pending = [v for v, labels in st.items() if "AWSPENDING" in labels]
    assert pending in ([], [new_version]), st


def test_rotate_without_lambda_is_invalid_request(sm):
    n = name()
    sm.create_secret(Name=n, SecretString=json.dumps({"password": "p"}))
    e = expect(sm.rotate_secret, "InvalidRequestException", SecretId=n)
    assert "No Lambda rotation function ARN is associated with this secret" in e.response["Error"]["Message"]
    assert len(stages_of(sm, n)) == 1
    expect(sm.rotate_secret, "ResourceNotFoundException", SecretId=name("missing"), RotationLambdaARN=LAMBDA_ARN)


@pytest.mark.parametrize("member", ["password", "Password", "AccountPassword"])
def test_rotate_with_lambda_rotates_password_member(sm, member):
    n = name()
    t1 = token()
    original = {"username": "app", member: "old-password", "port": 5432}
    sm.create_secret(Name=n, SecretString=json.dumps(original), ClientRequestToken=t1)
    t2 = token()
    out = sm.rotate_secret(SecretId=n, RotationLambdaARN=LAMBDA_ARN, ClientRequestToken=t2)
    assert out["Name"] == n and arn_re(n).match(out["ARN"]) and out["VersionId"] == t2
    _check_after_rotation(sm, n, t1, t2)
    cur = sm.get_secret_value(SecretId=n)
    assert cur["VersionId"] == t2
    new = json.loads(cur["SecretString"])
    assert set(new) == set(original)
    assert new["username"] == "app" and new["port"] == 5432
    assert PASSWORD_RE.match(new[member]) and new[member] != "old-password", new
    assert json.loads(sm.get_secret_value(SecretId=n, VersionStage="AWSPREVIOUS")["SecretString"]) == original
    d = sm.describe_secret(SecretId=n)
    assert d["RotationEnabled"] is True and d["RotationLambdaARN"] == LAMBDA_ARN
    assert abs(epoch(d["LastRotatedDate"]) - time.time()) < 300

    # A second rotation uses the stored Lambda ARN; a fresh password each time.
    t3 = token()
    sm.rotate_secret(SecretId=n, ClientRequestToken=t3)
    _check_after_rotation(sm, n, t2, t3)
    newer = json.loads(sm.get_secret_value(SecretId=n)["SecretString"])
    assert PASSWORD_RE.match(newer[member]) and newer[member] != new[member]


def test_rotate_copies_non_password_values(sm):
    for initial in ("plain text value", json.dumps({"user": "u", "password": 12}), json.dumps(["password"])):
        n = name()
        t1 = token()
        sm.create_secret(Name=n, SecretString=initial, ClientRequestToken=t1)
        out = sm.rotate_secret(SecretId=n, RotationLambdaARN=LAMBDA_ARN)
        assert out["VersionId"] != t1
        _check_after_rotation(sm, n, t1, out["VersionId"])
        cur = sm.get_secret_value(SecretId=n)
        assert cur["VersionId"] == out["VersionId"] and cur["SecretString"] == initial


def test_rotate_not_immediately_only_schedules_and_cancel(sm):
    n = name()
    t1 = token()
    sm.create_secret(Name=n, SecretString=json.dumps({"password": "p"}), ClientRequestToken=t1)
    sm.rotate_secret(SecretId=n, RotationLambdaARN=LAMBDA_ARN, RotationRules={"AutomaticallyAfterDays": 10},
                     RotateImmediately=False)
    d = sm.describe_secret(SecretId=n)
    assert d["VersionIdsToStages"] == {t1: ["AWSCURRENT"]}
    assert d["RotationEnabled"] is True and d["RotationLambdaARN"] == LAMBDA_ARN
    assert d["RotationRules"]["AutomaticallyAfterDays"] == 10
    assert time.time() < epoch(d["NextRotationDate"]) <= time.time() + 11 * DAY
    assert "LastRotatedDate" not in d
    out = sm.cancel_rotate_secret(SecretId=n)
    assert out["Name"] == n and arn_re(n).match(out["ARN"])
    d = sm.describe_secret(SecretId=n)
    assert d.get("RotationEnabled") is False


def test_rotation_rules_schedule_expression(sm):
    n = name()
    sm.create_secret(Name=n, SecretString="x")
    sm.rotate_secret(SecretId=n, RotationLambdaARN=LAMBDA_ARN, RotationRules={"ScheduleExpression": "rate(10 hours)"},
                     RotateImmediately=False)
    d = sm.describe_secret(SecretId=n)
    assert d["RotationRules"]["ScheduleExpression"] == "rate(10 hours)"
    assert time.time() < epoch(d["NextRotationDate"]) <= time.time() + 11 * 3600
    for rules in ({"ScheduleExpression": "every tuesday"}, {"ScheduleExpression": "rate(0 days)"}):
        expect(sm.rotate_secret, "InvalidParameterException", SecretId=n, RotationLambdaARN=LAMBDA_ARN,
               RotationRules=rules, RotateImmediately=False)


def test_scheduled_rotation_on_the_kms_clock(clock_server):
    sm = sm_client(clock_server)
    n = name()
    t1 = token()
    sm.create_secret(Name=n, SecretString=json.dumps({"user": "u", "password": "first"}), ClientRequestToken=t1)
    sm.rotate_secret(SecretId=n, RotationLambdaARN=LAMBDA_ARN, RotationRules={"AutomaticallyAfterDays": 2},
                     RotateImmediately=False)
    d = sm.describe_secret(SecretId=n)
    nxt = epoch(d["NextRotationDate"])
    assert START_EPOCH < nxt <= START_EPOCH + 3 * DAY, d
    assert d["VersionIdsToStages"] == {t1: ["AWSCURRENT"]}
    # Not before its time.
    clock_server.clock(set=_iso(nxt - 60))
    time.sleep(2.5)
    assert sm.get_secret_value(SecretId=n)["VersionId"] == t1
    # Once the clock passes NextRotationDate, the rotation happens (the sweeper runs every second).
    clock_server.clock(set=_iso(nxt + 1))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        cur = sm.get_secret_value(SecretId=n)
        if cur["VersionId"] != t1:
            break
        time.sleep(0.25)
    assert cur["VersionId"] != t1, "no scheduled rotation 15 s after the clock passed NextRotationDate"
    assert PASSWORD_RE.match(json.loads(cur["SecretString"])["password"])
    _check_after_rotation(sm, n, t1, cur["VersionId"])
    d = sm.describe_secret(SecretId=n)
    assert nxt <= epoch(d["LastRotatedDate"]) <= nxt + 60
    assert epoch(d["NextRotationDate"]) > nxt
    # Exactly one rotation for one passed date.
    assert len(sm.list_secret_version_ids(SecretId=n, IncludeDeprecated=True)["Versions"]) == 2


def test_rotate_immediately_sets_last_and_next_dates(clock_server):
    sm = sm_client(clock_server)
    n = name()
    sm.create_secret(Name=n, SecretString=json.dumps({"password": "x"}))
    sm.rotate_secret(SecretId=n, RotationLambdaARN=LAMBDA_ARN, RotationRules={"AutomaticallyAfterDays": 30})
    d = sm.describe_secret(SecretId=n)
    assert epoch(d["LastRotatedDate"]) == START_EPOCH
    assert START_EPOCH < epoch(d["NextRotationDate"]) <= START_EPOCH + 31 * DAY


def _iso(e: int) -> str:
    return dt.datetime.fromtimestamp(e, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- tags


def test_tag_and_untag(sm):
    n = name()
    sm.create_secret(Name=n, SecretString="x", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId=n, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "one"}])
    assert sort_tags(sm.describe_secret(SecretId=n)["Tags"]) == [("a", "one"), ("b", "2")]
    sm.untag_resource(SecretId=n, TagKeys=["a", "not-there"])
    assert sort_tags(sm.describe_secret(SecretId=n)["Tags"]) == [("b", "2")]
    arn = sm.describe_secret(SecretId=n)["ARN"]
    sm.tag_resource(SecretId=arn, Tags=[{"Key": "c", "Value": "3"}])
    assert sort_tags(sm.describe_secret(SecretId=n)["Tags"]) == [("b", "2"), ("c", "3")]
    expect(sm.tag_resource, "ResourceNotFoundException", SecretId=name("missing"), Tags=[{"Key": "a", "Value": "b"}])


# --------------------------------------------------------------------------- BatchGetSecretValue


def test_batch_get_secret_value(sm):
    p = name("batch")
    a, b, missing = f"{p}-a", f"{p}-b", f"{p}-missing"
    sm.create_secret(Name=a, SecretString="va")
    sm.create_secret(Name=b, SecretBinary=b"\x00vb")
    out = sm.batch_get_secret_value(SecretIdList=[a, b, missing])
    values = {v["Name"]: v for v in out["SecretValues"]}
    assert set(values) == {a, b}
    assert values[a]["SecretString"] == "va" and values[a]["VersionStages"] == ["AWSCURRENT"]
    assert arn_re(a).match(values[a]["ARN"]) and values[a]["VersionId"]
    assert values[b]["SecretBinary"] == b"\x00vb"
    assert len(out["Errors"]) == 1
    err = out["Errors"][0]
    assert err["SecretId"] == missing and err["ErrorCode"] == "ResourceNotFoundException"
    assert err["Message"]
    # Filters instead of a list.
    out = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [p]}])
    assert sorted(v["Name"] for v in out["SecretValues"]) == [a, b]
    assert not out.get("Errors")
    # Both forms at once is a parameter error; more than 20 ids breaks the shape.
    expect(sm.batch_get_secret_value, "InvalidParameterException", SecretIdList=[a],
           Filters=[{"Key": "name", "Values": [p]}])
    expect(sm.batch_get_secret_value, "ValidationException", SecretIdList=[f"{p}-{i}" for i in range(21)])


# --------------------------------------------------------------------------- GetRandomPassword

PUNCT = set(string.punctuation)


def _classes(pw):
    return (any(c.isupper() for c in pw), any(c.islower() for c in pw), any(c.isdigit() for c in pw),
            any(c in PUNCT for c in pw))


def test_get_random_password(sm):
    allowed = set(string.ascii_letters + string.digits) | PUNCT
    seen = set()
    for _ in range(10):
        pw = sm.get_random_password()["RandomPassword"]
        assert len(pw) == 32 and set(pw) <= allowed, pw
        assert _classes(pw) == (True, True, True, True), pw
        seen.add(pw)
    assert len(seen) == 10
    for length in (1, 4, 100, 4096):
        pw = sm.get_random_password(PasswordLength=length, RequireEachIncludedType=length >= 4)["RandomPassword"]
        assert len(pw) == length
    # RequireEachIncludedType with the minimum length of one per class.
    for _ in range(20):
        assert _classes(sm.get_random_password(PasswordLength=4)["RandomPassword"]) == (True, True, True, True)
    excluded = "abcdefABCDEF012345!@#$%"
    for _ in range(10):
        pw = sm.get_random_password(PasswordLength=200, ExcludeCharacters=excluded)["RandomPassword"]
        assert not set(pw) & set(excluded), pw
    pw = sm.get_random_password(PasswordLength=200, ExcludePunctuation=True, ExcludeNumbers=True)["RandomPassword"]
    assert pw.isalpha() and pw.isascii(), pw
    pw = sm.get_random_password(PasswordLength=200, ExcludeUppercase=True, ExcludeLowercase=True)["RandomPassword"]
    assert not any(c.isalpha() for c in pw) and any(c.isdigit() for c in pw) and any(c in PUNCT for c in pw)
    pw = sm.get_random_password(PasswordLength=300, IncludeSpace=True)["RandomPassword"]
    assert set(pw) <= allowed | {" "}
    assert " " not in "".join(sm.get_random_password(PasswordLength=300)["RandomPassword"] for _ in range(5))
    # Nothing left to draw from.
    expect(sm.get_random_password, "InvalidParameterException", ExcludePunctuation=True, ExcludeNumbers=True,
           ExcludeUppercase=True, ExcludeLowercase=True)
    # More required classes than characters.
    expect(sm.get_random_password, "InvalidParameterException", PasswordLength=3, RequireEachIncludedType=True)


# --------------------------------------------------------------------------- resource policies

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{AWS_ACCOUNT}:root"},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }],
}


def test_resource_policy(sm):
    n = name()
    sm.create_secret(Name=n, SecretString="x")
    out = sm.get_resource_policy(SecretId=n)
    assert out["Name"] == n and arn_re(n).match(out["ARN"])
    assert "ResourcePolicy" not in out
    text = json.dumps(POLICY, indent=1)
    put = sm.put_resource_policy(SecretId=n, ResourcePolicy=text)
    assert put["Name"] == n and arn_re(n).match(put["ARN"])
    assert sm.get_resource_policy(SecretId=n)["ResourcePolicy"] == text
    assert sm.validate_resource_policy(SecretId=n, ResourcePolicy=text)["PolicyValidationPassed"] is True
    for bad in ("not json", "[]", json.dumps({"Version": "2012-10-17"}), json.dumps({"Statement": "x"}),
                json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*",
                                                                     "Action": "*", "Resource": "*"}]})):
        expect(sm.put_resource_policy, "MalformedPolicyDocumentException", SecretId=n, ResourcePolicy=bad)
    assert sm.get_resource_policy(SecretId=n)["ResourcePolicy"] == text
    out = sm.delete_resource_policy(SecretId=n)
    assert out["Name"] == n and arn_re(n).match(out["ARN"])
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=n)
    expect(sm.get_resource_policy, "ResourceNotFoundException", SecretId=name("missing"))
    expect(sm.put_resource_policy, "ResourceNotFoundException", SecretId=name("missing"), ResourcePolicy=text)


# --------------------------------------------------------------------------- cross-dialect


def test_aliyun_secret_read_with_boto3(sm, ali):
    n, v1, v2 = name("ali"), value(), value()
    ali.call("CreateSecret", SecretName=n, VersionId="v1", SecretData=v1)
    got = sm.get_secret_value(SecretId=n)
    assert got["SecretString"] == v1 and got["VersionId"] == "v1" and got["VersionStages"] == ["AWSCURRENT"]
    assert got["Name"] == n and arn_re(n).match(got["ARN"])
    ali.call("PutSecretValue", SecretName=n, VersionId="v2", SecretData=v2)
    assert sm.get_secret_value(SecretId=n)["SecretString"] == v2
    prev = sm.get_secret_value(SecretId=n, VersionStage="AWSPREVIOUS")
    assert prev["SecretString"] == v1 and prev["VersionId"] == "v1"
    assert stages_of(sm, n) == {"v1": ["AWSPREVIOUS"], "v2": ["AWSCURRENT"]}
    # A custom Aliyun label is shown verbatim.
    ali.call("PutSecretValue", SecretName=n, VersionId="v3", SecretData="custom", VersionStages='["Blue"]')
    assert sm.get_secret_value(SecretId=n, VersionStage="Blue")["VersionId"] == "v3"
    # One namespace.
    expect(sm.create_secret, "ResourceExistsException", Name=n, SecretString="x")
    # A boto3 put is visible through Aliyun with the Aliyun stage names.
    t = token()
    sm.put_secret_value(SecretId=n, SecretString="from aws", ClientRequestToken=t)
    a = ali.call("GetSecretValue", SecretName=n)
    assert a["SecretData"] == "from aws" and a["VersionId"] == t and a["SecretDataType"] == "text"
    assert a["VersionStages"]["VersionStage"] == ["ACSCurrent"]
    p = ali.call("GetSecretValue", SecretName=n, VersionStage="ACSPrevious")
    assert p["VersionId"] == "v2" and p["SecretData"] == v2


def test_aliyun_binary_secret_reads_as_decoded_bytes(sm, ali):
    n, raw = name("alibin"), os.urandom(40)
    ali.call("CreateSecret", SecretName=n, VersionId="b1", SecretData=base64.b64encode(raw).decode(),
             SecretDataType="binary")
    got = sm.get_secret_value(SecretId=n)
    assert got["SecretBinary"] == raw and "SecretString" not in got


def test_aws_secret_read_through_aliyun(sm, ali):
    n, v, t = name("aws"), value(), token()
    sm.create_secret(Name=n, SecretString=v, ClientRequestToken=t, Description="from boto3")
    a = ali.call("GetSecretValue", SecretName=n)
    assert a["SecretName"] == n and a["SecretData"] == v and a["SecretDataType"] == "text" and a["VersionId"] == t
    assert a["VersionStages"]["VersionStage"] == ["ACSCurrent"]
    assert ali.call("DescribeSecret", SecretName=n)["Description"] == "from boto3"
    # AWSPENDING shows as itself in Aliyun; custom labels verbatim.
    tp = token()
    sm.put_secret_value(SecretId=n, SecretString="pending", ClientRequestToken=tp, VersionStages=["AWSPENDING", "Mine"])
    a = ali.call("GetSecretValue", SecretName=n, VersionStage="AWSPENDING")
    assert a["VersionId"] == tp and sorted(a["VersionStages"]["VersionStage"]) == ["AWSPENDING", "Mine"]
    assert ali.call("GetSecretValue", SecretName=n, VersionStage="Mine")["SecretData"] == "pending"
    # A binary AWS secret reads in Aliyun as base64 with SecretDataType=binary.
    nb, raw = name("awsbin"), os.urandom(33)
    sm.create_secret(Name=nb, SecretBinary=raw)
    a = ali.call("GetSecretValue", SecretName=nb)
    assert a["SecretDataType"] == "binary" and base64.b64decode(a["SecretData"]) == raw
    # Aliyun deletes, AWS sees it pending; AWS restores, Aliyun reads it.
    ali.call("DeleteSecret", SecretName=n, RecoveryWindowInDays="7")
    assert "DeletedDate" in sm.describe_secret(SecretId=n)
    expect(sm.get_secret_value, "InvalidRequestException", SecretId=n)
    sm.restore_secret(SecretId=n)
    assert ali.call("GetSecretValue", SecretName=n)["SecretData"] == v


def test_aliyun_made_name_collides_and_aws_missing_is_aliyun_404(sm, ali):
    n = name("col")
    sm.create_secret(Name=n, SecretString="x")
    with pytest.raises(KmsError) as e:
        ali.call("CreateSecret", SecretName=n, VersionId="v1", SecretData="y")
    assert (e.value.code, e.value.status) == ("Rejected.ResourceExist", 409)
    with pytest.raises(KmsError) as e:
        ali.call("GetSecretValue", SecretName=name("missing"))
    assert (e.value.code, e.value.status) == ("Forbidden.ResourceNotFound", 404)


# --------------------------------------------------------------------------- AWS CLI


def test_aws_cli_create_and_get(server, tmp_path):
    n, v = name("cli"), value()
    env = {k: v_ for k, v_ in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=AK_ID, AWS_SECRET_ACCESS_KEY=AK_SECRET, AWS_DEFAULT_REGION=REGION,
               AWS_CONFIG_FILE=str(tmp_path / "config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
               AWS_MAX_ATTEMPTS="1")
    aws = str(REPO / ".venv" / "bin" / "aws")

    def run(*args):
        p = subprocess.run([aws, "secretsmanager", *args, "--endpoint-url", server.base_url, "--output", "json"],
                           env=env, capture_output=True, text=True, timeout=120)
        return p

    p = run("create-secret", "--name", n, "--secret-string", v, "--description", "cli")
    assert p.returncode == 0, p.stderr
    created = json.loads(p.stdout)
    assert created["Name"] == n and arn_re(n).match(created["ARN"])
    p = run("get-secret-value", "--secret-id", n)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["SecretString"] == v and got["VersionId"] == created["VersionId"]
    assert got["VersionStages"] == ["AWSCURRENT"]
    p = run("get-secret-value", "--secret-id", name("missing"))
    assert p.returncode != 0 and "ResourceNotFoundException" in p.stderr, (p.returncode, p.stderr)
