"""Request ids, /metrics and /ready through the app's HTTP interface, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.tables import outbox
from komunalka.application.shared.actors import Actor
from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container
from komunalka.bootstrap.jobs import PeriodicJob, run_job
from komunalka.bootstrap.logs import RequestContext
from komunalka.bootstrap.metrics import metrics
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from tests.fakes import FakeClock, kyiv
from tests.world import World, build_world

TOKEN = "metrics-token-0123456789"


@pytest.fixture
async def served(uow, engine, database_url) -> AsyncIterator[tuple[httpx.AsyncClient, World, str]]:
    world = await build_world(uow)
    use_cases = Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)))
    issued = await use_cases.issue_token(Actor.system(), resident_id=world.resident)
    settings = Settings(database_url=database_url, metrics_token=TOKEN)
    app = create_app(container=Container(settings, engine, use_cases))
    said: list[logging.LogRecord] = []

    async def speak() -> dict[str, str]:
        logging.getLogger("komunalka.test").warning("account 1234567890 looked up")
        return {}

    app.add_api_route("/test/speak", speak)
    handler = _Keep(said)
    handler.addFilter(RequestContext())
    logging.getLogger("komunalka.test").addHandler(handler)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        client.headers["Authorization"] = f"Bearer {issued.token}"
        client.said = said  # type: ignore[attr-defined]
        yield client, world, issued.token
    logging.getLogger("komunalka.test").removeHandler(handler)


class _Keep(logging.Handler):
    def __init__(self, kept: list[logging.LogRecord]) -> None:
        super().__init__()
        self.kept = kept

    def emit(self, record: logging.LogRecord) -> None:
        self.kept.append(record)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        metric, _, value = line.rpartition(" ")
        got = re.fullmatch(r"([^{]+)(?:\{(.*)\})?", metric)
        assert got
        if got.group(1) == name and ",".join(sorted((got.group(2) or "").split(","))) == inner:
            return float(value)
    return 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    answer = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


async def test_every_answer_carries_a_request_id_and_a_sane_incoming_one_is_kept(served) -> None:
    client, _, _ = served
    made = await client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    again = await client.get("/health")
    assert again.headers["x-request-id"] != made.headers["x-request-id"]
    kept = await client.get("/health", headers={"X-Request-ID": "proxy-42.a:b"})
    assert kept.headers["x-request-id"] == "proxy-42.a:b"
    for insane in ("x" * 65, "a b", "<script>", ""):
        answer = await client.get("/nowhere", headers={"X-Request-ID": insane})
        assert answer.status_code == 404
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])


async def test_the_request_id_is_in_the_requests_log_records_and_the_account_is_masked(
    served,
) -> None:
    client, _, _ = served
    answer = await client.get("/test/speak", headers={"X-Request-ID": "req-7"})
    assert answer.status_code == 200
    (record,) = client.said
    assert record.request_id == "req-7"
    assert record.getMessage() == "account ********90 looked up"


async def test_metrics_need_the_token(served) -> None:
    client, _, _ = served
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
    assert (wrong.status_code, wrong.headers["www-authenticate"]) == (401, "Bearer")


async def test_metrics_are_not_served_without_a_token_set(uow, engine, database_url) -> None:
    settings = Settings(database_url=database_url)
    app = create_app(
        container=Container(settings, engine, Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20))))
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/metrics", headers={"Authorization": "Bearer "})
    assert answer.status_code == 404


async def test_requests_are_counted_by_route_template_and_readings_by_channel(served) -> None:
    client, world, _ = served
    before = await scrape(client)
    for meter in (world.hot_water, 999_001, 999_002):
        await client.get(f"/api/v1/meters/{meter}/history")
    await client.get("/some/random/path/1")
    body = {"readings": [{"meter_id": world.hot_water, "value": "117,5"}]}
    key = {"Idempotency-Key": "m-1"}
    assert (await client.post("/api/v1/readings", json=body, headers=key)).status_code == 201
    assert (await client.post("/api/v1/readings", json=body, headers=key)).status_code == 200
    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    route = "/api/v1/meters/{meter_id}/history"
    requests = "komunalka_http_requests_total"
    assert grew(requests, method="GET", route=route, status="200") == 1
    assert grew(requests, method="GET", route=route, status="404") == 2
    assert grew(requests, method="GET", route="unmatched", status="404") == 1
    assert "999001" not in after and "/some/random" not in after  # no raw path in a label
    latency = "komunalka_http_request_duration_seconds_count"
    assert grew(latency, method="GET", route=route) == 3
    # the replay under the same key is not a second reading
    assert grew("komunalka_readings_accepted_total", channel="api") == 1


async def test_queue_depth_and_lag_are_measured_when_scraped(served, engine) -> None:
    client, _, _ = served
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            outbox.insert(),
            [
                {
                    "channel": "email",
                    "recipient": "a@example.com",
                    "subject": "s",
                    "body": "b",
                    "created_at": now - timedelta(minutes=age),
                    "state": state,
                }
                for age, state in ((10, "waiting"), (1, "waiting"), (30, "sent"))
            ],
        )
    text = await scrape(client)
    assert sample(text, "komunalka_queue_depth", queue="outbox") == 2
    assert 590 < sample(text, "komunalka_queue_lag_seconds", queue="outbox") < 900
    assert sample(text, "komunalka_queue_depth", queue="reminders") == 0
    assert sample(text, "komunalka_imports_running", kind="upload") == 0
    assert "komunalka_db_pool_checked_out" in text


async def test_ready_when_the_database_answers_and_the_schema_is_current(served) -> None:
    client, _, _ = served
    answer = await client.get("/ready")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "database": "ok", "schema": "ok"}


async def test_not_ready_on_a_database_without_the_schema(empty_database, database_url) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    url = await empty_database(backend)
    engine = create_engine(url)
    try:
        from komunalka.adapters.db.storage import SqlStorage

        settings = Settings(database_url=url)
        app = create_app(
            container=Container(
                settings, engine, Wiring.wire(SqlStorage(engine), FakeClock(kyiv(2026, 11, 20)))
            )
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answer = await client.get("/ready")
    finally:
        await engine.dispose()
    assert answer.status_code == 503
    assert answer.json()["schema"] == "not at the newest migration"


@pytest.mark.parametrize(
    ("redis_url", "status", "said"),
    [("redis://127.0.0.1:6379/0", 200, "ok"), ("redis://127.0.0.1:1/0", 503, "unreachable")],
)
async def test_ready_asks_redis_when_it_is_configured(
    uow, engine, database_url, redis_url, status, said
) -> None:
    settings = Settings(database_url=database_url, redis_url=redis_url)
    app = create_app(
        container=Container(settings, engine, Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20))))
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/ready")
    assert (answer.status_code, answer.json()["redis"]) == (status, said)


@dataclass
class Report:
    sent: int
    failed: int
    merged: int


async def test_job_runs_and_their_outcomes_are_counted() -> None:
    registry = metrics().registry

    def value(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, labels) or 0.0

    before = (
        value("komunalka_job_outcomes_total", job="t_send", outcome="sent"),
        value("komunalka_job_outcomes_total", job="t_send", outcome="failed"),
        value("komunalka_job_runs_total", job="t_send", result="ok"),
        value("komunalka_job_runs_total", job="t_send", result="failed"),
    )

    async def sends() -> Report:
        return Report(sent=3, failed=1, merged=0)

    async def breaks() -> Report:
        raise RuntimeError("database away")

    await run_job(PeriodicJob("t_send", timedelta(seconds=1), sends))
    with pytest.raises(RuntimeError):
        await run_job(PeriodicJob("t_send", timedelta(seconds=1), breaks))
    after = (
        value("komunalka_job_outcomes_total", job="t_send", outcome="sent"),
        value("komunalka_job_outcomes_total", job="t_send", outcome="failed"),
        value("komunalka_job_runs_total", job="t_send", result="ok"),
        value("komunalka_job_runs_total", job="t_send", result="failed"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 1, 1, 1]
    assert value("komunalka_job_outcomes_total", job="t_send", outcome="merged") == 0


async def test_a_made_up_method_is_counted_as_other(served) -> None:
    client, _, _ = served
    before = await scrape(client)
    for method in ("FOO", "BAR", "BAZ"):
        await client.request(method, "/health")
    after = await scrape(client)
    name = "komunalka_http_requests_total"
    labels = {"method": "other", "route": "/health", "status": "405"}
    assert sample(after, name, **labels) - sample(before, name, **labels) == 3
    assert 'method="FOO"' not in after
