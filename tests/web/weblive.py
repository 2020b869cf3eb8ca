"""A real HTTP server for browser tests: werkzeug's make_server in a thread on a free port."""

from __future__ import annotations

import threading

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
