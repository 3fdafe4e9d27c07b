"""JSON log lines carrying the service, correlation id, tenant and caller."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from caekit import context


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": context.correlation_id.get(),
            "tenant_id": context.tenant_id.get(),
            "caller": context.caller.get().subject,
        }
        for key, value in getattr(record, "fields", {}).items():
            line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("amqp", "kombu", "nameko", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def log(logger: logging.Logger, level: int, message: str, **fields) -> None:
    """Log with structured fields that the JSON formatter writes as keys."""
    logger.log(level, message, extra={"fields": fields})
