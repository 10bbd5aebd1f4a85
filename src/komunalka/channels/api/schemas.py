"""Request and response bodies of the REST API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel as _BaseModel
from pydantic import ConfigDict, Field, field_validator

from komunalka.application.accounts.link_account import SERIAL, SURNAME, ProofKind


class BaseModel(_BaseModel):
    # "register" is a meter's zone here; in Python it would shadow ABCMeta.register.
    model_config = ConfigDict(populate_by_name=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """A NUL byte is in no account number, serial or key, and PostgreSQL keeps none."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and "\x00" in t for t in texts):
            raise ValueError("NUL byte")
        return value


class ReadingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    meter_id: int = Field(ge=1, le=2**62)
    value: str | int = Field(description="As people type it: `1234,5`, `12 345`, `001234`.")
    zone: str | None = Field(
        default=None, alias="register", max_length=20, description="Zone; omit for one."
    )
    confirm: list[str] = Field(default_factory=list, max_length=5, description="Warning codes.")


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    readings: list[ReadingIn] = Field(min_length=1, max_length=50)
    client_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Makes the request idempotent; the Idempotency-Key header does the same.",
    )


class CorrectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str | int = Field(description="The right value, typed as people type it.")
    confirm: list[str] = Field(default_factory=list, max_length=5, description="Warning codes.")


class ReadingOut(BaseModel):
    meter_id: int
    zone: str = Field(alias="register")
    period: str
    value: Decimal
    previous: Decimal | None
    consumption: Decimal | None
    receipt: str
    corrected: bool
    held_until: datetime | None = Field(
        default=None,
        description="Sent early: accepted and held, passed on to the supplier at this moment "
        "(when the period's window opens). Null when passed on at once.",
    )


class SubmitOut(BaseModel):
    submission_id: int
    submitted_at: datetime
    replayed: bool
    readings: list[ReadingOut]


class LastReadingOut(BaseModel):
    zone: str = Field(alias="register")
    period: str
    value: Decimal
    submitted_at: datetime


class MeterOut(BaseModel):
    id: int
    supplier: str
    account: str
    address: str
    service: str
    unit: str
    serial: str
    registers: list[str]
    digits: int
    decimals: int
    verification_due: date | None
    status: str
    period: str
    window_opens: date
    window_closes: date
    sendable_early_until: datetime | None = Field(
        default=None,
        description="The window has not opened but takes readings early: one sent before this "
        "moment (the window's opening) counts for `period` and is passed on to the supplier then. "
        "Null when the window is open or early sending is not possible now.",
    )
    blocked: str | None
    last: list[LastReadingOut]


class HistoryEntryOut(BaseModel):
    zone: str = Field(alias="register")
    period: str
    value: Decimal
    consumption: Decimal | None
    cost: Decimal | None = Field(description="The consumption at the supplier's tariff, UAH.")
    submitted_at: datetime
    channel: str
    receipt: str
    status: str


class HistoryOut(BaseModel):
    meter_id: int
    unit: str
    currency: str = "UAH"
    demo_prices: bool = Field(description="Costs come from demo tariffs, not for billing.")
    entries: list[HistoryEntryOut]


class LinkIn(BaseModel):
    """An account and one proof of it: the holder's surname prefix or a meter's serial. Give
    exactly one of `surname_prefix` and `meter_serial`; both or neither is refused (422,
    ``link.proof_required``)."""

    model_config = ConfigDict(extra="forbid")

    account_number: str = Field(min_length=1, max_length=40)
    supplier: str | None = Field(
        default=None, max_length=40, description="The supplier's code, if the number is ambiguous."
    )
    surname_prefix: str | None = Field(
        default=None,
        max_length=100,
        description="The holder's surname, its first three letters at least; or `meter_serial`.",
    )
    meter_serial: str | None = Field(
        default=None,
        max_length=40,
        description="The serial of one of the account's meters; or `surname_prefix`.",
    )

    def proof(self) -> tuple[str, ProofKind | None]:
        """The proof and its kind, told by the field it came in (a serial of letters only is
        still a serial); both or neither is no proof (``link.proof_required``)."""
        fields = ((self.surname_prefix, SURNAME), (self.meter_serial, SERIAL))
        given = [(text, kind) for text, kind in fields if text]
        return given[0] if len(given) == 1 else ("", None)


class LinkOut(BaseModel):
    account_id: int
    supplier: str
    account_number: str
    holder: str
    address: str
    already_linked: bool


class ViolationOut(BaseModel):
    code: str
    message: str
    severity: str
    meter_id: int | None = None
    zone: str | None = Field(default=None, alias="register")
    params: dict[str, str] = Field(default_factory=dict)


class ErrorOut(BaseModel):
    code: str
    message: str
    violations: list[ViolationOut] = Field(default_factory=list)


class ErrorBody(BaseModel):
    error: ErrorOut
