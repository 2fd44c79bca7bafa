"""Erasure is real: after DeleteKeyMaterial, material expiry and the end of a deletion
window, the sealed copy of the material is in none of qkms.db, qkms.db-wal and
qkms.db-shm: right after the change, after `kill -9`, and after a restart and further
writes. The sealed bytes are read from the database itself before the erasure, so the scan
looks for exactly what the root key would open."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from qkms_harness import Byok, KmsError, make_caller

START = "2030-01-01T00:00:00Z"
START_EPOCH = 1893456000
FILES = ("qkms.db", "qkms.db-wal", "qkms.db-shm")


def sealed_copies(data_dir: Path, key_id: str) -> list[str]:
    """The base64 sealed material of every version of the key, as stored."""
    con = sqlite3.connect(f"file:{data_dir / 'qkms.db'}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT record FROM keys WHERE key_id = ?", (key_id,)).fetchone()
    finally:
        con.close()
    assert row, f"{key_id} is not in the store"
    record = json.loads(row[0])
    return [v["sealed_material"] for v in record["versions"] if v.get("sealed_material")]


def on_disk(data_dir: Path, sealed: list[str]) -> list[str]:
    """Which files hold any of the sealed copies."""
    hits = []
    for name in FILES:
        path = data_dir / name
        if path.exists():
            blob = path.read_bytes()
            hits += [f"{name}: {s[:16]}..." for s in sealed if s.encode() in blob]
    return hits


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def imported(srv, spec: str = "Aliyun_AES_256", expire_unix: int = 0) -> tuple[Byok, str, list[str]]:
    """A key with imported material, imported three times (so several page versions of its
    record, each with a sealed copy, were written), and the copies as stored."""
    byok = Byok(make_caller(srv, "tea_acs3"))
    key_id, material = byok.imported_key(spec, expire_unix=expire_unix)
    copies = sealed_copies(srv.data_dir, key_id)
    for _ in range(2):
        byok.import_material(key_id, material, expire_unix=expire_unix)
        copies += sealed_copies(srv.data_dir, key_id)
    assert on_disk(srv.data_dir, copies), "the sealed material should be on disk before erasure"
    return byok, key_id, copies


def assert_gone_then_across_kill9(srv, copies: list[str]) -> None:
    assert not on_disk(srv.data_dir, copies), on_disk(srv.data_dir, copies)
    srv.kill9()
    assert not on_disk(srv.data_dir, copies), on_disk(srv.data_dir, copies)
    srv.start()
    kms = make_caller(srv, "tea_v1")
    for i in range(20):
        kms.call("CreateKey", Description=f"after erasure {i}")
    assert not on_disk(srv.data_dir, copies), on_disk(srv.data_dir, copies)


def test_delete_key_material_leaves_no_copy(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path / "delete")
    byok, key_id, copies = imported(srv)
    byok.kms.call("DeleteKeyMaterial", KeyId=key_id)
    assert byok.describe(key_id)["KeyState"] == "PendingImport"
    assert_gone_then_across_kill9(srv, copies)


def test_expired_material_leaves_no_copy(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path / "expiry", clock=f"fixed:{START}")
    byok, key_id, copies = imported(srv, "Aliyun_SM4", expire_unix=START_EPOCH + 60)
    srv.clock(advance="61s")
    # Nobody asks: the sweeper erases it within a second or two.
    wait_until(lambda: not on_disk(srv.data_dir, copies))
    assert byok.describe(key_id)["KeyState"] == "PendingImport"
    assert_gone_then_across_kill9(srv, copies)


def test_end_of_deletion_window_leaves_no_copy(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path / "deletion", clock=f"fixed:{START}")
    byok, key_id, copies = imported(srv)
    byok.kms.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    srv.clock(advance="7d")

    def deleted() -> bool:
        try:
            byok.describe(key_id)
        except KmsError as e:
            return e.code == "Forbidden.KeyNotFound"
        return False

    wait_until(deleted)
    wait_until(lambda: not on_disk(srv.data_dir, copies))
    assert_gone_then_across_kill9(srv, copies)
