"""The PyPI `aws-secretsmanager-caching` client against qkms.

The cache reads DescribeSecret (VersionIdsToStages) to find the version of a stage, then
GetSecretValue(VersionId=...) once per version, and refreshes the description after
`secret_refresh_interval` seconds (a random time between half of it and all of it)."""

from __future__ import annotations

import os
import time
import uuid

import boto3
import pytest
from aws_secretsmanager_caching import SecretCache, SecretCacheConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from qkms_harness import AK_ID, AK_SECRET, make_caller

REGION = "us-east-1"


def sm_client(server):
    return boto3.client("secretsmanager", endpoint_url=server.base_url, region_name=REGION,
                        aws_access_key_id=AK_ID, aws_secret_access_key=AK_SECRET,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def name() -> str:
    return f"cache-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def sm(server):
    return sm_client(server)


def test_startup_read_and_refresh_after_interval(sm):
    n, v1, v2 = name(), "first-" + uuid.uuid4().hex, "second-" + uuid.uuid4().hex
    sm.create_secret(Name=n, SecretString=v1)
    cache = SecretCache(config=SecretCacheConfig(secret_refresh_interval=1), client=sm)
    assert cache.get_secret_string(n) == v1
    sm.put_secret_value(SecretId=n, SecretString=v2)
    # After the refresh interval (at most 1 s) the cache sees the new AWSCURRENT.
    time.sleep(1.5)
    assert cache.get_secret_string(n) == v2
    # The previous version through its stage.
    assert cache.get_secret_string(n, "AWSPREVIOUS") == v1


def test_cache_serves_cached_value_until_refresh(sm):
    n, v1, v2 = name(), "first-" + uuid.uuid4().hex, "second-" + uuid.uuid4().hex
    sm.create_secret(Name=n, SecretString=v1)
    cache = SecretCache(config=SecretCacheConfig(secret_refresh_interval=3600), client=sm)
    assert cache.get_secret_string(n) == v1
    sm.put_secret_value(SecretId=n, SecretString=v2)
    assert cache.get_secret_string(n) == v1
    assert cache.refresh_secret_now(n) is True
    assert cache.get_secret_string(n) == v2


def test_get_secret_binary(sm):
    n, blob = name(), os.urandom(48)
    sm.create_secret(Name=n, SecretBinary=blob)
    cache = SecretCache(config=SecretCacheConfig(secret_refresh_interval=1), client=sm)
    assert cache.get_secret_binary(n) == blob
    assert cache.get_secret_string(n) is None
    blob2 = os.urandom(48)
    sm.put_secret_value(SecretId=n, SecretBinary=blob2)
    time.sleep(1.5)
    assert cache.get_secret_binary(n) == blob2


def test_aliyun_made_secret_through_the_cache(server, sm):
    n, v = name(), "ali-" + uuid.uuid4().hex
    make_caller(server, "tea_acs3").call("CreateSecret", SecretName=n, VersionId=str(uuid.uuid4()), SecretData=v)
    cache = SecretCache(config=SecretCacheConfig(secret_refresh_interval=1), client=sm)
    assert cache.get_secret_string(n) == v


def test_missing_secret_error(sm):
    cache = SecretCache(config=SecretCacheConfig(secret_refresh_interval=1), client=sm)
    with pytest.raises(ClientError) as e:
        cache.get_secret_string(name())
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # A secret that exists but has no version: the cache finds no AWSCURRENT and answers None.
    n = name()
    sm.create_secret(Name=n, Description="no value yet")
    assert cache.get_secret_string(n) is None
