"""Use cases of cooperatives (tenants): registration and dated settings that are kept. The
caller commits."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cae_members.adapters.store import Cooperative, CooperativeVersion
from cae_members.domain.cooperatives import (
    SETTINGS,
    changed_settings,
    check_effective_on,
    default_statute_profile,
    settings_in_force,
)
from cae_members.usecases import events, paging
from cae_members.usecases.paging import Page
from caekit import context, outbox
from caekit.rules import ConflictingState, UnknownRecord


def register_cooperative(session: Session, **fields) -> Cooperative:
    """A network operator registers a cooperative (a tenant); its SIREN is registered once."""
    siren = fields["siren"]
    if session.scalar(select(Cooperative).where(Cooperative.siren == siren)):
        raise ConflictingState("cooperative.siren_registered",
                               f"a cooperative with SIREN {siren} is already registered")
    fields.setdefault("statute_profile", default_statute_profile(fields["legal_form"]))
    cooperative = Cooperative(id=str(uuid.uuid4()), registered_at=datetime.now(UTC),
                              registered_by=context.caller.get().subject, **fields)
    session.add(cooperative)
    record_version(session, cooperative, cooperative.registered_at.date(),
                   {n: getattr(cooperative, n) for n in SETTINGS})
    outbox.publish(session, events.COOPERATIVE_REGISTERED, {
        "cooperative_id": cooperative.id,
        "name": cooperative.name,
        "siren": cooperative.siren,
        "legal_form": cooperative.legal_form,
        "registered_at": cooperative.registered_at,
        "statute_profile": cooperative.statute_profile,
        "default_contribution_rate": cooperative.default_contribution_rate,
        "staff_size_bracket": cooperative.staff_size_bracket,
    }, tenant_id=cooperative.id)
    return cooperative


COOPERATIVE_ORDER = (Cooperative.name, Cooperative.id)
VERSION_ORDER = (CooperativeVersion.effective_on, CooperativeVersion.recorded_at,
                 CooperativeVersion.id)


def list_cooperatives(session: Session, *, limit: int | None = None,
                      after: tuple | None = None) -> list[Cooperative]:
    """The network's cooperatives by name (``limit`` of them after position ``after``)."""
    return list(session.scalars(paging.keyset(select(Cooperative), COOPERATIVE_ORDER, after)
                                .limit(limit)))


def cooperatives_page(session: Session, limit: int, after: tuple | None = None) -> Page:
    """A page of the network's cooperatives, by name."""
    return paging.page(list_cooperatives(session, limit=limit + 1, after=after), limit,
                       lambda c: (c.name, c.id))


def find_cooperative(session: Session, cooperative_id: str) -> Cooperative:
    key = paging.record_id(cooperative_id)
    found = session.get(Cooperative, key) if key else None
    if found is None:
        raise UnknownRecord("cooperative.unknown", f"unknown cooperative {cooperative_id}",
                            fields={"cooperative_id": "no such cooperative"})
    return found


def versions(session: Session, cooperative_id: str) -> list[CooperativeVersion]:
    return list(session.scalars(
        select(CooperativeVersion).where(CooperativeVersion.cooperative_id == cooperative_id)
        .order_by(CooperativeVersion.effective_on, CooperativeVersion.recorded_at)))


def settings_history(session: Session, cooperative_id: str, limit: int,
                     after: tuple | None = None) -> Page:
    """A page of the versions of a known cooperative's settings, oldest first (by the day
    they take effect, then by when they were recorded)."""
    find_cooperative(session, cooperative_id)
    rows = session.scalars(paging.keyset(
        select(CooperativeVersion).where(CooperativeVersion.cooperative_id == cooperative_id),
        VERSION_ORDER, after).limit(limit + 1)).all()
    return paging.page(rows, limit, lambda v: (v.effective_on, v.recorded_at, v.id))


def in_force(session: Session, cooperative: Cooperative, on: date) -> dict:
    """The settings in force on a day: the latest version effective on or before it."""
    return settings_in_force(
        {name: getattr(cooperative, name) for name in SETTINGS},
        [(v.effective_on, {name: getattr(v, name) for name in SETTINGS})
         for v in versions(session, cooperative.id)], on)


def as_of(session: Session, cooperative_id: str, on: date) -> dict:
    """A known cooperative with the settings in force on a day."""
    cooperative = find_cooperative(session, cooperative_id)
    view = {name: getattr(cooperative, name) for name in ("id", "siren", "registered_at")}
    return {**view, **in_force(session, cooperative, on)}


def record_version(session: Session, cooperative: Cooperative, effective_on: date,
                   settings: dict) -> CooperativeVersion:
    version = CooperativeVersion(cooperative_id=cooperative.id, effective_on=effective_on,
                                 recorded_at=datetime.now(UTC),
                                 recorded_by=context.caller.get().subject, **settings)
    session.add(version)
    return version


def change_settings(session: Session, cooperative_id: str, effective_on: date,
                    changes: dict) -> CooperativeVersion:
    """Record new settings from ``effective_on`` (earlier versions stay) and publish them."""
    cooperative = find_cooperative(session, cooperative_id)
    check_effective_on(effective_on, cooperative.registered_at.date())
    base = in_force(session, cooperative, effective_on)
    settings = {**base, **changes}
    version = record_version(session, cooperative, effective_on, settings)
    outbox.publish(session, events.COOPERATIVE_UPDATED, {
        "cooperative_id": cooperative.id, "effective_on": effective_on,
        "changed": changed_settings(base, changes), **settings}, tenant_id=cooperative.id)
    return version
