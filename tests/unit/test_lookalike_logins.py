"""Logins that only look alike: one alphabet per part, and no new login next to an existing one
that reads the same (sign-up and staff creation, against the fakes)."""

from __future__ import annotations

import pytest

from komunalka.application.shared.actors import Actor
from komunalka.application.shared.lookalikes import check_one_alphabet, lookalikes
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import DomainError
from komunalka.domain.staff import StaffRole
from komunalka.i18n import translate
from tests.fakes import FakeClock, FakePasswords, InMemoryStore, kyiv

CYRILLIC_O = "\u043e"  # о
CYRILLIC_A = "\u0430"  # а
CYRILLIC_I = "\u0456"  # і


@pytest.fixture
def uc() -> Wiring:
    return Wiring.wire(InMemoryStore(), FakeClock(kyiv(2026, 11, 20)), passwords=FakePasswords())


def test_a_cyrillic_spelling_reads_as_its_latin_twin_and_back() -> None:
    cyrillic = "\u0441\u0430\u0440\u0441@example.com"  # с а р с: every letter Cyrillic
    assert "capc@example.com" in lookalikes(cyrillic)
    assert cyrillic in lookalikes("capc@example.com")
    assert "olena@example.com" in lookalikes("olena@\u0435\u0445\u0430\u043c\u0440\u04cf\u0435.com")


def test_fullwidth_and_capital_letters_fold_to_the_plain_login() -> None:
    assert "olena@example.com" in lookalikes("ｏｌｅｎａ@example.com")


@pytest.mark.parametrize("login", [f"{CYRILLIC_I}van@example.com", f"ivan@ex{CYRILLIC_A}mple.com"])
def test_a_part_mixing_alphabets_is_refused(login: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_one_alphabet(login)
    assert refused.value.code == "signin.login_mixed_script"


def test_one_alphabet_a_part_is_fine() -> None:
    check_one_alphabet("ivan@example.com")
    check_one_alphabet("іван@пошта.укр")
    check_one_alphabet("+380671234567")


@pytest.mark.parametrize(
    ("lookalike", "code"),
    [
        (f"{CYRILLIC_O}lena@example.com", "signin.login_mixed_script"),
        ("olena@ехамрӏе.сом", "signin.login_lookalike"),
        ("ＯＬＥＮＡ@example.com", "signin.login_lookalike"),
    ],
)
async def test_sign_up_refuses_a_login_that_reads_like_an_existing_one(
    uc, lookalike: str, code: str
) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    with pytest.raises(DomainError) as refused:
        await uc.sign_up(lookalike, "correct horse", "Самозванка")
    assert refused.value.code == code
    assert (await uc.sign_up("olena2@example.com", "correct horse", "Інша")).subject_id


async def test_staff_creation_refuses_a_lookalike_of_the_administrator(uc) -> None:
    system = Actor.system()
    await uc.add_staff(system, None, "admin@x.ua", "А", StaffRole.ADMINISTRATOR, "password1")
    for login, code in [
        ("аdmin@x.ua", "signin.login_mixed_script"),
        ("admin@х.ua", "signin.login_lookalike"),
    ]:
        with pytest.raises(DomainError) as refused:
            await uc.add_staff(system, None, login, "Б", StaffRole.CALL_CENTER, "password1")
        assert refused.value.code == code


@pytest.mark.parametrize("code", ["signin.login_lookalike", "signin.login_mixed_script"])
def test_both_refusals_are_worded_in_both_languages(code: str) -> None:
    uk, en = translate(code, "uk"), translate(code, "en")
    assert uk != code and en != code and uk != en
