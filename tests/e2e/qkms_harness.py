"""Harness for the qkms end-to-end suite.

* `QkmsServer` starts the real `qkms` binary on port 0, reads the bound address from the
  first line of stdout, waits for `/healthz`, and stops it (SIGTERM, then SIGKILL).
* `make_caller(server, mode)` returns a uniform `call(action, **params) -> dict` over one of
  the four Python SDK modes (classic AcsClient, Tea ACS3, Tea v1 `signature_algorithm='v2'`,
  Tea ACS4 `signature_version='v4'`). Failures raise `KmsError` with `.code` and `.status`.
* BYOK helpers: wrap key material locally with `cryptography` exactly as a customer would.
* A small v1 (HMAC-SHA1) signer for raw-HTTP protocol tests.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import importlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

REPO = Path(__file__).resolve().parents[2]
QKMS_BIN = os.environ.get("QKMS_BIN", str(REPO / "target" / "debug" / "qkms"))

AK_ID = "testid"
AK_SECRET = "testsecret"
REGION = "cn-hangzhou"
ACCOUNT = "1234567890123456"
ADMIN_SECRET = "e2e-admin-secret"

MODES = ["classic", "tea_acs3", "tea_v1", "tea_acs4"]
WRAPPING_ALGORITHMS = ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
MATERIAL_SIZE = {"Aliyun_AES_256": 32, "Aliyun_SM4": 16}

ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


# --------------------------------------------------------------------------- server


class QkmsServer:
    """One running `qkms serve` process."""

    def __init__(
        self,
        workdir: Path,
        *,
        data_dir: Path | None = None,
        ephemeral: bool = False,
        admin: str | None = ADMIN_SECRET,
        clock: str | None = None,
        access_keys: list[str] | None = None,
        extra_args: tuple[str, ...] = (),
    ):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = Path(data_dir) if data_dir else None
        self.ephemeral = ephemeral
        self.admin = admin
        self.clock_spec = clock
        self.access_keys = access_keys
        self.extra_args = tuple(extra_args)
        self.proc: subprocess.Popen | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self._runs = 0

    # -- lifecycle
    def args(self) -> list[str]:
        args = [QKMS_BIN, "serve", "--listen", "127.0.0.1:0", "--log", "info"]
        if self.ephemeral:
            args.append("--ephemeral")
        else:
            assert self.data_dir is not None, "a data dir or --ephemeral is needed"
            args += ["--data-dir", str(self.data_dir)]
        if self.admin:
            args += ["--admin", self.admin]
        if self.clock_spec:
            args += ["--clock", self.clock_spec]
        for ak in self.access_keys or []:
            args += ["--access-key", ak]
        args += list(self.extra_args)
        return args

    def start(self, timeout: float = 30.0) -> "QkmsServer":
        if not Path(QKMS_BIN).exists():
            raise RuntimeError(f"qkms binary not found at {QKMS_BIN} (set QKMS_BIN or run cargo build)")
        self._runs += 1
        self.stdout_path = self.workdir / f"stdout.{self._runs}.log"
        self.stderr_path = self.workdir / f"stderr.{self._runs}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("QKMS_")}
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.args(), stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"qkms exited with {self.proc.returncode}: {self.stderr_tail()}")
            text = self.stdout_path.read_text(errors="replace")
            if "\n" in text:
                line = text.split("\n", 1)[0].strip()
                break
            time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError(f"qkms printed no address within {timeout}s: {self.stderr_tail()}")
        m = re.fullmatch(r"(127\.0\.0\.1):(\d+)", line)
        assert m, f"first stdout line is not the bound address: {line!r}"
        self.host, self.port = m.group(1), int(m.group(2))
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"qkms exited with {self.proc.returncode}: {self.stderr_tail()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"/healthz did not answer 200 within {timeout}s")

    def stop(self, timeout: float = 10.0) -> int | None:
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        return proc.returncode

    def kill9(self) -> None:
        proc, self.proc = self.proc, None
        assert proc is not None and proc.poll() is None, "server is not running"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def restart(self) -> "QkmsServer":
        self.stop()
        return self.start()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def server_errors(self) -> list[str]:
        """Log lines of every run of this server that show a 5xx answer or a panic."""
        bad = []
        for path in sorted(self.workdir.glob("stderr.*.log")):
            for line in path.read_text(errors="replace").splitlines():
                if re.search(r"\bstatus=5\d\d\b", line) or "panicked" in line:
                    bad.append(f"{path.name}: {line}")
        return bad

    def stderr_tail(self, n: int = 4000) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-n:]
        except (OSError, AttributeError):
            return ""

    # -- admin clock
    def admin_request(self, method: str, path: str, body: dict | None = None, token: str | None = "default"):
        if token == "default":
            token = self.admin
        headers = {}
        data = None
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, dict(resp.getheaders()), raw
        finally:
            conn.close()

    def clock(self, **body) -> dict:
        """GET the KMS clock (no arguments) or POST a change (`advance=`, `advance_seconds=`, `set=`)."""
        status, _, raw = self.admin_request("POST" if body else "GET", "/_qkms/clock", body or None)
        assert status == 200, f"admin clock call {body} failed: {status} {raw[:500]!r}"
        data = json.loads(raw)
        assert isinstance(data.get("Epoch"), int) and ISO_RE.match(data.get("Now", "")), data
        return data

    def now(self) -> int:
        return self.clock()["Epoch"]


# --------------------------------------------------------------------------- SDK callers


class KmsError(Exception):
    def __init__(self, code: str, status: int | None, message: str = "", request_id: str | None = None, mode: str = ""):
        super().__init__(f"[{mode}] HTTP {status} {code}: {message}")
        self.code = code
        self.status = status
        self.message = message
        self.request_id = request_id
        self.mode = mode


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class ClassicCaller:
    """aliyun-python-sdk-core AcsClient + aliyun-python-sdk-kms request classes (v1 HMAC-SHA1)."""

    mode = "classic"

    def __init__(self, server: QkmsServer, ak_id: str = AK_ID, ak_secret: str = AK_SECRET):
        from aliyunsdkcore.client import AcsClient

        self.server = server
        # The port is a client setting; the request gets only the host (see _make_http_response).
        self.client = AcsClient(ak_id, ak_secret, REGION, port=server.port, auto_retry=False, timeout=30)

    def request(self, action: str, **params):
        module = importlib.import_module(f"aliyunsdkkms.request.v20160120.{action}Request")
        req = getattr(module, f"{action}Request")()
        req.set_endpoint(self.server.host)
        req.set_protocol_type("http")
        req.set_accept_format("JSON")
        for name, value in params.items():
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            getattr(req, f"set_{name}")(value)
        return req

    def send(self, req) -> dict:
        from aliyunsdkcore.acs_exception.exceptions import ServerException

        try:
            raw = self.client.do_action_with_exception(req)
        except ServerException as e:
            raise KmsError(e.get_error_code(), e.get_http_status(), e.get_error_msg(), e.get_request_id(), self.mode) from e
        return json.loads(raw)

    def call(self, action: str, **params) -> dict:
        return self.send(self.request(action, **params))


class TeaCaller:
    """alibabacloud-kms20160120 (Tea) client with typed request/response models."""

    def __init__(self, server: QkmsServer, mode: str, ak_id: str = AK_ID, ak_secret: str = AK_SECRET):
        from alibabacloud_kms20160120.client import Client
        from alibabacloud_tea_openapi.models import Config

        self.server = server
        self.mode = mode
        cfg = dict(access_key_id=ak_id, access_key_secret=ak_secret, endpoint=server.endpoint,
                   protocol="http", region_id=REGION, read_timeout=30000, connect_timeout=5000)
        if mode == "tea_v1":
            cfg["signature_algorithm"] = "v2"
        elif mode == "tea_acs4":
            cfg["signature_version"] = "v4"
        else:
            assert mode == "tea_acs3", mode
        self.client = Client(Config(**cfg))

    def call(self, action: str, **params) -> dict:
        from alibabacloud_kms20160120 import models
        from darabonba.runtime import RuntimeOptions

        method = getattr(self.client, f"{snake(action)}_with_options")
        req_cls = getattr(models, f"{action}Request", None)
        try:
            if req_cls is None:
                assert not params, f"{action} takes no parameters in the Tea SDK"
                resp = method(RuntimeOptions())
            else:
                resp = method(req_cls().from_map(params), RuntimeOptions())
        except Exception as e:  # noqa: BLE001 - mapped below
            raise tea_error(e, self.mode) from e
        return resp.body.to_map()


def tea_error(e: Exception, mode: str = "tea") -> Exception:
    """Map a Tea SDK exception to KmsError.

    ACS3 / v1 raise `alibabacloud_tea_openapi.exceptions.ClientException` (`.code`,
    `.status_code`). The ACS4 path goes through the POP gateway SPI, which raises a plain
    `TeaException` (status in `.data['statusCode']`) wrapped in `UnretryableException`."""
    inner = getattr(e, "inner_exception", None)
    if inner is not None:
        e = inner
    code = getattr(e, "code", None)
    data = getattr(e, "data", None) or {}
    status = getattr(e, "status_code", None)
    if status is None and isinstance(data, dict):
        status = data.get("statusCode")
    if code is None or status is None:
        return e  # not a server error (bug in the test or the SDK): let it surface as is
    request_id = getattr(e, "request_id", None) or (data.get("RequestId") if isinstance(data, dict) else None)
    return KmsError(code, int(status), getattr(e, "message", "") or "", request_id, mode)


def make_caller(server: QkmsServer, mode: str, **kw):
    if mode == "classic":
        return ClassicCaller(server, **kw)
    return TeaCaller(server, mode, **kw)


def expect_error(fn, *args, code: str, status: int, **kwargs) -> KmsError:
    """Run `fn` and assert it fails with the given server Code and HTTP status."""
    try:
        result = fn(*args, **kwargs)
    except KmsError as e:
        assert (e.code, e.status) == (code, status), f"expected {status} {code}, got {e}"
        return e
    raise AssertionError(f"expected {status} {code}, but the call succeeded: {result!r}")


# --------------------------------------------------------------------------- BYOK helpers


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def load_public_key(public_key_b64: str):
    der = unb64(public_key_b64)
    key = serialization.load_der_public_key(der)
    assert isinstance(key, rsa.RSAPublicKey), type(key)
    return key


def wrap(material: bytes, public_key_b64_or_obj, algorithm: str, mgf_hash=None) -> str:
    """Wrap key material the way the import docs describe; returns base64."""
    key = public_key_b64_or_obj
    if isinstance(key, str):
        key = load_public_key(key)
    if algorithm == "RSAES_PKCS1_V1_5":
        pad = padding.PKCS1v15()
    elif algorithm == "RSAES_OAEP_SHA_1":
        pad = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    elif algorithm == "RSAES_OAEP_SHA_256":
        mgf = mgf_hash or hashes.SHA256()
        pad = padding.OAEP(mgf=padding.MGF1(mgf), algorithm=hashes.SHA256(), label=None)
    else:
        raise ValueError(algorithm)
    return b64(key.encrypt(material, pad))


def iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> int:
    assert ISO_RE.match(text), f"not an ISO UTC second timestamp: {text!r}"
    return int(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())


class Byok:
    """BYOK steps over one caller (`call(action, **params) -> dict`)."""

    def __init__(self, kms):
        self.kms = kms

    def create_external(self, spec: str = "Aliyun_AES_256", description: str = "e2e byok") -> str:
        meta = self.kms.call("CreateKey", Origin="EXTERNAL", KeySpec=spec, Description=description)["KeyMetadata"]
        assert meta["KeyState"] == "PendingImport", meta
        assert meta["Origin"] == "EXTERNAL", meta
        assert meta["KeySpec"] == spec, meta
        return meta["KeyId"]

    def params(self, key_id: str, algorithm: str = "RSAES_OAEP_SHA_256") -> dict:
        return self.kms.call("GetParametersForImport", KeyId=key_id, WrappingAlgorithm=algorithm,
                             WrappingKeySpec="RSA_2048")

    def import_material(self, key_id: str, material: bytes, algorithm: str = "RSAES_OAEP_SHA_256",
                        expire_unix: int | None = 0, params: dict | None = None, mgf_hash=None) -> dict:
        p = params or self.params(key_id, algorithm)
        args = dict(KeyId=key_id, ImportToken=p["ImportToken"],
                    EncryptedKeyMaterial=wrap(material, p["PublicKey"], algorithm, mgf_hash))
        if expire_unix is not None:
            args["KeyMaterialExpireUnix"] = expire_unix
        return self.kms.call("ImportKeyMaterial", **args)

    def imported_key(self, spec: str = "Aliyun_AES_256", material: bytes | None = None,
                     algorithm: str = "RSAES_OAEP_SHA_256", expire_unix: int | None = 0):
        material = material if material is not None else os.urandom(MATERIAL_SIZE[spec])
        key_id = self.create_external(spec)
        self.import_material(key_id, material, algorithm, expire_unix)
        return key_id, material

    def describe(self, key_id: str) -> dict:
        return self.kms.call("DescribeKey", KeyId=key_id)["KeyMetadata"]

    def encrypt(self, key_id: str, plaintext: bytes, context: dict | None = None) -> dict:
        args = dict(KeyId=key_id, Plaintext=b64(plaintext))
        if context is not None:
            args["EncryptionContext"] = context
        return self.kms.call("Encrypt", **args)

    def decrypt(self, blob: str, context: dict | None = None) -> dict:
        args = dict(CiphertextBlob=blob)
        if context is not None:
            args["EncryptionContext"] = context
        return self.kms.call("Decrypt", **args)


# --------------------------------------------------------------------------- raw v1 signer


def pct(s: str) -> str:
    return urllib.parse.quote(s, safe="-_.~")


def v1_string_to_sign(method: str, params: dict) -> str:
    canon = "&".join(f"{pct(k)}={pct(str(v))}" for k, v in sorted(params.items()) if k != "Signature")
    return f"{method.upper()}&%2F&{pct(canon)}"


def v1_sign(method: str, params: dict, secret: str = AK_SECRET) -> str:
    sts = v1_string_to_sign(method, params)
    return base64.b64encode(hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()).decode()


def utc_stamp(offset_seconds: int = 0) -> str:
    t = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=offset_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def v1_params(action: str, params: dict | None = None, *, fmt: str = "JSON", ak_id: str = AK_ID,
              version: str = "2016-01-20", timestamp: str | None = None, nonce: str | None = None) -> dict:
    p = {
        "Action": action,
        "Version": version,
        "Format": fmt,
        "AccessKeyId": ak_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "Timestamp": timestamp or utc_stamp(),
    }
    p.update(params or {})
    return p


class RawResponse:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> dict:
        return json.loads(self.body)

    def __repr__(self):
        return f"<RawResponse {self.status} {self.content_type} {self.body[:300]!r}>"


def raw_request(server: QkmsServer, method: str = "POST", path: str = "/", query: str = "",
                body: bytes | None = None, headers: dict | None = None, timeout: float = 30) -> RawResponse:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        url = path + (("?" + query) if query else "")
        hdrs = dict(headers or {})
        if body is not None and not any(h.lower() == "content-type" for h in hdrs):
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, url, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, dict(resp.getheaders()), data)
    finally:
        conn.close()


def v1_call(server: QkmsServer, action: str, params: dict | None = None, *, method: str = "POST",
            secret: str = AK_SECRET, sign: bool = True, body_params: dict | None = None, **kw) -> RawResponse:
    """Send a v1-signed RPC request with every parameter in the query (like the classic SDK)."""
    p = v1_params(action, params, **kw)
    signed = dict(p)
    if body_params:
        signed.update(body_params)
    if sign:
        p["Signature"] = v1_sign(method, signed, secret)
    query = urllib.parse.urlencode(p, quote_via=urllib.parse.quote)
    body = urllib.parse.urlencode(body_params, quote_via=urllib.parse.quote).encode() if body_params else None
    return raw_request(server, method, "/", query, body)


def aws_wrap(material: bytes, public_der: bytes, algorithm: str) -> bytes:
    """Material wrapped for AWS ImportKeyMaterial: RSA-OAEP, or OAEP of an AES key + RFC 5649."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

    public = serialization.load_der_public_key(public_der)
    sha = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(sha), algorithm=sha, label=None)
    if algorithm.startswith("RSA_AES_KEY_WRAP"):
        ephemeral = os.urandom(32)
        return public.encrypt(ephemeral, oaep) + aes_key_wrap_with_padding(ephemeral, material)
    return public.encrypt(material, oaep)
