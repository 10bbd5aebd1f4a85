"""Benchmark: readings per second through `POST /api/v1/readings` on PostgreSQL, against a
reference measured in the same run (bench/reference_app.py: FastAPI + raw asyncpg, one
transaction of SELECT previous + INSERT per request).

    .venv/bin/python bench/api_readings.py [--requests 9000] [--concurrency 32] [--rounds 3]

What is measured: each request sends ONE reading, the first of period 2026-11, for a distinct
single-register hot-water meter that has an accepted reading for 2026-10 — the common path, not
a correction — with its own Idempotency-Key. Both servers run as uvicorn with one worker
(uvloop, httptools, no access log) on 127.0.0.1; the load comes from bench/loadgen.py in a
process of its own. The servers take turns in rounds (the reference first in rounds 1, 3, ...) so a
slow spell of the machine hits both; each has its own meters.

Setup (not measured): a new database `bench_api_<pid>`, `komunalka db upgrade`, `komunalka demo`
(suppliers and the demo resident with token `demo-resident-token`), `komunalka import-registry`
of the meters, then ONE SQL INSERT INTO account_links that links every benchmark meter's account
to the demo resident — the API would take one request per account for that.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from support import (
    BENCH,
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
    write_registry,
)

TOKEN = "demo-resident-token"
PERIOD, PREVIOUS_PERIOD = "2026-11", "2026-10"
PERIOD_INDEX = 2026 * 12 + 11 - 1  # komunalka stores a period as year * 12 + month - 1
PREVIOUS_VALUE, VALUE = "1000.000", "1002.5"  # 2.5 m3 in a month: no warning to confirm
SERIAL_PREFIX = "AB"
TARGET = 0.6
COMMAND = ".venv/bin/python bench/api_readings.py"
CHUNK_TIMEOUT = 900  # seconds; a chunk that takes longer has hung


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="REST API readings/s vs raw asyncpg.")
    parser.add_argument("--requests", type=int, default=9000, help="measured, per server")
    parser.add_argument("--warmup", type=int, default=500, help="unmeasured, per server")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.requests < args.rounds or args.rounds < 1 or args.warmup < 0:
        parser.error("need --rounds >= 1 and --requests >= --rounds")
    return args


def prepare(db: Database, meters: int, workdir: Path) -> list[int]:
    """Schema, suppliers, `meters` meters linked to the demo resident; their ids."""
    prepare_schema(db)
    registry = workdir / "registry.csv"
    write_registry(
        registry,
        meters,
        account_base=7_000_000_000,
        serial_prefix=SERIAL_PREFIX,
        period=PREVIOUS_PERIOD,
        meters_per_account=1,
        value=PREVIOUS_VALUE,
    )
    komunalka(db, "import-registry", str(registry), "--report", str(workdir / "rejected.csv"))
    resident = scalar(
        db,
        "SELECT resident_id FROM api_tokens WHERE token_hash = $1",
        hashlib.sha256(TOKEN.encode()).hexdigest(),
    )
    if resident is None:
        raise BenchError("the demo token is missing: did `komunalka demo` change?")
    # Setup only: link every benchmark account to the demo resident in one statement.
    sql(
        db,
        """INSERT INTO account_links (resident_id, account_id, proof, linked_at)
           SELECT DISTINCT $1::bigint, m.account_id, 'bench', now() FROM meters m
           WHERE m.serial LIKE $2 ON CONFLICT DO NOTHING""",
        resident,
        f"{SERIAL_PREFIX}%",
    )
    sql(db, "ANALYZE")
    query = "SELECT id FROM meters WHERE serial LIKE $1 ORDER BY id"
    ids = [r[0] for r in sql(db, query, f"{SERIAL_PREFIX}%")]
    if len(ids) != meters:
        raise BenchError(f"{len(ids)} meters imported, {meters} expected")
    return ids


def load(
    db: Database,
    server: Server,
    ids: list[int],
    key_prefix: str,
    concurrency: int,
    workdir: Path,
) -> dict[str, Any]:
    """Send one reading for each meter in `ids` through the load generator; its report."""
    ids_file = workdir / f"{key_prefix}.ids"
    ids_file.write_text("\n".join(map(str, ids)) + "\n")
    cmd = [sys.executable, str(BENCH / "loadgen.py"), "--port", str(server.port)]
    cmd += ["--ids", str(ids_file), "--token", TOKEN, "--key-prefix", key_prefix]
    cmd += ["--value", VALUE, "--concurrency", str(concurrency)]
    sessions = postgres_sessions(db)
    cpu, db_cpu = server.cpu_seconds(), postgres_cpu_seconds()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=CHUNK_TIMEOUT, check=False)
    cpu, db_cpu = server.cpu_seconds() - cpu, postgres_cpu_seconds() - db_cpu
    sessions = postgres_sessions(db) - sessions - 1  # less the one that asked
    if done.returncode:
        raise BenchError(f"load generator failed:\n{done.stderr[-3000:]}\n{server.log_tail()}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["server_cpu_seconds"] = cpu
    result["db_cpu_seconds"] = db_cpu
    result["db_sessions_opened"] = sessions
    if result["ok"] != result["sent"]:
        raise BenchError(
            f"{server.name}: {result['ok']} of {result['sent']} requests answered 201 "
            f"{result['statuses']}; e.g. {result['sample_error']}\n{server.log_tail()}"
        )
    return result


def summary(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    ok = sum(c["ok"] for c in chunks)
    seconds = sum(c["seconds"] for c in chunks)
    latencies = sorted(x for c in chunks for x in c["latencies_ms"])
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": ok,
        "seconds": seconds,
        "rate": ok / seconds,
        "rounds": [round(c["rate"], 1) for c in chunks],
        "p50_ms": cuts[49],
        "p99_ms": cuts[98],
        "server_cpu_ms_per_request": 1000 * sum(c["server_cpu_seconds"] for c in chunks) / ok,
        "db_cpu_ms_per_request": 1000 * sum(c["db_cpu_seconds"] for c in chunks) / ok,
        "loadgen_cpu_ms_per_request": 1000 * sum(c["loadgen_cpu_seconds"] for c in chunks) / ok,
        "db_sessions_opened": sum(c["db_sessions_opened"] for c in chunks),
    }


def measure(args: argparse.Namespace, db: Database, workdir: Path) -> dict[str, Any]:
    per_round = args.requests // args.rounds
    per_server = args.warmup + per_round * args.rounds
    ids = prepare(db, 2 * per_server, workdir)
    meters = {"ours": ids[:per_server], "reference": ids[per_server:]}
    ref_env = dict(
        komunalka_env(db), BENCH_REF_DSN=db.dsn, BENCH_REF_PERIOD=PERIOD, BENCH_REF_POOL="20"
    )
    ours_app = ["--factory", "komunalka.bootstrap.app:app_from_env"]
    ref_app = ["reference_app:app", "--app-dir", str(BENCH)]
    chunks: dict[str, list[dict[str, Any]]] = {"ours": [], "reference": []}
    with (
        Server("ours", ours_app, komunalka_env(db), workdir / "ours.log") as ours,
        Server("reference", ref_app, ref_env, workdir / "reference.log") as ref,
    ):
        servers = {"ours": ours, "reference": ref}
        for name, server in servers.items():
            if args.warmup:
                warmup = meters[name][: args.warmup]
                load(db, server, warmup, f"warmup-{name}", args.concurrency, workdir)
        checkpoint(db)
        for n in range(args.rounds):
            for name in ("reference", "ours") if n % 2 == 0 else ("ours", "reference"):
                start = args.warmup + n * per_round
                batch = meters[name][start : start + per_round]
                result = load(db, servers[name], batch, f"{name}-{n}", args.concurrency, workdir)
                chunks[name].append(result)
                print(f"  round {n + 1} {name:9} {result['rate']:8.1f} req/s", flush=True)
    stored = scalar(
        db,
        "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter_id "
        "WHERE m.serial LIKE $1 AND r.period = $2 AND r.status = 'accepted'",
        f"{SERIAL_PREFIX}%",
        PERIOD_INDEX,
    )
    if stored != 2 * per_server:
        raise BenchError(f"{stored} readings for {PERIOD} stored, {2 * per_server} sent")
    return {name: summary(found) for name, found in chunks.items()}


def report(args: argparse.Namespace, found: dict[str, Any]) -> dict[str, Any]:
    ours, ref = found["ours"], found["reference"]
    ratio = ours["rate"] / ref["rate"]
    met = ratio >= TARGET
    print(f"\nmachine: {machine()}")
    print(
        f"POST /api/v1/readings, one new reading per request (first of {PERIOD}, distinct meter), "
        f"{ours['requests']} requests per server in {args.rounds} rounds, "
        f"{args.concurrency} connections"
    )
    for name, r in found.items():
        print(
            f"  {name:9} {r['rate']:8.1f} req/s   p50 {r['p50_ms']:6.1f} ms   "
            f"p99 {r['p99_ms']:6.1f} ms   CPU ms/req: server {r['server_cpu_ms_per_request']:.2f}, "
            f"PostgreSQL {r['db_cpu_ms_per_request']:.2f}, "
            f"load generator {r['loadgen_cpu_ms_per_request']:.2f}; "
            f"PostgreSQL sessions opened {r['db_sessions_opened']}   rounds {r['rounds']}"
        )
    print(f"  ratio ours/reference {ratio:.2f} (target >= {TARGET}): {'met' if met else 'MISSED'}")
    row = markdown_row(
        "API readings/s (POST /api/v1/readings, PostgreSQL)",
        f"{ours['rate']:.0f} req/s (p50 {ours['p50_ms']:.1f} ms, p99 {ours['p99_ms']:.1f} ms)",
        f"{ref['rate']:.0f} req/s (p50 {ref['p50_ms']:.1f} ms, p99 {ref['p99_ms']:.1f} ms)",
        f"{ratio:.2f}",
        f">= {TARGET} x reference",
        "yes" if met else "**no**",
        f"`{COMMAND}`",
    )
    print(f"\n{TABLE_HEADER}\n{row}")
    return {"ours": ours, "reference": ref, "ratio": ratio, "target": TARGET, "met": met}


def main() -> None:
    args = parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="komunalka-bench-") as tmp,
        temporary_database("api", keep=args.keep_db) as db,
    ):
        found = measure(args, db, Path(tmp))
    save_json(args.json, report(args, found))


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"benchmark failed: {exc}")
