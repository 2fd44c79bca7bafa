"""Regression fixtures end to end: seed files at start-up (idempotent; a conflicting
definition stops the server and names the key), the committed ciphertexts of the example
seed, export then re-seed, deterministic runs, record then replay, and the admin reset."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from qkms_harness import QKMS_BIN, REPO, Byok, QkmsServer, b64, expect_error, make_caller, unb64

EXAMPLE_SEED = REPO / "examples" / "seed.toml"
COMMITTED = json.loads((REPO / "tests" / "vectors" / "seed-ciphertexts.json").read_text())
FIXED = "fixed:2030-01-01T00:00:00Z"


def qkms(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QKMS_")}
    return subprocess.run([QKMS_BIN, *args], capture_output=True, text=True, timeout=120, check=check, env=env)


def test_seed_file_committed_ciphertexts_and_idempotent_restart(server_factory, tmp_path):
    data = tmp_path / "seeded"
    srv = server_factory(data_dir=data, extra_args=("--seed", str(EXAMPLE_SEED)))
    kms = make_caller(srv, "tea_acs3")
    for case in COMMITTED:
        out = kms.call("Decrypt", CiphertextBlob=case["CiphertextBlob"], EncryptionContext=case["EncryptionContext"] or None)
        assert unb64(out["Plaintext"]).decode() == case["Plaintext"]
        assert out["KeyId"] == case["KeyId"] and out["KeyVersionId"] == case["KeyVersionId"]
    meta = kms.call("DescribeKey", KeyId="alias/fixture")["KeyMetadata"]
    assert meta["KeyId"] == "0a0a0a0a-0000-4000-8000-000000000001"
    assert meta["CreationDate"] == "2024-01-01T00:00:00Z"
    pending = kms.call("DescribeKey", KeyId="0a0a0a0a-0000-4000-8000-000000000004")["KeyMetadata"]
    assert pending["KeyState"] == "PendingImport"
    # Restart on the same data dir with the same seed: nothing changes.
    srv.restart()
    assert "created=0 unchanged=4" in srv.stderr_tail(20000)
    assert make_caller(srv, "classic").call("ListKeys", PageSize=50)["TotalCount"] == 4


def test_conflicting_seed_stops_the_server_naming_the_key(server_factory, tmp_path):
    data = tmp_path / "conflict"
    srv = server_factory(data_dir=data, extra_args=("--seed", str(EXAMPLE_SEED)))
    srv.stop()
    changed = tmp_path / "changed.toml"
    changed.write_text(EXAMPLE_SEED.read_text().replace("fixture: KMS key with one version", "something else"))
    bad = QkmsServer(tmp_path / "bad", data_dir=data, extra_args=("--seed", str(changed)))
    with pytest.raises(RuntimeError) as e:
        bad.start(timeout=20)
    assert "0a0a0a0a-0000-4000-8000-000000000001" in str(e.value)
    assert "description" in str(e.value)
    # The original definition still stands.
    srv.start()
    meta = make_caller(srv, "tea_acs3").call("DescribeKey", KeyId="alias/fixture")["KeyMetadata"]
    assert meta["Description"] == "fixture: KMS key with one version"


def test_export_then_reseed(server_factory, tmp_path):
    data = tmp_path / "handmade"
    srv = server_factory(data_dir=data)
    kms = make_caller(srv, "tea_acs3")
    byok = Byok(kms)
    key_id, _ = byok.imported_key("Aliyun_SM4")
    plain_id = kms.call("CreateKey", Description="by hand")["KeyMetadata"]["KeyId"]
    kms.call("CreateAlias", AliasName="alias/handmade", KeyId=plain_id)
    blob_ext = byok.encrypt(key_id, b"external", {"k": "v"})["CiphertextBlob"]
    blob_kms = byok.encrypt(plain_id, b"generated")["CiphertextBlob"]
    srv.stop()

    out = tmp_path / "export.toml"
    qkms("export", "--data-dir", str(data), "--include-material", "--output", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text()
    assert key_id in text and "material_hex" in text and "alias/handmade" in text
    bare = qkms("export", "--data-dir", str(data)).stdout
    assert key_id in bare and "material_hex" not in bare

    fresh = server_factory(ephemeral=True, extra_args=("--seed", str(out)))
    kms2 = make_caller(fresh, "tea_v1")
    assert unb64(kms2.call("Decrypt", CiphertextBlob=blob_ext, EncryptionContext={"k": "v"})["Plaintext"]) == b"external"
    assert unb64(kms2.call("Decrypt", CiphertextBlob=blob_kms)["Plaintext"]) == b"generated"
    assert kms2.call("DescribeKey", KeyId="alias/handmade")["KeyMetadata"]["KeyId"] == plain_id


def deterministic_session(srv: QkmsServer) -> list[dict]:
    """A fixed sequence of SDK calls; returns every response body (RequestId included)."""
    kms = make_caller(srv, "tea_acs3")
    bodies = []
    ext = kms.call("CreateKey", Origin="EXTERNAL", KeySpec="Aliyun_AES_256")
    bodies.append(ext)
    ext_id = ext["KeyMetadata"]["KeyId"]
    bodies.append(kms.call("GetParametersForImport", KeyId=ext_id, WrappingAlgorithm="RSAES_OAEP_SHA_1",
                           WrappingKeySpec="RSA_2048"))
    key = kms.call("CreateKey", KeySpec="Aliyun_SM4", Description="deterministic")
    bodies.append(key)
    key_id = key["KeyMetadata"]["KeyId"]
    bodies.append(kms.call("Encrypt", KeyId=key_id, Plaintext=b64(b"same bytes"), EncryptionContext={"run": "x"}))
    bodies.append(kms.call("GenerateDataKey", KeyId=key_id, NumberOfBytes=16))
    bodies.append(kms.call("DescribeKey", KeyId=key_id))
    bodies.append(kms.call("ListKeys"))
    return bodies


def test_two_deterministic_runs_are_identical(server_factory):
    runs = []
    for _ in range(2):
        srv = server_factory(ephemeral=True, clock=FIXED, extra_args=("--deterministic", "e2e-seed"))
        runs.append(deterministic_session(srv))
        srv.stop()
    assert runs[0] == runs[1]
    assert len(runs[0]) == 7
    other = server_factory(ephemeral=True, clock=FIXED, extra_args=("--deterministic", "another"))
    assert deterministic_session(other)[0] != runs[0][0]


def test_record_then_replay_with_zero_differences(server_factory, tmp_path):
    recording = tmp_path / "session.jsonl"
    flags = ("--deterministic", "replay-seed")
    srv = server_factory(ephemeral=True, clock=FIXED, extra_args=(*flags, "--record", str(recording), "--record-secrets"))
    kms = make_caller(srv, "tea_acs3")
    byok = Byok(kms)
    key_id, material = byok.imported_key("Aliyun_AES_256", algorithm="RSAES_OAEP_SHA_256")
    blob = byok.encrypt(key_id, b"recorded", {"a": "b"})["CiphertextBlob"]
    byok.decrypt(blob, {"a": "b"})
    kms.call("GenerateDataKey", KeyId=key_id, NumberOfBytes=24)
    expect_error(kms.call, "Encrypt", KeyId="missing", Plaintext=b64(b"x"), code="Forbidden.KeyNotFound", status=404)
    srv.stop()
    lines = recording.read_text().splitlines()
    assert len(lines) == 7
    assert stat.S_IMODE(recording.stat().st_mode) == 0o600

    target = server_factory(ephemeral=True, clock=FIXED, extra_args=flags)
    out = qkms("replay", str(recording), "--endpoint", target.base_url)
    assert "replayed 7 requests (whole bodies compared): 0 differences" in out.stdout, out.stdout + out.stderr

    # Against a server with another seed every ID differs: replay reports it and fails.
    other = server_factory(ephemeral=True, clock=FIXED, extra_args=("--deterministic", "other-seed"))
    out = qkms("replay", str(recording), "--endpoint", other.base_url, check=False)
    assert out.returncode != 0 and "differences" in out.stdout


def test_recordings_redact_secrets_by_default(server_factory, tmp_path):
    recording = tmp_path / "redacted.jsonl"
    srv = server_factory(ephemeral=True, extra_args=("--record", str(recording)))
    byok = Byok(make_caller(srv, "classic"))
    key_id, material = byok.imported_key("Aliyun_SM4", algorithm="RSAES_OAEP_SHA_1")
    byok.encrypt(key_id, b"top secret plaintext")
    srv.stop()
    text = recording.read_text()
    assert "[REDACTED]" in text
    assert b64(b"top secret plaintext") not in text
    assert material.hex() not in text and b64(material) not in text
    entries = [json.loads(line) for line in text.splitlines()]
    assert [e["action"] for e in entries] == ["CreateKey", "GetParametersForImport", "ImportKeyMaterial", "Encrypt"]
    assert all("Signature" not in e["params"] for e in entries)


def test_admin_reset(server_factory):
    srv = server_factory(ephemeral=True)
    kms = make_caller(srv, "tea_acs3")
    kms.call("CreateKey")
    status, _, _ = srv.admin_request("POST", "/_qkms/reset", token=None)
    assert status == 401
    status, _, _ = srv.admin_request("POST", "/_qkms/reset", token="wrong")
    assert status == 401
    status, _, body = srv.admin_request("POST", "/_qkms/reset")
    assert status == 200, body
    assert kms.call("ListKeys")["TotalCount"] == 0
    # Without --admin the endpoints do not exist.
    plain = server_factory(ephemeral=True, admin=None)
    status, _, _ = plain.admin_request("POST", "/_qkms/reset", token="anything")
    assert status == 404
