"""How the PostgreSQL import splits a chunk: repeats out, new accounts to COPY, the rest merged."""

from komunalka.adapters.db.registry_changes import settle
from komunalka.adapters.db.registry_jobs import first_of_each_meter
from komunalka.adapters.db.registry_pg import split_chunk
from komunalka.application.suppliers.ports import StagedRow
from komunalka.domain.registry import RegistryRow, parse_registry_row

IMPORT = 7


def staged(line: int, account: str, serial: str, holder: str = "Мельник Ірина") -> StagedRow:
    raw = {
        "supplier": "kte",
        "account": account,
        "holder": holder,
        "address": "Київ",
        "service": "hot_water",
        "serial": serial,
        "digits": "5",
    }
    row = parse_registry_row(raw)
    assert isinstance(row, RegistryRow)
    return StagedRow(line, 1, row)


def lines(rows: list[StagedRow]) -> list[int]:
    return [r.line for r in rows]


def test_a_meter_repeated_in_the_chunk_keeps_its_first_row() -> None:
    kept, repeats = first_of_each_meter([staged(2, "100", "M01"), staged(3, "101", "M01")])
    assert lines(kept) == [2] and repeats == [3]


def test_a_meter_this_import_landed_before_is_a_repeat() -> None:
    kept, repeats = first_of_each_meter([staged(4, "100", "M01"), staged(5, "100", "M02")])
    split = split_chunk(kept, repeats, {(1, "M02"): IMPORT}, set(), IMPORT)
    assert split.duplicates == [5] and lines(split.new) == [4] and not split.existing


def test_an_account_goes_whole_to_the_merge_when_one_of_its_meters_is_known() -> None:
    rows = [staged(2, "100", "M01"), staged(3, "100", "M02"), staged(4, "200", "M03")]
    kept, repeats = first_of_each_meter(rows)
    split = split_chunk(kept, repeats, {(1, "M02"): IMPORT - 1}, set(), IMPORT)
    assert lines(split.existing) == [2, 3] and lines(split.new) == [4]


def test_a_known_account_goes_to_the_merge_with_its_new_meters() -> None:
    kept, repeats = first_of_each_meter([staged(2, "100", "M01"), staged(3, "200", "M02")])
    split = split_chunk(kept, repeats, {}, {(1, "200")}, IMPORT)
    assert lines(split.new) == [2] and lines(split.existing) == [3] and not split.duplicates


def test_rows_whose_meters_are_held_are_unchanged_the_rest_merged_in_line_order() -> None:
    rows = [staged(2, "100", "M01"), staged(3, "101", "M02"), staged(4, "101", "M03")]
    merge, same = settle(rows, {(1, "M01"), (1, "M03")}, set())
    assert lines(merge) == [3] and lines(same) == [2, 4]


def test_an_account_whose_rows_disagree_anywhere_is_merged_whole() -> None:
    # The second row differs from the first, the third is like the first again: the account's
    # rows disagree, so each is merged and the last one wins, held or not.
    rows = [
        staged(2, "100", "M01"),
        staged(3, "100", "M02", holder="Коваль Петро"),
        staged(4, "100", "M03"),
        staged(5, "101", "M04"),
    ]
    held = {(1, "M01"), (1, "M02"), (1, "M03"), (1, "M04")}
    merge, same = settle(rows, held, set())
    assert lines(merge) == [2, 3, 4] and lines(same) == [5]


def test_an_account_an_earlier_chunk_staged_a_row_of_is_merged_whole() -> None:
    rows = [staged(2, "100", "M01"), staged(3, "101", "M02")]
    merge, same = settle(rows, {(1, "M01"), (1, "M02")}, {(1, "101"), (1, "999")})
    assert lines(merge) == [3] and lines(same) == [2]
