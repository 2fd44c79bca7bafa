"""Hardening of start-up and files: unsafe data directories refused (and `--init`), a
corrupt record that fails only its key, `qkms check`, file modes, flags checked before
anything is written, and seeds exported without material."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from qkms_harness import QKMS_BIN, Byok, KmsError, QkmsServer, make_caller

ENV = {k: v for k, v in os.environ.items() if not k.startswith("QKMS_")}


def qkms(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([QKMS_BIN, *args], capture_output=True, text=True, timeout=timeout,
                          env={**ENV, **(env or {})})


def serve_once(data: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Starts `serve` expecting it to refuse; a server that starts is stopped and reported."""
    proc = subprocess.Popen([QKMS_BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**ENV, **(env or {})})
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
        raise AssertionError(f"the server started instead of refusing: {out} {err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def populated(server_factory, data: Path) -> tuple[QkmsServer, list[str]]:
    srv = server_factory(data_dir=data)
    kms = make_caller(srv, "tea_acs3")
    ids = [kms.call("CreateKey", Description=f"k{i}")["KeyMetadata"]["KeyId"] for i in range(3)]
    srv.stop()
    return srv, ids


def test_lost_database_or_root_key_is_refused_unless_init(server_factory, tmp_path):
    data = tmp_path / "data"
    srv, _ = populated(server_factory, data)
    db = data / "qkms.db"
    for lose in ("truncate", "delete"):
        if lose == "truncate":
            db.write_bytes(b"")
        else:
            db.unlink()
        for side in ("qkms.db-wal", "qkms.db-shm"):
            (data / side).unlink(missing_ok=True)
        r = serve_once(data)
        assert r.returncode == 2, r
        assert "--init" in r.stderr and "qkms.db" in r.stderr, r.stderr
    # --init: a new, empty store under the kept root key.
    srv.extra_args = ("--init",)
    srv.start()
    assert make_caller(srv, "tea_acs3").call("ListKeys")["TotalCount"] == 0
    srv.stop()

    # A database without its root key.
    other = tmp_path / "other"
    populated(server_factory, other)
    (other / "root.key").unlink()
    r = serve_once(other)
    assert r.returncode == 2 and "root.key" in r.stderr, r
    r = serve_once(other, "--init")
    assert r.returncode == 2 and "holds keys" in r.stderr, r
    assert not (other / "root.key").exists(), "a refused start wrote a root key"


def test_another_root_key_is_refused_even_without_the_check_row(server_factory, tmp_path):
    data = tmp_path / "data"
    populated(server_factory, data)
    con = sqlite3.connect(data / "qkms.db")
    con.execute("DELETE FROM meta")
    con.commit()
    con.close()
    (data / "root.key").unlink()
    r = serve_once(data, env={"QKMS_ROOT_KEY": "ab" * 32})
    assert r.returncode == 2 and "different root key" in r.stderr, r


def test_a_root_key_alone_with_qkms_root_key_needs_init(tmp_path):
    r = serve_once(tmp_path / "fresh", env={"QKMS_ROOT_KEY": "cd" * 32})
    assert r.returncode == 2 and "--init" in r.stderr, r


def test_an_empty_leftover_root_key_is_replaced(server_factory, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "root.key").write_bytes(b"")  # what a full disk left behind in older releases
    srv = server_factory(data_dir=data)
    assert len((data / "root.key").read_text().strip()) == 64
    assert make_caller(srv, "tea_acs3").call("CreateKey")["KeyMetadata"]["KeyState"] == "Enabled"


def test_one_corrupt_record_fails_only_its_key_and_check_reports_it(server_factory, tmp_path):
    data = tmp_path / "data"
    _, ids = populated(server_factory, data)
    bad = ids[1]
    con = sqlite3.connect(data / "qkms.db")
    con.execute("UPDATE keys SET record = '{not json' WHERE key_id = ?", (bad,))
    con.commit()
    con.close()
    r = qkms("check", "--data-dir", str(data))
    assert r.returncode == 3, r
    assert bad in r.stdout and "unreadable" in r.stdout, r.stdout

    # A server of its own: it is expected to answer 500 for the broken key.
    srv = QkmsServer(tmp_path / "run", data_dir=data)
    srv.start()
    try:
        kms = make_caller(srv, "tea_acs3")
        listed = [k["KeyId"] for k in kms.call("ListKeys", PageSize=100)["Keys"]["Key"]]
        assert sorted(listed) == sorted(i for i in ids if i != bad), listed
        with pytest.raises(KmsError) as e:
            kms.call("DescribeKey", KeyId=bad)
        assert (e.value.code, e.value.status) == ("InternalFailure", 500)
        assert kms.call("DescribeKey", KeyId=ids[0])["KeyMetadata"]["KeyState"] == "Enabled"
    finally:
        srv.stop()
    assert bad in srv.stderr_path.read_text()


def test_check_passes_a_sound_directory(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    Byok(make_caller(srv, "tea_acs3")).imported_key()
    srv.stop()
    r = qkms("check", "--data-dir", str(data))
    assert r.returncode == 0, r
    assert "1 keys" in r.stdout and "0 problems" in r.stdout, r.stdout
    assert qkms("check", "--data-dir", str(tmp_path / "nothing")).returncode == 2
    assert not (tmp_path / "nothing").exists()


def test_files_are_private_and_old_modes_are_narrowed(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    make_caller(srv, "tea_acs3").call("CreateKey")
    assert mode(data) == 0o700
    for f in data.iterdir():
        assert mode(f) == 0o600, f
    srv.stop()
    data.chmod(0o755)
    (data / "qkms.db").chmod(0o644)
    recording = tmp_path / "rec.jsonl"
    recording.write_text("")
    recording.chmod(0o644)
    srv.extra_args = ("--record", str(recording), "--record-secrets")
    srv.start()
    make_caller(srv, "tea_acs3").call("CreateKey")
    assert mode(data) == 0o700 and mode(data / "qkms.db") == 0o600
    assert mode(recording) == 0o600 and recording.read_text()
    srv.stop()
    out = tmp_path / "export.toml"
    out.write_text("")
    out.chmod(0o644)
    r = qkms("export", "--data-dir", str(data), "--include-material", "--output", str(out))
    assert r.returncode == 0, r
    assert mode(out) == 0o600 and "material_hex" in out.read_text()


@pytest.mark.parametrize("flags", [
    ["--listen", "127.0.0.1:8080x"],
    ["--listen", "127.0.0.1"],
    ["--access-key", "a/b:secret"],
    ["--access-key", "ключ:secret"],
    ["--cors-origin", "ftp://x"],
    ["--request-timeout", "0"],
    ["--clock", "offset:+99999999d"],
])
def test_invalid_flags_are_refused_before_anything_is_written(tmp_path, flags):
    data = tmp_path / "never"
    r = qkms("serve", "--data-dir", str(data), *flags)
    assert r.returncode != 0, r
    assert not data.exists(), f"{flags} created {data}"


def test_a_seed_exported_without_material_does_not_load_as_enabled_keys(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    kms = make_caller(srv, "tea_acs3")
    kms.call("CreateKey", Description="generated")
    srv.stop()
    bare = tmp_path / "bare.toml"
    r = qkms("export", "--data-dir", str(data), "--output", str(bare))
    assert r.returncode == 0, r
    assert "without --include-material" in bare.read_text()
    r = serve_once(tmp_path / "fresh", "--seed", str(bare))
    assert r.returncode != 0 and "--include-material" in r.stderr, r
