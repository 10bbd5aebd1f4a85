"""ImportRegistry in short steps, against the in-memory fakes (ADR 0016): a run cut off half-way
through its merge and run again with the same key ends with the report of an uncut run."""

from __future__ import annotations

from typing import Any

import pytest

from komunalka.application.shared.actors import Actor
from komunalka.application.suppliers.import_registry import ImportRegistry
from komunalka.application.suppliers.ports import RejectedRow
from komunalka.domain.registry import COLUMNS
from tests.contracts.landing import registry_row
from tests.fakes import FakeClock, InMemoryStore, kyiv
from tests.world import build_world

CLOCK = FakeClock(kyiv(2026, 11, 20))


class CutOff(Exception):
    """The process died."""


class DyingRegistry:
    """The store's registry, dying before its `merges`-th merge."""

    def __init__(self, inner: Any, merges: int) -> None:
        self.inner, self.merges = inner, merges

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def merge(self, job: Any, batch: int) -> bool:
        self.merges -= 1
        if self.merges == 0:
            raise CutOff
        return bool(await self.inner.merge(job, batch))


def _rows() -> list[tuple[int, dict[str, str]]]:
    rows = [registry_row(f"20000000{n // 2:02d}", f"HW{n:07d}") for n in range(10)]
    rows.insert(3, registry_row("2000000099", "HW0000001"))  # repeats line 3's meter
    rows.insert(6, registry_row("2000000098", "HW0000098", values="-1"))  # bad
    return [(n + 2, row) for n, row in enumerate(rows)]


async def _import(store: InMemoryStore, registry: Any, key: str) -> tuple[Any, list[RejectedRow]]:
    rejected: list[RejectedRow] = []
    run = ImportRegistry(store, store.suppliers, registry, store.audit, CLOCK, batch=3)
    report = await run(Actor.system(), COLUMNS, _rows(), rejected.append, key=key)
    return report, rejected


async def test_an_import_cut_off_and_run_again_reports_as_an_uncut_one() -> None:
    uncut = InMemoryStore()
    await build_world(uncut)
    expected = await _import(uncut, uncut.registry, "file:x")

    store = InMemoryStore()
    await build_world(store)
    with pytest.raises(CutOff):
        await _import(store, DyingRegistry(store.registry, merges=3), "file:x")
    store.registry.steps.clear()
    assert await _import(store, store.registry, "file:x") == expected
    # The chunk staged before the cut-off is not staged again: the run merges what was left.
    assert store.registry.steps == ["open", "merge", "merge", "merge", "finish"]
    assert (expected[0].accepted, expected[0].rejected) == (10, 2)
    assert _meters(store) == _meters(uncut)


def _meters(store: InMemoryStore) -> list[tuple[str, int, int]]:
    state = store.state
    return sorted(
        (m.serial, m.account_id, state.revisions.get(m.id, 0)) for m in state.meters.values()
    )
