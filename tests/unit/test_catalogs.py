"""Translation catalogs: every code the code can produce has words in both languages, and the
compiled catalogs match their sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from komunalka.i18n import LANGUAGES, LOCALE_DIR, negotiate, translate

SRC = Path(__file__).parents[2] / "src" / "komunalka"
# A stable code: a quoted "area.what" inside domain, application or a door.
CODE = re.compile(
    r'"((?:auth|demo|history|link|meter|period|reading|registry|request|resident|'
    r"submission|supplier|tariff|token|window|identity|chat|service|telegram|viber|"
    r'pages|signin|staff|cabinet|operator|portal|feed|webhook)\.[a-z_]+)"'
)
# Audit-log action names look like codes but are never shown to anyone.
AUDIT_ACTIONS = {
    "readings.submit",
    "account.link",
    "registry.import",
    "token.issue",
    "token.revoke",
    "resident.join",
    "resident.sign_up",
    "resident.password_reset",
    "resident.attach_messenger",
    "staff.add",
    "staff.update",
    "staff.sign_in",
    "meter.water_heater",
    "period.file_ready",  # the kind of a supplier event (webhook), not a message
    "webhook.set",
    "webhook.remove",
    "webhook.secret",
    "webhook.resend",
}
SAY = re.compile(r'(?:say|translate)\(\s*"([^"]+)"')
# In templates: _("code") or _('code'); a prefix joined to a variable (`_("kind_" ~ kind)`)
# ends in "_" and is not a message.
TEMPLATE_SAY = re.compile(r"""\b_\(\s*["']([a-z_]+\.[a-z_]*[a-z])["']""")


def used_msgids() -> set[str]:
    found: set[str] = {"error.unknown"}
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(CODE.findall(text)) | set(SAY.findall(text))
    for path in SRC.rglob("*.html"):
        found |= set(TEMPLATE_SAY.findall(path.read_text(encoding="utf-8")))
    return found - AUDIT_ACTIONS


def catalog(language: str, kind: str) -> dict[str, str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"komunalka.{kind}"
    with path.open("rb") as f:
        messages = read_po(f) if kind == "po" else read_mo(f)
    return {m.id: m.string for m in messages if m.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_the_code_uses_is_translated(language: str) -> None:
    translated = catalog(language, "po")
    missing = sorted(m for m in used_msgids() if not translated.get(m))
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogs_match_their_sources(language: str) -> None:
    assert catalog(language, "mo") == catalog(language, "po"), (
        "run: pybabel compile -d src/komunalka/locale -D komunalka"
    )


def test_both_languages_have_the_same_messages() -> None:
    assert set(catalog("uk", "po")) == set(catalog("en", "po"))


def test_parameters_are_filled_in_and_unknown_codes_fall_back() -> None:
    assert translate("reading.too_many_digits", "en", {"digits": 5}).endswith(
        "has 5 digits before the point."
    )
    assert translate("no.such_code", "uk") == translate("error.unknown", "uk")
    assert translate("reading.empty", "xx") == translate("reading.empty", "uk")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "uk"),
        ("", "uk"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("de,en;q=0.5", "en"),
        ("uk-UA,uk;q=0.9,en;q=0.8", "uk"),
        ("fr", "uk"),
        ("en;q=0.3,uk;q=0.9", "uk"),
        ("en;q=abc", "en"),
    ],
)
def test_the_language_follows_accept_language(header: str | None, language: str) -> None:
    assert negotiate(header) == language
