"""TLS: `--tls-self-signed` with `--listen-tls` beside plain http, given PEM files on
`--listen`, and bad files that stop the start. Clients are the Tea SDK over https (its
RuntimeOptions `ca`), boto3 with `verify=<CA>`, and Python's ssl module."""

from __future__ import annotations

import http.client
import os
import socket
import re
import ssl
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig

from qkms_harness import AK_ID, AK_SECRET, QKMS_BIN, REGION, b64, unb64


def https_port(srv) -> int:
    """The second stdout line: the https address when http and https run side by side."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = srv.stdout_path.read_text().splitlines()
        if len(lines) >= 2:
            m = re.fullmatch(r"127\.0\.0\.1:(\d+)", lines[1].strip())
            assert m, lines
            return int(m.group(1))
        time.sleep(0.02)
    raise AssertionError("no second stdout line")


def tea_client(endpoint: str):
    from alibabacloud_kms20160120.client import Client
    from alibabacloud_tea_openapi.models import Config

    return Client(Config(access_key_id=AK_ID, access_key_secret=AK_SECRET, endpoint=endpoint,
                         protocol="https", region_id=REGION, read_timeout=10000, connect_timeout=5000))


def tea_round_trip(endpoint: str, ca: Path) -> None:
    """CreateKey, Encrypt and Decrypt with the Tea SDK over https, trusting `ca`."""
    from alibabacloud_kms20160120 import models
    from darabonba.runtime import RuntimeOptions

    client = tea_client(endpoint)
    rt = RuntimeOptions(ca=str(ca), autoretry=False)
    key = client.create_key_with_options(models.CreateKeyRequest(description="tls"), rt).body.key_metadata.key_id
    blob = client.encrypt_with_options(
        models.EncryptRequest(key_id=key, plaintext=b64(b"over tls")), rt).body.ciphertext_blob
    plain = client.decrypt_with_options(models.DecryptRequest(ciphertext_blob=blob), rt).body.plaintext
    assert unb64(plain) == b"over tls"


def boto(url: str, verify) -> object:
    return boto3.client("kms", endpoint_url=url, region_name="us-east-1", aws_access_key_id=AK_ID,
                        aws_secret_access_key=AK_SECRET, verify=verify,
                        config=BotoConfig(retries={"max_attempts": 1}))


def test_self_signed_beside_http(server_factory):
    srv = server_factory(extra_args=("--listen-tls", "127.0.0.1:0", "--tls-self-signed",
                                     "--tls-name", "qkms.test"))
    port = https_port(srv)
    ca = srv.data_dir / "tls" / "ca.pem"
    # The CA's path is logged for clients to trust, and the private keys are 0600.
    assert str(ca) in srv.stderr_tail(20000)
    for name in ("ca-key.pem", "server-key.pem"):
        assert stat.S_IMODE((srv.data_dir / "tls" / name).stat().st_mode) == 0o600, name

    tea_round_trip(f"localhost:{port}", ca)
    tea_round_trip(f"127.0.0.1:{port}", ca)

    aws = boto(f"https://localhost:{port}", str(ca))
    key = aws.create_key()["KeyMetadata"]["KeyId"]
    blob = aws.encrypt(KeyId=key, Plaintext=b"boto over tls")["CiphertextBlob"]
    assert aws.decrypt(CiphertextBlob=blob)["Plaintext"] == b"boto over tls"

    # Plain http still answers on --listen, and the https port speaks only TLS.
    with urllib.request.urlopen(srv.base_url + "/healthz", timeout=5) as r:
        assert r.status == 200
    with pytest.raises((OSError, http.client.HTTPException)):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()

    # The certificate names the --tls-name, and a client that does not trust the CA refuses.
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        with ctx.wrap_socket(sock) as tls:
            sans = [v for k, v in tls.getpeercert()["subjectAltName"]]
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            assert tls.selected_alpn_protocol() in (None, "http/1.1")
    assert {"localhost", "qkms.test", "127.0.0.1"} <= set(sans), sans
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz",
                               context=ssl.create_default_context(), timeout=5)
    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError), refused.value


def test_the_ca_survives_a_restart(server_factory):
    srv = server_factory(extra_args=("--listen-tls", "127.0.0.1:0", "--tls-self-signed"))
    ca = (srv.data_dir / "tls" / "ca.pem").read_bytes()
    srv.restart()
    assert (srv.data_dir / "tls" / "ca.pem").read_bytes() == ca
    tea_round_trip(f"localhost:{https_port(srv)}", srv.data_dir / "tls" / "ca.pem")


def start_raw(args: list[str], tmp_path: Path) -> tuple[subprocess.Popen, str]:
    """Starts qkms with `args`; returns the process and its first stdout line."""
    out = tmp_path / "raw.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QKMS_")}
    with open(out, "wb") as o:
        proc = subprocess.Popen([QKMS_BIN, *args], stdout=o, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = out.read_text()
        if "\n" in text:
            return proc, text.split("\n", 1)[0].strip()
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    raise AssertionError(f"qkms did not start: {proc.stderr.read().decode()}")


def test_given_files_replace_http_on_listen(server_factory, tmp_path):
    # Make a certificate with qkms's own self-signed set, then serve it as given files.
    maker = server_factory(extra_args=("--listen-tls", "127.0.0.1:0", "--tls-self-signed"))
    tls_dir = maker.data_dir / "tls"
    maker.stop()
    proc, addr = start_raw(["serve", "--listen", "127.0.0.1:0", "--ephemeral",
                            "--tls-cert", str(tls_dir / "server.pem"),
                            "--tls-key", str(tls_dir / "server-key.pem")], tmp_path)
    try:
        ctx = ssl.create_default_context(cafile=str(tls_dir / "ca.pem"))
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"https://{addr}/healthz", context=ctx, timeout=5) as r:
                    assert r.status == 200
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        aws = boto(f"https://{addr}", str(tls_dir / "ca.pem"))
        assert aws.list_keys()["Keys"] == []
        # A bad signature is still the protocol's answer, over TLS.
        bad = boto3.client("kms", endpoint_url=f"https://{addr}", region_name="us-east-1",
                           aws_access_key_id=AK_ID, aws_secret_access_key="wrong",
                           verify=str(tls_dir / "ca.pem"), config=BotoConfig(retries={"max_attempts": 1}))
        with pytest.raises(bad.exceptions.ClientError) as e:
            bad.list_keys()
        assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("case", ["missing cert", "junk cert", "junk key", "other key", "key alone"])
def test_bad_tls_files_stop_the_start(server_factory, tmp_path, case):
    a = server_factory(extra_args=("--listen-tls", "127.0.0.1:0", "--tls-self-signed"))
    b = server_factory(extra_args=("--listen-tls", "127.0.0.1:0", "--tls-self-signed"))
    a.stop()
    b.stop()
    junk = tmp_path / "junk.pem"
    junk.write_text("this is not PEM\n")
    cert, key = a.data_dir / "tls" / "server.pem", a.data_dir / "tls" / "server-key.pem"
    flags = {
        "missing cert": ["--tls-cert", str(tmp_path / "nope.pem"), "--tls-key", str(key)],
        "junk cert": ["--tls-cert", str(junk), "--tls-key", str(key)],
        "junk key": ["--tls-cert", str(cert), "--tls-key", str(junk)],
        "other key": ["--tls-cert", str(cert), "--tls-key", str(b.data_dir / "tls" / "server-key.pem")],
        "key alone": ["--tls-key", str(key)],
    }[case]
    run = subprocess.run([QKMS_BIN, "serve", "--listen", "127.0.0.1:0", "--ephemeral", *flags],
                         capture_output=True, text=True, timeout=30,
                         env={k: v for k, v in os.environ.items() if not k.startswith("QKMS_")})
    assert run.returncode in (1, 2), run
    assert run.stdout == "", "nothing was served"
    expected = {
        "missing cert": "TLS certificate file",
        "junk cert": "TLS certificate file",
        "junk key": "TLS key file",
        "other key": "TLS certificate",
        "key alone": "--tls-cert",
    }[case]
    assert expected in run.stderr, run.stderr
    assert "panicked" not in run.stderr
