"""Hardening over a real socket: signatures that must cover the request, CORS, stalled and
excess clients, HTTP-level rejections in each dialect's shape, strict input, the clock's
range. Each test reproduces a finding of the review of main at 873ee14."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import time
import urllib.parse
import uuid

import pytest

import base64

from qkms_harness import AK_ID, AK_SECRET, expect_error, make_caller, raw_request, v1_call, v1_params, v1_sign

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
ACS3_FULL = ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"]


def pct(s: str) -> str:
    return urllib.parse.quote(s, safe="-_.~")


def acs3_request(server, action: str, params: dict, signed: list[str], *, override: dict | None = None):
    """An ACS3 request signed over exactly `signed` (a valid HMAC), then `override` applied
    to the headers after signing (what an attacker who replays it would change)."""
    headers = {
        "host": server.endpoint,
        "x-acs-action": action,
        "x-acs-version": "2016-01-20",
        "x-acs-date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": EMPTY_SHA256,
    }
    query = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(params.items()))
    canonical = "POST\n/\n" + query + "\n"
    canonical += "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed)
    canonical += "\n" + ";".join(signed) + "\n" + EMPTY_SHA256
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    sig = hmac.new(AK_SECRET.encode(), sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"ACS3-HMAC-SHA256 Credential={AK_ID},SignedHeaders={';'.join(signed)},Signature={sig}"
    headers.update(override or {})
    headers.pop("host")
    return raw_request(server, "POST", "/", query, None, headers)


def sigv4_request(server, target: str, body: dict, signed: list[str], *, service: str = "kms",
                  override: dict | None = None):
    payload = json.dumps(body).encode()
    now = dt.datetime.now(dt.timezone.utc)
    amz_date, date = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "host": server.endpoint,
        "x-amz-date": amz_date,
        "x-amz-target": f"TrentService.{target}",
    }
    canonical = "POST\n/\n\n" + "".join(f"{h}:{headers[h]}\n" for h in signed)
    canonical += "\n" + ";".join(signed) + "\n" + hashlib.sha256(payload).hexdigest()
    scope = f"{date}/us-east-1/{service}/aws4_request"
    sts = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    key = ("AWS4" + AK_SECRET).encode()
    for part in (date, "us-east-1", service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={AK_ID}/{scope}, "
                                f"SignedHeaders={';'.join(signed)}, Signature={sig}")
    headers.update(override or {})
    headers.pop("host")
    return raw_request(server, "POST", "/", "", payload, headers)


@pytest.fixture
def key_id(server):
    return make_caller(server, "tea_acs3").call("CreateKey", Description="hardening")["KeyMetadata"]["KeyId"]


def state_of(server, key_id: str) -> str:
    return make_caller(server, "tea_acs3").call("DescribeKey", KeyId=key_id)["KeyMetadata"]["KeyState"]


def test_acs3_must_sign_action_date_nonce_and_body(server, key_id):
    ok = acs3_request(server, "DescribeKey", {"KeyId": key_id}, ACS3_FULL)
    assert ok.status == 200, ok
    for signed in (["host"], ["x-acs-content-sha256"], [h for h in ACS3_FULL if h != "x-acs-action"],
                   [h for h in ACS3_FULL if h != "x-acs-signature-nonce"]):
        # A signature over too little, replayed with DisableKey in the unsigned header.
        resp = acs3_request(server, "DescribeKey", {"KeyId": key_id}, signed,
                            override={"x-acs-action": "DisableKey"})
        assert resp.status == 400 and resp.json()["Code"] == "IncompleteSignature", (signed, resp)
    # With everything signed, changing the action breaks the signature.
    resp = acs3_request(server, "DescribeKey", {"KeyId": key_id}, ACS3_FULL, override={"x-acs-action": "DisableKey"})
    assert resp.status == 400 and resp.json()["Code"] == "SignatureDoesNotMatch", resp
    assert state_of(server, key_id) == "Enabled"


def test_v1_ignores_an_unsigned_action_header(server, key_id):
    p = v1_params("DescribeKey", {"KeyId": key_id})
    del p["Action"]
    p["Signature"] = v1_sign("POST", p)
    query = urllib.parse.urlencode(p, quote_via=urllib.parse.quote)
    resp = raw_request(server, "POST", "/", query, None, {"x-acs-action": "DisableKey", "x-acs-version": "2016-01-20"})
    assert resp.status == 400 and resp.json()["Code"] == "MissingParameter", resp
    assert state_of(server, key_id) == "Enabled"


def test_sigv4_must_sign_host_date_and_target_for_kms(server, key_id):
    full = ["content-type", "host", "x-amz-date", "x-amz-target"]
    ok = sigv4_request(server, "DescribeKey", {"KeyId": key_id}, full)
    assert ok.status == 200, ok
    for signed in (["host"], ["content-type", "host", "x-amz-date"], ["content-type", "x-amz-date", "x-amz-target"]):
        resp = sigv4_request(server, "DescribeKey", {"KeyId": key_id}, signed,
                             override={"x-amz-target": "TrentService.DisableKey"})
        assert resp.status == 400, resp
        assert resp.json()["__type"] == "InvalidSignatureException", resp
    for service in ("s3", "iam"):
        resp = sigv4_request(server, "DescribeKey", {"KeyId": key_id}, full, service=service)
        assert resp.json()["__type"] == "InvalidSignatureException", resp
    assert state_of(server, key_id) == "Enabled"


def test_cors_refuses_foreign_pages_and_never_serves_the_admin_routes(server, key_id):
    evil = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,x-amz-target"}
    pre = raw_request(server, "OPTIONS", "/", "", None, evil)
    assert pre.status == 403 and "access-control-allow-origin" not in pre.headers, pre
    local = dict(evil, Origin="http://localhost:3000")
    pre = raw_request(server, "OPTIONS", "/", "", None, local)
    assert pre.status == 204 and pre.headers["access-control-allow-origin"] == "http://localhost:3000", pre
    # A simple (unpreflighted) signed POST from a foreign page is refused before it runs.
    p = v1_params("DisableKey", {"KeyId": key_id})
    p["Signature"] = v1_sign("POST", p)
    query = urllib.parse.urlencode(p, quote_via=urllib.parse.quote)
    resp = raw_request(server, "POST", "/", query, None, {"Origin": "https://evil.example"})
    assert resp.status == 403 and resp.json()["Code"] == "Forbidden.NoPermission", resp
    assert state_of(server, key_id) == "Enabled"
    # A loopback page reads the answers, errors included.
    resp = raw_request(server, "POST", "/", "Action=ListKeys", None, {"Origin": "http://127.0.0.1:5173"})
    assert resp.status == 400 and resp.headers["access-control-allow-origin"] == "http://127.0.0.1:5173", resp
    # The admin routes never answer cross-origin, even for loopback pages.
    for origin in ("http://localhost:3000", "https://evil.example"):
        pre = raw_request(server, "OPTIONS", "/_qkms/reset", "", None, dict(evil, Origin=origin))
        assert pre.status == 403 and "access-control-allow-origin" not in pre.headers, pre
        resp = raw_request(server, "POST", "/_qkms/reset", "", b"",
                           {"Origin": origin, "Authorization": f"Bearer {server.admin}"})
        assert resp.status == 403, resp
    assert state_of(server, key_id) == "Enabled"


def test_cors_origin_flag(server_factory):
    srv = server_factory(ephemeral=True, extra_args=("--cors-origin", "https://app.example:8443"))
    pre = raw_request(srv, "OPTIONS", "/", "", None,
                      {"Origin": "https://app.example:8443", "Access-Control-Request-Method": "POST"})
    assert pre.status == 204 and pre.headers["access-control-allow-origin"] == "https://app.example:8443"
    pre = raw_request(srv, "OPTIONS", "/", "", None,
                      {"Origin": "https://other.example", "Access-Control-Request-Method": "POST"})
    assert pre.status == 403
    # Error answers carry the CORS headers too, so the configured page (a docs site's
    # ApiTester) shows SignatureDoesNotMatch instead of the browser's "Failed to fetch".
    page = {"Origin": "https://app.example:8443"}
    p = v1_params("ListKeys", {})
    p["Signature"] = "bm90IHRoZSBzaWduYXR1cmU="
    query = urllib.parse.urlencode(p, quote_via=urllib.parse.quote)
    resp = raw_request(srv, "POST", "/", query, None, page)
    assert resp.status == 400 and resp.json()["Code"] == "SignatureDoesNotMatch", resp
    assert resp.headers["access-control-allow-origin"] == "https://app.example:8443", resp
    aws = dict(page, **{"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1",
                        "Authorization": "AWS4-HMAC-SHA256 Credential=testid/20260101/us-east-1/kms/aws4_request, "
                                         "SignedHeaders=host;x-amz-date;x-amz-target, Signature=" + "0" * 64,
                        "X-Amz-Date": "20260101T000000Z"})
    resp = raw_request(srv, "POST", "/", "", b"{}", aws)
    assert resp.status == 400 and resp.json()["__type"] in ("InvalidSignatureException",), resp
    assert resp.headers["access-control-allow-origin"] == "https://app.example:8443", resp


def recv_all(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes; and when it closed."""
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data, time.monotonic()
        data += chunk


def stalled(server, n: int) -> list[socket.socket]:
    """`n` connections that send a head announcing 10 body bytes, then nothing."""
    socks = []
    for _ in range(n):
        s = socket.create_connection((server.host, server.port))
        s.sendall(b"POST /?Action=ListKeys HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
        socks.append(s)
    return socks


def test_stalled_bodies_are_answered_and_dropped(server_factory):
    srv = server_factory(ephemeral=True, extra_args=("--request-timeout", "2"))
    started = time.monotonic()
    socks = stalled(srv, 60)
    # Meanwhile, an SDK client is served at once.
    assert make_caller(srv, "tea_acs3").call("DescribeRegions")["Regions"]["Region"]
    for s in socks:
        data, closed = recv_all(s, 10)
        s.close()
        assert closed - started < 6, "a stalled client was not dropped in time"
        assert data.startswith(b"HTTP/1.1 400"), data[:200]
        assert b'"Code":"InvalidParameter"' in data, data[:400]


def test_a_stalled_head_is_answered_in_the_dialect(server_factory):
    srv = server_factory(ephemeral=True, extra_args=("--request-timeout", "1"))
    s = socket.create_connection((srv.host, srv.port))
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\n")
    data, _ = recv_all(s, 10)
    s.close()
    assert data.startswith(b"HTTP/1.1 400"), data
    body = json.loads(data.split(b"\r\n\r\n", 1)[1])
    assert body["__type"] == "ValidationException" and body["message"], body


def test_the_connection_limit_leaves_room_once_stalled_clients_are_dropped(server_factory):
    srv = server_factory(ephemeral=True, extra_args=("--request-timeout", "2", "--max-connections", "8"))
    socks = stalled(srv, 8)
    t0 = time.monotonic()
    # The ninth connection waits in the listen queue until a slot frees, then is served.
    assert make_caller(srv, "tea_acs3").call("DescribeRegions")["Regions"]["Region"]
    assert time.monotonic() - t0 < 10
    for s in socks:
        s.close()


MALFORMED = {
    "NUL in a header": b"POST / HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n\r\n",
    "duplicate Content-Length": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
    "bad Content-Length": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2x\r\n\r\n{}",
    "Content-Length with chunked": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
    "no Host": b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    "too many headers": b"POST / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(100)) + b"\r\n",
    "URI too long": b"POST /?" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "head too long": b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
    "not HTTP": b"HELLO THERE\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
@pytest.mark.parametrize("dialect", ["aliyun", "aws"])
def test_http_level_rejections_are_in_the_dialect_shape(server, name, dialect):
    raw = MALFORMED[name]
    if dialect == "aws" and name != "not HTTP":
        raw = raw.replace(b"Host: x\r\n", b"Host: x\r\nX-Amz-Target: TrentService.ListKeys\r\n", 1)
        raw = raw.replace(b"Content-Length: 0\r\n", b"Content-Length: 0\r\nX-Amz-Target: TrentService.ListKeys\r\n", 1)
    s = socket.create_connection((server.host, server.port))
    s.sendall(raw)
    data, _ = recv_all(s, 10)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), data[:300]
    parsed = json.loads(body)
    if dialect == "aws" and name != "not HTTP":
        assert parsed["__type"] == "ValidationException" and parsed["message"], parsed
        assert b"x-amzn-ErrorType: ValidationException" in head
    else:
        assert parsed["Code"] == "InvalidParameter" and parsed["Message"] and parsed["RequestId"], parsed


def test_malformed_http_is_not_logged_as_an_error(server_factory):
    srv = server_factory(ephemeral=True)
    for raw in MALFORMED.values():
        s = socket.create_connection((srv.host, srv.port))
        s.sendall(raw)
        recv_all(s, 10)
        s.close()
    time.sleep(0.3)
    errors = [line for line in srv.stderr_path.read_text().splitlines() if " ERROR " in line]
    assert not errors, errors


def test_parameters_given_twice_with_different_values(server, key_id):
    pairs = list(v1_params("DescribeKey", {}).items()) + [("KeyId", "alias/other"), ("KeyId", key_id)]
    # Signed over every pair, repeats included, as a v1 signer must.
    canon = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(pairs))
    sts = f"POST&%2F&{pct(canon)}"
    sig = base64.b64encode(hmac.new((AK_SECRET + "&").encode(), sts.encode(), hashlib.sha1).digest()).decode()
    query = "&".join(f"{pct(k)}={pct(v)}" for k, v in pairs) + "&Signature=" + pct(sig)
    resp = raw_request(server, "POST", "/", query)
    assert resp.status == 400 and resp.json()["Code"] == "InvalidParameter", resp
    assert '"KeyId"' in resp.json()["Message"]


def test_an_unknown_kms_instance_and_an_unknown_action(server):
    kms = make_caller(server, "classic")
    expect_error(kms.call, "CreateKey", DKMSInstanceId="kst-hzz0000000000", code="Forbidden.ResourceNotFound", status=404)
    resp = v1_call(server, "NoSuchThing")
    assert resp.status == 404 and "NoSuchThing" in resp.json()["Message"], resp


def test_the_admin_clock_cannot_wrap(server_factory):
    srv = server_factory(ephemeral=True, clock="fixed:2030-01-01T00:00:00Z")
    status, _, body = srv.admin_request("POST", "/_qkms/clock", {"advance_seconds": 9223372036854775000})
    assert status == 400 and json.loads(body)["Code"] == "InvalidParameter", body
    assert srv.now() == 1893456000
    kms = make_caller(srv, "tea_acs3")
    key = kms.call("CreateKey")["KeyMetadata"]["KeyId"]
    kms.call("ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=7)
    time.sleep(1.5)  # a sweep
    meta = kms.call("DescribeKey", KeyId=key)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion" and meta["DeleteDate"] == "2030-01-08T00:00:00Z", meta


def test_aws_errors_always_have_a_message_and_aws_looking_requests_get_aws_errors(server):
    resp = sigv4_request(server, "NoSuchOperation", {}, ["content-type", "host", "x-amz-date", "x-amz-target"])
    assert resp.json()["__type"] == "UnknownOperationException" and resp.json()["message"], resp
    resp = raw_request(server, "POST", "/", "", b"{}", {"Content-Type": "application/x-amz-json-1.1"})
    assert resp.status == 400 and resp.json().get("__type"), resp
    resp = raw_request(server, "POST", "/", "", b"{}",
                       {"Content-Type": "text/plain", "X-Amz-Target": "TrentService.ListKeys"})
    assert resp.status == 400 and resp.json()["__type"] == "UnknownOperationException", resp


def test_wrapping_key_generation_is_bounded_and_the_excess_throttled(server_factory):
    """Twenty clients asking for RSA-4096 wrapping keys at once: a few are served (one
    generation at a time on this machine's share), the rest are told to slow down with the
    dialect's throttling error, nobody gets a 5xx, and Encrypt is served meanwhile."""
    from concurrent.futures import ThreadPoolExecutor

    srv = server_factory(ephemeral=True)
    kms = make_caller(srv, "tea_acs3")
    ext = kms.call("CreateKey", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    plain = kms.call("CreateKey")["KeyMetadata"]["KeyId"]

    def gpi(_):
        return sigv4_request(srv, "GetParametersForImport",
                             {"KeyId": ext, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_4096"},
                             ["content-type", "host", "x-amz-date", "x-amz-target"])

    with ThreadPoolExecutor(20) as pool:
        pending = [pool.submit(gpi, i) for i in range(20)]
        time.sleep(0.3)
        for _ in range(20):
            assert kms.call("Encrypt", KeyId=plain, Plaintext="aGk=")["CiphertextBlob"]
        results = [f.result() for f in pending]
    assert sorted({r.status for r in results}) == [200, 400], [r.status for r in results]
    throttled = [r for r in results if r.status == 400]
    assert all(r.json()["__type"] == "ThrottlingException" for r in throttled), throttled[:1]
    # Half the cores generate and eight RSA-4096 requests may wait: the rest are refused.
    import os
    permits = max(1, len(os.sched_getaffinity(0)) // 2)
    assert len(throttled) >= 20 - permits - 8, len(throttled)
