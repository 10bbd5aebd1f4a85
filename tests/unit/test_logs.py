"""The service's log records: masked, with the request id, as text or JSON lines."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from komunalka.bootstrap.logs import JsonLines, RequestContext, mask, request_id


@pytest.mark.parametrize(
    ("said", "logged"),
    [
        ("account 1234567890 linked", "account ********90 linked"),
        ("sms to +380 67 123 45 67", "sms to +*** ** *** ** 67"),
        ("phone 0671234567", "phone ********67"),
        ("GET /reset-password/Xk3jdK_9aJd8s7dJ2kdl3kdsLq0a", "GET /reset-password/***"),
        ("postgresql://kom:s3cret@db:5432/x", "postgresql://kom:***@db:5432/x"),
        (
            "POST https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5/sendMessage",
            "POST https://api.telegram.org/bot***/sendMessage",
        ),
        ("Authorization: Bearer abc.def", "Authorization: Bearer ***"),
        ("/unsubscribe?token=abcdef&x=1", "/unsubscribe?token=***&x=1"),
        ("secret_key='0123456789abcdef'", "secret_key='***'"),
    ],
)
def test_personal_data_and_secrets_are_masked(said: str, logged: str) -> None:
    assert mask(said) == logged


@pytest.mark.parametrize(
    "plain",
    [
        "job send_reminders: SendReport(sent=3, failed=0)",
        "2026-11-29T23:19:30+00:00 period 2026-11",
        "reading 12345.678 accepted",
        "ScheduledTaskCancelledError in komunalka.bootstrap.queue",
        "worker started (this process): deliver_outbox every 0:00:05",
    ],
)
def test_ordinary_words_and_numbers_are_left_alone(plain: str) -> None:
    assert mask(plain) == plain


def record(msg: str, *args: object, name: str = "komunalka.x") -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def test_a_record_gets_the_request_id_and_its_arguments_masked() -> None:
    token = request_id.set("req-1")
    try:
        made = record("linked %s for %s", "1234567890", "resident 7")
        assert RequestContext().filter(made)
    finally:
        request_id.reset(token)
    assert (made.getMessage(), made.request_id) == ("linked ********90 for resident 7", "req-1")
    outside = record("plain")
    RequestContext().filter(outside)
    assert outside.request_id == "-"


def test_the_access_logs_arguments_stay_a_tuple_for_its_formatter() -> None:
    made = record(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        "/reset-password/Xk3jdK_9aJd8s7dJ2kdl3kdsLq0a",
        "1.1",
        200,
        name="uvicorn.access",
    )
    RequestContext().filter(made)
    assert made.args == ("127.0.0.1:5000", "GET", "/reset-password/***", "1.1", 200)


def test_json_lines_carry_time_level_logger_message_and_request_id() -> None:
    made = record("account %s", "1234567890")
    made.request_id = "req-2"
    RequestContext().filter(made)
    made.request_id = "req-2"
    line = json.loads(JsonLines().format(made))
    assert line["message"] == "account ********90"
    assert (line["level"], line["logger"], line["request_id"]) == ("INFO", "komunalka.x", "req-2")
    assert line["time"].endswith("+00:00")


SPEAK = """
import logging.config, uvicorn
from komunalka.bootstrap.logs import log_config
logging.config.dictConfig(log_config(uvicorn.config.LOGGING_CONFIG, {fmt!r}))
logging.getLogger("komunalka.demo").info("token=abc123 for 1234567890")
try:
    raise ValueError("postgresql://u:pw@h/db")
except ValueError:
    logging.getLogger("komunalka.demo").exception("failed")
"""


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_the_process_logging_writes_masked_lines_in_the_chosen_format(fmt: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SPEAK.format(fmt=fmt)],
        capture_output=True,
        text=True,
        env=os.environ,
        check=True,
    )
    out = done.stderr
    assert "1234567890" not in out and "abc123" not in out and ":pw@" not in out
    if fmt == "json":
        lines = [json.loads(line) for line in out.splitlines()]
        assert lines[0]["message"] == "token=*** for ********90"
        assert lines[0]["request_id"] == "-"
        assert "ValueError" in lines[1]["error"] and "u:***@h" in lines[1]["error"]
    else:
        assert "token=*** for ********90 [-]" in out
