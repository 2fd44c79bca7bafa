"""Every snippet of the README runs as written.

A qkms is started the way the walkthrough starts it (on 127.0.0.1:8080, here in memory and
with `--admin SECRET` for the clock examples), then each shell snippet runs line by line in
a scratch directory (creating the walkthrough's `venv` there) and each Python snippet runs
with that venv's Python: scripts as scripts, the pytest recipe under pytest. Lines that
build or test qkms itself (`cargo ...`, `scripts/test`) are what this suite's own command
already did, so they are not run twice."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from qkms_harness import QKMS_BIN, REPO, QkmsServer

README = (REPO / "README.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)
SKIPPED_PREFIXES = ("cargo ", "scripts/")


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def readme_server(tmp_path_factory):
    if not port_free(8080):
        pytest.fail("the README snippets talk to 127.0.0.1:8080, which is taken")
    srv = QkmsServer(tmp_path_factory.mktemp("readme-run"), ephemeral=True, admin="SECRET")
    srv.args = lambda: [QKMS_BIN, "serve", "--listen", "127.0.0.1:8080", "--ephemeral", "--admin", "SECRET"]
    srv.start()
    yield srv
    srv.stop()
    assert not srv.server_errors(), srv.server_errors()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, readme_server):
    """A directory where the shell snippets ran (so the walkthrough's venv exists)."""
    work = tmp_path_factory.mktemp("readme-scratch")
    env = dict(os.environ, PATH=f"{Path(QKMS_BIN).parent}{os.pathsep}{os.environ['PATH']}")
    for lang, code in BLOCKS:
        if lang != "sh":
            continue
        for line in code.splitlines():
            line = line.strip()
            if not line or line.startswith("#") or line.startswith(SKIPPED_PREFIXES):
                continue
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", line], cwd=work, env=env,
                               capture_output=True, text=True, timeout=600)
            assert r.returncode == 0, f"README shell line failed: {line}\n{r.stdout}\n{r.stderr}"
    return work, env


def python_blocks() -> list[tuple[int, str]]:
    return [(i, code) for i, (lang, code) in enumerate(BLOCKS) if lang == "python"]


def test_the_readme_has_the_snippets_this_suite_runs():
    assert len(python_blocks()) >= 3
    assert sum(1 for lang, _ in BLOCKS if lang == "sh") >= 3


@pytest.mark.parametrize("index,code", python_blocks(), ids=lambda v: str(v) if isinstance(v, int) else "")
def test_python_snippet_runs(readme_server, scratch, tmp_path, index, code):
    work, env = scratch
    python = work / "venv" / "bin" / "python"
    assert python.exists(), "the walkthrough's venv was not created by its shell snippet"
    if "def test_" in code:
        path = tmp_path / f"test_readme_{index}.py"
        path.write_text(code)
        cmd = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)]
    else:
        path = tmp_path / f"snippet_{index}.py"
        path.write_text(code)
        cmd = [str(python), str(path)]
    # From the checkout, as the recipe says (it seeds examples/seed.toml).
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"README snippet {index} failed:\n{code}\n{r.stdout}\n{r.stderr}"
