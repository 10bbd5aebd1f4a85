"""ResolveSession and SignOut: who the browser's session cookie belongs to, and ending it.

Who may call them: the web doors, with the cookie the browser sent. An expired session, a staff
member since deactivated, or an unknown token is nobody (None).
"""

from __future__ import annotations

from komunalka.application.identity.sign_in import RESIDENT, STAFF, Viewer, hash_token
from komunalka.application.ports import Clock, ResidentProfile, UnitOfWorkFactory


class ResolveSession:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, token: str | None) -> Viewer | None:
        if not token or len(token) > 100:
            return None
        now = self._clock.now()
        async with self._uow() as uow:
            session = await uow.web_sessions.live(hash_token(token), now)
            if session is None:
                return None
            if session.kind == RESIDENT:
                profile = await uow.profiles.get(session.subject_id)
                profile = profile or ResidentProfile(session.subject_id)
                return Viewer(RESIDENT, session.subject_id, session.expires_at, profile=profile)
            if session.kind == STAFF:
                record = await uow.staff.get(session.subject_id)
                if record is None or not record.member.active:
                    return None
                return Viewer(STAFF, session.subject_id, session.expires_at, staff=record.member)
        return None


class SignOut:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, token: str | None) -> None:
        if not token:
            return
        async with self._uow(write=True) as uow:
            await uow.web_sessions.remove(hash_token(token))
            await uow.commit()
