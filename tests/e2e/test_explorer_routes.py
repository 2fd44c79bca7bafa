"""The explorer's routes: served from the binary under a strict CSP that API replies do not
carry, its URL in the start-up log, and gone with --no-explorer. (The page itself is tested
in Chromium by tests/node/explorer.test.mjs.)"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from qkms_harness import v1_params, v1_sign

ASSETS = {"": "text/html", "/app.js": "text/javascript", "/sign.js": "text/javascript",
          "/style.css": "text/css", "/favicon.svg": "image/svg+xml"}


def get(url: str, headers: dict | None = None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_assets_csp_and_the_logged_url(server_factory):
    srv = server_factory(ephemeral=True)
    for path, kind in ASSETS.items():
        status, headers, body = get(f"{srv.base_url}/explorer{path}")
        assert status == 200, path
        assert headers["Content-Type"].startswith(kind), (path, headers)
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                          "connect-src 'self'", "frame-ancestors 'none'"):
            assert directive in csp, (path, csp)
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert body
    status, headers, _ = get(f"{srv.base_url}/explorer/missing.js")
    assert status == 404 and "Content-Security-Policy" in headers
    assert f"explorer: http://{srv.endpoint}/explorer" in srv.stderr_tail(20000)
    # API replies are unchanged: no CSP, no explorer headers.
    params = v1_params("DescribeRegions")
    params["Signature"] = v1_sign("GET", params)
    query = urllib.parse.urlencode(params)
    status, headers, _ = get(f"{srv.base_url}/?{query}")
    assert status == 200
    assert "Content-Security-Policy" not in headers
    # The page loads under any name (a browser sends Origin with module scripts), but gets no
    # CORS headers, so another origin's page cannot read it.
    status, headers, _ = get(f"{srv.base_url}/explorer/app.js", {"Origin": "http://qkms.test:1"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers


def test_no_explorer_removes_the_routes(server_factory):
    srv = server_factory(ephemeral=True, extra_args=("--no-explorer",))
    status, headers, body = get(f"{srv.base_url}/explorer")
    assert status != 200
    assert "Content-Security-Policy" not in headers
    assert "explorer:" not in srv.stderr_tail(20000)
