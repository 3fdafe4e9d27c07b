"""The assemblies (governance service): convocations, proxies, votes, minutes; the entrepreneur's and the support staff's pages."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("assemblies", __name__)

# menu entries by role: (endpoint, label msgid), after the first ones (app.NAVIGATION)
NAVIGATION: dict[str, list[tuple[str, str]]] = {}
