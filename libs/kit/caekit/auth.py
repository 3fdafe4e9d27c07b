"""JWT authentication: HS256 with a shared secret in development, RS256 in production.

Claims: ``sub`` (the caller), ``coop`` (their cooperative id; absent for a
network operator), ``roles`` (entrepreneur, staff, admin, network_operator),
``iss``, ``iat`` and ``exp``.
"""

from __future__ import annotations

import time

import jwt

from caekit.config import Settings
from caekit.context import ROLES, Caller
from caekit.problems import Unauthorized


def verify(token: str, settings: Settings) -> Caller:
    if settings.jwt_algorithm == "RS256":
        if not settings.jwt_public_key:
            raise Unauthorized("RS256 is configured but no public key (CAE_JWT_PUBLIC_KEY) is set")
        key = settings.jwt_public_key
    elif settings.jwt_algorithm == "HS256":
        key = settings.jwt_secret
    else:
        raise Unauthorized(f"unsupported JWT algorithm {settings.jwt_algorithm}")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[settings.jwt_algorithm],
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "exp", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        raise Unauthorized(f"invalid token: roles must be a list of {', '.join(ROLES)}")
    coop = claims.get("coop")
    return Caller(subject=str(claims["sub"]), cooperative_id=str(coop) if coop else None,
                  roles=frozenset(roles))


def mint(
    subject: str,
    *,
    roles: list[str],
    cooperative_id: str | None = None,
    settings: Settings,
    ttl_seconds: int = 12 * 3600,
    private_key: str | None = None,
) -> str:
    """A token for development and tests (HS256), or RS256 with a private key."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; known: {', '.join(ROLES)}")
    now = int(time.time())
    claims = {"sub": subject, "roles": roles, "iss": settings.jwt_issuer, "iat": now,
              "exp": now + ttl_seconds}
    if cooperative_id:
        claims["coop"] = str(cooperative_id)
    if settings.jwt_algorithm == "RS256":
        if not private_key:
            raise ValueError("RS256 tokens need a private key")
        return jwt.encode(claims, private_key, algorithm="RS256")
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
