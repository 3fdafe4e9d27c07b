"""The portal's settings, from the environment (``CAE_PORTAL_*`` first, then ``CAE_*``).

| variable | default | meaning |
|---|---|---|
| CAE_PORTAL_HTTP_PORT (or CAE_HTTP_PORT) | 8000 (8080 in `make demo`) | the portal's port |
| CAE_ENV | development | development: the demo sign-in page; anything else: OIDC only, Secure cookie |
| CAE_PORTAL_{MEMBERS,LEDGER,PAYROLL,GOVERNANCE,MATCHING}_URL | http://127.0.0.1:8001 ... 8005 | each service's base URL |
| CAE_JWT_SECRET | the development secret | signs the demo's tokens (development only) |
| CAE_PORTAL_OIDC_ISSUER | (none) | the network's OpenID Connect provider (its discovery document is read) |
| CAE_PORTAL_OIDC_CLIENT_ID, CAE_PORTAL_OIDC_CLIENT_SECRET | (none) | the portal's client at the provider |
| CAE_PORTAL_OIDC_SCOPE | openid profile email | scopes asked |
| CAE_PORTAL_SESSION_HOURS | 8 | a session ends after this many hours of inactivity |
| CAE_PORTAL_SESSION_DATABASE_URL | (none: this process's memory) | the PostgreSQL database the replicas share sessions in (sealed, see adapters/sessions.py) |
| CAE_PORTAL_SESSION_POOL_SIZE | 4 | connections a portal process keeps to that database (no more are opened) |
| CAE_PORTAL_SERVICE_TIMEOUT | 10 | seconds a service call may take |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

SERVICES = ("members", "ledger", "payroll", "governance", "matching")
DEFAULT_PORTS = {"members": 8001, "ledger": 8002, "payroll": 8003, "governance": 8004,
                 "matching": 8005}


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"CAE_PORTAL_{name}", os.environ.get(f"CAE_{name}", default))


@dataclass(frozen=True)
class PortalSettings:
    service_urls: dict[str, str] = field(default_factory=lambda: {
        s: f"http://127.0.0.1:{p}" for s, p in DEFAULT_PORTS.items()})
    http_port: int = 8000
    development: bool = True
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scope: str = "openid profile email"
    session_hours: float = 8.0
    service_timeout: float = 10.0
    session_database_url: str | None = None
    session_pool_size: int = 4

    @classmethod
    def from_env(cls) -> PortalSettings:
        return cls(
            service_urls={s: os.environ.get(f"CAE_PORTAL_{s.upper()}_URL",
                                            f"http://127.0.0.1:{DEFAULT_PORTS[s]}").rstrip("/")
                          for s in SERVICES},
            http_port=int(os.environ.get("CAE_PORTAL_HTTP_PORT",
                                         os.environ.get("CAE_HTTP_PORT", "8000"))),
            development=os.environ.get("CAE_ENV", "development") == "development",
            oidc_issuer=_env("OIDC_ISSUER"),
            oidc_client_id=_env("OIDC_CLIENT_ID"),
            oidc_client_secret=_env("OIDC_CLIENT_SECRET"),
            oidc_scope=_env("OIDC_SCOPE", "openid profile email"),
            session_hours=float(_env("SESSION_HOURS", "8")),
            service_timeout=float(_env("SERVICE_TIMEOUT", "10")),
            session_database_url=os.environ.get("CAE_PORTAL_SESSION_DATABASE_URL") or None,
            session_pool_size=int(os.environ.get("CAE_PORTAL_SESSION_POOL_SIZE", "4")),
        )
