"""Routes: parse → use case → render. No storage here."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from komunalka.application.accounts.link_account import LinkAccountRequest
from komunalka.application.readings.correct_reading import CorrectReadingRequest
from komunalka.application.readings.list_my_meters import MeterOverview
from komunalka.application.readings.reading_history import MeterHistory
from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadingsRequest,
    SubmitReadingsResult,
)
from komunalka.application.shared.actors import Actor
from komunalka.channels.api.errors import ApiError
from komunalka.channels.api.lean import documented, header, json_body
from komunalka.channels.api.receipts import add_receipt_routes
from komunalka.channels.api.schemas import (
    CorrectIn,
    ErrorBody,
    HistoryEntryOut,
    HistoryOut,
    LastReadingOut,
    LinkIn,
    LinkOut,
    MeterOut,
    ReadingOut,
    SubmitIn,
    SubmitOut,
)
from komunalka.channels.api.use_cases import ApiUseCases
from komunalka.channels.ids import BigId
from komunalka.domain.services import Channel

# Bodies the routes read by hand (lean.py): their schemas are added to the OpenAPI document.
READ_BY_HAND = (SubmitIn,)


def errors(*codes: int) -> dict[int | str, dict[str, object]]:
    """The error answers a route gives, for its OpenAPI document: every route may answer a
    body that is not JSON (400), a missing or unknown token (401), a body too large (413) and a
    request that does not fit the schema or the rules (422); `codes` adds the route's own."""
    return {code: {"model": ErrorBody} for code in sorted({400, 401, 413, 422, *codes})}


ERRORS = errors()
# a receipt as the API gave it: ``2611-7KQ2-M9XD``
Receipt = Annotated[
    str, Path(max_length=20, pattern=r"^[0-9A-Za-z-]{1,20}$", description="`YYMM-XXXX-XXXX`")
]


Authorization = Annotated[str | None, Header(description="`Bearer <token>`")]


def bearer_resident(use_cases: ApiUseCases) -> Callable[[str | None], Awaitable[int]]:
    """Turns an `Authorization: Bearer <token>` header into a resident id, or refuses (401).
    Called by each route itself rather than as a FastAPI dependency: one resolution step fewer
    on every request."""

    async def resident(authorization: str | None) -> int:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError("auth.required", 401)
        resident_id = await use_cases.authenticate(token.strip())
        if resident_id is None:
            raise ApiError("auth.invalid", 401)
        return resident_id

    return resident


def build_router(use_cases: ApiUseCases) -> APIRouter:
    router = APIRouter()

    @router.get("/health", tags=["service"], responses={503: {"description": "No database."}})
    async def health() -> JSONResponse:
        ok = await use_cases.check_health()
        body = {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "unreachable"}
        return JSONResponse(body, status_code=200 if ok else 503)

    add_submit_route(router, use_cases)
    add_correct_route(router, use_cases)
    add_meter_routes(router, use_cases)
    add_account_routes(router, use_cases)
    add_receipt_routes(router, use_cases)
    return router


def add_submit_route(router: APIRouter, use_cases: ApiUseCases) -> None:
    resident = bearer_resident(use_cases)

    @router.post(
        "/api/v1/readings",
        status_code=201,
        response_model=SubmitOut,
        responses=errors(404, 409),
        tags=["readings"],
        openapi_extra=documented(
            SubmitIn,
            [
                ("authorization", "`Bearer <token>`", None),
                ("idempotency-key", "Makes the request idempotent, as `client_key` does.", 100),
            ],
        ),
    )
    async def submit_readings(request: Request) -> Response:
        """Send readings of one or many meters at once: all are accepted, or none."""
        # The hot path reads its body and headers itself (lean.py): no parameter solving.
        # The token first: an anonymous caller's body is never read.
        resident_id = await resident(request.headers.get("authorization"))
        body = await json_body(request, SubmitIn)
        idempotency_key = header(request, "idempotency-key", 100)
        submission = SubmitReadingsRequest(
            actor=Actor.resident(resident_id, Channel.API),
            items=[
                ReadingItem(r.meter_id, r.value, r.zone, frozenset(r.confirm))
                for r in body.readings
            ],
            client_key=body.client_key or idempotency_key,
        )
        result = await use_cases.submit_readings(submission)
        # Rendered here rather than by FastAPI's response_model (still declared, for OpenAPI):
        # the hot path skips a second validation of what it has just built.
        return Response(
            _submit_out(result).model_dump_json(by_alias=True),
            status_code=200 if result.replayed else 201,
            media_type="application/json",
        )


def add_correct_route(router: APIRouter, use_cases: ApiUseCases) -> None:
    resident = bearer_resident(use_cases)

    @router.put(
        "/api/v1/readings/{receipt}",
        response_model=SubmitOut,
        responses=errors(404, 409),
        tags=["readings"],
    )
    async def correct_reading(
        receipt: Receipt,
        body: CorrectIn,
        authorization: Authorization = None,
        idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
    ) -> SubmitOut:
        """Correct a reading, named by its receipt, while its window is open."""
        resident_id = await resident(authorization)
        result = await use_cases.correct_reading(
            CorrectReadingRequest(
                actor=Actor.resident(resident_id, Channel.API),
                receipt=receipt,
                value=body.value,
                confirm=frozenset(body.confirm),
                client_key=idempotency_key,
            )
        )
        return _submit_out(result)


def add_meter_routes(router: APIRouter, use_cases: ApiUseCases) -> None:
    resident = bearer_resident(use_cases)

    @router.get("/api/v1/meters", response_model=list[MeterOut], responses=ERRORS, tags=["meters"])
    async def my_meters(authorization: Authorization = None) -> list[MeterOut]:
        """My meters across every linked account, with this period's status and window."""
        resident_id = await resident(authorization)
        return [_meter_out(m) for m in await use_cases.list_my_meters(resident_id)]

    @router.get(
        "/api/v1/meters/{meter_id}/history",
        response_model=HistoryOut,
        responses=errors(404),
        tags=["meters"],
    )
    async def history(
        meter_id: BigId,
        months: Annotated[int, Query(ge=1, le=120)] = 12,
        authorization: Authorization = None,
    ) -> HistoryOut:
        """Readings of the last months, newest first, with the consumption of each."""
        resident_id = await resident(authorization)
        actor = Actor.resident(resident_id, Channel.API)
        found = await use_cases.reading_history(actor, meter_id, months)
        return _history_out(meter_id, found)


def _history_out(meter_id: int, found: MeterHistory) -> HistoryOut:
    entries = [
        HistoryEntryOut(
            zone=e.reading.register,
            period=str(e.reading.period),
            value=e.reading.value,
            consumption=e.consumption,
            cost=e.cost,
            submitted_at=e.reading.submitted_at,
            channel=e.reading.channel.value,
            receipt=e.reading.receipt,
            status=e.reading.status.value,
        )
        for e in found.entries
    ]
    return HistoryOut(
        meter_id=meter_id,
        unit=found.meter.service.unit,
        demo_prices=found.demo_prices,
        entries=entries,
    )


def add_account_routes(router: APIRouter, use_cases: ApiUseCases) -> None:
    resident = bearer_resident(use_cases)

    @router.post(
        "/api/v1/links",
        status_code=201,
        response_model=LinkOut,
        responses=errors(404, 429),
        tags=["accounts"],
    )
    async def link_account(body: LinkIn, authorization: Authorization = None) -> LinkOut:
        """Link an account, proven by the holder's surname (three letters) or a meter serial."""
        resident_id = await resident(authorization)
        proof, kind = body.proof()
        result = await use_cases.link_account(
            LinkAccountRequest(
                actor=Actor.resident(resident_id, Channel.API),
                account_number=body.account_number,
                supplier_code=body.supplier,
                proof=proof,
                proof_kind=kind,
            )
        )
        return LinkOut(
            account_id=result.account_id,
            supplier=result.supplier_code,
            account_number=result.account_number,
            holder=result.masked_holder,
            address=result.address,
            already_linked=result.already_linked,
        )


def _submit_out(result: SubmitReadingsResult) -> SubmitOut:
    readings = [
        ReadingOut(
            meter_id=a.meter_id,
            zone=a.register,
            period=str(a.period),
            value=a.value,
            previous=a.previous,
            receipt=a.receipt,
            corrected=a.corrected,
            held_until=a.held_until,
            consumption=None if a.previous is None else a.value - a.previous,
        )
        for a in result.readings
    ]
    return SubmitOut(
        submission_id=result.submission_id,
        submitted_at=result.submitted_at,
        replayed=result.replayed,
        readings=readings,
    )


def _meter_out(m: MeterOverview) -> MeterOut:
    return MeterOut(
        id=m.meter.id,
        supplier=m.supplier.code,
        account=m.account.number,
        address=m.account.address,
        service=m.meter.service.value,
        unit=m.meter.service.unit,
        serial=m.meter.serial,
        registers=list(m.meter.registers),
        digits=m.meter.digits,
        decimals=m.meter.decimals,
        verification_due=m.meter.verification_due,
        status=m.status.value,
        period=str(m.period),
        window_opens=m.opens_on,
        window_closes=m.closes_on,
        sendable_early_until=m.early_until,
        blocked=m.blocked_code,
        last=[
            LastReadingOut(
                zone=r.register,
                period=str(r.period),
                value=r.value,
                submitted_at=r.submitted_at,
            )
            for r in m.last.values()
        ],
    )
