"""Configuration from the environment, with documented defaults.

Every setting is read from a ``CAE_*`` variable; a service-specific value wins
over the shared one (``CAE_LEDGER_DATABASE_URL`` before ``CAE_DATABASE_URL``).

| variable | default | meaning |
|---|---|---|
| CAE_DATABASE_URL | sqlite:///var/cae-<service>.db | the service's own database (SQLite WAL, or postgresql+psycopg://) |
| CAE_AMQP_URI | amqp://guest:guest@127.0.0.1:5672/ | RabbitMQ |
| CAE_HTTP_PORT | 8000 (members 8001, ledger 8002 ... in `make demo`) | HTTP port |
| CAE_ENV | development | `production` refuses to start with the development JWT secret |
| CAE_JWT_ALGORITHM | HS256 | HS256 (development secret) or RS256 (public key) |
| CAE_JWT_SECRET | dev-secret-change-me-not-for-production | HS256 secret (development only) |
| CAE_JWT_PUBLIC_KEY | (none) | RS256 public key, PEM text or a path to a PEM file |
| CAE_JWT_ISSUER | cae-platform | expected `iss` claim |
| CAE_RELAY_IN_PROCESS | true | run the outbox relay inside the service process |
| CAE_RELAY_BATCH | 1000 | outbox rows published per confirm round |
| CAE_RELAY_POLL_SECONDS | 0.5 | relay poll interval when idle |
| CAE_RELAY_UNROUTABLE_RETRY_SECONDS | 30 | how long an unroutable event waits before the relay tries it again |
| CAE_RETRY_DELAYS | 1,10,60 | seconds between handler attempts; after the last, the message is parked |
| CAE_HANDLER_BATCH | 200 | deliveries handled in one database transaction |
| CAE_HANDLER_CONCURRENCY | 2 | batches of one handler in flight at once, each in its own transaction |
| CAE_HANDLER_MAX_WAIT_MS | 20 | how long a partial batch waits for more deliveries |
| CAE_MAX_BODY_BYTES | 1048576 | largest HTTP request body accepted |
| CAE_LOG_LEVEL | INFO | log level; logs are JSON lines on stderr |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEVELOPMENT_JWT_SECRET = "dev-secret-change-me-not-for-production"


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
    jwt_algorithm: str = "HS256"
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    jwt_public_key: str | None = None
    jwt_issuer: str = "cae-platform"
    relay_in_process: bool = True
    relay_batch: int = 1000
    relay_poll_seconds: float = 0.5
    relay_unroutable_retry_seconds: float = 30.0
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
        public_key = g("JWT_PUBLIC_KEY")
        if public_key and not public_key.lstrip().startswith("-----") and os.path.exists(public_key):
            with open(public_key) as fh:
                public_key = fh.read()
        if (g("ENV", "development") != "development" and g("JWT_ALGORITHM", "HS256") == "HS256"
                and g("JWT_SECRET", DEVELOPMENT_JWT_SECRET) == DEVELOPMENT_JWT_SECRET):
            raise ValueError("CAE_ENV is not development: set CAE_JWT_ALGORITHM=RS256 with "
                             "CAE_JWT_PUBLIC_KEY, or a CAE_JWT_SECRET of your own")
        delays = tuple(int(x) for x in g("RETRY_DELAYS", "1,10,60").split(",") if x.strip())
        return cls(
            service=service,
            database_url=g("DATABASE_URL", f"sqlite:///var/cae-{service}.db"),
            amqp_uri=g("AMQP_URI", DEFAULT_AMQP_URI),
            http_port=int(g("HTTP_PORT", "8000")),
            jwt_algorithm=g("JWT_ALGORITHM", "HS256"),
            jwt_secret=g("JWT_SECRET", DEVELOPMENT_JWT_SECRET),
            jwt_public_key=public_key,
            jwt_issuer=g("JWT_ISSUER", "cae-platform"),
            relay_in_process=_bool(g("RELAY_IN_PROCESS", "true")),
            relay_batch=int(g("RELAY_BATCH", "1000")),
            relay_poll_seconds=float(g("RELAY_POLL_SECONDS", "0.5")),
            relay_unroutable_retry_seconds=float(g("RELAY_UNROUTABLE_RETRY_SECONDS", "30")),
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


def settings_of(container) -> Settings:
    """The Settings a nameko container was started with."""
    settings = container.config.get("CAE_SETTINGS")
    if settings is None:
        settings = Settings.from_env(container.service_name)
        container.config["CAE_SETTINGS"] = settings
    return settings
