"""Principals, accounts, regions and permissions, end to end through boto3 and the Aliyun
SDKs: identity policies (wildcards, encryption-context conditions, explicit Deny), key
policies, grants used by a second principal, isolation of accounts and regions, and
denials that change nothing. The default `testid` stays its account's root throughout."""

from __future__ import annotations

import base64
import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from qkms_harness import AK_ID, AK_SECRET, Byok, QkmsServer, expect_error, make_caller, wrap

REGION = "us-east-1"
ACCOUNT = "111122223333"          # the default account as AWS ARNs spell it
ALI_ACCOUNT = "1234567890123456"  # the default account as Aliyun ARNs spell it
OTHER = "999999999999"            # a second account
KEY1 = "00000000-0000-4000-8000-00000000a001"
KEY2 = "00000000-0000-4000-8000-00000000a002"
SEED = f"""
[[keys]]
key_id = "{KEY1}"
creation_date = "2026-01-01T00:00:00Z"
[[keys.versions]]
version_id = "00000000-0000-4000-8000-00000000b001"
material_hex = "{'11' * 32}"
[[keys]]
key_id = "{KEY2}"
creation_date = "2026-01-01T00:00:00Z"
[[keys.versions]]
version_id = "00000000-0000-4000-8000-00000000b002"
material_hex = "{'22' * 32}"
"""


def statement(effect, action, resource="*", condition=None):
    s = {"Effect": effect, "Action": action, "Resource": resource}
    if condition:
        s["Condition"] = condition
    return s


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


PRINCIPALS = {
    # Encrypt with KEY1 only, named by either service's ARN.
    "encryptor": [doc(statement("Allow", "kms:Encrypt", [f"arn:aws:kms:*:*:key/{KEY1}",
                                                        f"acs:kms:*:*:key/{KEY1}"]))],
    # Everything about importing except the import itself.
    "importer": [doc(statement("Allow", ["kms:CreateKey", "kms:DescribeKey", "kms:GetParametersForImport"]))],
    # Encrypt and decrypt only for team=blue.
    "blue": [doc(statement("Allow", ["kms:Encrypt", "kms:Decrypt"], "*",
                           {"StringEquals": {"kms:EncryptionContext:team": "blue"}}))],
    # kms:* but an explicit Deny of Decrypt, in a second document.
    "nodecrypt": [doc(statement("Allow", "kms:*")), doc(statement("Deny", "kms:Decrypt"))],
    # No policy at all: only grants can let it do anything.
    "grantee": [],
}


def config_text() -> str:
    out = []
    for name, policies in PRINCIPALS.items():
        out.append("[[principals]]")
        out.append(f'name = "{name}"')
        out.append(f'access_keys = ["AK{name.upper()}:{name}-secret"]')
        out.append("policies = [" + ", ".join(json.dumps(p) for p in policies) + "]")
        out.append("")
    out += ["[[principals]]", 'name = "admin"', f'account = "{OTHER}"',
            'access_keys = ["AKOTHER:other-secret"]', f"policies = [{json.dumps(doc(statement('Allow', ['kms:*', 'secretsmanager:*'])))}]", ""]
    return "\n".join(out)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    root = tmp_path_factory.mktemp("principals")
    (root / "qkms.toml").write_text(config_text())
    (root / "seed.toml").write_text(SEED)
    s = QkmsServer(root / "run", data_dir=root / "data",
                   extra_args=("--config", str(root / "qkms.toml"), "--seed", str(root / "seed.toml")))
    s.start()
    yield s
    s.stop()
    assert not s.server_errors(), "\n".join(s.server_errors())


def aws(srv, who=None, region=REGION, service="kms"):
    ak, secret = (AK_ID, AK_SECRET) if who is None else (f"AK{who.upper()}", f"{who}-secret")
    if who == "admin":
        ak, secret = "AKOTHER", "other-secret"
    return boto3.client(service, endpoint_url=srv.base_url, region_name=region, aws_access_key_id=ak,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))


def ali(srv, who=None, mode="tea_acs3"):
    if who is None:
        return make_caller(srv, mode)
    return make_caller(srv, mode, ak_id=f"AK{who.upper()}", ak_secret=f"{who}-secret")


def denied(fn, **kw) -> str:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    err = e.value.response
    assert err["Error"]["Code"] == "AccessDeniedException", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    return err["Error"]["Message"]


@pytest.mark.parametrize("mode", ["tea_acs3", "classic"])
def test_encrypt_only_on_one_key(srv, mode):
    root = aws(srv)
    me = aws(srv, "encryptor")
    blob = me.encrypt(KeyId=KEY1, Plaintext=b"hello")["CiphertextBlob"]
    assert root.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"
    msg = denied(me.decrypt, CiphertextBlob=blob)
    assert msg == (f"User: arn:aws:iam::{ACCOUNT}:user/encryptor is not authorized to perform: kms:Decrypt "
                   f"on resource: arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY1} because no identity-based "
                   "policy allows the kms:Decrypt action")
    denied(me.encrypt, KeyId=KEY2, Plaintext=b"x")
    denied(me.list_keys)
    denied(me.create_key)
    # The same principal through the Aliyun dialect.
    a = ali(srv, "encryptor", mode)
    out = a.call("Encrypt", KeyId=KEY1, Plaintext=base64.b64encode(b"hi").decode())
    e = expect_error(a.call, "Decrypt", CiphertextBlob=out["CiphertextBlob"], code="Forbidden.RAM", status=403)
    assert "kms:Decrypt" in e.message and f"acs:ram::{ALI_ACCOUNT}:user/encryptor" in e.message
    expect_error(a.call, "Encrypt", KeyId=KEY2, Plaintext="aGk=", code="Forbidden.RAM", status=403)
    expect_error(a.call, "ListKeys", code="Forbidden.RAM", status=403)


def test_import_denied_while_parameters_allowed_in_both_dialects(srv):
    me = aws(srv, "importer")
    key_id = me.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = me.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                          WrappingKeySpec="RSA_2048")
    material = wrap(b"\x11" * 32, base64.b64encode(params["PublicKey"]).decode(), "RSAES_OAEP_SHA_256")
    msg = denied(me.import_key_material, KeyId=key_id, ImportToken=params["ImportToken"],
                 EncryptedKeyMaterial=base64.b64decode(material), ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert "kms:ImportKeyMaterial" in msg
    # The denial changed nothing: the key still waits for material.
    assert me.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    a = ali(srv, "importer")
    byok = Byok(a)
    ali_key = byok.create_external()
    p = byok.params(ali_key)
    expect_error(a.call, "ImportKeyMaterial", KeyId=ali_key, ImportToken=p["ImportToken"],
                 EncryptedKeyMaterial=wrap(b"\x22" * 32, p["PublicKey"], "RSAES_OAEP_SHA_256"),
                 code="Forbidden.RAM", status=403)
    assert a.call("DescribeKey", KeyId=ali_key)["KeyMetadata"]["KeyState"] == "PendingImport"
    # The account's root may import what the importer prepared.
    aws(srv).import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                                 EncryptedKeyMaterial=base64.b64decode(material),
                                 ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert me.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_encryption_context_condition(srv):
    me = aws(srv, "blue")
    blob = me.encrypt(KeyId=KEY2, Plaintext=b"b", EncryptionContext={"team": "blue"})["CiphertextBlob"]
    assert me.decrypt(CiphertextBlob=blob, EncryptionContext={"team": "blue"})["Plaintext"] == b"b"
    denied(me.encrypt, KeyId=KEY2, Plaintext=b"r", EncryptionContext={"team": "red"})
    denied(me.encrypt, KeyId=KEY2, Plaintext=b"n")
    a = ali(srv, "blue")
    a.call("Encrypt", KeyId=KEY2, Plaintext="Yg==", EncryptionContext={"team": "blue"})
    expect_error(a.call, "Encrypt", KeyId=KEY2, Plaintext="Yg==", EncryptionContext={"team": "Blue"},
                 code="Forbidden.RAM", status=403)


def test_explicit_deny_beats_kms_star(srv):
    me = aws(srv, "nodecrypt")
    key_id = me.create_key()["KeyMetadata"]["KeyId"]
    blob = me.encrypt(KeyId=key_id, Plaintext=b"z")["CiphertextBlob"]
    msg = denied(me.decrypt, CiphertextBlob=blob)
    assert msg.endswith("with an explicit deny in an identity-based policy")
    # ReEncrypt needs kms:ReEncryptFrom and kms:ReEncryptTo, not kms:Decrypt (as in AWS).
    again = me.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id)["CiphertextBlob"]
    assert aws(srv).decrypt(CiphertextBlob=again)["Plaintext"] == b"z"
    assert any(k["KeyId"] == key_id for k in me.list_keys(Limit=1000)["Keys"])


def test_grant_lets_a_second_principal_decrypt_until_retired(srv):
    root = aws(srv)
    blob = root.encrypt(KeyId=KEY2, Plaintext=b"granted", EncryptionContext={"a": "1"})["CiphertextBlob"]
    grantee = aws(srv, "grantee")
    denied(grantee.decrypt, CiphertextBlob=blob, EncryptionContext={"a": "1"})
    g = root.create_grant(KeyId=KEY2, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/grantee",
                          Operations=["Decrypt"], Constraints={"EncryptionContextSubset": {"a": "1"}})
    out = grantee.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "1"}, GrantTokens=[g["GrantToken"]])
    assert out["Plaintext"] == b"granted"
    # Without the token too: grants are effective at once here.
    assert grantee.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "1"})["Plaintext"] == b"granted"
    # The constraint holds, and the grant covers nothing else.
    other = root.encrypt(KeyId=KEY2, Plaintext=b"x", EncryptionContext={"a": "2"})["CiphertextBlob"]
    denied(grantee.decrypt, CiphertextBlob=other, EncryptionContext={"a": "2"})
    denied(grantee.encrypt, KeyId=KEY2, Plaintext=b"x", EncryptionContext={"a": "1"})
    root.retire_grant(KeyId=KEY2, GrantId=g["GrantId"])
    denied(grantee.decrypt, CiphertextBlob=blob, EncryptionContext={"a": "1"})


def test_key_policy_naming_the_principal_allows_it(srv):
    root = aws(srv)
    key_id = root.create_key()["KeyMetadata"]["KeyId"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/grantee"},
         "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/nodecrypt"},
         "Action": "kms:Encrypt", "Resource": "*"}]})
    root.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy)
    grantee = aws(srv, "grantee")
    grantee.encrypt(KeyId=key_id, Plaintext=b"kp")
    assert grantee.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
    denied(grantee.disable_key, KeyId=key_id)
    msg = denied(aws(srv, "nodecrypt").encrypt, KeyId=key_id, Plaintext=b"kp")
    assert msg.endswith("with an explicit deny in a resource-based policy")
    # A policy that no longer delegates to the account shuts out identity policies.
    root.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/grantee"},
         "Action": "kms:*", "Resource": "*"}]}))
    msg = denied(aws(srv, "nodecrypt").encrypt, KeyId=key_id, Plaintext=b"kp")
    assert msg.endswith("because no resource-based policy allows the kms:Encrypt action")


def test_accounts_never_see_each_other(srv):
    root, other = aws(srv), aws(srv, "admin")
    theirs = other.create_key(Description="account B")["KeyMetadata"]
    assert theirs["Arn"] == f"arn:aws:kms:{REGION}:{OTHER}:key/{theirs['KeyId']}"
    assert theirs["AWSAccountId"] == OTHER
    ours = root.create_key()["KeyMetadata"]
    assert ours["Arn"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    mine = {k["KeyId"] for k in root.list_keys(Limit=1000)["Keys"]}
    their_ids = {k["KeyId"] for k in other.list_keys(Limit=1000)["Keys"]}
    assert theirs["KeyId"] not in mine and ours["KeyId"] not in their_ids and theirs["KeyId"] in their_ids
    for client, key in ((root, theirs["KeyId"]), (other, ours["KeyId"]), (other, KEY1)):
        with pytest.raises(client.exceptions.NotFoundException):
            client.describe_key(KeyId=key)
    # One alias name in each account, each its own.
    name = f"alias/shared-{uuid.uuid4().hex[:8]}"
    root.create_alias(AliasName=name, TargetKeyId=ours["KeyId"])
    other.create_alias(AliasName=name, TargetKeyId=theirs["KeyId"])
    assert root.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == ours["KeyId"]
    assert other.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == theirs["KeyId"]
    assert name not in {a["AliasName"] for a in aws(srv).list_aliases(Limit=100)["Aliases"]
                        if a.get("TargetKeyId") == theirs["KeyId"]}
    # Secrets too.
    sm_root, sm_other = aws(srv, service="secretsmanager"), aws(srv, "admin", service="secretsmanager")
    secret = f"shared-{uuid.uuid4().hex[:8]}"
    sm_root.create_secret(Name=secret, SecretString="ours")
    with pytest.raises(sm_other.exceptions.ResourceNotFoundException):
        sm_other.get_secret_value(SecretId=secret)
    made = sm_other.create_secret(Name=secret, SecretString="theirs")
    assert f":{OTHER}:secret:{secret}-" in made["ARN"]
    assert sm_root.get_secret_value(SecretId=secret)["SecretString"] == "ours"
    assert sm_other.get_secret_value(SecretId=secret)["SecretString"] == "theirs"
    assert secret in {s["Name"] for s in sm_other.list_secrets()["SecretList"]}
    # The Aliyun dialect sees the default account's key, never account B's.
    a = ali(srv)
    assert a.call("DescribeKey", KeyId=ours["KeyId"])["KeyMetadata"]["KeyId"] == ours["KeyId"]
    expect_error(a.call, "DescribeKey", KeyId=theirs["KeyId"], code="Forbidden.KeyNotFound", status=404)


def test_regions_are_apart_and_the_default_region_is_shared(srv):
    east, west = aws(srv), aws(srv, region="eu-west-1")
    key = east.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(west.exceptions.NotFoundException):
        west.describe_key(KeyId=key)
    w = west.create_key(Description="west")["KeyMetadata"]
    assert w["Arn"].startswith("arn:aws:kms:eu-west-1:")
    assert [k["KeyId"] for k in west.list_keys()["Keys"]] == [w["KeyId"]]
    blob = west.encrypt(KeyId=w["KeyId"], Plaintext=b"w")["CiphertextBlob"]
    with pytest.raises(east.exceptions.NotFoundException):
        east.decrypt(CiphertextBlob=blob)
    # us-east-1 is the AWS name of the default region: the Aliyun dialect shares its keys.
    for mode in ("tea_acs3", "classic"):
        assert ali(srv, mode=mode).call("DescribeKey", KeyId=key)["KeyMetadata"]["KeyId"] == key
    # An Aliyun request for another region (the classic SDK's RegionId) sees that region only.
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkkms.request.v20160120.DescribeKeyRequest import DescribeKeyRequest
    from aliyunsdkcore.acs_exception.exceptions import ServerException
    client = AcsClient(AK_ID, AK_SECRET, "eu-west-1", port=srv.port, auto_retry=False)
    req = DescribeKeyRequest()
    req.set_endpoint(srv.host)
    req.set_protocol_type("http")
    req.set_accept_format("JSON")
    req.set_KeyId(w["KeyId"])
    meta = json.loads(client.do_action_with_exception(req))["KeyMetadata"]
    assert meta["Arn"] == f"acs:kms:eu-west-1:{ALI_ACCOUNT}:key/{w['KeyId']}"
    req.set_KeyId(key)
    with pytest.raises(ServerException) as e:
        client.do_action_with_exception(req)
    assert (e.value.get_error_code(), e.value.get_http_status()) == ("Forbidden.KeyNotFound", 404)


def test_isolation_and_denials_survive_a_restart(srv):
    other = aws(srv, "admin", region="ap-south-1")
    key = other.create_key()["KeyMetadata"]["KeyId"]
    srv.restart()
    assert aws(srv, "admin", region="ap-south-1").describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key
    with pytest.raises(ClientError):
        aws(srv, region="ap-south-1").describe_key(KeyId=key)
    denied(aws(srv, "encryptor").list_keys)
