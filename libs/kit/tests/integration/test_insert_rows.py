"""``insert_rows``: COPY on PostgreSQL, executemany on SQLite, the same rows either way,
in the caller's transaction."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    select,
    text,
)

from caekit.db import insert_rows, make_engine, make_session_factory

metadata = MetaData()
sample = Table(
    "bulk_sample", metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(50)),
    Column("note", Text, nullable=True),
    Column("cents", BigInteger),
    Column("rate", Numeric(10, 4)),
    Column("flag", Boolean),
    Column("at", DateTime(timezone=True)),
    Column("kind", String(10), server_default=text("'default'")),
)

AT = datetime(2026, 3, 31, 23, 59, 59, 123456, tzinfo=UTC)
ROWS = [
    # what COPY's text format must escape: tab, newline, carriage return, backslash, \N
    {"id": 1, "label": "tab\there", "note": "line\nbreak\r\\N and \\", "cents": 2**40,
     "rate": Decimal("0.0125"), "flag": True, "at": AT},
    {"id": 2, "label": "é ✓ \"quoted\" 'single'", "note": None, "cents": -1,
     "rate": Decimal("0"), "flag": False, "at": AT},
]


@pytest.fixture(params=["configured", "sqlite"])
def url(request, database_url, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/bulk.db"
        engine = make_engine(url)
        metadata.create_all(engine)
        engine.dispose()
        return url
    return database_url("bulk", metadata=metadata)


def _read(url):
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(sample).order_by(sample.c.id))]
    engine.dispose()
    for row in rows:  # SQLite keeps no time zone
        row["at"] = row["at"].replace(tzinfo=UTC)
    return rows


def test_rows_come_back_as_written_with_server_defaults(url):
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        insert_rows(session, sample, [dict(r) for r in ROWS])
        session.commit()
    engine.dispose()
    assert _read(url) == [{**row, "kind": "default"} for row in ROWS]


def test_rows_belong_to_the_callers_transaction(url):
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        insert_rows(session, sample, [dict(r) for r in ROWS])
        session.rollback()
        insert_rows(session, sample, [])  # nothing to write: no statement
        session.commit()
    engine.dispose()
    assert _read(url) == []
