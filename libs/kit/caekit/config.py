"""Configuration from the environment, with documented defaults.

Every setting is read from a ``CAE_*`` variable; a service-specific value wins
over the shared one (``CAE_LEDGER_DATABASE_URL`` before ``CAE_DATABASE_URL``).

| variable | default | meaning |
|---|---|---|
| CAE_DATABASE_URL | sqlite:///var/cae-<service>.db | the service's own database (SQLite WAL, or postgresql+psycopg://) |
| CAE_AMQP_URI | amqp://guest:guest@127.0.0.1:5672/ | RabbitMQ |
| CAE_HTTP_PORT | 8000 (members 8001, ledger 8002 ... in `make demo`) | HTTP port |
| CAE_ENV | development | anything else (`production`) refuses to start with the development JWT secret or a weak one |
| CAE_JWT_ALGORITHM | HS256 | HS256 (shared secret), or RS256 / ES256 (the provider's public key, or its JWKS) |
| CAE_JWT_SECRET | dev-secret-change-me-not-for-production | HS256 secret: never empty; outside development at least 32 characters and not the default |
| CAE_JWT_PUBLIC_KEY | (none) | RS256 (RSA) or ES256 (EC P-256) public key, PEM text or a path to a PEM file; checked at start |
| CAE_JWT_JWKS_URL | (none) | the provider's JWKS (`jwks_uri` of its discovery document): RS256 / ES256 keys fetched, cached 5 min, chosen by the token's `kid`; an unknown `kid` refetches the set (at most every 10 s). RS256 / ES256 need this or CAE_JWT_PUBLIC_KEY; https outside development |
| CAE_JWT_ISSUER | cae-platform | expected `iss` claim (with a provider: its issuer, exactly as in its tokens) |
| CAE_JWT_JWKS_CA_FILE | (none: the public CAs, certifi's) | the CAs checking the JWKS's TLS, for a provider with a private CA (SSL_CERT_FILE is not used for it: in the cluster it holds only the broker's CA) |
| CAE_JWT_AUDIENCE | (none) | when set, tokens must carry it in `aud` (the provider's audience for the platform's APIs); unset, `aud` is not checked |
| CAE_JWT_MAX_TTL_SECONDS | 86400 | tokens must carry `exp`, at most this far in the future (and after `iat`) |
| CAE_RELAY_IN_PROCESS | true | run the outbox relay inside the service process |
| CAE_RELAY_BATCH | 1000 | outbox rows published per confirm round |
| CAE_RELAY_POLL_SECONDS | 0.5 | relay poll interval when idle |
| CAE_RELAY_UNROUTABLE_RETRY_SECONDS | 30 | how long an unroutable event waits before the relay tries it again |
| CAE_EVENT_ARCHIVE | 7D,2147483648 | retention of each exchange's archive stream (`<service>.events--archive`): max age (RabbitMQ units Y M D h m s) and max bytes; `off` for none (events nobody consumes are then unroutable) |
| CAE_RETRY_DELAYS | 1,10,60 | seconds between handler attempts; after the last, the message is parked |
| CAE_HANDLER_BATCH | 200 | deliveries handled in one database transaction |
| CAE_HANDLER_CONCURRENCY | 2 | batches of one handler in flight at once, each in its own transaction |
| CAE_HANDLER_MAX_WAIT_MS | 20 | how long a partial batch waits for more deliveries |
| CAE_MAX_BODY_BYTES | 1048576 | largest HTTP request body accepted |
| CAE_LOG_LEVEL | INFO | log level; logs are JSON lines on stderr |

Tokens of an OpenID Connect provider (CAE_JWT_JWKS_URL or CAE_JWT_PUBLIC_KEY) are read as
the platform's own: the provider must issue, in the access token the portal forwards,
``sub`` (the member's id, as the members service knows it), ``roles`` (a JSON list among
entrepreneur, staff, admin, network_operator: an unknown role refuses the token, so map
only these into this claim), ``coop`` (the cooperative's id, a UUID; absent for a network
operator), ``iss``, ``exp`` (at most CAE_JWT_MAX_TTL_SECONDS ahead) and, with
CAE_JWT_AUDIENCE, ``aud``. There is no claim mapping: configure the provider's mappers
(Keycloak: a "User Attribute" mapper for ``coop``, a realm or client role mapper whose
claim name is ``roles``, multivalued; ``sub`` a user attribute holding the member's id).
The portal reads ``roles`` and ``coop`` from the same token.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from caekit.topology import Archive

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEVELOPMENT_JWT_SECRET = "dev-secret-change-me-not-for-production"
MIN_SECRET_LENGTH = 32  # outside development: 256 bits of a random secret, written as text


class ConfigurationError(ValueError):
    """A setting the service refuses to start with; the message names the variable."""


def _get(service: str | None, name: str, default: str | None = None) -> str | None:
    if service:
        specific = os.environ.get(f"CAE_{service.upper()}_{name}")
        if specific is not None:
            return specific
    return os.environ.get(f"CAE_{name}", default)


def _bool(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    amqp_uri: str = DEFAULT_AMQP_URI
    http_port: int = 8000
    production: bool = False
    jwt_algorithm: str = "HS256"
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    jwt_public_key: str | None = None
    jwt_issuer: str = "cae-platform"
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None
    jwt_jwks_ca_file: str | None = None
    jwt_max_ttl_seconds: int = 86400
    relay_in_process: bool = True
    relay_batch: int = 1000
    relay_poll_seconds: float = 0.5
    relay_unroutable_retry_seconds: float = 30.0
    event_archive: Archive | None = Archive()  # noqa: RUF009 - frozen
    retry_delays: tuple[int, ...] = (1, 10, 60)
    handler_batch: int = 200
    handler_max_wait_ms: int = 20
    handler_concurrency: int = 2
    max_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, service: str) -> Settings:
        g = lambda name, default=None: _get(service, name, default)  # noqa: E731
        algorithm = g("JWT_ALGORITHM", "HS256")
        secret = g("JWT_SECRET", DEVELOPMENT_JWT_SECRET)
        public_key = _read_key(g("JWT_PUBLIC_KEY"))
        delays = tuple(int(x) for x in g("RETRY_DELAYS", "1,10,60").split(",") if x.strip())
        return cls(
            service=service,
            database_url=g("DATABASE_URL", f"sqlite:///var/cae-{service}.db"),
            amqp_uri=g("AMQP_URI", DEFAULT_AMQP_URI),
            http_port=int(g("HTTP_PORT", "8000")),
            production=g("ENV", "development") != "development",
            jwt_algorithm=algorithm,
            jwt_secret=secret,
            jwt_public_key=public_key,
            jwt_issuer=g("JWT_ISSUER", "cae-platform"),
            jwt_jwks_url=g("JWT_JWKS_URL") or None,
            jwt_audience=g("JWT_AUDIENCE") or None,
            jwt_jwks_ca_file=g("JWT_JWKS_CA_FILE") or None,
            jwt_max_ttl_seconds=_positive(g("JWT_MAX_TTL_SECONDS", "86400"),
                                          "CAE_JWT_MAX_TTL_SECONDS"),
            relay_in_process=_bool(g("RELAY_IN_PROCESS", "true")),
            relay_batch=int(g("RELAY_BATCH", "1000")),
            relay_poll_seconds=float(g("RELAY_POLL_SECONDS", "0.5")),
            relay_unroutable_retry_seconds=float(g("RELAY_UNROUTABLE_RETRY_SECONDS", "30")),
            event_archive=_archive(g("EVENT_ARCHIVE")),
            retry_delays=delays,
            handler_batch=int(g("HANDLER_BATCH", "200")),
            handler_max_wait_ms=int(g("HANDLER_MAX_WAIT_MS", "20")),
            handler_concurrency=int(g("HANDLER_CONCURRENCY", "2")),
            max_body_bytes=int(g("MAX_BODY_BYTES", str(1024 * 1024))),
            log_level=g("LOG_LEVEL", "INFO"),
        )

    def nameko_config(self) -> dict:
        """The nameko container configuration for these settings."""
        return {
            "AMQP_URI": self.amqp_uri,
            "WEB_SERVER_ADDRESS": f"0.0.0.0:{self.http_port}",
            "CAE_SETTINGS": self,
        }


def _archive(text: str | None) -> Archive | None:
    """CAE_EVENT_ARCHIVE: unset, the Archive defaults; ``off``, none; else ``AGE[,BYTES]``."""
    if text is None:
        return Archive()
    if text.strip().lower() in {"off", "false", "none", "0"}:
        return None
    age, _, size = text.partition(",")
    if not re.fullmatch(r"[0-9]+[YMDhms]", age.strip()):
        raise ConfigurationError(f"CAE_EVENT_ARCHIVE: a max age like 7D or 12h, not {age!r}")
    max_bytes = (_positive(size, "CAE_EVENT_ARCHIVE's max bytes") if size
                 else Archive.max_bytes)
    return Archive(max_age=age.strip(), max_bytes=max_bytes)


def _positive(text: str, variable: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigurationError(f"{variable} must be a positive whole number, not {text!r}")
    return value


def _read_key(public_key: str | None) -> str | None:
    """CAE_JWT_PUBLIC_KEY as PEM text: the variable itself, or the file it names."""
    if not public_key or public_key.lstrip().startswith("-----"):
        return public_key
    try:
        with open(public_key, encoding="ascii") as fh:
            return fh.read()
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"CAE_JWT_PUBLIC_KEY: cannot read {public_key!r} "
                                 f"({exc.__class__.__name__})") from exc


ASYMMETRIC = ("RS256", "ES256")


def check_token_settings(settings: Settings) -> None:
    """Refuse, when a process that verifies tokens starts, what would make every request
    fail later (an empty secret, no key or one that does not parse) and, outside
    development, the development secret or a short one, or a JWKS fetched in clear."""
    if settings.jwt_algorithm == "HS256":
        if settings.jwt_jwks_url:
            raise ConfigurationError("CAE_JWT_JWKS_URL is set: set CAE_JWT_ALGORITHM to the "
                                     "provider's, RS256 or ES256 (HS256 uses CAE_JWT_SECRET)")
        if not settings.jwt_secret:
            raise ConfigurationError("CAE_JWT_SECRET is empty")
        if settings.production and settings.jwt_secret == DEVELOPMENT_JWT_SECRET:
            raise ConfigurationError("CAE_ENV is not development: set CAE_JWT_ALGORITHM=RS256 "
                                     "with CAE_JWT_PUBLIC_KEY or CAE_JWT_JWKS_URL, or a "
                                     "CAE_JWT_SECRET of your own")
        if settings.production and len(settings.jwt_secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError("CAE_JWT_SECRET is too weak outside development: at least "
                                     f"{MIN_SECRET_LENGTH} characters")
        return
    if settings.jwt_algorithm not in ASYMMETRIC:
        raise ConfigurationError("CAE_JWT_ALGORITHM must be HS256, RS256 or ES256, not "
                                 f"{settings.jwt_algorithm!r}")
    if settings.jwt_jwks_url:
        _check_jwks_url(settings)
        return
    if not settings.jwt_public_key:
        raise ConfigurationError(f"CAE_JWT_ALGORITHM={settings.jwt_algorithm} needs "
                                 "CAE_JWT_PUBLIC_KEY or CAE_JWT_JWKS_URL")
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    kind, algorithm = (("an RSA", RSAAlgorithm(RSAAlgorithm.SHA256))
                       if settings.jwt_algorithm == "RS256"
                       else ("an EC P-256", ECAlgorithm(ECAlgorithm.SHA256)))
    try:
        algorithm.prepare_key(settings.jwt_public_key)
    except Exception as exc:  # noqa: BLE001 - any parse failure means the same
        raise ConfigurationError(f"CAE_JWT_PUBLIC_KEY is not {kind} public key in PEM") from exc


def _check_jwks_url(settings: Settings) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(settings.jwt_jwks_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("CAE_JWT_JWKS_URL must be an http(s) URL, not "
                                 f"{settings.jwt_jwks_url!r}")
    if settings.production and parts.scheme != "https":
        raise ConfigurationError("CAE_JWT_JWKS_URL must be https outside development: the "
                                 "keys it serves decide who is signed in")


def settings_of(container) -> Settings:
    """The Settings a nameko container was started with."""
    settings = container.config.get("CAE_SETTINGS")
    if settings is None:
        settings = Settings.from_env(container.service_name)
        container.config["CAE_SETTINGS"] = settings
    return settings
