"""Database engines and sessions: SQLite (WAL) by default, PostgreSQL by URL.

PostgreSQL goes through psycopg 3, which must wait on sockets in a way eventlet
can switch away from: ``PSYCOPG_WAIT_FUNC=wait_select`` is set here before
psycopg is imported (stack.md measured 3.0 s vs 1.02 s for 3 concurrent sleeps).

Tenancy is enforced in one place: a session whose ``info["tenant_id"]`` is set
adds ``cooperative_id = <tenant>`` to every ORM query, update and delete of a
``TenantScoped`` model, refuses to flush a row added for another cooperative,
and refuses to move a row to another cooperative.

Only ``cae migrate`` creates a store. The ``cae`` command line runs every other command
under ``existing_stores_only(service)``: each engine made then is first checked by
``check_store`` (an SQLite file must exist, it is never created; the store must hold
Alembic's version table), which raises ``MissingStore`` naming the store and the
command that makes it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

from datetime import UTC, datetime  # noqa: E402

from sqlalchemy import DateTime, String, create_engine, event, insert, inspect, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlalchemy.exc import ArgumentError, SQLAlchemyError  # noqa: E402
from sqlalchemy.orm import (  # noqa: E402
    Mapped,
    Session,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.types import TypeDecorator  # noqa: E402

from caekit import context  # noqa: E402


class TenantScoped:
    """Mixin for models that belong to one cooperative (column ``cooperative_id``).

    A model may redeclare the column (e.g. with a foreign key to its cooperatives).
    """

    cooperative_id: Mapped[str] = mapped_column(String(36), index=True)


class UtcDateTime(TypeDecorator):
    """An instant, ``TIMESTAMP WITH TIME ZONE``, always read back as an aware UTC datetime.

    PostgreSQL returns instants in the session's time zone, and SQLite (which has no
    time zones) returns them naive; both are written and read here in UTC, so a response
    carries ``+00:00`` whatever the database. A naive value is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @staticmethod
    def _utc(value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_bind_param(self, value, dialect):
        return self._utc(value)

    def process_result_value(self, value, dialect):
        return self._utc(value)


class CrossTenantWrite(PermissionError):
    pass


class MissingStore(RuntimeError):
    """A store that does not exist, has no tables or cannot be opened, met by a command
    that may not create it (every command but ``cae migrate``). The message is one line."""


VERSION_TABLE = "alembic_version"  # every service's migrations keep Alembic's default
_existing_only: ContextVar[tuple[bool, str | None]] = ContextVar("cae_existing_stores_only",
                                                                  default=(False, None))


@contextmanager
def existing_stores_only(service: str | None = None):
    """Within the block, ``make_engine`` refuses (``MissingStore``) a store ``cae migrate``
    has not made; ``service`` names the command to run in the message."""
    token = _existing_only.set((True, service))
    try:
        yield
    finally:
        _existing_only.reset(token)


def describe_store(url: str) -> str:
    """The store's URL without its password; a relative SQLite path with its absolute one."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL at all: say it as it is
        return url
    shown = parsed.render_as_string(hide_password=True)
    database = _sqlite_path(url)
    if database and not os.path.isabs(database):
        shown += f" ({os.path.abspath(database)})"
    return shown


def _sqlite_path(url: str) -> str | None:
    """The file of an SQLite URL ('' for an in-memory database), None for another backend."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database == ":memory:" or parsed.query.get("mode") == "memory":
        return ""
    if database.startswith("file:"):  # an SQLite URI filename (uri=true)
        database = database[len("file:"):].split("?", 1)[0]
    return database


def check_store(url: str, service: str | None = None, engine: Engine | None = None) -> None:
    """Raise ``MissingStore`` unless ``url`` is a store ``cae migrate`` made: for SQLite a
    file that exists (checked before anything connects, so none is created), and for
    every backend Alembic's version table with a revision in it."""
    what = f"the {service} store" if service else "the store"
    migrate = f"cae migrate {service or '<service>'}"
    variable = (f"CAE_{service.upper()}_DATABASE_URL or CAE_DATABASE_URL" if service
                else "CAE_DATABASE_URL")
    shown = describe_store(url)
    try:
        path = _sqlite_path(url)
    except Exception as exc:  # noqa: BLE001 - a URL SQLAlchemy cannot read
        raise MissingStore(f"{what} URL {url!r} is not a database URL ({exc}); "
                           f"check {variable}") from None
    if path == "":
        raise MissingStore(f"{what} {shown} is an in-memory database, empty by definition; "
                           f"point {variable} at a store made by {migrate}")
    if path is not None and not os.path.isfile(path):
        raise MissingStore(f"{what} {shown} does not exist: run {migrate} to create it, or "
                           f"point {variable} at an existing store")
    own = engine is None
    engine = engine or _create_engine(url)
    try:
        with engine.connect() as connection:
            migrated = (inspect(connection).has_table(VERSION_TABLE) and connection.execute(
                text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar_one() > 0)
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise MissingStore(f"cannot open {what} {shown}: {reason[:300]}") from None
    finally:
        if own:
            engine.dispose()
    if not migrated:
        raise MissingStore(f"{what} {shown} has no tables ({VERSION_TABLE} is missing or "
                           f"empty): run {migrate}")


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for ``url``; under ``existing_stores_only`` the store is checked first
    (making an engine connects to nothing: the check looks for an SQLite file before
    anything connects)."""
    refuse, service = _existing_only.get()
    if not refuse:
        return _create_engine(url, **kwargs)
    try:
        engine = _create_engine(url, **kwargs)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise MissingStore(f"{describe_store(url)} is not a database URL this service can "
                           f"open ({' '.join(str(exc).split())[:200]})") from None
    try:
        check_store(url, service, engine)
    except MissingStore:
        engine.dispose()
        raise
    return engine


def _create_engine(url: str, **kwargs) -> Engine:
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
