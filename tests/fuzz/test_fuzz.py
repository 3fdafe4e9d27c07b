"""The fuzz suite: schemathesis over every service's OpenAPI document, as each serves it.

Each built service runs for real (nameko, PostgreSQL or SQLite, RabbitMQ), seeded with
two cooperatives that each have an entrepreneur and an activity. For governance, the
cooperatives come from members' events (members runs, ledger and payroll do not), each
entrepreneur and two more people become associates by members' events, and the first
cooperative has an assembly convened (a resolution, a secret one, an election and a
document) that may open at once. For every operation of
the document the service serves at ``/openapi.json``, hypothesis draws requests from
the document (path and query parameters, headers, bodies), and each is sent with one
of: a staff token of the first cooperative, its entrepreneur's token, a staff token
of the second cooperative, a network operator's token, or none. A path's
``cooperative_id``, ``member_id`` and activity ``code`` (and governance's
``assembly_id``, ``resolution_id`` and ``document_id``) are, most of the time, the
seeded ones (so that requests reach the rules, not only the 404s). Every response
must pass schemathesis' checks: no server error, a status code the document lists
for the operation, its content type, its body's schema and its headers.

``CAE_FUZZ_EXAMPLES`` (default 40) bounds the requests per operation; the number of
requests sent is printed per service.
"""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cae_contracts import build_event
from cae_governance.entrypoints.service import GovernanceService
from cae_ledger.entrypoints.service import LedgerService
from cae_matching.entrypoints.service import MatchingService
from cae_members.entrypoints.service import MembersService
from cae_payroll.entrypoints.service import PayrollService
from caekit.testing import bearer, count_rows, eventually, publish_raw

EXAMPLES = int(os.environ.get("CAE_FUZZ_EXAMPLES", "40"))
INPUTS = (ParameterLocation.BODY, ParameterLocation.QUERY, ParameterLocation.PATH)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


@dataclass
class Seeded:
    urls: dict[str, str]
    coops: list[str]
    members: dict[str, str] = field(default_factory=dict)  # cooperative -> member id
    codes: dict[str, str] = field(default_factory=dict)  # cooperative -> activity code
    sent: dict[str, int] = field(default_factory=dict)
    # governance: path parameter -> the seeded ids it takes (first cooperative)
    records: dict[str, list[str]] = field(default_factory=dict)


@pytest.fixture
def platform(request, start_service, http, token, amqp_uri) -> Seeded:
    governed = request.node.callspec.params.get("service") == "governance"
    matched = request.node.callspec.params.get("service") == "matching"
    # the consumers first, so that their queues exist before members publishes
    if governed:
        governance = start_service(GovernanceService)
        urls = {"governance": governance.url}
    elif matched:
        matching = start_service(MatchingService)
        urls = {"matching": matching.url}
    else:
        ledger = start_service(LedgerService)
        payroll = start_service(PayrollService)
        urls = {"ledger": ledger.url, "payroll": payroll.url}
    members = start_service(MembersService)
    operator = bearer(token("ops", "network_operator"))
    seeded = Seeded(urls={"members": members.url, **urls}, coops=[])
    for name, siren in (("Oxalis", "732829320"), ("Coopaname", "443061841")):
        response = http.post(f"{members.url}/cooperatives", headers=operator,
                             json={"name": name, "siren": siren, "legal_form": "SCOP-SA"})
        assert response.status_code == 201, response.text
        coop = response.json()["id"]
        seeded.coops.append(coop)
        staff = bearer(token("alice", "staff", coop))
        code = f"ACT{len(seeded.coops)}"
        response = http.post(f"{members.url}/cooperatives/{coop}/members", headers=staff, json={
            "first_name": "Léa", "last_name": "Martin", "email": "lea@example.org",
            "joined_on": "2026-01-05", "activity_code": code})
        assert response.status_code == 201, response.text
        seeded.members[coop], seeded.codes[coop] = response.json()["id"], code
    if governed:
        _seed_governance(seeded, governance, http, token, amqp_uri)
        return seeded
    if matched:
        _seed_matching(seeded, matching, http, token)
        return seeded
    eventually(lambda: count_rows(ledger.settings.database_url, "activities") == 2, timeout=60)
    eventually(lambda: count_rows(payroll.settings.database_url, "employees") == 2, timeout=60)
    return seeded


def _seed_governance(seeded: Seeded, governance, http, token, amqp_uri) -> None:
    """Each cooperative's entrepreneur and two more people become associates (members'
    events); the first cooperative convenes an assembly."""
    database = governance.settings.database_url
    eventually(lambda: count_rows(database, "people") == 2, timeout=60)
    associates = {}
    for coop in seeded.coops:
        associates[coop] = [seeded.members[coop], str(uuid.uuid4()), str(uuid.uuid4())]
        for n, member in enumerate(associates[coop]):
            if n:
                publish_raw(amqp_uri, build_event("cae.members.member_joined.v2", {
                    "member_id": member, "cooperative_id": coop, "first_name": f"Associé{n}",
                    "last_name": "Durand", "joined_on": "2024-01-02"}, tenant_id=coop))
            publish_raw(amqp_uri, build_event("cae.members.member_became_associate.v1", {
                "member_id": member, "cooperative_id": coop, "associate_on": "2024-01-15"},
                tenant_id=coop))
    eventually(lambda: count_rows(database, "people", "WHERE associate_on IS NOT NULL") == 6,
               timeout=60)
    first = seeded.coops[0]
    candidates = associates[first][1:]
    text = "L'assemblée générale décide ce qui est proposé."
    response = http.post(f"{governance.url}/cooperatives/{first}/assemblies", headers={
        **bearer(token("alice", "staff", first)), "Idempotency-Key": uuid.uuid4().hex}, json={
        "title": "Assemblée générale ordinaire", "kind": "ordinary",
        "held_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "place": "Lyon", "convened_on": (date.today() - timedelta(days=20)).isoformat(),
        "resolutions": [
            {"title": "Approbation des comptes", "text": text, "kind": "ordinary",
             "from_managers": True},
            {"title": "Exclusion", "text": text, "kind": "ordinary", "secret": True},
            {"title": "Élection de la gérance", "text": text, "kind": "election",
             "effect": {"type": "managers_election", "office": "managers", "seats": 1,
                        "candidates": candidates}}],
        "documents": [{"title": "Rapport de gestion", "media_type": "application/pdf",
                       "content": base64.b64encode(b"%PDF-1.4 rapport").decode()}]})
    assert response.status_code == 201, response.text
    assembly = response.json()
    seeded.records = {"assembly_id": [assembly["id"]],
                      "resolution_id": [r["id"] for r in assembly["resolutions"]],
                      "document_id": [d["id"] for d in assembly["documents"]]}


def _seed_matching(seeded: Seeded, matching, http, token) -> None:
    """The first cooperative's entrepreneur writes a profile and shares it; its staff
    record a certification, a group and a call with a team proposed; the entrepreneur
    declares an absence."""
    eventually(lambda: count_rows(matching.settings.database_url, "people") == 2, timeout=60)
    first = seeded.coops[0]
    member = seeded.members[first]
    url = f"{matching.url}/cooperatives/{first}"

    def write(method: str, path: str, body: dict, who: str = "staff", expect: int = 201):
        headers = bearer(token(member, "entrepreneur", first) if who == "entrepreneur"
                         else token("alice", "staff", first))
        response = http.request(method, f"{url}/{path}", json=body, headers={
            **headers, "Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == expect, response.text
        return response.json()

    today = date.today()
    write("PUT", f"profiles/{member}", {
        "presentation": "Développement web pour les associations.",
        "skills": [{"label": "Développement Web", "level": 3, "years": 5}],
        "place": {"commune": "Lyon", "latitude": "45.764043", "longitude": "4.835659",
                  "travel_radius_km": 50},
        "day_rate": {"min_cents": 40000, "max_cents": 50000},
        "availability": [{"starts_on": today.isoformat(),
                          "ends_on": (today + timedelta(days=365)).isoformat()}]},
        who="entrepreneur", expect=200)
    write("PUT", f"profiles/{member}/consent", {"identity": True, "skills": True},
          who="entrepreneur", expect=200)
    certification = write("POST", "certifications", {
        "kind": "qualiopi", "name": "Qualiopi actions de formation",
        "valid_from": (today - timedelta(days=30)).isoformat(),
        "valid_until": (today + timedelta(days=700)).isoformat(), "all_activities": True})
    group = write("POST", "groups", {"name": "Numérique", "topic": "Sites et applications"})
    call = write("POST", "calls", {
        "title": "Site de la médiathèque", "starts_on": (today + timedelta(days=30)).isoformat(),
        "ends_on": (today + timedelta(days=60)).isoformat(),
        "requirements": [{"code": "WEB", "label": "Développement Web", "min_level": 2}]})
    write("POST", f"calls/{call['id']}/publication", {}, expect=200)
    proposed = write("POST", f"calls/{call['id']}/proposals", {"time_limit_seconds": 1})
    absence = write("POST", f"members/{member}/absences", {
        "starts_on": (today + timedelta(days=40)).isoformat(),
        "ends_on": (today + timedelta(days=45)).isoformat(), "reason": "congé"},
        who="entrepreneur")
    seeded.records = {"certification_id": [certification["id"]], "group_id": [group["id"]],
                      "call_id": [call["id"]], "absence_id": [absence["id"]],
                      "proposal_id": [p["proposal_id"] for p in proposed["proposals"]]}


def _callers(seeded: Seeded, token) -> list[tuple[str, dict]]:
    first, second = seeded.coops
    return [
        ("staff", bearer(token("alice", "staff", first))),
        ("entrepreneur", bearer(token(seeded.members[first], "entrepreneur", first))),
        ("admin", bearer(token("root", ["admin", "staff"], first))),
        ("other cooperative's staff", bearer(token("bob", "staff", second))),
        ("network operator", bearer(token("ops", "network_operator"))),
        ("nobody", {}),
    ]


def _fuzz(service: str, seeded: Seeded, http, token, mode: GenerationMode) -> list[str]:
    document = http.get(f"{seeded.urls[service]}/openapi.json")
    assert document.status_code == 200
    schema = schemathesis.openapi.from_dict(document.json())
    callers = _callers(seeded, token)
    first = seeded.coops[0]
    failures: list[str] = []
    seeded.sent[service] = 0

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],  # report the first failure as is
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), caller=st.sampled_from(callers),
               known=st.booleans() | st.just(True), pick=st.integers(min_value=0, max_value=9))
        def run(case, caller, known, pick):
            path = case.path_parameters or {}
            if known:  # most requests name the seeded records, to reach the rules
                if "cooperative_id" in path:
                    path["cooperative_id"] = first
                if "member_id" in path:
                    path["member_id"] = seeded.members[first]
                if "code" in path:
                    path["code"] = seeded.codes[first]
                for name, records in seeded.records.items():
                    if name in path:
                        path[name] = records[pick % len(records)]
            headers = {key: value for key, value in (case.headers or {}).items()
                       if key.lower() != "authorization"}
            case.headers = {**headers, **caller[1]}
            if "Idempotency-Key" in case.headers:
                case.headers["Idempotency-Key"] = uuid.uuid4().hex  # a new write each time
            response = case.call(base_url=seeded.urls[service], session=http, timeout=30)
            seeded.sent[service] += 1
            invalid_input = mode is GenerationMode.NEGATIVE and any(
                case.meta.is_negative_at(where) for where in INPUTS)
            # an invalid body, query or path must be refused (4xx); headers are the
            # callers' own (the token, a fresh key), whatever was generated for them. A body
            # over the size limit is refused with 413 (documented), a refusal schemathesis'
            # negative check does not count (governance's documents may be long enough)
            rejecting = invalid_input and response.status_code != 413
            case.validate_response(response, checks=[*CHECKS, negative_data_rejection]
                                   if rejecting else CHECKS)

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue  # nothing of this operation can be invalid (any string, no body)
        except (Exception, FailureGroup) as exc:  # every operation's failure is reported
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    return failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
@pytest.mark.parametrize("service", ["members", "ledger", "payroll", "governance", "matching"])
def test_the_documented_api_survives_the_fuzzer(service, mode, platform, http, token, capsys):
    failures = _fuzz(service, platform, http, token, mode)
    with capsys.disabled():
        print(f"\nfuzz {service} ({mode.value} requests): {platform.sent[service]} sent, "
              f"{len(failures)} operations failing")
    assert not failures, "\n\n".join(failures)
