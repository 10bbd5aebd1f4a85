"""The simulated month's processes (bench/month.py): `komunalka serve` and `komunalka worker` as
the systemd units start them, nginx, their CPU time sampled until the end (a process killed with
SIGKILL keeps the CPU it had at its last sample), and a supplier's system pulling its feed.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from support import HOST, KOMUNALKA, BenchError


@dataclass
class Proc:
    """One process of a kind ("serve", "worker", "nginx"), restartable, logging to a file."""

    kind: str
    name: str
    cmd: list[str]
    env: dict[str, str]
    log: Path
    ready: str | None = None  # a URL answering 200 once started
    proc: psutil.Popen | None = None
    starts: int = 0

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = psutil.Popen(self.cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        deadline = time.monotonic() + 90
        while self.ready and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                # nginx's certificate here is a self-signed one, made for the run
                answer = httpx.get(self.ready, timeout=2, verify=False)  # noqa: S501
                if answer.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        if self.ready:
            raise BenchError(f"{self.name} not ready:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except psutil.TimeoutExpired:
                self.proc.kill()


def serve(port: int, env: dict[str, str], workdir: Path) -> Proc:
    cmd = [str(KOMUNALKA), "serve", "--host", HOST, "--port", str(port)]  # komunalka-serve@PORT
    log = workdir / f"serve-{port}.log"
    return Proc("serve", f"serve@{port}", cmd, env, log, f"http://{HOST}:{port}/health")


def worker(metrics_port: int, env: dict[str, str], workdir: Path) -> Proc:
    env = dict(env, KOMUNALKA_METRICS_PORT=str(metrics_port))  # komunalka-worker@PORT
    log = workdir / f"worker-{metrics_port}.log"
    return Proc("worker", f"worker@{metrics_port}", [str(KOMUNALKA), "worker"], env, log)


class CpuMeter:
    """CPU seconds (user + system) by process kind, sampled every `every` seconds: every process
    of `procs` and its children. `mark()` starts the count."""

    def __init__(self, procs: list[Proc], every: float = 0.5) -> None:
        self.procs = procs
        self.every = every
        self.seen: dict[int, tuple[str, float]] = {}
        self.base: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self) -> None:
        for p in list(self.procs):
            if p.proc is None:
                continue
            try:
                family = [p.proc, *p.proc.children(recursive=True)]
            except psutil.Error:
                continue
            for member in family:
                try:
                    t = member.cpu_times()
                    self.seen[member.pid] = (p.kind, t.user + t.system)
                except psutil.Error:
                    continue

    def mark(self) -> None:
        self.sample()
        self.base = {pid: cpu for pid, (_, cpu) in self.seen.items()}

    def by_kind(self) -> dict[str, float]:
        self.sample()
        total: dict[str, float] = defaultdict(float)
        for pid, (kind, cpu) in self.seen.items():
            total[kind] += cpu - self.base.get(pid, 0.0)
        return dict(total)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Puller:
    """A supplier's system: pulls its changes feed every few seconds, stores the items by `seq`
    and acknowledges; counts an item seen twice."""

    base_url: str
    token: str
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    twice: int = 0
    latencies: list[float] = field(default_factory=list)
    cursor: str | None = None
    caught_up: bool = False
    errors: int = 0

    def pull_once(self, client: httpx.Client) -> int:
        params: dict[str, Any] = {"limit": 1000}
        if self.cursor:
            params["after"] = self.cursor
        start = time.perf_counter()
        answer = client.get("/api/v1/supplier/readings/changes", params=params)
        self.latencies.append(time.perf_counter() - start)
        if answer.status_code != 200:
            self.errors += 1
            return 0
        page = answer.json()
        for item in page["items"]:
            if item["seq"] in self.items:
                self.twice += 1
            self.items[item["seq"]] = item
        if page["count"]:
            client.post("/api/v1/supplier/readings/ack", json={"cursor": page["cursor"]})
            self.cursor = page["cursor"]
        self.caught_up = not page["more"] and not page["count"]
        return int(page["count"])

    def run(self, stop: threading.Event) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        # nginx's certificate here is a self-signed one, made for the run
        client = httpx.Client(base_url=self.base_url, headers=headers, verify=False, timeout=30)  # noqa: S501
        with client as c:
            while not stop.is_set():
                try:
                    while self.pull_once(c):
                        pass
                except httpx.HTTPError:
                    self.errors += 1
                    self.caught_up = False
                stop.wait(2.0)


def killer(procs: list[Proc], at: float, pause: float, log: list[str]) -> threading.Thread:
    """SIGKILL a process `at` seconds from now, start it again `pause` seconds later."""

    def run() -> None:
        time.sleep(at)
        victim = procs[0]
        victim.kill()
        log.append(f"{time.strftime('%H:%M:%S')} SIGKILL {victim.name}")
        time.sleep(pause)
        victim.start()
        log.append(f"{time.strftime('%H:%M:%S')} started {victim.name} again")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


METRICS_TOKEN = "CHANGE-ME-to-another-long-random-string"  # deploy/komunalka.env's own


def scrape_metrics(procs: list[Proc], workdir: Path) -> dict[str, int]:
    """Each process's /metrics saved in the work directory; its size in lines."""
    sizes = {}
    for proc in procs[:4]:
        if proc.kind == "serve":
            url = proc.ready.replace("/health", "/metrics")  # type: ignore[union-attr]
        else:
            url = f"http://{HOST}:{proc.env['KOMUNALKA_METRICS_PORT']}/metrics"
        try:
            text = httpx.get(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
        except httpx.HTTPError as error:
            text = f"# {error}"
        (workdir / f"metrics-{proc.name}.txt").write_text(text)
        sizes[proc.name] = len(text.splitlines())
    return sizes
