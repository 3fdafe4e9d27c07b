"""Rows for the matching service's integration tests, written straight into the store:
cooperatives, people, profiles with skills, availability and consent, activities,
certifications, the taxonomy's broader relations and accepted teams.

Write them with a session bound to no cooperative (``sessions()``), which may write any
cooperative's rows; then run the use cases under ``acting_session``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

import orjson
from sqlalchemy import select

from cae_matching.adapters.store import (
    Absence,
    Activity,
    ActivityMember,
    Availability,
    Call,
    CallRequirement,
    Certification,
    CertificationActivity,
    Concept,
    ConceptBroader,
    Cooperative,
    Person,
    Profile,
    ProfileSkill,
    Proposal,
    ProposalMember,
)
from caekit.tables import outbox_table

OXALIS = "0a000000-0000-4000-8000-000000000001"
COOPANAME = "0b000000-0000-4000-8000-000000000002"

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))  # available all year

ESCO = "http://data.europa.eu/esco/skill/"
AUDIT = ESCO + "audit-energy"
ELEC = ESCO + "electrical-wiring"
INSUL = ESCO + "install-insulation"
INSUL_WALLS = ESCO + "install-wall-insulation"  # narrower than INSUL
INSUL_CELLULOSE = ESCO + "blow-cellulose-insulation"  # narrower than INSUL_WALLS
TRAIN = ESCO + "train-adults"

# places (degrees)
LYON = (45.7640, 4.8357)
VILLEURBANNE = (45.7719, 4.8902)  # 4 km from Lyon
VIENNE = (45.5253, 4.8743)  # 27 km
GRENOBLE = (45.1885, 5.7245)  # 95 km
PARIS = (48.8566, 2.3522)  # 392 km

NETWORK = ("identity", "skills", "availability", "place", "day_rate")


def cooperatives(session) -> None:
    for coop, name in ((OXALIS, "Oxalis"), (COOPANAME, "Coopaname")):
        session.add(Cooperative(cooperative_id=coop, name=name))


def taxonomy(session) -> None:
    """The concepts of the tests and two levels of narrower concepts of insulation."""
    labels = {AUDIT: "réaliser un audit énergétique", ELEC: "installer un câblage électrique",
              INSUL: "poser une isolation", INSUL_WALLS: "isoler des murs",
              INSUL_CELLULOSE: "souffler de la ouate de cellulose",
              TRAIN: "former des adultes"}
    for uri, label in labels.items():
        session.add(Concept(uri=uri, kind="skill", label=label, language="fr",
                            source="tests"))
    session.add(ConceptBroader(uri=INSUL_WALLS, broader_uri=INSUL))
    session.add(ConceptBroader(uri=INSUL_CELLULOSE, broader_uri=INSUL_WALLS))


def member(session, coop: str, first: str, last: str = "Martin", *,
           skills: Mapping[str, int] | Iterable[tuple[str | None, str, int]] = (),
           place: tuple[float, float] | None = LYON, radius: int = 50,
           day_rate: int | None = None, share: Iterable[str] = (),
           available: Iterable[tuple[date, date]] = (YEAR,), left_on: date | None = None,
           member_id: str | None = None) -> str:
    """A person with a profile: ``skills`` by concept URI -> level, or (concept_uri or
    None, label, level) triples; ``share``: the fields visible to the network."""
    member_id = member_id or str(uuid.uuid4())
    shared = set(share)
    session.add(Person(cooperative_id=coop, member_id=member_id, first_name=first,
                       last_name=last, joined_on=date(2020, 1, 6), left_on=left_on))
    session.add(Profile(
        cooperative_id=coop, member_id=member_id, updated_at=NOW, commune=None,
        latitude_e6=None if place is None else round(place[0] * 1e6),
        longitude_e6=None if place is None else round(place[1] * 1e6),
        travel_radius_km=radius, day_rate_min_cents=day_rate, day_rate_max_cents=day_rate,
        **{f"share_{f}": f in shared for f in ("identity", "presentation", "skills",
                                                "trades", "languages", "place", "day_rate",
                                                "availability", "references")}))
    items = (list(skills.items()) if isinstance(skills, Mapping) else list(skills))
    for position, item in enumerate(items, 1):
        if len(item) == 2:
            concept, level = item
            label = concept.rsplit("/", 1)[-1]
        else:
            concept, label, level = item
        session.add(ProfileSkill(cooperative_id=coop, member_id=member_id, position=position,
                                 concept_uri=concept, label=label, level=level, years=3))
    for position, (first_day, last_day) in enumerate(available, 1):
        session.add(Availability(cooperative_id=coop, member_id=member_id, position=position,
                                 starts_on=first_day, ends_on=last_day, days_per_week=5))
    return member_id


def absence(session, coop: str, member_id: str, starts_on: date, ends_on: date) -> str:
    absence_id = str(uuid.uuid4())
    session.add(Absence(id=absence_id, cooperative_id=coop, member_id=member_id,
                        starts_on=starts_on, ends_on=ends_on, reason="congé",
                        declared_at=NOW, suggestions="[]"))
    return absence_id


def activity(session, coop: str, members: Iterable[str], *, code: str,
             opened_on: date = date(2021, 1, 4), closed_on: date | None = None) -> str:
    activity_id = str(uuid.uuid4())
    session.add(Activity(cooperative_id=coop, activity_id=activity_id, code=code,
                         name=f"Activité {code}", opened_on=opened_on, closed_on=closed_on))
    for member_id in members:
        session.add(ActivityMember(cooperative_id=coop, activity_id=activity_id,
                                   member_id=member_id))
    return activity_id


def certification(session, coop: str, kind: str, valid_from: date, valid_until: date, *,
                  all_activities: bool = False, activities: Iterable[str] = ()) -> str:
    cert_id = str(uuid.uuid4())
    session.add(Certification(id=cert_id, cooperative_id=coop, kind=kind, name=kind.upper(),
                              scope=None, number="N-1", valid_from=valid_from,
                              valid_until=valid_until, all_activities=all_activities))
    for activity_id in activities:
        session.add(CertificationActivity(cooperative_id=coop, certification_id=cert_id,
                                          activity_id=activity_id))
    return cert_id


def accepted_team(session, coop: str, starts_on: date, ends_on: date,
                  members: Mapping[str, tuple[str, list[str]]], *,
                  requirements: Iterable[tuple[str, str | None, str, int]] = (),
                  place: tuple[float, float] | None = LYON, title: str = "Chantier") -> str:
    """A staffed call of ``coop`` and its accepted team: ``members`` maps a member id to
    (their cooperative, the requirement codes they cover); ``requirements`` are (code,
    concept_uri, label, min_level). Returns the call's id."""
    call_id, proposal_id = str(uuid.uuid4()), str(uuid.uuid4())
    session.add(Call(id=call_id, cooperative_id=coop, title=title, starts_on=starts_on,
                     ends_on=ends_on, certifications="[]", objective="smallest",
                     scope="network", status="staffed", created_at=NOW, created_by="staff",
                     latitude_e6=None if place is None else round(place[0] * 1e6),
                     longitude_e6=None if place is None else round(place[1] * 1e6)))
    for position, (code, concept, label, level) in enumerate(requirements, 1):
        session.add(CallRequirement(cooperative_id=coop, call_id=call_id, code=code,
                                    position=position, concept_uri=concept, label=label,
                                    min_level=level, people=1, certifications="[]"))
    session.add(Proposal(id=proposal_id, cooperative_id=coop, call_id=call_id, rank=1, cost=1,
                         objective="smallest", proven_optimal=True, lower_bound=1, gap="0",
                         method="exact", status="accepted", created_at=NOW, decided_at=NOW))
    for member_id, (member_coop, covers) in members.items():
        session.add(ProposalMember(cooperative_id=coop, proposal_id=proposal_id,
                                   member_id=member_id, member_cooperative_id=member_coop,
                                   covers=json.dumps(covers), answer="accepted",
                                   answered_at=NOW))
    return call_id


def events(session, event_type: str | None = None) -> list[dict]:
    """The outbox's events (their CloudEvents bodies, batches unpacked), of a type."""
    found = []
    for kind, body in session.execute(select(outbox_table.c.event_type, outbox_table.c.body)
                                      .order_by(outbox_table.c.seq)):
        if event_type is not None and kind != event_type:
            continue
        loaded = orjson.loads(body)
        found.extend(loaded if isinstance(loaded, list) else [loaded])
    return found


def outbox_text(session) -> str:
    """Every body of the outbox, as one text (to check that an id never appears)."""
    return "\n".join(body for (body,) in session.execute(select(outbox_table.c.body)))
