"""The chat's typed state: each step's stored form, read back and checked."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from komunalka.application.identity.ports import Identity
from komunalka.chat.state import (
    CorrectConfirm,
    Correcting,
    DialogState,
    LinkConfirm,
    LinkNumber,
    LinkProof,
    LinkSupplier,
    Menu,
    Question,
    SendConfirm,
    Sending,
    Unreadable,
    Walk,
    dump,
    load,
    recalled,
)

ME = Identity("telegram", "42", 7, "uk", False)
HOT = Question(6, "T1", "HW0011234", "Гаряча вода", True, 3, "115.000", "2026-10")
DAY = Question(11, "day", "EL0011111", "Електроенергія", False, 0, None, "")
NIGHT = Question(11, "night", "EL0011111", "Електроенергія", False, 0, None, "")
WALK = Walk((HOT, DAY, NIGHT), 1, (("day", "4000"),), ("✓ №HW0011234 T1: 116.000",), ("— a note",))

# A round of sending in progress as the dict-based dialog stored it (the form it saved, copied
# from a run of it): the second meter's first zone typed, the first meter's receipt kept.
BEFORE_TYPING = {
    "step": "send",
    "queue": [
        {
            "meter": 6,
            "zone": "T1",
            "serial": "HW0011234",
            "service": "Гаряча вода",
            "single": True,
            "decimals": 3,
            "previous": "115.000",
            "period": "2026-10",
        },
        {
            "meter": 11,
            "zone": "day",
            "serial": "EL0011111",
            "service": "Електроенергія",
            "single": False,
            "decimals": 0,
            "previous": "1000",
            "period": "2026-04",
        },
        {
            "meter": 11,
            "zone": "night",
            "serial": "EL0011111",
            "service": "Електроенергія",
            "single": False,
            "decimals": 0,
            "previous": "500",
            "period": "2026-04",
        },
        {
            "meter": 11,
            "zone": "total",
            "serial": "EL0011111",
            "service": "Електроенергія",
            "single": False,
            "decimals": 0,
            "previous": "1500",
            "period": "2026-04",
        },
    ],
    "pos": 2,
    "values": {"day": "1100"},
    "done": ["✓ №HW0011234 T1: 116.000 — квитанція 2611-SQXZ-ZAXP"],
    "notes": ["— №HW0019999: Строк повірки лічильника минув 2026-11-17."],
    "warnings": [],
    "identity": {"resident": 24, "language": "uk", "reminders": False},
}


@pytest.mark.parametrize(
    "state",
    [
        Menu(),
        LinkNumber(),
        LinkSupplier("1000001357"),
        LinkProof("1000001357", "kte"),
        LinkConfirm("1000001357", "kte", "шев"),
        Sending(WALK),
        Sending(Walk((HOT,))),
        SendConfirm(WALK, (("day", "reading.jump"),)),
        SendConfirm(replace(WALK, unchanged=("night",)), (("night", "reading.rollover"),)),
        Correcting("2611-AAAA-BBBB"),
        CorrectConfirm("2611-AAAA-BBBB", "190", ("reading.jump", "reading.other")),
    ],
)
def test_every_step_reads_back_from_its_stored_json(state: DialogState) -> None:
    stored = json.loads(json.dumps(dump(state, ME)))
    assert stored["step"] == state.STEP
    assert load(stored) == state
    assert recalled("telegram", "42", stored) == ME


def test_a_round_stored_before_the_state_was_typed_reads_where_it_was() -> None:
    state = load(BEFORE_TYPING)
    assert isinstance(state, Sending)
    assert state.walk.question == Question(
        11, "night", "EL0011111", "Електроенергія", False, 0, "500", "2026-04"
    )
    assert state.walk.values == (("day", "1100"),)
    assert state.walk.done == ("✓ №HW0011234 T1: 116.000 — квитанція 2611-SQXZ-ZAXP",)


def test_the_stored_form_is_no_larger_than_the_dict_dialogs() -> None:
    identity = Identity("telegram", "42", 24, "uk", False)
    before = json.dumps(BEFORE_TYPING, ensure_ascii=False)
    after = json.dumps(dump(load(BEFORE_TYPING), identity), ensure_ascii=False)
    assert len(after) < len(before)  # the empty warnings are left out
    assert json.loads(after) == {k: v for k, v in BEFORE_TYPING.items() if k != "warnings"}


def test_a_cleared_state_is_at_the_menu() -> None:
    assert load({}) == Menu()  # what attaching a Telegram account to another resident leaves
    assert load({"identity": BEFORE_TYPING["identity"]}) == Menu()
    assert load({"step": "menu", "queue": "left over"}) == Menu()


def broken(**changes: object) -> dict[str, object]:
    return {**BEFORE_TYPING, **changes}


def question(**changes: object) -> dict[str, object]:
    return {**BEFORE_TYPING["queue"][0], **changes}  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "stored",
    [
        [],
        "send",
        17,
        {"step": "sending"},
        {"step": None},
        {"step": "link_proof", "number": "1000001357"},
        {"step": "link_confirm", "number": 1000001357, "supplier": "kte", "proof": "шев"},
        {"step": "correct"},
        {"step": "correct_confirm", "receipt": "r", "value": "1", "warnings": "reading.jump"},
        broken(queue=[]),
        broken(queue="x"),
        broken(queue=[question(meter="6")]),
        broken(queue=[question(single=1)]),
        broken(queue=[question(previous=115)]),
        broken(queue=[None]),
        broken(pos=4),
        broken(pos=-1),
        broken(pos="2"),
        broken(values=["1100"]),
        broken(values={"day": 1100}),
        broken(done="✓"),
        broken(notes=[None]),
        broken(step="confirm", warnings=None),
    ],
)
def test_anything_but_a_whole_state_of_a_known_step_is_unreadable(stored: object) -> None:
    with pytest.raises(Unreadable):
        load(stored)


def test_warnings_stored_as_one_list_are_every_answered_zones() -> None:
    stored = {**BEFORE_TYPING, "step": "confirm", "values": {"day": "1100", "night": "550"}}
    state = load({**stored, "warnings": ["reading.jump"]})
    assert isinstance(state, SendConfirm)
    assert state.warnings == (("day", "reading.jump"), ("night", "reading.jump"))
    assert load(dump(state, ME)) == state


def test_a_walk_asks_again_only_the_zones_named() -> None:
    walk = replace(WALK, values=(("day", "4000"), ("night", "2000")), pos=2)
    again = walk.again(["night"])
    assert again.question == NIGHT and again.values == (("day", "4000"),)
    assert walk.again(["T9"]).question == DAY and walk.again([]).values == ()
