"""The governance service's public events (``cae_contracts.governance``): each validates a
good payload and refuses a bad one, publisher side (``build_event``, strict) and
subscriber side (``parse_event``). The checks every service's events get are in
``contract_checks``; this module gives them the governance samples, and adds its own.

``GOVERNANCE_SAMPLES`` is also merged into ``test_asyncapi.SAMPLES`` by this directory's
``conftest.py``, so the AsyncAPI and compiled-schema tests cover these contracts too.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from typing import Any

import pytest

from cae_contracts import CONTRACTS, build_event, governance, inbound, parse_event

from . import contract_checks as checks
from .contract_checks import ServiceContracts

COOP = uuid.UUID("0b6f1c1e-2d0e-4c55-9a57-3c5b2f0a8e11")
MEMBER = uuid.UUID("7d2a4b90-1f55-4a0e-8a1b-6c0e9f3d2a77")
ASSEMBLY = uuid.UUID("3a1f5c2e-7b8d-4e9f-a0b1-c2d3e4f5a6b7")
FIRST = uuid.UUID("2b0e4b1d-6a7c-4d8e-9f0a-b1c2d3e4f5a6")
RESOLUTION = uuid.UUID("4c2a6d3f-8e9a-4fa0-b1c2-d3e4f5a6b7c8")
PARIS = dt.timezone(dt.timedelta(hours=2))

_DECIDED: dict[str, Any] = {
    "resolution_id": RESOLUTION, "assembly_id": ASSEMBLY, "cooperative_id": COOP,
    "code": "R3", "title": "Admission de Léa Martin comme associée", "kind": "ordinary",
    "secret": False, "effect": "associate_admission",
    "counts": {"for_votes": 31, "against": 4, "abstain": 2, "blank": 1, "not_voted": 0},
    "base": 37, "majority": "more than 1/2 of the associates present or represented",
    "formula": "ordinary decision, 1st convocation: 31 for of 37 votes cast > 1/2: adopted",
    "decided_at": dt.datetime(2026, 6, 20, 11, 40, tzinfo=PARIS),
    "effective_on": dt.date(2026, 6, 20),
}

# one valid data payload per governance type, as a publisher passes it to build_event
GOVERNANCE_SAMPLES: dict[str, dict[str, Any]] = {
    "cae.governance.assembly_convened.v1": {
        "assembly_id": ASSEMBLY, "cooperative_id": COOP, "kind": "combined", "convocation": 2,
        "first_assembly_id": FIRST, "held_at": dt.datetime(2026, 6, 20, 9, 30, tzinfo=PARIS),
        "place": "Salle des fêtes, 12 rue de la Coopération, 93100 Montreuil",
        "video_link": "https://visio.example.org/ag-2026", "record_date": dt.date(2026, 5, 20),
        "convened_on": dt.date(2026, 6, 4), "electorate": 48,
        "resolutions": [
            {"resolution_id": RESOLUTION, "code": "R1", "title": "Approbation des comptes 2025",
             "kind": "ordinary"},
            {"resolution_id": uuid.UUID(int=2), "code": "R2",
             "title": "Modification de l'article 14 des statuts", "kind": "extraordinary"},
            {"resolution_id": uuid.UUID(int=3), "code": "R3", "title": "Élection des gérants",
             "kind": "election"},
        ],
    },
    "cae.governance.assembly_opened.v1": {
        "assembly_id": ASSEMBLY, "cooperative_id": COOP,
        "opened_at": dt.datetime(2026, 6, 20, 9, 45, tzinfo=PARIS), "electorate": 48,
        "in_person": 20, "remote": 6, "postal": 5, "represented": 7,
        "quorum": [
            {"kind": "ordinary", "required": None, "reached": True,
             "formula": "ordinary decision, 2nd convocation: no quorum required"},
            {"kind": "extraordinary", "required": "1/5", "reached": True,
             "formula": "extraordinary decision, 2nd convocation: quorum 1/5 of 48 associates, "
                        "ceil(1/5 x 48) = 10 needed; 38 >= 10: met"},
        ],
    },
    "cae.governance.resolution_adopted.v1": dict(_DECIDED),
    "cae.governance.resolution_rejected.v1": {
        **_DECIDED, "effect": "none", "effective_on": None, "secret": True,
        "counts": {"for_votes": 10, "against": 25, "abstain": 2, "blank": 1, "not_voted": 0},
        "formula": "ordinary decision, 1st convocation: 10 for of 37 votes cast <= 1/2: rejected",
    },
    "cae.governance.managers_elected.v1": {
        "resolution_id": RESOLUTION, "assembly_id": ASSEMBLY, "cooperative_id": COOP,
        "office": "managers", "seats": 2, "elected": [MEMBER, uuid.UUID(int=5)],
        "effective_on": dt.date(2026, 7, 1),
    },
    "cae.governance.associate_admitted.v1": {
        "resolution_id": RESOLUTION, "assembly_id": ASSEMBLY, "cooperative_id": COOP,
        "member_id": MEMBER, "associate_on": dt.date(2026, 6, 20),
    },
    "cae.governance.minutes_published.v1": {
        "assembly_id": ASSEMBLY, "cooperative_id": COOP,
        "published_at": dt.datetime(2026, 6, 27, 18, 0, tzinfo=PARIS),
        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "pages": 12,
    },
}

SUBJECTS = {
    "cae.governance.assembly_convened.v1": "assembly_id",
    "cae.governance.assembly_opened.v1": "assembly_id",
    "cae.governance.resolution_adopted.v1": "resolution_id",
    "cae.governance.resolution_rejected.v1": "resolution_id",
    "cae.governance.managers_elected.v1": "resolution_id",
    "cae.governance.associate_admitted.v1": "member_id",
    "cae.governance.minutes_published.v1": "assembly_id",
}

# per type: (data field or path, a value outside its enum or pattern)
BAD_VALUES: dict[str, list[tuple[tuple[Any, ...], Any]]] = {
    "cae.governance.assembly_convened.v1": [
        (("kind",), "annual"), (("convocation",), 3), (("electorate",), -1),
        (("resolutions", 0, "kind"), "special"), (("resolutions", 0, "code"), ""),
        (("held_at",), "2026-06-20T09:30:00"), (("place",), "x" * 301),
    ],
    "cae.governance.assembly_opened.v1": [
        (("quorum", 1, "kind"), "combined"), (("quorum", 1, "required"), "half"),
        (("quorum", 1, "required"), "0/2"), (("postal",), -1),
        (("quorum", 0, "formula"), "x" * 2001),
    ],
    "cae.governance.resolution_adopted.v1": [
        (("effect",), "dissolution"), (("kind",), "combined"), (("counts", "against"), -1),
        (("formula",), "x" * 4001), (("majority",), "x" * 301), (("secret",), "maybe"),
    ],
    "cae.governance.resolution_rejected.v1": [
        (("effect",), "dissolution"), (("counts", "for_votes"), "31"),
    ],
    "cae.governance.managers_elected.v1": [
        (("office",), "council"), (("seats",), 0), (("seats",), 51),
        (("elected",), [str(uuid.UUID(int=i)) for i in range(51)]),
    ],
    "cae.governance.associate_admitted.v1": [
        (("member_id",), "Léa"), (("associate_on",), "20/06/2026"),
    ],
    "cae.governance.minutes_published.v1": [
        (("sha256",), "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"),
        (("sha256",), "9f86d081884c7d659a2feaa0c55ad015"),
        (("sha256",), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g"),
        (("pages",), 0),
    ],
}

# per type: where an unknown key goes (the data itself, or one of its nested objects)
NESTED: dict[str, list[tuple[Any, ...]]] = {
    "cae.governance.assembly_convened.v1": [(), ("resolutions", 0)],
    "cae.governance.assembly_opened.v1": [(), ("quorum", 0)],
    "cae.governance.resolution_adopted.v1": [(), ("counts",)],
    "cae.governance.resolution_rejected.v1": [(), ("counts",)],
}


GOVERNANCE = ServiceContracts(
    "governance", governance, GOVERNANCE_SAMPLES, SUBJECTS, BAD_VALUES, NESTED,
    elsewhere=frozenset({"cae.governance.contribution_rate_adopted.v1"}))


def test_every_governance_contract_has_a_sample():
    checks.every_contract_has_a_sample(GOVERNANCE)


def test_the_contribution_rate_contract_stays_in_inbound():
    contract = CONTRACTS["cae.governance.contribution_rate_adopted.v1"]
    assert contract.schema is inbound.ContributionRateAdoptedV1
    assert contract.exchange == "governance.events"


@GOVERNANCE.types()
def test_a_good_payload_is_published_and_parsed(type_):
    checks.a_good_payload_is_published_and_parsed(GOVERNANCE, type_)


def test_the_rejected_resolution_has_the_adopted_one_s_fields():
    adopted = CONTRACTS["cae.governance.resolution_adopted.v1"].schema
    rejected = CONTRACTS["cae.governance.resolution_rejected.v1"].schema
    assert list(adopted._declared_fields) == list(rejected._declared_fields)


def test_optional_fields_may_be_left_out():
    data = copy.deepcopy(GOVERNANCE_SAMPLES["cae.governance.assembly_convened.v1"])
    for name in ("first_assembly_id", "place", "video_link"):
        del data[name]
    data["convocation"], data["kind"], data["resolutions"] = 1, "ordinary", []
    loaded = governance.AssemblyConvenedV1().load(
        json.loads(json.dumps(build_event("cae.governance.assembly_convened.v1", data,
                                          tenant_id=str(COOP))["data"])))
    assert (loaded["first_assembly_id"], loaded["place"], loaded["video_link"]) == (None, None, None)

    data = copy.deepcopy(GOVERNANCE_SAMPLES["cae.governance.resolution_adopted.v1"])
    del data["effective_on"]
    body = build_event("cae.governance.resolution_adopted.v1", data, tenant_id=str(COOP))
    assert body["data"]["effective_on"] is None


@GOVERNANCE.types()
def test_an_unknown_field_is_refused_by_the_publisher_and_the_schema(type_):
    checks.an_unknown_field_is_refused(GOVERNANCE, type_)


@GOVERNANCE.bad_value_cases()
def test_a_bad_value_is_refused_on_both_sides_naming_the_field(type_, path, value):
    checks.a_bad_value_is_refused_on_both_sides(GOVERNANCE, type_, path, value)


@GOVERNANCE.types()
def test_cooperative_id_is_required(type_):
    checks.cooperative_id_is_required(GOVERNANCE, type_)


@pytest.mark.parametrize("required", ["1/2", "2/3", "1/5", "1"])
def test_a_quorum_is_a_fraction_as_the_minutes_write_it(required):
    body = GOVERNANCE.wire("cae.governance.assembly_opened.v1")
    body["data"]["quorum"][1]["required"] = required
    assert parse_event(body).data["quorum"][1]["required"] == required
