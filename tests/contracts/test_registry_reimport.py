"""The monthly re-import (ADR 0022): a registry listed again writes the rows that changed, and only
they; a row the database holds as listed is counted unchanged, its meter's revision kept. Run on
the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from komunalka.application.suppliers.ports import MergeCounts
from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.windows import WindowRule
from tests.contracts.landing import land, registry_row

APRIL = BillingPeriod(2026, 4)

# One field of a row at a time, each in a meter and account of its own; "period" and "values"
# together are a reading for a new period, which is all that changes in that row.
CHANGES: dict[str, dict[str, str]] = {
    "holder": {"holder": "Новий Власник"},
    "address": {"address": "Київ, 2, вул. Велика Васильківська"},
    "district": {"district": "Печерський"},
    "account": {"account": "1000009999"},
    "registers": {"registers": "day|night", "values": "100|50"},
    "digits": {"digits": "6"},
    "decimals": {"decimals": "2"},
    "verification_due": {"verification_due": "2031-06-01"},
    "verification_dropped": {"verification_due": ""},
    "status": {"status": "removed"},
    "new_period": {"period": "2026-05", "values": "120"},
}


async def _kte(storage: Any) -> int:
    async with storage(write=True) as tx:
        kte = await storage.suppliers.add(
            Supplier(0, "kte", "Київтеплоенерго", WindowRule.parse("5..-1"), r"\d{10}"),
            ["hot_water"],
        )
        await tx.commit()
    return int(kte.id)


def _registry(changed: str | None = None) -> list[dict[str, str]]:
    """A row per kind of change (meter M<i>, account 10000010<i>), plus one never changed; with
    `changed`, that row carries its change."""
    rows = []
    for i, name in enumerate([*CHANGES, "same"]):
        row = registry_row(f"{1000001000 + i}", f"M{i:03d}")
        rows.append(row | CHANGES[name] if name == changed else row)
    return rows


async def _state(storage: Any, kte: int) -> dict[str, tuple[Any, ...]]:
    """Every meter by serial: its revision, fields, account and April-on readings."""
    async with storage():
        found = await storage.meters.by_serials(kte, [f"M{i:03d}" for i in range(len(CHANGES) + 1)])
        contexts = await storage.meters.contexts([m.id for m in found], lock=False)
        state = {}
        for ctx in contexts:
            history = await storage.readings.history(ctx.meter.id, APRIL)
            state[ctx.meter.serial] = (
                ctx.revision,
                ctx.meter,
                ctx.account,
                [(r.register, r.period, r.value) for r in history],
            )
    return state


async def test_an_identical_registry_listed_again_writes_nothing(storage: Any) -> None:
    kte = await _kte(storage)
    await land(storage, {"kte": kte}, [_registry()])
    before = await _state(storage, kte)
    rows = len(CHANGES) + 1
    counts, duplicates = await land(storage, {"kte": kte}, [_registry()[:5], _registry()[5:]])
    assert duplicates == []
    assert counts == MergeCounts(staged=rows, unchanged=rows)
    assert await _state(storage, kte) == before  # no revision moved, no row added


async def test_chunks_prepared_ahead_land_as_chunks_prepared_in_their_step(storage: Any) -> None:
    # The import prepares a chunk in its worker thread while the previous one is staged: the
    # second chunk's lookup strings (PostgreSQL: with the rows' contents, since the first chunk
    # found meters) are made before its step, and land as they would in it.
    kte = await _kte(storage)
    await land(storage, {"kte": kte}, [_registry()])
    before = await _state(storage, kte)
    changed = _registry("new_period")
    counts, duplicates = await land(
        storage, {"kte": kte}, [changed[:5], changed[5:], changed[3:4]], made_ahead=True
    )
    assert duplicates == [len(changed) + 2]  # the last chunk repeats a meter of the first
    assert (counts.meters, counts.readings, counts.unchanged) == (1, 1, len(CHANGES))
    after = await _state(storage, kte)
    assert {s for s in after if after[s][0] != before[s][0]} == {f"M{len(CHANGES) - 1:03d}"}


@pytest.mark.parametrize("changed", list(CHANGES))
async def test_a_row_changed_in_one_field_is_written_and_no_other(
    storage: Any, changed: str
) -> None:
    kte = await _kte(storage)
    await land(storage, {"kte": kte}, [_registry()])
    before = await _state(storage, kte)
    counts, _ = await land(storage, {"kte": kte}, [_registry(changed)])
    assert (counts.meters, counts.unchanged) == (1, len(CHANGES))
    after = await _state(storage, kte)
    serial = f"M{list(CHANGES).index(changed):03d}"
    moved = {s for s in after if after[s][0] != before[s][0]}
    assert moved == {serial}
    assert {s: after[s] for s in after if s != serial} == {
        s: before[s] for s in before if s != serial
    }
    revision, meter, account, readings = after[serial]
    assert revision == before[serial][0] + 1
    # the change itself landed: the meter or its account is no longer as it was
    assert changed == "new_period" or (meter, account) != before[serial][1:3]
    if changed == "new_period":
        assert counts.readings == 1 and len(readings) == 2
    else:
        assert counts.readings == (2 if changed == "registers" else 0)  # day and night
    if changed == "account":
        assert account.number == "1000009999"


async def test_a_change_of_the_water_heater_flag_is_caught_when_the_file_lists_it(
    storage: Any,
) -> None:
    kte = await _kte(storage)
    rows = [registry_row("1000001357", "HW1"), registry_row("1000001358", "HW2")]
    await land(storage, {"kte": kte}, [rows], water_heaters=True)
    flagged = [rows[0] | {"water_heater": "yes"}, rows[1] | {"water_heater": "no"}]
    counts, _ = await land(storage, {"kte": kte}, [flagged], water_heaters=True)
    assert (counts.meters, counts.unchanged) == (1, 1)
    counts, _ = await land(storage, {"kte": kte}, [flagged], water_heaters=True)
    assert (counts.meters, counts.unchanged) == (0, 2)
    # A file without the column says nothing of the flag: the meter keeps it, unchanged.
    counts, _ = await land(storage, {"kte": kte}, [rows])
    assert (counts.meters, counts.unchanged) == (0, 2)
    async with storage():
        found = await storage.meters.by_serials(kte, ["HW1"])
    assert found[0].water_heater


@pytest.mark.parametrize("chunked", [False, True])
async def test_the_last_row_of_an_account_still_wins_when_its_rows_disagree(
    storage: Any, chunked: bool
) -> None:
    """A changed row of an account followed by a row as the database holds it: the later row is
    merged too, in one chunk or the next, so the account ends as the file's last row says."""
    kte = await _kte(storage)
    rows = [registry_row("1000001357", "HW1"), registry_row("1000001357", "HW2")]
    await land(storage, {"kte": kte}, [rows])
    again = [rows[0] | {"holder": "Новий Власник"}, rows[1]]
    chunks = [[again[0]], [again[1]]] if chunked else [again]
    counts, _ = await land(storage, {"kte": kte}, chunks)
    assert (counts.meters, counts.unchanged) == (2, 0)
    async with storage():
        account = await storage.accounts.by_number(kte, "1000001357")
    assert account is not None and account.holder == rows[1]["holder"]


async def test_a_meter_listed_unchanged_and_again_later_is_a_duplicate(storage: Any) -> None:
    kte = await _kte(storage)
    rows = [registry_row("1000001357", "HW1"), registry_row("1000001358", "HW2")]
    await land(storage, {"kte": kte}, [rows])
    counts, duplicates = await land(storage, {"kte": kte}, [rows, [rows[0] | {"values": "105"}]])
    assert duplicates == [4]
    assert counts == MergeCounts(staged=3, duplicates=1, unchanged=2)


async def test_a_row_whose_text_holds_a_control_character_is_always_merged(storage: Any) -> None:
    """PostgreSQL compares a row's cells joined by a control character; a cell holding one is
    never taken for unchanged, on every database alike."""
    kte = await _kte(storage)
    rows = [registry_row("1000001357", "HW1", holder="Шевченко\x1fТарас")]
    await land(storage, {"kte": kte}, [rows])
    counts, _ = await land(storage, {"kte": kte}, [rows])
    assert (counts.meters, counts.unchanged) == (1, 0)


async def test_a_row_listed_without_its_reading_is_unchanged(storage: Any) -> None:
    """The merge never removes a reading, so a row that no longer carries one writes nothing."""
    kte = await _kte(storage)
    await land(storage, {"kte": kte}, [_registry()])
    before = await _state(storage, kte)
    bare = [row | {"period": "", "values": ""} for row in _registry()]
    counts, _ = await land(storage, {"kte": kte}, [bare])
    assert (counts.meters, counts.unchanged) == (0, len(bare))
    assert await _state(storage, kte) == before


async def test_a_meter_of_two_registers_is_unchanged_only_with_both_readings_known(
    storage: Any,
) -> None:
    """A meter of one register has its reading probed straight, one of more registers each of
    them (PostgreSQL's two ways): both judge a meter of two registers as the merge would."""
    kte = await _kte(storage)
    zones = {"registers": "day|night", "values": "100|50"}
    rows = [registry_row("1000001357", "DN1") | zones, registry_row("1000001358", "T11")]
    await land(storage, {"kte": kte}, [rows])
    counts, _ = await land(storage, {"kte": kte}, [rows])
    assert (counts.meters, counts.unchanged) == (0, 2)
    later = [row | {"period": "2026-05"} for row in rows]
    counts, _ = await land(storage, {"kte": kte}, [later])
    assert (counts.meters, counts.readings, counts.unchanged) == (2, 3, 0)
    counts, _ = await land(storage, {"kte": kte}, [later])
    assert (counts.meters, counts.unchanged) == (0, 2)
