"""Seconds from a process's start to its first 200 from `/health`, against a bare FastAPI app.

In the same run, in alternating rounds: (a) `bare_app.py` (FastAPI, one route) served by the
`uvicorn` command, (b) `komunalka serve` on SQLite with the demo schema (migrated and loaded
before any timing), (c) the same with a Telegram token, so the Telegram door is mounted (the
production case). Each start is timed from `Popen` to the first 200, polling every 10 ms; the
process is then stopped. Target: (c) within 3x (a). Nothing leaves 127.0.0.1; with a token, a
first update (`/start`) is also posted to the webhook and timed, its Bot API calls answered by
a stub on this machine.

    .venv/bin/python bench/startup.py --rounds 5
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import itertools
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from support import (
    BENCH,
    BIN,
    HOST,
    KOMUNALKA,
    ROOT,
    TABLE_HEADER,
    BenchError,
    free_port,
    markdown_row,
    save_json,
)

TARGET = 3.0
SECRET = "bench-secret"
TOKEN = "123456:BENCH"
UPDATE_IDS = itertools.count(1)
UPDATE = {
    "update_id": 1,
    "message": {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Bench"},
        "text": "/start",
    },
}


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    cmd: list[str]
    env: dict[str, str]
    telegram: bool = False


@dataclass(frozen=True, slots=True)
class Start:
    healthy: float  # seconds from Popen to the first 200 of /health
    cpu: float  # CPU seconds (user + system) the process had used by then: steadier under load
    first_update: float | None  # then the first Telegram update, answered


def _base_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMUNALKA_")}
    # Bytecode cached, as an installed package has it (pip compiles on install): compiled once
    # by the unmeasured first start, into the temporary directory, not the checkout.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PYTHONPYCACHEPREFIX=str(tmp / "pycache"),
        KOMUNALKA_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'startup.db'}",
        KOMUNALKA_NOW="2026-11-20T12:00:00+02:00",
        KOMUNALKA_LANGUAGE="en",
        KOMUNALKA_SECRET_KEY="bench-startup-secret-key",
        PYTHONUNBUFFERED="1",
        # this checkout's code, whichever one the venv's `komunalka` was installed from
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])),
    )
    return env


def _prepare(env: dict[str, str], tmp: Path) -> None:
    """The demo schema, before any timing."""
    for args in (("db", "upgrade"), ("demo",)):
        done = subprocess.run(
            [str(KOMUNALKA), *args], env=env, cwd=tmp, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise BenchError(f"komunalka {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def _post_update(port: int, update_id: int) -> dict[str, Any]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        body = json.dumps(dict(UPDATE, update_id=update_id))
        conn.request("POST", "/webhooks/telegram", body, headers)
        answer = conn.getresponse()
        answered = answer.read()
        if answer.status != 200:
            raise BenchError(f"the webhook answered {answer.status}: {answered[:500]!r}")
        result: dict[str, Any] = json.loads(answered)
        return result
    finally:
        conn.close()


def one_start(variant: Variant, tmp: Path, timeout: float = 120) -> Start:
    port = free_port()
    log = tmp / f"{variant.name.split()[0]}.log"
    cmd = [*variant.cmd, "--host", HOST, "--port", str(port)]
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = psutil.Popen(cmd, env=variant.env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT)
    try:
        while True:
            if proc.poll() is not None:
                raise BenchError(f"{variant.name} exited:\n{log.read_text()[-3000:]}")
            if time.perf_counter() - start > timeout:
                raise BenchError(f"{variant.name} not healthy in {timeout:.0f} s")
            try:
                if _get(port, "/health") == 200:
                    break
            except OSError:
                pass
            time.sleep(0.01)
        healthy = time.perf_counter() - start
        times = proc.cpu_times()
        cpu = times.user + times.system
        first_update = None
        if variant.telegram:
            sent = time.perf_counter()
            # a new update_id each start: the conversation answers an update once
            if _post_update(port, next(UPDATE_IDS)).get("method") != "sendMessage":
                raise BenchError("the first update was not answered with a message")
            first_update = time.perf_counter() - sent
        return Start(healthy, cpu, first_update)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except psutil.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class _StubBotApi(http.server.BaseHTTPRequestHandler):
    """Every Bot API call succeeds (the greeting before the webhook's answer)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"ok": True, "result": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return None


@contextmanager
def stub_bot_api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer((HOST, 0), _StubBotApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def variants(env: dict[str, str], bot_api: str) -> list[Variant]:
    bare = [str(BIN / "uvicorn"), "bare_app:app", "--app-dir", str(BENCH)]
    telegram = dict(
        env,
        KOMUNALKA_TELEGRAM_TOKEN=TOKEN,
        KOMUNALKA_TELEGRAM_WEBHOOK_SECRET=SECRET,
        KOMUNALKA_TELEGRAM_API_URL=bot_api,
    )
    serve = [str(KOMUNALKA), "serve"]
    return [
        Variant("bare FastAPI (uvicorn)", [*bare, "--log-level", "warning"], env),
        Variant("komunalka serve", serve, env),
        Variant("komunalka serve + Telegram", serve, telegram, telegram=True),
    ]


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="komunalka-startup-") as name, stub_bot_api() as api:
        tmp = Path(name)
        env = _base_env(tmp)
        _prepare(env, tmp)
        runs = variants(env, api)
        starts: dict[str, list[Start]] = {v.name: [] for v in runs}
        for variant in runs:  # unmeasured: the first starts compile and read everything
            one_start(variant, tmp)
        for round_ in range(args.rounds):
            order = runs[round_ % len(runs) :] + runs[: round_ % len(runs)]
            for variant in order:
                starts[variant.name].append(one_start(variant, tmp))
                print(f"round {round_ + 1}: {variant.name} {starts[variant.name][-1]}")
    report(starts, args)


def report(starts: dict[str, list[Start]], args: argparse.Namespace) -> None:
    wall = {name: statistics.median(s.healthy for s in runs) for name, runs in starts.items()}
    cpu = {name: statistics.median(s.cpu for s in runs) for name, runs in starts.items()}
    bare, *ours = wall
    print(f"\n{machine()}")
    for name, runs in starts.items():
        times = ", ".join(f"{s.healthy:.2f}" for s in runs)
        print(f"  {name}: median {wall[name]:.2f} s ({times}); CPU {cpu[name]:.2f} s")
    updates = [s.first_update for s in starts[ours[-1]] if s.first_update is not None]
    first = statistics.median(updates)
    print(f"  first Telegram update answered after healthy: median {first:.2f} s")
    print(f"\n{TABLE_HEADER}")
    result: dict[str, Any] = {"machine": machine(), "rounds": args.rounds, "runs": {}}
    for name in ours:
        ratio = wall[name] / wall[bare]
        # each round's ratio (its starts were seconds apart): less swayed by the load drifting
        rounds = statistics.median(
            o.healthy / b.healthy for o, b in zip(starts[name], starts[bare], strict=True)
        )
        print(
            markdown_row(
                f"start to /health: {name}",
                f"{wall[name]:.2f} s (CPU {cpu[name]:.2f} s)",
                f"{wall[bare]:.2f} s (CPU {cpu[bare]:.2f} s), {bare}",
                f"{ratio:.2f}x (median of rounds {rounds:.2f}x; CPU {cpu[name] / cpu[bare]:.2f}x)",
                f"<= {TARGET:.1f}x",
                "yes" if ratio <= TARGET else "**no**",
                f"`bench/startup.py --rounds {args.rounds}`",
            )
        )
        result["runs"][name] = {
            "median": wall[name],
            "cpu_median": cpu[name],
            "ratio": ratio,
            "median_round_ratio": rounds,
        }
    result["bare_median"] = wall[bare]
    result["bare_cpu_median"] = cpu[bare]
    result["first_update_median"] = first
    result["all"] = {
        name: [{"wall": s.healthy, "cpu": s.cpu} for s in runs] for name, runs in starts.items()
    }
    save_json(args.json, result)


if __name__ == "__main__":
    sys.exit(main())
