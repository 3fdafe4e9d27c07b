"""``cae-portal`` (or ``cae run portal``): the portal under eventlet's WSGI server, on
CAE_PORTAL_HTTP_PORT (or CAE_HTTP_PORT). Prints one JSON line on stderr once it listens."""

from __future__ import annotations

import json
import sys


def main(argv=None) -> int:
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    import argparse

    from eventlet import wsgi

    from cae_portal.adapters.settings import PortalSettings
    from cae_portal.entrypoints.app import create_app

    parser = argparse.ArgumentParser(prog="cae-portal", description="Run the web portal.")
    parser.add_argument("--port", type=int, help="HTTP port (default CAE_PORTAL_HTTP_PORT, "
                                                  "CAE_HTTP_PORT or 8000)")
    parser.add_argument("--host", default="0.0.0.0")
    args = parser.parse_args(argv)
    settings = PortalSettings.from_env()
    if not settings.development and not settings.oidc_issuer:
        print("cae-portal: outside development set CAE_PORTAL_OIDC_ISSUER and "
              "CAE_PORTAL_OIDC_CLIENT_ID (the network's OpenID Connect provider)",
              file=sys.stderr)
        return 2
    port = args.port or settings.http_port
    app = create_app(settings)
    listener = eventlet.listen((args.host, port))
    print(json.dumps({"service": "portal", "event": "started", "port": port,
                      "development": settings.development}), file=sys.stderr, flush=True)
    try:
        wsgi.server(listener, app, log_output=False)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
