"""The transaction port: a use case opens one, calls the repositories it named in its
constructor (they act inside the transaction its task has open), and commits."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self


class Transaction(Protocol):
    """One transaction. Leaving the block without `commit()` rolls everything back."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class Transactions(Protocol):
    def __call__(self, *, write: bool = False, autocommit: bool = False) -> Transaction:
        """A new transaction; `write=True` takes the write lock up front where the database
        needs it (SQLite), so read-then-write never fails half-way. `autocommit=True` lets
        each statement commit on its own where the database serializes single statements
        (PostgreSQL); it is for use cases whose every write is one statement and that check
        what they read when they write. `commit()` is still called."""
        ...
