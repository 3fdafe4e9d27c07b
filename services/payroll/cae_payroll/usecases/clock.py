"""Today's date, as the payroll reads it: in France, where the cooperatives pay."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def today() -> date:
    """Today in Europe/Paris (UTC if the system has no time zones)."""
    try:
        return datetime.now(ZoneInfo("Europe/Paris")).date()
    except ZoneInfoNotFoundError:  # pragma: no cover - a system without tzdata
        return datetime.now(UTC).date()
