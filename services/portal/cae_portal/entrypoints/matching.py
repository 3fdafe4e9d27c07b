"""Matching: profiles and consents, the directory, calls for tenders, proposals and groups; the entrepreneur's and the support staff's pages."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("matching", __name__)

# menu entries by role: (endpoint, label msgid), after the first ones (app.NAVIGATION)
NAVIGATION: dict[str, list[tuple[str, str]]] = {}
