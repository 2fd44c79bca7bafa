"""Fixtures: a shared qkms server per session, a factory for tests that need their own
server (data dir, clock, flags), and SDK clients in the four Python modes."""

from __future__ import annotations

import pytest

from qkms_harness import MODES, Byok, QkmsServer, make_caller


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One server for the whole session, on a real data dir, with the admin endpoint on.

    Tests that move the KMS clock must use `server_factory` instead, so that the shared
    server's clock stays the real one."""
    root = tmp_path_factory.mktemp("qkms-shared")
    srv = QkmsServer(root / "run", data_dir=root / "data")
    srv.start()
    yield srv
    srv.stop()
    assert not srv.server_errors(), "the server answered 5xx or panicked:\n" + "\n".join(srv.server_errors())


@pytest.fixture
def server_factory(tmp_path):
    """`server_factory(**QkmsServer kwargs)` -> a started server, stopped after the test.

    Without `data_dir` the server gets a fresh data dir under the test's tmp_path; pass
    `ephemeral=True` for an in-memory one."""
    started: list[QkmsServer] = []
    count = 0

    def make(**kw) -> QkmsServer:
        nonlocal count
        count += 1
        if not kw.get("ephemeral") and "data_dir" not in kw:
            kw["data_dir"] = tmp_path / f"data{count}"
        srv = QkmsServer(tmp_path / f"run{count}", **kw)
        started.append(srv)
        return srv.start()

    yield make
    for srv in started:
        srv.stop()
    errors = [line for srv in started for line in srv.server_errors()]
    assert not errors, "the server answered 5xx or panicked:\n" + "\n".join(errors)


@pytest.fixture(params=MODES)
def mode(request) -> str:
    return request.param


@pytest.fixture
def kms(server, mode):
    """A uniform caller over the shared server in each of the four SDK modes."""
    return make_caller(server, mode)


@pytest.fixture
def byok(kms) -> Byok:
    return Byok(kms)


@pytest.fixture
def tea(server):
    """The Tea SDK client (ACS3, the default), for tests that use the typed models directly."""
    return make_caller(server, "tea_acs3").client


@pytest.fixture
def classic(server):
    """The classic SDK caller (AcsClient + request classes)."""
    return make_caller(server, "classic")
