"""The AWS dialect end to end with boto3: the import flow under every wrapping algorithm,
the AWS import rules, one key store shared with the Aliyun SDKs, and AWS-shaped errors."""

from __future__ import annotations

import base64
import os

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from qkms_harness import AK_ID, AK_SECRET, aws_wrap, make_caller

REGION = "us-east-1"
ACCOUNT = "111122223333"


def client(server, ak_id=AK_ID, secret=AK_SECRET):
    return boto3.client(
        "kms",
        endpoint_url=server.base_url,
        region_name=REGION,
        aws_access_key_id=ak_id,
        aws_secret_access_key=secret,
        # Count attempts exactly: a 4xx must never be retried, so one attempt is enough to
        # see the real answer and a retry would show up as a different error.
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def code(err: ClientError) -> str:
    return err.response["Error"]["Code"]


def status(err: ClientError) -> int:
    return err.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def kms(server):
    return client(server)


def external_key(kms) -> str:
    meta = kms.create_key(Origin="EXTERNAL", Description="boto3 byok")["KeyMetadata"]
    assert meta["KeyState"] == "PendingImport" and meta["Enabled"] is False
    assert meta["Origin"] == "EXTERNAL"
    assert meta["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{meta['KeyId']}"
    return meta["KeyId"]


@pytest.mark.parametrize(
    "algorithm,spec",
    [
        ("RSAES_OAEP_SHA_1", "RSA_2048"),
        ("RSAES_OAEP_SHA_256", "RSA_2048"),
        ("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048"),
        ("RSA_AES_KEY_WRAP_SHA_256", "RSA_3072"),
        ("RSAES_OAEP_SHA_256", "RSA_4096"),
    ],
)
def test_import_flow(kms, algorithm, spec):
    key_id = external_key(kms)
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    assert params["KeyId"].endswith(key_id)
    public = serialization.load_der_public_key(params["PublicKey"])
    assert public.key_size == int(spec.split("_")[1])
    material = os.urandom(32)
    resp = kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=aws_wrap(material, params["PublicKey"], algorithm),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["ResponseMetadata"]["RequestId"]
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert "ValidTo" not in meta

    ct = kms.encrypt(KeyId=key_id, Plaintext=b"hello", EncryptionContext={"app": "e2e"})
    assert ct["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    pt = kms.decrypt(CiphertextBlob=ct["CiphertextBlob"], EncryptionContext={"app": "e2e"})
    assert pt["Plaintext"] == b"hello" and pt["KeyId"] == meta["Arn"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=ct["CiphertextBlob"], EncryptionContext={"app": "other"})
    assert code(e.value) == "InvalidCiphertextException"

    dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]

    # Re-import of the same material with a fresh token is accepted; other material is not.
    again = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=again["ImportToken"],
        EncryptedKeyMaterial=aws_wrap(material, again["PublicKey"], algorithm),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    with pytest.raises(kms.exceptions.IncorrectKeyMaterialException):
        kms.import_key_material(
            KeyId=key_id,
            ImportToken=again["ImportToken"],
            EncryptedKeyMaterial=aws_wrap(os.urandom(32), again["PublicKey"], algorithm),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )


def test_aws_import_rules(kms):
    key_id = external_key(kms)
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    wrapped = aws_wrap(os.urandom(32), params["PublicKey"], "RSAES_OAEP_SHA_256")
    base = dict(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped)

    # ExpirationModel omitted means KEY_MATERIAL_EXPIRES, so ValidTo is required: a
    # ValidationException, never a crash.
    with pytest.raises(ClientError) as e:
        kms.import_key_material(**base)
    assert code(e.value) == "ValidationException" and status(e.value) == 400
    with pytest.raises(ClientError) as e:
        kms.import_key_material(**base, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", ValidTo=2_000_000_000)
    assert code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.import_key_material(**base, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=1_000_000_000)
    assert code(e.value) == "ValidationException"
    import time

    with pytest.raises(ClientError) as e:
        kms.import_key_material(**base, ValidTo=int(time.time()) + 400 * 86400)
    assert code(e.value) == "ValidationException"
    # PKCS #1 v1.5 is refused on this dialect.
    with pytest.raises(ClientError) as e:
        kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_PKCS1_V1_5", WrappingKeySpec="RSA_2048")
    assert code(e.value) == "ValidationException"
    # Another key's token; a key that is not EXTERNAL; an alias where only keys go.
    other = external_key(kms)
    other_params = kms.get_parameters_for_import(KeyId=other, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    with pytest.raises(kms.exceptions.InvalidImportTokenException):
        kms.import_key_material(KeyId=key_id, ImportToken=other_params["ImportToken"], EncryptedKeyMaterial=wrapped,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    plain = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.UnsupportedOperationException):
        kms.get_parameters_for_import(KeyId=plain, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    # Encrypt before any import.
    with pytest.raises(kms.exceptions.KMSInvalidStateException):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    # A valid ValidTo within the year works, and DescribeKey shows it.
    valid_to = int(time.time()) + 30 * 86400
    kms.import_key_material(**base, ValidTo=valid_to)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert int(meta["ValidTo"].timestamp()) == valid_to
    kms.delete_imported_key_material(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_material_expiry_with_the_admin_clock(server_factory):
    srv = server_factory()
    kms = client(srv)
    key_id = external_key(kms)
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256", WrappingKeySpec="RSA_2048")
    material = os.urandom(32)
    wrapped = aws_wrap(material, params["PublicKey"], "RSA_AES_KEY_WRAP_SHA_256")
    now = srv.now()
    kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=now + 3600)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    srv.clock(advance="2h")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(kms.exceptions.KMSInvalidStateException):
        kms.decrypt(CiphertextBlob=blob)
    kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"
    srv.clock(advance="25h")
    with pytest.raises(kms.exceptions.ExpiredImportTokenException):
        kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")


def test_one_store_for_both_dialects(server, kms):
    tea = make_caller(server, "tea_acs3")
    # Made through boto3, used through the Aliyun Tea SDK, and back.
    key_id = kms.create_key(Description="shared")["KeyMetadata"]["KeyId"]
    assert tea.call("DescribeKey", KeyId=key_id)["KeyMetadata"]["Description"] == "shared"
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"cross", EncryptionContext={"k": "v"})["CiphertextBlob"]
    out = tea.call("Decrypt", CiphertextBlob=base64.b64encode(blob).decode(), EncryptionContext={"k": "v"})
    assert base64.b64decode(out["Plaintext"]) == b"cross"
    ali = tea.call("Encrypt", KeyId=key_id, Plaintext=base64.b64encode(b"back").decode())
    assert kms.decrypt(CiphertextBlob=base64.b64decode(ali["CiphertextBlob"]))["Plaintext"] == b"back"
    tea.call("DisableKey", KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    with pytest.raises(kms.exceptions.DisabledException):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")


def test_aliases_and_errors(server, kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/boto3-e2e", TargetKeyId=key_id)
    out = kms.encrypt(KeyId="alias/boto3-e2e", Plaintext=b"a")
    assert out["KeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    names = [a["AliasName"] for a in kms.list_aliases(KeyId=key_id)["Aliases"]]
    assert names == ["alias/boto3-e2e"]
    with pytest.raises(kms.exceptions.AlreadyExistsException):
        kms.create_alias(AliasName="alias/boto3-e2e", TargetKeyId=key_id)
    with pytest.raises(kms.exceptions.NotFoundException) as e:
        kms.describe_key(KeyId="00000000-0000-0000-0000-000000000000")
    assert status(e.value) == 400
    with pytest.raises(kms.exceptions.InvalidArnException):
        kms.enable_key(KeyId="alias/boto3-e2e")
    with pytest.raises(ClientError) as e:
        client(server, secret="wrong").list_keys()
    assert code(e.value) == "InvalidSignatureException"
    with pytest.raises(ClientError) as e:
        client(server, ak_id="AKIDNOBODY").list_keys()
    assert code(e.value) == "UnrecognizedClientException"
    keys = kms.list_keys(Limit=1)
    assert len(keys["Keys"]) == 1 and keys["Truncated"] is True
    assert kms.list_keys(Limit=1, Marker=keys["NextMarker"])["Keys"][0]["KeyId"] != keys["Keys"][0]["KeyId"]
    assert len(kms.generate_random(NumberOfBytes=16)["Plaintext"]) == 16
    deletion = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert deletion["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
