"""The supplier pull API (`/api/v1/supplier/`): a supplier's system fetches its readings, its
non-submitters, its statistics and its period files (written at each window's close) with
`Authorization: Bearer <supplier token>`. A supplier token opens its own supplier only; a
resident's token does not open these routes (nor a supplier's token the resident ones)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from komunalka.application.suppliers.formats import non_submitters_json
from komunalka.application.suppliers.read_changes import DEFAULT_LIMIT, MAX_LIMIT
from komunalka.application.suppliers.supplier_access import SupplierKey
from komunalka.channels.api.errors import ApiError
from komunalka.channels.api.routes import Authorization, errors
from komunalka.channels.api.use_cases import SupplierApiUseCases
from komunalka.domain.periods import BillingPeriod

# What the pull API's downloads are, for the client.
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
Period = Annotated[str, Query(pattern=PERIOD_PATTERN, description="`YYYY-MM`, a year 1950-2999")]


class DayOut(BaseModel):
    day: date
    readings: int


class ChannelOut(BaseModel):
    channel: str
    readings: int


class PeriodFileOut(BaseModel):
    period: str
    format: str
    size: int
    written_at: datetime
    url: str


class StatisticsOut(BaseModel):
    supplier: str
    period: str
    active_meters: int
    meters_sent: int
    share_sent_percent: float
    readings: int
    by_day: list[DayOut]
    by_channel: list[ChannelOut]


class ChangeOut(BaseModel):
    """One item of the feed: an accepted reading, or a correction of an earlier receipt."""

    seq: int = Field(description="The item's place in this supplier's feed: 1, 2, 3, …")
    kind: Literal["reading", "correction"]
    receipt: str
    replaces: str | None = Field(description="The receipt a correction replaces; else null")
    account: str
    serial: str
    service: str
    # "register" is a meter's zone; in Python it would shadow ABCMeta.register.
    zone: str = Field(alias="register")
    period: str = Field(description="`YYYY-MM`")
    value: float = Field(description="Exact decimal digits, as the meter's register takes them")
    submitted_at_utc: str = Field(description="`YYYY-MM-DD HH:MM:SS`, UTC")
    channel: str


class ChangesOut(BaseModel):
    """A page of the feed. Pass `cursor` as `after` for the next page; `more` says whether
    items wait beyond it. Store the items, then acknowledge the cursor."""

    cursor: str = Field(description="Opaque: where this page ends")
    more: bool
    count: int
    items: list[ChangeOut]


class AckIn(BaseModel):
    cursor: str = Field(max_length=64, description="A cursor this feed gave")


class AckOut(BaseModel):
    cursor: str = Field(description="What is now acknowledged")
    waiting: int = Field(description="Items after it, not acknowledged yet")


CHANGES_EXAMPLE = {
    "cursor": "MS4y",
    "more": False,
    "count": 2,
    "items": [
        {
            "seq": 1,
            "kind": "reading",
            "receipt": "2611-7KQ2-M9XD",
            "replaces": None,
            "account": "1234567890",
            "serial": "GAS-0001",
            "service": "gas",
            "register": "total",
            "period": "2026-11",
            "value": 1234.56,
            "submitted_at_utc": "2026-11-02 08:15:00",
            "channel": "telegram",
        },
        {
            "seq": 2,
            "kind": "correction",
            "receipt": "2611-8PL3-X2QA",
            "replaces": "2611-7KQ2-M9XD",
            "account": "1234567890",
            "serial": "GAS-0001",
            "service": "gas",
            "register": "total",
            "period": "2026-11",
            "value": 1243.56,
            "submitted_at_utc": "2026-11-02 08:20:11",
            "channel": "web",
        },
    ],
}
After = Annotated[
    str | None,
    Query(
        max_length=64,
        description="A cursor from an earlier page (opaque); none: from the feed's start",
    ),
]
Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Items in the page, 1 to {MAX_LIMIT:,}")
]


def bearer_supplier(
    use_cases: SupplierApiUseCases,
) -> Callable[[str | None], Awaitable[SupplierKey]]:
    async def supplier(authorization: str | None) -> SupplierKey:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError("auth.required", 401)
        key = await use_cases.authenticate_supplier(token.strip())
        if key is None:
            raise ApiError("auth.invalid", 401)
        return key

    return supplier


def build_router(use_cases: SupplierApiUseCases) -> APIRouter:
    router = APIRouter(prefix="/api/v1/supplier", tags=["supplier"], responses=errors(404))
    SupplierApi(use_cases).register(router)
    return router


class SupplierApi:
    """The pull API's routes; one method a route."""

    def __init__(self, use_cases: SupplierApiUseCases) -> None:
        self.use_cases = use_cases
        self.supplier = bearer_supplier(use_cases)

    def register(self, router: APIRouter) -> None:
        router.add_api_route(
            "/readings",
            self.readings,
            methods=["GET"],
            response_class=StreamingResponse,
            responses={200: {"content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["json"]: {}}}},
        )
        router.add_api_route(
            "/non-submitters",
            self.non_submitters,
            methods=["GET"],
            response_class=StreamingResponse,
            responses={200: {"content": {"application/json": {}}}},
        )
        router.add_api_route(
            "/statistics", self.statistics, methods=["GET"], response_model=StatisticsOut
        )
        router.add_api_route(
            "/periods", self.period_files, methods=["GET"], response_model=list[PeriodFileOut]
        )
        router.add_api_route(
            "/periods/{period}/file",
            self.period_file,
            methods=["GET"],
            response_class=Response,
            responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}},
        )
        router.add_api_route(
            "/readings/changes",
            self.changes,
            methods=["GET"],
            response_class=StreamingResponse,
            responses={
                200: {
                    "model": ChangesOut,
                    "content": {"application/json": {"example": CHANGES_EXAMPLE}},
                }
            },
        )
        router.add_api_route(
            "/readings/ack",
            self.ack,
            methods=["POST"],
            response_model=AckOut,
            responses=errors(409),
        )

    async def readings(
        self,
        period: Period,
        format: Literal["csv", "json"] = "csv",
        authorization: Authorization = None,
    ) -> StreamingResponse:
        """The period's accepted readings, streamed: CSV (with a header) or a JSON array."""
        key = await self.supplier(authorization)
        chosen = BillingPeriod.parse(period)
        opened = await self.use_cases.open_supplier(key)
        body = self.use_cases.export_readings.stream(key, None, chosen, format)
        name = f"{opened.supplier.code}-{chosen}-readings.{format}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return StreamingResponse(body, media_type=MEDIA_TYPES[format], headers=headers)

    async def changes(
        self,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
        authorization: Authorization = None,
    ) -> StreamingResponse:
        """Readings and corrections after a cursor, in the feed's stable order, streamed as
        one JSON object (`cursor`, `more`, `count`, `items`). A cursor that this supplier's
        feed did not give is refused (400, `feed.bad_cursor`)."""
        key = await self.supplier(authorization)
        page = await self.use_cases.read_changes.open(key, after, limit)
        headers = {"Cache-Control": "no-store"}
        body = self.use_cases.read_changes.stream(page)
        return StreamingResponse(body, media_type=MEDIA_TYPES["json"], headers=headers)

    async def ack(self, body: AckIn, authorization: Authorization = None) -> AckOut:
        """Confirms that every item up to the cursor is stored. Acknowledging the same cursor
        again is fine; an earlier one (`feed.ack_backwards`) or one past the feed's end
        (`feed.ack_beyond_end`) is refused with 409 and changes nothing."""
        key = await self.supplier(authorization)
        done = await self.use_cases.ack_changes(key, body.cursor)
        return AckOut(cursor=done.cursor, waiting=done.head - done.acked)

    async def non_submitters(
        self, period: Period, authorization: Authorization = None
    ) -> StreamingResponse:
        """Active meters with no accepted reading for the period, as a streamed JSON array of
        {account, holder, address, serial, service}."""
        key = await self.supplier(authorization)
        chosen = BillingPeriod.parse(period)
        await self.use_cases.open_supplier(key)
        rows = self.use_cases.non_submitters(key, None, chosen)
        return StreamingResponse(non_submitters_json(rows), media_type=MEDIA_TYPES["json"])

    async def period_files(self, authorization: Authorization = None) -> list[PeriodFileOut]:
        """The period files kept: each period's final readings, written once in the supplier's
        chosen format when its window closed; newest first."""
        key = await self.supplier(authorization)
        return [
            PeriodFileOut(
                period=str(f.period),
                format=f.format,
                size=f.size,
                written_at=f.written_at,
                url=f"/api/v1/supplier/periods/{f.period}/file",
            )
            for f in await self.use_cases.period_files(key, None)
        ]

    async def period_file(
        self,
        period: Annotated[str, Path(pattern=PERIOD_PATTERN, description="`YYYY-MM`")],
        authorization: Authorization = None,
    ) -> Response:
        """The period's final file, as written when its window closed (404 before that)."""
        key = await self.supplier(authorization)
        kept = await self.use_cases.read_period_file(key, None, BillingPeriod.parse(period))
        name = f"{kept.supplier_code}-{kept.file.period}-final.{kept.file.format}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(kept.content, media_type=MEDIA_TYPES[kept.file.format], headers=headers)

    async def statistics(
        self, period: Period, authorization: Authorization = None
    ) -> StatisticsOut:
        """How many active meters have an accepted reading, by day and by channel."""
        key = await self.supplier(authorization)
        chosen = BillingPeriod.parse(period)
        stats = await self.use_cases.period_statistics(key, None, chosen)
        return StatisticsOut(
            supplier=stats.supplier.code,
            period=str(stats.period),
            active_meters=stats.active_meters,
            meters_sent=stats.meters_sent,
            share_sent_percent=float(stats.share_sent),
            readings=stats.readings,
            by_day=[DayOut(day=d, readings=n) for d, n in stats.by_day],
            by_channel=[ChannelOut(channel=c, readings=n) for c, n in stats.by_channel],
        )
