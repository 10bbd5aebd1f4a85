"""The transaction a task is in, seen by every repository.

A use case opens a transaction (`SqlTransactions`) and calls the repositories it was given; the
repositories run on that transaction's connection, which they find here. So repositories are
made once, at start-up, and a use case names in its constructor exactly the ones it touches,
while the transaction stays the use case's own. The scope lives in a context variable: each
asyncio task (each request, each job) sees its own, and a repository called outside any
transaction fails at once instead of running on some other task's connection.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class Scope:
    conn: AsyncConnection
    raw: Any  # the asyncpg connection on PostgreSQL (the hot path's fixed SQL), None on SQLite


_current: ContextVar[Scope | None] = ContextVar("komunalka_db_scope", default=None)


class OutsideTransaction(RuntimeError):
    """A repository was called with no transaction open in this task."""


def current() -> Scope:
    scope = _current.get()
    if scope is None:
        raise OutsideTransaction("a repository was called outside a transaction")
    return scope


def enter(scope: Scope) -> Token[Scope | None]:
    return _current.set(scope)


def leave(token: Token[Scope | None]) -> None:
    try:
        _current.reset(token)
    except ValueError:  # closed from another context (an abandoned stream): forget it here
        _current.set(None)


class InScope:
    """Base of the repositories: `_conn` (SQLAlchemy) and `_raw` (the driver's connection on
    PostgreSQL) are those of the calling task's transaction."""

    __slots__ = ()

    @property
    def _conn(self) -> AsyncConnection:
        return current().conn

    @property
    def _raw(self) -> Any:
        return current().raw
