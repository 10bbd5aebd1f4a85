"""DeliverWebhooks: the worker's job that pushes suppliers' feeds by webhook (ADR 0017).

Who calls it: the worker (``deliver_webhooks`` in bootstrap/jobs.py), any number at once.
Guarantees: each round first gives positions to the feeds' new items, cuts the new positions of
suppliers with a webhook into batches (at most `batch_size` items each), then claims due batches
with a lease (PostgreSQL skips rows another worker holds; SQLite's write lock serializes claims),
so two workers never send one batch at the same time. Each batch keeps one ``webhook-id`` and one
body across attempts; a 2xx marks it delivered; a timeout, a network error or another answer is
tried again after an exponential backoff with jitter, until a day after the batch was made, then
it is failed (the portal shows it and can send it again). A worker that dies mid-send leaves its
claim to lapse: the batch is sent again with the same ``webhook-id`` (the receiver's de-duplication
key), so nothing is lost.
"""

from __future__ import annotations

import json
import os
import random
import socket
from dataclasses import dataclass
from datetime import timedelta

from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.feed_cursor import encode_cursor
from komunalka.application.suppliers.feed_ports import (
    SupplierFeed,
    WebhookAnswer,
    WebhookBatch,
    WebhookBook,
    WebhookSender,
)

FEED_EVENT = "readings.changes"


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    """Batches of `batch_size` items; `claim` batches a round; a claim's `lease`; retries
    after `first_delay`, doubled each time up to `max_delay`, each drawn between half and the
    whole of it (jitter), for `give_up_after` from the batch's making."""

    batch_size: int = 500
    claim: int = 20
    lease: timedelta = timedelta(minutes=2)
    first_delay: timedelta = timedelta(seconds=10)
    max_delay: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(days=1)

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        full: timedelta = min(self.first_delay * (2 ** max(attempts - 1, 0)), self.max_delay)
        return full * rng.uniform(0.5, 1.0)


@dataclass(frozen=True, slots=True)
class WebhookReport:
    batched: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    items: int = 0


class DeliverWebhooks:
    def __init__(
        self,
        transactions: Transactions,
        feed: SupplierFeed,
        book: WebhookBook,
        sender: WebhookSender,
        clock: Clock,
        policy: WebhookPolicy | None = None,
        rng: random.Random | None = None,
        worker: str | None = None,
    ) -> None:
        self._transactions = transactions
        self._feed = feed
        self._book = book
        self._sender = sender
        self._clock = clock
        self._policy = policy or WebhookPolicy()
        self._rng = rng or random.Random()
        self._worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    async def __call__(self) -> WebhookReport:
        now = self._clock.now()
        policy = self._policy
        async with self._transactions(write=True) as tx:
            hooked = await self._book.hooked_suppliers()
            batched = 0
            for supplier_id in sorted({*await self._feed.waiting_suppliers(), *hooked}):
                head = await self._feed.sequence(supplier_id)
                if supplier_id in hooked:
                    batched += await self._book.cut_batches(
                        supplier_id, head.position, policy.batch_size, now,
                        now + policy.give_up_after,
                    )  # fmt: skip
            claimed = await self._book.claim(self._worker, policy.claim, now, now + policy.lease)
            await tx.commit()
        report = WebhookReport(batched=batched)
        for batch in claimed:
            report = await self._deliver(batch, report)
        return report

    async def _deliver(self, batch: WebhookBatch, report: WebhookReport) -> WebhookReport:
        if batch.url is None or batch.secret is None:  # the webhook was removed meanwhile
            answer = WebhookAnswer(False, "no webhook")
        else:
            body = await self.body(batch)
            answer = await self._sender.send(batch.url, batch.secret, batch.event_id, body)
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            if answer.ok:
                state, retry_at, outcome = "delivered", None, {"delivered": 1, "items": batch.items}
            elif now >= batch.give_up_at or batch.url is None:
                state, retry_at, outcome = "failed", None, {"failed": 1}
            else:
                delay = self._policy.delay(batch.attempts, self._rng)
                state, retry_at = "waiting", min(now + delay, batch.give_up_at)
                outcome = {"retried": 1}
            # Not this worker's any more (its lease ran out and another took it): that one
            # records the outcome.
            mine = await self._book.finish(
                batch.id, self._worker, state=state, at=now, error=answer.error, next_at=retry_at
            )
            await tx.commit()
        return _add(report, **outcome) if mine else report

    async def body(self, batch: WebhookBatch) -> bytes:
        """The message's body, the same on every attempt: ``{"type", "timestamp", "data"}``
        (Standard Webhooks' payload shape); a batch's data is its items and the cursor after
        them, as a page of the changes feed."""
        made = batch.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        head = f'{{"type": {json.dumps(batch.event_type)}, "timestamp": "{made}", "data": '
        if batch.first_position is None or batch.last_position is None:
            return (head + (batch.payload or "{}") + "}").encode()
        cursor = encode_cursor(batch.supplier_id, batch.last_position)
        parts = [f'{head}{{"cursor": "{cursor}", "count": {batch.items}, "items": ['.encode()]

        async def sink(data: bytes) -> None:
            parts.append(data)

        async with self._transactions():
            first, last = batch.first_position - 1, batch.last_position
            await self._feed.write_json(batch.supplier_id, first, last, sink)
        parts.append(b"\n]}}")
        return b"".join(parts)


def _add(report: WebhookReport, **more: int) -> WebhookReport:
    values = {k: getattr(report, k) + more.get(k, 0) for k in WebhookReport.__dataclass_fields__}
    return WebhookReport(**values)
