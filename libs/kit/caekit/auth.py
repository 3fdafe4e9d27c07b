"""JWT authentication: HS256 with a shared secret in development; in production RS256 or
ES256, with the provider's public key (CAE_JWT_PUBLIC_KEY) or its JWKS (CAE_JWT_JWKS_URL:
the key named by the token's ``kid``, fetched and cached). The JWKS is fetched over TLS
checked against the public CAs (certifi's), or CAE_JWT_JWKS_CA_FILE's for a provider with a
private CA: never OpenSSL's default store, which SSL_CERT_FILE narrows to the broker's CA
in the cluster.

Claims: ``sub`` (the caller), ``coop`` (their cooperative id; absent for a
network operator), ``roles`` (entrepreneur, staff, admin, network_operator),
``iss``, ``iat`` and ``exp``; ``aud`` when CAE_JWT_AUDIENCE is set. A token without
``exp``, or whose ``exp`` lies more than ``CAE_JWT_MAX_TTL_SECONDS`` after now (or after
its ``iat``), is refused: a stolen token must not live for ever. An OpenID Connect
provider must issue these claims itself (see caekit.config): there is no mapping.
"""

from __future__ import annotations

import re
import ssl
import threading
import time

import certifi
import jwt

from caekit.config import Settings
from caekit.context import ROLES, Caller
from caekit.problems import Problem, Unauthorized

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SUBJECT = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


def verify(token: str, settings: Settings) -> Caller:
    algorithms = [settings.jwt_algorithm]
    if settings.jwt_algorithm in ("RS256", "ES256") and settings.jwt_jwks_url:
        key = _jwks_key(token, settings)
    elif settings.jwt_algorithm in ("RS256", "ES256"):
        if not settings.jwt_public_key:
            raise Unauthorized(f"{settings.jwt_algorithm} is configured but neither a public key "
                               "(CAE_JWT_PUBLIC_KEY) nor a JWKS (CAE_JWT_JWKS_URL) is set")
        key = settings.jwt_public_key
    elif settings.jwt_algorithm == "HS256":
        key = settings.jwt_secret
    else:
        raise Unauthorized(f"unsupported JWT algorithm {settings.jwt_algorithm}")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={"require": ["sub", "exp", "iss", *(["aud"] if settings.jwt_audience else [])],
                     "verify_aud": bool(settings.jwt_audience)},
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


# -- the provider's JWKS -----------------------------------------------------------------------
JWKS_LIFESPAN_SECONDS = 300.0  # the key set is read again after this long
JWKS_COOLDOWN_SECONDS = 10.0  # an unknown kid refetches the set at most this often
JWKS_TIMEOUT_SECONDS = 5.0
_jwks_clients: dict[str, jwt.PyJWKClient] = {}
_jwks_lock = threading.Lock()


class KeysUnavailable(Problem):
    """The provider's JWKS could not be read: the service cannot tell who calls (503, not
    401: the caller's token may be good, and a 401 would sign them out)."""

    status, title, slug = 503, "Service unavailable", "unavailable"


def jwks_tls(ca_file: str | None = None) -> ssl.SSLContext:
    """TLS for the JWKS: ``ca_file``'s CAs, else the public ones (certifi's bundle)."""
    return ssl.create_default_context(cafile=ca_file or certifi.where())


def _jwks_client(url: str, ca_file: str | None = None) -> jwt.PyJWKClient:
    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = _jwks_clients[url] = jwt.PyJWKClient(
                url, cache_jwk_set=True, lifespan=JWKS_LIFESPAN_SECONDS,
                cooldown_duration=JWKS_COOLDOWN_SECONDS, timeout=JWKS_TIMEOUT_SECONDS,
                headers={"User-Agent": "cae-platform"}, ssl_context=jwks_tls(ca_file))
        return client


def _jwks_key(token: str, settings: Settings) -> jwt.PyJWK:
    """The JWKS key named by the token's ``kid``, of the configured algorithm."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    if not isinstance(kid, str) or not kid:
        raise Unauthorized("invalid token: no key id (kid) in its header")
    try:
        key = _jwks_client(settings.jwt_jwks_url, settings.jwt_jwks_ca_file).get_signing_key(kid)
    except jwt.PyJWKClientConnectionError as exc:
        raise KeysUnavailable("the identity provider's keys (CAE_JWT_JWKS_URL) cannot be "
                              "read; retry later") from exc
    except jwt.PyJWKClientError as exc:
        if "matches" in str(exc):  # "Unable to find a signing key that matches"
            raise Unauthorized("invalid token: signed by a key the provider does not "
                               "publish") from exc
        raise KeysUnavailable(f"the identity provider's keys are unusable: {exc}") from exc
    except jwt.PyJWKSetError as exc:  # a set with no key this library can use
        raise KeysUnavailable(f"the identity provider's keys are unusable: {exc}") from exc
    if key.algorithm_name != settings.jwt_algorithm:
        raise Unauthorized(f"invalid token: its key is for {key.algorithm_name}, not "
                           f"{settings.jwt_algorithm}")
    return key


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
    """A token for development and tests (HS256), or RS256 / ES256 with a private key."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; known: {', '.join(ROLES)}")
    now = int(time.time())
    claims = {"sub": subject, "roles": roles, "iss": settings.jwt_issuer, "iat": now,
              "exp": now + ttl_seconds}
    if cooperative_id:
        claims["coop"] = str(cooperative_id)
    if settings.jwt_algorithm in ("RS256", "ES256"):
        if not private_key:
            raise ValueError(f"{settings.jwt_algorithm} tokens need a private key")
        return jwt.encode(claims, private_key, algorithm=settings.jwt_algorithm)
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
