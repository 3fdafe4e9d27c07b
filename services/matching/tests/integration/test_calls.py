"""Calls for tenders on a real store (SQLite or PostgreSQL, ``CAE_TEST_DB``): the team
proposed with numbers known by hand, the people left out and why, consent, the
cooperative's certifications, a network call across two cooperatives, the answers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from cae_matching.adapters.store import Call, Proposal
from cae_matching.usecases.calls import (
    CallInput,
    RequirementInput,
    answer,
    close_call,
    create_call,
    get_call,
    get_proposal,
    list_calls,
    list_proposals,
    member_proposals,
    propose,
    publish_call,
    update_call,
)
from cae_matching.usecases.certifications import (
    CertificationInput,
    allowed_kinds,
    create_certification,
    delete_certification,
    get_certification,
    list_certifications,
    update_certification,
)
from caekit.db import acting_session
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord
from services.matching.tests.integration.builders import (
    AUDIT,
    COOPANAME,
    ELEC,
    INSUL,
    INSUL_CELLULOSE,
    LYON,
    NETWORK,
    NOW,
    OXALIS,
    PARIS,
    TRAIN,
    VIENNE,
    VILLEURBANNE,
    absence,
    accepted_team,
    activity,
    certification,
    events,
    member,
    outbox_text,
)

MARCH = (date(2026, 3, 2), date(2026, 3, 13))
PROPOSED = "cae.matching.team_proposed.v1"
ACCEPTED = "cae.matching.team_accepted.v1"
ESCO_UNKNOWN = "http://data.europa.eu/esco/skill/not-in-the-taxonomy"



def staff(seeded, coop=OXALIS):
    return acting_session(seeded, coop, "staff-1")


def a_call(requirements, **fields) -> CallInput:
    values = {"title": "Rénovation énergétique d'une école", "starts_on": MARCH[0],
              "ends_on": MARCH[1], "commune": "Lyon", "latitude": LYON[0],
              "longitude": LYON[1], "buyer": "Ville de Lyon", "budget_cents": 5_000_000,
              "requirements": requirements, **fields}
    return CallInput(**values)


def published(seeded, data: CallInput, coop: str = OXALIS) -> str:
    with staff(seeded, coop) as session:
        call = create_call(session, coop, data, "staff-1", NOW)
        publish_call(session, call["id"], NOW)
        session.commit()
    return call["id"]


def run_propose(seeded, call_id: str, coop: str = OXALIS, **options) -> dict:
    with staff(seeded, coop) as session:
        result = propose(session, call_id, NOW, time_limit=5.0, **options)
        session.commit()
    return result


def reply(seeded, coop: str, proposal_id: str, member_id: str, accept: bool) -> dict:
    with acting_session(seeded, coop, member_id, roles=("entrepreneur",)) as session:
        result = answer(session, proposal_id, member_id, accept, NOW)
        session.commit()
    return result


def renovation() -> list[RequirementInput]:
    return [RequirementInput("audit", concept_uri=AUDIT, min_level=2),
            RequirementInput("electrics", concept_uri=ELEC, min_level=2),
            RequirementInput("insulation", concept_uri=INSUL, min_level=2, people=2)]


# -- the optimum, where the greedy is not optimal ---------------------------------------------
def test_the_cheapest_team_beats_the_greedy_and_alternatives_are_ranked(seeded):
    """At day rates the greedy takes Zoé first (three slots for 600 EUR, 200 EUR a slot),
    then Wassim (450 EUR, who blows cellulose wadding: two levels narrower than
    insulation): 1,050 EUR. Xavier and Yasmine cover everything for 1,000 EUR, the
    optimum; next come Zoé and Wassim (1,050 EUR), then Zoé with Xavier or Yasmine
    (1,100 EUR)."""
    with seeded.begin() as s:
        xavier = member(s, OXALIS, "Xavier", skills={AUDIT: 3, INSUL: 2}, day_rate=50_000)
        yasmine = member(s, OXALIS, "Yasmine", skills={ELEC: 3, INSUL: 2}, day_rate=50_000,
                         place=VILLEURBANNE)
        zoe = member(s, OXALIS, "Zoé", skills={AUDIT: 3, ELEC: 2, INSUL: 4}, day_rate=60_000)
        wassim = member(s, OXALIS, "Wassim", skills={INSUL_CELLULOSE: 3}, day_rate=45_000,
                        place=VIENNE)
    call_id = published(seeded, a_call(renovation(), objective="cheapest"))

    result = run_propose(seeded, call_id, alternatives=3)

    assert result["status"] == "proposed" and result["uncovered"] == []
    assert result["greedy"]["cost"] == 105_000
    assert set(result["greedy"]["members"]) == {zoe, wassim}
    best, second, third = result["proposals"]
    assert [p["rank"] for p in result["proposals"]] == [1, 2, 3]
    assert [p["cost"] for p in result["proposals"]] == [100_000, 105_000, 110_000]
    assert {m["member_id"] for m in best["members"]} == {xavier, yasmine}
    assert best["proven_optimal"] and best["gap"] == "0" and best["method"] == "exact"
    assert best["lower_bound"] == 100_000 and best["day_rate_total_cents"] == 100_000
    covers = {m["name"]: m["covers"] for m in best["members"]}
    assert covers == {"Xavier Martin": ["audit", "insulation"],
                      "Yasmine Martin": ["electrics", "insulation"]}
    assert {r["code"]: set(r["members"]) for r in best["requirements"]} == {
        "audit": {xavier}, "electrics": {yasmine}, "insulation": {xavier, yasmine}}
    assert {m["member_id"] for m in second["members"]} == {zoe, wassim}  # narrower concept
    assert zoe in {m["member_id"] for m in third["members"]}
    assert [m["distance_km"] for m in second["members"]
            if m["member_id"] == wassim][0] == 27
    assert result["excluded"] == []

    with seeded() as s:
        assert s.scalar(select(Call.status).where(Call.id == call_id)) == "proposed"
        rows = s.execute(select(Proposal.rank, Proposal.cost, Proposal.status, Proposal.method)
                         .where(Proposal.call_id == call_id).order_by(Proposal.rank)).all()
        assert [tuple(r) for r in rows] == [(1, 100_000, "proposed", "exact"),
                                            (2, 105_000, "proposed", "exact"),
                                            (3, 110_000, "proposed", "exact")]
        (event,) = events(s, PROPOSED)
        assert [p["cost"] for p in event["data"]["proposals"]] == [100_000, 105_000, 110_000]
        assert event["data"]["uncovered"] == []
        assert len(events(s, "cae.matching.call_published.v1")) == 1

    with staff(seeded) as s:  # read back: the same proposals, names as Oxalis sees them
        listed = list_proposals(s, call_id)
        assert [p["proposal_id"] for p in listed] == [p["proposal_id"]
                                                      for p in result["proposals"]]
        assert get_proposal(s, best["proposal_id"])["members"][0]["name"] is not None


def test_the_smallest_team_and_proposing_again_supersedes(seeded):
    with seeded.begin() as s:
        member(s, OXALIS, "Anna", skills={AUDIT: 2, ELEC: 2, INSUL: 2})
        member(s, OXALIS, "Basile", skills={INSUL: 3})
        member(s, OXALIS, "Chloé", skills={AUDIT: 3})
    call_id = published(seeded, a_call(renovation()))
    first = run_propose(seeded, call_id, alternatives=1)
    assert [p["cost"] for p in first["proposals"]] == [2]  # Anna and Basile
    second = run_propose(seeded, call_id, alternatives=2)
    assert [p["cost"] for p in second["proposals"]] == [2]  # the only team of two...
    with seeded() as s:
        statuses = dict(s.execute(select(Proposal.id, Proposal.status)
                                  .where(Proposal.call_id == call_id)).all())
    assert statuses[first["proposals"][0]["proposal_id"]] == "superseded"
    assert statuses[second["proposals"][0]["proposal_id"]] == "proposed"
    assert len(second["proposals"]) == 1  # ...and none without Anna or Basile


# -- no team ----------------------------------------------------------------------------------
def test_a_call_no_team_can_cover_names_the_missing_skills(seeded):
    with seeded.begin() as s:
        member(s, OXALIS, "Xavier", skills={AUDIT: 3, INSUL: 2})
        member(s, OXALIS, "Zoé", skills={AUDIT: 4, ELEC: 2, INSUL: 4})
    requirements = renovation() + [
        RequirementInput("training", concept_uri=TRAIN, min_level=1),
        RequirementInput("senior-audit", concept_uri=AUDIT, min_level=3, people=3),
        RequirementInput("plaster", label="Pose de plaques de plâtre", min_level=2)]
    call_id = published(seeded, a_call(requirements))

    result = run_propose(seeded, call_id)

    assert result["proposals"] == [] and result["greedy"] is None
    assert result["status"] == "published"
    assert result["uncovered"] == [
        {"code": "training", "label": "former des adultes", "concept_uri": TRAIN,
         "min_level": 1, "people": 1, "qualified": 0, "left_out": 0},
        {"code": "senior-audit", "label": "réaliser un audit énergétique",
         "concept_uri": AUDIT, "min_level": 3, "people": 3, "qualified": 2, "left_out": 0},
        {"code": "plaster", "label": "Pose de plaques de plâtre", "concept_uri": None,
         "min_level": 2, "people": 1, "qualified": 0, "left_out": 0}]
    with seeded() as s:
        (event,) = events(s, PROPOSED)
        assert event["data"]["proposals"] == []
        assert event["data"]["uncovered"] == ["training", "senior-audit", "plaster"]
        assert s.scalar(select(func.count()).select_from(Proposal)) == 0


# -- availability, reach and consent ------------------------------------------------------------
def test_availability_reach_and_consent_leave_people_out(seeded):
    with seeded.begin() as s:
        anna = member(s, OXALIS, "Anna", skills={AUDIT: 4},
                      available=[(date(2026, 1, 1), date(2026, 3, 5))])  # not the whole call
        bruno = member(s, OXALIS, "Bruno", skills={ELEC: 3})
        absence(s, OXALIS, bruno, date(2026, 3, 10), date(2026, 3, 11))
        chloe = member(s, COOPANAME, "Chloé", skills={AUDIT: 4, ELEC: 4},
                       share=("identity",))  # her skills are not shared
        denis = member(s, COOPANAME, "Denis", skills={AUDIT: 3},
                       share=("identity", "skills", "availability", "place"))
        emma = member(s, OXALIS, "Emma", skills={ELEC: 2})
        farid = member(s, OXALIS, "Farid", skills={ELEC: 4})
        accepted_team(s, OXALIS, date(2026, 3, 9), date(2026, 3, 20),
                      {farid: (OXALIS, ["wiring"])})  # engaged elsewhere
        gaelle = member(s, OXALIS, "Gaëlle", skills={AUDIT: 4}, left_on=date(2026, 1, 31))
        hugo = member(s, OXALIS, "Hugo", skills={ELEC: 3}, place=PARIS, radius=50)
        ines = member(s, OXALIS, "Inès", skills={ELEC: 3}, place=None)
        jules = member(s, OXALIS, "Jules", skills={ELEC: 1})  # below the level asked
        far = member(s, COOPANAME, "Karim", skills={AUDIT: 3}, share=NETWORK, place=PARIS)
    call_id = published(seeded, a_call(
        [RequirementInput("audit", concept_uri=AUDIT, min_level=2),
         RequirementInput("electrics", concept_uri=ELEC, min_level=2)], scope="network"))

    result = run_propose(seeded, call_id)

    (team,) = result["proposals"]
    assert {(m["member_id"], m["cooperative_id"]) for m in team["members"]} == {
        (denis, COOPANAME), (emma, OXALIS)}
    assert team["cost"] == 2
    reasons = {e["member_id"]: e["reasons"] for e in result["excluded"]}
    assert reasons == {
        anna: ["unavailable", "no_availability"], bruno: ["unavailable", "absent"],
        farid: ["unavailable", "engaged"], hugo: ["out_of_reach"], ines: ["no_place"],
        far: ["out_of_reach"]}
    assert [e["distance_km"] for e in result["excluded"] if e["member_id"] == hugo][0] > 50
    everything = repr(result)
    with seeded() as s:
        everything += outbox_text(s)
    for nobody in (chloe, gaelle, jules):
        assert nobody not in everything
    assert "Chloé" not in everything and "Gaëlle" not in everything


# -- certifications ---------------------------------------------------------------------------
def test_the_call_certification_is_one_the_member_activity_may_use(seeded):
    network = ("identity", "skills", "availability")
    with seeded.begin() as s:
        kim = member(s, OXALIS, "Kim", skills={TRAIN: 3})
        lea = member(s, OXALIS, "Léa", skills={TRAIN: 4})
        marc = member(s, OXALIS, "Marc", skills={TRAIN: 4})
        nora = member(s, COOPANAME, "Nora", skills={TRAIN: 3}, share=network)
        omar = member(s, COOPANAME, "Omar", skills={TRAIN: 3}, share=network)
        training = activity(s, OXALIS, [kim], code="FORM")
        activity(s, OXALIS, [lea], code="CONS")  # not listed by the certification
        old = activity(s, OXALIS, [marc], code="OLD")
        activity(s, COOPANAME, [nora], code="NORA")
        certification(s, OXALIS, "qualiopi", date(2025, 1, 1), date(2027, 12, 31),
                      activities=[training])
        certification(s, OXALIS, "qualiopi", date(2022, 1, 1), date(2025, 12, 31),
                      activities=[old])  # expired
        certification(s, OXALIS, "rge", date(2020, 1, 1), date(2025, 12, 31),
                      all_activities=True)  # expired
        certification(s, COOPANAME, "qualiopi", date(2024, 1, 1), date(2028, 12, 31),
                      all_activities=True)
    call_id = published(seeded, a_call(
        [RequirementInput("training", concept_uri=TRAIN, min_level=2, people=2)],
        latitude=None, longitude=None, commune=None, scope="network",
        certifications=["Qualiopi"]))

    result = run_propose(seeded, call_id)

    (team,) = result["proposals"]
    assert {m["member_id"] for m in team["members"]} == {kim, nora}
    assert {e["member_id"]: (e["reasons"], e["missing_certifications"])
            for e in result["excluded"]} == {
        lea: (["certification"], ["qualiopi"]), marc: (["certification"], ["qualiopi"]),
        omar: (["certification"], ["qualiopi"])}  # Omar has no activity
    with staff(seeded) as s:
        assert allowed_kinds(s, kim, OXALIS, *MARCH) == {"qualiopi"}
        assert allowed_kinds(s, lea, OXALIS, *MARCH) == set()
        assert allowed_kinds(s, marc, OXALIS, date(2025, 3, 2), date(2025, 3, 13)) == {
            "qualiopi", "rge"}  # when both were valid
        assert allowed_kinds(s, marc, OXALIS, date(2025, 12, 20), date(2026, 1, 10)) == set()
        assert allowed_kinds(s, nora, COOPANAME, *MARCH) == {"qualiopi"}
        assert allowed_kinds(s, nora, OXALIS, *MARCH) == set()  # not Oxalis's certifications


def test_certifications_are_written_checked_and_listed(seeded):
    with seeded.begin() as s:
        kim = member(s, OXALIS, "Kim", skills={TRAIN: 3})
        mine = activity(s, OXALIS, [kim], code="FORM")
        theirs = activity(s, COOPANAME, [], code="AUTRE")
    qualiopi = CertificationInput("qualiopi", "Qualiopi actions de formation",
                                  date(2025, 1, 1), date(2027, 12, 31), scope="Formation",
                                  number="QUA-123", activity_ids=[mine])
    with staff(seeded) as s:
        created = create_certification(s, OXALIS, qualiopi)
        assert created["kind"] == "qualiopi" and created["activity_ids"] == [mine]
        for data, rule, field in (
                (CertificationInput("iso27001", "x", date(2025, 1, 1), date(2026, 1, 1)),
                 "certification.kind", "kind"),
                (CertificationInput("rge", "RGE", date(2026, 1, 1), date(2025, 1, 1)),
                 "certification.validity", "valid_until"),
                (CertificationInput("rge", "", date(2025, 1, 1), date(2026, 1, 1)),
                 "certification.name", "name"),
                (CertificationInput("rge", "RGE", date(2025, 1, 1), date(2026, 1, 1),
                                    all_activities=True, activity_ids=[mine]),
                 "certification.activities", "activity_ids")):
            with pytest.raises(RuleViolation) as refused:
                create_certification(s, OXALIS, data)
            assert refused.value.rule == rule and field in refused.value.fields
        for activity_id in (theirs, "no-such-activity"):  # another cooperative's, unknown
            with pytest.raises(UnknownRecord) as refused:
                create_certification(s, OXALIS, CertificationInput(
                    "rge", "RGE", date(2025, 1, 1), date(2026, 1, 1),
                    activity_ids=[mine, activity_id]))
            assert refused.value.rule == "activity.unknown"
            assert "activity_ids[1]" in refused.value.fields
        updated = update_certification(s, created["id"], CertificationInput(
            "RGE", "RGE Eco artisan", date(2025, 1, 1), date(2028, 12, 31),
            all_activities=True))
        assert updated["kind"] == "rge" and updated["activity_ids"] == []
        assert allowed_kinds(s, kim, OXALIS, *MARCH) == {"rge"}
        assert [c["id"] for c in list_certifications(s, kind="rge")] == [created["id"]]
        assert list_certifications(s, valid_on=date(2029, 1, 1)) == []
        s.commit()
    with staff(seeded, COOPANAME) as s:  # another cooperative sees none of it
        assert list_certifications(s) == []
        with pytest.raises(UnknownRecord):
            get_certification(s, created["id"])
    with staff(seeded) as s:
        delete_certification(s, created["id"])
        s.commit()
        assert list_certifications(s) == []


# -- a network call, the answers ---------------------------------------------------------------
def test_a_network_team_of_two_cooperatives_accepted_by_both(seeded):
    with seeded.begin() as s:
        paul = member(s, OXALIS, "Paul", skills={AUDIT: 3})
        rita = member(s, COOPANAME, "Rita", place=VILLEURBANNE, share=NETWORK,
                      skills=[(ELEC, "câblage", 3), (None, "pose de plaque de plâtre", 3)])
    call_id = published(seeded, a_call(
        [RequirementInput("audit", concept_uri=AUDIT, min_level=2),
         RequirementInput("electrics", concept_uri=ELEC, min_level=2),
         RequirementInput("plaster", label="Pose de plaques de plâtre", min_level=2)],
        scope="network"))

    result = run_propose(seeded, call_id)
    (team,) = result["proposals"]
    assert {(m["member_id"], m["cooperative_id"], tuple(m["covers"]))
            for m in team["members"]} == {(paul, OXALIS, ("audit",)),
                                          (rita, COOPANAME, ("electrics", "plaster"))}
    proposal_id = team["proposal_id"]

    with acting_session(seeded, COOPANAME, rita, roles=("entrepreneur",)) as s:
        (waiting,) = member_proposals(s, rita)
        assert (waiting["proposal_id"], waiting["cooperative_id"], waiting["covers"]) == (
            proposal_id, OXALIS, ["electrics", "plaster"])
    first = reply(seeded, OXALIS, proposal_id, paul, True)
    assert first["proposal"]["status"] == "proposed" and not first["team_accepted"]
    done = reply(seeded, COOPANAME, proposal_id, rita, True)  # from her cooperative
    assert done["team_accepted"] and done["call_status"] == "staffed"
    assert done["proposal"]["status"] == "accepted"
    names = {m["member_id"]: m["name"] for m in done["proposal"]["members"]}
    assert names == {paul: None, rita: "Rita Martin"}  # Paul shares nothing with Coopaname
    again = reply(seeded, COOPANAME, proposal_id, rita, True)  # the same answer again
    assert again["call_status"] == "staffed"

    with seeded() as s:
        (event,) = events(s, ACCEPTED)
        assert event["data"]["call_id"] == call_id and event["tenantid"] == OXALIS
        assert event["data"]["cooperative_id"] == OXALIS
        assert {(m["member_id"], m["cooperative_id"]) for m in event["data"]["members"]} == {
            (paul, OXALIS), (rita, COOPANAME)}
    with staff(seeded) as s:
        assert get_call(s, call_id)["status"] == "staffed"
        with pytest.raises(ConflictingState) as refused:
            propose(s, call_id, NOW, time_limit=5.0)
        assert refused.value.rule == "call.not_open"


def test_a_decline_then_a_new_proposal_without_the_decliner_then_acceptance(seeded):
    with seeded.begin() as s:
        ids = {name: member(s, OXALIS, name, skills={ELEC: level})
               for name, level in (("Emma", 2), ("Bruno", 3), ("Farid", 4))}
        stranger = member(s, OXALIS, "Ugo", skills={AUDIT: 2})
    call_id = published(seeded, a_call(
        [RequirementInput("electrics", concept_uri=ELEC, min_level=2)]))
    result = run_propose(seeded, call_id, alternatives=3)
    assert [p["rank"] for p in result["proposals"]] == [1, 2, 3]
    assert [p["cost"] for p in result["proposals"]] == [1, 1, 1]
    first = result["proposals"][0]
    (decliner,) = [m["member_id"] for m in first["members"]]

    with pytest.raises(UnknownRecord) as refused:
        reply(seeded, OXALIS, first["proposal_id"], stranger, True)
    assert refused.value.rule == "proposal.unknown"
    declined = reply(seeded, OXALIS, first["proposal_id"], decliner, False)
    assert declined["proposal"]["status"] == "declined"
    assert declined["call_status"] == "proposed"  # two alternatives still wait
    with pytest.raises(ConflictingState) as refused:
        reply(seeded, OXALIS, first["proposal_id"], decliner, True)
    assert refused.value.rule == "proposal.not_open"

    again = run_propose(seeded, call_id, alternatives=3)
    assert len(again["proposals"]) == 2
    assert decliner not in {m["member_id"] for p in again["proposals"] for m in p["members"]}
    assert [(e["member_id"], e["reasons"]) for e in again["excluded"]] == [
        (decliner, ["declined"])]
    chosen = again["proposals"][0]
    (taker,) = [m["member_id"] for m in chosen["members"]]
    accepted = reply(seeded, OXALIS, chosen["proposal_id"], taker, True)
    assert accepted["team_accepted"] and accepted["call_status"] == "staffed"
    with seeded() as s:
        statuses = sorted(s.scalars(select(Proposal.status).where(Proposal.call_id == call_id)))
        assert statuses == ["accepted", "declined", "superseded", "superseded", "superseded"]
        assert len(events(s, ACCEPTED)) == 1 and len(events(s, PROPOSED)) == 2
    with pytest.raises(ConflictingState):
        reply(seeded, OXALIS, again["proposals"][1]["proposal_id"],
              again["proposals"][1]["members"][0]["member_id"], True)

    # the member who accepted is engaged over March: out of an overlapping call
    overlapping = published(seeded, a_call(
        [RequirementInput("electrics", concept_uri=ELEC, min_level=2)],
        title="Autre chantier", starts_on=date(2026, 3, 10), ends_on=date(2026, 3, 20)))
    other = run_propose(seeded, overlapping)
    assert {"member_id": taker, "reasons": ["unavailable", "engaged"]} == {
        k: v for k, v in next(e for e in other["excluded"] if e["member_id"] == taker).items()
        if k in ("member_id", "reasons")}
    assert set(ids.values()) >= {decliner, taker}


def test_accepting_is_refused_to_a_member_engaged_in_an_overlapping_team(seeded):
    with seeded.begin() as s:
        emma = member(s, OXALIS, "Emma", skills={ELEC: 2})
    first = published(seeded, a_call([RequirementInput("e", concept_uri=ELEC)]))
    second = published(seeded, a_call([RequirementInput("e", concept_uri=ELEC)],
                                        title="Le même mois"))
    one = run_propose(seeded, first)["proposals"][0]["proposal_id"]
    two = run_propose(seeded, second)["proposals"][0]["proposal_id"]
    reply(seeded, OXALIS, one, emma, True)
    with pytest.raises(ConflictingState) as refused:
        reply(seeded, OXALIS, two, emma, True)
    assert refused.value.rule == "proposal.engaged"


# -- writing calls ------------------------------------------------------------------------------
def test_a_call_is_checked_rewritten_while_draft_listed_and_closed(seeded):
    with staff(seeded) as s:
        for requirements, fields, rule in (
                ([], {}, "call.requirements"),
                ([RequirementInput("a", concept_uri=AUDIT),
                  RequirementInput("a", concept_uri=ELEC)], {}, "requirement.duplicate"),
                ([RequirementInput("a", concept_uri=AUDIT, min_level=5)], {},
                 "requirement.level"),
                ([RequirementInput("a", concept_uri=AUDIT, people=51)], {},
                 "requirement.people"),
                ([RequirementInput("a")], {}, "requirement.skill"),
                ([RequirementInput("a", concept_uri=ESCO_UNKNOWN)], {}, "requirement.label"),
                ([RequirementInput("a", concept_uri=AUDIT, certifications=["iso27001"])], {},
                 "call.certification"),
                ([RequirementInput("a", concept_uri=AUDIT)], {"objective": "fastest"},
                 "call.objective"),
                ([RequirementInput("a", concept_uri=AUDIT)], {"scope": "world"}, "call.scope"),
                ([RequirementInput("a", concept_uri=AUDIT)], {"latitude": 95.0},
                 "call.place"),
                ([RequirementInput("a", concept_uri=AUDIT)], {"longitude": None},
                 "call.place"),
                ([RequirementInput("a", concept_uri=AUDIT)],
                 {"ends_on": MARCH[0] - timedelta(days=1)}, "period.order"),
                ([RequirementInput("a", concept_uri=AUDIT)], {"budget_cents": -1},
                 "amount.out_of_range")):
            with pytest.raises(RuleViolation) as refused:
                create_call(s, OXALIS, a_call(requirements, **fields), "staff-1", NOW)
            assert refused.value.rule == rule

        draft = create_call(s, OXALIS, a_call(
            [{"code": "a", "concept_uri": AUDIT, "min_level": 2}], latitude=None,
            longitude=None), "staff-1", NOW)
        assert draft["requirements"][0]["label"] == "réaliser un audit énergétique"
        assert draft["status"] == "draft" and draft["latitude"] is None
        rewritten = update_call(s, draft["id"], a_call(
            [RequirementInput("b", label="Menuiserie", min_level=3, people=2,
                              certifications=["qualibat"])], certifications=["RGE"]))
        assert [r["code"] for r in rewritten["requirements"]] == ["b"]
        assert rewritten["certifications"] == ["rge"]
        assert rewritten["latitude"] == pytest.approx(LYON[0])
        publish_call(s, draft["id"], NOW)
        with pytest.raises(ConflictingState) as refused:
            update_call(s, draft["id"], a_call([RequirementInput("c", label="x")]))
        assert refused.value.rule == "call.not_draft"
        late = create_call(s, OXALIS, a_call([RequirementInput("c", label="x")],
                                             deadline=date(2026, 1, 31)), "staff-1", NOW)
        with pytest.raises(RuleViolation) as refused:
            publish_call(s, late["id"], NOW)
        assert refused.value.rule == "call.deadline_passed"
        for n in range(3):
            create_call(s, OXALIS, a_call([RequirementInput("c", label="x")],
                                          title=f"Appel {n}"), "staff-1",
                        NOW + timedelta(minutes=n + 1))
        s.commit()

    with staff(seeded) as s:
        seen, after = [], None
        while True:
            page = list_calls(s, limit=2, after=after)
            seen += [c["title"] for c in page["items"]]
            after = page["next_after"]
            if after is None:
                break
        assert seen[:3] == ["Appel 2", "Appel 1", "Appel 0"] and len(seen) == 5
        assert [c["id"] for c in list_calls(s, status="published")["items"]] == [draft["id"]]
        closed = close_call(s, draft["id"], NOW)
        assert closed["status"] == "closed"
        with pytest.raises(ConflictingState):
            close_call(s, draft["id"], NOW)
        s.commit()
    with staff(seeded, COOPANAME) as s:
        assert list_calls(s)["items"] == []
        with pytest.raises(UnknownRecord):
            get_call(s, draft["id"])

