"""Professional groups on a real store (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from cae_matching.adapters.store import Person
from cae_matching.usecases.groups import (
    add_member,
    create_group,
    delete_group,
    get_group,
    list_groups,
    remove_member,
    update_group,
)
from caekit.db import acting_session
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord
from services.matching.tests.integration.builders import (
    COOPANAME,
    NOW,
    OXALIS,
    member,
)


def test_groups_and_their_members(seeded):
    with seeded.begin() as s:
        anna = member(s, OXALIS, "Anna", "Bernard")
        basile = member(s, OXALIS, "Basile", "Arnaud")
        leaving = member(s, OXALIS, "Léon", "Dupont")
        theirs = member(s, COOPANAME, "Rose")

    with acting_session(seeded, OXALIS, "staff-1") as s:
        renovation = create_group(s, OXALIS, "Rénovation énergétique", "isolation, RGE", NOW,
                                  description="Les pros de la rénovation")
        bois = create_group(s, OXALIS, "Bois", "menuiserie", NOW)
        with pytest.raises(ConflictingState) as refused:
            create_group(s, OXALIS, "  RÉNOVATION ÉNERGÉTIQUE ", "autre", NOW)
        assert refused.value.rule == "group.name_taken" and "name" in refused.value.fields
        for name, topic, rule in (("", "x", "group.name"), ("x", " ", "group.topic"),
                                  ("x" * 201, "x", "group.name")):
            with pytest.raises(RuleViolation) as refused:
                create_group(s, OXALIS, name, topic, NOW)
            assert refused.value.rule == rule

        add_member(s, renovation["id"], anna)
        add_member(s, renovation["id"], basile)
        add_member(s, renovation["id"], anna)  # twice: nothing changes
        group = add_member(s, renovation["id"], leaving)
        assert group["member_count"] == 3
        assert [m["name"] for m in group["members"]] == ["Basile Arnaud", "Anna Bernard",
                                                         "Léon Dupont"]
        for unknown in (theirs, "no-such-member"):
            with pytest.raises(UnknownRecord) as refused:
                add_member(s, renovation["id"], unknown)
            assert refused.value.rule == "member.unknown"
        add_member(s, bois["id"], anna)
        s.commit()

    with seeded.begin() as s:  # Léon leaves the cooperative
        s.get(Person, leaving).left_on = date(2026, 2, 1)

    with acting_session(seeded, OXALIS, "staff-1") as s:
        listed = list_groups(s)
        assert [(g["name"], g["member_count"]) for g in listed] == [
            ("Bois", 1), ("Rénovation énergétique", 2)]
        assert [g["name"] for g in list_groups(s, member_id=basile)] == [
            "Rénovation énergétique"]
        renamed = update_group(s, bois["id"], "Bois et menuiserie", "menuiserie, charpente")
        assert renamed["name"] == "Bois et menuiserie" and renamed["member_count"] == 1
        with pytest.raises(ConflictingState):
            update_group(s, bois["id"], "rénovation énergétique", "x")
        update_group(s, bois["id"], "BOIS ET MENUISERIE", "menuiserie")  # its own name
        after = remove_member(s, renovation["id"], basile)
        assert [m["member_id"] for m in after["members"]] == [anna]
        with pytest.raises(UnknownRecord) as refused:
            remove_member(s, renovation["id"], basile)
        assert refused.value.rule == "group.not_member"
        delete_group(s, bois["id"])
        s.commit()

    with acting_session(seeded, COOPANAME, "staff-2") as s:  # another cooperative
        assert list_groups(s) == []
        with pytest.raises(UnknownRecord) as refused:
            get_group(s, renovation["id"])
        assert refused.value.rule == "group.unknown"
        create_group(s, COOPANAME, "Rénovation énergétique", "la leur", NOW)  # its own names
        s.commit()
    with acting_session(seeded, OXALIS, "staff-1") as s:
        assert [(g["name"], g["member_count"]) for g in list_groups(s)] == [
            ("Rénovation énergétique", 1)]
