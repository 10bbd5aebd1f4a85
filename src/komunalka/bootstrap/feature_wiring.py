"""The notifications feature's wiring (the outbox, reminders): split from wiring.py, which
holds one function per feature."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from komunalka.adapters.db.storage import SqlStorage
from komunalka.application.identity.stop_reminders import PURPOSE as STOP_PURPOSE
from komunalka.application.notifications.channels import NoticeSender
from komunalka.application.notifications.deliver_outbox import DeliverOutbox, RetryPolicy
from komunalka.application.notifications.manage_reminders import ChangeReminderRule, ShowReminders
from komunalka.application.notifications.plan_reminders import PlanReminders
from komunalka.application.notifications.ports import MessageSender, ReminderWording
from komunalka.application.notifications.reachable_again import ReachableAgain
from komunalka.application.notifications.send_reminders import SendReminders
from komunalka.application.shared.ports import Clock, LinkSigner
from komunalka.channels.reminders.wording import ReminderTexts
from komunalka.domain.reminders import QuietHours


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
        ),
        "show_reminders": ShowReminders(
            u, u.suppliers, u.reminder_rules, u.reminder_book, clock, quiet
        ),
        "change_reminder_rule": ChangeReminderRule(
            u, u.suppliers, u.reminder_rules, u.audit, clock
        ),
        "reachable_again": ReachableAgain(u, u.reminder_book),
    }
