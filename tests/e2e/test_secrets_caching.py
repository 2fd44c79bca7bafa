"""The production Secrets Manager caching clients against a live qkms (issue 13):

* `aliyun-secret-manager-client` 0.1.5 ("Python v1", classic core), configured only through
  the environment (`credentials_*`, `cache_client_region_id` with a plain `http://` endpoint,
  sheet §2). It pins `cryptography<=38.0.3` and more, which conflict with the suite's own
  pins, so it lives in a venv of its own (`.venv/secrets-v1`, made on first use from the
  exact versions below; later runs reuse it without the network) and runs in a subprocess
  that this test drives over stdin/stdout.
* `alibabacloud-secretsmanager-client-v2` 2.0.0 ("Python v2", Tea core), in this process,
  over https to `--listen-tls` with the self-signed CA given as `Config(ca=...)`.

For each: the start-up read, a PutSecretValue seen after the TTL refresh, a JSON `ttl`
honoured, a rotation reaching the client, binary values, and a missing secret's error as
the client reports it (sheet §1 and the captures' "Behaviour seen")."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from qkms_harness import AK_ID, AK_SECRET, REGION, REPO, QkmsServer, make_caller

# --------------------------------------------------------------------------- the v1 client's venv

V1_VENV = REPO / ".venv" / "secrets-v1"  # inside the gitignored .venv, so no .gitignore line
# Exactly what `pip install aliyun-secret-manager-client==0.1.5` resolves to on Python 3.11,
# used as constraints so that a fresh machine gets the same set.
V1_PINS = """\
aliyun-secret-manager-client==0.1.5
aliyun-python-sdk-core==2.16.1
aliyun-python-sdk-kms==2.16.5
alibabacloud-dkms-gcs==1.0.2
alibabacloud-dkms-transfer-python==0.1.2
alibabacloud-openapi-util==0.2.4
alibabacloud-tea==0.4.3
alibabacloud-tea-util==0.3.15
alibabacloud-darabonba-string==0.0.4
alibabacloud_darabonba_array==0.1.0
alibabacloud_darabonba_map==0.0.1
alibabacloud_darabonba_number==0.0.4
alibabacloud_darabonba_signature_util==0.0.4
alibabacloud_darabonba_stream==0.0.2
aiohappyeyeballs==2.7.1
aiohttp==3.12.13
aiosignal==1.3.2
APScheduler==3.11.3
attrs==26.1.0
bytebuffer==0.1.2
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.3
cryptography==38.0.3
frozenlist==1.8.0
idna==3.21
jmespath==1.1.0
multidict==5.1.0
propcache==0.5.4
protobuf==3.20.2
pycparser==3.12
pyOpenSSL==23.2.0
requests==2.34.2
typing_extensions==4.1.1
tzlocal==5.4.5
urllib3==2.8.0
yarl==1.25.1
"""


def v1_python() -> Path:
    """The v1 venv's python, installing the venv first when it is missing or stale."""
    python = V1_VENV / "bin" / "python"
    marker = V1_VENV / "qkms-pins.txt"
    V1_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(V1_VENV.parent / "secrets-v1.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers share the venv
        if python.exists() and marker.exists() and marker.read_text() == V1_PINS:
            check = subprocess.run([str(python), "-c", "import alibaba_cloud_secretsmanager_client, aliyunsdkkms"],
                                   capture_output=True, timeout=60)
            if check.returncode == 0:
                return python
        shutil.rmtree(V1_VENV, ignore_errors=True)
        base = getattr(sys, "_base_executable", None) or sys.executable
        subprocess.run([base, "-m", "venv", str(V1_VENV)], check=True, timeout=120)
        constraints = V1_VENV / "constraints.txt"
        constraints.write_text(V1_PINS)
        # Several of these are sdists only: building them without build isolation, with the
        # setuptools and wheel pinned here, takes about 20 s instead of a minute.
        env = dict(os.environ, MULTIDICT_NO_EXTENSIONS="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
        pip = [str(python), "-m", "pip", "install", "--quiet", "--no-input"]
        for args in (["setuptools==65.5.0", "wheel==0.45.1"],
                     ["--no-build-isolation", "-c", str(constraints), "aliyun-secret-manager-client==0.1.5"]):
            run = subprocess.run(pip + args, capture_output=True, text=True, timeout=600, env=env)
            assert run.returncode == 0, f"installing the v1 client failed:\n{run.stdout}\n{run.stderr}"
        marker.write_text(V1_PINS)
        return python


V1_DRIVER = textwrap.dedent('''
    import json, logging, sys
    from alibaba_cloud_secretsmanager_client.secret_manager_cache_client_builder import SecretManagerCacheClientBuilder
    from alibaba_cloud_secretsmanager_client.service.default_secret_manager_client_builder import DefaultSecretManagerClientBuilder
    from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException

    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    clients = {}

    def out(obj):
        sys.stdout.write("@@" + json.dumps(obj) + "\\n")
        sys.stdout.flush()

    def error(e):
        if isinstance(e, ServerException):
            return {"error": "ServerException", "code": e.get_error_code(), "status": e.get_http_status(),
                    "message": e.get_error_msg()}
        if isinstance(e, ClientException):
            return {"error": "ClientException", "code": e.get_error_code(), "message": e.get_error_msg()}
        return {"error": type(e).__name__, "message": str(e)}

    def info_of(info):
        return {"name": info.secret_name, "version_id": info.version_id, "value": info.secret_value,
                "data_type": info.secret_data_type, "secret_type": info.secret_type, "create_time": info.create_time}

    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            op = cmd["op"]
            if op == "build":
                builder = SecretManagerCacheClientBuilder.new_cache_client_builder(
                    DefaultSecretManagerClientBuilder.standard().build())
                builder.with_logger(logging.getLogger("qkms-v1-client"))
                for name, ttl in cmd.get("ttl", {}).items():
                    builder = builder.with_secret_ttl(name, ttl)
                clients[cmd["id"]] = builder.build()
                out({"ok": True})
            elif op == "info":
                out({"ok": True, "info": info_of(clients[cmd["id"]].get_secret_info(cmd["name"]))})
            elif op == "text":
                out({"ok": True, "value": clients[cmd["id"]].get_secret_value(cmd["name"])})
            elif op == "close":
                for c in clients.values():
                    c.close()
                out({"ok": True})
                break
        except Exception as e:  # reported to the test
            out(error(e))
''')


class V1Client:
    """Drives the v1 caching client in its own venv, one request/answer line at a time."""

    def __init__(self, python: Path, server: QkmsServer, workdir: Path):
        script = workdir / "v1_driver.py"
        script.write_text(V1_DRIVER)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QKMS_", "PYTHON", "VIRTUAL_ENV"))}
        env.update({
            "credentials_type": "ak",
            "credentials_access_key_id": AK_ID,
            "credentials_access_secret": AK_SECRET,
            "cache_client_region_id": json.dumps([{"regionId": REGION, "endpoint": server.base_url}]),
        })
        self.stderr = open(workdir / "v1_driver.stderr", "w")
        # cwd without a secretsmanager.properties, so that only the environment configures it.
        self.proc = subprocess.Popen([str(python), str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, cwd=workdir, env=env)
        self.count = 0

    def send(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            assert line, f"the v1 driver exited ({self.proc.poll()})"
            if line.startswith("@@"):
                return json.loads(line[2:])

    def build(self, ttl: dict[str, int]) -> tuple[str, dict]:
        self.count += 1
        cid = f"c{self.count}"
        return cid, self.send(op="build", id=cid, ttl=ttl)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send(op="close")
            except (AssertionError, BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.stderr.close()


# --------------------------------------------------------------------------- fixtures


def https_port(srv: QkmsServer) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = srv.stdout_path.read_text().splitlines()
        if len(lines) >= 2:
            m = re.fullmatch(r"127\.0\.0\.1:(\d+)", lines[1].strip())
            assert m, lines
            return int(m.group(1))
        time.sleep(0.02)
    raise AssertionError("no second stdout line (the https address)")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One qkms with plain http (v1 client) and https beside it (v2 client)."""
    root = tmp_path_factory.mktemp("qkms-caching")
    srv = QkmsServer(root / "run", data_dir=root / "data",
                     extra_args=("--listen-tls", "127.0.0.1:0", "--tls-self-signed"))
    srv.start()
    srv.tls_port = https_port(srv)
    yield srv
    srv.stop()
    assert not srv.server_errors(), "the server answered 5xx or panicked:\n" + "\n".join(srv.server_errors())


@pytest.fixture(scope="module")
def admin(live):
    return make_caller(live, "tea_acs3")


@pytest.fixture(scope="module")
def v1_py():
    return v1_python()


@pytest.fixture
def v1(v1_py, live, tmp_path):
    client = V1Client(v1_py, live, tmp_path)
    yield client
    client.close()


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for(fn, predicate, timeout: float = 10.0, every: float = 0.2):
    """Polls fn() until predicate(result) holds; returns the last result."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if predicate(got) or time.monotonic() > deadline:
            return got
        time.sleep(every)


# --------------------------------------------------------------------------- Python v1


def test_v1_startup_read_and_ttl_refresh(v1, admin):
    name = uniq("v1-db")
    first = json.dumps({"user": "app", "password": "pw-v1"})
    admin.call("CreateSecret", SecretName=name, VersionId="v1", SecretData=first)
    cid, built = v1.build({name: 3000})
    assert built == {"ok": True}, built
    got = v1.send(op="info", id=cid, name=name)
    assert got["ok"], got
    info = got["info"]
    assert (info["name"], info["version_id"], info["value"], info["data_type"], info["secret_type"]) == (
        name, "v1", first, "text", "Generic")
    assert v1.send(op="text", id=cid, name=name)["value"] == first

    second = json.dumps({"user": "app", "password": "pw-v2"})
    admin.call("PutSecretValue", SecretName=name, VersionId="v2", SecretData=second)
    # Still the cached value before the TTL runs out...
    assert v1.send(op="text", id=cid, name=name)["value"] == first
    # ...and the new ACSCurrent after the refresh.
    got = wait_for(lambda: v1.send(op="info", id=cid, name=name), lambda r: r.get("info", {}).get("version_id") == "v2")
    assert got["info"]["version_id"] == "v2" and got["info"]["value"] == second, got


def test_v1_json_ttl_is_honoured(v1, admin):
    fast, slow = uniq("v1-fast"), uniq("v1-slow")
    admin.call("CreateSecret", SecretName=fast, VersionId="v1", SecretData=json.dumps({"ttl": 1500, "password": "a"}))
    admin.call("CreateSecret", SecretName=slow, VersionId="v1", SecretData=json.dumps({"password": "a"}))
    cid, built = v1.build({fast: 3_600_000, slow: 3_600_000})
    assert built == {"ok": True}, built
    assert v1.send(op="info", id=cid, name=fast)["info"]["version_id"] == "v1"
    assert v1.send(op="info", id=cid, name=slow)["info"]["version_id"] == "v1"
    started = time.monotonic()
    admin.call("PutSecretValue", SecretName=fast, VersionId="v2", SecretData=json.dumps({"ttl": 1500, "password": "b"}))
    admin.call("PutSecretValue", SecretName=slow, VersionId="v2", SecretData=json.dumps({"password": "b"}))
    got = wait_for(lambda: v1.send(op="info", id=cid, name=fast), lambda r: r["info"]["version_id"] == "v2")
    assert got["info"]["version_id"] == "v2", got
    assert json.loads(got["info"]["value"]) == {"ttl": 1500, "password": "b"}
    time.sleep(max(0.0, 3 - (time.monotonic() - started)))
    # The secret without a JSON ttl keeps its one-hour TTL.
    assert v1.send(op="info", id=cid, name=slow)["info"]["version_id"] == "v1"


def test_v1_rotation_and_binary(v1, admin):
    rot, binary = uniq("v1-rot"), uniq("v1-bin")
    admin.call("CreateSecret", SecretName=rot, VersionId="v1", SecretData=json.dumps({"user": "u", "password": "old"}),
               EnableAutomaticRotation=True, RotationInterval="6h")
    data = base64.b64encode(os.urandom(24)).decode()
    admin.call("CreateSecret", SecretName=binary, VersionId="b1", SecretData=data, SecretDataType="binary")
    cid, built = v1.build({rot: 2000, binary: 2000})
    assert built == {"ok": True}, built
    # A binary secret: SecretData verbatim with SecretDataType "binary" (sheet §1); the string
    # getter refuses it. (The clients' get_binary_value cannot be used: with bytebuffer 0.1.2
    # it raises "Can wrap only bytearray" for any value, inside the client.)
    info = v1.send(op="info", id=cid, name=binary)["info"]
    assert (info["value"], info["data_type"], info["version_id"]) == (data, "binary", "b1"), info
    assert v1.send(op="text", id=cid, name=binary)["error"] == "ValueError"
    admin.call("RotateSecret", SecretName=rot, VersionId="r2")
    got = wait_for(lambda: v1.send(op="info", id=cid, name=rot), lambda r: r["info"]["version_id"] == "r2")
    assert got["info"]["version_id"] == "r2", got
    value = json.loads(got["info"]["value"])
    assert value["user"] == "u" and re.fullmatch(r"[A-Za-z0-9]{32}", value["password"]), value


def test_v1_missing_secret(v1, admin):
    missing = uniq("v1-missing")
    # Registered at start-up: build() raises the server's error (one request).
    _, built = v1.build({missing: 2000})
    assert (built.get("error"), built.get("code"), built.get("status")) == (
        "ServerException", "Forbidden.ResourceNotFound", 404), built
    assert built["message"] == "Resource not found", built
    # On first use of a client that built fine: the same error, at once.
    present = uniq("v1-present")
    admin.call("CreateSecret", SecretName=present, VersionId="v1", SecretData="here")
    cid, built = v1.build({present: 2000})
    assert built == {"ok": True}, built
    got = v1.send(op="text", id=cid, name=uniq("v1-missing"))
    assert (got.get("error"), got.get("code"), got.get("status")) == (
        "ServerException", "Forbidden.ResourceNotFound", 404), got
    # A secret pending deletion: the delete-window refusal.
    pending = uniq("v1-pending")
    admin.call("CreateSecret", SecretName=pending, VersionId="v1", SecretData="x")
    admin.call("DeleteSecret", SecretName=pending, RecoveryWindowInDays="7")
    got = v1.send(op="text", id=cid, name=pending)
    assert (got.get("error"), got.get("code"), got.get("status")) == (
        "ServerException", "Rejected.ResourceInDeleteWindow", 409), got


# --------------------------------------------------------------------------- Python v2


def v2_client(live: QkmsServer, ttl: dict[str, int]):
    from alibabacloud_credentials.client import Client as CredentialClient
    from alibabacloud_credentials.provider import StaticAKCredentialsProvider
    from alibabacloud_secretsmanager_client_v2.secret_manager_cache_client_builder import (
        SecretManagerCacheClientBuilder)
    from alibabacloud_secretsmanager_client_v2.service.default_secret_manager_client_builder import (
        DefaultSecretManagerClientBuilder)
    from alibabacloud_tea_openapi.models import Config

    config = Config(credential=CredentialClient(provider=StaticAKCredentialsProvider(
                        access_key_id=AK_ID, access_key_secret=AK_SECRET)),
                    region_id=REGION, endpoint=f"127.0.0.1:{live.tls_port}", protocol="https",
                    ca=str(live.data_dir / "tls" / "ca.pem"))
    builder = SecretManagerCacheClientBuilder.new_cache_client_builder(
        DefaultSecretManagerClientBuilder.standard().add_config(config).build())
    for name, ms in ttl.items():
        builder = builder.with_secret_ttl(name, ms)
    return builder.build()


@pytest.fixture
def v2(live):
    made = []

    def make(ttl: dict[str, int]):
        client = v2_client(live, ttl)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def test_v2_startup_read_and_ttl_refresh(v2, admin):
    name = uniq("v2-db")
    first = json.dumps({"user": "app", "password": "pw-v1"})
    admin.call("CreateSecret", SecretName=name, VersionId="v1", SecretData=first)
    client = v2({name: 3000})
    info = client.get_secret_info(name)
    assert (info.secret_name, info.version_id, info.secret_value, info.secret_data_type, info.secret_type) == (
        name, "v1", first, "text", "Generic")
    assert client.get_secret_value(name) == first

    second = json.dumps({"user": "app", "password": "pw-v2"})
    admin.call("PutSecretValue", SecretName=name, VersionId="v2", SecretData=second)
    assert client.get_secret_value(name) == first
    info = wait_for(lambda: client.get_secret_info(name), lambda i: i.version_id == "v2")
    assert (info.version_id, info.secret_value) == ("v2", second)


def test_v2_json_ttl_is_honoured(v2, admin):
    fast, slow = uniq("v2-fast"), uniq("v2-slow")
    admin.call("CreateSecret", SecretName=fast, VersionId="v1", SecretData=json.dumps({"ttl": 1500, "password": "a"}))
    admin.call("CreateSecret", SecretName=slow, VersionId="v1", SecretData=json.dumps({"password": "a"}))
    client = v2({fast: 3_600_000, slow: 3_600_000})
    assert client.get_secret_info(fast).version_id == "v1"
    assert client.get_secret_info(slow).version_id == "v1"
    started = time.monotonic()
    admin.call("PutSecretValue", SecretName=fast, VersionId="v2", SecretData=json.dumps({"ttl": 1500, "password": "b"}))
    admin.call("PutSecretValue", SecretName=slow, VersionId="v2", SecretData=json.dumps({"password": "b"}))
    info = wait_for(lambda: client.get_secret_info(fast), lambda i: i.version_id == "v2")
    assert info.version_id == "v2" and json.loads(info.secret_value) == {"ttl": 1500, "password": "b"}
    time.sleep(max(0.0, 3 - (time.monotonic() - started)))
    assert client.get_secret_info(slow).version_id == "v1"


def test_v2_rotation_and_binary(v2, admin):
    rot, binary = uniq("v2-rot"), uniq("v2-bin")
    admin.call("CreateSecret", SecretName=rot, VersionId="v1",
               SecretData=json.dumps({"user": "u", "AccountPassword": "old"}),
               EnableAutomaticRotation=True, RotationInterval="6h")
    data = base64.b64encode(os.urandom(24)).decode()
    admin.call("CreateSecret", SecretName=binary, VersionId="b1", SecretData=data, SecretDataType="binary")
    client = v2({rot: 2000, binary: 2000})
    info = client.get_secret_info(binary)  # get_binary_value: see test_v1_rotation_and_binary
    assert (info.secret_value, info.secret_data_type, info.version_id) == (data, "binary", "b1")
    with pytest.raises(ValueError):
        client.get_secret_value(binary)
    admin.call("RotateSecret", SecretName=rot, VersionId="r2")
    info = wait_for(lambda: client.get_secret_info(rot), lambda i: i.version_id == "r2")
    assert info.version_id == "r2"
    value = json.loads(info.secret_value)
    assert value["user"] == "u" and re.fullmatch(r"[A-Za-z0-9]{32}", value["AccountPassword"]), value


def test_v2_missing_secret(v2, admin):
    from alibabacloud_tea_openapi.exceptions import ClientException

    missing = uniq("v2-missing")
    # Registered at start-up: build() still succeeds; the first read raises the server's error.
    client = v2({missing: 2000})
    with pytest.raises(ClientException) as e:
        client.get_secret_value(missing)
    assert (e.value.code, e.value.status_code) == ("Forbidden.ResourceNotFound", 404)
    assert "Resource not found" in e.value.message
    with pytest.raises(ClientException) as e:
        client.get_secret_value(uniq("v2-never"))
    assert (e.value.code, e.value.status_code) == ("Forbidden.ResourceNotFound", 404)
    # A secret pending deletion: the delete-window refusal, as a client error.
    pending = uniq("v2-pending")
    admin.call("CreateSecret", SecretName=pending, VersionId="v1", SecretData="x")
    admin.call("DeleteSecret", SecretName=pending, RecoveryWindowInDays="7")
    with pytest.raises(ClientException) as e:
        client.get_secret_value(pending)
    assert (e.value.code, e.value.status_code) == ("Rejected.ResourceInDeleteWindow", 409)
