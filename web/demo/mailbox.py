"""A local SMTP server for the demo: it keeps every mail it receives as a file.

``make run`` starts it on 127.0.0.1:8025 and points the worker at it, so someone trying
the demo can read the mail their actions caused: each message is saved as
``instance/mail/<time>-<recipient>.eml`` (open it in a mail program) next to a
``.txt`` with its plain-text part. ``--discard`` keeps nothing (the benchmark's server).

    python -m web.demo.mailbox [--host 127.0.0.1] [--port 8025] [--dir instance/mail]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import re
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

from engine.clock import utcnow

_SAFE = re.compile(r"[^A-Za-z0-9@._-]+")


class Keeper:
    """An aiosmtpd handler that writes each message to ``folder`` (or counts it)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.count += 1
            number = self.count
        if self.folder is not None:
            self._keep(number, envelope)
        return "250 Message accepted for delivery"

    def _keep(self, number: int, envelope) -> None:
        data = envelope.original_content or envelope.content
        to = _SAFE.sub("_", ",".join(envelope.rcpt_tos))[:80]
        stem = f"{utcnow():%Y%m%d-%H%M%S}-{number:05d}-{to}"
        (self.folder / f"{stem}.eml").write_bytes(data)
        message = email.message_from_bytes(data, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        (self.folder / f"{stem}.txt").write_text(
            f"To: {message['To']}\nSubject: {message['Subject']}\n\n{text}", encoding="utf-8")


def serve(host: str, port: int, folder: Path | None) -> None:
    """Run until SIGTERM or Ctrl-C."""
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Keeper(folder), hostname=host, port=port)
    controller.start()
    where = f"kept in {folder.resolve()}" if folder is not None else "discarded"
    print(f"mail: an SMTP server on {host}:{port}; every message is {where}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="instance/mail", help="where to keep the mail")
    parser.add_argument("--discard", action="store_true", help="keep nothing (count only)")
    args = parser.parse_args(argv)
    serve(args.host, args.port, None if args.discard else Path(args.dir))


if __name__ == "__main__":
    main()
