"""JWT authentication: HS256 with a shared secret in development, RS256 in production.

Claims: ``sub`` (the caller), ``coop`` (their cooperative id; absent for a
network operator), ``roles`` (entrepreneur, staff, admin, network_operator),
``iss``, ``iat`` and ``exp``. A token without ``exp``, or whose ``exp`` lies more than
``CAE_JWT_MAX_TTL_SECONDS`` after now (or after its ``iat``), is refused: a stolen
token must not live for ever.
"""

from __future__ import annotations

import re
import time

import jwt

from caekit.config import Settings
from caekit.context import ROLES, Caller
from caekit.problems import Unauthorized

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SUBJECT = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


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
        _check_lifetime(claims, settings.jwt_max_ttl_seconds)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        raise Unauthorized(f"invalid token: roles must be a list of {', '.join(ROLES)}")
    coop, subject = claims.get("coop"), claims["sub"]
    if coop is not None and not (isinstance(coop, str) and _UUID.fullmatch(coop)):
        raise Unauthorized("invalid token: coop must be a cooperative id (a UUID)")
    if not (isinstance(subject, str) and _SUBJECT.fullmatch(subject)):
        raise Unauthorized("invalid token: sub must be 1 to 200 printable characters")
    return Caller(subject=str(claims["sub"]), cooperative_id=str(coop) if coop else None,
                  roles=frozenset(roles))


LEEWAY_SECONDS = 60  # clocks of the issuer and the service may differ this much


def _check_lifetime(claims: dict, max_ttl: int) -> None:
    exp, iat = claims["exp"], claims.get("iat")
    if exp > time.time() + max_ttl + LEEWAY_SECONDS:
        raise Unauthorized(f"the token lives too long: at most {max_ttl} s from now")
    if isinstance(iat, int | float) and not isinstance(iat, bool) and exp - iat > max_ttl:
        raise Unauthorized(f"the token lives too long: at most {max_ttl} s after it was issued")


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
