"""A supplier's webhook cannot make the service call its own network (ADR 0017): a loopback,
private, link-local or local name is refused when set, with a message that says why and
nothing changed; and the sender resolves the host when it sends, refuses a name that resolves
to such an address, and calls the address it checked with the name kept in ``Host``. On SQLite
and PostgreSQL; the receiver is the project's fake on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from komunalka.adapters.webhooks import HttpWebhookSender
from komunalka.application.shared.actors import Actor
from komunalka.application.suppliers.manage_webhook import new_secret
from komunalka.application.suppliers.supplier_access import ServiceCaller
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.addresses import local_host, public_address
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from komunalka.i18n import translate
from tests.fakes import FakeClock, kyiv
from tests.servers.fake_webhooks import FakeWebhookReceiver
from tests.world import build_world

CALLER = ServiceCaller(Actor.system(Channel.CLI))
INSIDE = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://LOCALHOST./hook",
    "http://169.254.169.254/latest/meta-data",  # a cloud's metadata service
    "http://10.0.0.5/hook",
    "http://192.168.1.10/hook",
    "http://172.16.3.4/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://[::1]:8000/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fd00::1]/hook",
    "http://0.0.0.0/hook",
    "http://redis/hook",  # a one-label name: a container's or the LAN's
    "https://billing.internal/hook",
    "https://printer.local/hook",
]


@pytest.mark.parametrize("url", INSIDE)
def test_an_address_inside_is_seen_as_local(url: str) -> None:
    host = (
        url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
        if "[" not in url
        else (url.split("[", 1)[1].split("]", 1)[0])
    )
    assert local_host(host)


@pytest.mark.parametrize(
    ("address", "public"),
    [("8.8.8.8", True), ("2001:4860:4860::8888", True), ("127.0.0.1", False),
     ("::ffff:10.1.2.3", False), ("fe80::1%eth0", False), ("224.0.0.1", False), ("x", False)],
)  # fmt: skip
def test_only_globally_routable_addresses_are_public(address: str, public: bool) -> None:
    assert public_address(address) is public


@pytest.fixture
async def wiring(uow) -> Wiring:
    await build_world(uow)
    return Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)))  # as production: private refused


@pytest.mark.asyncio
@pytest.mark.parametrize("url", INSIDE[:4] + INSIDE[8:9] + INSIDE[12:13])
async def test_a_webhook_into_the_services_network_is_refused_and_changes_nothing(
    wiring: Wiring, url: str
) -> None:
    public = "https://hooks.example.com/komunalka"
    assert await wiring.manage_webhook.set_url(CALLER, "kte", public) is not None
    with pytest.raises(DomainError, match=r"webhook\.private_address") as refused:
        await wiring.manage_webhook.set_url(CALLER, "kte", url)
    assert (await wiring.manage_webhook.show(CALLER, "kte")).url == public
    assert "публічну адресу" in translate(refused.value.code, "uk")
    assert "public address" in translate(refused.value.code, "en")


@pytest.mark.asyncio
async def test_a_deployment_may_allow_a_receiver_on_its_network(uow) -> None:
    await build_world(uow)
    wiring = Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)), private_webhooks=True)
    assert await wiring.manage_webhook.set_url(CALLER, "kte", INSIDE[0]) is not None
    assert (await wiring.manage_webhook.show(CALLER, "kte")).url == INSIDE[0]


@pytest.fixture
async def receiver() -> AsyncIterator[FakeWebhookReceiver]:
    server = FakeWebhookReceiver(secret=new_secret())
    await server.start()
    yield server
    await server.stop()


def body() -> bytes:
    return json.dumps({"type": "test"}).encode()


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
async def test_the_sender_refuses_a_host_that_resolves_inside(
    receiver: FakeWebhookReceiver, name: str
) -> None:
    """A name set while it resolved outside may resolve inside later: judged when sent."""
    sender = HttpWebhookSender(timeout=2)
    try:
        url = receiver.hook.replace("127.0.0.1", name)
        answer = await sender.send(url, receiver.secret, "msg_1", body())
    finally:
        await sender.close()
    assert not answer.ok and answer.error == f"refused: {name} is not a public address"
    assert receiver.calls == []


@pytest.mark.asyncio
async def test_the_sender_calls_the_address_it_checked_under_the_receivers_name(
    receiver: FakeWebhookReceiver,
) -> None:
    seen: list[str] = []

    def allowed(address: str) -> bool:  # here loopback stands for a public address
        seen.append(address)
        return True

    sender = HttpWebhookSender(timeout=2, allowed=allowed)
    try:
        url = receiver.hook.replace("127.0.0.1", "localhost")
        answer = await sender.send(url, receiver.secret, "msg_2", body())
    finally:
        await sender.close()
    port = url.split(":")[2].split("/")[0]
    assert answer.ok, answer.error
    assert seen and all(a in ("127.0.0.1", "::1") for a in seen)
    assert [c["host"] for c in receiver.calls] == [f"localhost:{port}"]


@pytest.mark.asyncio
async def test_a_name_that_does_not_resolve_is_a_network_fault_not_a_crash() -> None:
    sender = HttpWebhookSender(timeout=2)
    try:
        answer = await sender.send("https://hooks.example.invalid/x", new_secret(), "m", body())
    finally:
        await sender.close()
    assert not answer.ok and (answer.error or "").startswith("network")
