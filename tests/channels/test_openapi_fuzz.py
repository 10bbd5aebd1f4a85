"""Schemathesis against the REST API's OpenAPI document, in process, bounded and deterministic:
no generated request, valid or not, gets a server error, and every answer is one the document
describes (its status and its body's schema)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.channels.pages import Site

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


async def send(site: Site, kwargs: dict[str, Any]) -> httpx.Response:
    headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()}
    headers.setdefault("Authorization", f"Bearer {site.demo.token}")
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body["content" if isinstance(data, bytes | str) else "data"] = data
    return await site.client.request(
        kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers, **body
    )


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_the_api_keeps_to_its_openapi_document(
    site: Site, mode: GenerationMode, data: st.DataObject
) -> None:
    app = site.client._transport.app  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_dict(app.openapi())
    case = data.draw(schema.as_strategy(generation_mode=mode), label="case")
    kwargs = case.as_transport_kwargs(base_url="https://test")
    answer = await send(site, kwargs)
    case.validate_response(answer, checks=CHECKS, transport_kwargs=kwargs)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_the_changes_feed_keeps_to_its_openapi_document_with_a_suppliers_token(
    site: Site, mode: GenerationMode, data: st.DataObject
) -> None:
    """The feed's routes with a supplier's token, so that generated cursors, limits and bodies
    reach the feed itself: never a server error, every answer as documented."""
    from komunalka.application.shared.actors import Actor
    from komunalka.application.suppliers.supplier_access import ServiceCaller

    issued = await site.use_cases.issue_supplier_token(ServiceCaller(Actor.system()), "kte", "f")
    app = site.client._transport.app  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_dict(app.openapi()).include(
        path_regex=r"^/api/v1/supplier/readings/(changes|ack)$"
    )
    case = data.draw(schema.as_strategy(generation_mode=mode), label="case")
    kwargs = case.as_transport_kwargs(base_url="https://test")
    kwargs["headers"] = {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {issued.token}"}
    answer = await send(site, kwargs)
    case.validate_response(answer, checks=CHECKS, transport_kwargs=kwargs)
