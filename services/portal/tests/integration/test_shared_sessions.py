"""Two portal replicas sharing their sessions in PostgreSQL: a session opened by one is
known to the other (its CSRF token passes there); signed out on one, gone on both."""

from __future__ import annotations

from sqlalchemy import MetaData, func, select

from cae_portal.adapters.sessions import COOKIE, SESSIONS
from cae_portal.adapters.settings import SERVICES, PortalSettings
from cae_portal.entrypoints import app as portal
from caekit.db import make_engine

NOWHERE = {s: "http://127.0.0.1:9" for s in SERVICES}


def test_two_replicas_share_the_sessions_and_a_sign_out(database_url):
    url = database_url("portal", metadata=MetaData())  # an empty database: the portal's
    settings = PortalSettings(service_urls=NOWHERE, session_database_url=url)
    first, second = (portal.create_app(settings).test_client() for _ in range(2))
    assert first.get("/health/ready").json["checks"] == {"sessions": "ok"}
    first.get("/")  # a session with its CSRF token, kept in the database
    sid = first.get_cookie(COOKIE).value
    with first.session_transaction() as session:
        csrf = session["csrf"]
    second.set_cookie(COOKIE, sid)
    # the other replica knows the session: the form with its token reaches the route
    # (no CSRF 403), which signs out and forgets the session on both
    signed_out = second.post("/deconnexion", data={"csrf": csrf})
    assert signed_out.status_code == 200, signed_out.status_code
    assert "Vous êtes déconnecté" in signed_out.get_data(as_text=True)
    refused = first.post("/deconnexion", data={"csrf": csrf})
    assert refused.status_code == 403
    engine = make_engine(url)
    with engine.connect() as connection:
        keys = connection.execute(select(func.count()).select_from(SESSIONS)).scalar_one()
    engine.dispose()
    assert keys == 1  # the session the refused form opened; the signed-out one is gone


def test_not_ready_while_the_session_database_does_not_answer(database_url):
    url = database_url("portal", metadata=MetaData())
    app = portal.create_app(PortalSettings(service_urls=NOWHERE, session_database_url=url))
    store = app.session_interface.store
    store.engine.dispose()
    store.engine = make_engine("postgresql://cae:cae@127.0.0.1:9/nothing",
                               connect_args={"connect_timeout": 2})
    client = app.test_client()
    answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json["checks"] == {"sessions": "OperationalError"}
    client.set_cookie(COOKIE, "x" * 43)  # a page: the 503 page in French, not a 500
    page = client.get("/accueil")
    assert page.status_code == 503 and "Service indisponible" in page.get_data(as_text=True)
