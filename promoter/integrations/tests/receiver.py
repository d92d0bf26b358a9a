"""A real HTTP server on 127.0.0.1 for the integration tests: it records every request and
answers from a script (status, headers, body, delay), then 200 once the script runs out."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a timeout when above the client's)


class Receiver:
    """``script`` answers in order; ``routes`` answers by path prefix (checked first)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: list[Answer] = []
        self.routes: dict[str, Answer] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver.lock:
                    receiver.requests.append(
                        Recorded(
                            method=self.command,
                            path=self.path,
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                        )
                    )
                    answer = next(
                        (a for p, a in receiver.routes.items() if self.path.startswith(p)), None
                    )
                    if answer is None:
                        answer = receiver.script.pop(0) if receiver.script else Answer()
                if answer.delay:
                    time.sleep(answer.delay)
                body_out = answer.body if answer.body is not None else {"ok": True}
                data = body_out if isinstance(body_out, bytes) else json.dumps(body_out).encode()
                known = answer.status in HTTPStatus._value2member_map_
                reason = HTTPStatus(answer.status).phrase if known else ""
                head = [f"HTTP/1.1 {answer.status} {reason}", "Content-Type: application/json",
                        f"Content-Length: {len(data)}"]  # fmt: skip
                head += [f"{name}: {value}" for name, value in answer.headers.items()]
                # One write, as real servers do (small writes meet delayed ACKs).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)

            do_POST = do_GET = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Recorded]:
        """Wait until ``n`` requests arrived; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError(f"expected {n} requests, got {len(self.requests)}")


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    """A recording HTTP server on 127.0.0.1, reachable because the test allows private IPs
    (a test of the SSRF guard turns them off again)."""
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    settings.OUTBOUND_TIMEOUT_SECONDS = 2
    settings.DELIVERY_RETRY_BASE_SECONDS = 0
    running = Receiver().start()
    yield running
    running.stop()
