"""The OpenAPI 3.1 documents: served and printed alike, valid (openapi-spec-validator),
and honoured by a live qkms under schemathesis, which sends generated requests, signed
by a small hook (v1 HMAC-SHA1 for Aliyun, SigV4 through botocore for AWS), and checks
that no answer is a 5xx and every answer conforms to its documented status, content type,
headers and schema."""

from __future__ import annotations

import json
import subprocess
import urllib.parse
import urllib.request

import pytest
import requests
import schemathesis
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error

from qkms_harness import AK_ID, AK_SECRET, QKMS_BIN, REPO, v1_params, v1_sign

REPORT_DIR = REPO / "target"

AWS_JSON = "application/x-amz-json-1.1"
# Examples per operation and generation mode: enough to reach every member's edge cases
# (hypothesis starts from them), few enough that both documents run in a couple of minutes.
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# The AWS dialect's media type is JSON.
schemathesis.serializer.alias(AWS_JSON, "application/json")


@schemathesis.deserializer(AWS_JSON)
def _aws_json(ctx, response):
    return json.loads(response.content)


class AliyunV1(requests.auth.AuthBase):
    """Signs a request whose parameters are all in the query, as the classic SDK does: the
    generated parameters, then fresh signature parameters (AccessKeyId, nonce, time)."""

    def __call__(self, r):
        url = urllib.parse.urlsplit(r.url)
        generated = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        generated.pop("Signature", None)
        signed = v1_params(generated.get("Action", ""), generated)
        fresh = v1_params("")
        for k in ("AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"):
            signed[k] = fresh[k]
        signed["Signature"] = v1_sign(r.method, signed)
        query = urllib.parse.urlencode(signed, quote_via=urllib.parse.quote)
        r.url = urllib.parse.urlunsplit((url.scheme, url.netloc, url.path, query, ""))
        return r


class SigV4(requests.auth.AuthBase):
    """Signs with botocore's own SigV4 signer, over the headers that matter."""

    def __call__(self, r):
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {k: v for k, v in r.headers.items() if k.lower() in ("content-type", "x-amz-target")}
        aws = AWSRequest(method=r.method, url=r.url, data=body, headers=headers)
        SigV4Auth(Credentials(AK_ID, AK_SECRET), "kms", "us-east-1").add_auth(aws)
        for name in ("Authorization", "X-Amz-Date"):
            r.headers[name] = aws.headers[name]
        return r


def fetch(server, dialect: str) -> dict:
    with urllib.request.urlopen(f"{server.base_url}/openapi/{dialect}.json", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("application/json")
        return json.loads(r.read())


@pytest.mark.parametrize("dialect", ["aliyun", "aws"])
def test_documents_are_valid_and_printed_as_served(server, dialect):
    served = fetch(server, dialect)
    printed = json.loads(
        subprocess.run([QKMS_BIN, "openapi", "--dialect", dialect], check=True, capture_output=True).stdout
    )
    assert served == printed
    validate(served)
    assert served["openapi"] == "3.1.0"
    # One operation per action, each under its own fragment with its discriminator pinned.
    for path, item in served["paths"].items():
        (method, op), = item.items()
        assert method == "post"
        if dialect == "aliyun":
            assert path == f"/#Action={op['operationId']}"
            action = next(p for p in op["parameters"] if p["name"] == "Action")
            assert action["in"] == "query" and action["required"]
            assert action["schema"]["enum"] == [op["operationId"]]
        elif path.startswith("/#secretsmanager."):
            # Secrets Manager shares the port; its IDs carry the target (TagResource is in both).
            assert path == f"/#{op['operationId']}"
            target = next(p for p in op["parameters"] if p["name"] == "X-Amz-Target")
            assert target["in"] == "header" and target["required"]
            assert target["schema"]["enum"] == [op["operationId"]]
        else:
            assert path == f"/#TrentService.{op['operationId']}"
            target = next(p for p in op["parameters"] if p["name"] == "X-Amz-Target")
            assert target["in"] == "header" and target["required"]
            assert target["schema"]["enum"] == [f"TrentService.{op['operationId']}"]
        assert "200" in op["responses"] and "400" in op["responses"]
        assert op["security"], path


def test_unknown_documents_are_not_found(server):
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{server.base_url}/openapi/nope.json", timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from qkms_harness import QkmsServer

    srv = QkmsServer(tmp_path_factory.mktemp("schemathesis"), ephemeral=True)
    srv.start()
    yield srv
    srv.stop()
    assert not srv.server_errors(), "the server answered 5xx or panicked:\n" + "\n".join(srv.server_errors())


def run_schemathesis(server, dialect: str, auth) -> dict:
    """Every operation, in both generation modes, `EXAMPLES` cases each; returns what was
    seen (and writes it to target/ for the closing report)."""
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi/{dialect}.json")
    session = requests.Session()
    session.auth = auth
    seen = {"operations": 0, "examples": 0, "statuses": {}}
    for result in schema.get_all_operations():
        operation = result.ok()
        seen["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.generate])
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                response = case.call(base_url=server.base_url, session=session, timeout=30)
                seen["examples"] += 1
                key = str(response.status_code)
                seen["statuses"][key] = seen["statuses"].get(key, 0) + 1
                case.validate_response(response, checks=CHECKS)

            check()
    REPORT_DIR.mkdir(exist_ok=True)
    (REPORT_DIR / f"schemathesis-{dialect}.json").write_text(json.dumps(seen, indent=1, sort_keys=True))
    return seen


def test_schemathesis_aliyun(live):
    seen = run_schemathesis(live, "aliyun", AliyunV1())
    assert seen["operations"] == len(fetch(live, "aliyun")["paths"])
    # Signed requests get past authentication: some succeed, the rest are refused for
    # their parameters, never for their signature.
    assert seen["statuses"].get("200", 0) > 0, seen


def test_schemathesis_aws(live):
    seen = run_schemathesis(live, "aws", SigV4())
    assert seen["operations"] == len(fetch(live, "aws")["paths"])
    assert seen["statuses"].get("200", 0) > 0, seen
