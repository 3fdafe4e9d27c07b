"""Database engines and sessions: SQLite (WAL) by default, PostgreSQL by URL.

PostgreSQL goes through psycopg 3, which must wait on sockets in a way eventlet
can switch away from: ``PSYCOPG_WAIT_FUNC=wait_select`` is set here before
psycopg is imported (stack.md measured 3.0 s vs 1.02 s for 3 concurrent sleeps).

Tenancy is enforced in one place: a session whose ``info["tenant_id"]`` is set
adds ``cooperative_id = <tenant>`` to every ORM query of a ``TenantScoped``
model, and refuses to flush a row of another cooperative.
"""

from __future__ import annotations

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

from sqlalchemy import String, create_engine, event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import (  # noqa: E402
    Mapped,
    Session,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)


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


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@event.listens_for(Session, "do_orm_execute")
def _filter_by_tenant(state):
    tenant = state.session.info.get("tenant_id")
    if tenant is None or not state.is_select or state.execution_options.get("all_tenants"):
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.cooperative_id == tenant,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _refuse_cross_tenant_rows(session, _flush_context, _instances):
    tenant = session.info.get("tenant_id")
    if tenant is None:
        return
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, TenantScoped) and str(obj.cooperative_id) != str(tenant):
            raise CrossTenantWrite(
                f"{type(obj).__name__} of cooperative {obj.cooperative_id} written under tenant {tenant}"
            )
