"""Receipts anyone can verify (docs/adr/0023-signed-receipts.md): the published keys, and the
check of a receipt by its number or by the signed token its QR code carries. No token needed."""

from __future__ import annotations

import base64
from datetime import datetime
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from komunalka.application.readings.verify_receipt import ReceiptCheck
from komunalka.channels.api.schemas import ErrorBody
from komunalka.channels.api.use_cases import ApiUseCases
from komunalka.channels.pages.security import client_address
from komunalka.domain.receipts import FORMAT


class PublicKeyOut(BaseModel):
    kid: str = Field(description="The key's id: the first 4 bytes of SHA-256(public_key), hex.")
    public_key: str = Field(description="The raw 32-byte Ed25519 public key, base64url.")
    status: Literal["active", "retired"]


class KeysOut(BaseModel):
    format: str = Field(description="The receipts' record format these keys sign.")
    algorithm: Literal["Ed25519"]
    keys: list[PublicKeyOut]


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    receipt: str = Field(
        max_length=2000,
        description="A receipt number (`2611-7KQ2-M9XD`), a signed token (`KR1.…`) or the "
        "link its QR code holds.",
    )


class RecordOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    receipt: str
    supplier: str
    account: str = Field(description="Masked when the receipt was checked by its number.")
    meter: str = Field(description="The meter's serial; masked as the account is.")
    period: str
    zone: str = Field(alias="register")
    value: Decimal
    time: datetime
    channel: str


class VerifyOut(BaseModel):
    verdict: Literal["genuine", "forged", "unknown_key", "not_found"]
    record: RecordOut | None = None
    key_id: str | None = Field(None, description="The key that signed the token.")
    held: Literal["same", "different", "absent"] | None = Field(
        None, description="A token's: whether the service holds the same record."
    )
    status: Literal["accepted", "superseded"] | None = Field(
        None, description="The reading as the service holds it: accepted, or corrected since."
    )


def add_receipt_routes(router: APIRouter, use_cases: ApiUseCases) -> None:
    @router.get("/api/v1/receipts/keys", response_model=KeysOut, tags=["receipts"])
    async def receipt_keys() -> KeysOut:
        """The public keys that check receipts' signatures: the active one and every retired
        one (a receipt signed before a rotation still checks)."""
        keys = [
            PublicKeyOut(
                kid=k.key_id,
                public_key=base64.urlsafe_b64encode(k.raw).decode().rstrip("="),
                status="active" if k.status == "active" else "retired",
            )
            for k in use_cases.receipt_keys()
        ]
        return KeysOut(format=FORMAT, algorithm="Ed25519", keys=keys)

    @router.post(
        "/api/v1/receipts/verify",
        response_model=VerifyOut,
        # a body that is not JSON (400), too large (413), not a receipt (422), too many misses
        responses={code: {"model": ErrorBody} for code in (400, 413, 422, 429)},
        tags=["receipts"],
    )
    async def verify_receipt(body: VerifyIn, request: Request) -> VerifyOut:
        """Whether a receipt is genuine, and what it records."""
        check = await use_cases.verify_receipt(body.receipt, client_address(request))
        return verify_out(check)


def verify_out(check: ReceiptCheck) -> VerifyOut:
    r, found = check.record, check.found
    record = None
    if r is not None:
        record = RecordOut(
            receipt=r.receipt,
            supplier=r.supplier,
            account=r.account,
            meter=r.meter,
            period=str(r.period),
            zone=r.register,
            value=r.value,
            time=r.submitted_at,
            channel=r.channel,
        )
    return VerifyOut(
        verdict=check.verdict.value,
        record=record,
        key_id=check.key_id,
        held=check.held.value if check.held else None,
        status=found.status.value if found else None,
    )
