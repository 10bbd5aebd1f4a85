"""The wiring of the identity and notifications features (the outbox, reminders); rooms.py holds
the other features' functions, wiring.py calls them all."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from komunalka.adapters.clock import SystemClock
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.revocations import InProcessRevocations
from komunalka.application.identity.attach_telegram import AttachTelegram
from komunalka.application.identity.edit_profile import GetProfile, UpdateProfile
from komunalka.application.identity.identify_resident import IdentifyResident, UpdatePreferences
from komunalka.application.identity.issue_token import Authenticate, IssueToken, RevokeToken
from komunalka.application.identity.phones import ConfirmPhone, RequestPhoneCode, ResidentByPhone
from komunalka.application.identity.ports import TokenRevocations
from komunalka.application.identity.reset_password import RequestPasswordReset, ResetPassword
from komunalka.application.identity.resolve_session import ResolveSession, SignOut
from komunalka.application.identity.sign_in import SignIn, SignInStaff, SignUp
from komunalka.application.identity.sign_in_limits import Pause, SignInLimits
from komunalka.application.identity.sign_in_with_telegram import SignInWithTelegram
from komunalka.application.identity.stop_reminders import PURPOSE as STOP_PURPOSE
from komunalka.application.identity.stop_reminders import StopReminders
from komunalka.application.notifications.channels import NoticeSender
from komunalka.application.notifications.confirm_alert import ConfirmAlert, ListAlerts
from komunalka.application.notifications.deliver_outbox import DeliverOutbox, RetryPolicy
from komunalka.application.notifications.manage_reminders import ChangeReminderRule, ShowReminders
from komunalka.application.notifications.plan_reminders import PlanReminders
from komunalka.application.notifications.ports import MessageSender, ReminderWording
from komunalka.application.notifications.reachable_again import MarkUnreachable, ReachableAgain
from komunalka.application.notifications.send_alerts import SendAlerts
from komunalka.application.notifications.send_reminders import SendReminders
from komunalka.application.notifications.sms_replies import ReplyBySms
from komunalka.application.shared.ports import (
    Clock,
    DialogStateStore,
    LinkSigner,
    PasswordHasher,
    Ticks,
)
from komunalka.channels.reminders.alerts import AlertTexts
from komunalka.channels.reminders.wording import ReminderTexts
from komunalka.domain.reminders import QuietHours


@dataclass(frozen=True, slots=True)
class Guards:
    """What the limits and caches run on: real time, never the business clock (KOMUNALKA_NOW
    freezes that one); and the count of revoked tokens (in this process unless Redis is set)."""

    wall: Clock = field(default_factory=SystemClock)  # limits counted in the database
    ticks: Ticks = time.monotonic  # a process's cache ages
    revocations: TokenRevocations = field(default_factory=InProcessRevocations)
    pause: Pause = asyncio.sleep  # sign-in's slow-down


def wording(web_url: str, signer: LinkSigner) -> ReminderWording:
    base = web_url.rstrip("/")
    return ReminderTexts(
        base, lambda resident: f"{base}/reminders/off/{signer.sign(STOP_PURPOSE, resident)}"
    )


def notifications(
    uow: SqlStorage,
    clock: Clock,
    senders: dict[str, MessageSender],
    notices: Mapping[str, NoticeSender],
    wording: ReminderWording,
    quiet: QuietHours,
    policy: RetryPolicy,
    send_batch: int,
) -> dict[str, Any]:
    u = uow
    return {
        "deliver_outbox": DeliverOutbox(u, u.outbox, senders, clock, policy=policy),
        "plan_reminders": PlanReminders(
            u, u.suppliers, u.reminder_rules, u.reminder_book, clock, quiet
        ),
        "send_reminders": SendReminders(
            u,
            u.reminder_book,
            wording,
            notices,
            clock,
            quiet=quiet,
            policy=policy,
            batch=send_batch,
            drain=timedelta(seconds=50),  # kicked every 10 s: rounds overlap, never idle
        ),
        "show_reminders": ShowReminders(
            u, u.suppliers, u.reminder_rules, u.reminder_book, clock, quiet
        ),
        "change_reminder_rule": ChangeReminderRule(
            u, u.suppliers, u.reminder_rules, u.audit, clock
        ),
        "reachable_again": ReachableAgain(u, u.reminder_book),
        "mark_unreachable": MarkUnreachable(u, u.reminder_book, clock),
    }


def alert_cases(
    uow: SqlStorage,
    clock: Clock,
    notices: Mapping[str, NoticeSender],
    signer: LinkSigner,
    web_url: str,
    policy: RetryPolicy,
) -> dict[str, Any]:
    """Leak and anomaly notices (ADR 0025): sent by the worker, confirmed from their link."""
    u = uow
    confirm = ConfirmAlert(u, u.alerts, signer, u.audit, clock)
    base = web_url.rstrip("/")
    texts = AlertTexts(lambda alert_id: f"{base}/alerts/ok/{confirm.token_for(alert_id)}")
    return {
        "send_alerts": SendAlerts(
            u, u.alerts, u.reminder_book, texts, notices, clock, policy=policy
        ),
        "confirm_alert": confirm,
        "list_alerts": ListAlerts(u, u.alerts),
    }


def sms_cases(uow: SqlStorage, clock: Clock) -> dict[str, Any]:
    """The SMS door's (ADR 0026): phone numbers linked with a code, answers once per message."""
    u = uow
    return {
        "resident_by_phone": ResidentByPhone(u, u.phones),
        "request_phone_code": RequestPhoneCode(u, u.phones, u.outbox, clock),
        "confirm_phone": ConfirmPhone(u, u.phones, u.audit, clock),
        "reply_by_sms": ReplyBySms(u, u.inbound_sms, u.outbox, clock),
    }


def identity_cases(
    uow: SqlStorage,
    clock: Clock,
    hasher: PasswordHasher,
    dialogs: DialogStateStore | None,
    signer: LinkSigner,
    guards: Guards,
) -> dict[str, Any]:
    u = uow
    sessions, attempts, logins = u.web_sessions, u.sign_in_attempts, u.web_logins
    limits = SignInLimits(attempts, hasher, guards.wall, guards.pause)
    revocations = guards.revocations
    return {
        "issue_token": IssueToken(u, u.residents, u.tokens, u.audit, clock),
        "revoke_token": RevokeToken(u, u.tokens, u.audit, clock, revocations),
        "authenticate": Authenticate(u, u.tokens, revocations, guards.ticks),
        "identify_resident": IdentifyResident(u, u.identities, u.residents, u.audit, clock),
        "update_preferences": UpdatePreferences(
            u, u.identities, u.profiles, u.reminder_book, clock
        ),
        "sign_up": SignUp(u, u.residents, logins, u.profiles, sessions, u.audit, hasher, clock),
        "sign_in": SignIn(u, logins, sessions, limits, clock),
        "sign_in_staff": SignInStaff(u, u.staff, sessions, u.audit, limits, clock),
        "sign_in_with_telegram": SignInWithTelegram(
            u, u.identities, u.residents, sessions, u.audit, clock
        ),
        "request_password_reset": RequestPasswordReset(
            u, logins, attempts, u.one_time_tokens, u.outbox, clock, guards.wall
        ),
        "reset_password": ResetPassword(
            u, u.one_time_tokens, logins, sessions, u.audit, hasher, clock
        ),
        "resolve_session": ResolveSession(u, sessions, u.profiles, u.staff, clock),
        "sign_out": SignOut(u, sessions),
        "attach_telegram": AttachTelegram(
            u, u.identities, u.profiles, u.accounts, u.audit, clock, dialogs
        ),
        "get_profile": GetProfile(u, u.profiles, u.accounts, u.suppliers),
        "stop_reminders": StopReminders(
            u, u.profiles, u.identities, u.reminder_book, signer, u.audit, clock
        ),
        "update_profile": UpdateProfile(
            u, u.profiles, u.identities, u.reminder_book, u.audit, clock
        ),
    }
