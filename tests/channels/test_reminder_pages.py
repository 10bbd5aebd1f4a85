"""Reminders as staff see them: the supplier portal's rules and the administrator's console view,
over HTTP, on the demo data."""

from __future__ import annotations

from sqlalchemy import func, select

from komunalka.adapters.db.tables import audit_log, reminder_rules
from komunalka.domain.reminders import RuleKind
from tests.channels.pages import ADMIN, OPERATOR, RESIDENT, SUPPLIER, Site, text_of
from tests.channels.test_supplier_portal import scalar
from tests.fakes import tampered


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


async def _resident_profile(site: Site) -> tuple[int, str, object]:
    from komunalka.adapters.db.tables import resident_profiles, web_logins

    async with site.client._transport.app.state.container.engine.begin() as conn:  # type: ignore[attr-defined]
        resident = (
            await conn.execute(
                select(web_logins.c.resident_id).where(web_logins.c.login == RESIDENT)
            )
        ).scalar_one()
        row = (
            await conn.execute(
                select(
                    resident_profiles.c.reminder_channel, resident_profiles.c.reminder_consent_at
                ).where(resident_profiles.c.resident_id == resident)
            )
        ).one_or_none()
    return resident, row[0] if row else "none", row[1] if row else None


async def test_the_link_in_a_reminder_email_turns_reminders_off_in_one_click(site: Site) -> None:
    await site.sign_in()
    saved = await site.post(
        "/profile",
        {
            "language": "uk",
            "reminder_channel": "email",
            "consent": "yes",
            "contact": "r@example.com",
        },
    )
    assert saved.status_code in (200, 303)
    resident, channel, _ = await _resident_profile(site)
    assert channel == "email"
    token = site.use_cases.stop_reminders.token_for(resident)
    bad = await site.client.post(
        f"/reminders/off/{tampered(token)}", content=b"List-Unsubscribe=One-Click"
    )
    assert bad.status_code == 404 and (await _resident_profile(site))[1] == "email"
    page = await site.client.get(f"/reminders/off/{token}")
    assert page.status_code == 200 and "Вимкнути нагадування" in page.text
    site.client.cookies.clear()  # a mail program: no session, no CSRF token
    done = await site.client.post(
        f"/reminders/off/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "Нагадування вимкнено" in done.text
    assert (await _resident_profile(site))[1:] == ("none", None)
    audited = select(func.count()).where(audit_log.c.action == "reminders.off")
    assert await scalar(site, audited) == 1
