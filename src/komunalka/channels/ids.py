"""Ids in the doors' paths, bounded at the door: a number past the column's range is a 422,
never an overflow in the database driver (domain/ids.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from komunalka.domain.ids import BIG_ID_MAX, ID_MAX

# an id of a bigint column (most tables)
BigId = Annotated[int, Path(ge=1, le=BIG_ID_MAX)]
# an id of an integer (int4) column: suppliers
SmallId = Annotated[int, Path(ge=1, le=ID_MAX)]
