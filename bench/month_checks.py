"""The simulated month's end (bench/month.py): waiting for what is in flight, then the checks —
every acknowledged reading stored once and delivered once, at most one reminder per rule per
resident — and the figures: latency per door, throughput at the peak, CPU per reading."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.servers.fake_telegram import FakeTelegram
from tests.servers.fake_viber import FakeViber
from tests.servers.fake_webhooks import FakeWebhookReceiver

import month_world as world
from month_procs import Puller
from support import Database, scalar, sql

P = world.PERIOD_INDEX
PENDING = """
    SELECT (SELECT count(*) FROM reminders WHERE state IN ('planned', 'sending')
            AND send_at <= extract(epoch FROM now())),
           (SELECT count(*) FROM webhook_batches WHERE state <> 'delivered'),
           (SELECT count(*) FROM feed_heads h JOIN suppliers s ON s.id = h.supplier_id
            WHERE s.code IN ('kte', 'yasno') AND h.batched < h.position)"""
FEED_RECEIPTS = """
    SELECT r.receipt FROM feed_items f JOIN readings r ON r.id = f.reading_id
    JOIN suppliers s ON s.id = f.supplier_id WHERE s.code = $1 AND f.position IS NOT NULL"""
UNFED = """
    SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter_id
    WHERE r.period = $1 AND r.channel IN ('api', 'telegram')
      AND (r.release_at IS NULL OR r.release_at <= now())
      AND NOT EXISTS (SELECT 1 FROM feed_items f WHERE f.reading_id = r.id
                      AND f.position IS NOT NULL)"""
HEADS = """SELECT s.code, h.position FROM feed_heads h JOIN suppliers s ON s.id = h.supplier_id"""
HELD = """SELECT count(*) FROM readings WHERE period = $1 AND release_at > now()"""
STORED = """SELECT m.id, count(*) FROM readings r JOIN meters m ON m.id = r.meter_id
            WHERE r.period = $1 AND r.channel = $2 GROUP BY m.id"""
TWICE_PLANNED = """SELECT count(*) FROM (SELECT 1 FROM reminders GROUP BY resident_id, rule_id,
                   period HAVING count(*) > 1) t"""
RULES_BY_ADDRESS = """SELECT channel, address, count(DISTINCT rule_id) FROM reminders
                      GROUP BY channel, address"""


def drain(db: Database, pullers: dict[str, Puller], deadline: float, quiet: float) -> float:
    """Seconds until no reminder, webhook or pull is in flight (or `deadline` passed); reminders
    only until `quiet` (epoch seconds), when the quiet hours close and the rest waits a day."""
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        pending = [*sql(db, PENDING)[0], scalar(db, UNFED, P)]
        if time.time() >= quiet:
            pending[0] = 0
        heads = {code: int(n) for code, n in sql(db, HEADS)}
        behind = [
            code
            for code, p in pullers.items()
            if not p.caught_up or max(p.items, default=0) < heads.get(code, 0)
        ]
        if not any(pending) and not behind:
            break
        time.sleep(2)
    else:
        print(f"  in flight: reminders, batches, heads, unfed {pending}; pulls behind {behind}")
    return time.monotonic() - start


def acked(workdir: Path, tag: str) -> list[int]:
    ids = (workdir / f"{tag}.ids").read_text().split()
    return [int(ids[int(n)]) for n in (workdir / f"{tag}.acked").read_text().split()]


def gather(
    db: Database, workdir: Path, users: dict[str, list[int]], telegram: FakeTelegram,
    viber: FakeViber, receivers: dict[str, FakeWebhookReceiver], pullers: dict[str, Puller],
) -> dict[str, Any]:  # fmt: skip
    found: dict[str, Any] = {}
    api = {int(m): int(c) for m, c in sql(db, STORED, P, "api")}
    api_acked = acked(workdir, "days") + acked(workdir, "peak")
    found["api"] = _once(api, api_acked)
    tg = {int(m): int(c) for m, c in sql(db, STORED, P, "telegram")}
    serials = {r[1]: r[0] for r in sql(db, "SELECT id, serial FROM meters")}
    typed = []
    for tag, who in users.items():
        for n in (workdir / f"{tag}-typed.acked").read_text().split():
            typed.append(serials[f"CO{who[int(n)]:09d}"])
    found["telegram"] = _once(tg, typed)
    delivered = {}
    for code, receiver in receivers.items():
        got = Counter(item["receipt"] for item in receiver.items)
        delivered[code] = _compare(db, code, got, receiver.rejected)
    for code, puller in pullers.items():
        got = Counter(item["receipt"] for item in puller.items.values())
        delivered[code] = _compare(db, code, got, puller.twice)
    found["delivered"] = delivered
    found["unfed"] = int(scalar(db, UNFED, P))
    found["held_until_window"] = int(scalar(db, HELD, P))
    found["reminders"] = reminders(db, telegram, viber)
    return found


def _once(stored: dict[int, int], acked_ids: list[int]) -> dict[str, int]:
    return {
        "acknowledged": len(acked_ids),
        "acknowledged_twice": len(acked_ids) - len(set(acked_ids)),
        "stored": sum(stored.values()),
        "acked_missing": sum(1 for m in acked_ids if m not in stored),
        "stored_twice": sum(1 for c in stored.values() if c > 1),
    }


def _compare(db: Database, code: str, got: Counter[str], bad: int) -> dict[str, int]:
    feed = {r[0] for r in sql(db, FEED_RECEIPTS, code)}
    return {
        "in_feed": len(feed),
        "received": len(got),
        "missing": len(feed - set(got)),
        "unknown": len(set(got) - feed),
        "twice": sum(1 for c in got.values() if c > 1) + bad,
    }


def reminders(db: Database, telegram: FakeTelegram, viber: FakeViber) -> dict[str, Any]:
    rules = {(ch, addr): int(n) for ch, addr, n in sql(db, RULES_BY_ADDRESS)}
    to_tg = Counter(str(c.params["chat_id"]) for c in telegram.delivered())
    to_viber = Counter(str(body["receiver"]) for body in viber.sent())
    reminded = [("telegram", to_tg), ("viber", to_viber)]
    over = sum(
        1 for ch, sent in reminded for addr, n in sent.items() if n > rules.get((ch, addr), 0)
    )
    by_state = sql(db, "SELECT state, count(*) FROM reminders GROUP BY state")
    states = Counter({str(s): int(n) for s, n in by_state})
    calls = Counter(c.status for c in telegram.calls)
    return {
        "planned_twice": int(scalar(db, TWICE_PLANNED)),
        "messages_over_rules": over,
        "telegram_messages": sum(to_tg.values()),
        "viber_messages": sum(to_viber.values()),
        "states": dict(states),
        "telegram_answers": {str(k): v for k, v in sorted(calls.items())},
        "telegram_most_in_a_second": telegram.max_in_window(1.0),
    }


# --- the report --------------------------------------------------------------------------------


def report(found: dict[str, Any]) -> list[str]:
    """Print the figures and the checks; the failed checks."""
    failures = []

    def check(ok: bool, what: str) -> None:
        print(f"  [{'ok' if ok else 'FAILED'}] {what}")
        if not ok:
            failures.append(what)

    seconds, drained = found["month_seconds"], found["drain_seconds"]
    print(f"\nmonth played in {seconds:.0f} s (drain {drained:.0f} s)")
    print(f"events: {found['events']}; re-import: {found['reimport']}")
    for door in ("api", "telegram"):
        d = found[door]
        check(
            d["acked_missing"] == 0 and d["stored_twice"] == 0 and d["acknowledged_twice"] == 0,
            f"{door}: {d['acknowledged']} readings acknowledged, {d['stored']} stored, "
            f"{d['acked_missing']} acknowledged but missing, {d['stored_twice']} stored twice",
        )
    for code, d in found["delivered"].items():
        check(
            d["missing"] == 0 and d["unknown"] == 0 and d["twice"] == 0,
            f"{code}: {d['in_feed']} in the feed, {d['received']} received by the supplier, "
            f"{d['missing']} missing, {d['twice']} twice",
        )
    check(found["unfed"] == 0, f"readings released but not in a feed: {found['unfed']}")
    r = found["reminders"]
    check(
        r["planned_twice"] == 0 and r["messages_over_rules"] == 0 and r["telegram_messages"] > 0,
        f"reminders: {r['telegram_messages']} Telegram + {r['viber_messages']} Viber messages, "
        f"{r['messages_over_rules']} residents with more than one per rule; states {r['states']}; "
        f"Telegram answered {r['telegram_answers']}, "
        f"most in a second {r['telegram_most_in_a_second']}",
    )
    for phase in ("days", "peak"):
        p = found[phase]
        tg = found[f"tg_{phase}"][1]
        print(
            f"  {phase}: API {p['rate']:.1f} readings/s, p50 {p['p50_ms']:.0f} ms, p99 "
            f"{p['p99_ms']:.0f} ms, statuses {p['statuses']}, retried {p['retried']}; Telegram "
            f"{tg['rate']:.1f} updates/s, p50 {tg['p50_ms']:.0f} ms, p99 {tg['p99_ms']:.0f} ms"
        )
    readings = found["api"]["stored"] + found["telegram"]["stored"]
    per = {k: 1000 * v / max(readings, 1) for k, v in found["cpu"].items()}
    print(f"  CPU ms per reading ({readings} readings): "
          + ", ".join(f"{k} {v:.2f}" for k, v in sorted(per.items())))  # fmt: skip
    found["cpu_ms_per_reading"] = per
    return failures
