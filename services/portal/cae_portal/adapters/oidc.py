"""Sign-in through the network's OpenID Connect provider: authorization code with PKCE
(S256), Authlib's Flask client. The provider's access token is what the portal passes to
the services, which verify it (RS256, the provider's key or JWKS)."""

from __future__ import annotations

import base64
import json

from authlib.integrations.flask_client import OAuth

from cae_portal.adapters.settings import PortalSettings


def configure(app, settings: PortalSettings) -> OAuth | None:
    """The OAuth registry with the provider ``oidc`` when the settings name one."""
    if not (settings.oidc_issuer and settings.oidc_client_id):
        return None
    oauth = OAuth(app)
    oauth.register(
        "oidc",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
    )
    return oauth


def claims_of(access_token: str) -> dict:
    """The claims of the provider's access token (a JWT), read without checking its
    signature: the portal only needs to know whom to show; every service it is passed to
    verifies it (a forged one is refused there)."""
    try:
        payload = access_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise ValueError("the provider's access token is not a JWT") from exc
