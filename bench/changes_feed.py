"""Benchmark: the suppliers' changes feed (issue 13, ADR 0017) on PostgreSQL.

    .venv/bin/python bench/changes_feed.py [--rows 1000000] [--page 10000] [--batch 1000]

Data (setup, not measured): a new database `bench_feed_<pid>` with `komunalka db upgrade` and
`komunalka demo`, then the rows of bench/export_readings.py by plain SQL: N readings of supplier
kte for 2024-03, each an item of kte's feed with its position (as the sequencer leaves them),
and a pull token. ANALYZE and CHECKPOINT.

1. **Pull**: `komunalka serve` (uvicorn, one worker) answers a client on 127.0.0.1 (httpx, in
   this process) that reads the whole feed in pages of `--page` items (`GET
   /api/v1/supplier/readings/changes`, each page's cursor taken from the first bytes of its
   streamed body). The reference, measured in the same run against the same server: the
   existing export of the same rows through the same API (`GET /api/v1/supplier/readings?
   period=2024-03&format=json`, one streamed JSON array; the CSV export, COPY on PostgreSQL, is
   reported beside it). Rounds alternate (the reference first in rounds 1 and 3). The target: the
   feed's rate (items/s, best round) at least 0.5 of the JSON export's, and the server's memory
   flat (its resident set sampled every 10 ms: the peak in the run's second half at most 10 %
   and 16 MiB over the peak in the first half).
2. **Push**: `DeliverWebhooks` (the worker's job, in this process) sends the whole feed to a
   local receiver (aiohttp in a thread of its own, checking every signature as Standard
   Webhooks says and counting the items) in batches of `--batch`. The target: at least 2,000
   readings a second.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from aiohttp import web

from export_readings import ACCOUNTS, FULL_PERIOD, METERS, READINGS, SERIAL_PREFIX, period_index
from support import (
    HOST,
    BenchError,
    Database,
    Server,
    checkpoint,
    komunalka_env,
    machine,
    mib,
    prepare_schema,
    save_json,
    scalar,
    sql,
    temporary_database,
)

TARGET_ROWS = 1_000_000
TARGET_RATIO = 0.5
TARGET_PUSH = 2_000
TOKEN = "kms_bench-feed-token-0123456789"
FEED = """
    INSERT INTO feed_items (supplier_id, reading_id, period, position)
    SELECT $1, r.id, r.period, row_number() OVER (ORDER BY r.id)
    FROM readings r JOIN meters m ON m.id = r.meter_id
    WHERE m.supplier_id = $1 AND r.period = $2
"""
HEAD = "INSERT INTO feed_heads (supplier_id, position) VALUES ($1, $2)"
SUPPLIER_TOKEN = """
    INSERT INTO supplier_tokens (supplier_id, token_hash, label, created_at)
    VALUES ($1, $2, 'bench', now())
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Changes feed: pull and push rates.")
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--page", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args()


def prepare(db: Database, rows: int) -> int:
    prepare_schema(db)
    supplier = int(scalar(db, "SELECT id FROM suppliers WHERE code = 'kte'"))
    start = time.perf_counter()
    sql(db, ACCOUNTS, supplier, (rows + 1) // 2)
    sql(db, METERS, supplier, rows, SERIAL_PREFIX)
    sql(db, READINGS, period_index(FULL_PERIOD), f"{SERIAL_PREFIX}{rows:09d}")
    sql(db, "DELETE FROM feed_items")  # the demo's history: not part of the measured rows
    sql(db, "DELETE FROM feed_heads")
    sql(db, FEED, supplier, period_index(FULL_PERIOD))
    sql(db, HEAD, supplier, rows)
    sql(db, SUPPLIER_TOKEN, supplier, hashlib.sha256(TOKEN.encode()).hexdigest())
    sql(db, "VACUUM ANALYZE")
    checkpoint(db)
    if scalar(db, "SELECT count(*) FROM feed_items") != rows:
        raise BenchError("the feed does not hold the rows")
    print(f"data inserted in {time.perf_counter() - start:.1f} s", flush=True)
    return supplier


class Sampler:
    """The server's resident set over time, every 10 ms."""

    def __init__(self, proc: psutil.Process) -> None:
        self.samples: list[int] = []
        self._proc = proc
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self._proc.memory_info().rss)
            self._stop.wait(0.01)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def halves(self) -> tuple[int, int]:
        half = len(self.samples) // 2
        return max(self.samples[: half or 1]), max(self.samples[half:] or self.samples)


def count_in(chunks: Any, marker: bytes, first: list[bytes] | None = None) -> int:
    """Occurrences of `marker` in a stream of chunks, also where a chunk boundary splits one;
    `first` gets the stream's first 200 bytes."""
    count, tail = 0, b""
    for chunk in chunks:
        if first is not None and len(first[0]) < 200:
            first[0] += chunk[:200]
        data = tail + chunk
        count += data.count(marker)
        keep = len(marker) - 1
        tail = data[-keep:]
        count -= tail.count(marker)  # counted again with the next chunk
    return count + tail.count(marker)


def pull_feed(client: httpx.Client, rows: int, page: int) -> int:
    """Reads the whole feed; the items seen."""
    after: str | None = None
    seen = 0
    while True:
        params: dict[str, Any] = {"limit": page}
        if after is not None:
            params["after"] = after
        with client.stream("GET", "/api/v1/supplier/readings/changes", params=params) as answer:
            if answer.status_code != 200:
                raise BenchError(f"changes: {answer.status_code} {answer.read()[:300]!r}")
            first = [b""]
            count = count_in(answer.iter_raw(), b'"seq": ', first)
            head = first[0]
        start = head.index(b'"cursor": "') + len(b'"cursor": "')
        after = head[start : head.index(b'"', start)].decode()
        seen += count
        if b'"more": false' in head:
            break
    if seen != rows:
        raise BenchError(f"the feed gave {seen} items, {rows} expected")
    return seen


def pull_export(client: httpx.Client, rows: int, fmt: str) -> int:
    params = {"period": FULL_PERIOD, "format": fmt}
    with client.stream("GET", "/api/v1/supplier/readings", params=params) as answer:
        if answer.status_code != 200:
            raise BenchError(f"export: {answer.status_code}")
        marker = b'"receipt": ' if fmt == "json" else b"\n"
        count = count_in(answer.iter_raw(), marker)
    count -= 1 if fmt == "csv" else 0  # the header
    if count != rows:
        raise BenchError(f"the {fmt} export gave {count} rows, {rows} expected")
    return count


def timed(run: Any) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure_pull(db: Database, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    app = ["--factory", "komunalka.bootstrap.app:app_from_env"]
    env = dict(komunalka_env(db), KOMUNALKA_JOBS_IN_PROCESS="false")
    rates: dict[str, list[float]] = {"feed": [], "json": [], "csv": []}
    growth: list[tuple[int, int]] = []
    with Server("ours", app, env, workdir / "server.log") as server:
        assert server.proc is not None
        url = f"http://{HOST}:{server.port}"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
            pull_export(client, args.rows, "json")  # untimed: warms the caches
            pull_feed(client, args.rows, args.page)
            for n in range(args.rounds):
                order = ("json", "csv", "feed") if n % 2 == 0 else ("feed", "csv", "json")
                for name in order:
                    if name == "feed":
                        with Sampler(server.proc) as rss:
                            seconds = timed(lambda: pull_feed(client, args.rows, args.page))
                        growth.append(rss.halves())
                    else:
                        seconds = timed(lambda n=name: pull_export(client, args.rows, n))
                    rates[name].append(args.rows / seconds)
                    print(f"  round {n + 1} {name:5} {args.rows / seconds:10,.0f} items/s")
    first, second = max(g[0] for g in growth), max(g[1] for g in growth)
    flat = second <= first * 1.1 + 16 * 2**20
    best = {k: max(v) for k, v in rates.items()}
    return {
        "rates": best,
        "ratio_json": best["feed"] / best["json"],
        "ratio_csv": best["feed"] / best["csv"],
        "rss_first_half": first,
        "rss_second_half": second,
        "flat": flat,
    }


# --- push --------------------------------------------------------------------------------------


class Receiver:
    """Standard Webhooks' receiver: checks each signature, counts the items, answers 204."""

    def __init__(self, secret: str) -> None:
        self.key = base64.b64decode(secret.removeprefix("whsec_"))
        self.items = 0
        self.ids: set[str] = set()
        self.bad = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        msg_id = request.headers["webhook-id"]
        signed = f"{msg_id}.{request.headers['webhook-timestamp']}.".encode() + body
        digest = hmac.new(self.key, signed, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode()
        if not hmac.compare_digest(request.headers["webhook-signature"], expected):
            self.bad += 1
            return web.Response(status=401)
        if msg_id not in self.ids:
            self.ids.add(msg_id)
            self.items += json.loads(body)["data"]["count"]
        return web.Response(status=204)

    def serve(self) -> str:
        ready = threading.Event()
        port: list[int] = []

        async def run() -> None:
            app = web.Application(client_max_size=2**30)
            app.router.add_post("/hook", self.handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, HOST, 0)
            await site.start()
            port.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
            ready.set()
            await asyncio.Event().wait()

        threading.Thread(target=lambda: asyncio.run(run()), daemon=True).start()
        ready.wait(10)
        return f"http://{HOST}:{port[0]}/hook"


async def push(db: Database, supplier: int, rows: int, batch: int) -> dict[str, Any]:
    from komunalka.adapters.clock import SystemClock
    from komunalka.adapters.db.engine import create_engine
    from komunalka.adapters.db.storage import SqlStorage
    from komunalka.adapters.webhooks import HttpWebhookSender
    from komunalka.application.suppliers.deliver_webhooks import DeliverWebhooks, WebhookPolicy

    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    receiver = Receiver(secret)
    url = receiver.serve()
    engine = create_engine(db.url)
    storage = SqlStorage(engine)
    async with storage(write=True) as tx:
        await storage.webhooks.set_webhook(supplier, url, secret)
        await tx.commit()
    sender = HttpWebhookSender(timeout=30, private_addresses=True)  # a local receiver
    job = DeliverWebhooks(
        storage, storage.feed, storage.webhooks, sender, SystemClock(),
        WebhookPolicy(batch_size=batch, claim=20),
    )  # fmt: skip
    start = time.perf_counter()
    delivered = 0
    while delivered < rows:
        report = await job()
        if not report.delivered and not report.batched:
            raise BenchError(f"a round delivered nothing: {report}")
        delivered += report.items
    seconds = time.perf_counter() - start
    await sender.close()
    await engine.dispose()
    if receiver.items != rows or receiver.bad:
        raise BenchError(f"receiver: {receiver.items} items, {receiver.bad} bad signatures")
    rate = rows / seconds
    print(f"  push: {rows:,} readings in {seconds:.2f} s, {rate:,.0f} a second", flush=True)
    return {"seconds": seconds, "rate": rate, "batch": batch}


def report(
    args: argparse.Namespace, pull: dict[str, Any], pushed: dict[str, Any]
) -> dict[str, Any]:
    rates = pull["rates"]
    full = args.rows == TARGET_ROWS
    pull_met = pull["ratio_json"] >= TARGET_RATIO and pull["flat"]
    push_met = pushed["rate"] >= TARGET_PUSH
    print(f"\nmachine: {machine()}")
    print(f"changes feed, {args.rows:,} items of one supplier, pages of {args.page:,} (PostgreSQL)")
    print(
        f"  feed {rates['feed']:,.0f} items/s; export JSON {rates['json']:,.0f}/s, "
        f"CSV {rates['csv']:,.0f}/s (best of {args.rounds})"
    )
    print(
        f"  ratio feed / JSON export {pull['ratio_json']:.2f} (target >= {TARGET_RATIO}); "
        f"feed / CSV export {pull['ratio_csv']:.2f}"
    )
    print(
        f"  server RSS peak: first half {mib(pull['rss_first_half'])}, second half "
        f"{mib(pull['rss_second_half'])}: flat {'yes' if pull['flat'] else 'NO'}"
    )
    print(
        f"  webhooks: {pushed['rate']:,.0f} readings/s in batches of {pushed['batch']:,} "
        f"(target >= {TARGET_PUSH:,})"
    )
    verdict = "met" if pull_met and push_met else "MISSED"
    print(f"  targets: {verdict}{'' if full else f' (they are for {TARGET_ROWS:,} items)'}")
    return {"rows": args.rows, "page": args.page, "pull": pull, "push": pushed, "met": verdict}


def main() -> None:
    args = parse_args()
    if args.rows < 2 or not 1 <= args.page <= 10_000:
        sys.exit("--rows at least 2, --page 1 to 10,000")
    with (
        tempfile.TemporaryDirectory(prefix="komunalka-bench-") as tmp,
        temporary_database("feed", keep=args.keep_db) as db,
    ):
        supplier = prepare(db, args.rows)
        pull = measure_pull(db, args, Path(tmp))
        pushed = asyncio.run(push(db, supplier, args.rows, args.batch))
    save_json(args.json, report(args, pull, pushed))


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"benchmark failed: {exc}")
