"""A registry import's own row (`registry_imports`): opened or taken over, its counts added step
by step in the step's transaction, finished (ADR 0016). Every step checks that this run still
runs the import: a run that was taken over writes nothing more."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from komunalka.adapters.db.tables import registry_imports
from komunalka.adapters.db.types import UtcDateTime
from komunalka.application.suppliers.ports import MergeCounts, StagedRow
from komunalka.application.suppliers.registry_staging import ImportJob, ImportTakenOver

Key = tuple[int, str]

COUNTS = ("staged", "duplicates", "accounts", "meters", "readings", "replaced", "unchanged")

# The newest unfinished import of the key, taken over. The state is checked again on the row
# itself: PostgreSQL re-checks it after waiting for a step of the run being taken over.
_TAKE_OVER = text("""
    UPDATE registry_imports SET runner = :runner
    WHERE id = (SELECT max(id) FROM registry_imports WHERE key = :key AND state = 'running')
      AND state = 'running'
    RETURNING id, at, water_heaters, staged_through
""").columns(at=UtcDateTime())

# Constants: the column names are the fields of MergeCounts, no input in them.
_ADD = (
    "UPDATE registry_imports SET "  # noqa: S608
    + ", ".join(f"{c} = {c} + :{c}" for c in COUNTS)
    + "{through} WHERE id = :id AND runner = :runner"
)
_FINISH = text(
    "UPDATE registry_imports SET state = 'done', runner = NULL, rows = staged"  # noqa: S608
    " WHERE id = :id AND runner = :runner RETURNING " + ", ".join(COUNTS)
)
_ADD_MERGED = text(_ADD.format(through=""))
_ADD_STAGED = text(_ADD.format(through=", staged_through = :through"))


def meter_key(staged: StagedRow) -> Key:
    return staged.supplier_id, staged.row.serial


def account_key(staged: StagedRow) -> Key:
    return staged.supplier_id, staged.row.account


def first_of_each_meter(chunk: Iterable[StagedRow]) -> tuple[list[StagedRow], list[int]]:
    """The chunk's rows without those repeating an earlier row's meter, and the repeats' lines."""
    seen: set[Key] = set()
    kept: list[StagedRow] = []
    repeats: list[int] = []
    for staged in chunk:
        key = meter_key(staged)
        if key in seen:
            repeats.append(staged.line)
        else:
            seen.add(key)
            kept.append(staged)
    return kept, repeats


async def open_job(
    conn: AsyncConnection, key: str | None, at: datetime, water_heaters: bool
) -> ImportJob:
    runner = uuid.uuid4().hex
    if key is not None:
        found = (await conn.execute(_TAKE_OVER, {"runner": runner, "key": key})).first()
        if found is not None:
            return ImportJob(
                int(found.id),
                runner,
                found.at,
                bool(found.water_heaters),
                int(found.staged_through),
            )
    add = insert(registry_imports).values(
        at=at, key=key, state="running", runner=runner, water_heaters=water_heaters
    )
    import_id = (await conn.execute(add.returning(registry_imports.c.id))).scalar_one()
    return ImportJob(int(import_id), runner, at, water_heaters)


async def add_counts(
    conn: AsyncConnection, job: ImportJob, counts: MergeCounts, through: int | None = None
) -> None:
    """Adds a step's counts (and, for a staged chunk, its last line) to the import's."""
    values: dict[str, object] = {c: getattr(counts, c) for c in COUNTS}
    values |= {"id": job.id, "runner": job.runner, "through": through}
    statement = _ADD_MERGED if through is None else _ADD_STAGED
    if (await conn.execute(statement, values)).rowcount != 1:
        raise ImportTakenOver(job.id)


async def finish_job(conn: AsyncConnection, job: ImportJob) -> tuple[MergeCounts, list[int]]:
    ids = {"id": job.id, "runner": job.runner}
    done = await conn.execute(_FINISH, ids)
    row = done.first()
    if row is None:
        raise ImportTakenOver(job.id)
    lines = await conn.execute(
        text("SELECT line FROM registry_rows WHERE import_id = :id AND duplicate ORDER BY line"),
        ids,
    )
    duplicates = [int(r[0]) for r in lines]
    await conn.execute(text("DELETE FROM registry_rows WHERE import_id = :id"), ids)
    await conn.execute(text("DELETE FROM registry_seen WHERE import_id = :id"), ids)
    return MergeCounts(*(int(v) for v in row)), duplicates
