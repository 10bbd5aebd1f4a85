"""GetProfile and UpdateProfile: the resident cabinet's profile page.

Who may call them: a resident, for themselves (the web cabinet). GetProfile is read-only: the
profile, the linked messengers and the linked accounts with their suppliers. UpdateProfile
guarantees: the language is one we speak; reminders go only where they can arrive (a messenger
the resident has linked, an e-mail or a phone number they gave as the contact) and only with
their explicit consent, whose moment is kept and cleared when reminders are turned off; every
change is audited; a refused change changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from komunalka.application.identity.ports import (
    Identity,
    IdentityRepository,
    ResidentProfile,
    ResidentProfileRepository,
)
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.logins import normalize_login
from komunalka.application.shared.ports import (
    AccountRepository,
    AuditLog,
    Clock,
    PlannedReminders,
    SupplierRepository,
)
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.meters import Account, Supplier

LANGUAGES = ("uk", "en")
REMINDER_CHANNELS = ("none", "email", "sms", "telegram", "viber")
MESSENGERS = ("telegram", "viber")
NEEDS_MESSENGER = {
    "telegram": "cabinet.reminder_needs_telegram",
    "viber": "cabinet.reminder_needs_viber",
}


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    account: Account
    supplier: Supplier


@dataclass(frozen=True, slots=True)
class ProfileView:
    profile: ResidentProfile
    messengers: list[Identity] = field(default_factory=list)
    accounts: list[LinkedAccount] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ProfileChange:
    language: str
    reminder_channel: str
    consent: bool
    contact: str


class GetProfile:
    def __init__(
        self,
        transactions: Transactions,
        profiles: ResidentProfileRepository,
        accounts: AccountRepository,
        suppliers: SupplierRepository,
    ) -> None:
        self._transactions = transactions
        self._profiles = profiles
        self._accounts = accounts
        self._suppliers = suppliers

    async def __call__(self, resident_id: int) -> ProfileView:
        async with self._transactions():
            profile = await self._profiles.get(resident_id) or ResidentProfile(resident_id)
            identities = await self._profiles.identities_of(resident_id)
            accounts = await self._accounts.linked_to(resident_id)
            suppliers = {s.id: s for s in await self._suppliers.all()}
        messengers = [i for i in identities if i.channel in MESSENGERS]
        linked = [LinkedAccount(a, suppliers[a.supplier_id]) for a in accounts]
        linked.sort(key=lambda x: (x.supplier.name, x.account.number))
        return ProfileView(profile, messengers, linked)


class UpdateProfile:
    def __init__(
        self,
        transactions: Transactions,
        profiles: ResidentProfileRepository,
        identities: IdentityRepository,
        reminders: PlannedReminders,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._profiles = profiles
        self._identities = identities
        self._reminders = reminders
        self._audit = audit
        self._clock = clock

    async def __call__(self, actor: Actor, change: ProfileChange) -> ResidentProfile:
        resident_id = actor.resident_id
        if resident_id is None:
            raise DomainError.of("link.resident_required")
        now = self._clock.now()
        contact = _contact(change.contact)
        async with self._transactions(write=True) as tx:
            old = await self._profiles.get(resident_id) or ResidentProfile(resident_id)
            linked = {i.channel for i in await self._profiles.identities_of(resident_id)}
            problems = _problems(change, contact, linked)
            if problems:
                raise DomainError(problems)
            profile = ResidentProfile(
                resident_id,
                change.language,
                change.reminder_channel,
                _consent_at(old, change.reminder_channel, now),
                contact,
            )
            await self._profiles.save(profile)
            await self._follow_channel(old, profile, now)
            details = {
                "language": profile.language,
                "reminder_channel": profile.reminder_channel,
                "consent": profile.reminder_consent_at is not None,
                "contact_changed": contact != old.contact,
            }
            subject = f"resident:{resident_id}"
            await self._audit.record(actor, "profile.update", subject, details, now)
            await tx.commit()
        return profile

    async def _follow_channel(
        self, old: ResidentProfile, new: ResidentProfile, now: datetime
    ) -> None:
        """The bots' switches show the chosen channel; a channel turned off or changed cancels
        what was queued for the old one (planned reminders carry their channel)."""
        if old.reminder_channel == new.reminder_channel:
            return
        for identity in await self._profiles.identities_of(new.resident_id):
            on = identity.channel == new.reminder_channel
            if identity.reminders != on:
                await self._identities.update(replace(identity, reminders=on))
        if old.reminder_channel != "none":
            await self._reminders.cancel(new.resident_id, now)


def _contact(text: str) -> str:
    if not text.strip():
        return ""
    try:
        return normalize_login(text)
    except DomainError as exc:
        raise DomainError.of("cabinet.bad_contact") from exc


def _problems(change: ProfileChange, contact: str, linked: set[str]) -> list[Violation]:
    problems = []
    channel = change.reminder_channel
    if change.language not in LANGUAGES:
        problems.append(Violation("cabinet.bad_language", {"language": change.language}))
    if channel not in REMINDER_CHANNELS:
        problems.append(Violation("cabinet.bad_reminder_channel", {"channel": channel}))
    elif channel in MESSENGERS and channel not in linked:
        problems.append(Violation(NEEDS_MESSENGER[channel]))
    elif channel == "email" and "@" not in contact:
        problems.append(Violation("cabinet.reminder_needs_email"))
    elif channel == "sms" and not contact.startswith("+"):
        problems.append(Violation("cabinet.reminder_needs_phone"))
    if channel != "none" and not change.consent:
        problems.append(Violation("cabinet.consent_required"))
    return problems


def _consent_at(old: ResidentProfile, channel: str, now: datetime) -> datetime | None:
    """When the consent was given: kept while the channel stays, renewed for a new channel."""
    if channel == "none":
        return None
    if old.reminder_channel == channel and old.reminder_consent_at is not None:
        return old.reminder_consent_at
    return now
