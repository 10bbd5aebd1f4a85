"""Who acts, through which door, and on whose behalf."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from komunalka.domain.services import Channel


class ActorKind(StrEnum):
    RESIDENT = "resident"
    OPERATOR = "operator"
    SUPPLIER = "supplier"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: int | None
    channel: Channel
    # The resident a staff member or the system acts for; a resident acts for themselves.
    on_behalf_of: int | None = None
    note: str = ""

    @classmethod
    def resident(cls, resident_id: int, channel: Channel) -> Actor:
        return cls(ActorKind.RESIDENT, resident_id, channel, resident_id)

    @classmethod
    def system(cls, channel: Channel = Channel.CLI, note: str = "") -> Actor:
        return cls(ActorKind.SYSTEM, None, channel, None, note)

    @property
    def resident_id(self) -> int | None:
        return self.on_behalf_of

    @property
    def key(self) -> str:
        """Scope of idempotency keys: one client's keys never collide with another's."""
        return f"{self.kind.value}:{self.id if self.id is not None else '-'}"
