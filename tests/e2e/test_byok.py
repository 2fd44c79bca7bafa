"""BYOK (bring your own key) end to end, through the official Python SDKs.

The happy path runs for both key specs, all three wrapping algorithms and all four SDK
modes; every import failure documented for ImportKeyMaterial runs in all four modes so
that each SDK's error surface (code and HTTP status) is checked too."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from qkms_harness import (
    ACCOUNT,
    MATERIAL_SIZE,
    REGION,
    WRAPPING_ALGORITHMS,
    Byok,
    b64,
    expect_error,
    load_public_key,
    parse_iso,
    unb64,
    wrap,
)

SPECS = ["Aliyun_AES_256", "Aliyun_SM4"]
CONTEXT = {"purpose": "test", "tenant": "e2e"}


# --------------------------------------------------------------------------- happy path


@pytest.mark.parametrize("algorithm", WRAPPING_ALGORITHMS)
@pytest.mark.parametrize("spec", SPECS)
def test_byok_full_flow(kms, server, spec, algorithm):
    byok = Byok(kms)
    created = kms.call("CreateKey", Origin="EXTERNAL", KeySpec=spec, Description="byok flow")["KeyMetadata"]
    key_id = created["KeyId"]
    assert created["KeyState"] == "PendingImport"
    assert created["Origin"] == "EXTERNAL"
    assert created["KeySpec"] == spec
    assert created["KeyUsage"] == "ENCRYPT/DECRYPT"
    assert created["MaterialExpireTime"] == ""
    assert created["Arn"] == f"acs:kms:{REGION}:{ACCOUNT}:key/{key_id}"

    # No material yet: crypto is refused.
    expect_error(byok.encrypt, key_id, b"x", code="Rejected.PendingImport", status=409)

    params = byok.params(key_id, algorithm)
    assert params["KeyId"] == key_id
    assert params["ImportToken"]
    public_key = load_public_key(params["PublicKey"])  # base64 DER SubjectPublicKeyInfo
    assert public_key.key_size == 2048
    assert public_key.public_numbers().e == 65537
    assert unb64(params["PublicKey"]) == public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    expires = parse_iso(params["TokenExpireTime"])
    assert abs(expires - (server.now() + 24 * 3600)) <= 5, params["TokenExpireTime"]

    material = os.urandom(MATERIAL_SIZE[spec])
    resp = kms.call("ImportKeyMaterial", KeyId=key_id, ImportToken=params["ImportToken"],
                    EncryptedKeyMaterial=wrap(material, public_key, algorithm), KeyMaterialExpireUnix=0)
    assert resp["RequestId"]

    meta = byok.describe(key_id)
    assert meta["KeyState"] == "Enabled"
    assert meta["MaterialExpireTime"] == ""
    assert meta["Origin"] == "EXTERNAL"

    # Encrypt / Decrypt with an EncryptionContext.
    plaintext = os.urandom(100) + "ünïcode".encode()
    enc = byok.encrypt(key_id, plaintext, CONTEXT)
    assert enc["KeyId"] == key_id
    assert enc["KeyVersionId"]
    blob = enc["CiphertextBlob"]
    assert plaintext not in unb64(blob)
    dec = byok.decrypt(blob, CONTEXT)
    assert unb64(dec["Plaintext"]) == plaintext
    assert dec["KeyId"] == key_id
    assert dec["KeyVersionId"] == enc["KeyVersionId"]
    # The context is bound to the ciphertext, compared as a map (order does not matter).
    assert unb64(byok.decrypt(blob, dict(reversed(list(CONTEXT.items()))))["Plaintext"]) == plaintext
    expect_error(byok.decrypt, blob, {"purpose": "other", "tenant": "e2e"}, code="InvalidParameter", status=400)
    expect_error(byok.decrypt, blob, None, code="InvalidParameter", status=400)

    # Two encryptions of the same plaintext differ (random IV) but both decrypt.
    enc2 = byok.encrypt(key_id, plaintext, CONTEXT)
    assert enc2["CiphertextBlob"] != blob
    assert unb64(byok.decrypt(enc2["CiphertextBlob"], CONTEXT)["Plaintext"]) == plaintext

    # GenerateDataKey: the returned ciphertext decrypts back to the returned plaintext.
    dk = kms.call("GenerateDataKey", KeyId=key_id, EncryptionContext=CONTEXT)
    assert dk["KeyId"] == key_id
    data_key = unb64(dk["Plaintext"])
    assert len(data_key) == 32
    assert unb64(byok.decrypt(dk["CiphertextBlob"], CONTEXT)["Plaintext"]) == data_key

    dk16 = kms.call("GenerateDataKey", KeyId=key_id, NumberOfBytes=16)
    assert len(unb64(dk16["Plaintext"])) == 16
    assert unb64(byok.decrypt(dk16["CiphertextBlob"])["Plaintext"]) == unb64(dk16["Plaintext"])

    dk_np = kms.call("GenerateDataKeyWithoutPlaintext", KeyId=key_id, KeySpec="AES_128", EncryptionContext=CONTEXT)
    assert "Plaintext" not in dk_np or not dk_np.get("Plaintext")
    assert len(unb64(byok.decrypt(dk_np["CiphertextBlob"], CONTEXT)["Plaintext"])) == 16


def test_byok_with_tea_typed_models(tea, server):
    """The Tea SDK's own request/response classes, no wrapper."""
    from alibabacloud_kms20160120 import models

    created = tea.create_key(models.CreateKeyRequest(origin="EXTERNAL", key_spec="Aliyun_AES_256",
                                                     description="typed tea"))
    assert created.status_code == 200
    assert created.headers.get("x-acs-request-id") == created.body.request_id
    meta = created.body.key_metadata
    assert isinstance(meta, models.CreateKeyResponseBodyKeyMetadata)
    assert (meta.key_state, meta.origin, meta.key_spec) == ("PendingImport", "EXTERNAL", "Aliyun_AES_256")
    key_id = meta.key_id

    params = tea.get_parameters_for_import(models.GetParametersForImportRequest(
        key_id=key_id, wrapping_algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_2048")).body
    assert isinstance(params, models.GetParametersForImportResponseBody)
    material = os.urandom(32)
    expire = server.now() + 30 * 24 * 3600
    tea.import_key_material(models.ImportKeyMaterialRequest(
        key_id=key_id, import_token=params.import_token,
        encrypted_key_material=wrap(material, params.public_key, "RSAES_OAEP_SHA_256"),
        key_material_expire_unix=expire))

    described = tea.describe_key(models.DescribeKeyRequest(key_id=key_id)).body.key_metadata
    assert described.key_state == "Enabled"
    assert parse_iso(described.material_expire_time) == expire

    enc = tea.encrypt(models.EncryptRequest(key_id=key_id, plaintext=b64(b"typed hello"),
                                            encryption_context={"app": "typed"})).body
    assert isinstance(enc, models.EncryptResponseBody)
    dec = tea.decrypt(models.DecryptRequest(ciphertext_blob=enc.ciphertext_blob,
                                            encryption_context={"app": "typed"})).body
    assert base64.b64decode(dec.plaintext) == b"typed hello"
    assert dec.key_id == key_id

    gdk = tea.generate_data_key(models.GenerateDataKeyRequest(key_id=key_id, number_of_bytes=24)).body
    assert len(base64.b64decode(gdk.plaintext)) == 24
    back = tea.decrypt(models.DecryptRequest(ciphertext_blob=gdk.ciphertext_blob)).body
    assert back.plaintext == gdk.plaintext

    tea.delete_key_material(models.DeleteKeyMaterialRequest(key_id=key_id))
    assert tea.describe_key(models.DescribeKeyRequest(key_id=key_id)).body.key_metadata.key_state == "PendingImport"


def test_byok_with_classic_request_classes(classic, server):
    """The classic SDK's own request classes and AcsClient, no wrapper."""
    import json

    from aliyunsdkcore.acs_exception.exceptions import ServerException
    from aliyunsdkkms.request.v20160120.CreateKeyRequest import CreateKeyRequest
    from aliyunsdkkms.request.v20160120.DecryptRequest import DecryptRequest
    from aliyunsdkkms.request.v20160120.EncryptRequest import EncryptRequest
    from aliyunsdkkms.request.v20160120.GetParametersForImportRequest import GetParametersForImportRequest
    from aliyunsdkkms.request.v20160120.ImportKeyMaterialRequest import ImportKeyMaterialRequest

    client = classic.client

    def send(req):
        req.set_endpoint(server.host)
        req.set_protocol_type("http")
        return json.loads(client.do_action_with_exception(req))

    req = CreateKeyRequest()
    req.set_Origin("EXTERNAL")
    req.set_KeySpec("Aliyun_SM4")
    req.set_Description("classic: * ~ é and spaces")
    meta = send(req)["KeyMetadata"]
    assert meta["Description"] == "classic: * ~ é and spaces"
    key_id = meta["KeyId"]

    req = GetParametersForImportRequest()
    req.set_KeyId(key_id)
    req.set_WrappingAlgorithm("RSAES_PKCS1_V1_5")
    req.set_WrappingKeySpec("RSA_2048")
    params = send(req)

    material = os.urandom(16)
    req = ImportKeyMaterialRequest()
    req.set_KeyId(key_id)
    req.set_ImportToken(params["ImportToken"])
    req.set_EncryptedKeyMaterial(wrap(material, params["PublicKey"], "RSAES_PKCS1_V1_5"))
    req.set_KeyMaterialExpireUnix(0)
    send(req)

    req = EncryptRequest()
    req.set_KeyId(key_id)
    req.set_Plaintext(b64(b"classic hello"))
    req.set_EncryptionContext(json.dumps({"purpose": "test"}))  # with spaces, as a user would
    blob = send(req)["CiphertextBlob"]

    req = DecryptRequest()
    req.set_CiphertextBlob(blob)
    req.set_EncryptionContext('{"purpose":"test"}')  # compact: same map, different string
    assert base64.b64decode(send(req)["Plaintext"]) == b"classic hello"

    req = DecryptRequest()
    req.set_CiphertextBlob(blob)
    req.set_EncryptionContext('{"purpose":"prod"}')
    with pytest.raises(ServerException) as exc:
        send(req)
    assert exc.value.get_http_status() == 400
    assert exc.value.get_error_code() == "InvalidParameter"


def test_oaep_sha256_with_mgf1_sha1(kms):
    """Java's OAEPWithSHA-256AndMGF1Padding uses MGF1-SHA-1: the server must accept it."""
    byok = Byok(kms)
    key_id = byok.create_external("Aliyun_AES_256")
    material = os.urandom(32)
    byok.import_material(key_id, material, "RSAES_OAEP_SHA_256", mgf_hash=hashes.SHA1())
    assert byok.describe(key_id)["KeyState"] == "Enabled"
    blob = byok.encrypt(key_id, b"mgf1-sha1", CONTEXT)["CiphertextBlob"]
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"mgf1-sha1"
    # Re-import of the same material wrapped the standard way (MGF1-SHA-256) is "the same material".
    byok.import_material(key_id, material, "RSAES_OAEP_SHA_256")
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"mgf1-sha1"


def test_import_token_is_reusable_and_parameters_are_fresh(kms):
    byok = Byok(kms)
    key_id = byok.create_external("Aliyun_AES_256")
    p1 = byok.params(key_id)
    p2 = byok.params(key_id)
    assert p1["PublicKey"] != p2["PublicKey"], "each call must return a new wrapping key"
    assert p1["ImportToken"] != p2["ImportToken"]
    material = os.urandom(32)
    byok.import_material(key_id, material, params=p1)
    # The same token and public key work again within 24 hours (re-import of the same material).
    byok.import_material(key_id, material, params=p1)
    byok.import_material(key_id, material, params=p2)
    assert byok.describe(key_id)["KeyState"] == "Enabled"


# --------------------------------------------------------------------------- import failures


@pytest.mark.parametrize("spec,size", [("Aliyun_AES_256", 16), ("Aliyun_AES_256", 31), ("Aliyun_AES_256", 33),
                                       ("Aliyun_SM4", 32), ("Aliyun_SM4", 15)])
def test_wrong_material_size(kms, spec, size):
    byok = Byok(kms)
    key_id = byok.create_external(spec)
    expect_error(byok.import_material, key_id, os.urandom(size), code="InvalidKeyMaterial", status=400)
    assert byok.describe(key_id)["KeyState"] == "PendingImport"
    # The failed attempt did not bind the key: correct material of another value imports fine.
    byok.import_material(key_id, os.urandom(MATERIAL_SIZE[spec]))
    assert byok.describe(key_id)["KeyState"] == "Enabled"


def test_material_wrapped_with_another_public_key(kms):
    byok = Byok(kms)
    key_id = byok.create_external()
    material = os.urandom(32)
    p1 = byok.params(key_id)
    p2 = byok.params(key_id)
    # Token of p1, material wrapped for p2's public key.
    wrapped = wrap(material, p2["PublicKey"], "RSAES_OAEP_SHA_256")
    expect_error(kms.call, "ImportKeyMaterial", KeyId=key_id, ImportToken=p1["ImportToken"],
                 EncryptedKeyMaterial=wrapped, KeyMaterialExpireUnix=0, code="InvalidKeyMaterial", status=400)
    # Material wrapped with a key the server never issued.
    local = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    expect_error(kms.call, "ImportKeyMaterial", KeyId=key_id, ImportToken=p1["ImportToken"],
                 EncryptedKeyMaterial=wrap(material, local, "RSAES_OAEP_SHA_256"), KeyMaterialExpireUnix=0,
                 code="InvalidKeyMaterial", status=400)
    # Right key, wrong padding (token says OAEP-SHA-256, material is PKCS#1 v1.5).
    expect_error(kms.call, "ImportKeyMaterial", KeyId=key_id, ImportToken=p1["ImportToken"],
                 EncryptedKeyMaterial=wrap(material, p1["PublicKey"], "RSAES_PKCS1_V1_5"), KeyMaterialExpireUnix=0,
                 code="InvalidKeyMaterial", status=400)
    assert byok.describe(key_id)["KeyState"] == "PendingImport"
    byok.import_material(key_id, material, params=p1)
    assert byok.describe(key_id)["KeyState"] == "Enabled"


def test_import_token_of_another_key(kms):
    byok = Byok(kms)
    key_a = byok.create_external()
    key_b = byok.create_external()
    pa = byok.params(key_a)
    material = os.urandom(32)
    expect_error(kms.call, "ImportKeyMaterial", KeyId=key_b, ImportToken=pa["ImportToken"],
                 EncryptedKeyMaterial=wrap(material, pa["PublicKey"], "RSAES_OAEP_SHA_256"), KeyMaterialExpireUnix=0,
                 code="InvalidImportToken", status=400)
    expect_error(kms.call, "ImportKeyMaterial", KeyId=key_b, ImportToken="bm90LWEtdG9rZW4=",
                 EncryptedKeyMaterial=wrap(material, pa["PublicKey"], "RSAES_OAEP_SHA_256"), KeyMaterialExpireUnix=0,
                 code="InvalidImportToken", status=400)
    assert byok.describe(key_b)["KeyState"] == "PendingImport"
    # The token still works for its own key.
    byok.import_material(key_a, material, params=pa)
    assert byok.describe(key_a)["KeyState"] == "Enabled"


def test_reimport_only_same_material(kms):
    byok = Byok(kms)
    key_id, material = byok.imported_key("Aliyun_AES_256")
    blob = byok.encrypt(key_id, b"bound", CONTEXT)["CiphertextBlob"]
    expect_error(byok.import_material, key_id, os.urandom(32), code="InvalidKeyMaterial", status=400)
    assert byok.describe(key_id)["KeyState"] == "Enabled"
    # Same material again (another wrapping algorithm, new token) is fine, and resets the expiry.
    byok.import_material(key_id, material, "RSAES_PKCS1_V1_5")
    assert byok.describe(key_id)["KeyState"] == "Enabled"
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"bound"
    # Still bound after DeleteKeyMaterial.
    kms.call("DeleteKeyMaterial", KeyId=key_id)
    expect_error(byok.import_material, key_id, os.urandom(32), code="InvalidKeyMaterial", status=400)
    assert byok.describe(key_id)["KeyState"] == "PendingImport"


def test_expiry_in_the_past(kms, server):
    byok = Byok(kms)
    key_id = byok.create_external()
    now = server.now()
    for past in (now - 1, now - 3600, 1):
        expect_error(byok.import_material, key_id, os.urandom(32), expire_unix=past,
                     code="InvalidParameter", status=400)
    assert byok.describe(key_id)["KeyState"] == "PendingImport"
    assert byok.describe(key_id)["MaterialExpireTime"] == ""
    future = now + 7 * 24 * 3600
    byok.import_material(key_id, os.urandom(32), expire_unix=future)
    meta = byok.describe(key_id)
    assert meta["KeyState"] == "Enabled"
    assert parse_iso(meta["MaterialExpireTime"]) == future


def test_crypto_on_pending_import_key(kms):
    byok = Byok(kms)
    key_id = byok.create_external()
    expect_error(byok.encrypt, key_id, b"no material", code="Rejected.PendingImport", status=409)
    expect_error(kms.call, "GenerateDataKey", KeyId=key_id, code="Rejected.PendingImport", status=409)
    expect_error(kms.call, "GenerateDataKeyWithoutPlaintext", KeyId=key_id,
                 code="Rejected.PendingImport", status=409)


def test_delete_key_material_then_reimport(kms):
    byok = Byok(kms)
    key_id, material = byok.imported_key("Aliyun_SM4")
    blob = byok.encrypt(key_id, b"before delete", CONTEXT)["CiphertextBlob"]
    dk = kms.call("GenerateDataKey", KeyId=key_id)

    kms.call("DeleteKeyMaterial", KeyId=key_id)
    meta = byok.describe(key_id)
    assert meta["KeyState"] == "PendingImport"
    assert meta["MaterialExpireTime"] == ""
    expect_error(byok.decrypt, blob, CONTEXT, code="Rejected.PendingImport", status=409)
    expect_error(byok.decrypt, dk["CiphertextBlob"], code="Rejected.PendingImport", status=409)
    expect_error(byok.encrypt, key_id, b"x", code="Rejected.PendingImport", status=409)
    # Deleting again is allowed in every state.
    kms.call("DeleteKeyMaterial", KeyId=key_id)

    byok.import_material(key_id, material, "RSAES_OAEP_SHA_1")
    assert byok.describe(key_id)["KeyState"] == "Enabled"
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"before delete"
    assert byok.decrypt(dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]


def _swap_key_ids(blob: str, a_ids: tuple[str, str], b_ids: tuple[str, str]) -> str:
    """Rewrite key A's key/version IDs into key B's inside the ciphertext blob (ASCII or raw UUID)."""
    import uuid

    raw = unb64(blob)
    swapped = raw
    for old, new in zip(a_ids, b_ids):
        for o, n in ((old.encode(), new.encode()), (uuid.UUID(old).bytes, uuid.UUID(new).bytes)):
            swapped = swapped.replace(o, n)
    assert swapped != raw, "the ciphertext blob names neither the key ID nor the key version ID"
    return b64(swapped)


def test_same_material_two_keys_not_interchangeable(kms):
    byok = Byok(kms)
    material = os.urandom(32)
    key_a, _ = byok.imported_key("Aliyun_AES_256", material)
    key_b, _ = byok.imported_key("Aliyun_AES_256", material)
    enc_a = byok.encrypt(key_a, b"for A only", CONTEXT)
    enc_b = byok.encrypt(key_b, b"for B only", CONTEXT)
    dec = byok.decrypt(enc_a["CiphertextBlob"], CONTEXT)
    assert dec["KeyId"] == key_a
    assert byok.decrypt(enc_b["CiphertextBlob"], CONTEXT)["KeyId"] == key_b

    # A's ciphertext relabelled as B's must not decrypt under B although B has the same bytes.
    forged = _swap_key_ids(enc_a["CiphertextBlob"], (key_a, enc_a["KeyVersionId"]), (key_b, enc_b["KeyVersionId"]))
    expect_error(byok.decrypt, forged, CONTEXT, code="InvalidParameter", status=400)

    # With A's material gone, A's ciphertext is unusable even though B holds the same material.
    kms.call("DeleteKeyMaterial", KeyId=key_a)
    expect_error(byok.decrypt, enc_a["CiphertextBlob"], CONTEXT, code="Rejected.PendingImport", status=409)
    assert unb64(byok.decrypt(enc_b["CiphertextBlob"], CONTEXT)["Plaintext"]) == b"for B only"


def test_import_on_kms_generated_key_is_unsupported(kms):
    byok = Byok(kms)
    meta = kms.call("CreateKey", KeySpec="Aliyun_AES_256")["KeyMetadata"]
    assert (meta["Origin"], meta["KeyState"]) == ("Aliyun_KMS", "Enabled")
    key_id = meta["KeyId"]
    expect_error(byok.params, key_id, code="Unsupported.Origin", status=400)
    # A token and wrapping key from an EXTERNAL key, presented for the Aliyun_KMS key.
    ext = byok.create_external()
    p = byok.params(ext)
    expect_error(kms.call, "ImportKeyMaterial", KeyId=key_id, ImportToken=p["ImportToken"],
                 EncryptedKeyMaterial=wrap(os.urandom(32), p["PublicKey"], "RSAES_OAEP_SHA_256"),
                 KeyMaterialExpireUnix=0, code="Unsupported.Origin", status=400)
    expect_error(kms.call, "DeleteKeyMaterial", KeyId=key_id, code="Unsupported.Origin", status=400)
    assert byok.describe(key_id)["KeyState"] == "Enabled"


def test_unknown_key(kms):
    byok = Byok(kms)
    missing = "00000000-0000-4000-8000-000000000000"
    expect_error(byok.describe, missing, code="Forbidden.KeyNotFound", status=404)
    expect_error(byok.encrypt, missing, b"x", code="Forbidden.KeyNotFound", status=404)
    expect_error(byok.params, missing, code="Forbidden.KeyNotFound", status=404)
    expect_error(kms.call, "DeleteKeyMaterial", KeyId=missing, code="Forbidden.KeyNotFound", status=404)
    expect_error(kms.call, "GenerateDataKey", KeyId=missing, code="Forbidden.KeyNotFound", status=404)
    ext = byok.create_external()
    p = byok.params(ext)
    expect_error(kms.call, "ImportKeyMaterial", KeyId=missing, ImportToken=p["ImportToken"],
                 EncryptedKeyMaterial=wrap(os.urandom(32), p["PublicKey"], "RSAES_OAEP_SHA_256"),
                 KeyMaterialExpireUnix=0, code="Forbidden.KeyNotFound", status=404)


def test_disabled_and_pending_deletion_states(kms):
    byok = Byok(kms)
    key_id, material = byok.imported_key("Aliyun_AES_256")
    blob = byok.encrypt(key_id, b"state", CONTEXT)["CiphertextBlob"]

    kms.call("DisableKey", KeyId=key_id)
    assert byok.describe(key_id)["KeyState"] == "Disabled"
    expect_error(byok.encrypt, key_id, b"x", code="Rejected.Disabled", status=409)
    expect_error(byok.decrypt, blob, CONTEXT, code="Rejected.Disabled", status=409)
    expect_error(kms.call, "GenerateDataKey", KeyId=key_id, code="Rejected.Disabled", status=409)
    # Re-import on a Disabled key succeeds and keeps it Disabled.
    byok.import_material(key_id, material)
    assert byok.describe(key_id)["KeyState"] == "Disabled"
    kms.call("EnableKey", KeyId=key_id)
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"state"

    kms.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    meta = byok.describe(key_id)
    assert meta["KeyState"] == "PendingDeletion"
    assert meta["DeleteDate"]
    expect_error(byok.encrypt, key_id, b"x", code="Rejected.PendingDeletion", status=409)
    expect_error(byok.import_material, key_id, material, code="Rejected.StateModifiedFailed", status=409)
    # GetParametersForImport is allowed in every state.
    assert byok.params(key_id)["KeyId"] == key_id
    kms.call("CancelKeyDeletion", KeyId=key_id)
    assert byok.describe(key_id)["KeyState"] == "Enabled"
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"state"

    # DeleteKeyMaterial is allowed in PendingDeletion; cancelling then leaves a key without
    # material, i.e. PendingImport, and the same material brings it back.
    kms.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    kms.call("DeleteKeyMaterial", KeyId=key_id)
    assert byok.describe(key_id)["KeyState"] == "PendingDeletion"
    kms.call("CancelKeyDeletion", KeyId=key_id)
    assert byok.describe(key_id)["KeyState"] == "PendingImport"
    byok.import_material(key_id, material)
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"state"


def test_delete_key_material_on_a_key_never_imported(kms):
    byok = Byok(kms)
    key_id = byok.create_external()
    kms.call("DeleteKeyMaterial", KeyId=key_id)
    assert byok.describe(key_id)["KeyState"] == "PendingImport"
    byok.import_material(key_id, os.urandom(32))
    assert byok.describe(key_id)["KeyState"] == "Enabled"


def test_bad_wrapping_parameters(kms):
    byok = Byok(kms)
    key_id = byok.create_external()
    expect_error(kms.call, "GetParametersForImport", KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_512",
                 WrappingKeySpec="RSA_2048", code="InvalidParameter", status=400)
    expect_error(kms.call, "GetParametersForImport", KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                 WrappingKeySpec="RSA_1024", code="InvalidParameter", status=400)
    p = byok.params(key_id)
    expect_error(kms.call, "ImportKeyMaterial", KeyId=key_id, ImportToken=p["ImportToken"],
                 EncryptedKeyMaterial="%%%not-base64%%%", KeyMaterialExpireUnix=0,
                 code="InvalidParameter", status=400)
    assert byok.describe(key_id)["KeyState"] == "PendingImport"
