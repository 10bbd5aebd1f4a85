"""What the web service tells its operators (docs/adr/0029): a request id on
every request and log line, the metrics of each request, `/metrics` for Prometheus (only with
KOMUNALKA_METRICS_TOKEN) and `/ready` beside `/health` (the database and Redis answer, the
schema is at the newest migration)."""

from __future__ import annotations

import hmac
import os
import re
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from komunalka.bootstrap.container import Container, make_clock
from komunalka.bootstrap.logs import request_id
from komunalka.bootstrap.metrics import Metrics, metrics

HEADER = b"x-request-id"
# An incoming id is kept when it is short and plain (a proxy's or a client's); else a new one.
SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
UNMATCHED = "unmatched"  # no route: 404s of any path share one label
# Any other method a client makes up is counted as "other": labels stay bounded.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Observe:
    """Pure ASGI middleware (no BaseHTTPMiddleware: nothing between it and the app but a
    closure): takes or makes the request id, sets it for the request's logs, returns it in
    `X-Request-ID`, and counts the request by method, route template and status with its
    latency. The route template (`/api/v1/meters/{meter_id}`), never the path, labels the
    metrics, so their number stays bounded whatever paths clients try."""

    def __init__(self, app: ASGIApp, measured: Metrics) -> None:
        self.app = app
        self.requests = measured.requests
        self.latency = measured.latency
        # prometheus-client's labels() takes a lock and builds a key each call: the children
        # are looked up once per (method, route, status), a bounded set
        self.children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope["headers"]) or os.urandom(16).hex()  # a quarter of uuid4's time
        raw_id = rid.encode()
        token = request_id.set(rid)
        start = time.perf_counter()
        status = 500  # an exception with no answer sent

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, raw_id)]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"]
            key = (method if method in METHODS else "other", route, status)
            children = self.children.get(key) or self._children(key)
            children[0].inc()
            children[1].observe(time.perf_counter() - start)
            request_id.reset(token)

    def _children(self, key: tuple[str, str, int]) -> tuple[Any, Any]:
        method, route, status = key
        made = (
            self.requests.labels(method, route, str(status)),
            self.latency.labels(method, route),
        )
        self.children[key] = made
        return made


def _incoming_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == HEADER:
            return value.decode("ascii") if SANE_ID.fullmatch(value) else None
    return None


def install_observability(app: FastAPI, container: Container) -> None:
    """The middleware (add it last: outermost, so refused bodies are counted too), `/metrics`
    and `/ready`."""
    measured = metrics()
    measured.pool.watch(container.engine)
    settings = container.settings
    clock = make_clock(settings)

    async def metrics_endpoint(request: Request) -> Response:
        token = settings.metrics_token
        if not token:
            raise StarletteHTTPException(404)
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, f"Bearer {token}".encode()):
            return Response(status_code=401, headers={"www-authenticate": "Bearer"})
        await _measure_queues(container, measured, clock.now())
        return Response(generate_latest(measured.registry), media_type=CONTENT_TYPE_LATEST)

    async def ready() -> JSONResponse:
        checks = await readiness(container)
        ok = all(value == "ok" for value in checks.values())
        body = {"status": "ready" if ok else "not ready", **checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        "/ready",
        ready,
        methods=["GET"],
        tags=["service"],
        summary="Ready to serve: the database (and Redis) answer, the schema is current.",
        responses={503: {"description": "Not ready: the body names what is not."}},
    )
    app.add_middleware(Observe, measured=measured)


async def readiness(container: Container) -> dict[str, str]:
    """`ok` or what is wrong, for the database, the schema and (when configured) Redis."""
    checks: dict[str, str] = {}
    database_ok = await container.use_cases.check_health()
    checks["database"] = "ok" if database_ok else "unreachable"
    checks["schema"] = await _schema(container) if database_ok else "unknown"
    if container.settings.redis_url:
        checks["redis"] = await _redis_answers(container.settings.redis_url)
    return checks


_HEAD: list[str | None] = []  # the newest migration, read once a process (it cannot change)


async def _schema(container: Container) -> str:
    from komunalka.adapters.db import migrate  # Alembic loads on the first readiness check

    if not _HEAD:
        _HEAD.append(migrate.head())
    try:
        current = await migrate.current(container.engine)
    except Exception:
        return "unknown"
    return "ok" if current == _HEAD[0] else "not at the newest migration"


async def _redis_answers(url: str) -> str:
    from redis.asyncio import Redis

    client: Any = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception:
        return "unreachable"
    finally:
        await client.aclose()
    return "ok"


async def _measure_queues(container: Container, measured: Metrics, now: Any) -> None:
    """The gauges read when scraped: the database's queues and imports, and with Redis the job
    stream's length and the tasks taken by workers and not yet acknowledged."""
    from komunalka.adapters.db.queue_stats import queue_stats

    try:
        stats = await queue_stats(container.engine, now)
    except Exception:  # the database away: the counters still answer; /ready says why
        return
    for name, depth in stats.depth.items():
        measured.queue_depth.labels(name).set(depth)
        measured.queue_lag.labels(name).set(stats.lag[name])
    for kind, running in stats.imports.items():
        measured.imports.labels(kind).set(running)
        measured.import_rows.labels(kind).set(stats.import_rows[kind])
    settings = container.settings
    if settings.redis_url:
        await _measure_stream(settings.redis_url, settings.jobs_queue, measured)


async def _measure_stream(url: str, prefix: str, measured: Metrics) -> None:
    from redis.asyncio import Redis

    client: Any = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        length = await client.xlen(f"{prefix}:jobs")
        pending = 0
        for group in await client.xinfo_groups(f"{prefix}:jobs"):
            pending += int(group.get("pending", group.get(b"pending", 0)))
    except Exception:  # no stream yet (no kick so far), or Redis away
        return
    finally:
        await client.aclose()
    measured.queue_depth.labels("jobs_stream").set(length)
    measured.queue_depth.labels("jobs_pending").set(pending)
