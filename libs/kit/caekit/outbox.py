"""The transactional outbox: events are rows written with the change that causes them.

``publish(session, type, data)`` validates the event against its contract and
adds an outbox row to the caller's transaction; the relay publishes committed
rows later, a message each. The events of a contract published in batches
(``EventContract.batch``) share rows: a row holds up to that many of a
transaction's events of the type and cooperative, as a CloudEvents JSON batch.
Nothing reaches the broker unless the transaction commits, and nothing
committed is lost if the broker is down.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime

import orjson
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cae_contracts import build_event, contract_for
from caekit import context
from caekit.db import insert_rows
from caekit.tables import outbox_table

_wakers: weakref.WeakSet = weakref.WeakSet()  # threading.Event of each relay in this process


def wake_relays_on_commit(waker) -> None:
    """Set ``waker`` whenever a transaction that wrote outbox rows commits."""
    _wakers.add(waker)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    if session.info.pop("outbox_dirty", False):
        for waker in list(_wakers):
            waker.set()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop("outbox_dirty", None)
    session.info.pop("outbox_rows", None)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction):
    if transaction.parent is None:  # committed, rolled back or closed: the next one starts clean
        session.info.pop("outbox_failed", None)
        session.info.pop(_WORK, None)


_WORK = "transaction_work"


def transaction_work(session: Session, key: str, make, write=None):
    """The state ``key`` of the session's current transaction, made by ``make()`` on first
    use and forgotten when the transaction ends (commit, rollback or close).

    ``write(session, state)``, if given, runs when the transaction commits, before its
    events are written: the commit-time work of a service's unit of work, which may
    publish events itself (the ledger's balances, payroll's payslips). It is declared by
    the use case that needs it, on its own session, never for the whole process.
    """
    work = session.info.setdefault(_WORK, {})
    found = work.get(key)
    if found is None:
        if not session.in_transaction():
            session.begin()  # the state lives and dies with a transaction
        found = work[key] = (make(), write)
    return found[0]


@event.listens_for(Session, "before_commit")
def _write_rows(session):
    """The transaction's commit-time work, then its events in one statement, just before
    it commits."""
    if session.info.get("outbox_failed"):
        raise RuntimeError("a commit of this transaction failed: roll it back")
    try:
        for state, write in list(session.info.pop(_WORK, {}).values()):
            if write is not None:
                write(session, state)
        rows = session.info.pop("outbox_rows", None)
        if rows:
            insert_rows(session, outbox_table, _as_messages(rows))
            session.info["outbox_dirty"] = True
    except BaseException:
        # what was written so far is in the transaction, what was not is gone from the
        # session: committing it again would commit half of it
        session.info["outbox_failed"] = True
        raise


def _as_messages(rows: list[dict]) -> list[dict]:
    """A row per message: an event's own, but the events of a contract published in
    batches go up to its ``batch`` of one cooperative to a row, a CloudEvents JSON batch
    (writing, relaying and marking one row instead of a hundred is most of what an
    event costs the database)."""
    out, filling = [], {}
    for row in rows:
        size = contract_for(row["event_type"]).batch
        if not size:
            out.append(row)
            continue
        key = (row["event_type"], row["tenant_id"])
        batch = filling.get(key)
        if batch is None or len(batch) >= size:
            batch = filling[key] = []
            out.append(batch)
        batch.append(row)
    return [row if type(row) is dict else {  # the first event's row, with them all as body
        **row[0], "body": f"[{','.join(each['body'] for each in row)}]"} for row in out]


def publish(session: Session, type_: str, data: dict, *, tenant_id: str | None = None) -> dict:
    """Add an event to ``session``'s transaction; returns the CloudEvents body.

    The event is validated now; its row is written when the transaction commits
    (``before_commit``), with the transaction's other events in one statement. Work
    done at commit that publishes is declared with :func:`transaction_work`.
    """
    tenant = tenant_id or context.tenant_id.get()
    if tenant is None:
        raise ValueError(f"{type_}: no cooperative (tenant) for this event")
    body = build_event(
        type_,
        data,
        tenant_id=str(tenant),
        correlation_id=context.correlation_id.get(),
        causation_id=context.causation_id.get(),
        actor=context.caller.get().subject,
    )
    session.info.setdefault("outbox_rows", []).append({
        "event_id": body["id"],
        "event_type": type_,
        "exchange": contract_for(type_).exchange,
        "tenant_id": str(tenant),
        "body": orjson.dumps(body).decode(),  # compact UTF-8 JSON, ~10x json.dumps
        "created_at": datetime.now(UTC),
        "attempts": 0,
    })
    return body


def backlog(session: Session) -> int:
    """How many committed messages (rows: an event, or a batch of them) wait for the
    broker's confirmation."""
    return session.execute(
        select(func.count()).select_from(outbox_table).where(outbox_table.c.sent_at.is_(None))
    ).scalar_one()


def prune(session: Session, older_than) -> tuple[int, int, int]:
    """Delete outbox rows confirmed before ``older_than``, inbox rows handled before it and
    idempotency keys recorded before it.

    Returns (outbox rows, inbox rows, idempotency keys) deleted. An inbox row must outlive
    any redelivery of its event, and a key any retry of its request: keep them longer
    than messages wait in a queue (retries included) and clients retry; the default
    retention of ``cae prune`` is 30 days.
    """
    from sqlalchemy import delete

    from caekit.tables import idempotency_table, inbox_table

    sent = session.execute(
        delete(outbox_table).where(outbox_table.c.sent_at.is_not(None),
                                   outbox_table.c.sent_at < older_than)
    ).rowcount
    handled = session.execute(delete(inbox_table).where(inbox_table.c.handled_at < older_than)).rowcount
    keys = session.execute(
        delete(idempotency_table).where(idempotency_table.c.created_at < older_than)).rowcount
    return sent, handled, keys
