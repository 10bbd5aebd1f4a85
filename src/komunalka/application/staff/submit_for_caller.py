"""SubmitForCaller, CorrectForCaller: an operator sends or corrects readings for a caller (by phone
or at a service center).

Who may call them: an active call-center operator, district operator or administrator, for an
account in their scope (supplier staff may not). Guarantees: the operator says how the caller was
identified and writes a note, else nothing is stored; the readings go through SubmitReadings (or
CorrectReading) with the operator as the actor and the phone or the service center as the channel,
so every rule, warning and the client key's once-only effect hold; the readings, the note and
the identification (an audit entry beside the submission's) are written in one transaction, so
none of them is ever stored without the others, and a repeated request writes nothing again.
Both entries say on whose behalf the operator acted: the identification names the account's
holder (whom the caller was identified as), and both carry the resident who linked the account
when exactly one did (with none, or a family of several, the holder's name is all there is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import NamedTuple

from komunalka.application.readings.correct_reading import CorrectReading, CorrectReadingRequest
from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadings,
    SubmitReadingsRequest,
    SubmitReadingsResult,
)
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import AuditLog, Clock, MeterRepository, ReadingRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.application.staff.ports import AccountSearch, AuditTrail
from komunalka.application.staff.view_account import visible_account
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.readings import looks_like_receipt
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffMember, StaffRole

# The audit action of the identification (not a message code: never shown as such).
IDENTIFIED = "console.caller_identified"
NOTE_LIMIT = 500


class Identification(StrEnum):
    ACCOUNT_NUMBER_AND_NAME = "account_number_and_name"
    METER_SERIAL = "meter_serial"
    ADDRESS_AND_NAME = "address_and_name"
    # an identity document shown in person: a service center only
    DOCUMENT = "document"
    OTHER = "other"


CALLER_CHANNELS = (Channel.PHONE, Channel.SERVICE_CENTER)


def channels_for(staff: StaffMember) -> tuple[Channel, ...]:
    """The channels a staff member takes readings by: the call center the phone, a district's
    service center its desk, an administrator either."""
    if staff.role is StaffRole.CALL_CENTER:
        return (Channel.PHONE,)
    if staff.role is StaffRole.DISTRICT:
        return (Channel.SERVICE_CENTER,)
    if staff.role is StaffRole.ADMINISTRATOR:
        return CALLER_CHANNELS
    return ()


@dataclass(frozen=True, slots=True)
class CallerRequest:
    """Who takes the reading and how the caller was identified."""

    staff: StaffMember
    account_id: int
    channel: Channel
    identified_by: str
    note: str
    client_key: str | None = None


def _check(request: CallerRequest) -> tuple[Identification, str]:
    staff = request.staff
    if not staff.active or not staff.role.is_operator:
        raise DomainError.of("staff.forbidden")
    problems = []
    if request.channel not in channels_for(staff):
        problems.append(Violation("operator.bad_channel"))
    try:
        identified = Identification(request.identified_by)
    except ValueError:
        identified = None
        problems.append(Violation("operator.identification_required"))
    if identified is Identification.DOCUMENT and request.channel is not Channel.SERVICE_CENTER:
        problems.append(Violation("operator.document_in_person"))
    note = " ".join(request.note.split())
    if not note:
        problems.append(Violation("operator.note_required"))
    elif len(note) > NOTE_LIMIT:
        problems.append(Violation("operator.note_too_long", {"limit": str(NOTE_LIMIT)}))
    if problems or identified is None:
        raise DomainError(problems)
    return identified, note


def _actor(request: CallerRequest) -> tuple[Actor, Identification]:
    """The operator as the actor (the note is the actor's), once the request is checked."""
    identified, note = _check(request)
    actor = Actor(ActorKind.OPERATOR, request.staff.id, request.channel, None, note)
    return actor, identified


class _Caller(NamedTuple):
    actor: Actor
    holder: str
    meters: set[int]


class _ForCaller:
    def __init__(
        self,
        transactions: Transactions,
        search: AccountSearch,
        trail: AuditTrail,
        meters: MeterRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._search = search
        self._trail = trail
        self._meters = meters
        self._audit = audit
        self._clock = clock

    async def _visible(self, request: CallerRequest, actor: Actor) -> _Caller:
        """The actor acting for the account's one resident (if it has one), the holder and the
        account's meters, once the account is checked against the member's scope."""
        account = await visible_account(self._search, request.staff, request.account_id)
        residents = await self._search.linked_residents(account.id)
        for_whom = residents[0] if len(residents) == 1 else None
        meters = {m.id for m in await self._meters.of_accounts([request.account_id])}
        return _Caller(replace(actor, on_behalf_of=for_whom), account.holder, meters)

    async def _record(
        self,
        caller: _Caller,
        request: CallerRequest,
        identified: Identification,
        result: SubmitReadingsResult,
    ) -> None:
        """The identification beside the submission's own audit entry, in its transaction; a
        repeated request finds it written with the first one (or, for a submission stored
        before both were written together, writes it once)."""
        subject = f"submission:{result.submission_id}"
        if result.replayed and await self._trail.entries(subject, IDENTIFIED):
            return
        details = {
            "account": request.account_id,
            "holder": caller.holder,
            "identified_by": identified.value,
            "channel": request.channel.value,
            "meters": sorted({r.meter_id for r in result.readings}),
            "receipts": [r.receipt for r in result.readings],
        }
        await self._audit.record(caller.actor, IDENTIFIED, subject, details, self._clock.now())


class SubmitForCaller(_ForCaller):
    def __init__(
        self,
        transactions: Transactions,
        search: AccountSearch,
        trail: AuditTrail,
        meters: MeterRepository,
        audit: AuditLog,
        clock: Clock,
        submit: SubmitReadings,
    ) -> None:
        super().__init__(transactions, search, trail, meters, audit, clock)
        self._submit = submit

    async def __call__(
        self, request: CallerRequest, items: Sequence[ReadingItem]
    ) -> SubmitReadingsResult:
        """The readings, the operator's note (the actor's) and the identification: all in one
        transaction, or nothing."""
        actor, identified = _actor(request)
        async with self._transactions(write=True) as tx:
            caller = await self._visible(request, actor)
            strangers = sorted({i.meter_id for i in items} - caller.meters)
            if strangers:
                raise DomainError([Violation("meter.not_found", meter_id=m) for m in strangers])
            result = await self._submit.within(
                SubmitReadingsRequest(caller.actor, items, request.client_key)
            )
            await self._record(caller, request, identified, result)
            await tx.commit()
        return result


class CorrectForCaller(_ForCaller):
    def __init__(
        self,
        transactions: Transactions,
        search: AccountSearch,
        trail: AuditTrail,
        meters: MeterRepository,
        readings: ReadingRepository,
        audit: AuditLog,
        clock: Clock,
        correct: CorrectReading,
    ) -> None:
        super().__init__(transactions, search, trail, meters, audit, clock)
        self._readings = readings
        self._correct = correct

    async def __call__(
        self,
        request: CallerRequest,
        receipt: str,
        value: str,
        confirm: frozenset[str] = frozenset(),
    ) -> SubmitReadingsResult:
        """The correction, the note and the identification: all in one transaction."""
        actor, identified = _actor(request)
        async with self._transactions(write=True) as tx:
            caller = await self._visible(request, actor)
            wanted = receipt.strip().upper()
            found = looks_like_receipt(wanted)
            reading = await self._readings.by_receipt(wanted) if found else None
            if reading is None or reading.meter_id not in caller.meters:
                raise DomainError.of("reading.not_found", receipt=receipt)
            result = await self._correct.within(
                CorrectReadingRequest(caller.actor, receipt, value, confirm, request.client_key)
            )
            await self._record(caller, request, identified, result)
            await tx.commit()
        return result
