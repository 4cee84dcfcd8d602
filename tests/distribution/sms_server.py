"""Local HTTP servers standing in for the SMS providers in tests.

Each provider's test module writes a handler that checks the request the way that provider
does (recomputing its signature independently of the adapter's code) and answers in the
provider's documented format. These helpers only run it on 127.0.0.1.
"""

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lowercased
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"

    @classmethod
    def json(cls, status: int, document: Any) -> "Reply":
        return cls(status, json.dumps(document, ensure_ascii=False).encode())


Handler = Callable[[ReceivedRequest], Reply]


@dataclass
class FakeServer:
    base_url: str
    received: list[ReceivedRequest] = field(default_factory=list)


@contextmanager
def running_server(handler: Handler) -> Iterator[FakeServer]:
    """Serve ``handler`` on an ephemeral local port for the duration of the block."""
    received: list[ReceivedRequest] = []

    class RequestHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = ReceivedRequest(
                method="POST",
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length),
            )
            received.append(request)
            reply = handler(request)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield FakeServer(base_url=f"http://{host!s}:{port}", received=received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def silent_server() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) but never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        host, port = listener.getsockname()
        yield f"http://{host}:{port}"
    finally:
        listener.close()


def closed_port_url() -> str:
    """An address where nothing listens (connection refused)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    host, port = probe.getsockname()
    probe.close()
    return f"http://{host}:{port}"
