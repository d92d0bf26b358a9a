"""All outbound HTTP of Promoter: timeouts everywhere, bounded replies, and no requests to
private, loopback or link-local addresses for URLs that users typed (SSRF).

The address check happens when the socket connects, on the very addresses it connects to,
so a name that resolves to a public address when checked and to a private one later (DNS
rebinding) is still refused. Redirects are never followed: a webhook that answers 3xx is a
failed delivery, which the destination's owner can see and fix. The operator can allow
private addresses with ``INTEGRATIONS_ALLOW_PRIVATE_IPS=true`` (an intranet Zendesk, or tests
that run their receivers on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

__all__ = ["HttpError", "HttpReply", "address_allowed", "post_json", "request"]

MAX_REPLY_BYTES = 64 * 1024  # what we keep of a reply: enough for error messages and ids
USER_AGENT = "Promoter-Webhooks/1"


class HttpError(Exception):
    """No HTTP reply: the URL is refused, the name does not resolve, the connection failed or
    timed out. ``transient`` says whether trying again later may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes  # at most MAX_REPLY_BYTES
    elapsed_ms: int

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8", "replace"))

    def text(self, limit: int = 500) -> str:
        return self.body[:limit].decode("utf-8", "replace").strip()


def address_allowed(address: str) -> bool:
    """Return whether an outbound connection to the IP ``address`` is allowed."""
    if settings.INTEGRATIONS_ALLOW_PRIVATE_IPS:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _guarded_connect(
    address: tuple[str, int], timeout: Any, source_address: Any, socket_options: Any
) -> socket.socket:
    """Resolve, refuse any disallowed address, then connect to the addresses just checked."""
    host, port = address
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise HttpError(f"cannot resolve {host}: {exc.strerror}", transient=True) from None
    refused = [str(info[4][0]) for info in infos if not address_allowed(str(info[4][0]))]
    if refused:
        raise HttpError(
            f"{host} resolves to a private or reserved address ({refused[0]}): refused",
            transient=False,
        )
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not None and timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"cannot connect to {host}")


class _Guarded:
    """Connects through :func:`_guarded_connect`, keeping urllib3's own errors."""

    _dns_host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        try:
            return _guarded_connect(
                (self._dns_host, self.port), self.timeout, self.source_address, self.socket_options
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"connecting to {self._dns_host} timed out") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"cannot connect: {exc}") from exc  # type: ignore[arg-type]


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


_pool: urllib3.PoolManager | None = None


def _manager() -> urllib3.PoolManager:
    global _pool
    if _pool is None:
        manager = urllib3.PoolManager(num_pools=50, maxsize=4, block=False)
        manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
        _pool = manager
    return _pool


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
) -> HttpReply:
    """Send one request and return the reply (any status); raise HttpError when there is none.

    The connection and each read time out after ``timeout`` seconds (default
    ``OUTBOUND_TIMEOUT_SECONDS``), the whole exchange after twice that; only the first
    ``MAX_REPLY_BYTES`` of the reply are read. No retries, no redirects, no proxies.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpError(f"not an http(s) URL: {url[:100]!r}", transient=False)
    seconds = float(timeout if timeout is not None else settings.OUTBOUND_TIMEOUT_SECONDS)
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    started = time.monotonic()
    try:
        reply = _manager().request(
            method,
            url,
            body=body,
            headers=all_headers,
            timeout=urllib3.Timeout(connect=seconds, read=seconds, total=2 * seconds),
            retries=False,
            redirect=False,
            preload_content=False,
        )
        try:
            data = reply.read(MAX_REPLY_BYTES, decode_content=True)
        finally:
            reply.release_conn() if reply.status < 400 else reply.drain_conn()
    except HttpError:
        raise
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, HttpError):
            raise reason from None
        # urllib3's NewConnectionError (refused, unreachable) subclasses its TimeoutError.
        timed_out = isinstance(
            reason, TimeoutError | urllib3.exceptions.TimeoutError
        ) and not isinstance(reason, NewConnectionError)
        kind = "timed out" if timed_out else "failed"
        raise HttpError(f"{method} {parts.hostname} {kind}: {reason}", transient=True) from None
    except OSError as exc:
        raise HttpError(f"{method} {parts.hostname} failed: {exc}", transient=True) from None
    return HttpReply(
        status=reply.status,
        headers={k.lower(): v for k, v in reply.headers.items()},
        body=data or b"",
        elapsed_ms=int((time.monotonic() - started) * 1000),
    )


def post_json(
    url: str,
    payload: Any,
    *,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
) -> HttpReply:
    """POST ``payload`` as compact UTF-8 JSON (see :func:`request`)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return request(
        "POST",
        url,
        body=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        timeout=timeout,
    )
