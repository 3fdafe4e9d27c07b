"""The base every nameko service class extends: its session, context, relay, health and metrics."""

from __future__ import annotations

import json
import time

import amqp
from kombu import Connection
from sqlalchemy import text

from caekit import metrics, outbox
from caekit.dependencies import Database, OutboxRelay, SettingsProvider, WorkerContext
from caekit.http import api

_BROKER_CHECK_TTL = 2.0


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
                password=info["password"], virtual_host=info["virtual_host"], connect_timeout=1)
            connection.connect()  # one attempt (kombu's retries would sleep 2 s)
            connection.close()
            ok = True
        except Exception:  # noqa: BLE001 - the broker is down or unreachable
            ok = False
        cls._broker_checked_at, cls._broker_ok = time.monotonic(), ok
        return ok
