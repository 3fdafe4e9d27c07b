"""Authentication, tenancy and bad input on the members API: a 4xx problem+json, and no write."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from cae_members.entrypoints.service import MembersService
from caekit.testing import bearer, count_rows

PROBLEM = "application/problem+json"
GOOD_MEMBER = {"first_name": "Léa", "last_name": "Martin", "email": "lea@example.org",
               "joined_on": "2026-01-05", "activity_code": "LEA"}


@pytest.fixture
def members(start_service):
    return start_service(MembersService)


@pytest.fixture
def coop(http, members, token):
    response = http.post(f"{members.url}/cooperatives",
                         json={"name": "Coopaname", "siren": "732829320", "legal_form": "SCOP-SA"},
                         headers=bearer(token("ops", "network_operator")))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def rows(members) -> tuple[int, int, int]:
    url = members.settings.database_url
    return count_rows(url, "cooperatives"), count_rows(url, "members"), count_rows(url, "outbox")


def assert_problem(response, status: int, *fragments: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    text = json.dumps(body)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text}"
    return body


def test_no_token_is_401(http, members, coop):
    before = rows(members)
    response = http.post(f"{members.url}/cooperatives/{coop}/members", json=GOOD_MEMBER)
    assert_problem(response, 401, "bearer token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert rows(members) == before


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic Zm9vOmJhcg==", "Bearer "])
def test_a_bad_token_is_401(http, members, coop, header):
    before = rows(members)
    response = http.get(f"{members.url}/cooperatives/{coop}/members",
                        headers={"Authorization": header})
    assert_problem(response, 401)
    assert rows(members) == before


def test_an_expired_or_forged_token_is_401(http, members, coop, token):
    expired = token("alice", "staff", coop, ttl_seconds=-10)
    assert_problem(http.get(f"{members.url}/cooperatives/{coop}/members",
                            headers=bearer(expired)), 401, "expired")
    forged = token("alice", "staff", coop)[:-4] + "AAAA"
    assert_problem(http.get(f"{members.url}/cooperatives/{coop}/members",
                            headers=bearer(forged)), 401, "invalid token")


def test_another_cooperatives_token_is_403_and_writes_nothing(http, members, coop, token):
    other = str(uuid.uuid4())
    before = rows(members)
    response = http.post(f"{members.url}/cooperatives/{coop}/members", json=GOOD_MEMBER,
                         headers=bearer(token("mallory", "staff", other)))
    assert_problem(response, 403, "does not belong")
    assert_problem(http.get(f"{members.url}/cooperatives/{coop}/members",
                            headers=bearer(token("mallory", "admin", other))), 403)
    assert_problem(http.get(f"{members.url}/cooperatives/{coop}",
                            headers=bearer(token("mallory", "staff", other))), 403)
    assert rows(members) == before


def test_an_entrepreneur_cannot_call_a_staff_endpoint(http, members, coop, token):
    entrepreneur = bearer(token("lea", "entrepreneur", coop))
    before = rows(members)
    assert_problem(http.post(f"{members.url}/cooperatives/{coop}/members", json=GOOD_MEMBER,
                             headers=entrepreneur), 403, "staff")
    assert_problem(http.get(f"{members.url}/cooperatives/{coop}/members",
                            headers=entrepreneur), 403)
    assert_problem(http.post(f"{members.url}/cooperatives", headers=entrepreneur,
                             json={"name": "X", "siren": "732829320", "legal_form": "SCOP-SA"}),
                   403, "network_operator")
    assert rows(members) == before


def test_an_entrepreneur_reads_only_their_own_record(http, members, coop, token):
    staff = bearer(token("alice", "staff", coop))
    member = http.post(f"{members.url}/cooperatives/{coop}/members", json=GOOD_MEMBER,
                       headers=staff).json()
    url = f"{members.url}/cooperatives/{coop}/members/{member['id']}"
    assert http.get(url, headers=bearer(token(member["id"], "entrepreneur", coop))).ok
    assert_problem(http.get(url, headers=bearer(token("someone", "entrepreneur", coop))), 403)


@pytest.mark.parametrize("payload, status, fragments", [
    pytest.param(b'{"first_name": "L', 400, ["not valid JSON"], id="malformed-json"),
    pytest.param(b"[1, 2]", 400, ["JSON object"], id="not-an-object"),
    pytest.param(b"\xff\xfe", 400, ["not valid JSON"], id="not-utf8"),
    pytest.param({**GOOD_MEMBER, "first_name": 12, "joined_on": "yesterday"}, 422,
                 ["first_name", "joined_on", "Not a valid"], id="wrong-types"),
    pytest.param({"first_name": "Léa"}, 422,
                 ["last_name", "email", "joined_on", "required"], id="missing-fields"),
    pytest.param({**GOOD_MEMBER, "salary": 3000}, 422, ["salary", "Unknown field"],
                 id="unknown-field"),
    pytest.param({**GOOD_MEMBER, "email": "not-an-email", "activity_code": "bad code!"}, 422,
                 ["email", "activity_code"], id="invalid-values"),
])
def test_bad_input_is_a_4xx_problem_naming_the_fields_and_writes_nothing(
        http, members, coop, token, payload, status, fragments):
    staff = {**bearer(token("alice", "staff", coop)), "Content-Type": "application/json"}
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    before = rows(members)
    response = http.post(f"{members.url}/cooperatives/{coop}/members", data=data, headers=staff)
    body = assert_problem(response, status, *fragments)
    if status == 422:
        assert set(body["errors"]) >= {f for f in fragments if f in GOOD_MEMBER or f == "salary"}
    assert rows(members) == before


def test_a_10_mb_body_is_413_and_writes_nothing(http, members, coop, token):
    staff = {**bearer(token("alice", "staff", coop)), "Content-Type": "application/json"}
    huge = json.dumps({**GOOD_MEMBER, "last_name": "x" * (10 * 1024 * 1024)}).encode()
    before = rows(members)
    response = http.post(f"{members.url}/cooperatives/{coop}/members", data=huge, headers=staff)
    assert_problem(response, 413, "limit")
    assert rows(members) == before


def test_a_non_json_content_type_is_415(http, members, coop, token):
    headers = {**bearer(token("alice", "staff", coop)), "Content-Type": "text/plain"}
    before = rows(members)
    assert_problem(http.post(f"{members.url}/cooperatives/{coop}/members", data=b"hello",
                             headers=headers), 415, "application/json")
    assert rows(members) == before


def test_an_unknown_cooperative_is_404_and_writes_nothing(http, members, coop, token):
    ghost = str(uuid.uuid4())
    before = rows(members)
    response = http.post(f"{members.url}/cooperatives/{ghost}/members", json=GOOD_MEMBER,
                         headers=bearer(token("alice", "staff", ghost)))
    assert_problem(response, 404, ghost)
    assert rows(members) == before


def test_a_duplicate_is_a_409_and_writes_nothing(http, members, coop, token):
    staff = bearer(token("alice", "staff", coop))
    assert http.post(f"{members.url}/cooperatives/{coop}/members", json=GOOD_MEMBER,
                     headers=staff).status_code == 201
    before = rows(members)
    assert_problem(http.post(f"{members.url}/cooperatives/{coop}/members",
                             json={**GOOD_MEMBER, "email": "other@example.org"}, headers=staff),
                   409, "activity_code")
    assert_problem(http.post(f"{members.url}/cooperatives",
                             json={"name": "Again", "siren": "732829320", "legal_form": "SCOP-SA"},
                             headers=bearer(token("ops", "network_operator"))), 409, "SIREN")
    assert rows(members) == before


def test_an_invalid_siren_is_422(http, members, token):
    before = rows(members)
    assert_problem(http.post(f"{members.url}/cooperatives",
                             json={"name": "X", "siren": "123456789", "legal_form": "SCOP-SA"},
                             headers=bearer(token("ops", "network_operator"))), 422, "siren")
    assert rows(members) == before


def test_unknown_routes_and_methods_are_problems(http, members):
    assert_problem(http.get(f"{members.url}/nothing-here"), 404)
    assert_problem(http.delete(f"{members.url}/health/live"), 405)


def test_health_and_metrics_need_no_token(http, members, coop):
    assert http.get(f"{members.url}/health/live").json()["status"] == "ok"
    ready = http.get(f"{members.url}/health/ready").json()
    assert ready["checks"]["database"]["ok"] and "backlog" in ready["checks"]["outbox"]
    text = http.get(f"{members.url}/metrics").text
    assert 'cae_http_requests_total{entrypoint="register_cooperative"' in text
    assert "cae_entrypoint_duration_seconds_bucket" in text
    assert "cae_outbox_backlog" in text


def test_the_correlation_id_is_returned_and_carried_into_the_event(http, members, coop, token):
    staff = {**bearer(token("alice", "staff", coop)), "X-Correlation-ID": "req-42"}
    response = http.post(f"{members.url}/cooperatives/{coop}/members", json=GOOD_MEMBER,
                         headers=staff)
    assert response.headers["X-Correlation-ID"] == "req-42"
    from sqlalchemy import text

    from caekit.db import make_engine
    engine = make_engine(members.settings.database_url)
    with engine.connect() as conn:
        bodies = [json.loads(b) for b in conn.execute(text(
            "SELECT body FROM outbox WHERE event_type = 'cae.members.member_joined.v2'")).scalars()]
        kinds = [(kind, json.loads(body)) for kind, body in conn.execute(text(
            "SELECT event_type, body FROM outbox WHERE event_type LIKE 'cae.members.%' "
            "AND event_type <> 'cae.members.cooperative_registered.v1' ORDER BY seq"))]
    engine.dispose()
    assert [b["correlationid"] for b in bodies] == ["req-42"]
    assert bodies[0]["tenantid"] == coop
    # one event per fact: the person, then the activity they start with
    assert [kind for kind, _ in kinds] == ["cae.members.member_joined.v2",
                                           "cae.members.activity_opened.v1"]
    assert {body["correlationid"] for _, body in kinds} == {"req-42"}
    assert "activity_code" not in kinds[0][1]["data"]
    assert kinds[1][1]["data"]["code"] == "LEA"


def test_a_cooperative_is_registered_with_its_settings_and_their_defaults(http, members, token):
    operator = bearer(token("ops", "network_operator"))
    defaults = http.post(f"{members.url}/cooperatives", headers=operator,
                         json={"name": "Oxalis", "siren": "552100554", "legal_form": "SCIC-SAS"})
    assert defaults.status_code == 201, defaults.text
    assert defaults.json()["statute_profile"] == "scic"  # from the legal form
    assert defaults.json()["default_contribution_rate"] == "0.1000"
    assert defaults.json()["staff_size_bracket"] == "under_11"
    explicit = http.post(f"{members.url}/cooperatives", headers=operator, json={
        "name": "Coopaname", "siren": "732829320", "legal_form": "SCOP-SA",
        "default_contribution_rate": "0.12", "staff_size_bracket": "50_and_more"})
    assert explicit.json()["default_contribution_rate"] == "0.1200"
    assert explicit.json()["statute_profile"] == "scop-sa"
    from sqlalchemy import text

    from caekit.db import make_engine
    engine = make_engine(members.settings.database_url)
    with engine.connect() as conn:
        body = json.loads(conn.execute(text(
            "SELECT body FROM outbox WHERE tenant_id = :c"), {"c": explicit.json()["id"]}).scalar_one())
    engine.dispose()
    assert body["data"]["default_contribution_rate"] == "0.1200"
    assert body["data"]["staff_size_bracket"] == "50_and_more"


def test_an_out_of_range_contribution_rate_is_422(http, members, token):
    before = rows(members)
    assert_problem(http.post(f"{members.url}/cooperatives",
                             headers=bearer(token("ops", "network_operator")),
                             json={"name": "X", "siren": "732829320", "legal_form": "SCOP-SA",
                                   "default_contribution_rate": "1.5"}),
                   422, "default_contribution_rate")
    assert rows(members) == before


@pytest.mark.parametrize("payload, fragment", [
    pytest.param(b"[" * 5_000, "not valid JSON", id="nested-too-deep"),
    pytest.param(b'{"first_name": "\\ud800"}', "not valid JSON", id="lone-surrogate"),
    pytest.param(b'{"n": ' + b"9" * 5000 + b"}", "not valid JSON", id="huge-integer"),
])
def test_hostile_json_is_a_400_and_writes_nothing(http, members, coop, token, payload, fragment):
    staff = {**bearer(token("alice", "staff", coop)), "Content-Type": "application/json"}
    before = rows(members)
    assert_problem(http.post(f"{members.url}/cooperatives/{coop}/members", data=payload,
                             headers=staff), 400, fragment)
    assert rows(members) == before


def test_a_chunked_body_is_411(http, members, coop, token):
    staff = {**bearer(token("alice", "staff", coop)), "Content-Type": "application/json"}
    before = rows(members)
    response = http.post(f"{members.url}/cooperatives/{coop}/members", headers=staff,
                         data=(chunk for chunk in [json.dumps(GOOD_MEMBER).encode()]))
    assert_problem(response, 411, "Content-Length")
    assert rows(members) == before


def test_an_unsafe_correlation_id_is_replaced(http, members):
    response = http.get(f"{members.url}/health/live", headers={"X-Correlation-ID": "a b<script>"})
    assert response.status_code == 200
    assert response.headers["X-Correlation-ID"] != "a b<script>"
    assert len(response.headers["X-Correlation-ID"]) == 32


def test_settings_change_from_a_date_and_every_version_is_kept(http, members, coop, token):
    admin = bearer(token("bob", "admin", coop))
    url = f"{members.url}/cooperatives/{coop}/settings"
    # the general assembly lowers the rate from today, then again from a future date
    today_iso = date.today().isoformat()
    assert http.post(url, headers=admin, json={"effective_on": today_iso,
                                               "default_contribution_rate": "0.09"}).status_code == 201
    before_registration = http.post(url, headers=admin, json={"effective_on": "2000-01-01"})
    assert before_registration.json()["errors"]["rule"] == ["dates.out_of_order"]
    assert http.post(url, headers=admin, json={"effective_on": "2099-01-01",
                                               "default_contribution_rate": "0.08",
                                               "staff_size_bracket": "11_to_49"}).status_code == 201
    versions = http.get(url, headers=admin).json()["items"]
    assert [v["default_contribution_rate"] for v in versions] == ["0.1000", "0.0900", "0.0800"]
    today = http.get(f"{members.url}/cooperatives/{coop}", headers=admin).json()
    assert today["default_contribution_rate"] == "0.0900"  # the future version is not in force
    assert today["staff_size_bracket"] == "under_11"
    from sqlalchemy import text

    from caekit.db import make_engine
    engine = make_engine(members.settings.database_url)
    with engine.connect() as conn:
        updates = [json.loads(b)["data"] for b in conn.execute(text(
            "SELECT body FROM outbox WHERE event_type = 'cae.members.cooperative_updated.v1' "
            "ORDER BY seq")).scalars()]
    engine.dispose()
    assert [(u["effective_on"], u["changed"]) for u in updates] == [
        (today_iso, ["default_contribution_rate"]),
        ("2099-01-01", ["default_contribution_rate", "staff_size_bracket"])]
    staff = bearer(token("alice", "staff", coop))
    assert http.post(url, headers=staff, json={"effective_on": today_iso}).status_code == 403
    assert http.post(url, headers=admin, json={"effective_on": today_iso,
                                               "default_contribution_rate": "2"}).status_code == 422
