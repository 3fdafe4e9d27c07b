"""The network operator's pages: the cooperatives, registering one, a network's payroll month, each service's health."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("network", __name__)

# menu entries by role: (endpoint, label msgid), after the first ones (app.NAVIGATION)
NAVIGATION: dict[str, list[tuple[str, str]]] = {}
