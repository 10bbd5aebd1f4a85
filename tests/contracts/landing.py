"""Registry rows landed through the storage's registry port: how the contracts fill a storage
with accounts and meters of their own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from komunalka.application.suppliers.ports import MergeCounts, StagedRow
from komunalka.domain.registry import parse_registry_row

LANDED_AT = datetime(2026, 11, 1, 8, tzinfo=UTC)


def registry_row(account: str, serial: str, **fields: str) -> dict[str, str]:
    """A row of a registry: a one-zone hot-water meter, with an April reading unless told."""
    row = {
        "supplier": "kte",
        "account": account,
        "holder": "Шевченко Тарас",
        "address": "Київ, 1, вул. Хрещатик",
        "district": "Шевченківський",
        "service": "hot_water",
        "serial": serial,
        "registers": "T1",
        "digits": "5",
        "decimals": "3",
        "verification_due": "2030-01-01",
        "status": "active",
        "period": "2026-04",
        "values": "100",
    }
    return row | fields


async def land_chunks(
    registry: Any,
    chunks: Sequence[list[StagedRow]],
    at: datetime,
    batch: int = 2,
    water_heaters: bool = False,
    made_ahead: bool = False,
) -> tuple[MergeCounts, list[int]]:
    """Every step of one import, in the caller's transaction: open, stage the chunks, merge in
    batches of `batch`, finish; the counts and the duplicates' lines. `made_ahead`: each chunk
    staged with what `prepare` made of it beforehand, as the import's worker thread does."""
    job = await registry.open(None, at, water_heaters)
    for chunk in chunks:
        if chunk:
            prepared = registry.prepare(job, chunk) if made_ahead else None
            await registry.stage(job, chunk, prepared)
    while await registry.merge(job, batch):
        pass
    counts, duplicates = await registry.finish(job)
    return counts, duplicates


async def land(
    storage: Any,
    suppliers: dict[str, int],
    chunks: Sequence[Sequence[dict[str, str]]],
    at: datetime = LANDED_AT,
    water_heaters: bool = False,
    made_ahead: bool = False,
) -> tuple[MergeCounts, list[int]]:
    """Loads the chunks in one committed transaction, lines numbered from 2 across them; the
    counts and the lines reported as duplicates."""
    staged: list[list[StagedRow]] = []
    line = 2
    for chunk in chunks:
        rows = []
        for raw in chunk:
            parsed = parse_registry_row(raw)
            assert not isinstance(parsed, list), parsed
            rows.append(StagedRow(line, suppliers[parsed.supplier], parsed))
            line += 1
        staged.append(rows)
    async with storage(write=True) as tx:
        counts, duplicates = await land_chunks(
            storage.registry, staged, at, water_heaters=water_heaters, made_ahead=made_ahead
        )
        await tx.commit()
    return counts, duplicates
