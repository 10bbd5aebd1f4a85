"""How a reminder reads on each channel and in each language."""

from __future__ import annotations

from datetime import date

from komunalka.application.notifications.ports import DueSupplier, LinkedMeter, Recipient
from komunalka.channels.reminders.wording import ReminderTexts
from komunalka.domain.reminders import RuleKind


def _meter(serial: str, service: str = "hot_water", heater: bool = False) -> LinkedMeter:
    return LinkedMeter(
        1, "Київтеплоенерго", "5..-1", "Europe/Kyiv", "1234567", service, serial, heater,
        date(2026, 12, 20), None,
    )  # fmt: skip


def _due() -> list[DueSupplier]:
    return [DueSupplier("Київтеплоенерго", date(2026, 11, 30), [_meter("HW-1", heater=True)])]


TEXTS = ReminderTexts("https://k.example/", lambda resident: f"https://k.example/off/{resident}")


def test_a_telegram_reminder_lists_what_is_due_with_the_last_day_and_a_send_button() -> None:
    notice = TEXTS.window_notice(Recipient(5, "Олена", "telegram", "777", "uk"), _due())
    assert notice.channel == "telegram" and notice.address == "777"
    assert "Київтеплоенерго" in notice.text and "30.11.2026" in notice.text
    assert "HW-1" in notice.text and "бойлер" in notice.text
    assert notice.button == "Передати показники" and notice.action == "send"
    assert not notice.link and not notice.unsubscribe_url


def test_an_english_email_carries_the_cabinet_link_and_a_one_click_way_out() -> None:
    notice = TEXTS.window_notice(Recipient(5, "Olena", "email", "o@example.com", "en"), _due())
    assert "until 30.11.2026" in notice.text and "water heater" in notice.text
    assert notice.link == "https://k.example/readings" and notice.link in notice.text
    assert notice.unsubscribe_url == "https://k.example/off/5"
    assert notice.subject.startswith("Reminder")


def test_an_sms_names_the_suppliers_only_and_keeps_the_link() -> None:
    notice = TEXTS.window_notice(Recipient(5, "Олена", "sms", "+380501234567", "uk"), _due())
    assert "HW-1" not in notice.text and "https://k.example/readings" in notice.text
    assert len(notice.text) <= 480


def test_a_verification_notice_says_which_meter_when_and_what_to_do() -> None:
    recipient = Recipient(5, "Олена", "viber", "v-1", "uk")
    notice = TEXTS.verification_notice(recipient, RuleKind.VERIFICATION_SOON, [_meter("HW-1")])
    assert "HW-1" in notice.text and "20.12.2026" in notice.text and "повірк" in notice.text
    assert notice.action == ""
