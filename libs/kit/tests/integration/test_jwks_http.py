"""A service verifying the provider's tokens from its JWKS (CAE_JWT_JWKS_URL), over HTTP:
the provider is a small http.server thread (libs/kit/tests/unit/test_jwks.py's)."""

from __future__ import annotations

import pytest

from caekit import auth
from libs.kit.tests.integration.probe import ProbeService
from libs.kit.tests.unit.test_jwks import COOP, ISSUER, Provider


@pytest.fixture
def provider():
    served = Provider()
    auth._jwks_clients.clear()
    yield served
    served.stop()
    auth._jwks_clients.clear()


def test_a_service_reads_the_provider_keys_from_its_jwks(start_service, http, provider,
                                                        monkeypatch):
    monkeypatch.setattr(auth, "JWKS_COOLDOWN_SECONDS", 0.0)
    kid = provider.new_key()
    probe = start_service(ProbeService, jwt_algorithm="RS256", jwt_jwks_url=provider.url,
                          jwt_issuer=ISSUER, jwt_audience="cae-api")
    things = f"{probe.url}/cooperatives/{COOP}/things"

    def status(token: str) -> int:
        return http.get(things, headers={"Authorization": f"Bearer {token}"}).status_code

    assert status(provider.token(kid)) == 200
    assert status(provider.token(provider.new_key(publish=False))) == 401  # an unknown key
    assert status(provider.token(kid, iss="https://elsewhere.example.org")) == 401
    assert status(provider.token(kid, aud="another-client")) == 401
    rotated = provider.new_key()  # a new kid appears: fetched on its first token
    assert status(provider.token(rotated)) == 200
    provider.down = True
    auth._jwks_clients.clear()  # as a service that starts while the provider is down
    reply = http.get(things, headers={"Authorization": f"Bearer {provider.token(kid)}"})
    assert reply.status_code == 503 and reply.json()["title"] == \
        "Service unavailable"
