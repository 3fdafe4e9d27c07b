"""The base every nameko service class extends: its session, context, relay, health and metrics."""

from __future__ import annotations

import json
import time
from importlib import resources

import amqp
from kombu import Connection
from sqlalchemy import text
from werkzeug.wrappers import Response

from caekit import metrics, outbox
from caekit.dependencies import Database, OutboxRelay, SettingsProvider, WorkerContext
from caekit.http import api
from caekit.problems import NotFound

_BROKER_CHECK_TTL = 2.0

# Swagger UI 5 (OpenAPI 3.1), from the pinned swagger-ui-py package: served by each
# service itself, nothing loaded from outside the platform
DOCS_ASSETS = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="docs/static/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/static/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/static/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true}});
</script>
</body>
</html>
"""


class ServiceBase:
    """Extend with ``name = "<service>"``; gives ``self.db`` and the kit endpoints."""

    name: str
    settings = SettingsProvider()
    db = Database()
    worker_context = WorkerContext()
    outbox_relay = OutboxRelay()

    _broker_checked_at = 0.0
    _broker_ok = False

    @api("GET", "/health/live", public=True)
    def health_live(self, request):
        return {"status": "ok", "service": self.name}

    @api("GET", "/health/ready", public=True)
    def health_ready(self, request):
        """200 while the database answers (writes are accepted even with the broker down);
        503 when it does not. The body reports each check."""
        checks = {}
        try:
            self.db.execute(text("SELECT 1"))
            backlog = outbox.backlog(self.db)
            metrics.OUTBOX_BACKLOG.labels(self.name).set(backlog)
            checks["database"] = {"ok": True}
            checks["outbox"] = {"ok": True, "backlog": backlog}
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks["database"] = {"ok": False, "error": str(exc)[:300]}
        checks["broker"] = {"ok": self._broker_connected()}
        if not checks["database"]["ok"]:
            status, code = "unavailable", 503
        elif not checks["broker"]["ok"]:
            status, code = "degraded", 200
        else:
            status, code = "ok", 200
        return code, {"Content-Type": "application/json"}, json.dumps(
            {"status": status, "service": self.name, "checks": checks}
        )

    @api("GET", "/metrics", public=True)
    def metrics(self, request):
        payload, content_type = metrics.exposition()
        return 200, {"Content-Type": content_type}, payload.decode()

    @api("GET", "/openapi.json", public=True)
    def openapi_document(self, request):
        """This service's OpenAPI 3.1 document (the one under docs/openapi/, as JSON)."""
        from caekit.openapi import document

        cls = type(self)
        if cls.__dict__.get("_openapi_text") is None:
            cls._openapi_text = json.dumps(document(cls))
        served = json.loads(cls._openapi_text)
        served["servers"] = [{"url": request.url_root.rstrip("/"),
                              "description": "This service, as it was reached."}]
        return 200, {"Content-Type": "application/json"}, json.dumps(served)

    @api("GET", "/docs", public=True)
    def api_docs(self, request):
        """The OpenAPI document as a browsable page (Swagger UI, served by the service)."""
        return Response(DOCS_PAGE.format(title=f"CAE {self.name}: API"), mimetype="text/html")

    @api("GET", "/docs/static/<asset>", public=True)
    def api_docs_asset(self, request, asset):
        """A file of the browsable page (Swagger UI's script, style sheet and icon)."""
        if asset not in DOCS_ASSETS:
            raise NotFound(f"no asset {asset!r}")
        data = (resources.files("swagger_ui") / "static" / asset).read_bytes()
        return Response(data, mimetype=DOCS_ASSETS[asset],
                        headers={"Cache-Control": "public, max-age=86400"})

    def _broker_connected(self) -> bool:
        relay = self.outbox_relay
        if relay is not None and relay.connected:
            return True
        cls = type(self)
        if time.monotonic() - cls._broker_checked_at < _BROKER_CHECK_TTL:
            return cls._broker_ok
        try:
            info = Connection(self.settings.amqp_uri).info()
            connection = amqp.Connection(
                host=f"{info['hostname']}:{info['port']}", userid=info["userid"],
                password=info["password"], virtual_host=info["virtual_host"],
                ssl=info["ssl"], connect_timeout=1)  # amqps:// in production
            connection.connect()  # one attempt (kombu's retries would sleep 2 s)
            connection.close()
            ok = True
        except Exception:  # noqa: BLE001 - the broker is down or unreachable
            ok = False
        cls._broker_checked_at, cls._broker_ok = time.monotonic(), ok
        return ok
