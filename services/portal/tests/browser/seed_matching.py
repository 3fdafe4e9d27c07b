"""What the matching pages' browser tests need in the world, seeded through the services'
HTTP APIs after members, ledger and payroll (conftest.py)."""

from __future__ import annotations


def seed(world, urls: dict, token) -> dict:
    """token(subject, roles, coop=None) mints a test token; the dict returned reaches
    the journeys as world["matching"]."""
    return {}
