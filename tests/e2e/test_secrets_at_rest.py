"""Secrets at rest (issue 13): the data directory never holds a secret value in the clear.

Every version is envelope-encrypted (a data key from GenerateDataKey, AES-256-GCM over the
value), so no file under the data dir (qkms.db, qkms.db-wal, qkms.db-shm, root.key, ...)
may contain a value as raw bytes, hex (lower or upper) or base64 (at any alignment), while
the server runs (WAL not checkpointed) and after it stops. The server's logs never carry
values either, the files are 0600, and an acknowledged PutSecretValue survives kill -9."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import stat
import string
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from qkms_harness import AK_ID, AK_SECRET, make_caller

REGION = "us-east-1"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:111122223333:function:qkms-e2e-rotation"
ALNUM = string.ascii_letters + string.digits


def sm_client(server):
    return boto3.client("secretsmanager", endpoint_url=server.base_url, region_name=REGION,
                        aws_access_key_id=AK_ID, aws_secret_access_key=AK_SECRET,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def kms_client(server):
    return boto3.client("kms", endpoint_url=server.base_url, region_name=REGION,
                        aws_access_key_id=AK_ID, aws_secret_access_key=AK_SECRET,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def rnd(n: int = 32) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def name(prefix: str = "rest") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _b64_cores(data: bytes) -> list[bytes]:
    """base64 of `data` as it would appear inside a longer base64 text at any of the
    three byte alignments (edge characters that depend on neighbours are dropped)."""
    out = []
    for k in range(3):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            text = enc(b"\x00" * k + data + b"\x00" * 3)
            start = 4 if k else 0
            # The last 3 padding bytes plus any partial group are dropped.
            end = ((k + len(data)) // 3) * 4
            core = text[start:end]
            assert len(core) >= 16, "values must be long enough to scan for"
            out.append(core)
    return out


def needles(value: bytes) -> dict[str, bytes]:
    out = {
        "raw": value,
        "hex": value.hex().encode(),
        "HEX": value.hex().upper().encode(),
        "base64": base64.b64encode(value),
    }
    for i, core in enumerate(_b64_cores(value)):
        out[f"base64-core{i}"] = core
    return out


class Vault:
    """The values written during a test, by label."""

    def __init__(self):
        self.values: dict[str, bytes] = {}

    def add(self, label: str, value: str | bytes) -> str | bytes:
        raw = value.encode() if isinstance(value, str) else value
        assert len(raw) >= 24, label
        self.values[label] = raw
        return value

    def scan_bytes(self, where: str, blob: bytes) -> list[str]:
        found = []
        for label, v in self.values.items():
            for enc, needle in needles(v).items():
                if needle in blob:
                    found.append(f"{where}: {label} as {enc}")
        return found

    def scan_dir(self, root: Path) -> tuple[list[str], list[str]]:
        files = sorted(p for p in root.rglob("*") if p.is_file())
        found = []
        for p in files:
            found += self.scan_bytes(str(p.relative_to(root)), p.read_bytes())
        return [str(p.relative_to(root)) for p in files], found

    def scan_logs(self, srv) -> list[str]:
        found = []
        for p in sorted(srv.workdir.glob("std*.log")):
            found += self.scan_bytes(p.name, p.read_bytes())
        return found


def _modes(root: Path) -> list[str]:
    bad = []
    for p in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        want = 0o700 if p.is_dir() else 0o600
        if mode != want:
            bad.append(f"{p.relative_to(root) if p != root else '.'}: {oct(mode)} (want {oct(want)})")
    return bad


def _populate_aws(srv, vault: Vault, expected: dict) -> None:
    """Create, put, update, rotate and delete secrets through boto3."""
    sm, kms = sm_client(srv), kms_client(srv)

    # Text, then new values with PutSecretValue and with UpdateSecret.
    n = name("aws-text")
    sm.create_secret(Name=n, SecretString=vault.add("aws text v1", rnd()))
    sm.put_secret_value(SecretId=n, SecretString=vault.add("aws text v2", rnd()))
    sm.update_secret(SecretId=n, SecretString=vault.add("aws text v3", rnd()))
    expected[n] = ("text", vault.values["aws text v3"].decode())

    # Binary, on a customer key.
    key_id = kms.create_key(Description="secrets at rest")["KeyMetadata"]["KeyId"]
    n = name("aws-bin")
    sm.create_secret(Name=n, SecretBinary=vault.add("aws binary v1", os.urandom(40)), KmsKeyId=key_id)
    sm.put_secret_value(SecretId=n, SecretBinary=vault.add("aws binary v2", os.urandom(40)))
    expected[n] = ("binary", vault.values["aws binary v2"])

    # Rotation of a JSON secret with a password member.
    n = name("aws-rot")
    pw = vault.add("aws rotation initial password", rnd())
    sm.create_secret(Name=n, SecretString=json.dumps({"username": "app", "password": pw}))
    sm.rotate_secret(SecretId=n, RotationLambdaARN=LAMBDA_ARN)
    rotated = json.loads(sm.get_secret_value(SecretId=n)["SecretString"])["password"]
    assert rotated != pw and re.fullmatch(r"[A-Za-z0-9]{32}", rotated), rotated
    vault.add("aws rotated password", rotated)
    expected[n] = ("json", {"username": "app", "password": rotated})

    # Values that only travel in replies must not be logged either.
    vault.add("random password", sm.get_random_password(PasswordLength=40)["RandomPassword"])
    sm.batch_get_secret_value(SecretIdList=list(expected))


def _populate_aliyun(srv, vault: Vault, expected: dict) -> None:
    """Create, put, rotate and delete secrets through the Aliyun SDKs."""
    tea, classic = make_caller(srv, "tea_acs3"), make_caller(srv, "classic")
    key_id = tea.call("CreateKey", Description="secrets at rest")["KeyMetadata"]["KeyId"]

    # Text (Tea: SecretData in the body), new values (classic: in the query).
    n = name("ali-text")
    tea.call("CreateSecret", SecretName=n, VersionId="v1", SecretData=vault.add("aliyun text v1", rnd()))
    classic.call("PutSecretValue", SecretName=n, VersionId="v2", SecretData=vault.add("aliyun text v2", rnd()))
    tea.call("PutSecretValue", SecretName=n, VersionId="v3", SecretData=vault.add("aliyun text v3", rnd()),
             VersionStages='["Custom"]')
    expected[n] = ("text", vault.values["aliyun text v2"].decode())

    # Binary (base64 SecretData) on a customer key.
    n = name("ali-bin")
    raw = vault.add("aliyun binary bytes", os.urandom(36))
    text = base64.b64encode(raw).decode()
    vault.add("aliyun binary SecretData", text)
    tea.call("CreateSecret", SecretName=n, VersionId="b1", SecretData=text, SecretDataType="binary",
             EncryptionKeyId=key_id)
    expected[n] = ("ali-binary", text)

    # Rotation.
    n = name("ali-rot")
    pw = vault.add("aliyun rotation initial password", rnd())
    tea.call("CreateSecret", SecretName=n, VersionId="r1", SecretData=json.dumps({"AccountPassword": pw}),
             EnableAutomaticRotation=True, RotationInterval="7d")
    tea.call("RotateSecret", SecretName=n, VersionId="r2")
    got = tea.call("GetSecretValue", SecretName=n)
    assert got["VersionId"] == "r2", got
    rotated = json.loads(got["SecretData"])["AccountPassword"]
    assert rotated != pw and re.fullmatch(r"[A-Za-z0-9]{32}", rotated), rotated
    vault.add("aliyun rotated password", rotated)
    expected[n] = ("json", {"AccountPassword": rotated})

    tea.call("BatchGetSecretValue", SecretsList=[{"SecretName": x} for x in list(expected)[:20]])


def _deletions(srv, vault: Vault, aws: bool) -> None:
    """Secrets deleted with a window and forced (a forced delete may checkpoint the WAL)."""
    tea = make_caller(srv, "tea_acs3")
    for force in (False, True):
        n = name("del-ali")
        tea.call("CreateSecret", SecretName=n, VersionId="d1",
                 SecretData=vault.add(f"deleted aliyun force={force}", rnd()))
        tea.call("PutSecretValue", SecretName=n, VersionId="d2",
                 SecretData=vault.add(f"deleted aliyun v2 force={force}", rnd()))
        if force:
            tea.call("DeleteSecret", SecretName=n, ForceDeleteWithoutRecovery="true")
        else:
            tea.call("DeleteSecret", SecretName=n, RecoveryWindowInDays="7")
    if not aws:
        return
    sm = sm_client(srv)
    for force in (False, True):
        n = name("del-aws")
        sm.create_secret(Name=n, SecretString=vault.add(f"deleted aws force={force}", rnd()))
        sm.put_secret_value(SecretId=n, SecretBinary=vault.add(f"deleted aws binary force={force}", os.urandom(32)))
        if force:
            sm.delete_secret(SecretId=n, ForceDeleteWithoutRecovery=True)
        else:
            sm.delete_secret(SecretId=n, RecoveryWindowInDays=7)


def _read_back(srv, expected: dict, aws: bool):
    tea = make_caller(srv, "tea_acs3")
    sm = sm_client(srv) if aws else None
    for n, (kind, v) in expected.items():
        got = tea.call("GetSecretValue", SecretName=n)["SecretData"]
        if kind == "json":
            assert json.loads(got) == v, n
        elif kind == "binary":
            assert base64.b64decode(got) == v, n
        else:
            assert got == v, n
        if sm is None:
            continue
        out = sm.get_secret_value(SecretId=n)
        if kind == "json":
            assert json.loads(out["SecretString"]) == v, n
        elif kind == "binary":
            assert out["SecretBinary"] == v, n
        elif kind == "ali-binary":
            assert out["SecretBinary"] == base64.b64decode(v), n
        else:
            assert out["SecretString"] == v, n


@pytest.mark.parametrize("dialects", ["aliyun", "aws+aliyun"])
def test_no_secret_value_in_data_dir_or_logs(server_factory, tmp_path, dialects):
    data_dir = tmp_path / "data"
    srv = server_factory(data_dir=data_dir)
    vault = Vault()
    expected: dict = {}
    aws = "aws" in dialects
    if aws:
        _populate_aws(srv, vault, expected)
    _populate_aliyun(srv, vault, expected)
    _read_back(srv, expected, aws)

    # While running: the WAL has not been checkpointed.
    names, found = vault.scan_dir(data_dir)
    assert "qkms.db" in names and "qkms.db-wal" in names, names
    assert (data_dir / "qkms.db-wal").stat().st_size > 0, "expected the writes to be in the WAL"
    assert not found, "secret values in the data dir while running:\n" + "\n".join(found)
    assert not _modes(data_dir), _modes(data_dir)
    assert not vault.scan_logs(srv), vault.scan_logs(srv)

    # Deletions, then the same checks.
    _deletions(srv, vault, aws)
    _, found = vault.scan_dir(data_dir)
    assert not found, "secret values in the data dir after deletions:\n" + "\n".join(found)
    assert not vault.scan_logs(srv), vault.scan_logs(srv)

    srv.stop()
    names, found = vault.scan_dir(data_dir)
    assert "qkms.db" in names, names
    assert not found, "secret values in the data dir after stop:\n" + "\n".join(found)
    assert not _modes(data_dir), _modes(data_dir)
    assert not vault.scan_logs(srv), vault.scan_logs(srv)

    # The values are still there after a restart, and still not in the clear.
    srv.start()
    _read_back(srv, expected, aws)
    srv.stop()
    _, found = vault.scan_dir(data_dir)
    assert not found, "secret values in the data dir after restart:\n" + "\n".join(found)
    assert not vault.scan_logs(srv), vault.scan_logs(srv)


@pytest.mark.parametrize("dialect", ["aliyun", "aws"])
def test_kill9_after_acknowledged_put_keeps_the_value(server_factory, tmp_path, dialect):
    data_dir = tmp_path / "data"
    srv = server_factory(data_dir=data_dir)
    vault = Vault()
    n = name("crash")
    if dialect == "aws":
        sm = sm_client(srv)
        t1, t2 = str(uuid.uuid4()), str(uuid.uuid4())
        sm.create_secret(Name=n, SecretString=vault.add("v1", rnd()), ClientRequestToken=t1)
        put = sm.put_secret_value(SecretId=n, SecretString=vault.add("v2", rnd()), ClientRequestToken=t2)
        assert put["VersionId"] == t2
    else:
        tea = make_caller(srv, "tea_acs3")
        t1, t2 = "a1", "a2"
        tea.call("CreateSecret", SecretName=n, VersionId=t1, SecretData=vault.add("v1", rnd()))
        put = tea.call("PutSecretValue", SecretName=n, VersionId=t2, SecretData=vault.add("v2", rnd()))
        assert put["VersionId"] == t2

    srv.kill9()
    _, found = vault.scan_dir(data_dir)
    assert not found, "secret values in the data dir after kill -9:\n" + "\n".join(found)

    srv.start()
    tea = make_caller(srv, "tea_acs3")
    got = tea.call("GetSecretValue", SecretName=n)
    assert got["SecretData"] == vault.values["v2"].decode() and got["VersionId"] == t2
    prev = tea.call("GetSecretValue", SecretName=n, VersionStage="ACSPrevious")
    assert prev["SecretData"] == vault.values["v1"].decode() and prev["VersionId"] == t1
    if dialect == "aws":
        sm = sm_client(srv)
        got = sm.get_secret_value(SecretId=n)
        assert got["SecretString"] == vault.values["v2"].decode() and got["VersionId"] == t2
        # The idempotent retry of the acknowledged put still matches.
        again = sm.put_secret_value(SecretId=n, SecretString=vault.values["v2"].decode(), ClientRequestToken=t2)
        assert again["VersionId"] == t2
        assert len(sm.list_secret_version_ids(SecretId=n, IncludeDeprecated=True)["Versions"]) == 2
    else:
        again = tea.call("PutSecretValue", SecretName=n, VersionId=t2, SecretData=vault.values["v2"].decode())
        assert again["VersionId"] == t2
        ids = tea.call("ListSecretVersionIds", SecretName=n, IncludeDeprecated="true")
        assert sorted(v["VersionId"] for v in ids["VersionIds"]["VersionId"]) == [t1, t2]
    assert not vault.scan_logs(srv), vault.scan_logs(srv)


def test_recording_redacts_secret_values(server_factory, tmp_path):
    record = tmp_path / "record.jsonl"
    srv = server_factory(ephemeral=True, extra_args=("--record", str(record)))
    sm, tea = sm_client(srv), make_caller(srv, "tea_acs3")
    vault = Vault()
    n = name("rec")
    sm.create_secret(Name=n, SecretString=vault.add("aws", rnd()))
    sm.put_secret_value(SecretId=n, SecretBinary=vault.add("aws bin", os.urandom(30)))
    sm.get_secret_value(SecretId=n)
    vault.add("random", sm.get_random_password()["RandomPassword"])
    na = name("rec-ali")
    tea.call("CreateSecret", SecretName=na, VersionId="v1", SecretData=vault.add("ali", rnd()))
    tea.call("GetSecretValue", SecretName=na)
    srv.stop()
    text = record.read_bytes()
    assert b"CreateSecret" in text and b"GetSecretValue" in text, text[:500]
    found = vault.scan_bytes(record.name, text)
    assert not found, "secret values in the recording without --record-secrets:\n" + "\n".join(found)
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
