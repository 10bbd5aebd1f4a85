"""AcceptDelivery: whether an update a messenger delivered is new. Who may call it: a messenger
door, before acting on the update. A webhook may deliver the same update more than once (and to
any app process): only the first delivery is acted on."""

from __future__ import annotations

from komunalka.application.ports import Clock, UnitOfWorkFactory
from komunalka.domain.services import Channel


class AcceptDelivery:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, channel: Channel, delivery_id: str) -> bool:
        async with self._uow(write=True) as uow:
            first = await uow.deliveries.first_time(channel.value, delivery_id, self._clock.now())
            await uow.commit()
        return first
