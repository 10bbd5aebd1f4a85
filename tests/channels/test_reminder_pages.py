"""Reminders as staff see them: the supplier portal's rules and the administrator's console view,
over HTTP, on the demo data."""

from __future__ import annotations

from sqlalchemy import func, select

from komunalka.adapters.db.tables import audit_log, reminder_rules
from komunalka.domain.reminders import RuleKind
from tests.channels.pages import ADMIN, OPERATOR, SUPPLIER, Site, text_of
from tests.channels.test_supplier_portal import scalar


async def _rules(site: Site) -> dict[str, tuple[int, bool, bool]]:
    async with site.client._transport.app.state.container.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = await conn.execute(
            select(
                reminder_rules.c.kind, reminder_rules.c.days, reminder_rules.c.enabled
            ).add_columns(reminder_rules.c.paused)
        )
        return {r.kind: (r.days, r.enabled, r.paused) for r in rows}


async def test_supplier_staff_see_the_default_rules_and_change_them(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    page = await site.get("/supplier/reminders")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "за 3 дн. до закриття" in text and "в останній день" in text
    form = {f"on_{k.value}": "1" for k in RuleKind if k is not RuleKind.LAST_DAY}
    form |= {f"days_{k.value}": "0" for k in RuleKind}
    form |= {"days_before_close": "5", "days_verification_soon": "45"}
    saved = await site.post("/supplier/reminders", form)
    assert saved.status_code == 200 and "Правила нагадувань збережено" in saved.text
    rules = await _rules(site)
    assert rules["before_close"] == (5, True, False)
    assert rules["last_day"][1] is False and rules["verification_soon"][0] == 45
    audited = select(func.count()).where(audit_log.c.action == "reminders.rule")
    assert await scalar(site, audited) == len(RuleKind)


async def test_bad_days_are_explained_and_change_nothing(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    form = {f"on_{k.value}": "1" for k in RuleKind} | {"days_before_close": "500"}
    answer = await site.post("/supplier/reminders", form, headers={"Accept-Language": "en"})
    assert answer.status_code == 400 and 'role="alert"' in answer.text
    assert "between 0 and 90" in text_of(answer.text)
    assert "before_close" not in await _rules(site) or (await _rules(site))["before_close"][0] == 3


async def test_an_administrator_sees_counts_and_pauses_and_resumes_a_rule(site: Site) -> None:
    await site.sign_in_staff(ADMIN)
    listing = await site.get("/operator/reminders")
    assert listing.status_code == 200 and "/operator/reminders/kte" in listing.text
    page = await site.get("/operator/reminders/kte")
    assert page.status_code == 200
    assert "Отримали б зараз" in text_of(page.text)
    paused = await site.post(
        "/operator/reminders/kte/opens", {"action": "pause", "period": "2026-11"}
    )
    assert paused.status_code == 303
    assert (await _rules(site))["opens"][2] is True
    shown = await site.get(paused.headers["location"])
    assert "призупинено" in text_of(shown.text) and "Продовжити" in shown.text
    await site.post("/operator/reminders/kte/opens", {"action": "resume"})
    assert (await _rules(site))["opens"][2] is False


async def test_only_administrators_open_the_console_view(site: Site) -> None:
    for login in (OPERATOR, SUPPLIER):
        await site.sign_in_staff(login)
        answer = await site.get("/operator/reminders/kte")
        assert answer.status_code in (303, 403), login
        await site.post("/sign-out")


async def test_an_unknown_supplier_or_rule_is_not_found(site: Site) -> None:
    await site.sign_in_staff(ADMIN)
    assert (await site.get("/operator/reminders/nope")).status_code == 404
    answer = await site.post("/operator/reminders/kte/sometimes", {"action": "pause"})
    assert answer.status_code == 404
