"""A simulated month (issue 16): a reduced Kyiv on PostgreSQL and Redis, deployed as
deploy/ says (two `komunalka serve` behind nginx with deploy/nginx/komunalka.conf, two
`komunalka worker`, deploy/komunalka.env's settings), played through its doors, then checked.

    .venv/bin/python bench/month.py                     # 100,000 residents, 300,000 meters: ~12 min
    .venv/bin/python bench/month.py --residents 2000 --days 30 --peak 20 --rate 4   # ~2 min

The clock is the real one (docs/adr/0031): the month is played as its busy days; every
supplier's window is set open from the 1st to today, so today is its last day and its
`last_day` reminders fall due; the quiet hours end a minute after the simulated days' middle.
Phases: set-up (registries through `komunalka import-registry`, residents in SQL), then "days"
(`--days` seconds: REST API readings at `--rate` a second, Telegram residents typing theirs,
the last-day reminders through the fake Telegram (25/s, random 429s and 502s) and Viber, a
supplier's mid-month re-import, two suppliers pulling the changes feed, two receiving
webhooks), then the "evening peak" (`--peak` seconds at ten times the rate). One serve and one
worker are killed with SIGKILL at random moments and started again after the units' RestartSec.
Then everything is left to drain and checked (exit 1 when a check fails; see month_checks.py).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.servers.fake_telegram import FakeTelegram
from tests.servers.fake_viber import FakeViber
from tests.servers.fake_webhooks import FakeWebhookReceiver

import month_checks
import month_world as world
from month_load import SECRET, api_load, finished, telegram_load
from month_procs import CpuMeter, Proc, Puller, killer, scrape_metrics, serve, worker
from support import (
    HOST,
    BackendCpu,
    Database,
    free_port,
    komunalka,
    machine,
    scalar,
    temporary_database,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--days", type=float, default=240, help="seconds of ordinary days")
    parser.add_argument("--peak", type=float, default=120, help="seconds of the evening peak")
    parser.add_argument("--rate", type=float, default=3, help="API readings/s on the days")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--drain", type=float, default=240, help="seconds to wait at the end")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not 20 <= args.residents < 1_000_000:
        parser.error("--residents from 20 to 999,999 (account numbers hold the resident)")
    return args


def setup(db: Database, workdir: Path, residents: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    komunalka(db, "db", "upgrade")
    komunalka(db, "demo")
    first_account = int(scalar(db, "SELECT coalesce(max(id), 0) + 1 FROM accounts"))
    files = world.write_registries(workdir, residents)
    timings["schema_and_files"] = time.perf_counter() - start
    start = time.perf_counter()
    world.import_registries(db, files, workdir)
    timings["registry_import"] = time.perf_counter() - start
    meters = scalar(db, "SELECT count(*) FROM meters m JOIN accounts a ON a.id = m.account_id "
                        "WHERE a.id >= $1", first_account)  # fmt: skip
    if meters != 3 * residents:
        raise SystemExit(f"{meters} meters imported, {3 * residents} in the registries")
    start = time.perf_counter()
    world.seed_residents(db, residents, first_account)
    world.open_windows(db)
    timings["residents_sql"] = time.perf_counter() - start
    return timings


def set_webhooks(db: Database, receivers: dict[str, FakeWebhookReceiver]) -> None:
    import asyncio

    from komunalka.adapters.db.engine import create_engine
    from komunalka.adapters.db.storage import SqlStorage

    suppliers = {code: int(scalar(db, "SELECT id FROM suppliers WHERE code = $1", code))
                 for code in receivers}  # fmt: skip

    async def run() -> None:
        engine = create_engine(db.url)
        storage = SqlStorage(engine)
        async with storage(write=True) as tx:
            for code, receiver in receivers.items():
                await storage.webhooks.set_webhook(suppliers[code], receiver.hook, receiver.secret)
            await tx.commit()
        await engine.dispose()

    asyncio.run(run())


def quiet_hours(args: argparse.Namespace) -> str:
    """Reminders go out from midnight to a little after the simulated days' middle (Kyiv's
    wall clock): the day's reminders spread over the simulated days as over a real day.
    `args.quiet_close` is when they stop (what is left waits for the next day)."""
    now = datetime.now(ZoneInfo("Europe/Kyiv"))
    closes = min(now + timedelta(seconds=args.days / 2 + 60), now.replace(hour=23, minute=59))
    if closes <= now:
        raise SystemExit("run the month before 23:58 Kyiv time")
    args.quiet_close = closes.replace(second=0).timestamp()
    return f"00:00-{closes:%H:%M}"


def main() -> int:
    args = parse_args()
    rng = random.Random(args.seed)
    with temporary_database("month", keep=args.keep) as db:
        workdir = Path(tempfile.mkdtemp(prefix="komunalka-month-"))
        print(f"set-up: {args.residents:,} residents, {3 * args.residents:,} meters", flush=True)
        timings = setup(db, workdir, args.residents)
        print(f"  {timings}", flush=True)
        found = play(args, rng, db, workdir)
        found["setup_seconds"] = timings
        found["machine"] = machine()
        failures = month_checks.report(found)
        if args.json:
            args.json.write_text(json.dumps(found, indent=1, default=str))
        if args.keep:
            print(f"kept the logs in {workdir}")
        else:
            shutil.rmtree(workdir)
        return 1 if failures else 0


def play(
    args: argparse.Namespace, rng: random.Random, db: Database, workdir: Path
) -> dict[str, Any]:
    telegram = FakeTelegram(
        token=f"{secrets.randbelow(10**9)}:MONTH", limit_per_second=25, too_many_rate=0.002,
        error_rate=0.01, seed=args.seed,
    )  # fmt: skip
    viber = FakeViber(seed=args.seed)  # it records a call it fails: no failures, exact counts
    receivers = {
        code: FakeWebhookReceiver(
            secret="whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        )
        for code in ("kte", "yasno")
    }
    urls = {"telegram": telegram.start_in_thread(), "viber": viber.start_in_thread()}
    for receiver in receivers.values():
        receiver.start_in_thread()
    set_webhooks(db, receivers)
    front = free_port()
    env = world.settings(
        db, workdir, {
            "KOMUNALKA_REDIS_URL": "redis://127.0.0.1:6379/0",
            "KOMUNALKA_JOBS_QUEUE": f"month{secrets.token_hex(4)}",
            "KOMUNALKA_WEB_URL": f"https://{HOST}:{front}",
            "KOMUNALKA_TELEGRAM_TOKEN": telegram.token,
            "KOMUNALKA_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "KOMUNALKA_TELEGRAM_API_URL": urls["telegram"],
            "KOMUNALKA_VIBER_TOKEN": viber.token,
            "KOMUNALKA_VIBER_API_URL": urls["viber"],
            "KOMUNALKA_QUIET_HOURS": quiet_hours(args),
            # The fake receivers listen on 127.0.0.1: a supplier on the internal network.
            "KOMUNALKA_WEBHOOK_PRIVATE_ADDRESSES": "true",
            # Not settings: what a unit's process has besides its EnvironmentFile.
            "PATH": "/usr/sbin:/usr/bin:/bin",
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "HOME": str(Path.home()),
        },
    )  # fmt: skip
    serves = [serve(free_port(), env, workdir) for _ in range(2)]
    workers = [worker(free_port(), env, workdir) for _ in range(2)]
    conf = world.nginx_config(workdir, front, [int(s.name.split("@")[1]) for s in serves])
    nginx_cmd = ["/usr/sbin/nginx", "-p", str(workdir), "-e", str(workdir / "nginx-error.log")]
    nginx = Proc("nginx", "nginx", [*nginx_cmd, "-c", str(conf), "-g", "daemon off;"], env,
                 workdir / "nginx.log", f"https://{HOST}:{front}/health")  # fmt: skip
    procs = [*serves, *workers, nginx]
    for proc in procs:
        proc.start()
    meter = CpuMeter(procs)
    kick = Proc("worker", "worker --once", [*workers[0].cmd, "--once"], env, workdir / "once.log")
    procs.append(kick)
    try:
        return month(args, rng, db, workdir, front, procs, meter, telegram, viber, receivers)
    finally:
        meter.close()
        for proc in procs:
            proc.stop()
        telegram.stop_thread()
        viber.stop_thread()
        for receiver in receivers.values():
            receiver.stop_thread()


def month(
    args: argparse.Namespace, rng: random.Random, db: Database, workdir: Path, front: int,
    procs: list[Proc], meter: CpuMeter, telegram: FakeTelegram, viber: FakeViber,
    receivers: dict[str, FakeWebhookReceiver],
) -> dict[str, Any]:  # fmt: skip
    serves, workers = procs[0:2], procs[2:4]
    days_n, peak_n = int(args.rate * args.days), int(10 * args.rate * args.peak)
    ids = world.api_meters(db)
    rng.shuffle(ids)
    if len(ids) < days_n + peak_n:
        raise SystemExit(f"{days_n + peak_n} API readings asked, {len(ids)} meters to read")
    door = [i for i in range(args.residents) if i % 20 == world.TELEGRAM_DOOR]
    pullers = {
        code: Puller(f"https://{HOST}:{front}", token)
        for code, token in world.SUPPLIER_TOKENS.items()
    }
    stop = threading.Event()
    for puller in pullers.values():
        threading.Thread(target=puller.run, args=(stop,), daemon=True).start()
    events: list[str] = []
    total = args.days + args.peak
    killers = [killer(serves, rng.uniform(0.1, 0.9) * total, 2, events),
               killer(workers, rng.uniform(0.1, 0.9) * total, 5, events)]  # fmt: skip
    meter.mark()
    with BackendCpu(db) as backends:
        began = time.monotonic()
        procs[-1].start()  # `komunalka worker --once`: the 5-minute planning turn, now
        procs[-1].proc.wait()  # type: ignore[union-attr]
        reimport: dict[str, Any] = {}
        mid = threading.Thread(
            target=reimport_mid_month, args=(db, workdir, args.days / 2, reimport)
        )
        mid.start()
        days = api_load(front, ids[:days_n], args.rate, "days", workdir)
        tg_rate = args.rate / 2  # updates a second: half the API's rate, two updates a reading
        tg_users = door[: int(tg_rate * args.days / 2)]
        tg_days = telegram_load(front, tg_users, tg_rate, "tg-days", workdir)
        found: dict[str, Any] = {"days": finished(days), "tg_days": tg_days}
        mid.join()
        found["reimport"] = reimport
        peak_began = time.monotonic()
        peak = api_load(front, ids[days_n : days_n + peak_n], 10 * args.rate, "peak", workdir)
        rest = door[len(tg_users) :][: int(10 * tg_rate * args.peak / 2)]
        tg_peak = telegram_load(front, rest, 10 * tg_rate, "tg-peak", workdir)
        found |= {"peak": finished(peak), "tg_peak": tg_peak}
        found["peak_wall"] = time.monotonic() - peak_began
        for thread in killers:
            thread.join()
        found["drain_seconds"] = month_checks.drain(db, pullers, args.drain, args.quiet_close)
        stop.set()
        found["month_seconds"] = time.monotonic() - began
        found["cpu"] = meter.by_kind()
    found["cpu"]["postgres"] = backends.value
    found["events"] = events
    found["metrics"] = scrape_metrics(procs, workdir)
    users = {"tg-days": tg_users, "tg-peak": rest}
    found |= month_checks.gather(db, workdir, users, telegram, viber, receivers, pullers)
    found["args"] = vars(args) | {"json": str(args.json)}
    return found


def reimport_mid_month(db: Database, workdir: Path, wait: float, out: dict[str, Any]) -> None:
    """kvk sends its registry again halfway through the days, 1 row in 20 changed."""
    time.sleep(max(0.0, wait))
    source, target = workdir / "registry-kvk.csv", workdir / "registry-kvk-2.csv"
    changed = world.write_changed(source, target, 20)
    start = time.perf_counter()
    komunalka(db, "import-registry", str(target), "--report", str(workdir / "rejected-kvk-2"))
    out.update(rows_changed=changed, seconds=time.perf_counter() - start)


if __name__ == "__main__":
    sys.exit(main())
