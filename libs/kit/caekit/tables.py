"""The kit's own tables, present in every service's database: outbox and inbox.

Each service's migrations create them with ``create_kit_tables(bind, names...)``:
the first one ``outbox`` and ``inbox``, a later one each table the kit adds.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

# SQLite only auto-increments INTEGER PRIMARY KEY
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


kit_metadata = MetaData()


def _define(metadata: MetaData) -> tuple[Table, Table]:
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", BigIntId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False),
        Column("event_type", String(120), nullable=False),
        Column("exchange", String(120), nullable=False),
        Column("tenant_id", String(64), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        # null until the broker confirmed the publish
        Column("sent_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        # set when the broker returned the event as unroutable; kept and retried
        Column("unroutable_at", DateTime(timezone=True), nullable=True),
        Column("last_error", Text, nullable=True),
        UniqueConstraint("event_id", name="uq_outbox_event_id"),
        Index(
            "ix_outbox_pending",
            "seq",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False),
    )
    return outbox, inbox


outbox_table, inbox_table = _define(kit_metadata)

# a write's Idempotency-Key, reserved in the write's own transaction, then its response
idempotency_table = Table(
    "idempotency_keys",
    kit_metadata,
    Column("caller", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=True),  # null until the response is recorded
    Column("content_type", String(100), nullable=True),
    Column("response", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def compress_outbox_bodies(connection, method: str = "lz4") -> None:
    """PostgreSQL 14 and later: the outbox's bodies compressed with ``method`` ("lz4":
    batches of events are ~100 KB, which the default pglz compresses at ~3x the CPU
    cost; "pglz" to undo). Nothing elsewhere, or where the server lacks the method."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(text(  # EXECUTE: an older server's parser never sees the clause
        "DO $$ BEGIN EXECUTE 'ALTER TABLE outbox ALTER COLUMN body SET COMPRESSION "
        f"{method}'; EXCEPTION WHEN feature_not_supported OR syntax_error THEN NULL; END $$"))


def create_kit_tables(connection, *names: str) -> None:
    """Create the kit's tables named (all of them when none is named) that do not exist yet.

    A migration names the tables it introduces, so that it does the same thing
    whatever later versions of the kit add.
    """
    tables = [kit_metadata.tables[name] for name in names] if names else None
    kit_metadata.create_all(bind=connection, tables=tables)
