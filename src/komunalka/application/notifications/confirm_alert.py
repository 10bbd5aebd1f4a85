"""ConfirmAlert: the resident says "that's right" to a leak or anomaly notice (ADR 0025), from
the link in the notice (the bot's button opens it) or in the cabinet. ListAlerts: the cabinet's
list of the resident's notices.

Who may call it: anyone holding the notice's link (no sign-in: the signed token names the
notice, and the action only stops messages), or a signed-in resident for their own notice.
Guarantees: a token not signed by us for this purpose changes nothing; a good one records the
confirmation once (a second use is harmless); each confirming action is audited
(``alert.confirm`` on ``alert:<id>``, by the resident or "by link"); a notice not sent yet is
then not sent; nothing more is said of that meter and period (one notice per meter, period
and resident).
"""

from __future__ import annotations

from komunalka.application.notifications.alerts import AlertBook, ResidentAlert
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import AuditLog, Clock, LinkSigner
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.services import Channel

PURPOSE = "alerts.ok"


class ConfirmAlert:
    def __init__(
        self,
        transactions: Transactions,
        book: AlertBook,
        signer: LinkSigner,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._book = book
        self._signer = signer
        self._audit = audit
        self._clock = clock

    def token_for(self, alert_id: int) -> str:
        return self._signer.sign(PURPOSE, alert_id)

    async def by_link(self, token: str) -> bool:
        """True when the token was good (the notice is confirmed now)."""
        alert_id = self._signer.verify(PURPOSE, token)
        if alert_id is None:
            return False
        return await self._confirm(alert_id, None)

    async def by_resident(self, resident_id: int, alert_id: int) -> bool:
        """True when the notice is the resident's (and is confirmed now)."""
        return await self._confirm(alert_id, resident_id)

    async def _confirm(self, alert_id: int, resident_id: int | None) -> bool:
        now = self._clock.now()
        actor = (
            Actor.system(Channel.WEB, "by link")
            if resident_id is None
            else Actor.resident(resident_id, Channel.WEB)
        )
        async with self._transactions(write=True) as tx:
            done = await self._book.confirm(alert_id, now, resident_id)
            if done:
                await self._audit.record(actor, "alert.confirm", f"alert:{alert_id}", {}, now)
            await tx.commit()
        return done


class ListAlerts:
    def __init__(self, transactions: Transactions, book: AlertBook) -> None:
        self._transactions = transactions
        self._book = book

    async def __call__(self, resident_id: int, limit: int = 20) -> list[ResidentAlert]:
        async with self._transactions() as tx:
            found = await self._book.of_resident(resident_id, limit)
            await tx.commit()
        return found
