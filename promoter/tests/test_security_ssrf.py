"""Outbound calls to user-supplied URLs never reach private addresses (issue 10, "Outbound
calls"; docs/security.md): DNS rebinding, mixed answers, IPv6 forms and redirects.

The guard in ``core/http.py`` checks the addresses a connection is actually made to, after
resolving the name at connect time, so what a name resolved to earlier (when the URL was
saved, or a previous delivery) does not matter. The resolver is patched here, so the tests
need no DNS; the "private" address is a real recording server on 127.0.0.1, so a guard that
let the connection through would be seen.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from promoter.core import http
from promoter.core.http import HttpError, address_allowed, request
from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Delivery, DeliveryStatus, Event
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.routing import response_event
from promoter.integrations.tests.receiver import Answer
from promoter.responses.services import response_create

PUBLIC = "93.184.215.14"


class Resolver:
    """Answers for one host name, in turn; every other name resolves normally."""

    def __init__(self, host: str, answers: list[list[str]]) -> None:
        self.host, self.answers, self.calls = host, answers, 0
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != self.host:
            return self.real(host, port, *args, **kwargs)
        addresses = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in addresses
        ]


@pytest.fixture
def resolver(monkeypatch) -> Iterator[Any]:
    def install(host: str, answers: list[list[str]]) -> Resolver:
        fake = Resolver(host, answers)
        monkeypatch.setattr(http.socket, "getaddrinfo", fake)
        return fake

    yield install


def _answer(project: Any) -> Any:
    response, _ = response_create(
        public_id=uuid.uuid4(),
        survey=project.surveys.get(kind="nps"),
        end_user=None,
        score=9,
        comment="fine",
        now=timezone.now(),
    )
    return response


def test_dns_rebinding_to_loopback_is_refused_at_connect(world, receiver, resolver, settings):
    # At validation the name is public; when the worker connects it points at 127.0.0.1,
    # where a real server listens.
    rebinding = resolver("hooks.rebind.example", [[PUBLIC], ["127.0.0.1"]])
    first = socket.getaddrinfo("hooks.rebind.example", 80)[0][4][0]
    assert first == PUBLIC and address_allowed(first)
    url = receiver.url.replace("127.0.0.1", "hooks.rebind.example") + "/hook"
    destination_create(project=world.alpha, kind="webhook", name="Rebind", data={"url": url})
    rule_create(destination=world.alpha.destinations.get(), events=[Event.CREATED])
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    response_event(response=_answer(world.alpha), event=Event.CREATED)
    assert deliveries_process(worker="test").failed == 1
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED  # permanent: no retries
    assert "127.0.0.1" in delivery.last_error and "private or reserved" in delivery.last_error
    assert receiver.requests == []
    assert rebinding.calls == 2  # resolved again at connect, not trusted from before


def test_the_same_name_reaches_the_server_when_the_operator_allows_private_ips(
    world, receiver, resolver
):
    # The control: the patched name really leads to the receiver, so the refusal above is
    # the guard's doing.
    resolver("hooks.rebind.example", [["127.0.0.1"]])
    url = receiver.url.replace("127.0.0.1", "hooks.rebind.example") + "/hook"
    assert request("POST", url, body=b"{}").status == 200
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        [PUBLIC, "127.0.0.1"],  # one good address is not enough: every one must be public
        ["10.0.0.5"],
        ["172.16.3.4"],
        ["100.64.0.1"],  # carrier-grade NAT
        ["169.254.169.254"],  # cloud metadata
        ["::1"],
        ["fd00::1"],  # unique local
        ["fe80::1"],  # link-local
        ["::ffff:10.0.0.1"],  # IPv4-mapped
        ["64:ff9b::a00:1"],  # NAT64 of 10.0.0.1 is not global either
        ["2002:a00:1::1"],  # 6to4 of 10.0.0.1
        ["64:ff9b:1::a00:1"],  # local-use NAT64 of 10.0.0.1
        ["::ffff:0:a00:1"],  # SIIT form of 10.0.0.1
        ["fec0::1"],  # site-local
    ],
)
def test_names_resolving_to_any_private_address_are_refused(resolver, settings, answer):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    resolver("evil.example", [answer])
    with pytest.raises(HttpError, match="private or reserved") as refused:
        request("POST", "http://evil.example/hook", body=b"{}")
    assert refused.value.transient is False


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0x7f000001/",
        "http://127.1/",
        "http://[0:0:0:0:0:ffff:7f00:1]/",
    ],
)
def test_unusual_spellings_of_loopback_are_refused(settings, url):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    with pytest.raises(HttpError, match=r"private or reserved|cannot resolve"):
        request("GET", url)


def test_a_redirect_to_a_private_address_is_never_followed(world, receiver, settings):
    receiver.script = [
        Answer(status=307, headers={"Location": "http://127.0.0.1:9/internal"}),
        Answer(status=200),
    ]
    url = receiver.url + "/hook"
    destination_create(project=world.alpha, kind="webhook", name="R", data={"url": url})
    rule_create(destination=world.alpha.destinations.get(), events=[Event.CREATED])
    response_event(response=_answer(world.alpha), event=Event.CREATED)
    assert deliveries_process(worker="test").failed == 1
    assert [r.path for r in receiver.requests] == ["/hook"]  # nothing went to the Location
    assert "does not follow redirects" in Delivery.objects.get().last_error


def test_every_transport_sends_through_the_guarded_client():
    """No integration opens its own connections: their outbound HTTP is core/http only."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "integrations"
    for path in root.glob("*/transport.py"):
        text = path.read_text(encoding="utf-8")
        for raw in ("import requests", "import urllib3", "urllib.request", "http.client",
                    "import httpx", "socket.create_connection"):  # fmt: skip
            assert raw not in text, f"{path.parent.name}: {raw}"


@pytest.mark.parametrize("address", [PUBLIC, "2606:4700:4700::1111", "64:ff9b::5db8:d70e"])
def test_public_addresses_stay_allowed(settings, address):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    assert address_allowed(address)


# The classification alone, address by address: no resolver, no connection. PUBLIC is
# 93.184.215.14 (0x5db8:d70e); 10.0.0.1 is 0xa00:1.
@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        (PUBLIC, True),
        ("2606:4700:4700::1111", True),
        ("::ffff:93.184.215.14", True),  # IPv4-mapped public
        ("64:ff9b::5db8:d70e", True),  # well-known NAT64 of a public address
        ("2002:5db8:d70e::1", True),  # 6to4 of a public address
        ("127.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104  (an address to classify, not one to bind)
        ("10.0.0.5", False),
        ("172.16.3.4", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),  # cloud metadata
        ("192.0.2.1", False),  # documentation
        ("224.0.0.1", False),  # multicast
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("fd00::1", False),  # unique local
        ("fe80::1", False),  # link-local
        ("fe80::1%eth0", False),  # link-local with a zone
        ("ff0e::1", False),  # global-scope multicast
        ("2001:db8::1", False),  # documentation
        ("::ffff:10.0.0.1", False),  # IPv4-mapped private
        ("::ffff:127.0.0.1", False),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        # Forms Python 3.11's ipaddress calls global, though no public host has one:
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 (RFC 8215), private IPv4 inside
        ("64:ff9b:1::5db8:d70e", False),  # local-use NAT64 leads into the local network
        ("64:ff9b:1:ffff::1", False),
        ("::a00:1", False),  # IPv4-compatible (::/96, deprecated) 10.0.0.1
        ("::127.0.0.1", False),
        ("::93.184.215.14", False),  # IPv4-compatible, even of a public address
        ("::ffff:0:a00:1", False),  # SIIT IPv4-translated (::ffff:0:0:0/96) 10.0.0.1
        ("::ffff:0:127.0.0.1", False),
        ("::ffff:0:5db8:d70e", False),
        ("fec0::1", False),  # site-local (fec0::/10, deprecated)
        ("feff:ffff::1", False),
        ("3fff::1", False),  # documentation (RFC 9637)
        ("5f00::1", False),  # SRv6 segment identifiers (RFC 9602)
    ],
)
def test_address_classification(settings, address, allowed):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    assert address_allowed(address) is allowed
    # The operator's switch allows everything, these included.
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    assert address_allowed(address) is True


# A project's own mail server (Settings > smtp_url) is user input too -------------------------


@pytest.fixture
def smtp_sink(settings) -> Iterator[Any]:
    from promoter.integrations.tests.conftest import SmtpSink

    sink = SmtpSink()
    sink.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # installation's
    yield sink
    sink.controller.stop()


def _reply(world: Any) -> Any:
    from promoter.people.models import EndUser
    from promoter.responses import triage

    now = timezone.now()
    person = EndUser.objects.create(
        project=world.alpha, email=f"{uuid.uuid4().hex[:8]}@example.com",
        first_seen_at=now, last_seen_at=now,
    )  # fmt: skip
    response = _answer(world.alpha)
    response.end_user = person
    response.save(update_fields=["end_user"])
    return triage.reply_send(response=response, author=world.member, subject="Hi", body="Yes")


@pytest.mark.parametrize("host", ["127.0.0.1", "mail.rebind.example"])
def test_a_projects_mail_server_on_a_private_address_is_refused(
    world, smtp_sink, resolver, settings, host
):
    from promoter.responses.models import ReplyStatus

    resolver("mail.rebind.example", [["127.0.0.1"]])
    world.alpha.smtp_url = f"smtp://{host}:{smtp_sink.port}"
    world.alpha.save(update_fields=["smtp_url"])
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    refused = _reply(world)
    assert refused.status == ReplyStatus.FAILED
    assert "private or reserved" in refused.error
    assert smtp_sink.messages == []
    # The control: allowed by the operator, the same server gets the mail.
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    assert _reply(world).status == ReplyStatus.SENT
    assert len(smtp_sink.wait_for(1)) == 1


@pytest.mark.parametrize("use_ssl", [False, True])
def test_the_guarded_mail_backend_refuses_before_any_byte_is_sent(settings, use_ssl):
    from promoter.accounts.mail import GuardedEmailBackend

    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    backend = GuardedEmailBackend(host="127.0.0.1", port=9, use_ssl=use_ssl, timeout=2)
    with pytest.raises(ConnectionRefusedError, match="private or reserved"):
        backend.open()
