"""Garbage for every door: the app's routes enumerated, and strategies of what an outsider may
send (numbers past the database's range, Unicode digits, NUL bytes, periods past the calendar,
deep JSON, fields of the wrong JSON type)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from tests.channels.test_roles import _flatten

SKIPPED = ("/static", "/docs", "/redoc", "/sign-out")
# What an audit found to end in a server error, and its relatives.
NASTY = [
    "99999999999999999999",
    "9223372036854775808",
    "9223372036854775807",
    "2147483648",
    "-1",
    "0",
    "²",
    "١٢",
    "１２",
    "\x00",
    "a\x00b",
    "9999-12",
    "0000-01",
    "2024-13",
    "1e5",
    "NaN",
    "",
    " ",
    "%00",
    "../..",
    "<script>",
    "9" * 5000,
    "kte",
    "water",
    # feed cursors: "1.-1", another supplier's "999.1", a position past bigint
    "MS4tMQ",
    "OTk5LjE",
    "MS4xMjM0NTY3ODkwMTIzNDU2Nzg5MA",
    "whsec_AAAA",
    "http://127.0.0.1:9/hook",
]
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
# names of the fields the doors read from forms and query strings
FIELDS = [
    *("login", "password", "password_confirm", "name", "next", "language", "consent"),
    *("contact", "reminder_channel", "number", "proof", "supplier", "step", "receipt"),
    *("value", "confirmed", "water_heater", "client_key", "channel", "identified_by", "note"),
    *("code", "district", "role", "active", "supplier_id", "timezone", "window_rule"),
    *("account_pattern", "service", "zone", "price", "effective_from", "period", "kind", "q"),
    *("format", "days_reminder", "on_reminder", "hash", "id", "auth_date", "first_name"),
    *("v.1.T1", "v.99999999999999999999.T1", "v.²", "value.1.T1", "same.1.T1", "label"),
    *("after", "limit", "cursor", "url"),
]
FORM = st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=6)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False),
    TEXT,
)
JSON = st.recursive(
    SCALAR,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from([*FIELDS, "readings", "meter_id", "message"]), inner)
    ),
    max_leaves=8,
)


def deep(levels: int, inner: Any = 1) -> bytes:
    """JSON nested `levels` deep: a RecursionError for a parser without a limit."""
    return ("[" * levels + json.dumps(inner) + "]" * levels).encode()


def app_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route the app answers, its path parameters as ``{name}``."""
    found = set()
    for prefix, route in _flatten(app.routes):
        path = prefix + route.path
        if path.startswith(SKIPPED):
            continue
        for method in route.methods - {"HEAD"}:
            found.add((method, path))
    for route in app.routes:  # plain Starlette routes (the Telegram webhook)
        methods = getattr(route, "methods", None)
        if methods and not hasattr(route, "dependant") and hasattr(route, "path"):
            found.update((m, route.path) for m in methods - {"HEAD"})
    return sorted(found)


def filled(path: str, values: list[str]) -> str:
    """`path` with its parameters replaced by `values` in turn, each percent-encoded."""
    given = iter(values)
    return re.sub(r"\{[^}]+\}", lambda _: quote(next(given, "1"), safe="") or "1", path)
