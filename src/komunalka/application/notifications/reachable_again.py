"""ReachableAgain: a resident whose messenger once refused our reminders (they blocked the bot)
wrote to the bot again, so reminders may reach them there again. MarkUnreachable: the messenger
told us they left.

Who may call it: the chat, for every update a messenger delivers. Guarantees: one statement that
changes nothing (and writes nothing) unless that identity was marked unreachable.
"""

from __future__ import annotations

from komunalka.application.notifications.ports import ReminderBook
from komunalka.application.shared.ports import Clock, PlannedReminders
from komunalka.application.shared.transactions import Transactions


class ReachableAgain:
    def __init__(self, transactions: Transactions, reminders: PlannedReminders) -> None:
        self._transactions = transactions
        self._reminders = reminders

    async def __call__(self, channel: str, external_id: str) -> None:
        async with self._transactions(write=True, autocommit=True) as tx:
            await self._reminders.reachable_again(channel, external_id)
            await tx.commit()


class MarkUnreachable:
    """The messenger says the resident left (Viber's `unsubscribed` callback): reminders stop
    there, and what is queued for that identity ends as "unreachable", until they write again.

    Who may call it: a messenger door, for a callback the platform vouches for."""

    def __init__(self, transactions: Transactions, book: ReminderBook, clock: Clock) -> None:
        self._transactions = transactions
        self._book = book
        self._clock = clock

    async def __call__(self, channel: str, external_id: str) -> None:
        async with self._transactions(write=True) as tx:
            await self._book.mark_unreachable(channel, external_id, self._clock.now())
            await tx.commit()
