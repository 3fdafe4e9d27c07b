"""Server-side sessions: the browser holds only a random id in the ``cae_session`` cookie
(HttpOnly, SameSite=Lax, Secure outside development); the token, the person and the CSRF
token stay here.

The store is this process's memory: enough for one portal process (the demo, the tests).
Production with several replicas needs a shared store (Redis, or the database of a
portal of its own) behind the same ``SessionStore`` methods: say so before scaling out.
"""

from __future__ import annotations

import secrets
import threading
import time

from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

COOKIE = "cae_session"


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, sid: str, data: dict | None = None, new: bool = False):
        def changed(_):
            self.modified = True

        super().__init__(data or {}, changed)
        self.sid = sid
        self.new = new
        self.modified = False
        self.rotate = False  # a new id at sign-in: no session fixation

    def regenerate(self) -> None:
        self.rotate = True
        self.modified = True


class MemorySessionStore:
    """Sessions by id, each ending ``ttl_seconds`` after its last use."""

    def __init__(self, ttl_seconds: float):
        self.ttl = ttl_seconds
        self._data: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def load(self, sid: str) -> dict | None:
        now = time.monotonic()
        with self._lock:
            found = self._data.get(sid)
            if found is None or found[0] < now:
                self._data.pop(sid, None)
                return None
            return dict(found[1])

    def save(self, sid: str, data: dict) -> None:
        with self._lock:
            self._data[sid] = (time.monotonic() + self.ttl, dict(data))
            if len(self._data) % 256 == 0:
                self._expire()

    def delete(self, sid: str) -> None:
        with self._lock:
            self._data.pop(sid, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for sid in [s for s, (until, _) in self._data.items() if until < now]:
            del self._data[sid]


def new_id() -> str:
    return secrets.token_urlsafe(32)


class ServerSessionInterface(SessionInterface):
    """Flask's ``session`` kept in a ``MemorySessionStore``; the cookie holds its id only."""

    def __init__(self, store: MemorySessionStore, secure: bool):
        self.store = store
        self.secure = secure

    def open_session(self, app, request):
        sid = request.cookies.get(COOKIE)
        if sid:
            data = self.store.load(sid)
            if data is not None:
                return ServerSession(sid, data)
        return ServerSession(new_id(), new=True)

    def save_session(self, app, session, response):
        if not session:
            if not session.new:
                self.store.delete(session.sid)
                response.delete_cookie(COOKIE, path="/")
            return
        if session.rotate:
            self.store.delete(session.sid)
            session.sid = new_id()
            session.rotate = False
        self.store.save(session.sid, dict(session))
        response.set_cookie(COOKIE, session.sid, httponly=True, secure=self.secure,
                            samesite="Lax", path="/")
        response.vary.add("Cookie")
