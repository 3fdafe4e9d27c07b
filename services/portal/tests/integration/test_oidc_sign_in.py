"""Signing in through an OpenID Connect provider, as in production: the portal sends the
browser to the provider with a PKCE challenge (S256), takes the code back, exchanges it
with the verifier, and calls the members service with the provider's access token, which
members verifies from the provider's JWKS (ES256). A code used twice, a state that does
not match and a sign-in the person refused are pages in French, not errors."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from cae_members.entrypoints.service import MembersService
from cae_portal.adapters.settings import SERVICES, PortalSettings
from cae_portal.entrypoints import app as portal
from caekit import auth
from services.portal.tests.integration.oidc_provider import AUDIENCE, OidcProvider

HOST = "https://portail.example.org"  # the Secure cookie needs https


@pytest.fixture
def provider():
    served = OidcProvider("cae-portal", "client-secret-for-tests")
    auth._jwks_clients.clear()
    yield served
    served.stop()
    auth._jwks_clients.clear()


@pytest.fixture
def signed_up(provider, start_service):
    """Members trusting the provider only, with a cooperative and Léa in it."""
    members = start_service(MembersService, jwt_algorithm="ES256",
                            jwt_jwks_url=f"{provider.issuer}/jwks", jwt_issuer=provider.issuer,
                            jwt_audience=AUDIENCE)

    def post(path, body, token):
        answer = requests.post(f"{members.url}{path}", json=body, timeout=10, headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
        assert answer.status_code == 201, answer.text
        return answer.json()

    coop = post("/cooperatives", {"name": "Coopérative Les Ateliers", "siren": "732829320",
                                  "legal_form": "SCOP-SARL"},
                provider.token(sub="ops", roles=["network_operator"]))["id"]
    lea = post(f"/cooperatives/{coop}/members", {
        "first_name": "Léa", "last_name": "Martin", "email": "lea@example.org",
        "joined_on": "2026-01-05", "activity_code": "BOULANGE",
        "activity_name": "Boulangerie Léa"},
        provider.token(sub="alice", roles=["staff"], coop=coop))["id"]
    provider.person = {"sub": lea, "roles": ["entrepreneur"], "coop": coop,
                       "name": "Léa Martin"}
    urls = {s: "http://127.0.0.1:9" for s in SERVICES} | {"members": members.url}
    app = portal.create_app(PortalSettings(
        service_urls=urls, development=False, oidc_issuer=provider.issuer,
        oidc_client_id="cae-portal", oidc_client_secret="client-secret-for-tests"))
    return app.test_client(), coop, lea


def _to_provider(client, provider):
    """The portal's redirect to the provider, and what it asked for."""
    started = client.get("/connexion/oidc", base_url=HOST)
    assert started.status_code == 302
    location = started.headers["Location"]
    assert location.startswith(f"{provider.issuer}/authorize?")
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _back_from_provider(location):
    answer = requests.get(location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def test_signed_in_by_the_provider_with_pkce_and_known_to_members(provider, signed_up):
    client, coop, lea = signed_up
    location, asked = _to_provider(client, provider)
    assert asked["response_type"] == "code" and asked["client_id"] == "cae-portal"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["redirect_uri"] == f"{HOST}/connexion/retour"
    assert {"openid", "profile", "email"} <= set(asked["scope"].split())
    assert asked["state"] and asked["nonce"]
    done = client.get(_back_from_provider(location), base_url=HOST)
    assert done.status_code == 303 and done.headers["Location"].endswith("/accueil")
    # the code was exchanged with its PKCE verifier and the client's secret
    [(_, exchanged)] = [(path, form) for path, form in provider.seen if path == "/token"]
    assert exchanged["grant_type"] == "authorization_code" and exchanged["code_verifier"]
    # members verified the provider's access token (JWKS) and named the person
    with client.session_transaction(base_url=HOST) as session:
        viewer = session["viewer"]
        assert session["token"].count(".") == 2
    assert viewer == {"subject": lea, "cooperative_id": coop, "roles": ["entrepreneur"],
                      "name": "Léa Martin", "activity_code": "BOULANGE",
                      "cooperative_name": "Coopérative Les Ateliers"}
    # the browser never sees the token: its cookie is an id, HttpOnly and Secure
    cookie = client.get_cookie("cae_session", domain="portail.example.org")
    assert cookie.http_only and cookie.secure and "." not in cookie.value


def test_a_code_used_twice_or_a_foreign_state_is_a_french_page_not_an_error(provider,
                                                                             signed_up):
    client, _coop, _lea = signed_up
    location, _asked = _to_provider(client, provider)
    back = _back_from_provider(location)
    assert client.get(back, base_url=HOST).status_code == 303
    client.post("/deconnexion", base_url=HOST, data={"csrf": _csrf(client)})
    replayed = client.get(back, base_url=HOST)  # the browser's back button, or a thief
    assert replayed.status_code == 401, replayed.status_code
    assert "Connexion refusée" in replayed.get_data(as_text=True)
    with client.session_transaction(base_url=HOST) as session:
        assert "token" not in session
    refused = client.get("/connexion/retour?error=access_denied&state=x", base_url=HOST)
    assert refused.status_code == 401
    assert "Connexion refusée" in refused.get_data(as_text=True)


def _csrf(client) -> str:
    with client.session_transaction(base_url=HOST) as session:
        return session["csrf"]


def test_behind_the_gateway_the_redirect_uri_is_the_public_https_one(provider, signed_up):
    client, _coop, _lea = signed_up
    started = client.get("/connexion/oidc", base_url="http://portail.example.org", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "ailleurs.example.net"})
    asked = parse_qs(urlsplit(started.headers["Location"]).query)
    # https from the Gateway's header; the host is the request's, not a forwarded one
    assert asked["redirect_uri"] == ["https://portail.example.org/connexion/retour"]


def test_a_code_replayed_under_a_fresh_state_is_refused_by_the_provider(provider, signed_up):
    client, _coop, _lea = signed_up
    location, _asked = _to_provider(client, provider)
    back = _back_from_provider(location)
    used = parse_qs(urlsplit(back).query)["code"][0]
    assert client.get(back, base_url=HOST).status_code == 303
    client.post("/deconnexion", base_url=HOST, data={"csrf": _csrf(client)})
    _location, fresh = _to_provider(client, provider)  # a new sign-in, its own state
    replayed = client.get(f"/connexion/retour?code={used}&state={fresh['state']}",
                          base_url=HOST)
    assert replayed.status_code == 401 and "Connexion refusée" in replayed.get_data(
        as_text=True)
    refusals = [form for path, form in provider.seen if path == "/token"]
    assert len(refusals) == 2  # the second exchange reached the provider, which refused it


def test_a_provider_that_does_not_answer_is_the_503_page(provider, signed_up):
    client, _coop, _lea = signed_up
    provider.stop()
    answer = client.get("/connexion/oidc", base_url=HOST)
    assert answer.status_code == 503 and "Service indisponible" in answer.get_data(
        as_text=True)
