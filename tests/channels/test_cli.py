"""The `komunalka` command line, run as users run it, on both databases."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from komunalka.bootstrap.cli import app
from komunalka.domain.registry import COLUMNS

NOW = "2026-11-20T12:00:00+02:00"


@pytest.fixture
def run(engine, database_url, monkeypatch):
    monkeypatch.setenv("KOMUNALKA_DATABASE_URL", database_url)
    monkeypatch.setenv("KOMUNALKA_NOW", NOW)
    runner = CliRunner()

    def invoke(*args: str, language: str = "uk"):
        return runner.invoke(app, list(args), env={"KOMUNALKA_LANGUAGE": language})

    return invoke


def test_demo_then_export_gives_a_periods_readings_as_csv(run, tmp_path: Path) -> None:
    loaded = run("demo")
    assert loaded.exit_code == 0, loaded.output
    assert "рахунків 50" in loaded.output and "demo-resident-token" in loaded.output
    out = tmp_path / "kte.csv"
    exported = run("export", "--supplier", "kte", "--period", "2026-10", "--output", str(out))
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 17  # 13 hot water + 4 heat meters
    assert {r["period"] for r in rows} == {"2026-10"}
    as_json = tmp_path / "kte.json"
    args = ("--supplier", "kte", "--period", "2026-10", "--format", "json", "-o", str(as_json))
    assert run("export", *args).exit_code == 0
    items = json.loads(as_json.read_text(encoding="utf-8"), parse_float=str)
    assert [(i["serial"], i["value"]) for i in items] == [(r["serial"], r["value"]) for r in rows]


def test_import_registry_reports_bad_rows_to_a_file(run, tmp_path: Path) -> None:
    assert run("demo").exit_code == 0
    source = tmp_path / "registry.csv"
    source.write_text(
        ",".join(c for c in COLUMNS if c != "water_heater") + "\n"  # the optional one left out
        'kte,1000777001,Лисенко Марія,Київ,,hot_water,HW7770001,T1,5,3,,active,2026-10,"5,5"\n'
        "kte,1000777002,Лисенко Марія,Київ,,hot_water,HW7770002,T1,5,3,,active,2026-10,abc\n",
        encoding="utf-8",
    )
    report = tmp_path / "bad.csv"
    result = run("import-registry", str(source), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "прийнято: 1, відхилено: 1" in result.output
    bad = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(b["line"], b["codes"]) for b in bad] == [("3", "reading.not_a_number")]
    assert bad[0]["message"].startswith("«abc» — не число")


def test_a_registry_imported_again_is_reported_unchanged(run, tmp_path: Path) -> None:
    assert run("demo").exit_code == 0
    source = tmp_path / "registry.csv"
    source.write_text(
        ",".join(COLUMNS) + "\n"
        "kte,1000777001,Лисенко Марія,Київ,,hot_water,HW7770001,T1,5,3,,active,2026-10,5,no\n",
        encoding="utf-8",
    )
    first = run("import-registry", str(source))
    assert first.exit_code == 0, first.output
    assert "Рядків без змін (нічого не записано): 0." in first.output
    again = run("import-registry", str(source))
    assert again.exit_code == 0, again.output
    assert "лічильників: 0, показників: 0" in again.output
    assert "Рядків без змін (нічого не записано): 1." in again.output


def test_a_file_of_only_bad_rows_lands_nothing_and_says_why(run, tmp_path: Path) -> None:
    """A row with more filled cells than the header (an address with its comma unquoted) is
    refused, not cut; a file of nothing but refused rows is a report, not a crash."""
    assert run("demo").exit_code == 0
    source = tmp_path / "registry.csv"
    source.write_text(
        ",".join(c for c in COLUMNS if c != "water_heater") + "\n"  # the optional one left out
        "kte,1000777003,Лисенко Марія,Київ, вул. Хрещатик 1,,hot_water,HW7770003,T1,5,3,,"
        "active,2026-10,5\n",
        encoding="utf-8",
    )
    report = tmp_path / "bad.csv"
    result = run("import-registry", str(source), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "прийнято: 0, відхилено: 1" in result.output
    bad = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(b["line"], b["codes"]) for b in bad] == [("2", "registry.extra_cells")]
    assert "більше, ніж стовпців" in bad[0]["message"]


def test_issue_token_and_non_submitters(run) -> None:
    assert run("demo").exit_code == 0
    token = run("issue-token", "--new", "Оператор Тест", "--label", "test")
    assert token.exit_code == 0 and token.stdout.strip().splitlines()[-1].startswith("kmn_")
    listed = run("non-submitters", "--supplier", "kvk", "--period", "2026-11")
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert len(rows) == 19  # every cold-water meter: nobody has sent November yet


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (
            ("export", "--supplier", "kte", "--period", "2026-13"),
            "Неправильний розрахунковий період",
        ),
        (
            ("export", "--supplier", "nope", "--period", "2026-10"),
            "Постачальника «nope» не знайдено.",
        ),
        (("issue-token",), "Вкажіть одне: --resident або --new."),
        (("issue-token", "--resident", "999"), "Мешканця 999 не знайдено."),
    ],
)
def test_bad_input_gets_a_clear_message_and_exit_code_2(run, args, text) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert text in result.output


def test_messages_switch_to_english(run) -> None:
    result = run("export", "--supplier", "nope", "--period", "2026-10", language="en")
    assert 'Supplier "nope" not found.' in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_demo_answers_on_http(tmp_path: Path) -> None:
    """The README's first command, on a fresh SQLite file: schema, demo data, the service."""
    port = _free_port()
    env = {
        **os.environ,
        "KOMUNALKA_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "KOMUNALKA_NOW": NOW,
        # httpx keeps Secure cookies on https only (browsers on localhost too)
        "KOMUNALKA_COOKIE_SECURE": "false",
        "KOMUNALKA_OUTBOX_INTERVAL": "0.2",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "komunalka", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        headers = {"Authorization": "Bearer demo-resident-token"}
        meters = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/meters", headers=headers, timeout=5
        ).json()
        assert len(meters) == 8
        # with no SMTP server, a password reset link is written to the service's log
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            form = browser.get("/password/forgot")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            login = {"csrf_token": token, "login": "demo@komunalka.test"}
            assert browser.post("/password/forgot", data=login).status_code == 200
        time.sleep(2.5)  # the outbox runs every second at most (the schedule counts in seconds)
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert re.search(r"email to demo@komunalka\.test: .*\n.*/password/reset/\S+", output)


def test_a_revoked_token_stops_working(run) -> None:
    issued = run("issue-token", "--new", "Тимчасовий", "--label", "test")
    token = issued.stdout.strip().splitlines()[-1]
    revoked = run("revoke-token", token)
    assert revoked.exit_code == 0, revoked.output
    assert "Токен відкликано" in revoked.output
    again = run("revoke-token", token)
    assert again.exit_code == 2
    assert "Такого чинного токена немає." in again.output


def channels_of_the_chat(database_url: str, user: str) -> dict[str, set[str]]:
    """The channels recorded for what the terminal user `user` did: their identity, readings,
    submissions and audit entries (in a loop and engine of its own, like the command)."""
    from sqlalchemy import select

    from komunalka.adapters.db.engine import create_engine
    from komunalka.adapters.db.tables import audit_log, identities, readings, submissions

    async def read() -> dict[str, set[str]]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                who = select(identities.c.resident_id, identities.c.channel).where(
                    identities.c.external_id == user
                )
                resident, channel = (await conn.execute(who)).one()
                key = f"resident:{resident}"
                mine = select(submissions.c.id).where(submissions.c.actor_key == key)
                queries = {
                    "submissions": select(submissions.c.channel).where(
                        submissions.c.actor_key == key
                    ),
                    "readings": select(readings.c.channel).where(
                        readings.c.submission_id.in_(mine)
                    ),
                    "audit": select(audit_log.c.channel).where(
                        audit_log.c.actor_kind == "resident", audit_log.c.actor_id == resident
                    ),
                    "demo data": select(audit_log.c.channel).where(audit_log.c.note == "demo data"),
                }
                found = {"identity": {channel}}
                for name, query in queries.items():
                    found[name] = set((await conn.execute(query)).scalars())
                return found
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_the_terminal_chat_links_an_account_and_sends_a_reading(run, database_url) -> None:
    """`komunalka chat`: the bot's conversation in a terminal, with its state in the database;
    what it does is recorded as the terminal chat's, not the command line's."""
    assert run("demo").exit_code == 0
    lines = [
        "2",  # [2] add an account
        "1000002714",  # flat 2's heat utility account
        "Ков",  # first three letters of the holder's surname
        "1",  # [1] yes, it is mine
        "1",  # [1] send readings
        "abc",  # garbage: explained, asked again
        "2",  # [2] skip the hot-water meter
        "1",  # [1] the heat meter: unchanged
        "3",  # [3] my meters
        "1",  # [1] history, with a chart
    ]
    result = CliRunner().invoke(app, ["chat", "--user", "t-1"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "[1] Передати показники" in out
    assert "Рахунок додано: Київтеплоенерго, Ков****** О. І." in out
    assert "«abc» — не число" in out
    assert "пропущено" in out
    assert "квитанція 2611-" in out
    charts = [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("🖼 ")]
    assert charts
    assert all(Path(c).read_bytes()[:4] == b"\x89PNG" for c in charts)
    recorded = channels_of_the_chat(database_url, "t-1")
    assert recorded == {
        "identity": {"terminal"},
        "submissions": {"terminal"},
        "readings": {"terminal"},
        "audit": {"terminal"},  # joining, linking the account, the submission
        "demo data": {"cli"},  # `komunalka demo` is the command line's
    }


def test_telegram_webhook_is_set_and_polling_answers(run, monkeypatch) -> None:
    from tests.servers.fake_telegram import FakeTelegram

    fake = FakeTelegram()
    url = fake.start_in_thread()
    try:
        monkeypatch.setenv("KOMUNALKA_TELEGRAM_TOKEN", fake.token)
        monkeypatch.setenv("KOMUNALKA_TELEGRAM_WEBHOOK_SECRET", "s3cret")
        monkeypatch.setenv("KOMUNALKA_TELEGRAM_API_URL", url)
        result = run("telegram", "set-webhook", "https://komunalka.example/webhooks/telegram")
        assert result.exit_code == 0, result.output
        (hook,) = fake.sent("setWebhook")
        assert hook["url"] == "https://komunalka.example/webhooks/telegram"
        assert hook["secret_token"] == "s3cret"
        user = {"id": 9, "is_bot": False, "first_name": "Оля"}
        message = {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 9, "type": "private"},
            "from": user,
            "text": "/start",
        }
        fake.updates.append({"update_id": 41, "message": message})
        result = run("telegram", "poll", "--once")
        assert result.exit_code == 0, result.output
        assert fake.sent("deleteWebhook")
        assert "Комуналка" in fake.sent()[0]["text"]
    finally:
        fake.stop_thread()


def test_telegram_commands_need_a_token(run, monkeypatch) -> None:
    monkeypatch.delenv("KOMUNALKA_TELEGRAM_TOKEN", raising=False)
    result = run("telegram", "poll", "--once")
    assert result.exit_code == 2
    assert "KOMUNALKA_TELEGRAM_TOKEN" in result.output


def test_viber_webhook_is_set(run, monkeypatch) -> None:
    from tests.servers.fake_viber import FakeViber

    fake = FakeViber()
    url = fake.start_in_thread()
    try:
        monkeypatch.setenv("KOMUNALKA_VIBER_TOKEN", fake.token)
        monkeypatch.setenv("KOMUNALKA_VIBER_API_URL", url)
        result = run("viber", "set-webhook", "https://komunalka.example/webhooks/viber")
        assert result.exit_code == 0, result.output
        (hook,) = fake.sent("set_webhook")
        assert hook["url"] == "https://komunalka.example/webhooks/viber"
        assert "message" in hook["event_types"]
    finally:
        fake.stop_thread()


def test_send_outbox_reports_what_went_out(run) -> None:
    result = run("send-outbox", language="en")
    assert result.exit_code == 0, result.output
    assert "Sent: 0; not sent, to be tried again: 0; given up: 0;" in result.output
    assert "fate unknown, not resent: 0." in result.output


def _waiting_message(database_url: str, recipient: str) -> None:
    """A message in the outbox, as a use case leaves one (in a loop and engine of its own: the
    command under test runs its own event loop)."""
    from komunalka.adapters.db.engine import create_engine
    from komunalka.adapters.db.storage import SqlStorage
    from komunalka.application.shared.ports import OutgoingMessage
    from tests.fakes import kyiv

    async def add() -> None:
        engine = create_engine(database_url)
        storage = SqlStorage(engine)
        try:
            async with storage(write=True) as tx:
                message = OutgoingMessage("email", recipient, "Тема", "Текст")
                await storage.outbox.add(message, kyiv(2026, 11, 20, 11))
                await tx.commit()
        finally:
            await engine.dispose()

    asyncio.run(add())


def test_worker_once_runs_every_periodic_job_and_sends_the_outbox(run, database_url) -> None:
    _waiting_message(database_url, "olena@example.com")
    result = run("worker", "--once", language="en")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Job deliver_outbox: sent=1, retried=0, failed=0, unknown=0"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "Job plan_reminders",
        "Job send_reminders",
        "Job send_alerts",
        "Job write_period_files",
        "Job deliver_webhooks",
        "Job clean_up",
        "Job forget_expired_photos",
    ]
    again = run("worker", "--once")
    assert again.output.splitlines()[0] == (
        "Завдання deliver_outbox: sent=0, retried=0, failed=0, unknown=0"
    )


def test_reminders_preview_lists_each_rule_and_whom_it_would_reach(run) -> None:
    assert run("demo").exit_code == 0
    shown = run("reminders", "preview", "--supplier", "kte", "--period", "2026-11", language="en")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].startswith("Reminders of") and "2026-11" in lines[0]
    assert any(line.startswith("• when the window opens — 05.11.2026, on") for line in lines)
    assert any("3 day(s) before it closes — 27.11.2026" in line for line in lines)
    assert all("would reach" in line for line in lines if line.startswith("•"))
    unknown = run("reminders", "preview", "--supplier", "nope", language="en")
    assert unknown.exit_code == 2
    garbage = run("reminders", "preview", "--supplier", "kte", "--period", "9999-99", language="en")
    assert garbage.exit_code == 2 and "Traceback" not in garbage.output
    assert garbage.exception is None or isinstance(garbage.exception, SystemExit)
