"""Absences and the replacements suggested, on a real store (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from cae_matching.usecases.replacements import (
    cancel_absence,
    declare_absence,
    get_absence,
    list_absences,
)
from caekit.db import acting_session
from caekit.rules import RuleViolation, UnknownRecord
from services.matching.tests.integration.builders import (
    AUDIT,
    COOPANAME,
    ELEC,
    GRENOBLE,
    LYON,
    NETWORK,
    NOW,
    OXALIS,
    TRAIN,
    VIENNE,
    VILLEURBANNE,
    absence,
    accepted_team,
    events,
    member,
    outbox_text,
)

SUGGESTED = "cae.matching.replacement_suggested.v1"



def as_member(seeded, member_id, coop=OXALIS):
    return acting_session(seeded, coop, member_id, roles=("entrepreneur",))


def test_an_engagement_is_taken_over_by_the_own_cooperative_first(seeded):
    """Marie is away from 9 to 20 March; she does the electrics of a job in Lyon from 2
    to 13 March. Over the 9th to the 13th: Oscar (Villeurbanne, 4 km, expert), Olga
    (Villeurbanne, confirmed), Odile (Vienne, 27 km, confirmed, free from the 6th only),
    Octave (Vienne, autonomous), then Nadia of Coopaname (Lyon, 0 km, expert)."""
    network_without_place = ("identity", "skills", "availability")
    with seeded.begin() as s:
        marie = member(s, OXALIS, "Marie", skills={ELEC: 3})
        teammate = member(s, OXALIS, "Thomas", skills={ELEC: 3, AUDIT: 3})
        octave = member(s, OXALIS, "Octave", skills={ELEC: 2}, place=VIENNE)
        oscar = member(s, OXALIS, "Oscar", skills={ELEC: 4}, place=VILLEURBANNE)
        olga = member(s, OXALIS, "Olga", skills={ELEC: 3}, place=VILLEURBANNE)
        odile = member(s, OXALIS, "Odile", skills={ELEC: 3}, place=VIENNE,
                       available=[(date(2026, 3, 6), date(2026, 3, 31))])
        nadia = member(s, COOPANAME, "Nadia", skills={ELEC: 4}, place=LYON, share=NETWORK)
        hidden = member(s, COOPANAME, "Noémie", skills={ELEC: 4}, share=("identity",))
        no_place = member(s, COOPANAME, "Nina", skills={ELEC: 4},
                          share=network_without_place)
        away = member(s, OXALIS, "Ophélie", skills={ELEC: 4})
        absence(s, OXALIS, away, date(2026, 3, 12), date(2026, 3, 12))
        far = member(s, OXALIS, "Orso", skills={ELEC: 4}, place=GRENOBLE, radius=50)
        novice = member(s, OXALIS, "Oana", skills={ELEC: 1})
        call_id = accepted_team(
            s, OXALIS, date(2026, 3, 2), date(2026, 3, 13),
            {marie: (OXALIS, ["electrics"]), teammate: (OXALIS, ["audit"])},
            requirements=[("electrics", ELEC, "câblage électrique", 2),
                          ("audit", AUDIT, "audit énergétique", 2)])

    with as_member(seeded, marie) as s:
        declared = declare_absence(s, marie, date(2026, 3, 9), date(2026, 3, 20), "arrêt",
                                   NOW)
        s.commit()

    assert [(e["call_id"], e["covers"]) for e in declared["engagements"]] == [
        (call_id, ["electrics"])]
    suggested = [(x["member_id"], x["distance_km"], x["level"]) for x in declared["suggestions"]]
    assert suggested == [(oscar, 4, 4), (olga, 4, 3), (odile, 27, 3), (octave, 27, 2),
                         (nadia, 0, 4)]
    assert {(x["call_id"], x["requirement"], x["label"]) for x in declared["suggestions"]} == {
        (call_id, "electrics", "câblage électrique")}
    assert [x["own_cooperative"] for x in declared["suggestions"]] == [True] * 4 + [False]
    assert declared["suggestions"][-1]["name"] == "Nadia Martin"
    everything = repr(declared)
    with seeded() as s:
        (event,) = events(s, SUGGESTED)
        everything += outbox_text(s)
    assert event["data"]["absence_id"] == declared["id"]
    assert [(x["member_id"], x["cooperative_id"], x["distance_km"])
            for x in event["data"]["suggestions"]] == [
        (oscar, OXALIS, 4), (olga, OXALIS, 4), (odile, OXALIS, 27), (octave, OXALIS, 27),
        (nadia, COOPANAME, 0)]
    for nobody in (hidden, no_place, away, far, novice, teammate):
        assert nobody not in everything

    with as_member(seeded, marie) as s:
        (listed,) = list_absences(s, marie)
        assert listed["id"] == declared["id"] and listed["reason"] == "arrêt"
        assert [x["member_id"] for x in listed["suggestions"]] == [oscar, olga, odile, octave,
                                                                  nadia]
        cancel_absence(s, declared["id"], marie)
        s.commit()
    with as_member(seeded, marie) as s:
        assert list_absences(s, marie) == []
        with pytest.raises(UnknownRecord):
            get_absence(s, declared["id"])


def test_without_engagement_the_member_skills_are_replaced(seeded):
    with seeded.begin() as s:
        paula = member(s, OXALIS, "Paula", skills=[(TRAIN, "formation", 3),
                                                   (None, "Menuiserie", 2)])
        quentin = member(s, OXALIS, "Quentin", skills={TRAIN: 3})
        rose = member(s, COOPANAME, "Rose", skills={TRAIN: 4}, share=NETWORK, place=None)
        sam = member(s, OXALIS, "Sam", skills={TRAIN: 2})  # below Paula's level
        ugo = member(s, OXALIS, "Ugo", skills=[(None, "menuiseries", 4)])
        busy = member(s, OXALIS, "Victor", skills={TRAIN: 4},
                      available=[(date(2026, 1, 1), date(2026, 4, 1))])

    with as_member(seeded, paula) as s:
        declared = declare_absence(s, paula, date(2026, 4, 1), date(2026, 4, 10), None, NOW)
        s.commit()

    assert declared["engagements"] == []
    assert [(x["label"], x["member_id"]) for x in declared["suggestions"]] == [
        ("formation", quentin), ("formation", rose), ("Menuiserie", ugo)]
    assert all(x["call_id"] is None and x["distance_km"] is None
               for x in declared["suggestions"])
    assert sam not in repr(declared) and busy not in repr(declared)
    with seeded() as s:
        (event,) = events(s, SUGGESTED)
    assert [x["member_id"] for x in event["data"]["suggestions"]] == [quentin, rose, ugo]


def test_an_absence_is_checked(seeded):
    with seeded.begin() as s:
        paula = member(s, OXALIS, "Paula", skills={TRAIN: 3})
        gone = member(s, OXALIS, "Gilles", left_on=date(2026, 1, 1))
        theirs = member(s, COOPANAME, "Rose")
    with as_member(seeded, paula) as s:
        with pytest.raises(RuleViolation) as refused:
            declare_absence(s, paula, date(2026, 4, 10), date(2026, 4, 1), None, NOW)
        assert refused.value.rule == "period.order"
        with pytest.raises(RuleViolation) as refused:
            declare_absence(s, paula, date(2026, 4, 1), date(2026, 4, 2), "x" * 301, NOW)
        assert refused.value.rule == "absence.reason"
        for other in (gone, theirs):
            with pytest.raises(UnknownRecord) as refused:
                declare_absence(s, other, date(2026, 4, 1), date(2026, 4, 2), None, NOW)
            assert refused.value.rule == "member.unknown"
        declared = declare_absence(s, paula, date(2026, 4, 1), date(2026, 4, 2), None, NOW)
        s.commit()
    with as_member(seeded, theirs, COOPANAME) as s:  # another cooperative's absence
        with pytest.raises(UnknownRecord):
            cancel_absence(s, declared["id"])
