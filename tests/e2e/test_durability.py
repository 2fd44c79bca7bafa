"""Durability: the real binary on a data dir, killed with SIGKILL, restarted on the same dir.

Also checks that the files in the data dir never hold imported key material in the clear
(raw bytes, hex or base64)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from qkms_harness import Byok, expect_error, make_caller, parse_iso, unb64

CONTEXT = {"purpose": "durability"}


def _needles(material: bytes) -> dict[str, bytes]:
    """Encodings of the material that must not appear in any file of the data dir."""
    out = {
        "raw": material,
        "hex": material.hex().encode(),
        "HEX": material.hex().upper().encode(),
        "base64": base64.b64encode(material),
        "base64url": base64.urlsafe_b64encode(material),
        "base64-unpadded": base64.b64encode(material).rstrip(b"="),
    }
    return out


def _scan(data_dir: Path, materials: dict[str, bytes]) -> tuple[list[str], list[str]]:
    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    found = []
    for path in files:
        blob = path.read_bytes()
        for name, material in materials.items():
            for enc, needle in _needles(material).items():
                if needle in blob:
                    found.append(f"{path.name}: {name} material as {enc}")
    return [p.name for p in files], found


def test_kill9_restart_keeps_keys_states_and_ciphertexts(server_factory, tmp_path):
    data_dir = tmp_path / "durable-data"
    srv = server_factory(data_dir=data_dir)
    kms = make_caller(srv, "tea_acs3")
    byok = Byok(kms)
    now = srv.now()

    # Enabled AES key, material expiring in 10 days.
    aes_expire = now + 10 * 86400
    aes_id, aes_mat = byok.imported_key("Aliyun_AES_256", algorithm="RSAES_OAEP_SHA_256", expire_unix=aes_expire)
    # SM4 key, imported then disabled.
    sm4_id, sm4_mat = byok.imported_key("Aliyun_SM4", algorithm="RSAES_PKCS1_V1_5")
    # EXTERNAL key never imported; keep an import token across the crash.
    pend_id = byok.create_external("Aliyun_AES_256")
    pend_params = byok.params(pend_id)
    # Imported, then its material deleted.
    del_id, del_mat = byok.imported_key("Aliyun_AES_256", algorithm="RSAES_OAEP_SHA_1")
    # A KMS-generated key.
    kms_id = kms.call("CreateKey", KeySpec="Aliyun_AES_256", Description="generated")["KeyMetadata"]["KeyId"]
    # Alias and tags ride along.
    kms.call("CreateAlias", AliasName="alias/durable-aes", KeyId=aes_id)
    kms.call("TagResource", KeyId=aes_id, Tags='[{"TagKey":"env","TagValue":"e2e"}]')

    blobs = {
        aes_id: byok.encrypt(aes_id, b"aes secret", CONTEXT)["CiphertextBlob"],
        sm4_id: byok.encrypt(sm4_id, b"sm4 secret", CONTEXT)["CiphertextBlob"],
        del_id: byok.encrypt(del_id, b"deleted secret", CONTEXT)["CiphertextBlob"],
        kms_id: byok.encrypt(kms_id, b"kms secret", CONTEXT)["CiphertextBlob"],
    }
    data_key = kms.call("GenerateDataKey", KeyId="alias/durable-aes")
    kms.call("DisableKey", KeyId=sm4_id)
    kms.call("DeleteKeyMaterial", KeyId=del_id)
    before = {k: byok.describe(k) for k in (aes_id, sm4_id, pend_id, del_id, kms_id)}

    srv.kill9()

    materials = {"aes": aes_mat, "sm4": sm4_mat, "deleted": del_mat}
    names, found = _scan(data_dir, materials)
    assert "qkms.db" in names, names
    assert not found, f"plaintext key material in the data dir after SIGKILL: {found}"

    srv.start()
    kms = make_caller(srv, "classic")  # a different SDK after the restart
    byok = Byok(kms)

    after = {k: byok.describe(k) for k in before}
    for key_id, meta in before.items():
        for field in ("KeyId", "Arn", "KeySpec", "Origin", "KeyState", "MaterialExpireTime", "CreationDate",
                      "Description", "PrimaryKeyVersion"):
            assert after[key_id][field] == meta[field], (key_id, field, meta[field], after[key_id][field])
    assert after[aes_id]["KeyState"] == "Enabled"
    assert parse_iso(after[aes_id]["MaterialExpireTime"]) == aes_expire
    assert after[sm4_id]["KeyState"] == "Disabled"
    assert after[pend_id]["KeyState"] == "PendingImport"
    assert after[del_id]["KeyState"] == "PendingImport"
    assert after[kms_id]["KeyState"] == "Enabled"

    listed = kms.call("ListKeys", PageSize=100)
    assert {aes_id, sm4_id, pend_id, del_id, kms_id} <= {k["KeyId"] for k in listed["Keys"]["Key"]}
    aliases = kms.call("ListAliases", PageSize=100)["Aliases"]["Alias"]
    assert {"AliasName": "alias/durable-aes", "KeyId": aes_id} in [
        {"AliasName": a["AliasName"], "KeyId": a["KeyId"]} for a in aliases]
    tags = kms.call("ListResourceTags", KeyId=aes_id)["Tags"]["Tag"]
    assert [(t["TagKey"], t["TagValue"]) for t in tags] == [("env", "e2e")]

    # Old ciphertexts decrypt.
    assert unb64(byok.decrypt(blobs[aes_id], CONTEXT)["Plaintext"]) == b"aes secret"
    assert unb64(byok.decrypt(blobs[kms_id], CONTEXT)["Plaintext"]) == b"kms secret"
    assert byok.decrypt(data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    expect_error(byok.decrypt, blobs[sm4_id], CONTEXT, code="Rejected.Disabled", status=409)
    kms.call("EnableKey", KeyId=sm4_id)
    assert unb64(byok.decrypt(blobs[sm4_id], CONTEXT)["Plaintext"]) == b"sm4 secret"
    expect_error(byok.decrypt, blobs[del_id], CONTEXT, code="Rejected.PendingImport", status=409)
    # The first import still binds the key after the crash ...
    expect_error(byok.import_material, del_id, os.urandom(32), code="InvalidKeyMaterial", status=400)
    # ... and the same material restores it.
    byok.import_material(del_id, del_mat, "RSAES_OAEP_SHA_256")
    assert unb64(byok.decrypt(blobs[del_id], CONTEXT)["Plaintext"]) == b"deleted secret"
    # The import token issued before the crash still works.
    pend_mat = os.urandom(32)
    byok.import_material(pend_id, pend_mat, params=pend_params)
    assert byok.describe(pend_id)["KeyState"] == "Enabled"
    materials["pending"] = pend_mat

    # A second crash right after writes, then a clean stop: the store holds no plaintext material.
    srv.kill9()
    names, found = _scan(data_dir, materials)
    assert not found, f"plaintext key material in the data dir after the second SIGKILL: {found}"
    srv.start()
    byok = Byok(make_caller(srv, "tea_acs4"))
    assert byok.describe(pend_id)["KeyState"] == "Enabled"
    assert byok.describe(del_id)["KeyState"] == "Enabled"
    assert unb64(byok.decrypt(blobs[del_id], CONTEXT)["Plaintext"]) == b"deleted secret"
    srv.stop()
    names, found = _scan(data_dir, materials)
    assert "qkms.db" in names
    assert not found, f"plaintext key material in the data dir after a clean stop: {found}"


def test_expiry_survives_restart_with_admin_clock(server_factory, tmp_path):
    """An expiry that passes while the server is down is applied at restart (the clock is
    given as an offset at start-up, as a test rig would)."""
    data_dir = tmp_path / "expiry-data"
    srv = server_factory(data_dir=data_dir)
    byok = Byok(make_caller(srv, "tea_v1"))
    now = srv.now()
    key_id, material = byok.imported_key("Aliyun_SM4", expire_unix=now + 3600)
    blob = byok.encrypt(key_id, b"until restart", CONTEXT)["CiphertextBlob"]
    srv.kill9()

    srv.clock_spec = "offset:+2h"
    srv.start()
    byok = Byok(make_caller(srv, "tea_v1"))
    assert srv.now() >= now + 7200
    meta = byok.describe(key_id)
    assert meta["KeyState"] == "PendingImport"
    assert meta["MaterialExpireTime"] == ""
    expect_error(byok.decrypt, blob, CONTEXT, code="Rejected.PendingImport", status=409)
    byok.import_material(key_id, material)
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"until restart"
    srv.stop()
    _, found = _scan(data_dir, {"sm4": material})
    assert not found, found


def test_ephemeral_mode_writes_nothing(server_factory, tmp_path, monkeypatch):
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    srv = server_factory(ephemeral=True)
    byok = Byok(make_caller(srv, "tea_acs3"))
    key_id, _ = byok.imported_key()
    byok.encrypt(key_id, b"x")
    srv.stop()
    assert list(workdir.iterdir()) == [], "--ephemeral must not create files"
    assert not os.path.exists(workdir / "qkms-data")
