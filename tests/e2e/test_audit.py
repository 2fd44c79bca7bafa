"""The audit log: one hash-chained JSON line per request, with the principal and the
decision, never a plaintext; `qkms audit verify` passes on the log as written and fails,
naming the line, after a byte is changed, a line removed or two lines swapped."""

from __future__ import annotations

import base64
import json
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from qkms_harness import AK_ID, AK_SECRET, QKMS_BIN, QkmsServer, expect_error, make_caller

REGION = "us-east-1"
PLAINTEXT = b"audit-me-not-in-the-log"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"}]})


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = tmp_path_factory.mktemp("audit")
    config = root / "qkms.toml"
    config.write_text('[[principals]]\nname = "app"\naccess_keys = ["AKAPP:app-secret"]\n'
                      f"policies = [{json.dumps(POLICY)}]\n")
    log = root / "audit.log"
    srv = QkmsServer(root / "run", data_dir=root / "data",
                     extra_args=("--config", str(config), "--audit-log", str(log)))
    srv.start()
    yield srv, log, root / "data"
    srv.stop()
    assert not srv.server_errors(), "\n".join(srv.server_errors())


def client(srv, ak=AK_ID, secret=AK_SECRET):
    return boto3.client("kms", endpoint_url=srv.base_url, region_name=REGION, aws_access_key_id=ak,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))


def verify(log, data_dir):
    return subprocess.run([QKMS_BIN, "audit", "verify", str(log), "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60)


def records(log):
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_a_scripted_session_is_recorded_and_verifies(audited, tmp_path):
    srv, log, data = audited
    root, app = client(srv), client(srv, "AKAPP", "app-secret")
    key = root.create_key(Description="audited")["KeyMetadata"]
    blob = app.encrypt(KeyId=key["KeyId"], Plaintext=PLAINTEXT)["CiphertextBlob"]
    with pytest.raises(ClientError):
        app.decrypt(CiphertextBlob=blob)
    with pytest.raises(ClientError):
        client(srv, AK_ID, "wrong-secret").list_keys()
    ali = make_caller(srv, "tea_acs3")
    expect_error(ali.call, "DescribeKey", KeyId="00000000-0000-4000-8000-00000000dead",
                 code="Forbidden.KeyNotFound", status=404)
    srv.stop()  # flushes the buffered read records
    try:
        check_session(log, data, key, tmp_path)
    finally:
        srv.start()


def check_session(log, data, key, tmp_path):
    rows = records(log)
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    mine = rows[-5:]
    assert [(r["action"], r["principal"], r["decision"]) for r in mine] == [
        ("CreateKey", "root", "allowed"),
        ("Encrypt", "app", "allowed"),
        ("Decrypt", "app", "denied"),
        ("-", None, "unauthenticated"),
        ("DescribeKey", "root", "failed"),
    ]
    arn = key["Arn"]
    assert mine[1]["resource"] == arn and mine[2]["resource"] == arn
    assert mine[0]["dialect"] == "aws" and mine[4]["dialect"] == "aliyun"
    assert mine[2]["errorCode"] == "AccessDeniedException"
    assert "kms:Decrypt" in mine[2]["reason"] and "user/app" in mine[2]["reason"]
    # A request whose signature did not verify names nobody.
    assert mine[3]["errorCode"] == "InvalidSignatureException" and mine[3]["accessKeyId"] == "-"
    assert mine[4]["errorCode"] == "Forbidden.KeyNotFound" and mine[4]["status"] == 404
    assert all(r["sourceIp"] == "127.0.0.1" and r["account"] in (None, "1234567890123456") for r in mine)
    text = log.read_text()
    for secret in (PLAINTEXT.decode(), base64.b64encode(PLAINTEXT).decode(), "app-secret", AK_SECRET):
        assert secret not in text
    ok = verify(log, data)
    assert ok.returncode == 0, ok.stderr
    assert f"{len(rows)} records" in ok.stdout
    lines = log.read_text().splitlines(keepends=True)
    assert len(lines) >= 5

    def tampered(name, new_lines):
        bad = tmp_path / name
        bad.write_text("".join(new_lines))
        r = verify(bad, data)
        assert r.returncode != 0, r.stdout
        return r.stderr

    # One byte of record 3 changed (a letter of its action).
    changed = list(lines)
    changed[2] = changed[2].replace('"action":"', '"action":"X', 1)
    assert "line 3" in tampered("changed.log", changed)
    # Record 3 removed: the gap shows at the line after it.
    assert "line 3" in tampered("removed.log", lines[:2] + lines[3:])
    # Records 2 and 3 swapped.
    assert "line 2" in tampered("swapped.log", [lines[0], lines[2], lines[1]] + lines[3:])


def test_writes_are_on_disk_before_the_answer(audited):
    srv, log, data = audited
    key_id = client(srv).create_key(Description="before kill")["KeyMetadata"]["KeyId"]
    srv.kill9()
    last = records(log)[-1]
    assert (last["action"], last["decision"]) == ("CreateKey", "allowed")
    assert last["resource"].endswith(key_id)
    srv.start()
    assert verify(log, data).returncode == 0
    # The chain goes on after the restart.
    client(srv).describe_key(KeyId=key_id)
    srv.stop()
    assert verify(log, data).returncode == 0
    srv.start()
