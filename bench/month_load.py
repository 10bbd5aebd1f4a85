"""The simulated month's load (bench/month.py): REST API readings and Telegram updates sent
through nginx by bench/loadgen.py, each a process of its own, paced, retried as clients and
Telegram retry, over many source addresses; the requests finally acknowledged are written to
the work directory for the checks."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import month_world as world
from support import BENCH

SECRET = "month-telegram-webhook-secret"


def api_load(
    port: int, ids: list[int], rate: float, tag: str, workdir: Path
) -> subprocess.Popen[str]:
    (workdir / f"{tag}.ids").write_text("\n".join(map(str, ids)) + "\n")
    cmd = [sys.executable, str(BENCH / "loadgen.py"), "--port", str(port), "--tls"]
    cmd += ["--ids", str(workdir / f"{tag}.ids"), "--key-prefix", tag, "--value", "1001"]
    cmd += ["--rate", str(rate), "--retry", "8", "--sources", "200", "--concurrency", "200"]
    cmd += ["--acked", str(workdir / f"{tag}.acked")]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def telegram_load(port: int, users: list[int], rate: float, tag: str, workdir: Path) -> Any:
    """Each user presses "send readings", then types the reading: two runs of the generator."""
    # Update ids unique across runs: Redis remembers those it has seen (for a day)
    first = int(time.time() * 1000) * 1000
    results = []
    for step, body in (("press", world.press), ("typed", world.typed)):
        path = workdir / f"{tag}-{step}.jsonl"
        lines = [json.dumps(body(first + n, u), ensure_ascii=False) for n, u in enumerate(users)]
        first += len(users)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        cmd = [sys.executable, str(BENCH / "loadgen.py"), "--port", str(port), "--tls"]
        cmd += ["--bodies", str(path), "--path", "/webhooks/telegram", "--expect", "200"]
        cmd += ["--header", f"X-Telegram-Bot-Api-Secret-Token: {SECRET}"]
        cmd += ["--rate", str(rate), "--retry", "8", "--sources", "100", "--concurrency", "100"]
        cmd += ["--acked", str(workdir / f"{tag}-{step}.acked")]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout))
    return results


def finished(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"load generator failed: {err[-2000:]}")
    return dict(json.loads(out))
