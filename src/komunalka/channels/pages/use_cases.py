"""The use cases this door calls, and nothing else: the composition root (bootstrap) gives it
this set."""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.identity.resolve_session import ResolveSession, SignOut
from komunalka.application.identity.sign_in import SignInStaff
from komunalka.application.shared.ports import Clock


@dataclass(frozen=True, slots=True)
class PagesUseCases:
    """What every web door shares: the clock, sessions, staff sign-in and sign-out."""

    clock: Clock
    resolve_session: ResolveSession
    sign_in_staff: SignInStaff
    sign_out: SignOut
