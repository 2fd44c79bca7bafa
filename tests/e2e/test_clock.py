"""Time-dependent BYOK behaviour, driven by the admin clock (no sleeps).

Each test gets its own server with a fixed KMS clock, so moving the clock never
disturbs other tests. Signature timestamps keep using the real clock."""

from __future__ import annotations

import json
import os

import pytest

from qkms_harness import (
    ADMIN_SECRET,
    MODES,
    Byok,
    KmsError,
    expect_error,
    iso,
    make_caller,
    parse_iso,
    unb64,
    wrap,
)

START = "2030-01-01T00:00:00Z"
START_EPOCH = 1893456000
CONTEXT = {"purpose": "clock"}


@pytest.fixture
def clock_server(server_factory):
    return server_factory(ephemeral=True, clock=f"fixed:{START}")


def test_admin_clock_endpoint(clock_server):
    now = clock_server.clock()
    assert now["Now"] == START and now["Epoch"] == START_EPOCH
    assert clock_server.clock(advance="25h")["Epoch"] == START_EPOCH + 25 * 3600
    assert clock_server.clock(advance_seconds=90)["Epoch"] == START_EPOCH + 25 * 3600 + 90
    assert clock_server.clock(advance="2d")["Epoch"] == START_EPOCH + 25 * 3600 + 90 + 2 * 86400
    assert clock_server.clock(advance="1m")["Epoch"] == START_EPOCH + 25 * 3600 + 150 + 2 * 86400
    got = clock_server.clock(set="2031-06-01T12:00:00Z")
    assert got["Now"] == "2031-06-01T12:00:00Z"
    assert parse_iso(got["Now"]) == got["Epoch"]
    # A fixed clock does not move by itself.
    assert clock_server.clock()["Epoch"] == got["Epoch"]


def test_clock_governs_creation_dates(clock_server):
    kms = make_caller(clock_server, "tea_acs3")
    meta = kms.call("CreateKey", Origin="EXTERNAL")["KeyMetadata"]
    assert meta["CreationDate"] == START
    clock_server.clock(advance="3d")
    meta2 = kms.call("CreateKey")["KeyMetadata"]
    assert meta2["CreationDate"] == iso(START_EPOCH + 3 * 86400)


@pytest.mark.parametrize("token", [None, "", "wrong-secret", ADMIN_SECRET + "x"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_admin_endpoint_requires_bearer_token(clock_server, token, method):
    body = {"advance": "25h"} if method == "POST" else None
    if token is None:
        status, _, raw = clock_server.admin_request(method, "/_qkms/clock", body, token=None)
    else:
        status, _, raw = clock_server.admin_request(method, "/_qkms/clock", body, token=token)
    assert status in (401, 403), (status, raw)
    assert b"Epoch" not in raw
    # The refused POST did not move the clock.
    assert clock_server.clock()["Epoch"] == START_EPOCH


def test_admin_endpoint_rejects_other_auth_schemes(clock_server):
    import base64
    import http.client

    for header in (f"Basic {base64.b64encode(ADMIN_SECRET.encode()).decode()}", ADMIN_SECRET,
                   f"bearer{ADMIN_SECRET}"):
        conn = http.client.HTTPConnection(clock_server.host, clock_server.port, timeout=10)
        conn.request("POST", "/_qkms/clock", body=json.dumps({"advance": "1h"}),
                     headers={"Authorization": header, "Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        assert resp.status in (401, 403), header
    assert clock_server.clock()["Epoch"] == START_EPOCH


def test_admin_endpoint_absent_without_flag(server_factory):
    srv = server_factory(ephemeral=True, admin=None)
    for token in (None, ADMIN_SECRET):
        status, _, raw = srv.admin_request("GET", "/_qkms/clock", token=token)
        assert status in (401, 403, 404), (status, raw)
        assert b"Epoch" not in raw
        status, _, raw = srv.admin_request("POST", "/_qkms/clock", {"advance": "25h"}, token=token)
        assert status in (401, 403, 404), (status, raw)


@pytest.mark.parametrize("mode", MODES)
def test_material_expiry_and_restore(clock_server, mode):
    kms = make_caller(clock_server, mode)
    byok = Byok(kms)
    key_id = byok.create_external("Aliyun_AES_256")
    params = byok.params(key_id)
    material = os.urandom(32)
    expire = START_EPOCH + 3600
    byok.import_material(key_id, material, expire_unix=expire, params=params)
    meta = byok.describe(key_id)
    assert meta["KeyState"] == "Enabled"
    assert meta["MaterialExpireTime"] == iso(expire) == "2030-01-01T01:00:00Z"

    blob = byok.encrypt(key_id, b"expiring", CONTEXT)["CiphertextBlob"]
    dk = kms.call("GenerateDataKey", KeyId=key_id)

    # One second before the expiry the key still works.
    clock_server.clock(set=iso(expire - 1))
    assert byok.describe(key_id)["KeyState"] == "Enabled"
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"expiring"

    # From the expiry second on, the material is gone.
    clock_server.clock(advance_seconds=1)
    meta = byok.describe(key_id)
    assert meta["KeyState"] == "PendingImport"
    assert meta["MaterialExpireTime"] == ""
    expect_error(byok.encrypt, key_id, b"x", code="Rejected.PendingImport", status=409)
    expect_error(byok.decrypt, blob, CONTEXT, code="Rejected.PendingImport", status=409)
    expect_error(kms.call, "GenerateDataKey", KeyId=key_id, code="Rejected.PendingImport", status=409)

    # Still bound to the first material.
    expect_error(byok.import_material, key_id, os.urandom(32), params=params,
                 code="InvalidKeyMaterial", status=400)
    # A second before now is in the past.
    expect_error(byok.import_material, key_id, material, expire_unix=expire - 1, params=params,
                 code="InvalidParameter", status=400)

    # Same material again (the token is still valid: 1 h < 24 h) restores the key.
    byok.import_material(key_id, material, expire_unix=0, params=params)
    meta = byok.describe(key_id)
    assert meta["KeyState"] == "Enabled"
    assert meta["MaterialExpireTime"] == ""
    assert unb64(byok.decrypt(blob, CONTEXT)["Plaintext"]) == b"expiring"
    assert byok.decrypt(dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    # Never expires now.
    clock_server.clock(advance="3650d")
    assert byok.describe(key_id)["KeyState"] == "Enabled"


def test_material_expiry_listed_and_sweeper(clock_server):
    """Expiry is visible through ListKeys filters as well, and a second expiry works again."""
    kms = make_caller(clock_server, "tea_acs3")
    byok = Byok(kms)
    key_id = byok.create_external("Aliyun_SM4")
    other = byok.create_external("Aliyun_SM4")
    material = os.urandom(16)
    byok.import_material(key_id, material, expire_unix=START_EPOCH + 60)
    byok.import_material(other, os.urandom(16), expire_unix=START_EPOCH + 86400)
    clock_server.clock(advance="2m")
    pending = kms.call("ListKeys", PageSize=100,
                       Filters=json.dumps([{"Key": "KeyState", "Values": ["PendingImport"]}]))
    ids = {k["KeyId"] for k in pending["Keys"]["Key"]}
    assert key_id in ids and other not in ids
    # Re-import with a new expiry, and let it expire a second time.
    byok.import_material(key_id, material, expire_unix=START_EPOCH + 600)
    assert parse_iso(byok.describe(key_id)["MaterialExpireTime"]) == START_EPOCH + 600
    clock_server.clock(set=iso(START_EPOCH + 600))
    assert byok.describe(key_id)["KeyState"] == "PendingImport"
    assert byok.describe(other)["KeyState"] == "Enabled"


@pytest.mark.parametrize("mode", MODES)
def test_import_token_expiry(clock_server, mode):
    kms = make_caller(clock_server, mode)
    byok = Byok(kms)
    key_id = byok.create_external("Aliyun_AES_256")
    params = byok.params(key_id)
    assert params["TokenExpireTime"] == iso(START_EPOCH + 86400)
    material = os.urandom(32)
    wrapped = wrap(material, params["PublicKey"], "RSAES_OAEP_SHA_256")

    clock_server.clock(advance="25h")
    expect_error(kms.call, "ImportKeyMaterial", KeyId=key_id, ImportToken=params["ImportToken"],
                 EncryptedKeyMaterial=wrapped, KeyMaterialExpireUnix=0, code="ExpiredImportToken", status=400)
    assert byok.describe(key_id)["KeyState"] == "PendingImport"

    # A fresh token works, and its expiry follows the KMS clock.
    fresh = byok.params(key_id)
    assert fresh["TokenExpireTime"] == iso(START_EPOCH + 25 * 3600 + 86400)
    byok.import_material(key_id, material, params=fresh)
    assert byok.describe(key_id)["KeyState"] == "Enabled"


def test_import_token_valid_just_before_24h(clock_server):
    kms = make_caller(clock_server, "tea_acs3")
    byok = Byok(kms)
    key_id = byok.create_external()
    params = byok.params(key_id)
    clock_server.clock(advance_seconds=24 * 3600 - 1)
    material = os.urandom(32)
    byok.import_material(key_id, material, params=params)
    assert byok.describe(key_id)["KeyState"] == "Enabled"
    # Well past 24 hours, the same token is refused even for a re-import of the same material.
    clock_server.clock(advance="2d")
    expect_error(byok.import_material, key_id, material, params=params, code="ExpiredImportToken", status=400)
    assert byok.describe(key_id)["KeyState"] == "Enabled"


def test_expiry_in_the_past_follows_kms_clock(clock_server):
    """'In the past' means before the KMS clock, not the wall clock (which is years earlier)."""
    kms = make_caller(clock_server, "tea_acs3")
    byok = Byok(kms)
    key_id = byok.create_external()
    import time

    wall_future = int(time.time()) + 3600  # in the future for the wall clock, past for the KMS clock (2030)
    assert wall_future < START_EPOCH
    expect_error(byok.import_material, key_id, os.urandom(32), expire_unix=wall_future,
                 code="InvalidParameter", status=400)
    byok.import_material(key_id, os.urandom(32), expire_unix=START_EPOCH + 10)
    assert byok.describe(key_id)["KeyState"] == "Enabled"


def test_expiry_equal_to_now_is_not_a_silent_success(clock_server):
    """An import either succeeds and leaves the key Enabled (PendingImport -> Enabled), or is
    refused. KeyMaterialExpireUnix equal to the current KMS second would expire "from that
    second on", i.e. immediately, so it must be refused as InvalidParameter rather than
    answer 200 and leave the key in PendingImport."""
    kms = make_caller(clock_server, "tea_acs3")
    byok = Byok(kms)
    key_id = byok.create_external()
    now = clock_server.now()
    try:
        byok.import_material(key_id, os.urandom(32), expire_unix=now)
    except KmsError as e:
        assert (e.code, e.status) == ("InvalidParameter", 400), e
        assert byok.describe(key_id)["KeyState"] == "PendingImport"
        # Nothing was bound: other material with a future expiry imports fine.
        byok.import_material(key_id, os.urandom(32), expire_unix=now + 1)
        assert byok.describe(key_id)["KeyState"] == "Enabled"
    else:
        meta = byok.describe(key_id)
        assert meta["KeyState"] == "Enabled", f"ImportKeyMaterial answered 200 but the key is {meta['KeyState']}"
