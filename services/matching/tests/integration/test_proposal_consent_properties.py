"""Property: a team proposal never uses, names or publishes another cooperative's member
without the consent it needs, nor anyone who left (hypothesis, on the real store).

A network call of Oxalis needs identity, skills and availability shared by Coopaname's
members, and place when the call has a place, day rate when it wants the cheapest team.
Random people of both cooperatives (skills, consents, departures), a random call; every
proposed member, every person named among the excluded and every id in the outbox's
events must pass the rule.
"""

from __future__ import annotations

import uuid
from datetime import date

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from cae_matching.adapters.store import Base, Concept, ConceptBroader, ConceptLabel, OccupationSkill
from cae_matching.usecases import calls
from caekit.db import acting_session
from caekit.tables import outbox_table
from services.matching.tests.integration.builders import (
    AUDIT,
    COOPANAME,
    INSUL,
    NOW,
    OXALIS,
    cooperatives,
    member,
    outbox_text,
    taxonomy,
)

FIELDS = ("identity", "skills", "availability", "place", "day_rate")
TAXONOMY = {Concept.__tablename__, ConceptLabel.__tablename__, ConceptBroader.__tablename__,
            OccupationSkill.__tablename__}

person = st.fixed_dictionaries({
    "coop": st.sampled_from((OXALIS, COOPANAME)),
    "skills": st.lists(st.sampled_from((AUDIT, INSUL)), min_size=1, max_size=2, unique=True),
    "level": st.integers(1, 4),
    "share": st.sets(st.sampled_from(FIELDS)),
    "left": st.booleans() | st.just(False),
    "day_rate": st.sampled_from((None, 40000, 55000)),
})
call = st.fixed_dictionaries({
    "objective": st.sampled_from(("smallest", "cheapest")),
    "place": st.booleans(),
    "people": st.integers(1, 2),
})



def _empty(sessions) -> None:
    with sessions() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in TAXONOMY:
                session.execute(delete(table))
        session.execute(delete(outbox_table))
        for model in (OccupationSkill, ConceptBroader, ConceptLabel, Concept):
            session.execute(delete(model))
        session.commit()


def needed(data: dict) -> set[str]:
    return ({"identity", "skills", "availability"} | ({"place"} if data["place"] else set())
            | ({"day_rate"} if data["objective"] == "cheapest" else set()))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(people=st.lists(person, min_size=1, max_size=8), data=call)
@example(people=[{"coop": COOPANAME, "skills": [AUDIT], "level": 2, "left": False,
                  "share": {"identity", "skills", "availability"}, "day_rate": 40000}],
         data={"objective": "cheapest", "place": True, "people": 1})
def test_a_proposal_never_escapes_consent(sessions, people, data):
    _empty(sessions)
    with sessions() as session:
        cooperatives(session)
        taxonomy(session)
        ids = []
        for n, p in enumerate(people):
            ids.append(member(session, p["coop"], f"Personne{n}", share=p["share"],
                              skills={uri: p["level"] for uri in p["skills"]},
                              day_rate=p["day_rate"],
                              left_on=date(2026, 1, 15) if p["left"] else None))
        session.commit()
    allowed = {i for i, p in zip(ids, people, strict=True) if not p["left"] and (
        p["coop"] == OXALIS or needed(data) <= p["share"])}

    with acting_session(sessions, OXALIS, "staff-1") as session:
        created = calls.create_call(session, OXALIS, calls.CallInput(
            title="Rénovation de l'école", starts_on=date(2026, 4, 1),
            ends_on=date(2026, 4, 30), scope="network", objective=data["objective"],
            latitude=45.764 if data["place"] else None,
            longitude=4.8357 if data["place"] else None,
            requirements=[{"code": "AUDIT", "concept_uri": AUDIT, "min_level": 1,
                           "people": data["people"]},
                          {"code": "ISOL", "concept_uri": INSUL, "min_level": 2}]),
            "staff-1", NOW)
        calls.publish_call(session, created["id"], NOW)
        result = calls.propose(session, created["id"], NOW, time_limit=2.0, alternatives=2)
        session.commit()
        outbox = outbox_text(session)
        shown = [calls.get_proposal(session, p["proposal_id"]) for p in result["proposals"]]

    proposed = {m["member_id"] for p in result["proposals"] for m in p["members"]}
    proposed |= {m["member_id"] for p in shown for m in p["members"]}
    assert proposed <= allowed
    assert {e["member_id"] for e in result["excluded"]} <= allowed
    for forbidden in set(ids) - allowed:
        assert forbidden not in outbox
        assert forbidden not in str(result)
    assert uuid.UUID(created["id"])  # the call itself was made
