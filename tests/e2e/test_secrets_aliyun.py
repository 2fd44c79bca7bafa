"""Aliyun KMS Secrets Manager actions (issue 13) through the official Python SDKs: the Tea
SDK (`alibabacloud-kms20160120`, ACS3 and v1 signing) and the classic SDK
(`aliyun-python-sdk-kms`), with raw v1-signed calls for what an SDK lacks
(BatchGetSecretValue in classic 2.16.5, ListResourceTags with SecretName) and for wire
shapes (bare arrays, integer fields, Format=XML).

The oracle is the secrets contract of issue 13 and the fact sheet
`shared/reference/aliyun-kms-secrets.md` (sections cited as "sheet §N")."""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
import xml.etree.ElementTree as ET

import pytest

from qkms_harness import ACCOUNT, REGION, KmsError, expect_error, iso, make_caller, parse_iso, v1_call

SECRET_MODES = ["tea_acs3", "tea_v1", "classic"]
START = "2030-01-01T00:00:00Z"
START_EPOCH = 1893456000
DAY = 86_400
PASSWORD_RE = re.compile(r"^[A-Za-z0-9]{32}$")


# --------------------------------------------------------------------------- helpers


@pytest.fixture(params=SECRET_MODES)
def smode(request) -> str:
    return request.param


@pytest.fixture
def sk(server, smode):
    """A caller over the shared server (real clock) in one of the three SDK modes."""
    return make_caller(server, smode)


@pytest.fixture
def clocked(server_factory):
    """A server of its own whose KMS clock starts fixed at START (moved with .clock())."""
    return server_factory(ephemeral=True, clock=f"fixed:{START}")


def uniq(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"acs:kms:{region}:{account}:secret/{name}"


def stages(item: dict) -> list[str]:
    """The labels of a version item (GetSecretValue, PutSecretValue, ListSecretVersionIds)."""
    vs = item.get("VersionStages")
    if vs in (None, ""):
        return []
    assert isinstance(vs, dict) and set(vs) <= {"VersionStage"}, f"wrapped VersionStages expected: {vs!r}"
    got = vs.get("VersionStage") or []
    assert isinstance(got, list), vs
    return sorted(got)


def versions(kms, name: str) -> dict[str, list[str]]:
    """{VersionId: sorted labels} of every version, unlabelled ones too."""
    body = kms.call("ListSecretVersionIds", SecretName=name, IncludeDeprecated="true", PageSize=100)
    items = body["VersionIds"]["VersionId"]
    assert body["TotalCount"] == len(items), body
    return {v["VersionId"]: stages(v) for v in items}


def create(kms, name: str, data: str = "value-1", version: str = "v1", **extra) -> dict:
    return kms.call("CreateSecret", SecretName=name, VersionId=version, SecretData=data, **extra)


def put(kms, name: str, version: str, data: str | None = None, **extra) -> dict:
    return kms.call("PutSecretValue", SecretName=name, VersionId=version,
                    SecretData=data if data is not None else f"data-of-{version}", **extra)


def raw(server, action: str, fmt: str = "JSON", **params):
    """A v1-signed request with every parameter in the query; returns the RawResponse."""
    return v1_call(server, action, {k: str(v) for k, v in params.items()}, fmt=fmt)


def raw_ok(server, action: str, **params) -> dict:
    resp = raw(server, action, **params)
    assert resp.status == 200, resp
    assert resp.content_type.startswith("application/json"), resp
    return resp.json()


def raw_error(server, action: str, code: str, status: int, **params) -> dict:
    resp = raw(server, action, **params)
    assert resp.status == status, resp
    body = resp.json()
    assert body["Code"] == code, body
    assert body["RequestId"] and "Message" in body, body
    return body


def not_found(fn, *args, **kwargs) -> KmsError:
    e = expect_error(fn, *args, code="Forbidden.ResourceNotFound", status=404, **kwargs)
    assert "Resource not found" in e.message, e
    return e


def in_delete_window(fn, *args, **kwargs) -> KmsError:
    e = expect_error(fn, *args, code="Rejected.ResourceInDeleteWindow", status=409, **kwargs)
    assert "secret in delete peroid" in e.message, e
    return e


def custom_data_params(mode: str, data: dict) -> dict:
    """UpdateSecret's ExtendedConfig.CustomData as each SDK sends it (sheet §3)."""
    if mode == "classic":
        return {"ExtendedConfigCustomData": json.dumps(data)}
    return {"ExtendedConfig": {"CustomData": data}}


# --------------------------------------------------------------------------- CreateSecret / DescribeSecret / GetSecretValue


def test_create_text_secret_describe_and_get(sk):
    name = uniq("text")
    data = json.dumps({"user": "app", "password": "pw v1"})
    tags = json.dumps([{"TagKey": "env", "TagValue": "test"}, {"TagKey": "team", "TagValue": "kms"}])
    made = create(sk, name, data, "v1", Description="app db", Tags=tags)
    assert made["Arn"] == arn(name)
    assert (made["SecretName"], made["SecretType"], made["VersionId"]) == (name, "Generic", "v1")
    assert made["RequestId"]
    # A Generic secret without rotation: none of the managed-type fields (sheet §4, §9).
    for absent in ("AutomaticRotation", "RotationInterval", "NextRotationDate", "ExtendedConfig"):
        assert absent not in made, made

    meta = sk.call("DescribeSecret", SecretName=name)
    assert meta["Arn"] == arn(name) and meta["SecretName"] == name
    assert meta["SecretType"] == "Generic"
    assert meta["Description"] == "app db"
    parse_iso(meta["CreateTime"])
    parse_iso(meta["UpdateTime"])
    # Default key: no EncryptionKeyId; not pending: no PlannedDeleteTime; no FetchTags: no Tags.
    for absent in ("EncryptionKeyId", "PlannedDeleteTime", "Tags", "AutomaticRotation"):
        assert absent not in meta, meta
    tagged = sk.call("DescribeSecret", SecretName=name, FetchTags="true")
    assert sorted((t["TagKey"], t["TagValue"]) for t in tagged["Tags"]["Tag"]) == [("env", "test"), ("team", "kms")]

    got = sk.call("GetSecretValue", SecretName=name)
    assert got["SecretName"] == name
    assert got["SecretData"] == data
    assert got["SecretDataType"] == "text"
    assert got["SecretType"] == "Generic"
    assert got["VersionId"] == "v1"
    assert stages(got) == ["ACSCurrent"]
    parse_iso(got["CreateTime"])
    # FetchExtendedConfig is ignored for Generic secrets: no ExtendedConfig (sheet §4).
    ext = sk.call("GetSecretValue", SecretName=name, FetchExtendedConfig=True)
    assert "ExtendedConfig" not in ext and ext["SecretData"] == data

    # The ARN is accepted as the name, and replies carry the plain name.
    by_arn = sk.call("GetSecretValue", SecretName=arn(name))
    assert (by_arn["SecretName"], by_arn["SecretData"]) == (name, data)
    assert sk.call("DescribeSecret", SecretName=arn(name))["SecretName"] == name

    e = expect_error(create, sk, name, "other", "v9", code="Rejected.ResourceExist", status=409)
    assert sk.call("GetSecretValue", SecretName=name)["SecretData"] == data, e


def test_create_binary_secret(sk):
    name = uniq("bin")
    data = base64.b64encode(os.urandom(48)).decode()
    made = create(sk, name, data, "b1", SecretDataType="binary")
    assert made["VersionId"] == "b1"
    got = sk.call("GetSecretValue", SecretName=name)
    assert (got["SecretData"], got["SecretDataType"]) == (data, "binary")
    # PutSecretValue of a text version on the same secret keeps each version's own type.
    put(sk, name, "t2", "plain text", SecretDataType="text")
    assert sk.call("GetSecretValue", SecretName=name)["SecretDataType"] == "text"
    back = sk.call("GetSecretValue", SecretName=name, VersionId="b1")
    assert (back["SecretData"], back["SecretDataType"]) == (data, "binary")
    expect_error(create, sk, uniq("bin"), "x", "v1", SecretDataType="blob", code="InvalidParameter", status=400)


def test_create_secret_encryption_key(sk):
    key_id = sk.call("CreateKey", Description="secrets key")["KeyMetadata"]["KeyId"]
    alias = f"alias/{uniq('seckey')}"
    sk.call("CreateAlias", AliasName=alias, KeyId=key_id)
    key_arn = f"acs:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    # A secret on the default key first: the service key is made on first use.
    plain = uniq("enc")
    create(sk, plain, "default key")
    assert "EncryptionKeyId" not in sk.call("DescribeSecret", SecretName=plain)
    for ref in (alias, key_id, key_arn):
        name = uniq("enc")
        create(sk, name, "secret under my key", EncryptionKeyId=ref)
        meta = sk.call("DescribeSecret", SecretName=name)
        assert meta["EncryptionKeyId"] == key_id, (ref, meta)
        assert sk.call("GetSecretValue", SecretName=name)["SecretData"] == "secret under my key"
    # The default key is a service key reachable through alias/acs/secretsmanager.
    default = sk.call("DescribeKey", KeyId="alias/acs/secretsmanager")["KeyMetadata"]
    assert (default["KeyUsage"], default["KeyState"]) == ("ENCRYPT/DECRYPT", "Enabled")

    expect_error(create, sk, uniq("enc"), "x", EncryptionKeyId=str(uuid.uuid4()),
                 code="Forbidden.KeyNotFound", status=404)
    signing = sk.call("CreateKey", KeySpec="EC_P256", KeyUsage="SIGN/VERIFY")["KeyMetadata"]["KeyId"]
    name = uniq("enc")
    expect_error(create, sk, name, "x", EncryptionKeyId=signing, code="InvalidParameter", status=400)
    not_found(sk.call, "DescribeSecret", SecretName=name)


def test_secret_name_and_value_rules(sk):
    for name in (uniq("A-z0_9/+=.@"), "n" * 182 + uuid.uuid4().hex[:10]):
        assert create(sk, name, "ok")["SecretName"] == name
    for bad in ["acs/" + uniq(), uniq("bad name"), "x" * 193, uniq("ümlaut"), uniq("semi;colon")]:
        expect_error(create, sk, bad, "x", code="InvalidParameter", status=400)
    expect_error(create, sk, uniq(), "x", SecretType="Rds", code="InvalidParameter", status=400)
    expect_error(create, sk, uniq(), "x", SecretType="Unknown", code="InvalidParameter", status=400)
    assert create(sk, uniq(), "x", SecretType="Generic")["SecretType"] == "Generic"
    expect_error(create, sk, uniq(), "x", "v" * 65, code="InvalidParameter", status=400)
    assert create(sk, uniq(), "x", "v" * 64)["VersionId"] == "v" * 64
    # SecretData at most 30720 bytes.
    assert create(sk, uniq("big"), "a" * 30720)["VersionId"] == "v1"
    expect_error(create, sk, uniq("big"), "a" * 30721, code="InvalidParameter", status=400)
    # Tags: JSON array, no aliyun / acs: prefixes.
    expect_error(create, sk, uniq(), "x", Tags="not json", code="InvalidParameter", status=400)
    expect_error(create, sk, uniq(), "x", Tags=json.dumps([{"TagKey": "aliyun-x", "TagValue": "1"}]),
                 code="InvalidParameter", status=400)
    expect_error(create, sk, uniq(), "x", Tags=json.dumps([{"TagKey": "acs:x", "TagValue": "1"}]),
                 code="InvalidParameter", status=400)
    # Rotation interval without EnableAutomaticRotation.
    expect_error(create, sk, uniq(), "x", RotationInterval="7d", code="InvalidParameter", status=400)


def test_required_parameters_raw(server):
    name = uniq("raw")
    raw_error(server, "CreateSecret", "MissingParameter", 400, SecretName=name, SecretData="x")
    raw_error(server, "CreateSecret", "MissingParameter", 400, SecretName=name, VersionId="v1")
    raw_error(server, "CreateSecret", "MissingParameter", 400, VersionId="v1", SecretData="x")
    raw_error(server, "GetSecretValue", "MissingParameter", 400)
    raw_error(server, "DescribeSecret", "MissingParameter", 400)
    body = raw_ok(server, "CreateSecret", SecretName=name, VersionId="v1", SecretData="x")
    assert body["SecretName"] == name
    raw_error(server, "PutSecretValue", "MissingParameter", 400, SecretName=name, SecretData="y")
    raw_error(server, "RotateSecret", "MissingParameter", 400, SecretName=name)
    raw_error(server, "UpdateSecretVersionStage", "MissingParameter", 400, SecretName=name, MoveToVersion="v1")


def test_get_secret_value_selection(sk):
    name = uniq("get")
    create(sk, name, "one", "v1")
    put(sk, name, "v2", "two")
    cur = sk.call("GetSecretValue", SecretName=name)
    assert (cur["VersionId"], cur["SecretData"], stages(cur)) == ("v2", "two", ["ACSCurrent"])
    prev = sk.call("GetSecretValue", SecretName=name, VersionId="v1")
    assert (prev["VersionId"], prev["SecretData"], stages(prev)) == ("v1", "one", ["ACSPrevious"])
    by_stage = sk.call("GetSecretValue", SecretName=name, VersionStage="ACSPrevious")
    assert (by_stage["VersionId"], by_stage["SecretData"]) == ("v1", "one")
    both = sk.call("GetSecretValue", SecretName=name, VersionId="v2", VersionStage="ACSCurrent")
    assert both["SecretData"] == "two"
    expect_error(sk.call, "GetSecretValue", SecretName=name, VersionId="v1", VersionStage="ACSCurrent",
                 code="InvalidParameter", status=400)
    not_found(sk.call, "GetSecretValue", SecretName=name, VersionId="nope")
    not_found(sk.call, "GetSecretValue", SecretName=name, VersionStage="NoSuchLabel")
    # Labels are case-sensitive.
    not_found(sk.call, "GetSecretValue", SecretName=name, VersionStage="acscurrent")
    not_found(sk.call, "GetSecretValue", SecretName=uniq("missing"))
    not_found(sk.call, "GetSecretValue", SecretName=arn(name, region="cn-shanghai"))
    not_found(sk.call, "GetSecretValue", SecretName=arn(name, account="9999999999999999"))
    expect_error(sk.call, "GetSecretValue", SecretName=name, DryRun="true", code="DryRunOperationError", status=400)


# --------------------------------------------------------------------------- PutSecretValue and stages


def test_put_secret_value_stage_rules(sk):
    name = uniq("put")
    create(sk, name, "d1", "v1")
    assert versions(sk, name) == {"v1": ["ACSCurrent"]}

    # Rule 4: without VersionStages the new version is ACSCurrent, the old one ACSPrevious.
    r2 = put(sk, name, "v2", "d2")
    assert (r2["SecretName"], r2["VersionId"], stages(r2)) == (name, "v2", ["ACSCurrent"])
    assert versions(sk, name) == {"v1": ["ACSPrevious"], "v2": ["ACSCurrent"]}
    put(sk, name, "v3", "d3")
    assert versions(sk, name) == {"v1": [], "v2": ["ACSPrevious"], "v3": ["ACSCurrent"]}
    # The unlabelled version is hidden by default and still readable by VersionId.
    listed = sk.call("ListSecretVersionIds", SecretName=name)
    assert sorted(v["VersionId"] for v in listed["VersionIds"]["VersionId"]) == ["v2", "v3"]
    assert sk.call("GetSecretValue", SecretName=name, VersionId="v1")["SecretData"] == "d1"

    # Rule 5: with VersionStages (JSON array) the new version gets exactly those labels;
    # ACSCurrent and ACSPrevious stay where they are.
    r4 = put(sk, name, "v4", "d4", VersionStages=json.dumps(["MyPending"]))
    assert (r4["VersionId"], stages(r4)) == ("v4", ["MyPending"])
    assert versions(sk, name) == {"v1": [], "v2": ["ACSPrevious"], "v3": ["ACSCurrent"], "v4": ["MyPending"]}
    assert sk.call("GetSecretValue", SecretName=name)["VersionId"] == "v3"
    # The object form {"VersionStage":[...]}; a label moves from wherever it was.
    r5 = put(sk, name, "v5", "d5", VersionStages=json.dumps({"VersionStage": ["MyPending", "Other"]}))
    assert stages(r5) == ["MyPending", "Other"]
    assert versions(sk, name) == {"v1": [], "v2": ["ACSPrevious"], "v3": ["ACSCurrent"], "v4": [],
                                  "v5": ["MyPending", "Other"]}
    assert sk.call("GetSecretValue", SecretName=name, VersionStage="MyPending")["SecretData"] == "d5"
    # ACSCurrent listed: rule 4's ACSPrevious shift applies.
    r6 = put(sk, name, "v6", "d6", VersionStages=json.dumps(["ACSCurrent"]))
    assert stages(r6) == ["ACSCurrent"]
    after6 = {"v1": [], "v2": [], "v3": ["ACSPrevious"], "v4": [], "v5": ["MyPending", "Other"],
              "v6": ["ACSCurrent"]}
    assert versions(sk, name) == after6

    # Rule 6: the same VersionId with the same data succeeds and changes nothing.
    again = put(sk, name, "v6", "d6", VersionStages=json.dumps(["ACSCurrent"]))
    assert (again["VersionId"], stages(again)) == ("v6", ["ACSCurrent"])
    assert versions(sk, name) == after6
    again = put(sk, name, "v6", "d6")
    assert (again["VersionId"], stages(again)) == ("v6", ["ACSCurrent"])
    assert versions(sk, name) == after6
    # ...with other data it is refused.
    expect_error(put, sk, name, "v6", "different", code="Rejected.ResourceExist", status=409)
    expect_error(put, sk, name, "v1", "not d1", code="Rejected.ResourceExist", status=409)
    assert versions(sk, name) == after6
    assert sk.call("GetSecretValue", SecretName=name)["SecretData"] == "d6"

    expect_error(put, sk, name, "v7", "d7", VersionStages="not json", code="InvalidParameter", status=400)
    assert "v7" not in versions(sk, name)
    not_found(put, sk, uniq("missing"), "v1", "x")
    # The ARN is accepted; the reply has the plain name.
    assert put(sk, arn(name), "v8", "d8")["SecretName"] == name


def test_ten_versions_at_most(sk):
    name = uniq("ten")
    create(sk, name, "d0", "v0")
    for i in range(1, 10):
        put(sk, name, f"v{i}", f"d{i}")
    assert len(versions(sk, name)) == 10
    # An 11th drops the oldest unlabelled version (v0).
    put(sk, name, "v10", "d10")
    got = versions(sk, name)
    assert len(got) == 10 and "v0" not in got and got["v10"] == ["ACSCurrent"] and got["v9"] == ["ACSPrevious"]
    not_found(sk.call, "GetSecretValue", SecretName=name, VersionId="v0")

    # Every version labelled: the 11th is refused and nothing changes.
    full = uniq("full")
    create(sk, full, "c0", "c0")
    for i in range(1, 10):
        put(sk, full, f"c{i}", f"c{i}", VersionStages=json.dumps([f"L{i}"]))
    before = versions(sk, full)
    assert len(before) == 10 and all(before.values()), before
    expect_error(put, sk, full, "c10", "c10", code="Rejected.LimitExceeded", status=400)
    assert versions(sk, full) == before


def test_update_secret_version_stage(sk):
    name = uniq("stage")
    create(sk, name, "d1", "v1")
    put(sk, name, "v2", "d2", VersionStages=json.dumps(["Custom"]))
    put(sk, name, "v3", "d3")
    assert versions(sk, name) == {"v1": ["ACSPrevious"], "v2": ["Custom"], "v3": ["ACSCurrent"]}

    # (a) MoveToVersion alone attaches the label and removes it from the other version.
    reply = sk.call("UpdateSecretVersionStage", SecretName=name, VersionStage="Custom", MoveToVersion="v1")
    assert reply["SecretName"] == name and reply["RequestId"]
    assert versions(sk, name) == {"v1": ["ACSPrevious", "Custom"], "v2": [], "v3": ["ACSCurrent"]}
    # (b) RemoveFromVersion removes a custom label...
    sk.call("UpdateSecretVersionStage", SecretName=name, VersionStage="Custom", RemoveFromVersion="v1")
    assert versions(sk, name) == {"v1": ["ACSPrevious"], "v2": [], "v3": ["ACSCurrent"]}
    # ...only from a version that carries it.
    expect_error(sk.call, "UpdateSecretVersionStage", SecretName=name, VersionStage="Custom",
                 RemoveFromVersion="v1", code="InvalidParameter", status=400)
    # ACSCurrent and ACSPrevious cannot be removed, only moved.
    for label, holder in (("ACSCurrent", "v3"), ("ACSPrevious", "v1")):
        expect_error(sk.call, "UpdateSecretVersionStage", SecretName=name, VersionStage=label,
                     RemoveFromVersion=holder, code="InvalidParameter", status=400)
    assert versions(sk, name) == {"v1": ["ACSPrevious"], "v2": [], "v3": ["ACSCurrent"]}
    # (c) all three: RemoveFromVersion must carry the label.
    expect_error(sk.call, "UpdateSecretVersionStage", SecretName=name, VersionStage="ACSCurrent",
                 RemoveFromVersion="v1", MoveToVersion="v2", code="InvalidParameter", status=400)
    # Moving ACSCurrent gives the version that lost it ACSPrevious.
    sk.call("UpdateSecretVersionStage", SecretName=name, VersionStage="ACSCurrent",
            RemoveFromVersion="v3", MoveToVersion="v2")
    assert versions(sk, name) == {"v1": [], "v2": ["ACSCurrent"], "v3": ["ACSPrevious"]}
    assert sk.call("GetSecretValue", SecretName=name)["SecretData"] == "d2"
    sk.call("UpdateSecretVersionStage", SecretName=arn(name), VersionStage="ACSCurrent", MoveToVersion="v1")
    assert versions(sk, name) == {"v1": ["ACSCurrent"], "v2": ["ACSPrevious"], "v3": []}
    # ACSPrevious can be moved too.
    sk.call("UpdateSecretVersionStage", SecretName=name, VersionStage="ACSPrevious", MoveToVersion="v3")
    assert versions(sk, name) == {"v1": ["ACSCurrent"], "v2": [], "v3": ["ACSPrevious"]}

    not_found(sk.call, "UpdateSecretVersionStage", SecretName=name, VersionStage="Custom", MoveToVersion="v9")
    not_found(sk.call, "UpdateSecretVersionStage", SecretName=uniq("missing"), VersionStage="Custom",
              MoveToVersion="v1")
    expect_error(sk.call, "UpdateSecretVersionStage", SecretName=name, VersionStage="Custom",
                 code="InvalidParameter", status=400)


def test_list_secret_version_ids(sk):
    name = uniq("lsv")
    create(sk, name, "d1", "v1")
    for v in ("v2", "v3", "v4", "v5"):
        put(sk, name, v)
    body = sk.call("ListSecretVersionIds", SecretName=arn(name))
    assert body["SecretName"] == name
    assert (body["PageNumber"], body["PageSize"], body["TotalCount"]) == (1, 20, 2)
    items = body["VersionIds"]["VersionId"]
    assert {v["VersionId"]: stages(v) for v in items} == {"v4": ["ACSPrevious"], "v5": ["ACSCurrent"]}
    for item in items:
        parse_iso(item["CreateTime"])
    full = sk.call("ListSecretVersionIds", SecretName=name, IncludeDeprecated="true")
    assert full["TotalCount"] == 5
    every = [v["VersionId"] for v in full["VersionIds"]["VersionId"]]
    assert sorted(every) == ["v1", "v2", "v3", "v4", "v5"]
    pages = []
    for page in (1, 2, 3):
        got = sk.call("ListSecretVersionIds", SecretName=name, IncludeDeprecated="true", PageSize=2, PageNumber=page)
        assert (got["PageNumber"], got["PageSize"], got["TotalCount"]) == (page, 2, 5)
        pages.append([v["VersionId"] for v in got["VersionIds"]["VersionId"]])
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sum(pages, []) == every
    assert sk.call("ListSecretVersionIds", SecretName=name, IncludeDeprecated="false")["TotalCount"] == 2
    assert sk.call("ListSecretVersionIds", SecretName=name, PageSize=100)["PageSize"] == 100
    for bad in (0, 101):
        expect_error(sk.call, "ListSecretVersionIds", SecretName=name, PageSize=bad, code="InvalidParameter", status=400)
    not_found(sk.call, "ListSecretVersionIds", SecretName=uniq("missing"))


def test_list_shapes_raw(server):
    """Integer paging fields and wrapped lists on the wire (sheet §9)."""
    name = uniq("shape")
    raw_ok(server, "CreateSecret", SecretName=name, VersionId="v1", SecretData="x",
           Tags=json.dumps([{"TagKey": "shape", "TagValue": name}]))
    body = raw_ok(server, "ListSecretVersionIds", SecretName=name)
    assert isinstance(body["PageNumber"], int) and isinstance(body["PageSize"], int)
    assert body["TotalCount"] == 1
    assert body["VersionIds"]["VersionId"][0]["VersionStages"] == {"VersionStage": ["ACSCurrent"]}
    listed = raw_ok(server, "ListSecrets", FetchTags="true",
                    Filters=json.dumps([{"Key": "TagValue", "Values": [name]}]))
    assert (listed["PageNumber"], listed["PageSize"], listed["TotalCount"]) == (1, 10, 1)
    item = listed["SecretList"]["Secret"][0]
    assert item["SecretName"] == name and item["SecretType"] == "Generic"
    assert item["Tags"] == {"Tag": [{"TagKey": "shape", "TagValue": name}]}
    got = raw_ok(server, "GetSecretValue", SecretName=name)
    assert got["VersionStages"] == {"VersionStage": ["ACSCurrent"]}
    assert got["SecretDataType"] == "text"
    desc = raw_ok(server, "DescribeSecret", SecretName=name, FetchTags="true")
    assert desc["Tags"] == {"Tag": [{"TagKey": "shape", "TagValue": name}]}
    # Not-found on the wire: the error shape.
    err = raw_error(server, "GetSecretValue", "Forbidden.ResourceNotFound", 404, SecretName=uniq("missing"))
    assert err["Message"] == "Resource not found" and "HostId" in err


# --------------------------------------------------------------------------- ListSecrets / UpdateSecret


def test_list_secrets_filters_and_paging(clocked, smode):
    kms = make_caller(clocked, smode)
    names = [f"ls-{i:02d}" for i in range(12)]
    for i, name in enumerate(names):
        extra = {}
        if i % 3 == 0:
            extra["Tags"] = json.dumps([{"TagKey": "env", "TagValue": "prod" if i % 2 == 0 else "dev"}])
        if i < 4:
            extra["Description"] = "first four"
        create(kms, name, f"value {i}", **extra)
        clocked.clock(advance="1s")
    body = kms.call("ListSecrets")
    assert (body["PageNumber"], body["PageSize"], body["TotalCount"]) == (1, 10, 12)
    items = body["SecretList"]["Secret"]
    assert [s["SecretName"] for s in items] == names[:10]
    assert items[0]["CreateTime"] == START and items[1]["CreateTime"] == iso(START_EPOCH + 1)
    for item in items:
        assert item["SecretType"] == "Generic"
        parse_iso(item["UpdateTime"])
        assert "Tags" not in item and "PlannedDeleteTime" not in item
    page2 = kms.call("ListSecrets", PageNumber=2)
    assert [s["SecretName"] for s in page2["SecretList"]["Secret"]] == names[10:]
    page = kms.call("ListSecrets", PageSize=5, PageNumber=3)
    assert (page["PageSize"], page["TotalCount"]) == (5, 12)
    assert [s["SecretName"] for s in page["SecretList"]["Secret"]] == names[10:]
    assert len(kms.call("ListSecrets", PageSize=100)["SecretList"]["Secret"]) == 12
    for bad in ({"PageSize": 0}, {"PageSize": 101}, {"PageNumber": 0}):
        expect_error(kms.call, "ListSecrets", **bad, code="InvalidParameter", status=400)

    tagged = kms.call("ListSecrets", FetchTags="true", PageSize=100)["SecretList"]["Secret"]
    tags = {s["SecretName"]: sorted((t["TagKey"], t["TagValue"]) for t in s["Tags"]["Tag"])
            for s in tagged if s.get("Tags") and s["Tags"].get("Tag")}
    assert tags == {"ls-00": [("env", "prod")], "ls-03": [("env", "dev")], "ls-06": [("env", "prod")],
                    "ls-09": [("env", "dev")]}

    def filtered(*filters) -> list[str]:
        got = kms.call("ListSecrets", PageSize=100, Filters=json.dumps(list(filters)))
        listed = [s["SecretName"] for s in got["SecretList"]["Secret"]] if got["TotalCount"] else []
        assert got["TotalCount"] == len(listed), got
        return listed

    assert filtered({"Key": "SecretName", "Values": ["ls-01", "ls-05", "nope"]}) == ["ls-01", "ls-05"]
    assert filtered({"Key": "TagKey", "Values": ["env"]}) == ["ls-00", "ls-03", "ls-06", "ls-09"]
    assert filtered({"Key": "TagValue", "Values": ["dev"]}) == ["ls-03", "ls-09"]
    assert filtered({"Key": "Description", "Values": ["first four"]}) == names[:4]
    assert filtered({"Key": "SecretType", "Values": ["generic"]}) == names
    assert filtered({"Key": "SecretType", "Values": ["Rds"]}) == []
    # ANDed across keys, ORed within one; values match exactly.
    assert filtered({"Key": "Description", "Values": ["first four"]},
                    {"Key": "TagValue", "Values": ["prod", "dev"]}) == ["ls-00", "ls-03"]
    assert filtered({"Key": "SecretName", "Values": ["ls-0"]}) == []
    for bad in ("not json", json.dumps({"Key": "SecretName"}), json.dumps([{"Key": "SecretName", "Values": "ls-01"}])):
        expect_error(kms.call, "ListSecrets", Filters=bad, code="InvalidParameter", status=400)

    # A secret pending deletion is still listed, with PlannedDeleteTime.
    now = clocked.now()
    kms.call("DeleteSecret", SecretName="ls-05", RecoveryWindowInDays="7")
    body = kms.call("ListSecrets", PageSize=100)
    assert body["TotalCount"] == 12
    pending = {s["SecretName"]: s.get("PlannedDeleteTime") for s in body["SecretList"]["Secret"]}
    assert pending["ls-05"] == iso(now + 7 * DAY)
    assert all(v is None for k, v in pending.items() if k != "ls-05"), pending


def test_update_secret(clocked, smode):
    kms = make_caller(clocked, smode)
    name = uniq("upd")
    create(kms, name, "x", Description="before")
    clocked.clock(advance="1h")
    reply = kms.call("UpdateSecret", SecretName=name, Description="after")
    assert reply["SecretName"] == name and reply["RequestId"]
    meta = kms.call("DescribeSecret", SecretName=name)
    assert meta["Description"] == "after"
    assert (meta["CreateTime"], meta["UpdateTime"]) == (START, iso(START_EPOCH + 3600))
    assert kms.call("GetSecretValue", SecretName=name)["SecretData"] == "x"
    expect_error(kms.call, "UpdateSecret", SecretName=name, Description="cd",
                 **custom_data_params(smode, {"DBName": "app1"}), code="InvalidParameter", status=400)
    assert kms.call("DescribeSecret", SecretName=name)["Description"] == "after"
    not_found(kms.call, "UpdateSecret", SecretName=uniq("missing"), Description="x")


# --------------------------------------------------------------------------- DeleteSecret / RestoreSecret


def test_delete_restore_and_purge_on_the_clock(clocked, smode):
    kms = make_caller(clocked, smode)
    name = uniq("del")
    create(kms, name, "keep me", "v1", Tags=json.dumps([{"TagKey": "k", "TagValue": "v"}]))
    put(kms, name, "v2", "newer")

    for bad in ("6", "31", "abc", "0"):
        expect_error(kms.call, "DeleteSecret", SecretName=name, RecoveryWindowInDays=bad,
                     code="InvalidParameter", status=400)
    expect_error(kms.call, "DeleteSecret", SecretName=name, RecoveryWindowInDays="7",
                 ForceDeleteWithoutRecovery="true", code="InvalidParameter", status=400)
    assert "PlannedDeleteTime" not in kms.call("DescribeSecret", SecretName=name)

    reply = kms.call("DeleteSecret", SecretName=name, RecoveryWindowInDays="7")
    assert reply["SecretName"] == name and reply["PlannedDeleteTime"] == iso(START_EPOCH + 7 * DAY)
    meta = kms.call("DescribeSecret", SecretName=name)
    assert meta["PlannedDeleteTime"] == iso(START_EPOCH + 7 * DAY)

    # Pending deletion: every other action is refused.
    in_delete_window(kms.call, "DeleteSecret", SecretName=name)
    in_delete_window(kms.call, "GetSecretValue", SecretName=name)
    in_delete_window(put, kms, name, "v3", "x")
    in_delete_window(kms.call, "UpdateSecret", SecretName=name, Description="x")
    in_delete_window(kms.call, "UpdateSecretVersionStage", SecretName=name, VersionStage="ACSCurrent",
                     MoveToVersion="v1")
    in_delete_window(kms.call, "RotateSecret", SecretName=name, VersionId="r1")
    in_delete_window(kms.call, "UpdateSecretRotationPolicy", SecretName=name, EnableAutomaticRotation=False)
    in_delete_window(kms.call, "SetSecretPolicy", SecretName=name, Policy=json.dumps(
        {"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["kms:*"], "Resource": ["*"],
                                        "Principal": {"RAM": [f"acs:ram::{ACCOUNT}:root"]}}]}))
    in_delete_window(kms.call, "TagResource", SecretName=name, Tags=json.dumps([{"TagKey": "a", "TagValue": "b"}]))
    in_delete_window(create, kms, name, "again", "v1")

    # RestoreSecret inside the window: everything is back as it was.
    clocked.clock(advance="6d")
    restored = kms.call("RestoreSecret", SecretName=arn(name))
    assert restored["SecretName"] == name
    assert "PlannedDeleteTime" not in kms.call("DescribeSecret", SecretName=name)
    assert versions(kms, name) == {"v1": ["ACSPrevious"], "v2": ["ACSCurrent"]}
    assert kms.call("GetSecretValue", SecretName=name)["SecretData"] == "newer"
    e = expect_error(kms.call, "RestoreSecret", SecretName=name, code="Rejected.ResourceInUse", status=409)
    assert "restore normal secret" in e.message

    # The default window is 30 days; the secret is gone the moment the clock passes it.
    now = clocked.now()
    assert kms.call("DeleteSecret", SecretName=name)["PlannedDeleteTime"] == iso(now + 30 * DAY)
    clocked.clock(advance_seconds=30 * DAY - 1)
    assert kms.call("DescribeSecret", SecretName=name)["PlannedDeleteTime"] == iso(now + 30 * DAY)
    clocked.clock(advance="2s")
    not_found(kms.call, "DescribeSecret", SecretName=name)
    not_found(kms.call, "GetSecretValue", SecretName=name)
    not_found(kms.call, "RestoreSecret", SecretName=name)
    listed = kms.call("ListSecrets", PageSize=100)
    assert name not in [s["SecretName"] for s in (listed.get("SecretList") or {}).get("Secret") or []]
    # The name is free again.
    assert create(kms, name, "reborn", "n1")["VersionId"] == "n1"
    assert kms.call("GetSecretValue", SecretName=name)["SecretData"] == "reborn"


def test_pending_deletion_keeps_metadata_readable(server, sk):
    """The sheet's refusal list (§6) is the value and the changes: the untag write is
    refused, while the metadata reads (versions, policy, tags) keep working, as
    DescribeSecret and ListSecrets do (README "What differs from the cloud")."""
    name = uniq("pend")
    create(sk, name, "x", "v1", Tags=json.dumps([{"TagKey": "k", "TagValue": "v"}]))
    sk.call("DeleteSecret", SecretName=name, RecoveryWindowInDays="7")
    assert sk.call("DescribeSecret", SecretName=name)["PlannedDeleteTime"]
    versions = sk.call("ListSecretVersionIds", SecretName=name)["VersionIds"]["VersionId"]
    assert [v["VersionId"] for v in versions] == ["v1"]
    assert json.loads(sk.call("GetSecretPolicy", SecretName=name)["Policy"])["Version"] == "1"
    in_delete_window(sk.call, "UntagResource", SecretName=name, TagKeys=json.dumps(["k"]))
    body = raw(server, "ListResourceTags", SecretName=name).json()
    assert body["Tags"]["Tag"] == [{"SecretName": name, "TagKey": "k", "TagValue": "v"}], body


def test_force_delete(clocked, smode):
    kms = make_caller(clocked, smode)
    name = uniq("force")
    create(kms, name, "gone", "v1")
    reply = kms.call("DeleteSecret", SecretName=name, ForceDeleteWithoutRecovery="true")
    assert reply["SecretName"] == name and reply["PlannedDeleteTime"] == START
    not_found(kms.call, "DescribeSecret", SecretName=name)
    not_found(kms.call, "RestoreSecret", SecretName=name)
    not_found(kms.call, "DeleteSecret", SecretName=name)
    assert create(kms, name, "new", "v1")["SecretName"] == name
    # A forced delete of a secret pending deletion deletes it at once.
    kms.call("DeleteSecret", SecretName=name, RecoveryWindowInDays="30")
    kms.call("DeleteSecret", SecretName=name, ForceDeleteWithoutRecovery="true")
    not_found(kms.call, "DescribeSecret", SecretName=name)
    not_found(kms.call, "RestoreSecret", SecretName=uniq("never"))


# --------------------------------------------------------------------------- rotation


def rotating(kms, name: str, data: str, interval: str = "7d", version: str = "v1") -> dict:
    return create(kms, name, data, version, EnableAutomaticRotation=True, RotationInterval=interval)


def assert_new_password(old: dict, new: dict, member: str) -> None:
    assert set(old) == set(new), (old, new)
    for k in old:
        if k == member:
            assert new[k] != old[k] and PASSWORD_RE.match(new[k]), new[k]
            assert re.search("[a-z]", new[k]) and re.search("[A-Z]", new[k]) and re.search("[0-9]", new[k]), new[k]
        else:
            assert new[k] == old[k], (k, old, new)


def test_scheduled_rotation_on_the_clock(clocked, smode):
    kms = make_caller(clocked, smode)
    name = uniq("rot")
    value = {"user": "app", "password": "old-password", "port": 5432}
    made = rotating(kms, name, json.dumps(value))
    assert made["AutomaticRotation"] == "Enabled"
    assert made["RotationInterval"] == "604800s"
    assert made["NextRotationDate"] == iso(START_EPOCH + 7 * DAY)
    meta = kms.call("DescribeSecret", SecretName=name)
    assert (meta["AutomaticRotation"], meta["RotationInterval"], meta["NextRotationDate"]) == (
        "Enabled", "604800s", iso(START_EPOCH + 7 * DAY))
    assert "LastRotationDate" not in meta
    got = kms.call("GetSecretValue", SecretName=name)
    assert (got["AutomaticRotation"], got["RotationInterval"], got["NextRotationDate"]) == (
        "Enabled", "604800s", iso(START_EPOCH + 7 * DAY))

    clocked.clock(advance_seconds=7 * DAY - 1)
    assert kms.call("GetSecretValue", SecretName=name)["VersionId"] == "v1"
    clocked.clock(advance="1s")
    cur = kms.call("GetSecretValue", SecretName=name)
    assert cur["VersionId"] != "v1"
    uuid.UUID(cur["VersionId"])
    assert stages(cur) == ["ACSCurrent"]
    assert_new_password(value, json.loads(cur["SecretData"]), "password")
    prev = kms.call("GetSecretValue", SecretName=name, VersionStage="ACSPrevious")
    assert prev["VersionId"] == "v1" and json.loads(prev["SecretData"]) == value
    meta = kms.call("DescribeSecret", SecretName=name)
    assert meta["LastRotationDate"] == iso(START_EPOCH + 7 * DAY)
    assert meta["NextRotationDate"] == iso(START_EPOCH + 14 * DAY)
    assert cur["LastRotationDate"] == iso(START_EPOCH + 7 * DAY)
    assert versions(kms, name) == {"v1": ["ACSPrevious"], cur["VersionId"]: ["ACSCurrent"]}

    # RotateSecret now: the given VersionId, reply Arn/SecretName/VersionId.
    clocked.clock(advance="1d")
    reply = kms.call("RotateSecret", SecretName=name, VersionId="manual-1")
    assert (reply["Arn"], reply["SecretName"], reply["VersionId"]) == (arn(name), name, "manual-1")
    now = clocked.now()
    got = kms.call("GetSecretValue", SecretName=name)
    assert got["VersionId"] == "manual-1"
    assert_new_password(json.loads(cur["SecretData"]), json.loads(got["SecretData"]), "password")
    assert kms.call("GetSecretValue", SecretName=name, VersionStage="ACSPrevious")["VersionId"] == cur["VersionId"]
    meta = kms.call("DescribeSecret", SecretName=name)
    assert meta["LastRotationDate"] == iso(now) and meta["NextRotationDate"] == iso(now + 7 * DAY)
    # An existing VersionId succeeds and does nothing.
    before = versions(kms, name)
    again = kms.call("RotateSecret", SecretName=name, VersionId="manual-1")
    assert again["VersionId"] == "manual-1"
    assert versions(kms, name) == before
    assert kms.call("GetSecretValue", SecretName=name)["SecretData"] == got["SecretData"]
    not_found(kms.call, "RotateSecret", SecretName=uniq("missing"), VersionId="x")


@pytest.mark.parametrize("value, member", [
    ({"Password": "Old", "host": "db"}, "Password"),
    ({"AccountName": "app", "AccountPassword": "Old"}, "AccountPassword"),
    ("plain text, not JSON", None),
    ({"password": 12345, "user": "u"}, None),
    (["password", "x"], None),
])
def test_rotation_value_rules(clocked, value, member):
    kms = make_caller(clocked, "tea_acs3")
    name = uniq("val")
    data = value if isinstance(value, str) else json.dumps(value)
    rotating(kms, name, data, "6h")
    kms.call("RotateSecret", SecretName=name, VersionId="r2")
    new = kms.call("GetSecretValue", SecretName=name)
    assert new["VersionId"] == "r2"
    if member is None:
        assert new["SecretData"] == data
    else:
        assert_new_password(value, json.loads(new["SecretData"]), member)


def test_rotation_policy(clocked, smode):
    kms = make_caller(clocked, smode)
    for bad in ("5h", "8761h", "366d", "7w", "abc", "-7d"):
        expect_error(rotating, kms, uniq("bad"), "x", bad, code="InvalidParameter", status=400)
    for good, secs in (("6h", 21600), ("8760h", 31536000), ("365d", 31536000), ("21600s", 21600), ("360m", 21600)):
        assert rotating(kms, uniq("good"), "x", good)["RotationInterval"] == f"{secs}s"

    name = uniq("pol")
    create(kms, name, json.dumps({"password": "p0"}), "v1")
    clocked.clock(advance="1h")
    reply = kms.call("UpdateSecretRotationPolicy", SecretName=name, EnableAutomaticRotation=True, RotationInterval="1d")
    assert reply["SecretName"] == name
    enabled_at = START_EPOCH + 3600
    meta = kms.call("DescribeSecret", SecretName=name)
    assert (meta["AutomaticRotation"], meta["RotationInterval"], meta["NextRotationDate"]) == (
        "Enabled", "86400s", iso(enabled_at + DAY))
    expect_error(kms.call, "UpdateSecretRotationPolicy", SecretName=name, EnableAutomaticRotation=True,
                 RotationInterval="1h", code="InvalidParameter", status=400)
    clocked.clock(advance="1d")
    assert len(versions(kms, name)) == 2
    kms.call("UpdateSecretRotationPolicy", SecretName=name, EnableAutomaticRotation=False)
    assert kms.call("DescribeSecret", SecretName=name)["AutomaticRotation"] == "Disabled"
    clocked.clock(advance="3d")
    assert len(versions(kms, name)) == 2
    not_found(kms.call, "UpdateSecretRotationPolicy", SecretName=uniq("missing"), EnableAutomaticRotation=False)


# --------------------------------------------------------------------------- policies and tags


def test_secret_policy(server, sk):
    name = uniq("policy")
    create(sk, name, "x")
    default = sk.call("GetSecretPolicy", SecretName=name)
    doc = json.loads(default["Policy"])
    assert doc["Version"] == "1" and isinstance(doc["Statement"], list) and doc["Statement"]
    allow = [s for s in doc["Statement"] if s.get("Effect") == "Allow"]
    assert allow and ACCOUNT in json.dumps([s.get("Principal") for s in allow]), doc
    assert sk.call("GetSecretPolicy", SecretName=name, PolicyName="default")["Policy"] == default["Policy"]

    policy = json.dumps({"Version": "1", "Statement": [{
        "Sid": "app", "Effect": "Allow", "Principal": {"RAM": [f"acs:ram::{ACCOUNT}:role/app"]},
        "Action": ["kms:GetSecretValue"], "Resource": ["*"]}]})
    reply = sk.call("SetSecretPolicy", SecretName=arn(name), Policy=policy)
    assert reply["RequestId"]
    assert sk.call("GetSecretPolicy", SecretName=name)["Policy"] == policy
    assert sk.call("GetSecretPolicy", SecretName=arn(name))["Policy"] == policy

    # At most 32768 bytes.
    def sized(n: int) -> str:
        base = {"Version": "1", "Statement": [{"Sid": "", "Effect": "Allow", "Action": ["kms:*"], "Resource": ["*"],
                                               "Principal": {"RAM": [f"acs:ram::{ACCOUNT}:root"]}}]}
        pad = n - len(json.dumps(base, separators=(",", ":")))
        base["Statement"][0]["Sid"] = "s" * pad
        text = json.dumps(base, separators=(",", ":"))
        assert len(text) == n
        return text
    # Both SDKs send Policy in the query, which qkms caps at 32768 bytes of request target,
    # so the size limit is tested with Policy in a form body (raw v1 call).
    def set_in_body(text: str):
        return v1_call(server, "SetSecretPolicy", {"SecretName": name}, body_params={"Policy": text})

    resp = set_in_body(sized(32768))
    assert resp.status == 200, resp
    assert sk.call("GetSecretPolicy", SecretName=name)["Policy"] == sized(32768)
    resp = set_in_body(sized(32769))
    assert (resp.status, resp.json()["Code"]) == (400, "InvalidParameter"), resp
    sk.call("SetSecretPolicy", SecretName=name, Policy=sized(4096))
    for bad in ("not json", json.dumps({"Version": "1"}), json.dumps({"Statement": []}), "[]"):
        expect_error(sk.call, "SetSecretPolicy", SecretName=name, Policy=bad, code="InvalidParameter", status=400)
    assert sk.call("GetSecretPolicy", SecretName=name)["Policy"] == sized(4096)
    expect_error(sk.call, "SetSecretPolicy", SecretName=name, Policy=policy, PolicyName="other",
                 code="InvalidParameter", status=400)
    expect_error(sk.call, "GetSecretPolicy", SecretName=name, PolicyName="other", code="InvalidParameter", status=400)
    not_found(sk.call, "GetSecretPolicy", SecretName=uniq("missing"))
    not_found(sk.call, "SetSecretPolicy", SecretName=uniq("missing"), Policy=policy)


def test_secret_tags(server, sk):
    name = uniq("tags")
    create(sk, name, "x", Tags=json.dumps([{"TagKey": "env", "TagValue": "dev"}]))
    sk.call("TagResource", SecretName=name,
            Tags=json.dumps([{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "kms"}]))

    def tags() -> list[tuple[str, str]]:
        got = sk.call("DescribeSecret", SecretName=name, FetchTags="true").get("Tags") or {}
        return sorted((t["TagKey"], t["TagValue"]) for t in got.get("Tag") or [])

    assert tags() == [("env", "prod"), ("team", "kms")]
    listed = raw_ok(server, "ListResourceTags", SecretName=name)
    assert sorted((t["TagKey"], t["TagValue"]) for t in listed["Tags"]["Tag"]) == [("env", "prod"), ("team", "kms")]
    sk.call("UntagResource", SecretName=name, TagKeys=json.dumps(["env"]))
    assert tags() == [("team", "kms")]
    listed = raw_ok(server, "ListResourceTags", SecretName=arn(name))
    assert [(t["TagKey"], t["TagValue"]) for t in listed["Tags"]["Tag"]] == [("team", "kms")]

    key_id = sk.call("CreateKey")["KeyMetadata"]["KeyId"]
    expect_error(sk.call, "TagResource", SecretName=name, KeyId=key_id,
                 Tags=json.dumps([{"TagKey": "a", "TagValue": "b"}]), code="InvalidParameter", status=400)
    raw_error(server, "ListResourceTags", "InvalidParameter", 400, SecretName=name, KeyId=key_id)
    for bad in ("aliyun-x", "acs:x"):
        expect_error(sk.call, "TagResource", SecretName=name, Tags=json.dumps([{"TagKey": bad, "TagValue": "b"}]),
                     code="InvalidParameter", status=400)
    assert tags() == [("team", "kms")]
    not_found(sk.call, "TagResource", SecretName=uniq("missing"), Tags=json.dumps([{"TagKey": "a", "TagValue": "b"}]))
    not_found(sk.call, "UntagResource", SecretName=uniq("missing"), TagKeys=json.dumps(["a"]))
    raw_error(server, "ListResourceTags", "Forbidden.ResourceNotFound", 404, SecretName=uniq("missing"))
    # The key's tags are not the secret's.
    assert sk.call("ListResourceTags", KeyId=key_id)["Tags"].get("Tag") in (None, [])


# --------------------------------------------------------------------------- BatchGetSecretValue


@pytest.mark.parametrize("mode", ["tea_acs3", "tea_v1"])
def test_batch_get_secret_value(server, mode):
    kms = make_caller(server, mode)
    a, b, gone = uniq("ba"), uniq("bb"), uniq("bgone")
    create(kms, a, "a1", "v1")
    create(kms, b, "b1", "v1")
    put(kms, b, "v2", "b2")
    create(kms, gone, "g", "v1")
    kms.call("DeleteSecret", SecretName=gone, RecoveryWindowInDays="7")
    missing = uniq("bmissing")
    reply = kms.call("BatchGetSecretValue", SecretsList=[
        {"SecretName": a},
        {"SecretName": arn(b), "VersionStage": "ACSPrevious"},
        {"SecretName": missing},
        {"SecretName": b, "VersionId": "v2", "FetchExtendedConfig": "true"},
        {"SecretName": gone},
    ])
    values = {(v["SecretName"], v["VersionId"]): v for v in reply["SecretValues"]}
    assert set(values) == {(a, "v1"), (b, "v1"), (b, "v2")}
    assert values[(a, "v1")]["SecretData"] == "a1" and stages(values[(a, "v1")]) == ["ACSCurrent"]
    assert values[(b, "v1")]["SecretData"] == "b1" and stages(values[(b, "v1")]) == ["ACSPrevious"]
    assert values[(b, "v2")]["SecretData"] == "b2" and stages(values[(b, "v2")]) == ["ACSCurrent"]
    for v in values.values():
        assert v["SecretDataType"] == "text" and v["SecretType"] == "Generic" and v["RequestId"]
    errors = {e["SecretName"]: e for e in reply["Errors"]}
    assert set(errors) == {missing, gone}
    assert (errors[missing]["Code"], errors[missing]["HttpStatus"]) == ("Forbidden.ResourceNotFound", 404)
    assert errors[missing]["Message"] == "Resource not found"
    assert (errors[gone]["Code"], errors[gone]["HttpStatus"]) == ("Rejected.ResourceInDeleteWindow", 409)

    # The wire shape: bare arrays, integer HttpStatus, HTTP 200 although entries failed.
    resp = raw(server, "BatchGetSecretValue", SecretsList=json.dumps([{"SecretName": a}, {"SecretName": missing}]))
    assert resp.status == 200, resp
    body = resp.json()
    assert isinstance(body["SecretValues"], list) and isinstance(body["Errors"], list), body
    assert body["SecretValues"][0]["SecretData"] == "a1"
    assert body["SecretValues"][0]["VersionStages"] == {"VersionStage": ["ACSCurrent"]}
    assert len(body["Errors"]) == 1, body
    err = body["Errors"][0]
    assert (err["SecretName"], err["Code"], err["Message"], err["HttpStatus"]) == (
        missing, "Forbidden.ResourceNotFound", "Resource not found", 404)
    assert type(err["HttpStatus"]) is int

    # 1-20 entries.
    twenty = [{"SecretName": a}] * 20
    assert len(kms.call("BatchGetSecretValue", SecretsList=twenty)["SecretValues"]) == 20
    expect_error(kms.call, "BatchGetSecretValue", SecretsList=twenty + [{"SecretName": a}],
                 code="InvalidParameter", status=400)
    raw_error(server, "BatchGetSecretValue", "InvalidParameter", 400, SecretsList="[]")
    raw_error(server, "BatchGetSecretValue", "InvalidParameter", 400, SecretsList="not json")


# --------------------------------------------------------------------------- the secret's KMS key


def test_key_state_of_the_secret_key(sk):
    key_id = sk.call("CreateKey")["KeyMetadata"]["KeyId"]
    name = uniq("keystate")
    create(sk, name, "guarded", "v1", EncryptionKeyId=key_id, EnableAutomaticRotation=True, RotationInterval="7d")
    sk.call("DisableKey", KeyId=key_id)
    expect_error(sk.call, "GetSecretValue", SecretName=name, code="Rejected.Disabled", status=409)
    expect_error(put, sk, name, "v2", "x", code="Rejected.Disabled", status=409)
    expect_error(sk.call, "RotateSecret", SecretName=name, VersionId="r1", code="Rejected.Disabled", status=409)
    other = uniq("keystate")
    expect_error(create, sk, other, "x", EncryptionKeyId=key_id, code="Rejected.Disabled", status=409)
    not_found(sk.call, "DescribeSecret", SecretName=other)
    # Metadata actions keep working.
    assert sk.call("DescribeSecret", SecretName=name)["EncryptionKeyId"] == key_id
    assert versions(sk, name) == {"v1": ["ACSCurrent"]}
    sk.call("UpdateSecret", SecretName=name, Description="still here")
    sk.call("GetSecretPolicy", SecretName=name)
    sk.call("EnableKey", KeyId=key_id)
    got = sk.call("GetSecretValue", SecretName=name)
    assert (got["SecretData"], got["VersionId"]) == ("guarded", "v1")
    put(sk, name, "v2", "after enable")
    assert sk.call("GetSecretValue", SecretName=name)["SecretData"] == "after enable"

    sk.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    expect_error(sk.call, "GetSecretValue", SecretName=name, code="Rejected.PendingDeletion", status=409)
    sk.call("CancelKeyDeletion", KeyId=key_id)
    assert sk.call("GetSecretValue", SecretName=name)["SecretData"] == "after enable"

    external = sk.call("CreateKey", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    expect_error(create, sk, uniq("keystate"), "x", EncryptionKeyId=external,
                 code="Rejected.PendingImport", status=409)


def test_batch_get_with_a_disabled_key(server):
    kms = make_caller(server, "tea_acs3")
    key_id = kms.call("CreateKey")["KeyMetadata"]["KeyId"]
    name, fine = uniq("bkey"), uniq("bfine")
    create(kms, name, "x", EncryptionKeyId=key_id)
    create(kms, fine, "y")
    kms.call("DisableKey", KeyId=key_id)
    reply = kms.call("BatchGetSecretValue", SecretsList=[{"SecretName": name}, {"SecretName": fine}])
    assert [v["SecretName"] for v in reply["SecretValues"]] == [fine]
    assert [(e["SecretName"], e["Code"], e["HttpStatus"]) for e in reply["Errors"]] == [(name, "Rejected.Disabled", 409)]


# --------------------------------------------------------------------------- Format=XML


def xml_of(resp) -> ET.Element:
    assert resp.content_type.startswith("text/xml"), resp
    return ET.fromstring(resp.body)


def test_xml_replies(server):
    name = uniq("xml")
    raw_ok(server, "CreateSecret", SecretName=name, VersionId="v1", SecretData="first")
    raw_ok(server, "PutSecretValue", SecretName=name, VersionId="v2", SecretData="second",
           VersionStages=json.dumps(["ACSCurrent", "Blue"]))

    resp = raw(server, "GetSecretValue", fmt="XML", SecretName=name)
    assert resp.status == 200, resp
    root = xml_of(resp)
    assert root.findtext("SecretName") == name
    assert root.findtext("SecretData") == "second"
    assert root.findtext("VersionId") == "v2"
    assert root.findtext("SecretDataType") == "text"
    assert root.findtext("RequestId")
    assert sorted(e.text for e in root.findall("./VersionStages/VersionStage")) == ["ACSCurrent", "Blue"]

    resp = raw(server, "ListSecretVersionIds", fmt="XML", SecretName=name)
    assert resp.status == 200, resp
    root = xml_of(resp)
    assert root.findtext("SecretName") == name
    assert (root.findtext("TotalCount"), root.findtext("PageNumber"), root.findtext("PageSize")) == ("2", "1", "20")
    items = root.findall("./VersionIds/VersionId")
    got = {i.findtext("VersionId"): sorted(s.text for s in i.findall("./VersionStages/VersionStage")) for i in items}
    assert got == {"v1": ["ACSPrevious"], "v2": ["ACSCurrent", "Blue"]}
    for item in items:
        parse_iso(item.findtext("CreateTime"))

    resp = raw(server, "GetSecretValue", fmt="XML", SecretName=uniq("missing"))
    assert resp.status == 404, resp
    root = xml_of(resp)
    assert root.tag == "Error"
    assert root.findtext("Code") == "Forbidden.ResourceNotFound"
    assert root.findtext("Message") == "Resource not found"
