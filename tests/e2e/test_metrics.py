"""GET /metrics: the page parses with prometheus-client's text parser, and its counters
move as requests are made (requests by dialect, action and code; denials; keys by state;
latency; the nonce cache)."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from qkms_harness import AK_ID, AK_SECRET, expect_error, make_caller

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}]})


def scrape(srv) -> dict:
    with urllib.request.urlopen(srv.base_url + "/metrics", timeout=10) as r:
        assert r.status == 200
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counters_move_and_the_page_parses(server_factory, tmp_path):
    config = tmp_path / "qkms.toml"
    config.write_text('[[principals]]\nname = "viewer"\naccess_keys = ["AKVIEW:view-secret"]\n'
                      f"policies = [{json.dumps(POLICY)}]\n")
    srv = server_factory(extra_args=("--config", str(config)))
    before = scrape(srv)
    aws = boto3.client("kms", endpoint_url=srv.base_url, region_name="us-east-1", aws_access_key_id=AK_ID,
                       aws_secret_access_key=AK_SECRET, config=Config(retries={"max_attempts": 1}))
    key = aws.create_key()["KeyMetadata"]["KeyId"]
    aws.disable_key(KeyId=key)
    for _ in range(3):
        aws.describe_key(KeyId=key)
    viewer = boto3.client("kms", endpoint_url=srv.base_url, region_name="us-east-1", aws_access_key_id="AKVIEW",
                          aws_secret_access_key="view-secret", config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError):
        viewer.enable_key(KeyId=key)
    ali = make_caller(srv, "tea_acs3")
    expect_error(ali.call, "DescribeKey", KeyId="00000000-0000-4000-8000-0000000000ff",
                 code="Forbidden.KeyNotFound", status=404)
    after = scrape(srv)
    req = "qkms_requests_total"
    assert value(after, req, dialect="aws", action="DescribeKey", code="") - \
        value(before, req, dialect="aws", action="DescribeKey", code="") == 3
    assert value(after, req, dialect="aws", action="CreateKey", code="") == 1
    assert value(after, req, dialect="aws", action="EnableKey", code="AccessDeniedException") == 1
    assert value(after, req, dialect="aliyun", action="DescribeKey", code="Forbidden.KeyNotFound") == 1
    assert value(after, "qkms_denials_total", dialect="aws", action="EnableKey") == 1
    assert value(after, "qkms_request_duration_seconds_count", dialect="aws", action="DescribeKey") == 3
    assert value(after, "qkms_keys", state="Disabled") == 1
    assert value(after, "qkms_nonce_cache_entries") >= 1  # the Tea SDK's ACS3 nonce
    assert value(after, "qkms_requests_in_flight") == 0
    assert ("qkms_rsa_pool_ready", ()) in after
    assert value(after, "qkms_store_errors_total") == 0
