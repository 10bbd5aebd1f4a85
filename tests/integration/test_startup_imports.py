"""A process starts without the libraries no first request needs (docs/BENCHMARKS.md,
"Start-up"): importing aiogram alone took seconds. Checked in a fresh interpreter, so whatever
this test run has imported does not count; a new eager import anywhere on the path is red here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOT_AT_START = (
    "aiogram",
    "matplotlib",
    "openpyxl",
    "taskiq",
    "taskiq_redis",
    "PIL",
    "numpy",
    "cv2",  # the ocr extra: loaded at the first photo (ADR 0027)
    "onnxruntime",
    "rapidocr",
)

BUILD_THE_APP = """
import json, sys
from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.settings import Settings

settings = Settings(
    database_url=sys.argv[1],
    telegram_token="123456:TEST",
    telegram_webhook_secret="secret",
    viber_token="viber-token",
    secret_key="startup-test-secret-key",
)
create_app(settings)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def loaded_in_a_new_process(code: str, *args: str) -> set[str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMUNALKA_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("module", ["komunalka.bootstrap.app", "komunalka.bootstrap.cli"])
def test_importing_the_entry_points_loads_no_heavy_library(module: str) -> None:
    code = f"import json, sys, {module}\nprint(json.dumps(sorted(sys.modules)))"
    loaded = {name.split(".")[0] for name in loaded_in_a_new_process(code)}
    assert loaded.isdisjoint(NOT_AT_START), sorted(loaded & set(NOT_AT_START))


def test_building_the_app_with_every_door_loads_no_heavy_library(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'startup.db'}"
    loaded = loaded_in_a_new_process(BUILD_THE_APP, url)
    assert "komunalka" in loaded and "fastapi" in loaded  # the app was built
    assert loaded.isdisjoint(NOT_AT_START), sorted(loaded & set(NOT_AT_START))
