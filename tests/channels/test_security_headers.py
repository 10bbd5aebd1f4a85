"""The security headers of every answer and the bodies refused before they are read, through the
app over HTTP (httpx into the ASGI app)."""

from __future__ import annotations

import re

import httpx
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from komunalka.bootstrap.security_headers import SecurityHeaders, content_security_policy


def assert_secured(response: httpx.Response) -> None:
    policy = response.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self';",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "img-src 'self' data:;",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert "telegram" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_pages_carry_the_security_headers_and_are_not_stored(site) -> None:
    for path in ("/sign-in", "/staff/sign-in", "/password/reset/a-reset-token", "/"):
        response = await site.get(path)
        assert_secured(response)
        assert response.headers["cache-control"] == "no-store"


async def test_every_api_answer_carries_them_and_is_not_stored(site) -> None:
    refused = await site.client.post("/api/v1/readings", json={"readings": []})
    assert refused.status_code == 401
    health = await site.get("/health")
    for response in (refused, health):
        assert_secured(response)
        assert response.headers["cache-control"] == "no-store"


async def test_webhooks_carry_them(site) -> None:
    response = await site.client.post("/webhooks/telegram", json={})
    assert_secured(response)


async def test_static_files_may_be_cached(site) -> None:
    response = await site.get("/static/site.css")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in response.headers.get("cache-control", "")


async def test_a_declared_body_over_the_apis_limit_is_refused_at_once(site) -> None:
    response = await site.client.post(
        "/api/v1/readings",
        content=b"{" + b" " * 20_000 + b"}",
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request.too_large"
    assert response.headers["connection"] == "close"
    assert_secured(response)


async def test_a_streamed_body_over_the_pages_limit_is_cut(site) -> None:
    async def chunks():
        for _ in range(40):  # 40 × 10 KB, above the pages' 256 KB, with no Content-Length
            yield b"a" * 10_240

    response = await site.client.post(
        "/sign-in", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


async def test_telegrams_widget_is_let_in_only_where_it_is_shown() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("page")(scope, receive, send)

    guarded = SecurityHeaders(app, widget_pages={"/sign-in"})
    transport = httpx.ASGITransport(app=guarded)
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        sign_in = await client.get("/sign-in")
        other = await client.get("/readings")
    policy = sign_in.headers["content-security-policy"]
    assert policy == content_security_policy(telegram_widget=True)
    assert "script-src 'self' https://telegram.org 'unsafe-eval';" in policy
    assert "frame-src https://oauth.telegram.org;" in policy
    assert "frame-ancestors 'none'" in policy
    assert other.headers["content-security-policy"] == content_security_policy()
    assert "unsafe-eval" not in other.headers["content-security-policy"]


async def test_the_api_docs_use_only_this_services_files(site) -> None:
    page = await site.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert_secured(page)
    assert "<script>" not in page.text  # every script is a file: the strict policy holds
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 4
    for asset in assets:
        assert asset.startswith("/static/")  # same origin, no CDN
        served = await site.get(asset)
        assert served.status_code == 200, asset
        assert "no-store" not in served.headers.get("cache-control", "")
    assert 'data-openapi-url="/openapi.json"' in page.text
    assert (await site.get("/openapi.json")).status_code == 200
    assert (await site.get("/redoc")).status_code == 404
