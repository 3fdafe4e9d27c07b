"""The governance journeys in the portal (driven by journeys.py's Journey)."""

from __future__ import annotations

JOURNEYS: dict = {}
