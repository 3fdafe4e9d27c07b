"""Shared helpers of matching's integration tests: a fresh migrated store and rows written
straight into it with the store's models (cooperatives, people, profiles and what hangs
on them, the taxonomy). Generic on purpose: every test module may use and extend them.

    def test_something(sessions):
        with acting_session(sessions, None, "test") as session:
            add_cooperative(session, "coop-a")
            member = add_member(session, "coop-a", skills=[skill("Menuiserie", 3)])
            session.commit()
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from cae_matching.adapters import text
from cae_matching.adapters.store import (
    Absence,
    Availability,
    Concept,
    ConceptBroader,
    ConceptLabel,
    Cooperative,
    Person,
    Profile,
    ProfileSkill,
)
from cae_matching.domain.profiles import FIELDS
from caekit.db import make_engine, make_session_factory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(database_url):
    """A session factory over a fresh migrated matching store (use it with
    ``caekit.db.acting_session``)."""
    engine = make_engine(database_url("matching"))
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def seeded(sessions):
    """``sessions`` over a store holding the builders' two cooperatives (Oxalis and
    Coopaname) and their small taxonomy (``builders.py``)."""
    from services.matching.tests.integration.builders import cooperatives, taxonomy

    with sessions.begin() as session:
        cooperatives(session)
        taxonomy(session)
    return sessions


@dataclass(frozen=True)
class Skill:
    label: str
    level: int = 2
    years: int = 0
    concept_uri: str | None = None


def skill(label: str, level: int = 2, years: int = 0, concept_uri: str | None = None) -> Skill:
    return Skill(label, level, years, concept_uri)


@dataclass(frozen=True)
class Where:
    """A place: decimal degrees as strings, stored in micro-degrees."""

    commune: str
    latitude: str
    longitude: str
    travel_radius_km: int = 30
    commune_code: str | None = None


LYON = Where("Lyon", "45.764043", "4.835659", commune_code="69123")
VILLEURBANNE = Where("Villeurbanne", "45.771944", "4.890171", commune_code="69266")
PARIS = Where("Paris", "48.856614", "2.352222", commune_code="75056")


def e6(degrees: str) -> int:
    whole, _, decimals = degrees.lstrip("-").partition(".")
    value = int(whole) * 1_000_000 + int((decimals + "000000")[:6])
    return -value if degrees.startswith("-") else value


def add_cooperative(session, cooperative_id: str, name: str | None = None,
                    retention_days: int = 90) -> str:
    session.add(Cooperative(cooperative_id=cooperative_id, name=name or f"Coopérative {cooperative_id}",
                            retention_days=retention_days))
    session.flush()
    return cooperative_id


def add_member(session, cooperative_id: str, *, member_id: str | None = None,
               first_name: str = "Camille", last_name: str = "Martin",
               joined_on: date = date(2024, 1, 2), left_on: date | None = None,
               erased: bool = False, share=(), presentation: str | None = None,
               skills=(), trades=(), languages=(), references=(), place: Where | None = None,
               day_rate: tuple[int | None, int | None] | None = None,
               availability=(), absences=(), profile: bool = True) -> str:
    """A person of ``cooperative_id`` and (unless ``profile=False``) their profile.
    ``share``: the fields shared with the network (``"all"``: every one);
    ``availability``: (starts_on, ends_on) or (starts_on, ends_on, days_per_week);
    ``absences``: (starts_on, ends_on). Not indexed: call ``index_profile``."""
    member_id = member_id or str(uuid.uuid4())
    shared = set(FIELDS) if share == "all" else set(share)
    session.add(Person(member_id=member_id, cooperative_id=cooperative_id,
                       first_name=first_name, last_name=last_name, joined_on=joined_on,
                       left_on=left_on, erased=erased))
    if profile:
        session.add(Profile(
            member_id=member_id, cooperative_id=cooperative_id, presentation=presentation,
            trades=json.dumps(list(trades)), languages=json.dumps(list(languages)),
            references=json.dumps(list(references)),
            commune=place.commune if place else None,
            commune_code=place.commune_code if place else None,
            latitude_e6=e6(place.latitude) if place else None,
            longitude_e6=e6(place.longitude) if place else None,
            travel_radius_km=place.travel_radius_km if place else 0,
            day_rate_min_cents=day_rate[0] if day_rate else None,
            day_rate_max_cents=day_rate[1] if day_rate else None,
            updated_at=NOW, **{f"share_{f}": f in shared for f in FIELDS}))
        for position, s in enumerate(skills):
            session.add(ProfileSkill(member_id=member_id, cooperative_id=cooperative_id,
                                     position=position, concept_uri=s.concept_uri,
                                     label=s.label, level=s.level, years=s.years))
        for position, period in enumerate(availability):
            session.add(Availability(member_id=member_id, cooperative_id=cooperative_id,
                                     position=position, starts_on=period[0],
                                     ends_on=period[1],
                                     days_per_week=period[2] if len(period) > 2 else 5))
        for starts_on, ends_on in absences:
            session.add(Absence(id=str(uuid.uuid4()), member_id=member_id,
                                cooperative_id=cooperative_id, starts_on=starts_on,
                                ends_on=ends_on, declared_at=NOW))
    session.flush()
    return member_id


def add_concept(session, uri: str, label: str, alt=(), broader=(), kind: str = "skill",
                source: str = "test") -> str:
    """A taxonomy concept with its French labels (``terms`` as the taxonomy stores them)
    and its broader concepts."""
    session.add(Concept(uri=uri, kind=kind, label=label, language="fr", source=source))
    session.add(ConceptLabel(uri=uri, label=label, kind="preferred", terms=text.terms(label)))
    for other in alt:
        session.add(ConceptLabel(uri=uri, label=other, kind="alt", terms=text.terms(other)))
    for parent in broader:
        session.add(ConceptBroader(uri=uri, broader_uri=parent))
    session.flush()
    return uri
