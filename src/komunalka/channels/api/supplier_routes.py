"""The supplier pull API (`/api/v1/supplier/`): a supplier's system fetches its readings, its
non-submitters and its statistics with `Authorization: Bearer <supplier token>`. A supplier
token opens its own supplier only; a resident's token does not open these routes (nor a
supplier's token the resident ones)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from komunalka.application.suppliers.formats import non_submitters_json
from komunalka.application.suppliers.supplier_access import SupplierKey
from komunalka.channels.api.errors import ApiError
from komunalka.channels.api.routes import Authorization, errors
from komunalka.channels.api.use_cases import SupplierApiUseCases
from komunalka.domain.periods import BillingPeriod

# What the pull API's downloads are, for the client.
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
Period = Annotated[
    str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="`YYYY-MM`, a year 1950-2999")
]


class DayOut(BaseModel):
    day: date
    readings: int


class ChannelOut(BaseModel):
    channel: str
    readings: int


class StatisticsOut(BaseModel):
    supplier: str
    period: str
    active_meters: int
    meters_sent: int
    share_sent_percent: float
    readings: int
    by_day: list[DayOut]
    by_channel: list[ChannelOut]


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
