"""Database engines and sessions: SQLite (WAL) by default, PostgreSQL by URL.

PostgreSQL goes through psycopg 3, which must wait on sockets in a way eventlet
can switch away from: ``PSYCOPG_WAIT_FUNC=wait_select`` is set here before
psycopg is imported (stack.md measured 3.0 s vs 1.02 s for 3 concurrent sleeps).

Tenancy is enforced in one place: a session whose ``info["tenant_id"]`` is set
adds ``cooperative_id = <tenant>`` to every ORM query, update and delete of a
``TenantScoped`` model, refuses to flush a row added for another cooperative,
and refuses to move a row to another cooperative.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

from sqlalchemy import String, create_engine, event, insert, inspect  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import (  # noqa: E402
    Mapped,
    Session,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)

from caekit import context  # noqa: E402


class TenantScoped:
    """Mixin for models that belong to one cooperative (column ``cooperative_id``).

    A model may redeclare the column (e.g. with a foreign key to its cooperatives).
    """

    cooperative_id: Mapped[str] = mapped_column(String(36), index=True)


class CrossTenantWrite(PermissionError):
    pass


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def dialect_insert(session: Session):
    """``insert`` of the session's dialect (PostgreSQL or SQLite), for ON CONFLICT clauses."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


def get_or_insert(session: Session, model, key, **values):
    """The row ``key`` of ``model``, inserted with ``values`` if it is missing: once, even
    when two transactions ask for it at the same time (INSERT ... ON CONFLICT DO NOTHING)."""
    found = session.get(model, key)
    if found is None:
        session.execute(dialect_insert(session)(model).values(**values).on_conflict_do_nothing())
        found = session.get(model, key)
    return found


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """Insert many rows (all with the same keys) in the session's transaction, after
    flushing what the session holds.

    On PostgreSQL by COPY: in an eventlet worker an executemany waits on the socket once a
    row, ~190 us of CPU a row against ~20 us for COPY (bench/bench_payroll.py). Elsewhere
    by executemany. Columns the rows leave out take their server default (Python-side
    defaults do not apply)."""
    if not rows:
        return
    table = getattr(table, "__table__", table)
    session.flush()
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    from psycopg import sql

    names = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names)))
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def acting_session(sessions: sessionmaker[Session], tenant: str | None, subject: str,
                   roles=("staff",)):
    """A session of cooperative ``tenant`` (None: the whole network) whose work is done by
    ``subject`` with ``roles``: what a command line, a script or a test does outside a
    request or an event."""
    tokens = context.bind(tenant=tenant, who=context.Caller(subject, tenant, frozenset(roles)),
                          correlation=None)
    try:
        with sessions() as session:
            session.info["tenant_id"] = tenant
            yield session
    finally:
        context.unbind(tokens)


@event.listens_for(Session, "do_orm_execute")
def _filter_by_tenant(state):
    tenant = state.session.info.get("tenant_id")
    if tenant is None or state.execution_options.get("all_tenants"):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantScoped,
                lambda cls: cls.cooperative_id == tenant,
                include_aliases=True,
            )
        )


@event.listens_for(Session, "transient_to_pending")
def _remember_the_tenant_of_new_rows(session, obj):
    # checked when the row is added, under the tenant it is added for: a reliable
    # handler's batch flushes many tenants' rows at once, after the fact
    tenant = session.info.get("tenant_id")
    if tenant is not None and isinstance(obj, TenantScoped):
        obj._cae_tenant = str(tenant)


@event.listens_for(Session, "before_flush")
def _refuse_cross_tenant_rows(session, _flush_context, _instances):
    for obj in session.new:
        expected = getattr(obj, "_cae_tenant", None)
        if expected is not None and str(obj.cooperative_id) != expected:
            raise CrossTenantWrite(
                f"{type(obj).__name__} of cooperative {obj.cooperative_id} written under tenant {expected}"
            )
    for obj in session.dirty:
        if isinstance(obj, TenantScoped) and inspect(obj).attrs.cooperative_id.history.has_changes():
            raise CrossTenantWrite(f"{type(obj).__name__} cannot move to another cooperative")
