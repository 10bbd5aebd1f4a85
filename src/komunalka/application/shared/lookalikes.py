"""Logins that only look alike: ``olena@example.com`` typed with a Cyrillic ``о`` or ``е`` is
another login to the database and the same one to a reader, so a new login may not sit next to
an existing one that reads the same (after Unicode's confusables, UTS #39, for the letters
Ukrainian keyboards type).

The rule, where logins are made (sign-up, staff creation): a part of a login (the text between
``@ . + - _``) must be written in one alphabet (``signin.login_mixed_script``), and none of the
logins it could be confused with may exist (``signin.login_lookalike``). One alphabet per part
keeps the look-alikes few: each part is itself, or its twin in the other alphabet when every
letter of it has one; `lookalikes` lists every combination. Signing in is untouched: a login
made before this rule still signs in as it was typed.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Awaitable, Callable

from komunalka.domain.errors import DomainError

# Cyrillic (and Greek) letters that read as a Latin letter, lower case (UTS #39 confusables).
_TO_LATIN = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "һ": "h", "ԁ": "d", "ӏ": "l",
    "ԛ": "q", "ԝ": "w", "ү": "y", "ο": "o", "ν": "v", "ρ": "p", "ι": "i", "κ": "k", "χ": "x",
    "α": "a", "υ": "u",
}  # fmt: skip
# The other way, one twin per Latin letter: what a Cyrillic-typed look-alike of it would be.
_TO_CYRILLIC = {
    "a": "а", "b": "в", "e": "е", "k": "к", "m": "м", "h": "н", "o": "о", "p": "р", "c": "с",
    "t": "т", "y": "у", "x": "х", "i": "і", "j": "ј", "s": "ѕ", "d": "ԁ", "l": "ӏ", "q": "ԛ",
    "w": "ԝ",
}  # fmt: skip
_SEPARATORS = re.compile(r"([@.+\-_])")
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
_MOST = 64  # look-alikes checked at most (a login of many short parts)


def _scripts(part: str) -> set[str]:
    found = set()
    for char in part:
        if char.isalpha():
            name = unicodedata.name(char, "")
            found |= {script for script in _SCRIPTS if script in name.split()}
            if not any(script in name.split() for script in _SCRIPTS):
                found.add("OTHER")
    return found


def _twins(part: str) -> list[str]:
    forms = [part]
    for table in (_TO_LATIN, _TO_CYRILLIC):
        letters = [c for c in part if c.isalpha()]
        if letters and all(c in table for c in letters):
            twin = "".join(table.get(c, c) for c in part)
            if twin not in forms:
                forms.append(twin)
    return forms


def _parts(login: str) -> list[str]:
    return _SEPARATORS.split(unicodedata.normalize("NFKC", login).casefold())


def check_one_alphabet(login: str) -> None:
    """Refuses a login one part of which mixes alphabets (``іvan``: Cyrillic і, Latin van)."""
    for part in _parts(login):
        if len(_scripts(part) - {"OTHER"}) > 1:
            raise DomainError.of("signin.login_mixed_script")


def lookalikes(login: str) -> list[str]:
    """Logins that read like `login` and differ from it: its NFKC, case-folded form and every
    mix of its parts and their other-alphabet twins."""
    choices = [_twins(part) for part in _parts(login)]
    found: list[str] = []
    for combination in itertools.islice(itertools.product(*choices), _MOST):
        candidate = "".join(combination)
        if candidate != login and candidate not in found:
            found.append(candidate)
    return found


async def refuse_lookalikes(login: str, taken: Callable[[str], Awaitable[bool]]) -> None:
    """Both rules, for a new login: `taken(other)` says whether a login exists (the caller's
    repository, in its transaction)."""
    check_one_alphabet(login)
    for other in lookalikes(login):
        if await taken(other):
            raise DomainError.of("signin.login_lookalike")
