"""The API benchmark's reference: the least a readings endpoint can do on the same stack.

FastAPI with a pydantic body shaped like ours, a raw asyncpg pool, one transaction per request:
BEGIN; SELECT the register's previous accepted value; INSERT the reading; COMMIT. No auth, no
idempotency, no audit, no rules: a floor to compare against, not a rival implementation. It
writes into the same `readings` table as the real app.

    BENCH_REF_DSN=postgresql://postgres@127.0.0.1:5432/bench_x BENCH_REF_PERIOD=2026-11 \\
        uvicorn reference_app:app --app-dir bench --loop uvloop --http httptools
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

import asyncpg
from fastapi import FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field

DSN = os.environ.get("BENCH_REF_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PERIOD = os.environ.get("BENCH_REF_PERIOD", "2026-11")
POOL_SIZE = int(os.environ.get("BENCH_REF_POOL", "20"))
_YEAR, _MONTH = (int(part) for part in PERIOD.split("-"))
PERIOD_INDEX = _YEAR * 12 + _MONTH - 1  # the same encoding as komunalka's readings.period

PREVIOUS = """
    SELECT value_milli FROM readings
    WHERE meter_id = $1 AND register = $2 AND status = 'accepted' AND period < $3
    ORDER BY period DESC LIMIT 1
"""
INSERT = """
    INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel, status)
    VALUES ($1, $2, $3, $4, $5, 'api', 'accepted')
"""
MILLI = Decimal("0.001")


class ReadingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    meter_id: int = Field(ge=1, le=2**62)
    value: str | int
    zone: str | None = Field(default=None, alias="register", max_length=20)
    confirm: list[str] = Field(default_factory=list, max_length=5)


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    readings: list[ReadingIn] = Field(min_length=1, max_length=50)
    client_key: str | None = Field(default=None, min_length=1, max_length=100)


class ReadingOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    meter_id: int
    zone: str = Field(alias="register")
    period: str
    value: Decimal
    previous: Decimal | None
    consumption: Decimal | None


class SubmitOut(BaseModel):
    submitted_at: datetime
    readings: list[ReadingOut]


pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(DSN, min_size=POOL_SIZE // 2, max_size=POOL_SIZE)
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(title="reference", lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/v1/readings", status_code=201, response_model=SubmitOut)
async def submit(
    body: SubmitIn,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> SubmitOut:
    assert pool is not None
    now = datetime.now(UTC)
    out = []
    async with pool.acquire() as conn, conn.transaction():
        for item in body.readings:
            register = item.zone or "T1"
            value = Decimal(str(item.value).replace(",", ".")).quantize(MILLI)
            previous_milli = await conn.fetchval(PREVIOUS, item.meter_id, register, PERIOD_INDEX)
            await conn.execute(
                INSERT, item.meter_id, register, PERIOD_INDEX, int(value / MILLI), now
            )
            previous = None if previous_milli is None else Decimal(previous_milli) * MILLI
            out.append(
                ReadingOut(
                    meter_id=item.meter_id,
                    zone=register,
                    period=PERIOD,
                    value=value,
                    previous=previous,
                    consumption=None if previous is None else value - previous,
                )
            )
    return SubmitOut(submitted_at=now, readings=out)
