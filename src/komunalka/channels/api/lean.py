"""Reading a request by hand, for the hot routes that skip FastAPI's parameter solving.

`POST /api/v1/readings` takes only the `Request`: FastAPI then neither reads the body nor
resolves parameters, and the route parses the JSON straight into its pydantic model (one pass,
in pydantic's core). Errors are FastAPI's own `RequestValidationError`, so the answer is the same
422 as for any other route. What the route would have declared is documented by `openapi_extra`
(`documented`), and the models it names are added to the schema by `complete_openapi`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


async def json_body(request: Request, model: type[M]) -> M:
    """The body as `model`; a body that is not JSON of that shape is a 422."""
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if kind != "application/json" and not kind.endswith("+json"):
        raise RequestValidationError(
            [{"type": "content_type", "loc": ("body",), "msg": "JSON expected", "input": kind}]
        )
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def header(request: Request, name: str, max_length: int) -> str | None:
    """An optional header, refused (422) when longer than `max_length`."""
    value = request.headers.get(name)
    if value is not None and len(value) > max_length:
        error = {"type": "string_too_long", "loc": ("header", name), "msg": "too long"}
        raise RequestValidationError([{**error, "input": value[:max_length]}])
    return value


def documented(model: type[BaseModel], headers: Sequence[tuple[str, str, int | None]]) -> Any:
    """`openapi_extra` for a route that reads `model` and `headers` (name, description, maximum
    length) by hand."""
    parameters = []
    for name, description, max_length in headers:
        schema: dict[str, Any] = {"type": "string"}
        if max_length is not None:
            schema["maxLength"] = max_length
        parameters.append(
            {"name": name, "in": "header", "required": False, "description": description}
            | {"schema": schema}
        )
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        "parameters": parameters,
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
    }


def complete_openapi(app: FastAPI, models: Sequence[type[BaseModel]]) -> Callable[[], Any]:
    """The app's `openapi` with the schemas of `models` (read by hand) among its components."""

    def openapi() -> Any:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            found = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, nested in found.pop("$defs", {}).items():
                components.setdefault(name, nested)
            components[model.__name__] = found
        app.openapi_schema = schema
        return schema

    return openapi
