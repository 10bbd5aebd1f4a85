"""ResolveSession and SignOut: who the browser's session cookie belongs to, and ending it.

Who may call them: the web doors, with the cookie the browser sent. An expired session, a staff
member since deactivated, or an unknown token is nobody (None).
"""

from __future__ import annotations

from komunalka.application.identity.ports import (
    ResidentProfile,
    ResidentProfileRepository,
    WebSessionRepository,
)
from komunalka.application.identity.sign_in import RESIDENT, STAFF, Viewer, hash_token
from komunalka.application.shared.ports import Clock, StaffRepository
from komunalka.application.shared.transactions import Transactions


class ResolveSession:
    def __init__(
        self,
        transactions: Transactions,
        sessions: WebSessionRepository,
        profiles: ResidentProfileRepository,
        staff: StaffRepository,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._sessions = sessions
        self._profiles = profiles
        self._staff = staff
        self._clock = clock

    async def __call__(self, token: str | None) -> Viewer | None:
        if not token or len(token) > 100:
            return None
        now = self._clock.now()
        async with self._transactions():
            session = await self._sessions.live(hash_token(token), now)
            if session is None:
                return None
            if session.kind == RESIDENT:
                profile = await self._profiles.get(session.subject_id)
                profile = profile or ResidentProfile(session.subject_id)
                return Viewer(RESIDENT, session.subject_id, session.expires_at, profile=profile)
            if session.kind == STAFF:
                record = await self._staff.get(session.subject_id)
                if record is None or not record.member.active:
                    return None
                return Viewer(STAFF, session.subject_id, session.expires_at, staff=record.member)
        return None


class SignOut:
    def __init__(self, transactions: Transactions, sessions: WebSessionRepository) -> None:
        self._transactions = transactions
        self._sessions = sessions

    async def __call__(self, token: str | None) -> None:
        if not token:
            return
        async with self._transactions(write=True) as tx:
            await self._sessions.remove(hash_token(token))
            await tx.commit()
