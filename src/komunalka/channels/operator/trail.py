"""The account card's audit trail as the console puts it into words: for each entry, what was
done to which readings (their values, meters and zones), through which channel, by whom and on
whose behalf. The parts are gathered here; the sentence is made by the template
(operator/account.html) from the catalogs' `operator.trail_*` codes, numbers through the pages'
`number` filter, so every language words it its own way."""

from __future__ import annotations

from dataclasses import dataclass, field

from komunalka.application.staff.ports import AuditEntry
from komunalka.application.staff.submit_for_caller import IDENTIFIED
from komunalka.application.staff.view_account import AccountCard
from komunalka.domain.meters import Meter
from komunalka.domain.readings import Reading


@dataclass(frozen=True, slots=True)
class TrailReading:
    reading: Reading
    meter: Meter


@dataclass(frozen=True, slots=True)
class TrailLine:
    entry: AuditEntry
    # who did it: a staff member's name, a resident's short name, or "" (the system, unknown)
    actor: str = ""
    # whom a staff member, a caretaker or the system acted for, short: "" when the actor acted
    # for themselves
    on_behalf: str = ""
    # the readings a submission wrote, as far as the card shows them
    readings: list[TrailReading] = field(default_factory=list)
    # the meter an entry about a meter is about
    meter: Meter | None = None


def short_name(name: str) -> str:
    """``Петренко Марія Іванівна`` → ``Петренко М.``: the first word and the next one's initial."""
    words = name.split()
    if len(words) < 2:
        return name.strip()
    return f"{words[0]} {words[1][0]}."


def trail_lines(card: AccountCard) -> list[TrailLine]:
    meters = {m.overview.meter.id: m.overview.meter for m in card.meters}
    by_submission: dict[str, list[TrailReading]] = {}
    for m in card.meters:
        for r in m.readings:
            if r.submission_id is not None:
                found = TrailReading(r, m.overview.meter)
                by_submission.setdefault(f"submission:{r.submission_id}", []).append(found)
    # the holder the caller was identified as, written beside the submission's own entry
    holders = {
        e.subject: str(e.details.get("holder") or "") for e in card.trail if e.action == IDENTIFIED
    }
    lines = []
    for e in card.trail:
        meter_id = _id_of(e.subject, "meter:")
        meter = meters.get(meter_id) if meter_id is not None else None
        readings = sorted(
            by_submission.get(e.subject, []), key=lambda t: (t.meter.serial, t.reading.register)
        )
        actor, on_behalf = _who(e, card, holders.get(e.subject, ""))
        lines.append(TrailLine(e, actor, on_behalf, readings, meter))
    return lines


def _who(e: AuditEntry, card: AccountCard, holder: str) -> tuple[str, str]:
    if e.actor_kind == "resident":
        if e.on_behalf_of == e.actor_id:
            return short_name(e.on_behalf_name), ""
        return "", short_name(e.on_behalf_name)  # a caretaker, for the resident (ADR 0024)
    on_behalf = short_name(holder or str(e.details.get("holder") or "") or e.on_behalf_name)
    if e.actor_kind == "operator" and e.actor_id is not None:
        return card.staff_names.get(e.actor_id, ""), on_behalf
    return "", on_behalf


def _id_of(subject: str, prefix: str) -> int | None:
    rest = subject.removeprefix(prefix)
    return int(rest) if rest != subject and rest.isdigit() else None
