"""A messenger's update delivered again: a finished turn is not carried out twice, one under way
is left to whoever runs it, one cut off (its lease ran out) is carried out from the state before
it, storing nothing twice (ADR 0015)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from komunalka.chat.conversation import Conversation
from komunalka.chat.model import Reply, TurnUnderWay
from komunalka.domain.services import Channel
from tests.unit.test_chat import CONTACTS, START, Chat, linked, press, remembering_chat, text


def lease_runs_out(chat: Chat) -> None:
    chat.dialogs.now += chat.dialogs.lease + timedelta(seconds=1)


async def test_a_turn_that_fails_half_way_is_carried_out_when_delivered_after_its_lease() -> None:
    chat, _, dialogs = await remembering_chat()
    await chat(START)
    before = dict(dialogs.states[("telegram", "42")])

    async def crash(*_: object) -> None:
        raise ConnectionError("the database went away")

    failing = Conversation(
        replace(chat.uses, list_my_meters=crash, readings_sheet=crash),  # type: ignore[arg-type]
        dialogs,
        Channel.TELEGRAM,
        CONTACTS,
    )
    with pytest.raises(ConnectionError):
        await failing.handle("42", "Тарас", press("meters"), delivery="77")
    assert dialogs.states[("telegram", "42")] == before
    with pytest.raises(TurnUnderWay):  # its lease is live: someone may still be on it
        await chat.conversation.handle("42", "Тарас", press("meters"), delivery="77")
    lease_runs_out(chat)
    said = await chat.conversation.handle("42", "Тарас", press("meters"), delivery="77")
    assert said and said[-1].buttons
    assert await chat.conversation.handle("42", "Тарас", press("meters"), delivery="77") == []


async def test_a_reading_stored_by_a_turn_cut_off_is_not_stored_again_by_its_redelivery() -> None:
    chat, _, dialogs = await remembering_chat()
    await linked(chat)
    await chat(press("send"))
    before = dict(dialogs.states[("telegram", "42")])

    async def die(_: list[Reply]) -> None:  # the reading is stored; the process dies sending
        raise ConnectionError("killed")

    with pytest.raises(ConnectionError):
        await chat.conversation.handle("42", "Тарас", text("117,5"), delivery="90", send=die)
    assert dialogs.states[("telegram", "42")] == before  # the turn did not finish
    stored = [r for r in chat.store.state.readings if r.value == Decimal("117.5")]
    assert len(stored) == 1
    lease_runs_out(chat)
    sent: list[Reply] = []

    async def hand_over(replies: list[Reply]) -> None:
        sent.extend(replies)

    said = await chat.conversation.handle(
        "42", "Тарас", text("117,5"), delivery="90", send=hand_over
    )
    assert said == sent
    assert f"117,5 — квитанція {stored[0].receipt}" in "\n".join(r.text for r in said)
    assert [r for r in chat.store.state.readings if r.value == Decimal("117.5")] == stored
    assert await chat.conversation.handle("42", "Тарас", text("117,5"), delivery="90") == []
