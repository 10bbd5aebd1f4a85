"""Whatever people type, and whatever a registry file holds, the answer is a value or a stable
code: never a crash."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from komunalka.domain.errors import DomainError, InvalidReading
from komunalka.domain.registry import COLUMNS, RegistryRow, parse_registry_row
from komunalka.domain.values import parse_milli, parse_reading, to_milli

TYPED = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=string.digits + " ,.-+eE\u00a0", max_size=20),
    st.from_regex(r"\A\d{0,10}([.,]\d{0,5})?\Z", fullmatch=True),
)


@given(text=TYPED, digits=st.integers(1, 9), decimals=st.integers(0, 3))
@settings(max_examples=400, deadline=None)
def test_any_typed_text_is_a_reading_or_a_stable_code(
    text: str, digits: int, decimals: int
) -> None:
    try:
        value = parse_reading(text, digits, decimals)
    except InvalidReading as exc:
        code = exc.code
        assert code.startswith("reading.")
        return
    assert value.is_finite() and value >= 0
    assert value < 10**digits
    assert parse_milli(text, digits, decimals) == to_milli(value)


CELLS = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["kte", "T1", "day|night", "5", "3", "2026-10", "12,5"]),
)


@given(row=st.fixed_dictionaries({column: CELLS for column in COLUMNS}))
@settings(max_examples=400, deadline=None)
def test_any_registry_row_parses_or_lists_stable_codes(row: dict[str, str | None]) -> None:
    try:
        parsed = parse_registry_row(row)
    except DomainError as exc:  # pragma: no cover - the parser reports, it does not raise
        raise AssertionError(f"raised {exc.code}") from exc
    if isinstance(parsed, RegistryRow):
        return
    assert parsed
    assert all("." in v.code and " " not in v.code for v in parsed)
