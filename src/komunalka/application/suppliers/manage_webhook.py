"""A supplier's webhook, from the portal: its URL, a new signing secret (made by the service and
shown once), the batches that failed and sending one again (ADR 0017).

Who may call it: staff of that supplier and administrators (``managed_supplier``). Guarantees:
a URL must be an absolute http(s) address without credentials, at most 2,000 characters (else
``webhook.bad_url``, nothing changed), and not a loopback, private or local one unless the
deployment allows them (``webhook.private_address``; the sender checks the resolved address
again); the secret is ``whsec_`` and 32 random bytes in base64, as
Standard Webhooks has it; setting, removing, a new secret and a resend are audited (never the
secret itself); a batch is sent again only if it failed, with its ``webhook-id`` unchanged.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.feed_ports import SupplierFeed, WebhookBatch, WebhookBook
from komunalka.application.suppliers.ports import Suppliers
from komunalka.application.suppliers.supplier_access import Caller, actor_of, managed_supplier
from komunalka.domain.addresses import local_host
from komunalka.domain.errors import DomainError

MAX_URL = 2000
GIVE_UP_AFTER = timedelta(days=1)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def checked_url(url: str, private: bool = False) -> str:
    """The URL, stripped; ``webhook.bad_url`` for one that is not an absolute http(s) address,
    ``webhook.private_address`` for a loopback, private or local one unless `private`."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        raise DomainError.of("webhook.bad_url") from None
    if (
        len(text) > MAX_URL
        or parts.scheme not in ("http", "https")
        or not host
        or parts.username is not None
        or parts.password is not None
        or any(c.isspace() or ord(c) < 32 for c in text)
    ):
        raise DomainError.of("webhook.bad_url")
    if not private and local_host(host):
        raise DomainError.of("webhook.private_address")
    return text


@dataclass(frozen=True, slots=True)
class WebhookView:
    url: str | None
    has_secret: bool
    failed: list[WebhookBatch]
    waiting: list[WebhookBatch]
    last_fetched: datetime | None
    acked_at: datetime | None


class ManageWebhook:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        feed: SupplierFeed,
        book: WebhookBook,
        audit: AuditLog,
        clock: Clock,
        private_addresses: bool = False,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._feed = feed
        self._book = book
        self._audit = audit
        self._clock = clock
        self._private = private_addresses

    async def show(self, caller: Caller, code: str | None) -> WebhookView:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            head = await self._feed.head(supplier.id)
            failed = await self._book.batches(supplier.id, "failed", 50)
            waiting = await self._book.batches(supplier.id, "waiting", 50)
        return WebhookView(
            head.webhook_url, bool(head.webhook_secret), failed, waiting, head.fetched_at,
            head.acked_at,
        )  # fmt: skip

    async def set_url(self, caller: Caller, code: str | None, url: str) -> str | None:
        """Sets the URL (an empty one removes the webhook). The new secret, when the supplier
        had none (shown once), else None."""
        wanted = checked_url(url, self._private) if url.strip() else None
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, code)
            head = await self._feed.head(supplier.id)
            secret = new_secret() if wanted and not head.webhook_secret else None
            await self._book.set_webhook(supplier.id, wanted, secret)
            action = "webhook.set" if wanted else "webhook.remove"
            details = {"url": wanted or "", "new_secret": secret is not None}
            await self._audit.record(
                actor_of(caller), action, f"supplier:{supplier.id}", details, now
            )
            await tx.commit()
        return secret

    async def new_secret(self, caller: Caller, code: str | None) -> str:
        """A new signing secret, replacing the old at once; shown this once. Needs a URL
        (``webhook.no_url``)."""
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, code)
            head = await self._feed.head(supplier.id)
            if not head.webhook_url:
                raise DomainError.of("webhook.no_url")
            secret = new_secret()
            await self._book.set_webhook(supplier.id, head.webhook_url, secret)
            subject = f"supplier:{supplier.id}"
            await self._audit.record(actor_of(caller), "webhook.secret", subject, {}, now)
            await tx.commit()
        return secret

    async def resend(self, caller: Caller, code: str | None, batch_id: int) -> None:
        """A failed batch waits again, for another day of attempts (``webhook.not_failed``
        for a batch of another supplier or one that did not fail)."""
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, code)
            if not await self._book.resend(supplier.id, batch_id, now, now + GIVE_UP_AFTER):
                raise DomainError.of("webhook.not_failed")
            subject = f"webhook_batch:{batch_id}"
            await self._audit.record(actor_of(caller), "webhook.resend", subject, {}, now)
            await tx.commit()
