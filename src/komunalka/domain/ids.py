"""Row ids as people and programs send them: positive whole numbers the database can hold.

A number past a column's range reaches the database driver as an overflow (a server error on
PostgreSQL, on SQLite too past 2**63), so every door bounds an id before it looks anything up.
"""

from __future__ import annotations

# SQLite's INTEGER and PostgreSQL's bigint: the ids of most tables (BigId, db/tables/base.py)
BIG_ID_MAX = 2**63 - 1
# PostgreSQL's integer (int4): the ids of the few tables declared Integer (suppliers, rules)
ID_MAX = 2**31 - 1


def is_ascii_number(text: str) -> bool:
    """Only the digits 0-9: ``str.isdigit`` also takes ``²`` and ``٣``, which ``int`` refuses or
    reads as another digit."""
    return text.isascii() and text.isdecimal()


def parse_id(text: str, most: int = BIG_ID_MAX) -> int | None:
    """The id written in `text` (digits 0-9 only), or None if it is not one within 1..`most`."""
    text = text.strip()
    if not is_ascii_number(text) or len(text) > len(str(most)):
        return None
    number = int(text)
    return number if 1 <= number <= most else None
