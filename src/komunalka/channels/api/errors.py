"""Errors as JSON: a stable code and a message in the caller's language, in one place."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from komunalka.domain.errors import DomainError, Violation
from komunalka.i18n import negotiate, translate

STATUS = {
    "meter.not_found": 404,
    "supplier.not_found": 404,
    "reading.not_found": 404,
    "portal.no_period_file": 404,
    "resident.not_found": 404,
    "link.too_many_attempts": 429,
    "receipt.too_many": 429,
    "submission.key_reused": 409,
    "auth.required": 401,
    "auth.invalid": 401,
    "feed.bad_cursor": 400,
    "feed.bad_limit": 400,
    "feed.cursor_beyond_end": 400,
    "feed.ack_backwards": 409,
    "feed.ack_beyond_end": 409,
}


class ApiError(Exception):
    def __init__(self, code: str, status: int) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def language(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


def error_response(
    code: str, status: int, lang: str, violations: Sequence[Violation] = ()
) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": translate(
                code, lang, violations[0].params if len(violations) == 1 else None
            ),
            "violations": [
                {
                    "code": v.code,
                    "message": translate(v.code, lang, v.params),
                    "severity": v.severity.value,
                    "meter_id": v.meter_id,
                    "register": v.register,
                    "params": dict(v.params),
                }
                for v in violations
            ],
        }
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    codes = {v.code for v in exc.violations}
    code = exc.code if len(codes) == 1 else "request.rejected"
    status = STATUS.get(code, 422)
    return error_response(code, status, language(request), exc.violations)


async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.code, exc.status, language(request))


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = language(request)
    violations = [
        Violation("request.invalid_field", {"field": ".".join(str(p) for p in e["loc"][1:])})
        for e in exc.errors()
    ]
    return error_response("request.invalid", 422, lang, violations)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    codes = {
        400: "request.invalid",
        401: "auth.invalid",
        404: "request.not_found",
        405: "request.method_not_allowed",
        413: "request.too_large",
    }
    code = codes.get(exc.status_code, "request.failed")
    response = error_response(code, exc.status_code, language(request))
    response.headers.update(exc.headers or {})
    return response


HANDLERS: dict[type[Exception], object] = {
    DomainError: on_domain_error,
    ApiError: on_api_error,
    RequestValidationError: on_validation_error,
    HTTPException: on_http_error,
}
