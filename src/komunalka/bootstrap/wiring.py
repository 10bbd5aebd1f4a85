"""The use cases a door may call, wired once by the bootstrap."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeVar

from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.signing import ItsDangerousSigner
from komunalka.application.notifications.channels import NoticeSender
from komunalka.application.notifications.deliver_outbox import RetryPolicy
from komunalka.application.notifications.ports import MessageSender
from komunalka.application.readings.photo_reading import MeterReader, NoMeterReader
from komunalka.application.readings.receipt_ports import ReceiptSigner
from komunalka.application.shared.ports import (
    Clock,
    DialogStateStore,
    LinkSigner,
    PasswordHasher,
)
from komunalka.application.suppliers.deliver_webhooks import DeliverWebhooks, WebhookPolicy
from komunalka.application.suppliers.feed_ports import WebhookSender
from komunalka.application.suppliers.files import RegistryFile, Spreadsheets, XlsxWriter
from komunalka.application.system.clean_up import Retention
from komunalka.bootstrap import rooms
from komunalka.bootstrap.feature_wiring import (
    Guards,
    alert_cases,
    identity_cases,
    notifications,
    sms_cases,
    wording,
)
from komunalka.domain.reminders import QuietHours


class _NoPasswords:
    """Where no hasher was wired (tests of other doors): any use of passwords is a bug."""

    def hash(self, password: str) -> str:
        raise RuntimeError("no password hasher is wired")

    def verify(self, hashed: str, password: str) -> bool:
        raise RuntimeError("no password hasher is wired")


class _NoSpreadsheets:
    """Where no spreadsheet adapter was wired: registries and XLSX exports are a bug there."""

    def open_registry(self, path: str, kind: str) -> RegistryFile:
        raise RuntimeError("no spreadsheets adapter is wired")

    def fingerprint(self, path: str) -> str:
        raise RuntimeError("no spreadsheets adapter is wired")

    def xlsx_writer(self, columns: Sequence[str]) -> XlsxWriter:
        raise RuntimeError("no spreadsheets adapter is wired")


D = TypeVar("D")


class Wiring:
    """The composition root's table of wired use cases, by name, built once per process from
    one function per feature. Doors never see it: each gets the small frozen set it declares
    (`channels/<door>/use_cases.py`, `chat/use_cases.py`) through `door(...)`. Tests may reach a
    use case by name (`wiring.submit_readings`)."""

    def __init__(self, wired: dict[str, Any]) -> None:
        self._wired = wired

    def __getattr__(self, name: str) -> Any:
        wired = self.__dict__.get("_wired", {})
        if name not in wired:
            raise AttributeError(name)
        return wired[name]

    def door(self, kind: type[D]) -> D:
        """The set a door declares, each field the use case of that name."""
        return kind(**{f.name: self._wired[f.name] for f in fields(kind)})  # type: ignore[arg-type]

    @classmethod
    def wire(
        cls,
        uow: SqlStorage,
        clock: Clock,
        *,
        passwords: PasswordHasher | None = None,
        senders: dict[str, MessageSender] | None = None,
        dialogs: DialogStateStore | None = None,
        spreadsheets: Spreadsheets | None = None,
        notices: Mapping[str, NoticeSender] | None = None,
        signer: LinkSigner | None = None,
        web_url: str = "http://127.0.0.1:8000",
        quiet: QuietHours | None = None,
        policy: RetryPolicy | None = None,
        send_batch: int = 100,
        guards: Guards | None = None,
        webhooks: WebhookSender | None = None,
        webhook_policy: WebhookPolicy | None = None,
        private_webhooks: bool = False,
        receipt_keys: ReceiptSigner | None = None,
        retention: Retention | None = None,
        meter_reader: MeterReader | None = None,
    ) -> Wiring:
        """`notices`: the reminders' senders by channel (none: reminders are recorded as
        failed, "no sender"); `signer`: signs the links that act without signing in (a random
        key when none is given: links then live as long as the process); `web_url`: the
        cabinet's public address, in links; `quiet`: the hours reminders may go out; `policy`:
        the lease and retries of every outbound message; `guards`: real time for the limits
        and caches, and the count of revoked tokens (this process's, unless given); `webhooks`:
        posts suppliers' webhooks (none: the job `deliver_webhooks` is not wired, and feeds
        are numbered when read); `private_webhooks`: suppliers may point their webhooks at
        loopback and private addresses (development and tests; else refused, ADR 0017);
        `receipt_keys`: sign and check receipts (a key made for the
        process when none is given); `meter_reader`: reads meters from photos (none: photos are
        not read, the value is typed)."""
        link_signer = signer or ItsDangerousSigner(secrets.token_urlsafe(32))
        hasher: PasswordHasher = passwords or _NoPasswords()
        readings = rooms.readings(uow, clock, meter_reader or NoMeterReader())
        suppliers = rooms.suppliers(uow, clock, spreadsheets or _NoSpreadsheets(), private_webhooks)
        if webhooks is not None:
            suppliers["deliver_webhooks"] = DeliverWebhooks(
                uow, uow.feed, uow.webhooks, webhooks, clock, webhook_policy
            )
        guards = guards or Guards()
        identity = identity_cases(uow, clock, hasher, dialogs, link_signer, guards)
        return cls(
            {
                "clock": clock,
                **readings,
                **rooms.receipts(uow, receipt_keys or rooms.process_receipt_keys(), guards.wall),
                **rooms.accounts(uow, clock, guards.wall, web_url),
                **identity,
                **rooms.staff(
                    uow, clock, hasher, readings["submit_readings"], readings["correct_reading"]
                ),
                **suppliers,
                **notifications(
                    uow,
                    clock,
                    senders or {},
                    notices or {},
                    wording(web_url, link_signer),
                    quiet or QuietHours(),
                    policy or RetryPolicy(),
                    send_batch,
                ),
                **sms_cases(uow, clock),
                **alert_cases(
                    uow, clock, notices or {}, link_signer, web_url, policy or RetryPolicy()
                ),
                **rooms.system(
                    uow,
                    clock,
                    suppliers["import_registry"],
                    identity["issue_token"],
                    passwords,
                    retention,
                ),
            }
        )
