"""Raw HTTP protocol checks (urllib / http.client + a small v1 signer), plus how the SDKs
surface the gateway errors."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import pytest

from qkms_harness import (
    ACCOUNT,
    AK_ID,
    MODES,
    REGION,
    b64,
    expect_error,
    make_caller,
    raw_request,
    utc_stamp,
    v1_call,
    v1_params,
    v1_sign,
    v1_string_to_sign,
)

JSON_CT = "application/json;charset=utf-8"
XML_CT = "text/xml;charset=utf-8"
STS_MARKER = "server string to sign is:"


def assert_json_error(resp, status: int, code: str) -> dict:
    assert resp.status == status, resp
    assert resp.content_type == JSON_CT, resp
    body = resp.json()
    assert body["Code"] == code, body
    for field in ("RequestId", "HostId", "Code", "Message", "Recommend"):
        assert isinstance(body.get(field), str) and body[field], (field, body)
    assert resp.headers.get("x-acs-request-id") == body["RequestId"], resp.headers
    return body


def assert_xml_error(resp, status: int, code: str) -> ET.Element:
    assert resp.status == status, resp
    assert resp.content_type == XML_CT, resp
    root = ET.fromstring(resp.body)
    assert root.tag == "Error", resp.body
    assert root.findtext("Code") == code, resp.body
    assert root.findtext("Message"), resp.body
    assert root.findtext("RequestId") == resp.headers.get("x-acs-request-id"), resp
    return root


@pytest.fixture
def enabled_key(server):
    return make_caller(server, "tea_acs3").call("CreateKey", KeySpec="Aliyun_AES_256")["KeyMetadata"]["KeyId"]


# --------------------------------------------------------------------------- formats


def test_json_success_shape(server):
    resp = v1_call(server, "DescribeRegions")
    assert resp.status == 200, resp
    assert resp.content_type == JSON_CT
    body = resp.json()
    assert body["RequestId"] == resp.headers["x-acs-request-id"]
    assert body["Regions"] == {"Region": [{"RegionId": REGION}]}


def test_format_lowercase_json_and_get(server):
    resp = v1_call(server, "DescribeRegions", fmt="json")  # what Tea-v1 and Node send
    assert resp.status == 200 and resp.content_type == JSON_CT, resp
    resp = v1_call(server, "DescribeRegions", method="GET")
    assert resp.status == 200 and resp.json()["Regions"]["Region"][0]["RegionId"] == REGION, resp


def test_xml_success_root_is_kms(server, enabled_key):
    resp = v1_call(server, "DescribeKey", {"KeyId": enabled_key}, fmt="XML")
    assert resp.status == 200, resp
    assert resp.content_type == XML_CT
    root = ET.fromstring(resp.body)
    assert root.tag == "KMS"
    assert root.findtext("RequestId") == resp.headers["x-acs-request-id"]
    assert root.findtext("KeyMetadata/KeyId") == enabled_key
    assert root.findtext("KeyMetadata/KeyState") == "Enabled"
    assert root.findtext("KeyMetadata/Arn") == f"acs:kms:{REGION}:{ACCOUNT}:key/{enabled_key}"



def test_xml_list_shape(server_factory):
    srv = server_factory(ephemeral=True)
    kms = make_caller(srv, "tea_acs3")
    ids = {kms.call("CreateKey")["KeyMetadata"]["KeyId"] for _ in range(3)}
    resp = v1_call(srv, "ListKeys", {"PageSize": "2"}, fmt="XML")
    assert resp.status == 200 and resp.content_type == XML_CT, resp
    root = ET.fromstring(resp.body)
    assert root.tag == "KMS"
    keys = root.findall("Keys/Key")
    assert len(keys) == 2
    for key in keys:
        assert key.findtext("KeyId") in ids
        assert key.findtext("KeyArn") == f"acs:kms:{REGION}:{ACCOUNT}:key/{key.findtext('KeyId')}"
    assert (root.findtext("TotalCount"), root.findtext("PageNumber"), root.findtext("PageSize")) == ("3", "1", "2")


def test_xml_error_root_is_error(server):
    resp = v1_call(server, "DescribeKey", {"KeyId": str(uuid.uuid4())}, fmt="XML")
    assert_xml_error(resp, 404, "Forbidden.KeyNotFound")
    resp = v1_call(server, "NoSuchAction", fmt="XML")
    assert_xml_error(resp, 404, "InvalidAction.NotFound")
    resp = v1_call(server, "ListKeys", fmt="XML", secret="wrong")
    root = assert_xml_error(resp, 400, "SignatureDoesNotMatch")
    assert STS_MARKER in root.findtext("Message")


def test_bad_format_is_invalid_parameter(server):
    assert_json_error(v1_call(server, "ListKeys", fmt="YAML"), 400, "InvalidParameter")


# --------------------------------------------------------------------------- gateway errors


def test_unknown_action(server):
    assert_json_error(v1_call(server, "NoSuchAction"), 404, "InvalidAction.NotFound")
    assert_json_error(v1_call(server, "listkeys"), 404, "InvalidAction.NotFound")


def test_bad_version(server):
    assert_json_error(v1_call(server, "ListKeys", version="2014-05-26"), 400, "InvalidVersion")
    assert_json_error(v1_call(server, "ListKeys", version="garbage"), 400, "InvalidVersion")


def test_bad_signature_reports_server_string_to_sign(server):
    params = v1_params("ListKeys", {"PageSize": "5"})
    params["Signature"] = v1_sign("POST", params, "not-the-secret")
    resp = raw_request(server, "POST", "/", urllib.parse.urlencode(params, quote_via=urllib.parse.quote))
    body = assert_json_error(resp, 400, "SignatureDoesNotMatch")
    assert STS_MARKER in body["Message"]
    server_sts = body["Message"].split(STS_MARKER, 1)[1]
    assert server_sts == v1_string_to_sign("POST", params)


def test_v1_signature_sorts_decoded_parameter_names(server, enabled_key):
    """v1 signing sorts parameters by their decoded names, then percent-encodes them
    (classic SDK: sorted(queries); Node rpc-util: Object.keys(...).sort(); Tea: sorted()).
    The Node SDK flattens EncryptionContext maps into parameter names
    (`EncryptionContext.<key>`), so a key holding a character that percent-encodes
    (':' or non-ASCII) must still verify: 'user1' < 'user:id' decoded, but
    'user%3Aid' < 'user1' encoded."""
    for context in ({"user1": "x", "user:id": "42"}, {"k": "v", "\u00fc": "\u00e9"}):
        params = {"KeyId": enabled_key, "Plaintext": b64(b"dotted")}
        params.update({f"EncryptionContext.{k}": v for k, v in context.items()})
        resp = v1_call(server, "Encrypt", params)
        assert resp.status == 200, (context, resp)
        blob = resp.json()["CiphertextBlob"]
        dec = v1_call(server, "Decrypt", {"CiphertextBlob": blob, "EncryptionContext": json.dumps(context)})
        assert dec.status == 200, (context, dec)
        assert dec.json()["Plaintext"] == b64(b"dotted")


def test_tampered_parameter_breaks_signature(server, enabled_key):
    params = v1_params("Encrypt", {"KeyId": enabled_key, "Plaintext": b64(b"original")})
    params["Signature"] = v1_sign("POST", params)
    params["Plaintext"] = b64(b"tampered")
    resp = raw_request(server, "POST", "/", urllib.parse.urlencode(params, quote_via=urllib.parse.quote))
    assert_json_error(resp, 400, "SignatureDoesNotMatch")


def test_classic_sdk_handles_signature_mismatch(server):
    """The classic SDK splits the message on ':' and compares the server's string-to-sign
    with its own; when they are equal it reports InvalidAccessKeySecret. No IndexError."""
    from aliyunsdkcore.acs_exception.exceptions import ServerException
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkkms.request.v20160120.ListKeysRequest import ListKeysRequest

    client = AcsClient(AK_ID, "wrong-secret", REGION, port=server.port, auto_retry=False)
    req = ListKeysRequest()
    req.set_endpoint(server.host)
    req.set_protocol_type("http")
    with pytest.raises(ServerException) as exc:
        client.do_action_with_exception(req)
    assert exc.value.get_http_status() == 400
    # Rewritten by the SDK only if the server's string-to-sign equals the SDK's byte for byte.
    assert exc.value.get_error_code() == "InvalidAccessKeySecret", exc.value
    assert exc.value.get_request_id()


@pytest.mark.parametrize("mode", ["tea_acs3", "tea_v1", "tea_acs4"])
def test_tea_sdk_wrong_secret(server, mode):
    kms = make_caller(server, mode, ak_secret="wrong-secret")
    err = expect_error(kms.call, "ListKeys", code="SignatureDoesNotMatch", status=400)
    assert STS_MARKER in err.message


@pytest.mark.parametrize("mode", MODES)
def test_unknown_access_key_via_sdk(server, mode):
    kms = make_caller(server, mode, ak_id="LTAInobody", ak_secret="whatever")
    expect_error(kms.call, "ListKeys", code="InvalidAccessKeyId.NotFound", status=404)


def test_unknown_access_key_raw(server):
    assert_json_error(v1_call(server, "ListKeys", ak_id="LTAInobody"), 404, "InvalidAccessKeyId.NotFound")


def test_extra_access_keys(server_factory):
    srv = server_factory(ephemeral=True, access_keys=["ci:ci-secret", "other:other-secret"])
    for ak, secret in (("ci", "ci-secret"), ("other", "other-secret")):
        assert make_caller(srv, "tea_acs3", ak_id=ak, ak_secret=secret).call("ListKeys")["TotalCount"] == 0
    # With explicit keys the defaults are gone.
    expect_error(make_caller(srv, "classic").call, "ListKeys", code="InvalidAccessKeyId.NotFound", status=404)


@pytest.mark.parametrize("offset", [-20 * 60, 20 * 60])
def test_timestamp_out_of_window(server, offset):
    assert_json_error(v1_call(server, "ListKeys", timestamp=utc_stamp(offset)), 400, "InvalidTimeStamp.Expired")


def test_timestamp_inside_window(server):
    assert v1_call(server, "ListKeys", timestamp=utc_stamp(-14 * 60)).status == 200
    assert v1_call(server, "ListKeys", timestamp=utc_stamp(14 * 60)).status == 200


def test_timestamp_malformed_or_missing(server):
    assert_json_error(v1_call(server, "ListKeys", timestamp="yesterday"), 400, "InvalidTimeStamp.Format")
    params = v1_params("ListKeys")
    del params["Timestamp"]
    params["Signature"] = v1_sign("POST", params)
    resp = raw_request(server, "POST", "/", urllib.parse.urlencode(params, quote_via=urllib.parse.quote))
    assert_json_error(resp, 400, "IllegalTimestamp")


def test_reused_nonce(server):
    nonce = uuid.uuid4().hex
    first = v1_call(server, "ListKeys", nonce=nonce)
    assert first.status == 200, first
    assert_json_error(v1_call(server, "ListKeys", nonce=nonce), 400, "SignatureNonceUsed")
    # Even with a different, validly signed request.
    assert_json_error(v1_call(server, "DescribeRegions", nonce=nonce), 400, "SignatureNonceUsed")


def test_unsigned_and_method(server):
    resp = raw_request(server, "POST", "/", "Action=ListKeys&Version=2016-01-20")
    assert_json_error(resp, 400, "MissingParameter")
    resp = raw_request(server, "PUT", "/", "Action=ListKeys")
    assert_json_error(resp, 403, "UnsupportedHTTPMethod")
    resp = raw_request(server, "POST", "/", "", headers={
        "Authorization": "ACS3-HMAC-SHA256 garbage", "x-acs-action": "ListKeys", "x-acs-version": "2016-01-20",
        "x-acs-date": utc_stamp(), "x-acs-signature-nonce": uuid.uuid4().hex})
    assert_json_error(resp, 400, "IncompleteSignature")


# --------------------------------------------------------------------------- parameter validation


def test_bad_base64_plaintext(server, enabled_key):
    for bad in ("!!!notbase64!!!", "YWJj*", "a"):
        resp = v1_call(server, "Encrypt", {"KeyId": enabled_key, "Plaintext": bad})
        assert_json_error(resp, 400, "InvalidParameter")


def test_bad_encryption_context(server, enabled_key):
    for bad in ('{"purpose":', "not json", "[1,2]", '"string"', "{'single':'quotes'}"):
        resp = v1_call(server, "Encrypt", {"KeyId": enabled_key, "Plaintext": b64(b"hi"), "EncryptionContext": bad})
        body = assert_json_error(resp, 400, "InvalidParameter")
        assert "EncryptionContext" in body["Message"], body


def test_bad_encryption_context_via_classic_sdk(classic, enabled_key):
    expect_error(classic.call, "Encrypt", KeyId=enabled_key, Plaintext=b64(b"hi"), EncryptionContext="{oops",
                 code="InvalidParameter", status=400)


def test_bad_ciphertext_blob(server):
    for bad in ("!!!", b64(b"short"), b64(b"\x01\x02$" + b"x" * 100)):
        assert_json_error(v1_call(server, "Decrypt", {"CiphertextBlob": bad}), 400, "InvalidParameter")


def test_plaintext_size_limits(server, enabled_key):
    ok = v1_call(server, "Encrypt", {"KeyId": enabled_key, "Plaintext": b64(b"x" * 6144)})
    assert ok.status == 200, ok
    resp = v1_call(server, "Encrypt", {"KeyId": enabled_key, "Plaintext": b64(b"x" * 6145)})
    assert_json_error(resp, 400, "InvalidParameter")


def test_missing_required_parameter(server):
    assert_json_error(v1_call(server, "Encrypt", {"Plaintext": b64(b"x")}), 400, "MissingParameter")
    assert_json_error(v1_call(server, "DescribeKey"), 400, "MissingParameter")


@pytest.mark.parametrize("fmt", ["JSON", "XML"])
def test_body_over_128k(server, fmt):
    resp = v1_call(server, "ListKeys", fmt=fmt, body_params={"Pad": "x" * (128 * 1024 + 10)})
    if fmt == "JSON":
        body = assert_json_error(resp, 400, "InvalidParameter")
        assert "131072" in body["Message"], body
    else:
        assert_xml_error(resp, 400, "InvalidParameter")


def test_body_parameters_are_signed_and_read(server, enabled_key):
    """Form-body parameters (as the SDKs send Recipient/SecretData) count like query ones."""
    resp = v1_call(server, "Encrypt", {"KeyId": enabled_key}, body_params={"Plaintext": b64(b"in the body")})
    assert resp.status == 200, resp
    blob = resp.json()["CiphertextBlob"]
    dec = v1_call(server, "Decrypt", {}, body_params={"CiphertextBlob": blob})
    assert dec.status == 200, dec
    assert dec.json()["Plaintext"] == b64(b"in the body")


def test_malformed_requests_never_500(server, enabled_key):
    """A battery of odd requests: every answer is a 4xx JSON error with a request ID."""
    cases = [
        ("POST", "/", "", None, {}),
        ("GET", "/", "", None, {}),
        ("POST", "/other/path", "Action=ListKeys", None, {}),
        ("POST", "/", "Action=ListKeys&%ZZ=1", None, {}),
        ("POST", "/", "Action=ListKeys&bad=%FF%FE", None, {}),
        ("POST", "/", "", b"\xff\xfe\x00garbage", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("POST", "/", "", b'{"Action":"ListKeys"}', {"Content-Type": "application/json"}),
        ("POST", "/", "Action=ListKeys&Signature=&AccessKeyId=testid", None, {}),
        ("POST", "/", "", None, {"Authorization": "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host,Signature=00",
                                 "x-acs-action": "ListKeys", "x-acs-version": "2016-01-20"}),
        ("POST", "/", "", None, {"Authorization": "ACS4-HMAC-SHA256 Credential=testid/2024/x/Kms/aliyun_v4_request",
                                 "x-acs-action": "ListKeys", "x-acs-version": "2016-01-20"}),
        ("POST", "/", "", None, {"x-acs-action": "ListKeys"}),
        ("DELETE", "/", "Action=ListKeys", None, {}),
    ]
    signed = [
        ("ListKeys", {"PageSize": "abc"}), ("ListKeys", {"PageNumber": "-1"}), ("ListKeys", {"PageSize": "0"}),
        ("ListKeys", {"PageSize": "101"}), ("ListKeys", {"PageNumber": "99999999999999999999"}),
        ("ListKeys", {"Filters": "not json"}),
        ("GenerateDataKey", {"KeyId": enabled_key, "NumberOfBytes": "0"}),
        ("GenerateDataKey", {"KeyId": enabled_key, "NumberOfBytes": "1025"}),
        ("GenerateDataKey", {"KeyId": enabled_key, "KeySpec": "AES_512"}),
        ("CreateKey", {"KeySpec": "Aliyun_AES_512"}), ("CreateKey", {"Origin": "external"}),
        ("CreateKey", {"Origin": "EXTERNAL", "KeySpec": "RSA_2048"}),
        ("ImportKeyMaterial", {"KeyId": enabled_key, "ImportToken": "x", "EncryptedKeyMaterial": "x",
                               "KeyMaterialExpireUnix": "soon"}),
        ("ScheduleKeyDeletion", {"KeyId": enabled_key, "PendingWindowInDays": "1"}),
        ("Encrypt", {"KeyId": "", "Plaintext": b64(b"x")}),
        ("Encrypt", {"KeyId": "alias/does-not-exist", "Plaintext": b64(b"x")}),
        ("Encrypt", {"KeyId": "acs:kms:cn-shanghai:1:key/x", "Plaintext": b64(b"x")}),
        ("Decrypt", {"CiphertextBlob": b64(b"\x00" * 200)}),
        ("TagResource", {"KeyId": enabled_key, "Tags": "[{"}),
        ("CreateAlias", {"KeyId": enabled_key, "AliasName": "no-prefix"}),
    ]
    responses = [raw_request(server, m, p, q, b, h) for m, p, q, b, h in cases]
    responses += [v1_call(server, action, params) for action, params in signed]
    for resp in responses:
        assert 400 <= resp.status < 500, resp
        assert resp.content_type == JSON_CT, resp
        body = resp.json()
        assert body["Code"] and body["Message"], body
        assert resp.headers.get("x-acs-request-id") == body["RequestId"], resp


def test_oversized_query_is_refused_not_500(server):
    resp = v1_call(server, "ListKeys", {"Pad": "x" * 70000})
    assert 400 <= resp.status < 500, resp


def test_request_id_header_on_every_response(server, enabled_key):
    seen = set()
    for resp in (v1_call(server, "ListKeys"), v1_call(server, "DescribeKey", {"KeyId": "nope"}),
                 v1_call(server, "ListKeys", fmt="XML"), v1_call(server, "Nope")):
        rid = resp.headers.get("x-acs-request-id")
        assert rid and rid not in seen, resp
        seen.add(rid)


# --------------------------------------------------------------------------- ListKeys paging


def test_list_keys_paging(server_factory):
    srv = server_factory(ephemeral=True)
    kms = make_caller(srv, "tea_acs3")
    created = [kms.call("CreateKey", Origin="EXTERNAL" if i % 2 else "Aliyun_KMS")["KeyMetadata"]["KeyId"]
               for i in range(7)]

    # Raw shape first.
    resp = v1_call(srv, "ListKeys", {"PageSize": "3", "PageNumber": "1"})
    assert resp.status == 200
    body = resp.json()
    assert set(body) == {"RequestId", "Keys", "TotalCount", "PageNumber", "PageSize"}, body
    assert isinstance(body["Keys"], dict) and list(body["Keys"]) == ["Key"], body
    assert isinstance(body["Keys"]["Key"], list)
    assert (body["TotalCount"], body["PageNumber"], body["PageSize"]) == (7, 1, 3)
    assert all(type(body[k]) is int for k in ("TotalCount", "PageNumber", "PageSize"))
    for item in body["Keys"]["Key"]:
        assert set(item) == {"KeyId", "KeyArn"}
        assert item["KeyArn"] == f"acs:kms:{REGION}:{ACCOUNT}:key/{item['KeyId']}"

    pages = []
    for number in (1, 2, 3, 4):
        page = kms.call("ListKeys", PageSize=3, PageNumber=number)
        assert (page["TotalCount"], page["PageNumber"], page["PageSize"]) == (7, number, 3)
        pages.append([k["KeyId"] for k in page["Keys"]["Key"]])
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    listed = [k for p in pages for k in p]
    assert len(listed) == len(set(listed)) == 7
    assert set(listed) == set(created)

    # Defaults: page 1, size 10.
    default = kms.call("ListKeys")
    assert (default["PageNumber"], default["PageSize"], default["TotalCount"]) == (1, 10, 7)
    assert len(default["Keys"]["Key"]) == 7

    # The typed Tea models parse the wrapped shape.
    from alibabacloud_kms20160120 import models

    typed = kms.client.list_keys(models.ListKeysRequest(page_size=5, page_number=2)).body
    assert typed.total_count == 7 and typed.page_number == 2 and typed.page_size == 5
    assert len(typed.keys.key) == 2
    assert all(k.key_arn.endswith(k.key_id) for k in typed.keys.key)

    # The classic SDK sees the same JSON.
    classic = make_caller(srv, "classic").call("ListKeys", PageSize=100)
    assert classic["TotalCount"] == 7 and len(classic["Keys"]["Key"]) == 7

    # An empty server still returns the wrapped shape.
    empty = server_factory(ephemeral=True)
    body = v1_call(empty, "ListKeys").json()
    assert body["Keys"] == {"Key": []} and body["TotalCount"] == 0


@pytest.mark.parametrize("params", [{"PageSize": "0"}, {"PageSize": "101"}, {"PageNumber": "0"},
                                    {"PageSize": "ten"}])
def test_list_keys_bad_paging(server, params):
    assert_json_error(v1_call(server, "ListKeys", params), 400, "InvalidParameter")


def test_healthz(server):
    with urllib.request.urlopen(server.base_url + "/healthz", timeout=5) as r:
        assert r.status == 200
        # The shared server is not deterministic; replay reads this flag.
        assert json.loads(r.read()) == {"status": "ok", "deterministic": False}

