"""`POST /cooperatives/{id}/imports`: the CSV importer over HTTP. A dry run reports and writes
nothing; an import creates the people, their contracts and events; a bad line is a 422 and
writes nothing; only the cooperative's staff may import; a replay with the same key gets the
same answer and writes nothing twice."""

from __future__ import annotations

import json
import uuid

import pytest

from cae_members.adapters.schemas import MAX_IMPORT_ROWS
from cae_members.entrypoints.service import MembersService
from caekit.testing import bearer, count_rows
from services.members.tests.integration.import_files import BAD, GOOD, HEADER


def assert_problem(response, status: int, *fragments: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    text = json.dumps(body)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text}"
    return body


@pytest.fixture
def members(start_service):
    return start_service(MembersService)


@pytest.fixture
def coop(http, members, token):
    return http.post(f"{members.url}/cooperatives", headers=bearer(token("ops", "network_operator")),
                     json={"name": "Coopaname", "siren": "732829320", "legal_form": "SCOP-SA"}
                     ).json()["id"]


def state(members) -> tuple[int, ...]:
    url = members.settings.database_url
    return tuple(count_rows(url, t) for t in ("members", "contracts", "member_steps", "activities",
                                              "outbox"))


def post(http, members, coop, headers, body, key=None):
    return http.post(f"{members.url}/cooperatives/{coop}/imports", json=body, headers={
        **headers, "Idempotency-Key": key or uuid.uuid4().hex})


def test_a_dry_run_reports_and_writes_nothing(http, members, coop, token):
    staff = bearer(token("alice", "staff", coop))
    before = state(members)
    response = post(http, members, coop, staff, {"csv": GOOD, "dry_run": True})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report | {"lines": None} == {"dry_run": True, "rows": 3, "people": 3, "contracts": 4,
                                        "skipped": 0, "errors": [], "lines": None}
    assert report["lines"][0] == {"line": 2, "person_ref": "P-1", "first_name": "Léa",
                                  "last_name": "Martin", "outcome": "created",
                                  "contracts": ["CAPE", "CESA"]}
    assert [line["line"] for line in report["lines"]] == [2, 3, 4]
    assert state(members) == before


def test_an_import_creates_people_contracts_and_events(http, members, coop, token):
    staff = bearer(token("alice", "staff", coop))
    before = state(members)
    response = post(http, members, coop, staff, {"csv": GOOD})
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["dry_run"], report["people"], report["contracts"], report["errors"]) == (
        False, 3, 4, [])
    after = state(members)
    assert after[:4] == (before[0] + 3, before[1] + 4, before[2] + 9, before[3] + 1)
    assert after[4] > before[4], "the import's events are in the outbox"
    url = members.settings.database_url
    assert count_rows(url, "outbox", "WHERE event_type LIKE 'cae.members.member_joined%'") >= 3
    people = {m["last_name"]: m for m in http.get(f"{members.url}/cooperatives/{coop}/members",
                                                  headers=staff).json()["items"]}
    assert people["Benali"]["associate_on"] == "2025-06-30"
    again = post(http, members, coop, staff, {"csv": GOOD})
    assert again.status_code == 201
    assert (again.json()["people"], again.json()["skipped"]) == (0, 3)
    assert state(members) == after, "a re-import (another key) changes nothing"


def test_a_dry_run_names_every_bad_line(http, members, coop, token):
    response = post(http, members, coop, bearer(token("alice", "staff", coop)),
                    {"csv": BAD, "dry_run": True})
    assert response.status_code == 200, response.text
    errors = {(e["line"], e["column"]) for e in response.json()["errors"]}
    assert {(2, "joined_on"), (3, "email"), (5, "person_ref"), (6, "activity_code")} <= errors
    assert 4 in {line for line, _ in errors}
    assert {line["outcome"] for line in response.json()["lines"]} == {"refused"}


def test_a_bad_line_is_a_422_naming_it_and_writes_nothing(http, members, coop, token):
    before = state(members)
    bad = GOOD + "P-9;Jo;Petit;not-an-email;2024-03-01;;;;;;;;\n"  # line 5
    response = post(http, members, coop, bearer(token("alice", "staff", coop)), {"csv": bad})
    body = assert_problem(response, 422, "line 5, email", "import.rows_refused")
    assert list(body["errors"]["csv"]) == ["5"] and "email" in body["errors"]["csv"]["5"]
    assert state(members) == before


def test_another_cooperatives_staff_and_an_entrepreneur_are_403(http, members, coop, token):
    before = state(members)
    other = bearer(token("mallory", "staff", str(uuid.uuid4())))
    assert_problem(post(http, members, coop, other, {"csv": GOOD}), 403, "does not belong")
    entrepreneur = bearer(token(str(uuid.uuid4()), "entrepreneur", coop))
    assert_problem(post(http, members, coop, entrepreneur, {"csv": GOOD}), 403, "roles")
    assert state(members) == before


def test_a_replay_with_the_same_key_gets_the_same_answer_and_writes_once(
        http, members, coop, token):
    staff = bearer(token("alice", "staff", coop))
    key = uuid.uuid4().hex
    first = post(http, members, coop, staff, {"csv": GOOD}, key)
    assert first.status_code == 201, first.text
    after = state(members)
    replay = post(http, members, coop, staff, {"csv": GOOD}, key)
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert state(members) == after
    assert_problem(post(http, members, coop, staff, {"csv": GOOD, "dry_run": True}, key), 409)
    no_key = http.post(f"{members.url}/cooperatives/{coop}/imports", json={"csv": GOOD},
                       headers=staff)
    assert_problem(no_key, 428, "Idempotency-Key")


def test_too_many_lines_or_no_csv_is_a_422_naming_the_field(http, members, coop, token):
    staff = bearer(token("alice", "staff", coop))
    before = state(members)
    many = HEADER + "".join(f"P-{n};A;B;a{n}@example.org;2025-01-01;;;;;;;;\n"
                            for n in range(MAX_IMPORT_ROWS + 1))
    body = assert_problem(post(http, members, coop, staff, {"csv": many, "dry_run": True}), 422,
                          "import.too_many_rows")
    assert "csv" in body["errors"]
    for bad in ({"csv": ""}, {"dry_run": True}, {"csv": "a\x00b"}, {"csv": GOOD, "x": 1}):
        assert_problem(post(http, members, coop, staff, bad), 422)
    assert_problem(post(http, members, coop, staff, {"csv": "x" * 2_000_000}), 413)
    assert state(members) == before


def test_an_unknown_cooperative_is_404(http, members, token):
    other = str(uuid.uuid4())
    assert_problem(post(http, members, other, bearer(token("alice", "staff", other)),
                        {"csv": GOOD, "dry_run": True}), 404, "cooperative.unknown")
