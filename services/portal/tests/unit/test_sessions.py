"""The session stores: what a session holds comes back only with its id; the database's
table alone opens nothing; a session ends after its hours of inactivity."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from cae_portal.adapters import sessions
from cae_portal.adapters.sessions import SESSIONS, DatabaseSessionStore, MemorySessionStore
from caekit.db import make_engine

DATA = {"token": "eyJ.secret.token", "viewer": {"subject": "m-1", "roles": ["entrepreneur"]},
        "csrf": "c" * 43}


@pytest.fixture(params=["memory", "database"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemorySessionStore(3600)
    return DatabaseSessionStore(make_engine(f"sqlite:///{tmp_path}/sessions.db"), 3600)


def test_a_session_comes_back_by_its_id_only(store):
    sid = sessions.new_id()
    expires = store.save(sid, DATA)
    assert expires == pytest.approx(time.time() + 3600, abs=5)
    assert store.load(sid) == (DATA, expires)
    assert store.load(sessions.new_id()) is None
    store.delete(sid)
    assert store.load(sid) is None
    store.check()


def test_a_session_ends_after_its_time(store, monkeypatch):
    sid = sessions.new_id()
    store.save(sid, DATA)
    later = time.time() + 3601
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    assert store.load(sid) is None


def test_the_table_holds_neither_the_id_nor_the_token(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/sessions.db")
    store = DatabaseSessionStore(engine, 3600)
    sid = sessions.new_id()
    store.save(sid, DATA)
    with engine.connect() as connection:
        key, sealed = connection.execute(select(SESSIONS.c.key, SESSIONS.c.sealed)).one()
    assert sid.encode() not in key and b"secret" not in sealed and b"m-1" not in sealed
    # the sealed bytes under another id's key do not open (nor does a tampered copy)
    assert sessions.unseal(sessions.new_id(), sealed) is None
    assert sessions.unseal(sid, sealed[:-1] + bytes([sealed[-1] ^ 1])) is None
    assert sessions.unseal(sid, sealed) == DATA


def test_an_unchanged_session_is_written_back_once_a_minute_not_at_every_page(tmp_path):
    from cae_portal.adapters.settings import SERVICES, PortalSettings
    from cae_portal.entrypoints import app as portal

    app = portal.create_app(PortalSettings(service_urls={s: "http://127.0.0.1:9"
                                                         for s in SERVICES}))
    saves = []
    store = app.session_interface.store
    original = store.save
    store.save = lambda sid, data: saves.append(sid) or original(sid, data)
    client = app.test_client()
    client.get("/")  # a new session: its CSRF token, saved
    client.get("/")
    client.get("/")
    assert len(saves) == 1
    client.get("/health/live")  # probes open no session
    assert len(saves) == 1 and client.get("/health/live").headers.get("Set-Cookie") is None


def _app_with(store_kind, tmp_path):
    from cae_portal.adapters.settings import SERVICES, PortalSettings
    from cae_portal.entrypoints import app as portal

    app = portal.create_app(PortalSettings(service_urls={s: "http://127.0.0.1:9"
                                                         for s in SERVICES}))
    if store_kind == "database":
        app.session_interface.store = DatabaseSessionStore(
            make_engine(f"sqlite:///{tmp_path}/sessions.db"), 3600)
    return app


def _opened(app, sid):
    """The session as a request that read it now holds it (not yet written back)."""
    with app.test_request_context("/", headers={"Cookie": f"{sessions.COOKIE}={sid}"}):
        return app.session_interface.open_session(app, __import__("flask").request)


@pytest.mark.parametrize("kind", ["memory", "database"])
def test_a_session_signed_out_elsewhere_is_never_brought_back(kind, tmp_path):
    app = _app_with(kind, tmp_path)
    client = app.test_client()
    client.get("/")
    sid = client.get_cookie(sessions.COOKIE).value
    read_before = _opened(app, sid)  # a poll of another tab, started before the sign-out
    with client.session_transaction() as session:
        csrf = session["csrf"]
    client.post("/deconnexion", data={"csrf": csrf})
    assert app.session_interface.store.load(sid) is None
    read_before["notice"] = "written after the sign-out"
    response = app.response_class()
    app.session_interface.save_session(app, read_before, response)
    assert app.session_interface.store.load(sid) is None
    assert "Max-Age=0" in response.headers["Set-Cookie"]  # the browser forgets it too
    read_before = _opened(app, sid)  # nor an unchanged one pushing its end
    assert read_before.new


@pytest.mark.parametrize("kind", ["memory", "database"])
def test_pushing_a_sessions_end_never_overwrites_what_another_request_wrote(kind, tmp_path,
                                                                           monkeypatch):
    app = _app_with(kind, tmp_path)
    client = app.test_client()
    client.get("/")
    sid = client.get_cookie(sessions.COOKIE).value
    stale = _opened(app, sid)  # read before the other request wrote its notice
    store = app.session_interface.store
    data, _ = store.load(sid)
    store.save(sid, {**data, "notice": "Vote enregistré"}, existing=True)
    later = time.time() + sessions.TOUCH_SECONDS + 5
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    app.session_interface.save_session(app, stale, app.response_class())  # a touch
    kept, expires = store.load(sid)
    assert kept["notice"] == "Vote enregistré" and expires > later + 3000
