"""SetWaterHeater: a resident says whether a hot-water meter of theirs feeds an electric water
heater ("boiler"); its owner must send the hot-water reading every month, even unchanged.

Who may call it: a resident, for a meter of an account they linked (any door). Guarantees: a
meter of someone else's account looks like one that does not exist (`meter.not_found`); only a
hot-water meter may carry the flag (`meter.water_heater_not_hot_water`); a change is written and
audited in one transaction, and asking for what already is changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from komunalka.application.readings.ports import WaterHeaters
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import AuditLog, Clock, MeterRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Meter, water_heater_violations

AUDIT_ACTION = "meter.water_heater"


@dataclass(frozen=True, slots=True)
class SetWaterHeaterRequest:
    actor: Actor
    meter_id: int
    water_heater: bool


@dataclass(frozen=True, slots=True)
class WaterHeaterSet:
    """The meter as it now is, and whether this call changed it."""

    meter: Meter
    changed: bool


class SetWaterHeater:
    def __init__(
        self,
        transactions: Transactions,
        meters: MeterRepository,
        heaters: WaterHeaters,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._meters = meters
        self._heaters = heaters
        self._audit = audit
        self._clock = clock

    async def __call__(self, request: SetWaterHeaterRequest) -> WaterHeaterSet:
        actor, wanted = request.actor, request.water_heater
        async with self._transactions(write=True) as tx:
            meter = await self._own_meter(actor, request.meter_id)
            if problems := water_heater_violations(meter.service, wanted):
                raise DomainError(problems)
            if meter.water_heater == wanted:
                return WaterHeaterSet(meter, changed=False)
            await self._heaters.set_water_heater(meter.id, wanted)
            details = {"water_heater": wanted}
            now = self._clock.now()
            await self._audit.record(actor, AUDIT_ACTION, f"meter:{meter.id}", details, now)
            await tx.commit()
        return WaterHeaterSet(replace(meter, water_heater=wanted), changed=True)

    async def _own_meter(self, actor: Actor, meter_id: int) -> Meter:
        """The meter, held until commit, if the acting resident linked its account (staff and
        the system are not residents: to them every meter looks unknown)."""
        if actor.kind is not ActorKind.RESIDENT or actor.resident_id is None:
            raise DomainError.of("meter.not_found", meter_id=meter_id)
        found = await self._meters.contexts([meter_id], lock=True, resident_id=actor.resident_id)
        if not found or not found[0].linked:
            raise DomainError.of("meter.not_found", meter_id=meter_id)
        return found[0].meter
