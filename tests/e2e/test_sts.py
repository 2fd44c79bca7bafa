"""Temporary credentials from `POST /_qkms/sts`: they work with boto3 (X-Amz-Security-Token)
and the Aliyun SDKs (SecurityToken) until their expiry on the real clock, then get the
dialects' expired-token codes; a session policy narrows them; a forged or missing token
is refused."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from qkms_harness import ADMIN_SECRET, TeaCaller, expect_error

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})


@pytest.fixture
def srv(server_factory, tmp_path):
    config = tmp_path / "qkms.toml"
    config.write_text('[[principals]]\nname = "app"\naccess_keys = ["AKAPP:app-secret"]\n'
                      f"policies = [{json.dumps(POLICY)}]\n")
    return server_factory(extra_args=("--config", str(config)))


def issue(srv, **body):
    req = urllib.request.Request(srv.base_url + "/_qkms/sts", data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {ADMIN_SECRET}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def aws(srv, creds, token=True):
    return boto3.client("kms", endpoint_url=srv.base_url, region_name="us-east-1",
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"] if token else None,
                        config=Config(retries={"max_attempts": 1}))


class TeaSts(TeaCaller):
    """The Tea client with STS credentials (security_token)."""

    def __init__(self, server, creds):
        from alibabacloud_kms20160120.client import Client
        from alibabacloud_tea_openapi.models import Config as TeaConfig

        self.server, self.mode = server, "tea_acs3"
        self.client = Client(TeaConfig(access_key_id=creds["AccessKeyId"], access_key_secret=creds["AccessKeySecret"],
                                       security_token=creds["SecurityToken"], endpoint=server.endpoint,
                                       protocol="http", region_id="cn-hangzhou"))


def code_of(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"]


def test_credentials_work_until_they_expire(srv):
    creds = issue(srv, Principal="app", DurationSeconds=4)
    assert creds["AccessKeyId"].startswith("STS.") and creds["SessionToken"] == creds["SecurityToken"]
    kms = aws(srv, creds)
    key = kms.create_key()["KeyMetadata"]
    assert key["Arn"].startswith("arn:aws:kms:us-east-1:111122223333:key/")
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"sts")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sts"
    tea = TeaSts(srv, creds)
    assert tea.call("DescribeKey", KeyId=key["KeyId"])["KeyMetadata"]["KeyId"] == key["KeyId"]
    # The token is required, and only its own access key opens it.
    assert code_of(aws(srv, creds, token=False).list_keys) == "UnrecognizedClientException"
    other = issue(srv, Principal="app", DurationSeconds=60)
    swapped = dict(creds, SessionToken=other["SessionToken"])
    assert code_of(aws(srv, swapped).list_keys) == "UnrecognizedClientException"
    time.sleep(4.5)
    assert code_of(kms.list_keys) == "ExpiredTokenException"
    expect_error(tea.call, "DescribeKey", KeyId=key["KeyId"], code="InvalidSecurityToken.Expired", status=400)
    # Other sessions go on.
    assert aws(srv, other).describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_a_session_policy_narrows_the_principal(srv):
    narrow = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:CreateKey", "kms:DescribeKey"], "Resource": "*"}]})
    creds = issue(srv, Principal="app", DurationSeconds=600, Policy=narrow)
    kms = aws(srv, creds)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"n")["CiphertextBlob"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "no session policy allows the kms:Decrypt action" in e.value.response["Error"]["Message"]
    # The principal's own key may still decrypt: the session policy narrowed only the session.
    app = boto3.client("kms", endpoint_url=srv.base_url, region_name="us-east-1", aws_access_key_id="AKAPP",
                       aws_secret_access_key="app-secret")
    assert app.decrypt(CiphertextBlob=blob)["Plaintext"] == b"n"
    # Root sessions are narrowed too.
    root = aws(srv, issue(srv, Principal="root", Policy=narrow))
    assert code_of(root.decrypt, CiphertextBlob=blob) == "AccessDeniedException"
    tea = TeaSts(srv, creds)
    expect_error(tea.call, "Decrypt", CiphertextBlob=__import__("base64").b64encode(blob).decode(),
                 code="Forbidden.RAM", status=403)


def test_refusals_of_the_issuer(srv):
    def status(**body):
        try:
            issue(srv, **body)
        except urllib.error.HTTPError as e:
            return e.code
        return 200
    assert status(Principal="nobody") == 404
    assert status(Principal="app", DurationSeconds=0) == 400
    assert status(Principal="app", DurationSeconds=43201) == 400
    assert status(Principal="app", Policy="{not json") == 400
    forged = dict(issue(srv, Principal="app"))
    forged["SessionToken"] = forged["SessionToken"][:-4] + "AAAA"
    assert code_of(aws(srv, forged).list_keys) == "UnrecognizedClientException"
    tea = TeaSts(srv, dict(forged, SecurityToken=forged["SessionToken"]))
    expect_error(tea.call, "ListKeys", code="InvalidSecurityToken.Malformed", status=400)
