"""The conversation, whole dialogs against the in-memory fakes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from komunalka.application.identity.identify_resident import IdentifyResident
from komunalka.application.identity.ports import Identity
from komunalka.bootstrap.container import chat_use_cases
from komunalka.bootstrap.wiring import Wiring
from komunalka.chat import sending
from komunalka.chat.conversation import Conversation
from komunalka.chat.model import Contacts, Event, EventKind, Reply
from komunalka.chat.turn import MENU
from komunalka.chat.use_cases import ChatUseCases
from komunalka.domain.services import Channel
from komunalka.i18n import translate
from tests.fakes import FakeCharts, FakeClock, InMemoryDialogStore, InMemoryStore, kyiv
from tests.unit.test_chat_state import BEFORE_TYPING
from tests.world import build_world

START = Event(EventKind.START)


def text(value: str) -> Event:
    return Event(EventKind.TEXT, value)


def press(action: str) -> Event:
    return Event(EventKind.BUTTON, action)


def kinds(actions: list[str]) -> list[str]:
    """The buttons' kinds, without the meter and zone a question's buttons carry."""
    return [a.split(":", 1)[0] for a in actions]


CONTACTS = Contacts("https://komunalka.example", "1551")


class Chat:
    def __init__(
        self, uses: ChatUseCases, dialogs: InMemoryDialogStore, charts: FakeCharts | None = None
    ) -> None:
        self.uses = uses
        self.dialogs = dialogs
        self.conversation = Conversation(uses, dialogs, Channel.TELEGRAM, CONTACTS, charts)
        self.user = "42"
        self.name = "Тарас"
        self.last: list[Reply] = []
        self.store = InMemoryStore()

    async def __call__(self, event: Event) -> str:
        self.last = await self.conversation.handle(self.user, self.name, event)
        return "\n".join(r.text for r in self.last)

    @property
    def actions(self) -> list[str]:
        return [b.action for r in self.last for b in r.buttons]


@pytest.fixture
async def chat() -> Chat:
    store = InMemoryStore()
    await build_world(store)
    use_cases = chat_use_cases(Wiring.wire(store, FakeClock(kyiv(2026, 11, 20))))
    talk = Chat(use_cases, InMemoryDialogStore())
    talk.store = store
    return talk


async def linked(chat: Chat, number: str = "1000001357") -> str:
    await chat(START)
    await chat(press("link"))
    await chat(text(number))
    await chat(text("шев"))
    return await chat(press("linkyes"))


async def test_start_greets_and_offers_the_main_actions(chat: Chat) -> None:
    said = await chat(START)
    assert "Комуналка" in said
    assert chat.actions == list(MENU)


async def test_an_account_is_shown_masked_and_linked_on_confirmation(chat: Chat) -> None:
    await chat(START)
    await chat(press("link"))
    await chat(text("1000 001 357"))
    said = await chat(text("шев"))
    assert "Це ваш рахунок? Київтеплоенерго: Шев***** Т. Г., Київ, вул. Хрещатик, 1." in said
    assert chat.actions == ["linkyes", "menu"]
    assert "Рахунок додано: Київтеплоенерго, Шев***** Т. Г." in await chat(press("linkyes"))
    # nothing left to confirm: the button is from a step that is over
    assert translate("chat.button_outdated", "uk") in await chat(press("linkyes"))
    assert chat.actions == list(MENU)


async def test_a_number_several_suppliers_use_is_settled_by_a_button(chat: Chat) -> None:
    from komunalka.domain.meters import Supplier
    from komunalka.domain.windows import WindowRule

    async with chat.store(write=True) as u:
        other = Supplier(0, "other", "Інший постачальник", WindowRule.default(), r"\d{10}")
        await chat.store.suppliers.add(other, ["heat"])
        await u.commit()
    await chat(START)
    await chat(press("link"))
    said = await chat(text("1000001357"))
    assert "Чий це рахунок?" in said
    assert chat.actions == ["sup:kte", "sup:other", "menu"]
    assert "перші три літери" in await chat(press("sup:kte"))
    await chat(text("Шев"))
    assert "Рахунок додано" in await chat(press("linkyes"))


async def test_a_number_no_supplier_uses_is_asked_again(chat: Chat) -> None:
    await chat(START)
    await chat(press("link"))
    said = await chat(text("12"))
    assert "має неправильний формат" in said and "Введіть номер особового рахунку" in said


async def test_a_deep_link_goes_straight_to_the_proof(chat: Chat) -> None:
    said = await chat(Event(EventKind.START, "1000001357"))
    assert "перші три літери прізвища" in said
    assert "Це ваш рахунок?" in await chat(text("HW-001 1234"))  # a meter serial proves it too
    assert "Рахунок додано" in await chat(press("linkyes"))


async def test_wrong_proofs_are_limited(chat: Chat) -> None:
    await chat(Event(EventKind.START, "1000001357"))
    for _ in range(5):
        said = await chat(text("Ков"))
        assert "не збігається" in said
    await chat(press("link"))  # the last one led to the menu: the link is started again
    await chat(text("1000001357"))
    said = await chat(text("Шев"))
    assert "Забагато невдалих спроб" in said


async def test_sending_walks_the_due_meters_and_ends_with_receipts(chat: Chat) -> None:
    await linked(chat)
    said = await chat(press("send"))
    assert "попередній показник 115 (за жовтень 2026)" in said
    assert kinds(chat.actions) == ["unchanged", "skip", "menu"]
    said = await chat(text("117,5"))
    assert "Готово. Передано:" in said
    assert "№HW0011234: 117,5 — квитанція 2611-" in said
    assert "HW0019999: Строк повірки лічильника минув 17 листопада 2026" in said


async def test_unchanged_sends_the_previous_value(chat: Chat) -> None:
    await linked(chat)
    await chat(press("send"))
    said = await chat(press("unchanged"))
    assert "№HW0011234: 115 — квитанція" in said


async def test_a_jump_asks_for_confirmation_then_lands(chat: Chat) -> None:
    await linked(chat)
    await chat(press("send"))
    said = await chat(text("190"))
    assert "значно більше за звичне" in said
    assert kinds(chat.actions) == ["confirm", "reenter", "menu"]
    assert "Спершу підтвердьте" in await chat(text("191"))
    assert "№HW0011234: 190 — квитанція" in await chat(press("confirm"))


async def test_garbage_numbers_are_explained_and_asked_again(chat: Chat) -> None:
    await linked(chat)
    await chat(press("send"))
    for garbage in ("abc", "-5", "1e3", "12345678"):
        said = await chat(text(garbage))
        assert "Введіть поточний" in said
        assert kinds(chat.actions) == ["unchanged", "skip", "menu"]
    assert "№HW0011234: 117 — квитанція" in await chat(text("117"))


async def test_a_closed_window_says_when_it_opens(chat: Chat) -> None:
    await linked(chat, "3000917")
    said = await chat(press("send"))
    assert "Зараз немає лічильників, що чекають показників." in said
    assert "прийом відкриється 29 листопада 2026" in said


async def test_any_other_message_gets_a_short_answer_and_the_menu(chat: Chat) -> None:
    await chat(START)
    said = await chat(text("привіт"))
    assert "Не зрозумів" in said and chat.actions == list(MENU)
    await chat(press("nonsense"))
    assert chat.actions == list(MENU)


async def test_the_language_switches_to_english_and_back(chat: Chat) -> None:
    await chat(START)
    await chat(press("settings"))
    said = await chat(press("lang:en"))
    assert "Language: English" in said
    said = await chat(press("menu"))
    assert said == "What shall we do?"
    assert next(b.label for r in chat.last for b in r.buttons) == "Send readings"
    await chat(press("settings"))
    assert "Мова: українська" in await chat(press("lang:uk"))


async def test_help_names_the_other_channels(chat: Chat) -> None:
    await chat(START)
    said = await chat(press("help"))
    assert "https://komunalka.example" in said and "1551" in said


async def test_every_button_has_words_in_both_languages() -> None:
    from komunalka.i18n import translate

    for action in (*MENU, *sending.ACTIONS, "menu", "reminders"):
        for language in ("uk", "en"):
            assert translate(f"chat.btn_{action}", language) != translate("error.unknown", language)


async def test_history_lists_each_period_with_its_use(chat: Chat) -> None:
    await linked(chat)
    said = await chat(press("meters"))
    actions = [a for a in chat.actions if not a.startswith("heater:")]
    assert "HW0011234" in said and actions == ["history", "shared", "unlink", "menu"]
    said = await chat(press("history"))
    assert "Гаряча вода №HW0011234:" in said
    assert "жовтень 2026: +2,5 м³ (115)" in said
    assert "2026-" not in said and "T1" not in said  # no machine periods, no zone codes


async def test_history_prices_use_at_the_tariff(chat: Chat) -> None:
    from datetime import date
    from decimal import Decimal

    from komunalka.domain.services import Service
    from komunalka.domain.tariffs import Tariff

    async with chat.store(write=True) as u:
        kte = await chat.store.suppliers.by_code("kte")
        await chat.store.tariffs.add(
            Tariff(kte.id, Service.HOT_WATER, Decimal("100.00"), date(2024, 1, 1), demo=True)
        )
        await u.commit()
    await linked(chat)
    said = await chat(press("history"))
    assert "жовтень 2026: +2,5 м³ ≈ 250,00 грн (115)" in said
    assert "орієнтовно, за демонстраційним тарифом" in said
    await chat(press("lang:en"))  # money as everywhere else in English: the amount, then UAH
    assert "October 2026: +2.5 m³ ≈ 250.00 UAH (115)" in await chat(press("history"))


async def test_an_account_is_removed_from_the_list(chat: Chat) -> None:
    await linked(chat)
    await chat(press("unlink"))
    (choice,) = [a for a in chat.actions if a.startswith("unlink:")]
    said = await chat(press(choice))
    assert "Рахунок прибрано: Київтеплоенерго 1000001357." in said
    assert "У вас ще немає рахунків" in await chat(press("send"))
    assert "Не зрозумів" in await chat(press("unlink:999"))


async def test_a_resident_sees_who_else_linked_an_account_and_removes_one_after_asking(
    chat: Chat,
) -> None:
    await linked(chat)  # the world's resident, Тарас, linked this account before
    chat.user, chat.name = "43", "Олена Коваль"  # and another resident links it in their chat
    await linked(chat)
    chat.user, chat.name = "42", "Тарас"
    told = len(chat.store.state.outbox)
    said = await chat(press("shared"))
    assert "Київтеплоенерго 1000001357\nЦей рахунок додали також:" in said
    assert "• Оле** К., з 20 листопада 2026" in said and "• Тар**, з " in said
    labels = {b.label: b.action for r in chat.last for b in r.buttons}
    assert list(labels) == [
        "Прибрати Оле** К. (1000001357)",
        "Прибрати Тар** (1000001357)",
        "Меню",
    ]
    said = await chat(press(labels["Прибрати Оле** К. (1000001357)"]))
    assert "Прибрати Оле** К. (додано 20 листопада 2026) з рахунку 1000001357" in said
    assert "ми повідомимо її про це" in said
    yes = chat.actions[0]
    assert chat.actions == [yes, "menu"] and yes.startswith("unshareyes:")
    assert "Людину прибрано з рахунку." in await chat(press(yes))
    assert len(chat.store.state.outbox) == told + 1  # the removed resident is told
    assert "Не зрозумів" in await chat(press(yes))  # no longer linked: names no one
    assert "Не зрозумів" in await chat(press("unshare:1:x"))
    await chat(press(labels["Прибрати Тар** (1000001357)"]))
    await chat(press(chat.actions[0]))
    assert "Ваші рахунки більше ніхто не додавав." in await chat(press("shared"))
    chat.user = "43"
    assert "У вас ще немає рахунків" in await chat(press("send"))


async def test_a_sent_reading_is_corrected_while_the_window_is_open(chat: Chat) -> None:
    await linked(chat)
    await chat(press("send"))
    await chat(text("118"))
    await chat(press("meters"))
    assert "correct" in chat.actions
    await chat(press("correct"))
    (choice,) = [a for a in chat.actions if a.startswith("fix:")]
    assert "квитанція" in await chat(press(choice))
    assert "не число" in await chat(text("abc"))
    said = await chat(text("117,5"))
    assert "Виправлено: 117,5," in said and "Попередній показник збережено" in said
    said = await chat(press("history"))
    assert "листопад 2026: +2,5 м³ (117,5)" in said


async def test_a_correction_with_a_jump_asks_first(chat: Chat) -> None:
    await linked(chat)
    await chat(press("send"))
    await chat(text("117"))
    await chat(press("correct"))
    (choice,) = [a for a in chat.actions if a.startswith("fix:")]
    await chat(press(choice))
    said = await chat(text("190"))
    assert "значно більше за звичне" in said and "fixconfirm" in chat.actions
    assert "Виправлено: 190" in await chat(press("fixconfirm"))


async def test_history_comes_with_a_chart_of_the_use(chat: Chat) -> None:
    charts = FakeCharts()
    chat = Chat(chat.uses, chat.dialogs, charts)
    await linked(chat)
    await chat(press("history"))
    pictures = [r.picture for r in chat.last if r.picture]
    assert pictures == [b"\x89PNG fake"]
    ((title, labels, values, unit),) = charts.calls
    assert title == "Гаряча вода №HW0011234" and unit == "м³"
    assert labels[-1] == "2026-10" and values[-1] == 2.5


class CountingIdentify:
    """IdentifyResident, counting the lookups."""

    def __init__(self, identify: IdentifyResident) -> None:
        self.identify = identify
        self.calls = 0

    async def __call__(
        self, channel: Channel, external_id: str, name: str, language: str | None = None
    ) -> Identity:
        self.calls += 1
        return await self.identify(channel, external_id, name, language)


async def remembering_chat() -> tuple[Chat, CountingIdentify, InMemoryDialogStore]:
    store = InMemoryStore()
    await build_world(store)
    use_cases = chat_use_cases(Wiring.wire(store, FakeClock(kyiv(2026, 11, 20))))
    counting = CountingIdentify(use_cases.identify_resident)
    use_cases = replace(use_cases, identify_resident=counting)  # type: ignore[arg-type]
    dialogs = InMemoryDialogStore()
    talk = Chat(use_cases, dialogs)
    talk.store = store
    return talk, counting, dialogs


async def test_who_the_user_is_is_looked_up_once_and_then_remembered() -> None:
    chat, counting, _ = await remembering_chat()
    await chat(START)
    await chat(press("settings"))
    await chat(press("lang:en"))
    assert await chat(press("menu")) == "What shall we do?"
    assert counting.calls == 1
    stored = chat.store.state.identities[("telegram", "42")]
    assert stored.language == "en"  # the database has the change too


async def test_a_garbled_remembered_identity_is_looked_up_again() -> None:
    chat, counting, dialogs = await remembering_chat()
    await chat(START)
    for garbled in ({"resident": "1", "language": "uk", "reminders": False}, "x", None):
        dialogs.states[("telegram", "42")]["identity"] = garbled
        assert await chat(press("menu")) == "Що робимо?"
    assert counting.calls == 4


async def test_a_delivery_seen_before_has_no_effect_and_no_replies(chat: Chat) -> None:
    handle = chat.conversation.handle
    first = await handle("42", "Тарас", press("settings"), delivery="7")
    assert "Мова: українська" in first[0].text
    assert await handle("42", "Тарас", press("lang:en"), delivery="8")
    assert await handle("42", "Тарас", press("lang:uk"), delivery="8") == []
    said = await handle("42", "Тарас", press("menu"), delivery="9")
    assert said[0].text == "What shall we do?"


async def chat_at(day: int) -> Chat:
    store = InMemoryStore()
    await build_world(store)
    use_cases = chat_use_cases(Wiring.wire(store, FakeClock(kyiv(2026, 11, day))))
    talk = Chat(use_cases, InMemoryDialogStore())
    talk.store = store
    return talk


async def test_a_round_of_sending_stored_before_the_state_was_typed_goes_on() -> None:
    chat = await chat_at(29)  # both windows open
    await linked(chat)
    await linked(chat, "3000917")
    kept = chat.dialogs.states[("telegram", "42")]
    chat.dialogs.states[("telegram", "42")] = {**BEFORE_TYPING, "identity": kept["identity"]}
    assert "зона «сумарна»" in await chat(text("550"))
    said = await chat(text("1650"))
    assert "Готово. Передано:" in said
    assert "✓ №HW0011234 T1: 116.000 — квитанція 2611-SQXZ-ZAXP" in said  # kept in the round
    assert "№EL0011111 денна: 1\u202f100 — квитанція" in said
    assert "№EL0011111 нічна: 550 — квитанція" in said
    assert "Строк повірки лічильника минув" in said


@pytest.mark.parametrize(
    "garbage",
    [
        {"step": "send", "queue": [{"meter": 6}], "pos": 0},  # would have raised KeyError
        {**BEFORE_TYPING, "pos": 9},  # would have raised IndexError
        {"step": "unheard of"},
        ["not", "an", "object"],
    ],
)
async def test_a_state_that_cannot_be_read_starts_over_politely(garbage: object) -> None:
    chat = await chat_at(20)
    await linked(chat)
    chat.dialogs.states[("telegram", "42")] = garbage  # type: ignore[assignment]
    said = await chat(text("117"))
    assert (
        said == "Вибачте, я загубив, на чому ми зупинилися. Почнімо спочатку: оберіть дію кнопкою."
    )
    assert chat.actions == list(MENU)
    assert chat.dialogs.states[("telegram", "42")]["step"] == "menu"
    assert "Не зрозумів" in await chat(text("117"))  # from there on, as any menu


async def test_after_a_state_that_cannot_be_read_a_button_acts_as_usual() -> None:
    chat = await chat_at(20)
    await linked(chat)
    chat.dialogs.states[("telegram", "42")]["step"] = "unheard of"
    said = await chat(press("send"))
    assert "попередній показник 115 (за жовтень 2026)" in said


async def chat_on(clock: FakeClock) -> Chat:
    store = InMemoryStore()
    await build_world(store)
    talk = Chat(chat_use_cases(Wiring.wire(store, clock)), InMemoryDialogStore())
    talk.store = store
    return talk


async def test_a_refusal_after_a_yes_asks_for_the_value_again_and_takes_it() -> None:
    clock = FakeClock(kyiv(2026, 11, 30, 23, 50))
    chat = await chat_on(clock)
    await linked(chat)
    await chat(press("send"))
    assert "значно більше за звичне" in await chat(text("190"))
    clock.instant = kyiv(2026, 12, 1, 0, 10)  # the window closed while the warning waited
    said = await chat(press("confirm"))
    assert "Прийом показників закрито" in said
    assert "попередній показник 115 (за жовтень 2026)" in said
    assert kinds(chat.actions) == ["unchanged", "skip", "menu"]
    clock.instant = kyiv(2026, 12, 5)  # the next window
    assert "№HW0011234: 118 — квитанція 2612-" in await chat(text("118"))


async def test_a_correction_refused_after_its_yes_asks_for_the_value_again() -> None:
    clock = FakeClock(kyiv(2026, 11, 30, 23, 50))
    chat = await chat_on(clock)
    await linked(chat)
    await chat(press("send"))
    await chat(text("117"))
    await chat(press("correct"))
    (choice,) = [a for a in chat.actions if a.startswith("fix:")]
    await chat(press(choice))
    assert "значно більше" in await chat(text("190"))
    assert "fixconfirm" in chat.actions
    clock.instant = kyiv(2026, 12, 1, 0, 10)
    said = await chat(press("fixconfirm"))
    assert "за листопад 2026 закрито" in said and "Введіть правильний показник" in said
    said = await chat(text("118"))
    assert "Не зрозумів" not in said  # the value is taken, and judged
    assert "за листопад 2026 закрито" in said and "Введіть правильний показник" in said


async def test_only_the_zones_refused_are_asked_again() -> None:
    chat = await chat_at(29)
    await linked(chat)
    await linked(chat, "3000917")
    said = await chat(press("send"))
    if "HW0011234" in said:
        await chat(text("117"))
    await chat(text("1100"))
    await chat(text("550"))
    said = await chat(text("abc"))
    assert "не число" in said and "зона «сумарна»" in said
    said = await chat(text("1650"))
    assert "№EL0011111 денна: 1\u202f100 — квитанція" in said
    assert "№EL0011111 сумарна: 1\u202f650 — квитанція" in said


async def test_a_yes_awaited_in_a_state_stored_before_goes_on() -> None:
    chat = await chat_at(20)
    await linked(chat)
    kept = chat.dialogs.states[("telegram", "42")]
    hot = BEFORE_TYPING["queue"][0]  # type: ignore[index]
    stored = {"step": "confirm", "queue": [hot], "pos": 0, "values": {"T1": "190"}}
    chat.dialogs.states[("telegram", "42")] = {
        **stored,
        "warnings": ["reading.jump"],
        "identity": kept["identity"],
    }
    assert "№HW0011234: 190 — квитанція" in await chat(press("confirm"))


async def test_a_hot_water_meter_offers_its_boiler_switch_and_says_what_it_now_is(
    chat: Chat,
) -> None:
    await linked(chat)
    await chat(press("meters"))
    heaters = [b for r in chat.last for b in r.buttons if b.action.startswith("heater:")]
    assert [b.label for b in heaters] == ["Є бойлер: №HW0011234", "Є бойлер: №HW0019999"]
    said = await chat(press(heaters[0].action))
    assert "Лічильник гарячої води №HW0011234: позначено бойлер" in said
    assert chat.actions == list(MENU)
    said = await chat(press("meters"))
    assert "бойлер (електричний водонагрівач)" in said
    assert "Немає бойлера: №HW0011234" in [b.label for r in chat.last for b in r.buttons]
    said = await chat(press(heaters[0].action))
    assert "№HW0011234: позначку бойлера знято" in said
    actions = [(actor.resident_id, action) for actor, action, _, _ in chat.store.state.audit]
    assert actions.count((actions[-1][0], "meter.water_heater")) == 2


async def test_someone_elses_meter_gets_no_boiler_from_the_chat(chat: Chat) -> None:
    await linked(chat)
    assert "Не зрозумів" in await chat(press("heater:999"))
    assert "Не зрозумів" in await chat(press("heater:abc"))


async def electricity_asked(chat: Chat) -> str:
    """Both accounts linked, the round at the electricity meter's first zone."""
    await linked(chat)
    await linked(chat, "3000917")
    said = await chat(press("send"))
    if "HW0011234" in said:
        said = await chat(text("117"))
    assert "EL0011111" in said
    return said


@pytest.mark.parametrize("typed", ["1 100\n550\n1 650", "1100 / 550 / 1650", "1100\r\n550/1650"])
async def test_the_zones_typed_in_one_message_are_taken_in_order(typed: str) -> None:
    chat = await chat_at(29)
    await electricity_asked(chat)
    said = await chat(text(typed))
    assert "№EL0011111 денна: 1\u202f100 — квитанція" in said
    assert "№EL0011111 нічна: 550 — квитанція" in said
    assert "№EL0011111 сумарна: 1\u202f650 — квитанція" in said


async def test_fewer_values_than_zones_fill_the_first_and_ask_the_rest() -> None:
    chat = await chat_at(29)
    await electricity_asked(chat)
    said = await chat(text("1100\n550"))
    assert "зона «сумарна»" in said and "квитанція" not in said
    said = await chat(text("1650"))
    assert "№EL0011111 нічна: 550 — квитанція" in said


async def test_more_values_than_zones_are_refused_and_the_zone_asked_again() -> None:
    chat = await chat_at(29)
    await electricity_asked(chat)
    said = await chat(text("1100\n550\n1650\n7"))
    zones = "денна, нічна, сумарна"
    assert (
        translate("chat.send_too_many_values", "uk", {"serial": "EL0011111", "zones": zones})
        in said
    )
    assert "зона «денна»" in said and "квитанція" not in said


async def test_several_values_for_a_meter_of_one_zone_are_refused(chat: Chat) -> None:
    await linked(chat)
    await chat(press("send"))
    said = await chat(text("6 731\n5 185"))
    assert translate("chat.send_one_value", "uk", {"serial": "HW0011234"}) in said
    assert "67315185" not in said and "квитанція" not in said
    assert kinds(chat.actions) == ["unchanged", "skip", "menu"]
    assert "№HW0011234: 117 — квитанція" in await chat(text("117"))


async def test_each_meter_is_acknowledged_when_stored_before_the_next_is_asked() -> None:
    chat = await chat_at(29)
    await linked(chat)
    await linked(chat, "3000917")
    said = await chat(press("send"))
    typed, stored, following = (
        ("117", "✓ №HW0011234: 117 — квитанція", "EL0011111")
        if "HW0011234" in said
        else ("1100/550/1650", "✓ №EL0011111 total: 1650 — квитанція", "HW0011234")
    )
    await chat(text(typed))
    ack, prompt = chat.last
    assert ack.text.startswith(translate("chat.send_stored", "uk")) and stored in ack.text
    assert following in prompt.text and kinds(chat.actions) == ["unchanged", "skip", "menu"]
    assert "Готово" not in ack.text + prompt.text  # the summary waits for the round's end
    said = await chat(press("menu"))  # left halfway: what was stored was already said
    assert stored not in said


async def test_my_meters_names_every_zone_of_a_meter_of_several(chat: Chat) -> None:
    await linked(chat)  # kte: hot water, one zone
    await linked(chat, "3000917")  # yasno: day, night and total
    said = await chat(press("meters"))
    (line,) = [x for x in said.splitlines() if "EL0011111" in x]
    zones = [translate(f"chat.zone_{z}", "uk") for z in ("day", "night", "total")]
    assert zones == ["денна", "нічна", "сумарна"]
    assert all(f"{zone} " in line for zone in zones), line
    assert line.index("денна") < line.index("нічна") < line.index("сумарна")
    hot = next(x for x in said.splitlines() if "HW0011234" in x)
    assert not any(zone in hot for zone in zones)  # one zone: not named
    await chat(press("settings"))
    await chat(press("lang:en"))
    said = await chat(press("meters"))
    (line,) = [x for x in said.splitlines() if "EL0011111" in x]
    assert all(f"{translate(f'chat.zone_{z}', 'en')} " in line for z in ("day", "night", "total"))


async def test_the_last_wrong_proof_does_not_ask_for_another(chat: Chat) -> None:
    await chat(Event(EventKind.START, "1000001357"))
    proof = translate("chat.link_ask_proof", "uk")
    for _ in range(4):
        assert proof in await chat(text("Ков"))  # attempts left: asked again
    said = await chat(text("Ков"))  # the fifth: none left
    assert said.startswith(translate("chat.link_no_attempts_left", "uk", {"minutes": 60}))
    assert proof not in said and "Залишилося спроб: 0" not in said
    assert chat.actions == list(MENU)
    await chat(press("link"))
    await chat(text("1000001357"))
    said = await chat(text("Шев"))  # locked out now: the menu, not the proof again
    assert said.startswith(translate("link.too_many_attempts", "uk", {"minutes": 60}))
    assert proof not in said and chat.actions == list(MENU)


async def test_a_zoned_meters_chart_stacks_its_zones_without_the_total() -> None:
    talk = await chat_at(29)
    charts = FakeCharts()
    chat = Chat(talk.uses, talk.dialogs, charts)
    await linked(chat, "3000917")
    await chat(press("send"))
    for value in ("1100", "550", "1650"):
        await chat(text(value))
    await chat(press("history"))
    assert [r.picture for r in chat.last if r.picture] == [b"\x89PNG zones"]
    ((title, periods, zones, unit),) = charts.zone_calls
    assert title == "Електроенергія №EL0011111" and unit == "кВт·год"
    assert periods == ["2026-11"]
    assert [(z.name, z.values) for z in zones] == [("денна", (100.0,)), ("нічна", (50.0,))]
    assert charts.axes == ["Місяць"] and charts.calls == []


async def test_history_shows_six_months_at_a_glance_and_the_rest_behind_more(chat: Chat) -> None:
    await linked(chat)
    await chat(press("history"))
    (hot,) = [r for r in chat.last if "HW0011234" in r.text]
    months = hot.text.splitlines()[1:]
    assert len(months) == 6 and months[0].startswith("жовтень 2026:")
    assert months[-1].startswith("травень 2026:")
    assert hot.buttons == ()  # "more" goes with the menu, whose keyboard every messenger shows
    (more,) = [a for a in chat.actions if a.startswith("hmore:")]
    assert chat.actions == [more, *MENU]
    said = await chat(press(more))
    older = chat.last[0].text.splitlines()[1:]
    assert older and older[0].startswith("квітень 2026:")
    assert not any(line in said for line in months)  # the glance is not repeated
    assert chat.actions == list(MENU)


async def test_more_history_of_someone_elses_meter_is_refused(chat: Chat) -> None:
    await linked(chat)
    said = await chat(press("hmore:999999"))
    assert translate("meter.not_found", "uk") in said and chat.actions == list(MENU)
    assert "Не зрозумів" in await chat(press("hmore:abc"))


async def test_history_in_english_names_months_and_writes_numbers_the_english_way(
    chat: Chat,
) -> None:
    await linked(chat)
    await chat(press("lang:en"))
    said = await chat(press("history"))
    assert "October 2026: +2.5 m³ (115)" in said


async def test_an_old_menu_button_mid_round_keeps_the_round() -> None:
    chat = await chat_at(29)
    await electricity_asked(chat)
    asked = chat.last[-1]
    day = next(a for a in chat.actions if a.startswith("unchanged:"))
    assert day.endswith(":day")
    for old in ("send", "link", "meters", "settings", "lang:en", "linkyes", "fixconfirm"):
        said = await chat(press(old))  # from the menu or a step sent before
        outdated, again = chat.last
        assert outdated.text == translate("chat.button_outdated", "uk")
        assert again == asked  # the same question, with its buttons
        assert "квитанція" not in said
    said = await chat(text("1100/550/1650"))  # the round goes on where it was
    assert "№EL0011111 денна: 1\u202f100 — квитанція" in said


async def test_a_button_of_an_earlier_meters_question_is_not_taken_for_this_one() -> None:
    chat = await chat_at(29)
    await linked(chat)
    await linked(chat, "3000917")
    await chat(press("send"))
    first = next(a for a in chat.actions if a.startswith("skip:"))
    await chat(text("1100/550/1650" if "EL0011111" in chat.last[-1].text else "117"))
    asked = chat.last[-1]
    said = await chat(press(first))  # "skip" on the first meter's question, pressed now
    assert translate("chat.button_outdated", "uk") in said and chat.last[-1] == asked
    current = next(a for a in chat.actions if a.startswith("skip:"))
    assert current != first
    said = await chat(press(current))  # the current question's own button acts
    assert translate("chat.send_summary", "uk") in said


async def test_an_old_confirm_button_waits_for_the_current_meters_yes() -> None:
    chat = await chat_at(29)
    await linked(chat)
    said = await chat(press("send"))
    said = await chat(text("190"))
    assert "значно більше за звичне" in said
    (yes,) = [a for a in chat.actions if a.startswith("confirm:")]
    said = await chat(press("unchanged:1:T1"))  # a question's button, from before the jump
    assert translate("chat.button_outdated", "uk") in said
    assert [a for a in chat.actions if a.startswith("confirm:")] == [yes]
    assert "№HW0011234: 190 — квитанція" in await chat(press(yes))


async def test_an_outdated_button_is_said_in_english_too() -> None:
    chat = await chat_at(29)
    await linked(chat)
    await chat(press("lang:en"))
    said = await chat(press("skip:5"))  # a step that is over, at the menu
    assert said.startswith(translate("chat.button_outdated", "en"))
    assert chat.actions == list(MENU)


async def test_correction_buttons_name_zones_in_words_and_values_as_people_write_them() -> None:
    chat = await chat_at(29)
    await electricity_asked(chat)
    await chat(text("1100/550/1650"))
    await chat(press("correct"))
    labels = [b.label for r in chat.last for b in r.buttons if b.action.startswith("fix:")]
    assert "№EL0011111 денна: 1\u202f100" in labels and "№HW0011234: 117" in labels
    assert not any(code in " ".join(labels) for code in ("T1", "day", "total", ".000"))
    await chat(press("lang:en"))
    await chat(press("correct"))
    labels = [b.label for r in chat.last for b in r.buttons if b.action.startswith("fix:")]
    assert "No. EL0011111 day: 1,100" in labels and "No. HW0011234: 117" in labels


async def test_my_meters_say_a_zoned_meters_period_once() -> None:
    chat = await chat_at(29)
    await electricity_asked(chat)
    await chat(press("menu"))
    said = await chat(press("meters"))
    assert "денна 1\u202f000, нічна 500, сумарна 1\u202f500 (квітень 2026)" in said


async def test_sending_early_is_part_of_the_round_and_says_when_it_is_passed_on() -> None:
    store = InMemoryStore()
    world = await build_world(store)
    async with store(write=True) as u:
        await store.supplier_portal.set_window_rule(world.kte.id, "5..-1 early 3", "Europe/Kyiv")
        await u.commit()
    early = kyiv(2026, 12, 2)  # December's window opens on the 5th
    talk = Chat(chat_use_cases(Wiring.wire(store, FakeClock(early))), InMemoryDialogStore())
    await linked(talk)
    listed = await talk(press("meters"))
    assert "можна заздалегідь: буде передано 5 грудня 2026" in listed
    said = await talk(press("send"))
    assert "попередній показник 115 (за жовтень 2026)" in said
    said = await talk(text("117,5"))
    assert "117,5 — квитанція 2612-" in said  # a receipt at once, for December
    assert "прийнято, буде передано Київтеплоенерго 5 грудня 2026" in said


async def test_a_meter_not_yet_sendable_early_says_from_when_it_is() -> None:
    store = InMemoryStore()
    world = await build_world(store)
    async with store(write=True) as u:
        await store.supplier_portal.set_window_rule(world.kte.id, "5..-1 early 3", "Europe/Kyiv")
        await u.commit()
    talk = Chat(
        chat_use_cases(Wiring.wire(store, FakeClock(kyiv(2026, 12, 1)))), InMemoryDialogStore()
    )
    await linked(talk)
    said = await talk(press("send"))
    assert "HW0011234: прийом з 5 грудня 2026, заздалегідь — з 2 грудня 2026" in said
