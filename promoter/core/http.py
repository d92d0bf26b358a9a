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

import contextlib
import contextvars
import ipaddress
import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

__all__ = [
    "HttpError",
    "HttpReply",
    "address_allowed",
    "guarded_socket",
    "post_json",
    "request",
]

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
    """Return whether an outbound connection to the IP ``address`` is allowed.

    Only global unicast addresses are, unless the operator allows private ones; an IPv6 form
    that carries an IPv4 address (mapped, NAT64, 6to4) must carry an allowed one too.
    """
    if settings.INTEGRATIONS_ALLOW_PRIVATE_IPS:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _public(ip.ipv4_mapped)
        if any(ip in network for network in _NOT_GLOBAL_V6):
            return False
        # IPv6 forms that carry an IPv4 address a gateway would forward to: NAT64
        # (64:ff9b::/96, RFC 6052) and 6to4 (2002::/16) count as the address they carry.
        embedded = [ip.sixtofour] if ip.sixtofour is not None else []
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if not all(_public(v4) for v4 in embedded):
            return False
    return _public(ip)


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Blocks of the IANA special-purpose registry that Python 3.11's ``ipaddress`` still counts as
# global. No public host has an address in one: each leads into the local network (a local
# translator to IPv4, an old site-local network, a host's own IPv4 stack) or nowhere, so they
# are refused whole, whatever IPv4 address they carry.
_NOT_GLOBAL_V6 = tuple(
    ipaddress.IPv6Network(block)
    for block in (
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): the translator is the operator's
        "::/96",  # IPv4-compatible ::a.b.c.d (deprecated by RFC 4291)
        "::ffff:0:0:0/96",  # SIIT IPv4-translated ::ffff:0:a.b.c.d (RFC 2765)
        "fec0::/10",  # site-local (deprecated by RFC 3879, still routed inside some sites)
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 segment identifiers (RFC 9602)
    )
)


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


def guarded_socket(
    host: str, port: int, timeout: float | None, source_address: Any = None
) -> socket.socket:
    """Connect a TCP socket to ``host``:``port`` for a protocol other than HTTP (a project's
    own SMTP server), with the same address check as :func:`request`: the name is resolved
    here and every address it resolves to must be allowed. Raise HttpError when refused."""
    return _guarded_connect((host, port), timeout, source_address, None)


class _Deadline:
    """The wall-clock limit of one whole exchange.

    urllib3's timeouts bound each socket operation, not their sum: a receiver that drips its
    reply a byte at a time, each within the read timeout, would hold a worker for hours. When
    the time runs out, a timer shuts the exchange's socket down, which ends any read at once.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._token = _deadline.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _deadline.reset(self._token)

    def watch(self, sock: socket.socket | None) -> None:
        """Shut ``sock`` down when the time runs out (at once if it already has)."""
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


_deadline: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar(
    "promoter_http_deadline", default=None
)


class _Guarded:
    """Connects through :func:`_guarded_connect`, keeping urllib3's own errors, and puts the
    socket of each exchange under the request's :class:`_Deadline`."""

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

    def getresponse(self) -> Any:
        # A pooled connection is reused without connecting again: watch it here, where every
        # exchange passes once its request is sent, before its reply is read.
        if (deadline := _deadline.get()) is not None:
            deadline.watch(getattr(self, "sock", None))
        return super().getresponse()  # type: ignore[misc]


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


def _forget_pool() -> None:
    """In a forked child (an RQ job runs in one), start with no pooled connection: the pool's
    sockets are the parent's too, and two processes writing one connection mix up their
    requests and replies (a delivery then fails for another's answer)."""
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


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
    ``OUTBOUND_TIMEOUT_SECONDS``), the whole exchange after twice that, however slowly the
    reply trickles in; only the first ``MAX_REPLY_BYTES`` of the reply are read. No retries, no
    redirects, no proxies.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpError(f"not an http(s) URL: {url[:100]!r}", transient=False)
    seconds = float(timeout if timeout is not None else settings.OUTBOUND_TIMEOUT_SECONDS)
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    started = time.monotonic()
    deadline = _Deadline(2 * seconds)
    too_slow = f"{method} {parts.hostname} timed out: no whole reply within {2 * seconds:g} s"
    try:
        with deadline:
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
        if deadline.expired:  # the reply may have been cut short
            raise HttpError(too_slow, transient=True)
    except HttpError:
        raise
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        if deadline.expired:
            raise HttpError(too_slow, transient=True) from None
        if isinstance(exc, OSError):
            raise HttpError(f"{method} {parts.hostname} failed: {exc}", transient=True) from None
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, HttpError):
            raise reason from None
        # urllib3's NewConnectionError (refused, unreachable) subclasses its TimeoutError.
        timed_out = isinstance(
            reason, TimeoutError | urllib3.exceptions.TimeoutError
        ) and not isinstance(reason, NewConnectionError)
        kind = "timed out" if timed_out else "failed"
        raise HttpError(f"{method} {parts.hostname} {kind}: {reason}", transient=True) from None
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
