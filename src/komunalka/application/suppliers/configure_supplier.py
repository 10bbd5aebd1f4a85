"""A supplier's settings: its submission window rule, early sending and the period file's format
(how readings reach it), and its tariffs.

Who may call it: staff of that supplier and administrators (``can_manage_supplier``).
Guarantees: a rule or a tariff is checked whole before anything is written; a bad one changes
nothing and says why with stable codes; every change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.export_readings import FORMATS
from komunalka.application.suppliers.ports import (
    PeriodFileStore,
    Suppliers,
    SupplierSettingsRepository,
    SupplierTariffs,
)
from komunalka.application.suppliers.supplier_access import Caller, actor_of, managed_supplier
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.meters import Supplier
from komunalka.domain.periods import WRITTEN_YEARS
from komunalka.domain.services import Service
from komunalka.domain.tariffs import ANY_ZONE, Tariff
from komunalka.domain.windows import MAX_EARLY_DAYS, OpenWindow, WindowRule

PREVIEW = 3
ZONES = (ANY_ZONE, "T1", "day", "night", "peak", "half_peak")
MAX_PRICE = Decimal(100_000)
_EARLY_GIVEN = re.compile(r"\bearly\b", re.IGNORECASE)


def next_windows(rule: WindowRule, after: datetime, count: int = PREVIEW) -> list[OpenWindow]:
    """The next `count` openings of the rule after an instant (the one open now first)."""
    found: list[OpenWindow] = []
    current = rule.window_at(after)
    if current is not None:
        found.append(current)
    moment = after
    while len(found) < count:
        window = rule.next_window(moment)
        found.append(window)
        moment = window.opens_at
    return found


@dataclass(frozen=True, slots=True)
class SupplierSettings:
    supplier: Supplier
    services: tuple[Service, ...]
    windows: tuple[OpenWindow, ...]
    tariffs: tuple[Tariff, ...]
    # The period file's format (csv, xlsx or json); early sending is the window rule's.
    file_format: str = "csv"
    photo_days: int = 730  # how long residents' meter photos are kept (ADR 0027)


class ShowSupplierSettings:
    """The rule with its next openings, the services and the tariffs. Read-only."""

    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        settings: SupplierSettingsRepository,
        tariffs: SupplierTariffs,
        files: PeriodFileStore,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._settings = settings
        self._tariffs = tariffs
        self._files = files
        self._clock = clock

    async def __call__(self, caller: Caller, code: str | None = None) -> SupplierSettings:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            services = await self._settings.services_of(supplier.id)
            tariffs = await self._tariffs.of_supplier(supplier.id)
            formats = await self._files.file_formats()
            photo_days = await self._settings.photo_days_of(supplier.id)
        windows = next_windows(supplier.window, self._clock.now())
        return SupplierSettings(
            supplier,
            tuple(Service(s) for s in services),
            tuple(windows),
            tuple(sorted(tariffs, key=lambda t: (t.service, t.zone, t.effective_from))),
            formats.get(supplier.id, "csv"),
            photo_days,
        )


class SetWindowRule:
    """Sets the supplier's window rule (``5..-1``, ``-2..3``, ``1..5@-1``, joined by commas);
    returns the next openings under the new rule."""

    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        settings: SupplierSettingsRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._settings = settings
        self._audit = audit
        self._clock = clock

    async def __call__(
        self, caller: Caller, code: str | None, text: str, timezone: str = ""
    ) -> list[OpenWindow]:
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, code)
            rule = WindowRule.parse(text, timezone.strip() or supplier.window.timezone)
            if not _EARLY_GIVEN.search(text):  # the rule's field leaves early sending as it is
                rule = replace(rule, early_days=supplier.window.early_days)
            windows = next_windows(rule, now)
            await self._settings.set_window_rule(supplier.id, str(rule), rule.timezone)
            details = {"from": str(supplier.window), "to": str(rule), "timezone": rule.timezone}
            subject = f"supplier:{supplier.id}"
            await self._audit.record(actor_of(caller), "supplier_window.set", subject, details, now)
            await tx.commit()
        return windows


@dataclass(frozen=True, slots=True)
class Delivery:
    """How readings reach the supplier: days of early sending (0: off) and the period file's
    format."""

    early_days: int
    file_format: str


class SetDelivery:
    """Sets the days before a window opens that readings are taken early (held until it opens;
    0 turns it off, at most ``MAX_EARLY_DAYS``) and the format of the period's file written at
    the window's close (csv, xlsx or json). Both checked before anything is written; audited."""

    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        settings: SupplierSettingsRepository,
        files: PeriodFileStore,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._settings = settings
        self._files = files
        self._audit = audit
        self._clock = clock

    async def __call__(
        self, caller: Caller, code: str | None, early_days: str, file_format: str
    ) -> Delivery:
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, code)
            delivery = _delivery(early_days, file_format)
            old = supplier.window
            rule = replace(old, early_days=delivery.early_days)
            formats = await self._files.file_formats()
            await self._settings.set_window_rule(supplier.id, str(rule), rule.timezone)
            await self._files.set_file_format(supplier.id, delivery.file_format)
            details = {
                "early_days": {"from": old.early_days, "to": delivery.early_days},
                "file_format": {"from": formats.get(supplier.id), "to": delivery.file_format},
            }
            subject = f"supplier:{supplier.id}"
            await self._audit.record(
                actor_of(caller), "supplier_delivery.set", subject, details, now
            )
            await tx.commit()
        return delivery


def _delivery(early_days: str, file_format: str) -> Delivery:
    problems: list[Violation] = []
    text = early_days.strip()
    days = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else -1
    if not 0 <= days <= MAX_EARLY_DAYS:
        problems.append(
            Violation("window.invalid_early", {"days": text, "most": str(MAX_EARLY_DAYS)})
        )
    fmt = file_format.strip().lower()
    if fmt not in FORMATS:
        problems.append(Violation("portal.bad_format"))
    if problems:
        raise DomainError(problems)
    return Delivery(days, fmt)


@dataclass(frozen=True, slots=True)
class TariffRequest:
    service: str
    zone: str
    price: str
    effective_from: str


class SetTariff:
    """Adds a tariff: a price (UAH per unit, > 0) for a service the supplier offers, a zone and
    the day it takes effect. One per service, zone and day (``portal.tariff_exists``)."""

    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        settings: SupplierSettingsRepository,
        tariffs: SupplierTariffs,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._settings = settings
        self._tariffs = tariffs
        self._audit = audit
        self._clock = clock

    async def __call__(self, caller: Caller, code: str | None, request: TariffRequest) -> Tariff:
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, code)
            offered = await self._settings.services_of(supplier.id)
            tariff = _tariff(supplier.id, request, offered)
            known = await self._tariffs.of_supplier(supplier.id)
            if any(
                (t.service, t.zone, t.effective_from)
                == (tariff.service, tariff.zone, tariff.effective_from)
                for t in known
            ):
                raise DomainError.of("portal.tariff_exists")
            await self._tariffs.add(tariff)
            details = {
                "service": tariff.service.value,
                "zone": tariff.zone,
                "price": str(tariff.price),
                "from": tariff.effective_from.isoformat(),
            }
            subject = f"supplier:{supplier.id}"
            await self._audit.record(actor_of(caller), "supplier_tariff.add", subject, details, now)
            await tx.commit()
        return tariff


def _tariff(supplier_id: int, request: TariffRequest, offered: list[str]) -> Tariff:
    problems: list[Violation] = []
    if request.service not in offered:
        problems.append(Violation("portal.service_not_offered"))
    if request.zone not in ZONES:
        problems.append(Violation("portal.bad_zone"))
    price = _price(request.price)
    if price is None:
        problems.append(Violation("portal.bad_price"))
    try:
        since = date.fromisoformat(request.effective_from.strip())
    except ValueError:
        problems.append(Violation("portal.bad_date"))
    else:
        if since.year not in WRITTEN_YEARS:
            problems.append(Violation("portal.bad_date"))
    if problems:
        raise DomainError(problems)
    assert price is not None
    return Tariff(supplier_id, Service(request.service), price, since, request.zone)


def _price(text: str) -> Decimal | None:
    """A price as people type it (``4,32``); more than four decimals would not be stored."""
    try:
        price = Decimal(text.strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    if not price.is_finite() or not Decimal(0) < price < MAX_PRICE:
        return None
    return price if price == price.quantize(Decimal("0.0001")) else None
