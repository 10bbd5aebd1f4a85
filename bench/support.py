"""What the benchmarks share: throw-away databases, the `komunalka` command, uvicorn servers, peak
RSS sampling and the result table.

The scripts orchestrate synchronously (subprocesses, sleeps) and call asyncpg through `sql()`,
which runs one short event loop per call. Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import csv
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil

from komunalka.domain.registry import COLUMNS

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent  # the venv's bin/: komunalka, uvicorn
KOMUNALKA = BIN / "komunalka"
# An existing database to connect to for CREATE/DROP DATABASE.
ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
# Frozen clock: 20 Nov 2026, Kyiv. The heat supplier's window (5..-1) is open for 2026-11.
NOW = "2026-11-20T12:00:00+02:00"
HOST = "127.0.0.1"

REGISTRY_COLUMNS = COLUMNS  # the registry file's header, as komunalka reads it
HOLDERS = ("Шевченко Олена Іванівна", "Коваленко Андрій Петрович", "Мельник Ірина Олексіївна")
STREETS = ("вул. Хрещатик", "просп. Перемоги", "вул. Саксаганського", "вул. Лук'янівська")
DISTRICTS = ("Шевченківський", "Печерський", "Голосіївський", "Оболонський")


class BenchError(RuntimeError):
    """The benchmark could not run or its result is not what was asked for."""


# --- databases -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Database:
    name: str

    @property
    def dsn(self) -> str:
        """For asyncpg."""
        parts = urlsplit(ADMIN_DSN)
        return urlunsplit(parts._replace(path=f"/{self.name}"))

    @property
    def url(self) -> str:
        """For komunalka (SQLAlchemy)."""
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


async def _execute(dsn: str, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return [await conn.fetch(query, *args) for query, args in statements]
    finally:
        await conn.close()


def sql(db: Database | None, query: str, *args: Any) -> list[Any]:
    """Run one statement (on the admin database when `db` is None); its rows."""
    return asyncio.run(_execute(db.dsn if db else ADMIN_DSN, [(query, args)]))[0]


def scalar(db: Database, query: str, *args: Any) -> Any:
    rows = sql(db, query, *args)
    return rows[0][0] if rows else None


@contextmanager
def temporary_database(kind: str, *, keep: bool = False) -> Iterator[Database]:
    """A new empty database `bench_<kind>_<pid>`, dropped on the way out unless `keep`."""
    db = Database(f"bench_{kind}_{os.getpid()}")
    sql(None, f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    sql(None, f'CREATE DATABASE "{db.name}"')
    try:
        yield db
    finally:
        if keep:
            print(f"kept database {db.name}")
        else:
            sql(None, f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')


def checkpoint(db: Database) -> None:
    """Flush dirty pages now, so a checkpoint does not land inside the next measurement."""
    sql(db, "CHECKPOINT")


# --- the komunalka command -----------------------------------------------------------------------


def komunalka_env(db: Database) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KOMUNALKA_DATABASE_URL=db.url,
        KOMUNALKA_NOW=NOW,
        KOMUNALKA_LANGUAGE="en",
        PYTHONUNBUFFERED="1",
    )
    return env


def komunalka(db: Database, *args: str) -> str:
    """Run `komunalka ARGS` against `db` (setup steps); its standard output."""
    done = subprocess.run(
        [str(KOMUNALKA), *args], env=komunalka_env(db), capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise BenchError(f"komunalka {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare_schema(db: Database) -> None:
    """Schema and demo data: the suppliers kte/kvk/yasno/naftogaz, the demo resident and token."""
    komunalka(db, "db", "upgrade")
    komunalka(db, "demo")


@dataclass(frozen=True, slots=True)
class CommandRun:
    """One `komunalka` command, timed from outside (wall) and inside (the command alone)."""

    wall: float
    command: float
    peak_rss: int  # sampled every 10 ms with psutil
    max_rss: int  # the kernel's own peak (getrusage), a check on the sampling
    rss_after_import: int
    stdout: str
    cpu: float = 0.0  # the process's CPU seconds (user + system), start-up included
    db_cpu: float = 0.0  # CPU seconds of the PostgreSQL backends serving the command's database

    @property
    def startup(self) -> float:
        """Interpreter start and imports: everything before the command's own work."""
        return self.wall - self.command


def timed_komunalka(db: Database, *args: str) -> CommandRun:
    """Run `komunalka ARGS` through bench/timed_cli.py, sampling the process's RSS meanwhile."""
    with tempfile.TemporaryDirectory(prefix="komunalka-bench-") as tmp:
        report = Path(tmp) / "timing.json"
        cmd = [sys.executable, str(BENCH / "timed_cli.py"), str(report), *args]
        start = time.perf_counter()
        proc = psutil.Popen(
            cmd, env=komunalka_env(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        with PeakRss(proc) as peak, BackendCpu(db) as backends:
            out, err = proc.communicate()
        wall = time.perf_counter() - start
        if proc.returncode:
            raise BenchError(f"komunalka {' '.join(args)} failed:\n{err[-3000:]}")
        timing = json.loads(report.read_text())
    return CommandRun(
        wall,
        timing["command"],
        peak.value,
        timing["max_rss"],
        timing["rss_after_import"],
        out,
        timing.get("cpu", 0.0),
        backends.value,
    )


class BackendCpu:
    """CPU seconds of the PostgreSQL backends connected to one database, sampled every
    `every` seconds until the block ends (a backend's last fraction of a sample may be missed;
    the command's pool keeps its connections, so little is)."""

    def __init__(self, db: Database, every: float = 0.2) -> None:
        self._name = db.name
        self._every = every
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def value(self) -> float:
        return sum(self._seen.values())

    def _sample(self) -> None:
        for proc in psutil.process_iter(["name", "cmdline"]):
            try:
                if proc.info["name"] == "postgres" and any(
                    self._name in part for part in proc.info["cmdline"] or ()
                ):
                    times = proc.cpu_times()
                    self._seen[proc.pid] = times.user + times.system
            except psutil.Error:
                continue

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._sample()

    def __enter__(self) -> BackendCpu:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _rss(proc: psutil.Process) -> int:
    """A process's resident set; 0 once it has ended (a child listed before it exited)."""
    try:
        return int(proc.memory_info().rss)
    except psutil.Error:
        return 0


class PeakRss:
    """Samples the resident set of a process and its children until the block ends.

    The children are listed anew only every `refresh` seconds: listing them reads every
    process's /proc entry, which at every 10 ms cost the sampler about 40 % of what the
    measured import itself spent on CPU, on the same two cores (issue 14)."""

    def __init__(self, proc: psutil.Process, every: float = 0.01, refresh: float = 0.5) -> None:
        self._proc = proc
        self._every = every
        self._refresh = refresh
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.value = 0

    def _run(self) -> None:
        procs: list[psutil.Process] = [self._proc]
        listed = float("-inf")
        while not self._stop.is_set():
            try:
                if time.monotonic() - listed >= self._refresh:
                    procs, listed = [self._proc, *self._proc.children(True)], time.monotonic()
                self.value = max(self.value, sum(_rss(p) for p in procs))
            except psutil.Error:
                return
            self._stop.wait(self._every)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- registry files ------------------------------------------------------------------------------


def write_registry(
    path: Path,
    rows: int,
    *,
    account_base: int,
    serial_prefix: str,
    period: str,
    meters_per_account: int = 2,
    value: str | None = None,
) -> None:
    """A registry CSV of `rows` valid single-register meters of supplier kte, each with a reading
    for `period` (`value`, or one that varies by row). Accounts hold `meters_per_account` meters
    (hot water, then heat)."""
    services = ("hot_water", "heat")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REGISTRY_COLUMNS)
        for i in range(rows):
            flat = i // meters_per_account
            service = services[i % meters_per_account % 2]
            writer.writerow(
                (
                    "kte",
                    f"{account_base + flat:010d}",
                    HOLDERS[flat % len(HOLDERS)],
                    f"Київ, {STREETS[flat % 4]}, {flat % 200 + 1}, кв. {flat % 300 + 1}",
                    DISTRICTS[flat % 4],
                    service,
                    f"{serial_prefix}{i:09d}",
                    "T1",
                    "5",
                    "3",
                    "2031-01-01",
                    "active",
                    period,
                    value or f"{1000 + i % 5000}.{i % 1000:03d}",
                    "",  # water_heater: no
                )
            )


# --- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A uvicorn process with one worker: uvloop, httptools, no access log."""

    name: str
    app: list[str]  # what uvicorn serves, e.g. ["--factory", "pkg.mod:create"]
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: psutil.Popen | None = None
    # A server that is not an ASGI app under uvicorn: its command, "{port}" replaced.
    command: list[str] | None = None

    def __enter__(self) -> Server:
        cmd = [
            str(BIN / "uvicorn"),
            *self.app,
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
        ]
        if self.command is not None:
            cmd = [part.replace("{port}", str(self.port)) for part in self.command]
        with self.log.open("wb") as log:
            self.proc = psutil.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, timeout: float = 60) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} server exited:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name} server not ready in {timeout:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        times = self.proc.cpu_times()
        return float(times.user + times.system)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def __exit__(self, *_: object) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except psutil.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def postgres_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server on this machine so far: the postmaster, its live
    children, and the children it has reaped (a backend that starts and ends between two
    readings is counted too)."""
    total = 0.0
    for proc in psutil.process_iter(["name", "ppid"]):
        if proc.info["name"] not in ("postgres", "postmaster"):
            continue
        try:
            if psutil.Process(proc.info["ppid"]).name() in ("postgres", "postmaster"):
                continue  # a child: counted through its postmaster below
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
            for child in proc.children(recursive=True):
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
        except psutil.Error:
            continue
    return total


def postgres_sessions(db: Database) -> int:
    """Sessions opened on `db` so far (a pool that keeps its connections opens none)."""
    return int(scalar(db, "SELECT sessions FROM pg_stat_database WHERE datname = $1", db.name))


# --- reporting -----------------------------------------------------------------------------------

TABLE_HEADER = (
    "| benchmark | ours | reference | ratio | target | met? | command |\n"
    "| --- | --- | --- | --- | --- | --- | --- |"
)


def markdown_row(*cells: str) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def machine() -> str:
    version = scalar_admin("SHOW server_version")
    return (
        f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, PostgreSQL {version}"
    )


def scalar_admin(query: str) -> Any:
    rows = sql(None, query)
    return rows[0][0] if rows else None


def save_json(path: Path | None, result: dict[str, Any]) -> None:
    if path is not None:
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"results written to {path}")


def size_run_report(
    label: str,
    rows: int,
    full: Any,
    half: Any,
    reference_text: str,
    ref: float,
    ratio: float,
    growth: float,
    met: bool | None,
    target: tuple[float, int],
    command: str,
) -> dict[str, Any]:
    """The markdown row and the JSON record of an import or export run at two sizes."""
    target_seconds, target_rows = target
    row = markdown_row(
        label,
        f"{full.wall:.1f} s (start-up {full.startup:.1f} s), peak RSS {mib(full.peak_rss)}; "
        f"{rows // 2:,} rows: {half.wall:.1f} s, {mib(half.peak_rss)}",
        reference_text,
        f"{ratio:.1f}x the time; RSS x{growth:.2f} for 2x rows",
        f"<= {target_seconds:.0f} s for {target_rows:,}, flat memory",
        {True: "yes", False: "**no**", None: "n/a (other size)"}[met],
        f"`{command}" + (f" --rows {rows}`" if rows != target_rows else "`"),
    )
    print(f"\n{TABLE_HEADER}\n{row}")
    runs = {"full": full, "half": half}
    return {
        "rows": rows,
        **{
            name: {
                "seconds": r.wall,
                "startup_seconds": r.startup,
                "command_seconds": r.command,
                "peak_rss": r.peak_rss,
                "kernel_max_rss": r.max_rss,
                "rss_after_import": r.rss_after_import,
            }
            for name, r in runs.items()
        },
        "reference_seconds": ref,
        "ratio": ratio,
        "rss_growth": growth,
        "target_seconds": target_seconds,
        "met": met,
    }
