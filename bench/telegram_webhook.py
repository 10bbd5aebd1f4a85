"""Benchmark: Telegram updates per second through our webhook, against a minimal real bot measured
in the same run doing the same work (issue 14, item 1).

    .venv/bin/python bench/telegram_webhook.py [--users 1000] [--rounds 4] [--concurrency 32]
                                               [--profile] [--json out.json]

The step measured is the commonest a bot serves: a resident who has pressed "send readings" types
the reading ("101,5") of a single-register hot-water meter; the bot stores it and answers.

Ours: `POST /webhooks/telegram` served by `komunalka serve`'s app under uvicorn with one worker
(uvloop, httptools, no access log) on PostgreSQL, its jobs left to a worker
(`KOMUNALKA_JOBS_IN_PROCESS=false`, as in production). Its Bot API calls beside the webhook's
answer go to the project's fake Telegram server, run by this script.
Reference (bench/telegram_reference.py): aiogram's `SimpleRequestHandler` on aiohttp in its own
process (uvloop), whose handler loads the chat's state row, parses the number, reads the meter's
previous reading, inserts the reading into the same `readings` table and saves the state in one
transaction with raw asyncpg, and answers in the webhook response.

Both are driven over HTTP by the same load generator (bench/loadgen.py, a process of its own) with
the same concurrency, in alternating rounds (the reference first in rounds 1, 3, ...); each side
has its own residents and meters, every update is a distinct resident's. Printed per side: the
rate, p50/p99 latency, CPU milliseconds per update of the server process and of PostgreSQL.
`--profile` then runs one more (unmeasured) round of ours under py-spy and prints where its CPU
goes, by layer and by function.

Setup (not measured): a new database `bench_tgwebhook_<pid>`, `komunalka db upgrade` and `demo`,
`komunalka import-registry` of 2 x (warm-up + rounds x users) meters with a 2026-10 reading; ours'
residents are brought to "typing a reading" through the webhook itself (`/start <account>`, the
surname proof, "yes, link", "send readings"); the reference's chat rows are inserted in SQL.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.servers.fake_telegram import FakeTelegram

from api_readings import summary  # one report of rounds for both HTTP benchmarks
from support import (
    BENCH,
    BIN,
    TABLE_HEADER,
    BenchError,
    Database,
    Server,
    checkpoint,
    komunalka,
    komunalka_env,
    machine,
    markdown_row,
    postgres_cpu_seconds,
    postgres_sessions,
    prepare_schema,
    save_json,
    scalar,
    sql,
    temporary_database,
)
from telegram_reference import SCHEMA
from telegram_updates import registry  # the same meters: account 7000000000 + i, serial TG<i>

SECRET = "bench-webhook-secret"
TARGET = 0.6
PERIOD_INDEX = 2026 * 12 + 11 - 1
ACCOUNT_BASE, CHAT_BASE = 7_000_000_000, 10_000
COMMAND = ".venv/bin/python bench/telegram_webhook.py"
CHUNK_TIMEOUT = 900


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000, help="updates per side per round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured updates per side")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", action="store_true", help="one more round of ours, py-spy")
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument("--keep-db", action="store_true")
    return parser.parse_args()


# --- the updates -------------------------------------------------------------------------------


def message(update_id: int, user: int, text: str) -> dict[str, Any]:
    who = {"id": CHAT_BASE + user, "is_bot": False, "first_name": "Іван", "language_code": "uk"}
    chat = {"id": CHAT_BASE + user, "type": "private"}
    body = {"message_id": update_id, "date": 0, "chat": chat, "from": who, "text": text}
    return {"update_id": update_id, "message": body}


def press(update_id: int, user: int, data: str) -> dict[str, Any]:
    who = {"id": CHAT_BASE + user, "is_bot": False, "first_name": "Іван", "language_code": "uk"}
    shown = {"message_id": 1, "date": 0, "chat": {"id": CHAT_BASE + user, "type": "private"}}
    query = {"id": f"q{update_id}", "from": who, "chat_instance": "c", "data": data}
    return {"update_id": update_id, "callback_query": {**query, "message": shown}}


class Updates:
    """Update ids unique across the run, as Telegram's are per bot."""

    def __init__(self) -> None:
        self.next_id = 1

    def write(self, path: Path, bodies: list[dict[str, Any]]) -> Path:
        lines = []
        for body in bodies:
            body["update_id"] = self.next_id
            self.next_id += 1
            lines.append(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


# --- driving -----------------------------------------------------------------------------------


def drive(
    db: Database, server: Server, bodies: Path, path: str, concurrency: int
) -> dict[str, Any]:
    cmd = [sys.executable, str(BENCH / "loadgen.py"), "--port", str(server.port)]
    cmd += ["--bodies", str(bodies), "--path", path, "--expect", "200"]
    cmd += ["--header", f"X-Telegram-Bot-Api-Secret-Token: {SECRET}"]
    cmd += ["--concurrency", str(concurrency)]
    sessions = postgres_sessions(db)
    cpu, db_cpu = server.cpu_seconds(), postgres_cpu_seconds()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=CHUNK_TIMEOUT, check=False)
    cpu, db_cpu = server.cpu_seconds() - cpu, postgres_cpu_seconds() - db_cpu
    sessions = postgres_sessions(db) - sessions - 1  # less the one that asked
    if done.returncode:
        raise BenchError(f"load generator failed:\n{done.stderr[-3000:]}\n{server.log_tail()}")
    result: dict[str, Any] = json.loads(done.stdout)
    if result["ok"] != result["sent"]:
        raise BenchError(
            f"{server.name}: {result['ok']} of {result['sent']} updates answered 200 "
            f"{result['statuses']}; e.g. {result['sample_error']}\n{server.log_tail()}"
        )
    result["server_cpu_seconds"] = cpu
    result["db_cpu_seconds"] = db_cpu
    result["db_sessions_opened"] = sessions
    return result


def bring_to_typing(
    db: Database, ours: Server, users: range, updates: Updates, workdir: Path, concurrency: int
) -> None:
    """Ours' residents, through the webhook: link the account, open "send readings"."""
    steps = [
        [message(0, u, f"/start {ACCOUNT_BASE + u}") for u in users],
        [message(0, u, "Тес") for u in users],
        [press(0, u, "linkyes") for u in users],
        [press(0, u, "send") for u in users],
    ]
    for n, bodies in enumerate(steps):
        file = updates.write(workdir / f"setup-{n}.jsonl", bodies)
        drive(db, ours, file, WEBHOOK, concurrency)


WEBHOOK = "/webhooks/telegram"
REFERENCE_PATH = "/webhook"


def measure(args: argparse.Namespace, db: Database, workdir: Path) -> dict[str, Any]:
    per_side = args.warmup + args.users * args.rounds + (args.users if args.profile else 0)
    registry(workdir / "registry.csv", 2 * per_side)
    komunalka(db, "import-registry", str(workdir / "registry.csv"))
    sides = {"ours": range(per_side), "reference": range(per_side, 2 * per_side)}
    sql(db, SCHEMA)
    sql(
        db,
        "INSERT INTO ref_chats (chat_id, step, meter_id) "
        "SELECT $1 + substr(serial, 3)::bigint, 'awaiting_reading', id FROM meters "
        "WHERE serial LIKE 'TG%' AND substr(serial, 3)::bigint >= $2",
        CHAT_BASE,
        per_side,
    )
    fake = FakeTelegram()
    fake_url = fake.start_in_thread()
    ours_env = dict(
        komunalka_env(db),
        KOMUNALKA_TELEGRAM_TOKEN=fake.token,
        KOMUNALKA_TELEGRAM_WEBHOOK_SECRET=SECRET,
        KOMUNALKA_TELEGRAM_API_URL=fake_url,
        KOMUNALKA_JOBS_IN_PROCESS="false",
    )
    ref_env = dict(komunalka_env(db), BENCH_REF_DSN=db.dsn)
    ref_cmd = [sys.executable, str(BENCH / "telegram_reference.py"), "--port", "{port}"]
    ref_cmd += ["--secret", SECRET]
    ours_app = ["--factory", "komunalka.bootstrap.app:app_from_env"]
    updates = Updates()
    chunks: dict[str, list[dict[str, Any]]] = {"ours": [], "reference": []}
    profile: dict[str, Any] = {}
    try:
        with (
            Server("ours", ours_app, ours_env, workdir / "ours.log") as ours,
            Server("reference", [], ref_env, workdir / "reference.log", command=ref_cmd) as ref,
        ):
            print(f"  set-up: {per_side} residents of ours to 'typing a reading'", flush=True)
            bring_to_typing(db, ours, sides["ours"], updates, workdir, args.concurrency)
            servers = {"ours": (ours, WEBHOOK), "reference": (ref, REFERENCE_PATH)}

            def typed(name: str, start: int, count: int, tag: str) -> dict[str, Any]:
                server, path = servers[name]
                users = sides[name][start : start + count]
                bodies = [message(0, u, "101,5") for u in users]
                file = updates.write(workdir / f"{tag}-{name}.jsonl", bodies)
                return drive(db, server, file, path, args.concurrency)

            for name in servers:
                if args.warmup:
                    typed(name, 0, args.warmup, "warmup")
            checkpoint(db)
            for n in range(args.rounds):
                for name in ("reference", "ours") if n % 2 == 0 else ("ours", "reference"):
                    result = typed(name, args.warmup + n * args.users, args.users, f"round{n}")
                    chunks[name].append(result)
                    print(f"  round {n + 1} {name:9} {result['rate']:8.1f} updates/s", flush=True)
            if args.profile:
                start = args.warmup + args.rounds * args.users
                profile = profiled(ours, lambda: typed("ours", start, args.users, "profile"))
    finally:
        fake.stop_thread()
    stored = scalar(
        db,
        "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter_id "
        "WHERE m.serial LIKE 'TG%' AND r.period = $1 AND r.status = 'accepted' "
        "AND r.channel = 'telegram'",
        PERIOD_INDEX,
    )
    expected = 2 * (args.warmup + args.rounds * args.users) + (args.users if args.profile else 0)
    if stored != expected:
        raise BenchError(f"{stored} readings stored, {expected} typed")
    found: dict[str, Any] = {name: summary(c) for name, c in chunks.items()}  # per "request":
    # one update each
    found["profile"] = profile
    return found


# --- where ours spends its CPU -----------------------------------------------------------------

LAYERS = (  # the first that a leaf frame's file path contains names its layer
    ("komunalka/channels/telegram", "our Telegram door"),
    ("komunalka/chat", "our conversation (chat/)"),
    ("komunalka/adapters/db", "our storage adapters"),
    ("komunalka/application", "our use cases"),
    ("komunalka/domain", "our domain rules"),
    ("komunalka/", "our other code"),
    ("sqlalchemy", "SQLAlchemy"),
    ("asyncpg", "asyncpg"),
    ("redis", "redis client"),
    ("httpx", "httpx (Bot API calls)"),
    ("httpcore", "httpx (Bot API calls)"),
    ("uvicorn", "uvicorn"),
    ("starlette", "Starlette/FastAPI"),
    ("fastapi", "Starlette/FastAPI"),
    ("pydantic", "pydantic"),
    ("babel", "babel/gettext"),
    ("gettext", "babel/gettext"),
    ("json", "json"),
    ("asyncio", "asyncio"),
    ("uvloop", "asyncio"),
)


def layer_of(frame: str) -> str:
    for needle, name in LAYERS:
        if needle in frame:
            return name
    return "other (stdlib, interpreter)"


def profiled(server: Server, run: Any) -> dict[str, Any]:
    """Run `run()` with py-spy sampling the server; self time by layer and the top functions."""
    assert server.proc is not None
    out = server.log.with_suffix(".pyspy.txt")
    spy = subprocess.Popen(
        [
            *(str(BIN / "py-spy"), "record", "--pid", str(server.proc.pid), "--rate", "250"),
            *("--format", "raw", "--output", str(out), "--nonblocking"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # py-spy attaches
    run()
    spy.send_signal(signal.SIGINT)
    _, err = spy.communicate(timeout=60)
    if not out.exists():
        raise BenchError(f"py-spy wrote nothing: {err.decode(errors='replace')[-2000:]}")
    layers: collections.Counter[str] = collections.Counter()
    functions: collections.Counter[str] = collections.Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        samples = int(count)
        total += samples
        layers[layer_of(frames[-1])] += samples
        functions[frames[-1]] += samples
    if not total:
        raise BenchError("py-spy took no samples")
    print("\nwhere ours spends its CPU (py-spy, self time of the leaf frame):")
    for name, samples in layers.most_common():
        print(f"  {100 * samples / total:5.1f} %  {name}")
    print("  top functions:")
    for name, samples in functions.most_common(12):
        print(f"  {100 * samples / total:5.1f} %  {name}")
    return {
        "samples": total,
        "layers": {k: round(100 * v / total, 1) for k, v in layers.most_common()},
        "functions": {k: round(100 * v / total, 1) for k, v in functions.most_common(25)},
    }


def report(args: argparse.Namespace, found: dict[str, Any]) -> dict[str, Any]:
    ours, ref = found["ours"], found["reference"]
    ratio = ours["rate"] / ref["rate"]
    met = ratio >= TARGET
    print(f"\nmachine: {machine()}")
    print(
        f"POST a Telegram update 'reading typed' (one meter), {ours['requests']} updates per side "
        f"in {args.rounds} rounds, {args.concurrency} connections"
    )
    for name, r in (("ours", ours), ("reference", ref)):
        print(
            f"  {name:9} {r['rate']:8.1f} updates/s   p50 {r['p50_ms']:6.1f} ms   "
            f"p99 {r['p99_ms']:6.1f} ms   "
            f"CPU ms/update: server {r['server_cpu_ms_per_request']:.2f}, PostgreSQL "
            f"{r['db_cpu_ms_per_request']:.2f}, "
            f"load generator {r['loadgen_cpu_ms_per_request']:.2f}   rounds {r['rounds']}"
        )
    print(f"  ratio ours/reference {ratio:.2f} (target >= {TARGET}): {'met' if met else 'MISSED'}")
    row = markdown_row(
        "Telegram webhook, a typed reading (PostgreSQL)",
        f"{ours['rate']:.0f} updates/s (p50 {ours['p50_ms']:.1f} ms, "
        f"CPU {ours['server_cpu_ms_per_request']:.2f} ms/update)",
        f"aiogram SimpleRequestHandler + asyncpg: {ref['rate']:.0f} updates/s (p50 "
        f"{ref['p50_ms']:.1f} ms, CPU {ref['server_cpu_ms_per_request']:.2f} ms/update)",
        f"{ratio:.2f}",
        f">= {TARGET} x reference",
        "yes" if met else "**no**",
        f"`{COMMAND}`",
    )
    print(f"\n{TABLE_HEADER}\n{row}")
    return {**found, "ratio": ratio, "target": TARGET, "met": met}


def main() -> None:
    args = parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    with (
        tempfile.TemporaryDirectory(prefix="komunalka-bench-") as tmp,
        temporary_database("tgwebhook", keep=args.keep_db) as db,
    ):
        prepare_schema(db)
        found = measure(args, db, Path(tmp))
    save_json(args.json, report(args, found))


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"benchmark failed: {exc}")
