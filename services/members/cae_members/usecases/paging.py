"""Pages of a listing (keyset pagination) and the shape of record ids.

A listing is ordered by columns whose values, taken together, are unique (the last
one is an id). A page is at most ``limit`` rows after a position (``after``, the
values of those columns in the last row of the previous page, or None for the
first page); it knows the position of its own last row when more rows follow, so
that the next page starts there, whatever was added or removed in between.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, literal, tuple_

# the ids this service gives its records (str(uuid.uuid4()))
RECORD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def record_id(value: object) -> str | None:
    """``value`` as one of this service's ids, or None when it cannot be one: such a value
    names no record and is not worth a query (a NUL would even fail one on PostgreSQL)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    return value if isinstance(value, str) and RECORD_ID.fullmatch(value) else None


@dataclass(frozen=True)
class Page:
    """Rows of a listing, and the position after the last one when more rows follow."""

    items: list
    next_after: tuple | None = None


def keyset(statement: Select, order: Sequence[Any], after: tuple | None) -> Select:
    """``statement`` ordered by ``order``, from the row after position ``after`` on."""
    if after is not None:
        if len(after) != len(order):
            raise ValueError(f"a position of {len(order)} values, not {len(after)}")
        bound = [literal(value, column.type) for column, value in zip(order, after, strict=True)]
        statement = statement.where(tuple_(*order) > tuple_(*bound))
    return statement.order_by(*order)


def page(rows: Sequence, limit: int, key: Callable[[Any], tuple]) -> Page:
    """A page of ``limit`` rows out of ``rows`` (read with ``limit + 1``: one more row
    tells that another page follows)."""
    items = list(rows[:limit])
    return Page(items, key(items[-1]) if len(rows) > limit and items else None)
