"""The portal's application without the services: sessions, CSRF, catalogues, the demo
sign-in refused in production, error pages in French."""

from __future__ import annotations

from pathlib import Path

import pytest

from cae_portal.adapters import catalogues
from cae_portal.adapters.oidc import claims_of
from cae_portal.adapters.settings import SERVICES, PortalSettings
from cae_portal.entrypoints import app as portal
from cae_portal.entrypoints import entrepreneur, staff

NOWHERE = {s: "http://127.0.0.1:9" for s in SERVICES}
PACKAGE = Path(portal.__file__).resolve().parents[1]


def client(**settings):
    return portal.create_app(PortalSettings(service_urls=NOWHERE, **settings)).test_client()


def test_every_message_the_portal_shows_has_its_french_translation():
    used = (catalogues.messages_in_templates(PACKAGE / "entrypoints" / "templates")
            | catalogues.messages_in_code(PACKAGE)
            | {label for items in portal.NAVIGATION.values() for _, label in items}
            | set(portal.MONTHS) | set(portal.MONTHS_SHORT) | {m for pair in portal.ERRORS.values() for m in pair}
            | set(entrepreneur.RULES.values()) | set(entrepreneur.SERIES_LABELS.values())
            | {portal.STAFF_403} | set(portal.SIGN_IN_REFUSED) | set(staff.RULES.values()) | set(staff.MESSAGES.values())
            | set(staff.LEFT_OUT.values()) | set(staff.RUN_STATUS.values())
            | set(staff.STAGES.values()) | set(staff.POSTED.values()))
    french = catalogues.load("fr")
    missing = sorted(m for m in used if french.gettext(m) == m and m not in {
        "Budget", "Contribution", "Charges", "Base", "Documents", "Total", "Action", "Date",
        "E-mail", "FEC", "Notes", "CAPE", "CESA", "Diagnostic"})
    assert not missing, missing


def test_the_session_cookie_is_httponly_samesite_and_secure_outside_development():
    dev = client(development=True).get("/connexion/oidc")
    assert dev.status_code == 404
    cookie = dev.headers["Set-Cookie"]
    assert "cae_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    prod = client(development=False).get("/")
    assert "Secure" in prod.headers["Set-Cookie"]


def test_the_demo_sign_in_is_a_404_in_production():
    app = client(development=False)
    assert app.get("/connexion").status_code == 404
    page = app.get("/connexion")
    token = _csrf(app)
    assert app.post("/connexion", data={"csrf": token, "member": "m",
                                        "cooperative": "c"}).status_code == 404
    assert "Page introuvable" in page.get_data(as_text=True)


def _csrf(app) -> str:
    with app.session_transaction() as session:
        return session["csrf"]


def test_a_post_without_its_token_is_a_french_403_and_with_it_goes_on():
    app = client()
    refused = app.post("/connexion", data={"member": "m", "cooperative": "c"})
    assert refused.status_code == 403
    assert "Formulaire refusé" in refused.get_data(as_text=True)
    assert app.post("/connexion", data={"csrf": "x" * 43}).status_code == 403
    # with its token, the form reaches the route, which refuses what is not a cooperative id
    answered = app.post("/connexion", data={"csrf": _csrf(app), "member": "m",
                                            "cooperative": "c"})
    assert answered.status_code == 400  # "c" is no cooperative id: no token is minted


def test_pages_need_a_session_and_services_down_is_a_503_page_not_a_500():
    app = client()
    assert app.get("/accueil").headers["Location"] == "/"
    down = app.get("/connexion")
    assert down.status_code == 503 and "Service indisponible" in down.get_data(as_text=True)


def test_security_headers_and_health():
    response = client().get("/health/live")
    assert response.json == {"status": "ok"}
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_providers_token_claims_are_read():
    token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtLTEiLCJyb2xlcyI6WyJlbnRyZXByZW5ldXIiXX0.x"
    assert claims_of(token) == {"sub": "m-1", "roles": ["entrepreneur"]}
    with pytest.raises(ValueError):
        claims_of("not-a-jwt")


def test_a_message_in_several_catalogue_files_has_one_french_wording():
    """The .po files of a language are merged into one catalogue: a msgid two files
    translate differently would take whichever loads last, on every page."""
    from babel.messages.pofile import read_po

    wordings: dict[str, dict[str, str]] = {}
    for part in sorted((catalogues.TRANSLATIONS / "fr" / "LC_MESSAGES").glob("*.po")):
        with open(part, "rb") as po:
            for message in read_po(po, locale="fr"):
                if message.id:
                    wordings.setdefault(str(message.id), {})[part.stem] = str(message.string)
    clashes = {m: w for m, w in wordings.items() if len(set(w.values())) > 1}
    assert not clashes, clashes
