"""Server-side sessions: the browser holds only a random id in the ``cae_session`` cookie
(HttpOnly, SameSite=Lax, Secure outside development); the token, the person and the CSRF
token stay here.

Two stores behind the same methods (``load`` -> (data, expires at) or None, ``save``,
``delete``, ``check``): this process's memory (``MemorySessionStore``: one portal process,
the demo and the tests) and a table of the portal's own database
(``DatabaseSessionStore``, when CAE_PORTAL_SESSION_DATABASE_URL is set: every replica
shares it). The table holds no usable secret: its key is the SHA-256 of the session id and
each session is sealed (AES-GCM) under a key derived from the id (HKDF-SHA256), which only
the browser's cookie holds.

A session ends ``session_hours`` after its last use; an unchanged session has its end
pushed at most once a minute (``TOUCH_SECONDS``), its content untouched; a changed one is
written only over a row still there: a session signed out in one tab is never brought back
by a request of another that read it before.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import Column, Float, LargeBinary, MetaData, Table, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import CallbackDict

COOKIE = "cae_session"
TOUCH_SECONDS = 60
UNSESSIONED = ("/health/", "/static/")  # no session read or written for these


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, sid: str, data: dict | None = None, new: bool = False):
        def changed(_):
            self.modified = True

        super().__init__(data or {}, changed)
        self.sid = sid
        self.new = new
        self.modified = False
        self.rotate = False  # a new id at sign-in: no session fixation
        self.expires = 0.0  # when the stored copy ends (wall clock), 0 when new
        self.kept = True  # False: never written (health probes, static files, store down)
        self.store_down = False  # the store did not answer: the page says so (503)

    def regenerate(self) -> None:
        self.rotate = True
        self.modified = True


class MemorySessionStore:
    """Sessions by id, each ending ``ttl_seconds`` after its last use."""

    def __init__(self, ttl_seconds: float):
        self.ttl = ttl_seconds
        self._data: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def load(self, sid: str) -> tuple[dict, float] | None:
        now = time.time()
        with self._lock:
            found = self._data.get(sid)
            if found is None or found[0] < now:
                self._data.pop(sid, None)
                return None
            return dict(found[1]), found[0]

    def save(self, sid: str, data: dict, existing: bool = False) -> float | None:
        expires = time.time() + self.ttl
        with self._lock:
            if existing and sid not in self._data:
                return None  # ended meanwhile (signed out in another tab)
            self._data[sid] = (expires, dict(data))
            if len(self._data) % 256 == 0:
                self._expire()
        return expires

    def touch(self, sid: str) -> float | None:
        expires = time.time() + self.ttl
        with self._lock:
            if sid not in self._data:
                return None
            self._data[sid] = (expires, self._data[sid][1])
        return expires

    def delete(self, sid: str) -> None:
        with self._lock:
            self._data.pop(sid, None)

    def _expire(self) -> None:
        now = time.time()
        for sid in [s for s, (until, _) in self._data.items() if until < now]:
            del self._data[sid]

    def check(self) -> None:
        """Ready: memory always is."""


_METADATA = MetaData()
SESSIONS = Table(
    "portal_session", _METADATA,
    Column("key", LargeBinary(32), primary_key=True),  # SHA-256 of the session id
    Column("sealed", LargeBinary, nullable=False),  # nonce (12 bytes) + AES-GCM of the JSON
    Column("expires_at", Float, nullable=False, index=True),  # Unix time, seconds
)


def _row_key(sid: str) -> bytes:
    return hashlib.sha256(b"cae-portal-session-id:" + sid.encode()).digest()


def _aead(sid: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"cae-portal-session-key").derive(sid.encode())
    return AESGCM(key)


def seal(sid: str, data: dict) -> bytes:
    nonce = os.urandom(12)
    return nonce + _aead(sid).encrypt(nonce, json.dumps(data).encode(), _row_key(sid))


def unseal(sid: str, sealed: bytes) -> dict | None:
    try:
        return json.loads(_aead(sid).decrypt(sealed[:12], sealed[12:], _row_key(sid)))
    except (InvalidTag, ValueError):
        return None


class DatabaseSessionStore:
    """Sessions in the ``portal_session`` table (created at start if missing: the portal's
    one table, no history to migrate), shared by every portal replica. Expired rows are
    deleted now and then by the saves (about one in 256)."""

    def __init__(self, engine, ttl_seconds: float):
        self.engine = engine
        self.ttl = ttl_seconds
        _METADATA.create_all(engine, checkfirst=True)

    def load(self, sid: str) -> tuple[dict, float] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(SESSIONS.c.sealed, SESSIONS.c.expires_at).where(
                SESSIONS.c.key == _row_key(sid))).first()
        if row is None or row.expires_at < time.time():
            return None
        data = unseal(sid, row.sealed)
        return (data, row.expires_at) if data is not None else None

    def save(self, sid: str, data: dict, existing: bool = False) -> float | None:
        """A new session's row; or, ``existing``, the session's new content, None when its
        row is gone meanwhile (signed out in another tab: never brought back)."""
        now = time.time()
        expires = now + self.ttl
        sealed = seal(sid, data)
        with self.engine.begin() as connection:
            if existing:
                written = connection.execute(update(SESSIONS).where(
                    SESSIONS.c.key == _row_key(sid)).values(sealed=sealed,
                                                            expires_at=expires)).rowcount
            else:
                written = connection.execute(insert(SESSIONS).values(
                    key=_row_key(sid), sealed=sealed, expires_at=expires)).rowcount
            if secrets.randbelow(256) == 0:
                connection.execute(delete(SESSIONS).where(SESSIONS.c.expires_at < now))
        return expires if written else None

    def touch(self, sid: str) -> float | None:
        """An unchanged session's end pushed, its content untouched (a request that read
        it earlier never overwrites what another wrote since); None when it is gone."""
        expires = time.time() + self.ttl
        with self.engine.begin() as connection:
            written = connection.execute(update(SESSIONS).where(
                SESSIONS.c.key == _row_key(sid)).values(expires_at=expires)).rowcount
        return expires if written else None

    def delete(self, sid: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(SESSIONS).where(SESSIONS.c.key == _row_key(sid)))

    def check(self) -> None:
        """Ready when the table answers (raises otherwise)."""
        with self.engine.connect() as connection:
            connection.execute(select(SESSIONS.c.key).limit(1))


def new_id() -> str:
    return secrets.token_urlsafe(32)


class ServerSessionInterface(SessionInterface):
    """Flask's ``session`` kept in a store (memory or database); the cookie holds its id
    only."""

    def __init__(self, store: MemorySessionStore | DatabaseSessionStore, secure: bool):
        self.store = store
        self.secure = secure

    def open_session(self, app, request):
        if request.path.startswith(UNSESSIONED):
            session = ServerSession(new_id(), new=True)
            session.kept = False
            return session
        sid = request.cookies.get(COOKIE)
        if sid and len(sid) <= 128:
            try:
                found = self.store.load(sid)
            except SQLAlchemyError:
                session = ServerSession(sid, new=True)
                session.kept, session.store_down = False, True
                return session
            if found is not None:
                session = ServerSession(sid, found[0])
                session.expires = found[1]
                return session
        return ServerSession(new_id(), new=True)

    def save_session(self, app, session, response):
        if not session.kept:
            return
        if session and not (session.new or session.rotate or session.modified) and \
                session.expires - time.time() > self.store.ttl - TOUCH_SECONDS:
            return  # unchanged, and written back less than a minute ago
        try:
            expires = self._write(session)
        except SQLAlchemyError as error:  # the page is made: say it in the log
            app.logger.warning("session not saved: %s", error.__class__.__name__)
            if not session and not session.new:
                response.delete_cookie(COOKIE, path="/")
            return
        if expires is None:  # emptied (signed out), or ended meanwhile elsewhere
            if not session.new:
                response.delete_cookie(COOKIE, path="/")
            return
        session.expires = expires
        response.set_cookie(COOKIE, session.sid, httponly=True, secure=self.secure,
                            samesite="Lax", path="/")
        response.vary.add("Cookie")

    def _write(self, session: ServerSession) -> float | None:
        """The session written as it changed: its end (Unix time), or None when it is no
        more (emptied, or gone from the store: never brought back)."""
        if not session:
            if not session.new:
                self.store.delete(session.sid)
            return None
        if session.rotate:
            self.store.delete(session.sid)
            session.sid, session.rotate, session.new = new_id(), False, True
        if session.new:
            return self.store.save(session.sid, dict(session))
        if session.modified:
            return self.store.save(session.sid, dict(session), existing=True)
        return self.store.touch(session.sid)
