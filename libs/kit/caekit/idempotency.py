"""Idempotency keys for write requests (architecture rule 4).

A client sends ``Idempotency-Key: <key>`` with a POST, PUT, PATCH or DELETE.
The key is reserved in the SAME transaction as the write (a ``before_commit``
listener), so a write and its key commit together or not at all; the response
is recorded just after. A key belongs to one caller in one cooperative (its scope,
:func:`scope`): the same key sent by the same person for another cooperative, or by
another person, is another key. Then, for the same scope and key:
- the same request (method, path and body) gets the recorded response again,
  marked ``Idempotent-Replayed: true``, and writes nothing;
- another request is refused with 409;
- a concurrent twin loses on the key's primary key and is refused with 409;
- a key whose write committed but whose response was not recorded (a crash in
  between) is refused with 409, since the outcome cannot be replayed.
A write that failed committed nothing, so its key stays free for a retry. A write made
of steps, each committed on its own (``reserved_with_the_last_step``), reserves its key
with its last step: one interrupted part-way leaves its key free for the retry that
finishes it.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from caekit.tables import idempotency_table

HEADER = "Idempotency-Key"
KEY = re.compile(r"[A-Za-z0-9._:-]{1,200}")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def scope(cooperative_id: str | None, caller: str) -> str:
    """The owner of a key: the cooperative the request acts on and the caller, as one
    string of at most 200 characters (the caller hashed when too long)."""
    text = f"{cooperative_id or '-'}/{caller}"
    if len(text) <= 200:
        return text
    return f"{cooperative_id or '-'}/sha256:{hashlib.sha256(caller.encode()).hexdigest()}"


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def lookup(session_factory, caller: str, key: str):
    with session_factory() as session:
        return session.execute(select(idempotency_table).where(
            idempotency_table.c.caller == caller, idempotency_table.c.key == key)).first()


def record(session_factory, caller: str, key: str, status: int, content_type: str,
           response: str) -> None:
    with session_factory() as session, session.begin():
        session.execute(update(idempotency_table)
                        .where(idempotency_table.c.caller == caller,
                               idempotency_table.c.key == key)
                        .values(status=status, content_type=content_type, response=response))


@contextmanager
def reserved_with_the_last_step(session: Session):
    """The commits made inside the block reserve no key: the request's key is reserved
    with the commit that follows the block (the write's last step)."""
    reservation = session.info.pop("idempotency", None)
    try:
        yield
    finally:
        if reservation is not None:
            session.info["idempotency"] = reservation


@event.listens_for(Session, "before_commit")
def _reserve_with_the_write(session):
    reservation = session.info.pop("idempotency", None)
    if reservation is not None:
        caller, key, digest = reservation
        session.execute(insert(idempotency_table).values(
            caller=caller, key=key, request_hash=digest, created_at=datetime.now(UTC)))
