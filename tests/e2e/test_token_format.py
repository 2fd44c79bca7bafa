"""The public formats, decoded the way a client (or the explorer's inspector) decodes them,
with no secret: the import token's version 2 header from GetParametersForImport in both
dialects, and the ciphertext blob's version 1 header from Encrypt.

The layouts are the tables of the README's "Ciphertext blob and import token formats"
(and of `src/crypto/token.rs` and `src/crypto/blob.rs`); this file parses them from those
tables, independently of the Rust code."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from qkms_harness import AK_ID, AK_SECRET, WRAPPING_ALGORITHMS, aws_wrap, b64, expect_error, parse_iso, unb64, wrap

# The token's byte values, from the README table.
TOKEN_V2 = 0x02
ALGORITHM_BYTES = {
    "RSAES_PKCS1_V1_5": 1,
    "RSAES_OAEP_SHA_1": 2,
    "RSAES_OAEP_SHA_256": 3,
    "RSA_AES_KEY_WRAP_SHA_1": 4,
    "RSA_AES_KEY_WRAP_SHA_256": 5,
}
SPEC_BYTES = {"RSA_2048": 1, "RSA_3072": 2, "RSA_4096": 3}
# The blob's.
BLOB_V1 = 0x01
BLOB_AES_256_GCM = 0x01
NONCE_LEN = 12
TAG_LEN = 16


@dataclass
class TokenHeader:
    key_id: str
    algorithm: int
    spec: int
    expires: int
    header_len: int


def parse_token(token: bytes) -> TokenHeader:
    """The header of a version 2 import token (raw bytes)."""
    assert len(token) >= 12, token
    version, expires, algorithm, spec, id_len = struct.unpack(">BqBBB", token[:12])
    assert version == TOKEN_V2, f"format version {version:#x}"
    assert 1 <= id_len <= 255
    key_id = token[12:12 + id_len].decode("utf-8")
    assert len(key_id.encode()) == id_len, "truncated key ID"
    # Nonce, at least one byte of sealed PKCS #8, tag.
    assert len(token) > 12 + id_len + NONCE_LEN + TAG_LEN
    return TokenHeader(key_id, algorithm, spec, expires, 12 + id_len)


@dataclass
class BlobHeader:
    algorithm: int
    key_id: str
    key_version_id: str


def parse_blob(blob: bytes) -> BlobHeader:
    """The header of a version 1 ciphertext blob (raw bytes)."""
    version, algorithm, kid_len = blob[0], blob[1], blob[2]
    assert version == BLOB_V1, f"format version {version:#x}"
    key_id = blob[3:3 + kid_len].decode("utf-8")
    vid_len = blob[3 + kid_len]
    key_version_id = blob[4 + kid_len:4 + kid_len + vid_len].decode("utf-8")
    assert kid_len >= 1 and vid_len >= 1
    assert len(blob) >= 4 + kid_len + vid_len + NONCE_LEN + TAG_LEN
    return BlobHeader(algorithm, key_id, key_version_id)


# --------------------------------------------------------------------------- Aliyun (Tea SDK)


def test_aliyun_token_header_and_blob(tea):
    from alibabacloud_kms20160120 import models

    key_id = tea.create_key(models.CreateKeyRequest(origin="EXTERNAL", key_spec="Aliyun_AES_256")).body \
        .key_metadata.key_id
    params = tea.get_parameters_for_import(models.GetParametersForImportRequest(
        key_id=key_id, wrapping_algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_2048")).body
    token = unb64(params.import_token)
    header = parse_token(token)
    assert header.key_id == key_id == params.key_id
    assert header.algorithm == ALGORITHM_BYTES["RSAES_OAEP_SHA_256"]
    assert header.spec == SPEC_BYTES["RSA_2048"]
    # The service renders TokenExpireTime as yyyy-MM-ddTHH:mm:ssZ (UTC, whole seconds).
    assert header.expires == parse_iso(params.token_expire_time), params.token_expire_time

    # The token imports, and a flipped header byte makes it invalid.
    wrapped = wrap(os.urandom(32), params.public_key, "RSAES_OAEP_SHA_256")
    for i in (0, 1, 9, 10, 11, header.header_len - 1):
        forged = bytearray(token)
        forged[i] ^= 0x01
        with pytest.raises(Exception) as e:
            tea.import_key_material(models.ImportKeyMaterialRequest(
                key_id=key_id, import_token=b64(bytes(forged)), encrypted_key_material=wrapped,
                key_material_expire_unix=0))
        assert getattr(e.value, "code", None) == "InvalidImportToken", f"byte {i}: {e.value}"
    tea.import_key_material(models.ImportKeyMaterialRequest(
        key_id=key_id, import_token=params.import_token, encrypted_key_material=wrapped,
        key_material_expire_unix=0))

    enc = tea.encrypt(models.EncryptRequest(key_id=key_id, plaintext=b64(b"hello"))).body
    blob = parse_blob(unb64(enc.ciphertext_blob))
    assert blob.algorithm == BLOB_AES_256_GCM
    assert blob.key_id == key_id == enc.key_id
    assert enc.key_version_id, "Aliyun Encrypt returns the key version"
    assert blob.key_version_id == enc.key_version_id
    primary = tea.describe_key(models.DescribeKeyRequest(key_id=key_id)).body.key_metadata.primary_key_version
    assert blob.key_version_id == primary


@pytest.mark.parametrize("algorithm", WRAPPING_ALGORITHMS)
def test_aliyun_token_header_in_every_sdk_mode(kms, algorithm):
    key_id = kms.call("CreateKey", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = kms.call("GetParametersForImport", KeyId=key_id, WrappingAlgorithm=algorithm,
                      WrappingKeySpec="RSA_2048")
    header = parse_token(unb64(params["ImportToken"]))
    assert (header.key_id, header.algorithm, header.spec) == (key_id, ALGORITHM_BYTES[algorithm], 1)
    assert header.expires == parse_iso(params["TokenExpireTime"])


def test_aliyun_token_for_another_key_is_refused(kms):
    a = kms.call("CreateKey", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    b = kms.call("CreateKey", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = kms.call("GetParametersForImport", KeyId=a, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                      WrappingKeySpec="RSA_2048")
    wrapped = wrap(os.urandom(32), params["PublicKey"], "RSAES_OAEP_SHA_256")
    expect_error(kms.call, "ImportKeyMaterial", KeyId=b, ImportToken=params["ImportToken"],
                 EncryptedKeyMaterial=wrapped, code="InvalidImportToken", status=400)
    # Rewriting the public header to name key b does not help: it is authenticated.
    token = unb64(params["ImportToken"])
    header = parse_token(token)
    forged = token[:11] + bytes([len(b)]) + b.encode() + token[header.header_len:]
    expect_error(kms.call, "ImportKeyMaterial", KeyId=b, ImportToken=b64(forged),
                 EncryptedKeyMaterial=wrapped, code="InvalidImportToken", status=400)


# --------------------------------------------------------------------------- AWS (boto3)


@pytest.fixture
def aws(server):
    return boto3.client(
        "kms", endpoint_url=server.base_url, region_name="us-east-1",
        aws_access_key_id=AK_ID, aws_secret_access_key=AK_SECRET,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def test_aws_token_header_and_blob(aws, tea):
    key_id = aws.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = aws.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256",
                                           WrappingKeySpec="RSA_3072")
    # boto3 gives the blob member as raw bytes already.
    header = parse_token(params["ImportToken"])
    assert header.key_id == key_id
    assert params["KeyId"].endswith(f":key/{key_id}")
    assert header.algorithm == ALGORITHM_BYTES["RSA_AES_KEY_WRAP_SHA_256"]
    assert header.spec == SPEC_BYTES["RSA_3072"]
    assert serialization.load_der_public_key(params["PublicKey"]).key_size == 3072
    # ParametersValidTo is a timezone-aware datetime: compare to the second.
    assert header.expires == int(params["ParametersValidTo"].timestamp()), params["ParametersValidTo"]

    wrapped = aws_wrap(os.urandom(32), params["PublicKey"], "RSA_AES_KEY_WRAP_SHA_256")
    forged = bytearray(params["ImportToken"])
    forged[10] = SPEC_BYTES["RSA_2048"]
    with pytest.raises(ClientError) as e:
        aws.import_key_material(KeyId=key_id, ImportToken=bytes(forged), EncryptedKeyMaterial=wrapped,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert e.value.response["Error"]["Code"] == "InvalidImportTokenException"
    aws.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")

    ct = aws.encrypt(KeyId=key_id, Plaintext=b"hello")
    blob = parse_blob(ct["CiphertextBlob"])
    assert blob.algorithm == BLOB_AES_256_GCM
    assert blob.key_id == key_id
    assert ct["KeyId"].endswith(f":key/{key_id}")
    # AWS Encrypt names no key version (and CurrentKeyMaterialId is the material's
    # fingerprint): the blob's is the key's primary version, which the Aliyun dialect shows.
    from alibabacloud_kms20160120 import models

    primary = tea.describe_key(models.DescribeKeyRequest(key_id=key_id)).body.key_metadata.primary_key_version
    assert blob.key_version_id == primary


@pytest.mark.parametrize("spec", sorted(SPEC_BYTES))
@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
                                       "RSA_AES_KEY_WRAP_SHA_256"])
def test_aws_token_header_for_every_algorithm_and_spec(aws, algorithm, spec):
    key_id = aws.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = aws.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    header = parse_token(params["ImportToken"])
    assert (header.key_id, header.algorithm, header.spec) == (key_id, ALGORITHM_BYTES[algorithm], SPEC_BYTES[spec])
    assert header.expires == int(params["ParametersValidTo"].timestamp())
