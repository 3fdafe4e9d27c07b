"""Use cases of cooperatives (tenants): dated settings that are kept. The caller commits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cae_members.adapters.store import Cooperative, CooperativeVersion
from cae_members.domain.lifecycle import RuleViolation
from caekit import context, outbox

SETTINGS = ("name", "legal_form", "statute_profile", "default_contribution_rate",
            "staff_size_bracket")
UPDATED = "cae.members.cooperative_updated.v1"


def versions(session: Session, cooperative_id: str) -> list[CooperativeVersion]:
    return list(session.scalars(
        select(CooperativeVersion).where(CooperativeVersion.cooperative_id == cooperative_id)
        .order_by(CooperativeVersion.effective_on, CooperativeVersion.recorded_at)))


def in_force(session: Session, cooperative: Cooperative, on: date) -> dict:
    """The settings in force on a day: the latest version effective on or before it."""
    current = {name: getattr(cooperative, name) for name in SETTINGS}
    for version in versions(session, cooperative.id):
        if version.effective_on <= on:
            current = {name: getattr(version, name) for name in SETTINGS}
    return current


def record_version(session: Session, cooperative: Cooperative, effective_on: date,
                   settings: dict) -> CooperativeVersion:
    version = CooperativeVersion(cooperative_id=cooperative.id, effective_on=effective_on,
                                 recorded_at=datetime.now(UTC),
                                 recorded_by=context.caller.get().subject, **settings)
    session.add(version)
    return version


def change_settings(session: Session, cooperative: Cooperative, effective_on: date,
                    changes: dict) -> CooperativeVersion:
    """Record new settings from ``effective_on`` (earlier versions stay) and publish them."""
    registered_on = cooperative.registered_at.date()
    if effective_on < registered_on:
        raise RuleViolation("dates.out_of_order",
                            f"{effective_on} is before the cooperative's registration ({registered_on})")
    base = in_force(session, cooperative, effective_on)
    settings = {**base, **changes}
    changed = sorted(name for name in changes if changes[name] != base[name])
    version = record_version(session, cooperative, effective_on, settings)
    outbox.publish(session, UPDATED, {"cooperative_id": cooperative.id,
                                      "effective_on": effective_on, "changed": changed,
                                      **settings}, tenant_id=cooperative.id)
    return version
