"""Concurrent SDK clients against one server: no 5xx, no lost updates, and of several
racing first imports with different material exactly one wins."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from qkms_harness import MODES, Byok, KmsError, make_caller, unb64


def test_concurrent_byok_clients(server_factory):
    srv = server_factory()

    def worker(i: int) -> str:
        kms = make_caller(srv, MODES[i % len(MODES)])
        byok = Byok(kms)
        spec = "Aliyun_SM4" if i % 2 else "Aliyun_AES_256"
        key_id, material = byok.imported_key(spec)
        context = {"worker": str(i)}
        blobs = [byok.encrypt(key_id, b"msg %d" % j, context)["CiphertextBlob"] for j in range(3)]
        dk = kms.call("GenerateDataKey", KeyId=key_id)
        kms.call("DeleteKeyMaterial", KeyId=key_id)
        byok.import_material(key_id, material, "RSAES_OAEP_SHA_1")
        kms.call("DisableKey", KeyId=key_id)
        kms.call("EnableKey", KeyId=key_id)
        for j, blob in enumerate(blobs):
            assert unb64(byok.decrypt(blob, context)["Plaintext"]) == b"msg %d" % j
        assert byok.decrypt(dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
        return key_id

    with ThreadPoolExecutor(max_workers=12) as pool:
        key_ids = list(pool.map(worker, range(24)))
    assert len(set(key_ids)) == 24
    listed = make_caller(srv, "tea_acs3").call("ListKeys", PageSize=100)
    assert listed["TotalCount"] == 24
    assert {k["KeyId"] for k in listed["Keys"]["Key"]} == set(key_ids)


def test_racing_first_imports_bind_one_material(server_factory):
    srv = server_factory()
    byok = Byok(make_caller(srv, "tea_acs3"))
    key_id = byok.create_external()
    params = [byok.params(key_id) for _ in range(8)]
    materials = [os.urandom(32) for _ in range(8)]

    def attempt(i: int):
        try:
            Byok(make_caller(srv, "tea_acs3")).import_material(key_id, materials[i], params=params[i])
            return i
        except KmsError as e:
            return e.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(8)))
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    assert sorted(r for r in results if not isinstance(r, int)) == ["InvalidKeyMaterial"] * 7
    # The winner's material is the bound one.
    byok.import_material(key_id, materials[winners[0]])
    for i in range(8):
        if i != winners[0]:
            try:
                byok.import_material(key_id, materials[i])
            except KmsError as e:
                assert e.code == "InvalidKeyMaterial"
            else:
                raise AssertionError("a losing material was accepted on re-import")
