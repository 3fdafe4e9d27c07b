"""Signing in and out. Production: the network's OpenID Connect provider (authorization code
with PKCE). ``make demo`` (CAE_ENV=development only): a page listing the seeded people,
each signed in with a development token; outside development that page is a 404."""

from __future__ import annotations

import uuid

import requests
from authlib.integrations.base_client.errors import OAuthError
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from cae_portal.adapters import oidc
from cae_portal.adapters.services import HttpGateway
from cae_portal.adapters.settings import PortalSettings
from cae_portal.entrypoints.app import current_viewer, error_page, home_endpoint, t
from cae_portal.usecases.gateway import ServiceError
from cae_portal.usecases.pages import demo_people
from caekit.auth import mint
from caekit.config import Settings

blueprint = Blueprint("auth", __name__)
DEMO_TOKEN_SECONDS = 8 * 3600


def setup(app, settings: PortalSettings) -> None:
    app.extensions["portal.oauth"] = oidc.configure(app, settings)


def _settings() -> PortalSettings:
    return current_app.config["PORTAL"]


def _token_settings() -> Settings:
    return Settings.from_env("portal")


def _sign_in(token: str, person: dict) -> None:
    csrf = session.get("csrf")
    session.clear()
    session.regenerate()  # a new session id once signed in
    session.update(token=token, viewer=person, csrf=csrf)


def _person(token: str, subject: str, coop: str | None, roles: list[str]) -> dict:
    """Who signed in, with their activity and cooperative names (members' API, with their
    own token)."""
    person = {"subject": subject, "cooperative_id": coop, "roles": roles, "name": subject}
    if not coop:
        return person
    gateway = HttpGateway(_settings().service_urls, token, timeout=_settings().service_timeout)
    try:
        got = gateway.gather({"cooperative": lambda: gateway.cooperative(coop),
                              "member": lambda: gateway.member(coop, subject)})
    except ServiceError as error:
        if error.status not in (403, 404):
            raise
        return person
    member = got["member"]
    person.update(name=f"{member['first_name']} {member['last_name']}",
                  activity_code=member.get("activity_code"),
                  cooperative_name=got["cooperative"]["name"])
    return person


@blueprint.get("/")
def index():
    viewer = current_viewer()
    if viewer:
        return redirect(url_for(home_endpoint(viewer)))
    return redirect(url_for("auth.sign_in" if _settings().development else "auth.oidc_sign_in"))


@blueprint.get("/connexion")
def sign_in():
    settings = _settings()
    if not settings.development:
        abort(404)
    operator = mint("portal-demo", roles=["network_operator"], settings=_token_settings(),
                    ttl_seconds=300)
    gateway = _DemoGateway(settings, operator)
    people = demo_people(gateway)
    cooperatives = sorted({(p.cooperative_name, p.cooperative_id) for p in people})
    return render_template("sign_in.html", people=people,
                           staff=[(name, coop, staff_subject(name)) for name, coop in cooperatives],
                           oidc=current_app.extensions.get("portal.oauth") is not None)


class _DemoGateway(HttpGateway):
    """Members' lists for the demo's sign-in page: the operator's token lists the
    cooperatives, a staff token of each lists its people (development only)."""

    def __init__(self, settings: PortalSettings, operator_token: str):
        super().__init__(settings.service_urls, operator_token, timeout=settings.service_timeout)
        self.settings = settings

    def members(self, coop: str) -> list[dict]:
        staff = mint("portal-demo", roles=["staff"], cooperative_id=coop,
                     settings=_token_settings(), ttl_seconds=300)
        return HttpGateway(self.settings.service_urls, staff,
                           timeout=self.settings.service_timeout).members(coop)


@blueprint.post("/connexion")
def sign_in_as():
    if not _settings().development:
        abort(404)
    if request.form.get("role") == "network_operator":
        return _sign_in_as_operator()
    subject, coop = request.form.get("member", ""), request.form.get("cooperative", "")
    try:
        uuid.UUID(coop)
    except ValueError:
        abort(400)
    if not subject:
        abort(400)
    if request.form.get("role") == "staff":
        return _sign_in_as_staff(coop)
    try:
        token = mint(subject, roles=["entrepreneur"], cooperative_id=coop,
                     settings=_token_settings(), ttl_seconds=DEMO_TOKEN_SECONDS)
    except ValueError:
        abort(400)
    person = _person(token, subject, coop, ["entrepreneur"])
    if not person.get("activity_code"):
        abort(403)
    _sign_in(token, person)
    return redirect(url_for("entrepreneur.home"), 303)


def _sign_in_as_staff(coop: str):
    """The demo's support staff of ``coop`` (development only): the subject the demo's seed
    uses, ``staff@<the cooperative's name>``."""
    probe = mint("portal-demo", roles=["staff"], cooperative_id=coop,
                 settings=_token_settings(), ttl_seconds=300)
    gateway = HttpGateway(_settings().service_urls, probe, timeout=_settings().service_timeout)
    try:
        cooperative = gateway.cooperative(coop)
    except ServiceError as error:
        if error.status in (403, 404):
            abort(400)
        raise
    subject = staff_subject(cooperative["name"])
    token = mint(subject, roles=["staff"], cooperative_id=coop, settings=_token_settings(),
                 ttl_seconds=DEMO_TOKEN_SECONDS)
    _sign_in(token, {"subject": subject, "cooperative_id": coop, "roles": ["staff"],
                     "name": subject, "cooperative_name": cooperative["name"]})
    return redirect(url_for("staff.members", coop=coop), 303)


OPERATOR_SUBJECT = "network-ops"  # the demo's operator (scripts/demo_seed.py)


def _sign_in_as_operator():
    """The demo's network operator (development only): roles ["network_operator"], no
    cooperative; the network's pages."""
    token = mint(OPERATOR_SUBJECT, roles=["network_operator"], settings=_token_settings(),
                 ttl_seconds=DEMO_TOKEN_SECONDS)
    _sign_in(token, {"subject": OPERATOR_SUBJECT, "cooperative_id": None,
                     "roles": ["network_operator"], "name": t("Network operator")})
    return redirect(url_for("network.cooperatives"), 303)


def staff_subject(cooperative_name: str) -> str:
    return f"staff@{cooperative_name.lower().replace(' ', '-')}"


@blueprint.get("/connexion/oidc")
def oidc_sign_in():
    oauth = current_app.extensions.get("portal.oauth")
    if oauth is None:
        abort(404)
    try:
        return oauth.oidc.authorize_redirect(url_for("auth.oidc_return", _external=True))
    except requests.RequestException:
        return error_page(503)  # the provider does not answer


@blueprint.get("/connexion/retour")
def oidc_return():
    oauth = current_app.extensions.get("portal.oauth")
    if oauth is None:
        abort(404)
    try:
        token = oauth.oidc.authorize_access_token()
        access = token["access_token"]
        claims = oidc.claims_of(access)
    except (OAuthError, KeyError, ValueError):
        # refused or cancelled at the provider, a state of another session, a code used
        # twice (the back button), a token that is not a JWT: signed out, said in words
        session.pop("token", None)
        session.pop("viewer", None)
        return error_page(401, "oidc")
    except requests.RequestException:
        return error_page(503)  # the provider does not answer
    roles = [r for r in claims.get("roles", []) if isinstance(r, str)]
    _sign_in(access, _person(access, str(claims.get("sub", "")), claims.get("coop"), roles))
    return redirect(url_for(home_endpoint(current_viewer())), 303)


@blueprint.post("/deconnexion")
def sign_out():
    session.clear()
    return render_template("signed_out.html", message=t("You are signed out."))
