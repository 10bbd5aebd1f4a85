"""Telegram updates read by hand: the shapes the bot answers and the ones it ignores."""

from __future__ import annotations

from typing import Any

import pytest

from komunalka.channels.telegram.updates import Incoming, NotAnUpdate, parse
from komunalka.chat.model import Event, EventKind

USER = {"id": 7, "is_bot": False, "first_name": "Тарас", "last_name": "Шевченко"}
CHAT = {"id": 70, "type": "private"}


def message(**fields: Any) -> dict[str, Any]:
    return {"message_id": 1, "date": 0, "chat": CHAT, "from": USER, **fields}


def test_a_typed_message_is_text_from_its_user_in_its_chat() -> None:
    found = parse({"update_id": 3, "message": message(text="117,5")})
    assert found == Incoming(3, 70, 7, "Тарас Шевченко", Event(EventKind.TEXT, "117,5"))


def test_start_carries_its_deep_link() -> None:
    found = parse({"update_id": 3, "message": message(text="/start 1000001357")})
    assert found is not None and found.event == Event(EventKind.START, "1000001357")


def test_a_photo_reads_as_empty_text_and_a_first_name_alone_is_the_name() -> None:
    user = {"id": 7, "is_bot": False, "first_name": "Оля"}
    found = parse({"update_id": 3, "message": message(photo=[], **{"from": user})})
    assert found is not None and found.event == Event(EventKind.TEXT, "")
    assert found.name == "Оля"


def test_a_button_press_is_its_data_with_the_query_to_answer() -> None:
    query = {"id": "q1", "from": USER, "chat_instance": "c", "data": "send", "message": message()}
    found = parse({"update_id": 4, "callback_query": query})
    assert found == Incoming(4, 70, 7, "Тарас Шевченко", Event(EventKind.BUTTON, "send"), "q1")


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 5},
        {"update_id": 5, "edited_message": message(text="1")},
        {"update_id": 5, "channel_post": message(text="1")},
        {"update_id": 5, "message": {"message_id": 1, "date": 0, "chat": CHAT, "text": "1"}},
        {"update_id": 5, "callback_query": {"id": "q", "from": USER, "chat_instance": "c"}},
        {
            "update_id": 5,
            "callback_query": {"id": "q", "from": USER, "data": "x", "inline_message_id": "i"},
        },
    ],
    ids=["empty", "edited", "channel post", "no sender", "no data", "inline message"],
)
def test_updates_the_bot_does_not_answer_are_ignored(update: dict[str, Any]) -> None:
    assert parse(update) is None


@pytest.mark.parametrize(
    "body",
    [
        {"hello": "world"},
        {"update_id": "5"},
        {"update_id": True},
        {"update_id": 5, "message": "text"},
        {"update_id": 5, "message": message(text=5)},
        {"update_id": 5, "message": message(chat={"id": "70"})},
        {"update_id": 5, "message": message(**{"from": {"id": 7}})},
        {"update_id": 5, "callback_query": {"from": USER, "data": "x", "message": message()}},
    ],
)
def test_a_body_that_is_not_an_update_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(NotAnUpdate):
        parse(body)


def test_a_photo_is_its_largest_size_and_an_image_file_is_a_photo_too() -> None:
    sizes = [
        {"file_id": "big", "file_unique_id": "b", "width": 1280, "height": 960},
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 68},
    ]
    found = parse({"update_id": 3, "message": message(photo=sizes)})
    assert found is not None and found.event == Event(EventKind.PHOTO)
    assert found.file_id == "big"
    image = {"file_id": "doc", "mime_type": "image/png"}
    found = parse({"update_id": 4, "message": message(document=image)})
    assert found is not None and (found.event.kind, found.file_id) == (EventKind.PHOTO, "doc")
    pdf = {"file_id": "pdf", "mime_type": "application/pdf"}
    found = parse({"update_id": 5, "message": message(document=pdf)})
    assert found is not None and found.event == Event(EventKind.TEXT, "")
    assert found.file_id is None
    with pytest.raises(NotAnUpdate):
        parse({"update_id": 6, "message": message(photo=[{"width": 1, "height": 1}])})
