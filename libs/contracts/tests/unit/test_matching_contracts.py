"""The matching service's public events (``cae_contracts.matching``): each validates a good
payload and refuses a bad one, publisher side (``build_event``, strict) and subscriber
side (``parse_event``), with the checks every service's events get (``contract_checks``),
and the matching service's own below.

``MATCHING_SAMPLES`` is also merged into ``test_asyncapi.SAMPLES`` by this directory's
``conftest.py``, so the AsyncAPI and compiled-schema tests cover these contracts too.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from typing import Any

import pytest

from cae_contracts import CONTRACTS, ContractViolation, build_event, matching, parse_event

from . import contract_checks as checks
from .contract_checks import ServiceContracts

COOP = uuid.UUID("0b6f1c1e-2d0e-4c55-9a57-3c5b2f0a8e11")  # publishes the call
OTHER_COOP = uuid.UUID("5e8d2c4a-9b1f-4d3e-8a6c-7f0e1d2b3c4d")  # of the same network
LEA = uuid.UUID("7d2a4b90-1f55-4a0e-8a1b-6c0e9f3d2a77")  # thermal engineer, at COOP
KARIM = uuid.UUID("c4e1a7d2-3b5f-4c8e-9d0a-1e2f3a4b5c6d")  # carpenter, at OTHER_COOP
INES = uuid.UUID("d5f2b8e3-4c6a-4d9f-8e1b-2f3a4b5c6d7e")  # insulation installer, at COOP
HUGO = uuid.UUID("e6a3c9f4-5d7b-4eaf-9f2c-3a4b5c6d7e8f")  # thermal engineer, at OTHER_COOP
CALL = uuid.UUID("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
FIRST = uuid.UUID("2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e")  # the first team proposed
SECOND = uuid.UUID("3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f")
ABSENCE = uuid.UUID("4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f80")
PARIS = dt.timezone(dt.timedelta(hours=2))
AUDIT = "http://data.europa.eu/esco/skill/audit-energy"  # illustrative concept keys
JOINERY = "http://data.europa.eu/esco/skill/install-windows"

# the first team: Léa audits and insulates, Karim insulates and fits the windows
TEAM = [
    {"member_id": LEA, "cooperative_id": COOP, "covers": ["AUDIT", "ITE"]},
    {"member_id": KARIM, "cooperative_id": OTHER_COOP, "covers": ["ITE", "MENUIS"]},
]

# one valid data payload per matching type, as a publisher passes it to build_event
MATCHING_SAMPLES: dict[str, dict[str, Any]] = {
    "cae.matching.profile_updated.v1": {
        "member_id": LEA, "cooperative_id": COOP,
        "updated_at": dt.datetime(2026, 9, 14, 10, 5, tzinfo=PARIS),
        "changed_fields": ["skills", "day_rate", "availability"],
    },
    "cae.matching.consent_changed.v1": {
        "member_id": LEA, "cooperative_id": COOP,
        "changed_at": dt.datetime(2026, 9, 14, 10, 7, tzinfo=PARIS),
        "changes": [{"field": "skills", "network": True}, {"field": "day_rate", "network": False}],
        "network_fields": ["identity", "presentation", "skills", "trades", "place"],
    },
    "cae.matching.call_published.v1": {
        "call_id": CALL, "cooperative_id": COOP,
        "title": "Rénovation énergétique de l'école Jean-Jaurès",
        "starts_on": dt.date(2026, 10, 5), "ends_on": dt.date(2027, 3, 26),
        "scope": "network", "objective": "smallest", "budget_cents": 18_500_000,
        "certifications": ["RGE Qualibat"],
        "requirements": [
            {"code": "AUDIT", "concept_uri": AUDIT, "label": "Audit énergétique du bâtiment",
             "min_level": 3, "people": 1, "certifications": ["RGE Études"]},
            {"code": "ITE", "concept_uri": None,
             "label": "Isolation thermique par l'extérieur", "min_level": 2, "people": 2,
             "certifications": []},
            {"code": "MENUIS", "concept_uri": JOINERY,
             "label": "Pose de menuiseries extérieures", "min_level": 2, "people": 1,
             "certifications": []},
        ],
    },
    "cae.matching.team_proposed.v1": {
        "call_id": CALL, "cooperative_id": COOP, "objective": "smallest",
        "proposals": [
            {"proposal_id": FIRST, "rank": 1, "cost": 2, "proven_optimal": True,
             "method": "exact", "members": TEAM},
            {"proposal_id": SECOND, "rank": 2, "cost": 3, "proven_optimal": True,
             "method": "exact", "members": [
                 {"member_id": HUGO, "cooperative_id": OTHER_COOP, "covers": ["AUDIT"]},
                 {"member_id": INES, "cooperative_id": COOP, "covers": ["ITE"]},
                 {"member_id": KARIM, "cooperative_id": OTHER_COOP,
                  "covers": ["ITE", "MENUIS"]}]},
        ],
        "uncovered": [],
    },
    "cae.matching.team_accepted.v1": {
        "call_id": CALL, "proposal_id": FIRST, "cooperative_id": COOP,
        "accepted_at": dt.datetime(2026, 9, 21, 16, 30, tzinfo=PARIS), "members": TEAM,
    },
    "cae.matching.replacement_suggested.v1": {
        "absence_id": ABSENCE, "member_id": LEA, "cooperative_id": COOP,
        "starts_on": dt.date(2026, 11, 16), "ends_on": dt.date(2026, 12, 18),
        "suggestions": [
            {"member_id": HUGO, "cooperative_id": OTHER_COOP, "call_id": CALL,
             "requirement": "AUDIT", "distance_km": 12},
            {"member_id": INES, "cooperative_id": COOP, "call_id": CALL, "requirement": "ITE",
             "distance_km": 3},
            {"member_id": INES, "cooperative_id": COOP, "call_id": None, "requirement": None,
             "distance_km": None},
        ],
    },
}

SUBJECTS = {
    "cae.matching.profile_updated.v1": "member_id",
    "cae.matching.consent_changed.v1": "member_id",
    "cae.matching.call_published.v1": "call_id",
    "cae.matching.team_proposed.v1": "call_id",
    "cae.matching.team_accepted.v1": "call_id",
    "cae.matching.replacement_suggested.v1": "absence_id",
}

# per type: (data field or path, a value outside its enum, range or format)
BAD_VALUES: dict[str, list[tuple[tuple[Any, ...], Any]]] = {
    "cae.matching.profile_updated.v1": [
        (("changed_fields", 0), "shoe_size"), (("changed_fields",), []),
        (("changed_fields",), list(matching.PROFILE_FIELDS) + ["skills"]),
        (("updated_at",), "2026-09-14T10:05:00"), (("member_id",), "Léa"),
    ],
    "cae.matching.consent_changed.v1": [
        (("changes", 0, "field"), "shoe_size"), (("changes", 0, "network"), "maybe"),
        (("changes",), []), (("network_fields", 1), "salary"),
        (("network_fields",), list(matching.PROFILE_FIELDS) + ["skills"]),
    ],
    "cae.matching.call_published.v1": [
        (("requirements", 0, "min_level"), 5), (("requirements", 0, "min_level"), 0),
        (("requirements", 0, "min_level"), "3"), (("requirements", 1, "people"), 0),
        (("requirements", 1, "people"), 51), (("requirements", 0, "code"), ""),
        (("requirements", 0, "code"), "x" * 21), (("requirements", 0, "label"), ""),
        (("requirements", 0, "concept_uri"), ""), (("requirements", 0, "certifications", 0), ""),
        (("requirements",), []), (("objective",), "fastest"), (("scope",), "world"),
        (("budget_cents",), -1), (("budget_cents",), 10**12 + 1), (("budget_cents",), 1.5),
        (("title",), ""), (("title",), "x" * 301), (("starts_on",), "05/10/2026"),
    ],
    "cae.matching.team_proposed.v1": [
        (("proposals", 0, "rank"), 0), (("proposals", 0, "rank"), 21),
        (("proposals", 0, "method"), "magic"), (("proposals", 0, "cost"), -1),
        (("proposals", 0, "cost"), 10**12 + 1), (("proposals", 0, "proven_optimal"), "maybe"),
        (("proposals", 0, "members"), []), (("proposals", 0, "members", 0, "member_id"), "Léa"),
        (("proposals", 0, "members", 1, "covers", 0), ""), (("objective",), "fastest"),
        (("uncovered",), [""]),
    ],
    "cae.matching.team_accepted.v1": [
        (("members",), []), (("members", 0, "cooperative_id"), "Coopaname"),
        (("accepted_at",), "2026-09-21T16:30:00"), (("proposal_id",), None),
    ],
    "cae.matching.replacement_suggested.v1": [
        (("suggestions", 0, "distance_km"), -1), (("suggestions", 0, "distance_km"), 20041),
        (("suggestions", 0, "distance_km"), 12.5), (("suggestions", 0, "requirement"), ""),
        (("suggestions", 0, "requirement"), "x" * 21), (("suggestions", 0, "call_id"), "AUDIT"),
        (("ends_on",), "18/12/2026"),
    ],
}

# per type: where an unknown key goes (the data itself, or one of its nested objects)
NESTED: dict[str, list[tuple[Any, ...]]] = {
    "cae.matching.consent_changed.v1": [(), ("changes", 0)],
    "cae.matching.call_published.v1": [(), ("requirements", 0)],
    "cae.matching.team_proposed.v1": [(), ("proposals", 0), ("proposals", 0, "members", 0)],
    "cae.matching.team_accepted.v1": [(), ("members", 0)],
    "cae.matching.replacement_suggested.v1": [(), ("suggestions", 0)],
}

MATCHING = ServiceContracts("matching", matching, MATCHING_SAMPLES, SUBJECTS, BAD_VALUES, NESTED)


def test_every_matching_contract_has_a_sample():
    checks.every_contract_has_a_sample(MATCHING)


@MATCHING.types()
def test_a_good_payload_is_published_and_parsed(type_):
    checks.a_good_payload_is_published_and_parsed(MATCHING, type_)


@MATCHING.types()
def test_an_unknown_field_is_refused_by_the_publisher_and_the_schema(type_):
    checks.an_unknown_field_is_refused(MATCHING, type_)


@MATCHING.bad_value_cases()
def test_a_bad_value_is_refused_on_both_sides_naming_the_field(type_, path, value):
    checks.a_bad_value_is_refused_on_both_sides(MATCHING, type_, path, value)


@MATCHING.types()
def test_cooperative_id_is_required(type_):
    checks.cooperative_id_is_required(MATCHING, type_)


# --------------------------------------------------------------------------- matching's own


def test_a_profile_event_carries_no_profile_data():
    """Which fields changed, never their content: an event reaches every subscriber,
    whatever the entrepreneur consented to."""
    for type_ in ("cae.matching.profile_updated.v1", "cae.matching.consent_changed.v1"):
        declared = set(CONTRACTS[type_].schema._declared_fields)
        assert not declared & set(matching.PROFILE_FIELDS), type_


def test_optional_fields_may_be_left_out():
    data = copy.deepcopy(MATCHING_SAMPLES["cae.matching.call_published.v1"])
    del data["budget_cents"]
    for requirement in data["requirements"]:
        del requirement["concept_uri"], requirement["certifications"]
    body = json.loads(json.dumps(build_event("cae.matching.call_published.v1", data,
                                             tenant_id=str(COOP))))
    assert body["data"]["budget_cents"] is None
    loaded = parse_event(body).data
    assert loaded["budget_cents"] is None
    assert [(r["concept_uri"], r["certifications"]) for r in loaded["requirements"]] == [
        (None, [])] * 3

    data = copy.deepcopy(MATCHING_SAMPLES["cae.matching.replacement_suggested.v1"])
    data["suggestions"] = [{"member_id": INES, "cooperative_id": COOP}]
    body = json.loads(json.dumps(build_event("cae.matching.replacement_suggested.v1", data,
                                             tenant_id=str(COOP))))
    assert body["data"]["suggestions"] == [{
        "member_id": str(INES), "cooperative_id": str(COOP), "call_id": None,
        "requirement": None, "distance_km": None}]


def test_no_team_can_cover_the_call():
    """An uncoverable call: no proposal, the requirements nobody can cover named."""
    data = dict(MATCHING_SAMPLES["cae.matching.team_proposed.v1"], proposals=[],
                uncovered=["AUDIT", "MENUIS"])
    body = json.loads(json.dumps(build_event("cae.matching.team_proposed.v1", data,
                                             tenant_id=str(COOP))))
    event = parse_event(body)
    assert (event.data["proposals"], event.data["uncovered"]) == ([], ["AUDIT", "MENUIS"])


def test_the_cheapest_team_costs_day_rate_cents_found_by_the_greedy():
    data = copy.deepcopy(MATCHING_SAMPLES["cae.matching.team_proposed.v1"])
    data["objective"] = "cheapest"
    data["proposals"][0].update(cost=108_000, proven_optimal=False, method="greedy")
    event = parse_event(json.loads(json.dumps(build_event(
        "cae.matching.team_proposed.v1", data, tenant_id=str(COOP)))))
    assert event.data["proposals"][0]["cost"] == 108_000


@pytest.mark.parametrize("scope", matching.SCOPES)
@pytest.mark.parametrize("objective", matching.OBJECTIVES)
def test_every_scope_and_objective_is_published(scope, objective):
    data = dict(MATCHING_SAMPLES["cae.matching.call_published.v1"], scope=scope,
                objective=objective)
    body = build_event("cae.matching.call_published.v1", data, tenant_id=str(COOP))
    assert (body["data"]["scope"], body["data"]["objective"]) == (scope, objective)


def test_a_consent_change_may_change_every_field_but_no_more():
    data = copy.deepcopy(MATCHING_SAMPLES["cae.matching.consent_changed.v1"])
    data["changes"] = [{"field": name, "network": True} for name in matching.PROFILE_FIELDS]
    data["network_fields"] = list(matching.PROFILE_FIELDS)
    build_event("cae.matching.consent_changed.v1", data, tenant_id=str(COOP))
    data["changes"].append({"field": "skills", "network": False})
    with pytest.raises(ContractViolation) as caught:
        build_event("cae.matching.consent_changed.v1", data, tenant_id=str(COOP))
    assert "changes" in caught.value.errors
