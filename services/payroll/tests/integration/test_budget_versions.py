"""The budget payroll reads is the ledger's latest version, whatever the order and the
concurrency in which the versions are handled (real database)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from cae_payroll.usecases.employees import record_budget
from caekit.db import make_engine, make_session_factory
from caekit.testing import backend

COOP = "9d6f1f4e-5a43-4c9e-9d5e-0a8c1b2c3d4e"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def budget(engine) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT available_cents, as_of FROM budgets WHERE activity_code = 'TRAD'")).one())


def test_an_older_version_changes_nothing(database_url):
    engine = make_engine(database_url("payroll"))
    sessions = make_session_factory(engine)
    for available, as_of in ((100, T0), (300, T0 + timedelta(seconds=2)),
                             (200, T0 + timedelta(seconds=1)), (250, T0 + timedelta(seconds=2))):
        with sessions() as session, session.begin():
            record_budget(session, COOP, "TRAD", available, as_of)
    assert budget(engine)[0] == 300  # the later version; the same as_of again changes nothing
    engine.dispose()


@pytest.mark.skipif(backend() != "postgresql", reason="SQLite has one writer at a time")
def test_two_versions_handled_at_once_keep_the_later(database_url):
    """The later version's transaction writes first and commits last; the earlier one,
    handled meanwhile in another transaction, must not overwrite it."""
    engine = make_engine(database_url("payroll"))
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        record_budget(session, COOP, "TRAD", 100, T0)
    later = sessions()
    later.begin()
    record_budget(later, COOP, "TRAD", 300, T0 + timedelta(seconds=2))
    later.flush()  # written, its row locked, not committed

    def earlier():
        with sessions() as session, session.begin():
            record_budget(session, COOP, "TRAD", 200, T0 + timedelta(seconds=1))

    thread = threading.Thread(target=earlier)
    thread.start()
    time.sleep(0.5)  # the earlier version's transaction is now waiting for the row
    later.commit()
    later.close()
    thread.join(timeout=30)
    assert budget(engine)[0] == 300
    engine.dispose()
