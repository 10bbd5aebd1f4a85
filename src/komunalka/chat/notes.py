"""Short notes the chat adds to a meter or a round: its verification (due soon: what to do; past:
why its readings are refused) and the period's estimated amount per account. Small functions the
meter list, the history and the end of a sending round call."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from komunalka.application.readings.estimate_bills import (
    AccountEstimate,
    MeterEstimate,
    by_period,
)
from komunalka.application.readings.list_my_meters import MeterOverview
from komunalka.domain.meters import TOTAL, Verification
from komunalka.domain.tariffs import PriceBasis
from komunalka.domain.values import format_value
from komunalka.money import format_money

Say = Callable[..., str]


def verification_note(o: MeterOverview, say: Say) -> str | None:
    """Due within the warning days: by when and what to do; past (or otherwise refused): why
    readings are not taken and what to do."""
    if o.blocked_code is not None:
        return say(o.blocked_code, **o.blocked_params)
    if o.verification is Verification.SOON and o.meter.verification_due is not None:
        return say("verification.soon", date=o.meter.verification_due.strftime("%d.%m.%Y"))
    return None


def estimate_lines(estimates: list[AccountEstimate], say: Say, language: str) -> list[str]:
    """The period's estimated amount of each account, its meters under it; empty without use."""
    lines = []
    for period, accounts in by_period(estimates):
        lines.append(say("estimate.title", period=period))
        for account in accounts:
            named = {"supplier": account.supplier.name, "account": account.account.number}
            if account.priced:
                total = format_money(account.total, language)
                lines.append(say("estimate.account", total=total, **named))
            else:  # nothing to sum: no "0,00 грн" that reads like a bill
                lines.append(say("estimate.account_unpriced", **named))
            lines += [_meter_line(m, say, language) for m in account.meters]
    if not lines:
        return []
    demo = any(a.demo and a.priced for a in estimates)
    lines.append(say("estimate.demo" if demo else "estimate.approximate"))
    return lines


def _meter_line(m: MeterEstimate, say: Say, language: str) -> str:
    meter = m.overview.meter
    zones = [v for r, v in m.used.items() if r != TOTAL]
    used = sum(zones, Decimal(0)) if zones else m.used.get(TOTAL, Decimal(0))
    params = {
        "service": say(f"service.{meter.service.value}"),
        "serial": meter.serial,
        "used": format_value(used, meter.decimals),
        "unit": say(f"unit.{meter.service.unit}"),
    }
    if m.cost is None:
        return say("estimate.no_tariff", **params)
    line = say("estimate.meter", cost=format_money(m.cost.amount, language), **params)
    if len(meter.zones) > 1:
        zoned = m.cost.basis is PriceBasis.ZONES
        line += " " + say("estimate.basis_zones" if zoned else "estimate.basis_single")
    return line
