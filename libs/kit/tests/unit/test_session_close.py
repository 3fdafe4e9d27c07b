"""A worker's session whose connection broke mid-transaction: closing it must not raise
(an error from a worker's teardown stops the nameko container and its process)."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from caekit.dependencies import close


class BrokenSession:
    """What SQLAlchemy's session does once PostgreSQL restarted during a pipelined insert:
    the ROLLBACK of close() fails."""

    def __init__(self, invalidate_fails: bool = False):
        self.invalidated = False
        self.invalidate_fails = invalidate_fails

    def close(self):
        raise OperationalError("ROLLBACK", {}, Exception(
            "sending query failed: cannot exit pipeline mode while busy"))

    def invalidate(self):
        self.invalidated = True
        if self.invalidate_fails:
            raise OperationalError("invalidate", {}, Exception("connection already closed"))


def test_a_session_that_cannot_roll_back_is_discarded_not_raised():
    session = BrokenSession()
    close(session)
    assert session.invalidated


def test_even_a_failed_discard_does_not_raise():
    session = BrokenSession(invalidate_fails=True)
    close(session)
    assert session.invalidated
