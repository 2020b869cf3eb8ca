"""What browser tests share: a real HTTP server (werkzeug's make_server in a thread on a
free port), Debian's Chromium through Playwright, and a signed-in tab."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class QuietHandler(WSGIRequestHandler):
    """No request log lines in the test output."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class LiveServer:
    """Serve ``app`` on 127.0.0.1:<free port> until :meth:`stop`."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True,
                                  request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium, launched through Playwright (a browser test's module fixture)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def signed_in(browser, url: str, email: str, password: str, *, width: int = 1280,
              height: int = 900, timeout_ms: int = 30_000, **context_options):
    """A new browser context signed in as ``email`` on the app at ``url``, on its inbox:
    ``(context, page)``. A loaded machine signs in slowly, hence the timeout."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  **context_options)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{url}/")
    return context, page
