"""Several web processes: gunicorn with 3 workers on loopback follows a library Reload in
every worker; processes starting together share one secret key."""

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


@pytest.mark.slow
def test_gunicorn_with_3_workers_serves_the_new_library_after_a_reload(tmp_path, project_root):
    library = tmp_path / "library"
    for kind in ("workflows", "forms"):
        shutil.copytree(project_root / kind, library / kind)
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    store.connect(url)
    store.create_tables()
    directory.import_csv(PEOPLE)
    store.close()
    port = _free_port()
    env = {**os.environ, "REVIEWFLOW_TRUSTED_HEADER": "X-User", "REVIEWFLOW_SECRET_KEY": "k"}
    server = subprocess.Popen(
        [str(REVIEWFLOW), "--db", url, "--library", str(library / "workflows"), "--library",
         str(library / "forms"), "serve", "--workers", "3", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        end = time.monotonic() + 60
        while True:
            try:
                page = browser.get("/hr/library/")
                break
            except OSError:
                assert time.monotonic() < end, "gunicorn did not start"
                time.sleep(0.2)
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
