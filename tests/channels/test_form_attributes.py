"""The form fields' extra attributes reach the browser as attributes, not as escaped text
(``maxlength=&#34;100&#34;`` is ignored by every browser)."""

from __future__ import annotations

import re

from tests.channels.pages import SUPPLIER, Site


def input_tag(html: str, field_id: str) -> str:
    found = re.search(rf'<input id="{field_id}"[^>]*>', html)
    assert found, f"no input {field_id}"
    return found.group(0)


async def test_the_window_rule_field_carries_a_real_maxlength(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    page = await site.get("/supplier/window")
    tag = input_tag(page.text, "f-rule")
    assert ' maxlength="100"' in tag and ' spellcheck="false"' in tag
    assert "&#34;" not in tag


async def test_the_account_number_on_link_is_typed_on_a_numeric_keypad(site: Site) -> None:
    await site.sign_in()
    page = await site.get("/link")
    tag = input_tag(page.text, "f-number")
    assert ' inputmode="numeric"' in tag
    assert "&#34;" not in page.text
