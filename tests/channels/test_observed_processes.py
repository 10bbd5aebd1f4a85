"""`komunalka serve` and `komunalka worker` as the systemd units run them (deploy/systemd): JSON
logs where a request's id follows it from the door, masked paths, /metrics and /ready over a
real socket, and the worker's own metrics listener."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from komunalka.application.shared.actors import Actor
from komunalka.bootstrap.wiring import Wiring
from tests.channels.pages import free_port
from tests.fakes import FakeClock, kyiv
from tests.world import build_world

TOKEN = "metrics-token-0123456789"
SRC = str(Path(__file__).parents[2] / "src")


def _start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "komunalka", *args]
    return subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _stop(process: subprocess.Popen[bytes]) -> tuple[int, list[str]]:
    process.send_signal(signal.SIGTERM)
    try:
        output = process.communicate(timeout=30)[0].decode()
    except subprocess.TimeoutExpired:
        process.kill()
        output = process.communicate()[0].decode()
    return process.returncode, output.splitlines()


def _wait_for(url: str, process: subprocess.Popen[bytes], **kwargs: object) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.communicate()[0].decode())
        try:
            return httpx.get(url, timeout=2, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _env(database_url: str, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": SRC,
        "KOMUNALKA_DATABASE_URL": database_url,
        "KOMUNALKA_SECRET_KEY": "a-test-secret-of-enough-length",
        "KOMUNALKA_LOG_FORMAT": "json",
        **more,
    }


async def test_a_readings_request_id_is_in_the_json_log_and_its_metrics_are_served(
    uow, database_url, tmp_path
) -> None:
    world = await build_world(uow)
    issued = await Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20))).issue_token(
        Actor.system(), resident_id=world.resident
    )
    port = free_port()
    env = _env(database_url, KOMUNALKA_JOBS_IN_PROCESS="false", KOMUNALKA_METRICS_TOKEN=TOKEN)
    env["KOMUNALKA_NOW"] = "2026-11-20T12:00:00"
    process = _start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path)
    try:
        _exercise(f"http://127.0.0.1:{port}", process, world.hot_water, issued.token)
    finally:
        code, lines = _stop(process)
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after its clean stop
    logged = [json.loads(line) for line in lines]  # every line is one JSON object
    door = [line for line in logged if line["request_id"] == "door-to-db-1"]
    assert door and "POST /api/v1/readings" in door[-1]["message"]
    assert "201" in door[-1]["message"]
    masked = [line for line in logged if line["request_id"] == "masked-2"]
    assert masked and "/reset-password/***" in masked[-1]["message"]
    whole = "\n".join(lines)
    assert "Xk3jdK_9aJd8s7dJ2kdl3kdsLq0a" not in whole and issued.token not in whole


def _exercise(base: str, process: subprocess.Popen[bytes], meter: int, token: str) -> None:
    assert _wait_for(f"{base}/ready", process).json()["status"] == "ready"
    sent = httpx.post(
        f"{base}/api/v1/readings",
        json={"readings": [{"meter_id": meter, "value": "117,5"}]},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "door-to-db-1"},
    )
    assert (sent.status_code, sent.headers["x-request-id"]) == (201, "door-to-db-1")
    secret_path = "/reset-password/Xk3jdK_9aJd8s7dJ2kdl3kdsLq0a"
    httpx.get(f"{base}{secret_path}", headers={"X-Request-ID": "masked-2"})
    assert httpx.get(f"{base}/metrics").status_code == 401
    scraped = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    assert 'komunalka_readings_accepted_total{channel="api"} 1.0' in scraped.text
    posted = 'komunalka_http_requests_total{method="POST",route="/api/v1/readings",status="201"}'
    assert f"{posted} 1.0" in scraped.text


def test_a_worker_serves_its_metrics_on_its_own_port(tmp_path) -> None:
    port = free_port()
    database = f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}"
    env = _env(database, KOMUNALKA_METRICS_PORT=str(port))
    migrated = subprocess.run(
        [sys.executable, "-m", "komunalka", "db", "upgrade"], env=env, cwd=tmp_path, check=False
    )
    assert migrated.returncode == 0
    process = _start(["worker"], env, tmp_path)
    try:
        deadline = time.monotonic() + 60
        text = ""
        while 'job="deliver_outbox",result="ok"' not in text:
            if time.monotonic() > deadline:
                pytest.fail(f"no deliver_outbox run in the worker's metrics:\n{text}")
            text = _wait_for(f"http://127.0.0.1:{port}/metrics", process).text
            time.sleep(0.5)
        assert "komunalka_db_pool_checked_out" in text or "komunalka_job_runs_total" in text
    finally:
        code, lines = _stop(process)
    assert code == 0
    logged = [json.loads(line) for line in lines]
    assert any(line["message"].startswith("worker started") for line in logged)
