"""Real peers on 127.0.0.1 for the connector tests: an SMTP server (aiosmtpd) and an HTTP server."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message; can be told to refuse after N messages."""

    def __init__(self, refuse_after: int | None = None) -> None:
        self.messages: list = []
        self.refuse_after = refuse_after

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_after is not None and len(self.messages) >= self.refuse_after:
            return "451 Try again later"
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextlib.contextmanager
def smtp_server(inbox: Inbox) -> Iterator[int]:
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


class Receiver:
    """What the webhook receiver got, and the status codes it answers with in turn.

    With `hold_first=N` the first N requests are read and recorded, then left unanswered until
    `release` is set: the caller is stuck mid-call, as long as the test wants. `delay` answers every
    request after that many seconds (a slow receiver).
    """

    def __init__(self, statuses: list[int], *, hold_first: int = 0, delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.requests: list[dict] = []
        self.hold_first = hold_first
        self.received = threading.Event()
        self.release = threading.Event()


@contextlib.contextmanager
def http_server(receiver: Receiver) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.requests.append({"headers": dict(self.headers), "body": body, "json": json.loads(body)})
            receiver.received.set()
            if len(receiver.requests) <= receiver.hold_first:
                # Bounded, so that a test that forgets to release cannot hang the server's shutdown.
                receiver.release.wait(timeout=60)
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            try:
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")
            except OSError:
                pass  # the caller is gone (a killed process): nobody to answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/atlas"
    finally:
        server.shutdown()
        server.server_close()
