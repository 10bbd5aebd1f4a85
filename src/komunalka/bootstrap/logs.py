"""The service's logs: text for a person at a terminal (`./dev serve`), or JSON lines for a
collector (KOMUNALKA_LOG_FORMAT=json); either way every record carries the request id of the
request that wrote it, and no personal data: account numbers and phones are masked to their
last two digits, tokens, secrets and passwords in URLs are replaced (docs/adr/0029)."""

from __future__ import annotations

import copy
import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from uvicorn.logging import DefaultFormatter

# The request (or job) being served by this task; "-" outside any.
request_id: ContextVar[str] = ContextVar("komunalka_request_id", default="-")

# Order matters: URLs' passwords and tokens first, then long opaque strings, then digit runs.
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host
    (re.compile(r"(?P<s>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@", re.I), r"\g<s>***@"),
    # Telegram's bot token in its API's URLs: /bot123456:AA.../
    (re.compile(r"bot\d{3,}:[\w-]{10,}"), "bot***"),
    (re.compile(r"(?P<s>\bBearer\s+)\S+", re.I), r"\g<s>***"),
    # token=..., secret: ..., password=... in queries, forms and messages
    (
        re.compile(
            r"(?P<s>\b[a-z_]*(?:token|secret|password|passwd|key|signature)"
            r"[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;]+",
            re.I,
        ),
        r"\g<s>***",
    ),
    # opaque strings (session and reset tokens in paths, signed links, hashes): 20 characters
    # or more with a digit among them, or 32 or more of any
    (re.compile(r"(?<![\w-])(?=[\w-]*\d)[\w-]{20,}(?![\w-])"), "***"),
    (re.compile(r"(?<![\w-])[\w-]{32,}(?![\w-])"), "***"),
)
# Account numbers and phones: six digits or more, single spaces or brackets between them
# (+380 (67) 123 45 67); all but the last two digits hidden.
_DIGITS = re.compile(r"\+?\d(?:[ ()]{0,2}\d){5,}")


def _hide_digits(match: re.Match[str]) -> str:
    text = match.group(0)
    out, seen = [], 0
    for ch in reversed(text):
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= 2 else "*")
        else:
            out.append(ch)
    return "".join(reversed(out))


def mask(text: str) -> str:
    """`text` with personal data and secrets masked (see the module's docstring)."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return _DIGITS.sub(_hide_digits, text)


class RequestContext(logging.Filter):
    """Adds `request_id` to every record and masks its message (a filter on the handlers, so
    it sees the records of every library: uvicorn's access log names the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # its formatter reads the arguments (client, method, path, version, status)
            record.args = tuple(mask(a) if isinstance(a, str) else a for a in record.args)
            return True
        message = record.getMessage()
        record.msg, record.args = mask(message), None
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, and
    the exception's traceback (masked too) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            line["error"] = mask(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class MaskedText(DefaultFormatter):
    """uvicorn's text with the tracebacks masked too."""

    def formatException(self, ei: Any) -> str:
        return mask(super().formatException(ei))


def log_config(uvicorn_config: dict[str, Any], log_format: str) -> dict[str, Any]:
    """uvicorn's logging plus the service's own at INFO (with no SMTP server set, password reset
    links and other messages appear here: the outbox's log sender), every handler with the
    request id and the masks, as text or JSON lines."""
    config = copy.deepcopy(uvicorn_config)
    config["filters"] = {"context": {"()": RequestContext}}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("context")
    if log_format == "json":
        for formatter in config["formatters"].values():
            formatter.clear()
            formatter["()"] = JsonLines
    else:
        for formatter in config["formatters"].values():
            formatter["fmt"] = formatter["fmt"] + " [%(request_id)s]"
        config["formatters"]["default"]["()"] = MaskedText
    config["loggers"]["komunalka"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
