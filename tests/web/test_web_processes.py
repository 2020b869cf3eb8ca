"""Several web processes: gunicorn with 3 workers on loopback follows a library Reload in
every worker and counts failed sign-ins across them; processes starting together share one
secret key."""

from __future__ import annotations

import http.cookiejar
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from engine import directory, store

REVIEWFLOW = Path(sys.executable).with_name("reviewflow")
PEOPLE = "email,name,manager_email,department,title,groups\nhana@acme.test,Hana Hr,,People,HR,hr\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _key(folder: str, out) -> None:
    from web import _secret_key

    out.put(_secret_key(folder))


def test_eight_processes_starting_together_make_one_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("REVIEWFLOW_SECRET_KEY", raising=False)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_key, args=(str(tmp_path), out)) for _ in range(8)]
    for p in procs:
        p.start()
    keys = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(30)
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert (tmp_path / "secret_key").read_text() == keys[0]
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no leftovers


class Browser:
    """A cookie-keeping client that signs in through the trusted header."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        request = urllib.request.Request(self.base + path, headers={"X-User": "hana@acme.test"})
        with self.opener.open(request, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> int:
        request = urllib.request.Request(self.base + path, urllib.parse.urlencode(data).encode(),
                                         headers={"X-User": "hana@acme.test"})
        with self.opener.open(request, timeout=30) as response:
            return response.status


def _gunicorn(tmp_path, project_root, env: dict):
    """``reviewflow serve --workers 3`` on a copy of the library and a fresh SQLite file
    (Hana of HR, password "hana's password 1"); returns (process, base URL, library)."""
    from web import accounts, create_app

    library = tmp_path / "library"
    for kind in ("workflows", "forms"):
        shutil.copytree(project_root / kind, library / kind)
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path),
                      "LIBRARY_PATHS": [str(library / "workflows"), str(library / "forms")]})
    with app.app_context():
        directory.import_csv(PEOPLE)
        accounts.set_password("hana@acme.test", "hana's password 1")
    store.close()
    port = _free_port()
    server = subprocess.Popen(
        [str(REVIEWFLOW), "--db", url, "--library", str(library / "workflows"), "--library",
         str(library / "forms"), "serve", "--workers", "3", "--port", str(port)],
        env={**os.environ, "REVIEWFLOW_SECRET_KEY": "k", **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=30).read()
            return server, base, library
        except OSError:
            if time.monotonic() > end:
                server.terminate()
                raise AssertionError("gunicorn did not start") from None
            time.sleep(0.2)


@pytest.mark.slow
def test_gunicorn_with_3_workers_serves_the_new_library_after_a_reload(tmp_path, project_root):
    server, base, library = _gunicorn(tmp_path, project_root, {
        "REVIEWFLOW_TRUSTED_HEADER": "X-User"})
    try:
        browser = Browser(base)
        page = browser.get("/hr/library/")
        for _ in range(12):  # every worker has the old library loaded
            assert "Annual performance review" in browser.get("/hr/library/")
        path = library / "workflows" / "annual-review.yaml"
        path.write_text(path.read_text().replace("en: Annual performance review",
                                                 "en: Annual review (reloaded)", 1))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert browser.post("/hr/library/reload", {"csrf_token": token}) == 200
        for _ in range(30):
            fresh = Browser(browser.base)  # a new connection: any worker may take it
            page = fresh.get("/hr/library/")
            assert "Annual review (reloaded)" in page
            assert "Annual performance review" not in page
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _sign_in(base: str, password: str) -> int:
    """One sign-in from a new client (new connection, new session): its HTTP status."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        _NoRedirect())
    with opener.open(base + "/login", timeout=30) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          response.read().decode()).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": "hana@acme.test",
                                   "password": password}).encode()
    try:
        with opener.open(base + "/login", data, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as answer:
        return answer.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.slow
def test_eleven_wrong_passwords_spread_over_3_workers_trip_the_sign_in_limit(
        tmp_path, project_root):
    server, base, _ = _gunicorn(tmp_path, project_root, {})
    try:
        # each attempt on a new connection, which any of the 3 workers may take: a limit
        # kept in one process's memory would count 3 or 4 of them and never trip
        statuses = [_sign_in(base, f"wrong guess {n}") for n in range(10)]
        assert statuses == [401] * 10  # the form again, with its error
        assert _sign_in(base, "wrong guess 10") == 429
        assert _sign_in(base, "hana's password 1") == 429  # even the right one, for now
    finally:
        server.terminate()
        server.communicate(timeout=30)
