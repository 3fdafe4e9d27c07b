"""Hostile input on every members endpoint, on a real database (SQLite and PostgreSQL): a
4xx problem naming the field or parameter, nothing written, and a status the OpenAPI
document declares for that operation. Listings come in pages; instants carry +00:00."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from cae_members.entrypoints.service import MembersService
from caekit import openapi
from caekit.testing import bearer, count_rows

TABLES = ("cooperatives", "cooperative_versions", "members", "member_steps", "contracts",
          "activities", "follow_up_interviews", "outbox")
UTC_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


@cache
def documented() -> dict[tuple[str, str], set[int]]:
    """(method, path template) -> the statuses the members' OpenAPI document declares."""
    doc = openapi.document(MembersService)
    return {(method.upper(), path): {int(s) for s in op["responses"]}
            for path, item in doc["paths"].items() for method, op in item.items()}


def template(path: str) -> str:
    """The document's path template of a request path of the members service."""
    for method_path in {p for _, p in documented()}:
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(method_path))
        if re.fullmatch(pattern, path) and path.count("/") == method_path.count("/"):
            return method_path
    raise AssertionError(f"no operation for {path}")


class Client:
    def __init__(self, http, members, token):
        self.http, self.members, self.token = http, members, token
        operator = bearer(token("ops", "network_operator"))
        self.operator = operator
        response = http.post(f"{members.url}/cooperatives", headers=operator, json={
            "name": "Coopaname", "siren": "732829320", "legal_form": "SCOP-SA"})
        assert response.status_code == 201, response.text
        self.coop = response.json()["id"]
        self.staff = bearer(token("alice", "staff", self.coop))
        self.admin = bearer(token("bob", "admin", self.coop))
        self.member = self.call("POST", f"/cooperatives/{self.coop}/members", {
            "first_name": "Léa", "last_name": "Martin", "email": "lea@example.org",
            "joined_on": "2025-01-06", "activity_code": "LEA"}).json()["id"]

    def call(self, method, path, body=None, headers=None, raw: bytes | None = None):
        headers = {**(headers or self.staff), "Content-Type": "application/json"}
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        response = self.http.request(method, f"{self.members.url}{path}", data=data,
                                     headers=headers)
        declared = documented()[(method, template(path.split("?")[0]))]
        assert response.status_code in declared, (
            f"{method} {path}: {response.status_code} is not in the document ({sorted(declared)})"
            f": {response.text[:300]}")
        assert response.status_code < 500, response.text
        return response

    def rows(self) -> tuple[int, ...]:
        return tuple(count_rows(self.members.settings.database_url, t) for t in TABLES)


@pytest.fixture
def client(http, start_service, token):
    return Client(http, start_service(MembersService), token)


def problem(response, status: int, *names: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    for name in names:
        assert name in body.get("errors", {}), f"{name} not named in {body}"
    return body


# --------------------------------------------------------------------------- text and numbers


def writes(client) -> list[tuple[str, str, dict, dict]]:
    """(path, text field, a valid body, headers) for every write that takes a text."""
    coop, member = client.coop, client.member
    return [
        ("/cooperatives", "name", {"name": "X", "siren": "552100554", "legal_form": "SCOP-SA"},
         client.operator),
        (f"/cooperatives/{coop}/settings", "name", {"effective_on": "2099-01-01", "name": "X"},
         client.admin),
        (f"/cooperatives/{coop}/members", "first_name", {
            "first_name": "A", "last_name": "B", "email": "a@example.org",
            "joined_on": "2025-01-06"}, client.staff),
        (f"/cooperatives/{coop}/members", "activity_name", {
            "first_name": "A", "last_name": "B", "email": "a@example.org",
            "joined_on": "2025-01-06", "activity_code": "AB", "activity_name": "x"},
         client.staff),
        (f"/cooperatives/{coop}/members/{member}/steps/0/corrections", "reason",
         {"reason": "x"}, client.staff),
        (f"/cooperatives/{coop}/members/{member}/exit", "reason",
         {"on": "2025-06-01", "reason": "x"}, client.staff),
        (f"/cooperatives/{coop}/members/{member}/interviews", "notes",
         {"held_on": "2025-06-01", "notes": "x"}, client.staff),
        (f"/cooperatives/{coop}/activities", "name", {
            "code": "NEW", "name": "x", "opened_on": "2025-06-01", "member_ids": [member]},
         client.staff),
    ]


@pytest.mark.parametrize("text", ["a\u0000b", "\u0000", "a\u001bb", "a\u007f"])
def test_a_control_character_is_a_422_naming_the_field_on_both_databases(client, text):
    """Regression: PostgreSQL refused a NUL with a 422 naming no field (SQLite stored it)."""
    before = client.rows()
    for path, name, body, headers in writes(client):
        problem(client.call("POST", path, {**body, name: text}, headers), 422, name)
    assert client.rows() == before


@pytest.mark.parametrize("siren", ["552100554\n", "\u0665\u0665\u0662\u0661\u0660\u0660\u0665"
                                   "\u0665\u0664", "5521005540"])
def test_a_siren_with_a_line_break_or_foreign_digits_is_a_422_not_a_500(client, siren):
    before = client.rows()
    problem(client.call("POST", "/cooperatives", {"name": "X", "siren": siren,
                                                  "legal_form": "SCOP-SA"}, client.operator),
            422, "siren")
    assert client.rows() == before


@pytest.mark.parametrize("code", ["LEA2\n", "lea", "A" * 21, "\u0000"])
def test_an_activity_code_with_a_line_break_is_refused(client, code):
    """Regression: `^...$` let "LEA2\\n" through, stored with its line break."""
    before = client.rows()
    problem(client.call("POST", f"/cooperatives/{client.coop}/activities", {
        "code": code, "name": "x", "opened_on": "2025-06-01", "member_ids": [client.member]}),
        422, "code")
    problem(client.call("POST", f"/cooperatives/{client.coop}/members", {
        "first_name": "A", "last_name": "B", "email": "a@example.org", "joined_on": "2025-01-06",
        "activity_code": code}), 422, "activity_code")
    assert client.rows() == before


@pytest.mark.parametrize("raw", [b"0.1", b"1e400", b"-1e400", b'"-0"', b'"0.12345"', b'"1e-1"',
                                 b"100000000000000000000000000000000000000000", b'"0.6"'])
def test_a_rate_is_a_decimal_string_never_a_json_number(client, raw):
    before = client.rows()
    for path, body, name, headers in [
            ("/cooperatives", b'{"name": "X", "siren": "552100554", "legal_form": "SCOP-SA", '
                              b'"default_contribution_rate": %s}', "default_contribution_rate",
             client.operator),
            (f"/cooperatives/{client.coop}/settings",
             b'{"effective_on": "2099-01-01", "default_contribution_rate": %s}',
             "default_contribution_rate", client.admin),
            (f"/cooperatives/{client.coop}/activities",
             b'{"code": "NEW", "name": "x", "opened_on": "2025-06-01", "member_ids": ["'
             + client.member.encode() + b'"], "contribution_rate": %s}', "contribution_rate",
             client.staff)]:
        problem(client.call("POST", path, raw=body % raw, headers=headers), 422, name)
    assert client.rows() == before


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_a_date_out_of_the_platform_range_is_a_422_naming_it(client, day):
    coop, member = client.coop, client.member
    before = client.rows()
    for path, body, name in [
            (f"/cooperatives/{coop}/members", {"first_name": "A", "last_name": "B",
                                               "email": "a@example.org"}, "joined_on"),
            (f"/cooperatives/{coop}/members/{member}/steps", {"stage": "diagnostic"}, "on"),
            (f"/cooperatives/{coop}/members/{member}/contracts", {"kind": "CESA"}, "signed_on"),
            (f"/cooperatives/{coop}/members/{member}/interviews", {}, "held_on"),
            (f"/cooperatives/{coop}/members/{member}/exit", {"reason": "x"}, "on"),
            (f"/cooperatives/{coop}/activities/LEA/close", {}, "on")]:
        problem(client.call("POST", path, {**body, name: day}), 422, name)
    problem(client.call("POST", f"/cooperatives/{coop}/settings", {"effective_on": day},
                        client.admin), 422, "effective_on")
    problem(client.call("POST", "/deadline-scans", {"today": day}, client.operator), 422, "today")
    assert client.rows() == before


# --------------------------------------------------------------------------- ids


@pytest.mark.parametrize("bad", ["not-a-uuid", "%00", "a%00b", "x" * 3000, "%ED%A0%80",
                                 "00000000-0000-4000-8000-000000000000", "%20"])
def test_an_id_that_names_no_record_is_a_404_on_both_databases(client, bad):
    """Regression: on PostgreSQL a NUL in an id was a 422 "does not fit its field"."""
    coop = client.coop
    before = client.rows()
    for method, path, body, headers in [
            ("GET", f"/cooperatives/{coop}/members/{bad}", None, client.staff),
            ("GET", f"/cooperatives/{coop}/members/{bad}/history", None, client.staff),
            ("GET", f"/cooperatives/{coop}/members/{bad}/contracts", None, client.staff),
            ("POST", f"/cooperatives/{coop}/members/{bad}/steps",
             {"stage": "diagnostic", "on": "2025-02-01"}, client.staff),
            ("POST", f"/cooperatives/{coop}/members/{bad}/interviews",
             {"held_on": "2025-02-01"}, client.staff),
            ("POST", f"/cooperatives/{coop}/members/{client.member}/contracts/{bad}/renewals",
             {"ends_on": "2025-06-01"}, client.staff),
            ("POST", f"/cooperatives/{coop}/activities/{bad}/close", {"on": "2025-06-01"},
             client.staff),
            ("GET", f"/cooperatives/{bad}", None, client.operator),
            ("GET", f"/cooperatives/{bad}/settings", None, client.operator),
            ("POST", f"/cooperatives/{bad}/settings", {"effective_on": "2099-01-01"},
             client.operator)]:
        problem(client.call(method, path, body, headers), 404)
    assert client.rows() == before


def test_another_cooperatives_ids_are_404_under_ones_own(client, token):
    other = client.call("POST", "/cooperatives", {"name": "Oxalis", "siren": "552100554",
                                                  "legal_form": "SCOP-SARL"}, client.operator)
    other_coop = other.json()["id"]
    theirs = bearer(token("mallory", "staff", other_coop))
    stranger = client.call("POST", f"/cooperatives/{other_coop}/members", {
        "first_name": "M", "last_name": "X", "email": "m@example.org", "joined_on": "2025-01-06",
        "activity_code": "THEIRS"}, theirs).json()["id"]
    before = client.rows()
    problem(client.call("GET", f"/cooperatives/{client.coop}/members/{stranger}"), 404)
    problem(client.call("POST", f"/cooperatives/{client.coop}/activities/THEIRS/close",
                        {"on": "2025-06-01"}), 404)
    problem(client.call("POST", f"/cooperatives/{client.coop}/activities", {
        "code": "MIX", "name": "x", "opened_on": "2025-06-01",
        "member_ids": [client.member, stranger]}), 404)
    problem(client.call("GET", f"/cooperatives/{other_coop}/members"), 403)
    assert client.rows() == before


# --------------------------------------------------------------------------- query strings


def listings(client) -> list[tuple[str, dict]]:
    coop = client.coop
    return [("/cooperatives", client.operator),
            (f"/cooperatives/{coop}/settings", client.staff),
            (f"/cooperatives/{coop}/members", client.staff),
            (f"/cooperatives/{coop}/members/{client.member}/contracts", client.staff),
            (f"/cooperatives/{coop}/activities", client.staff),
            (f"/cooperatives/{coop}/associate-deadlines", client.staff),
            (f"/cooperatives/{coop}/follow-up-due", client.staff)]


@pytest.mark.parametrize("query, names", [
    ("limit=0", {"limit"}), ("limit=1001", {"limit"}), ("limit=" + "9" * 30, {"limit"}),
    ("limit=-5", {"limit"}), ("limit=abc", {"limit"}), ("limit=%00", {"limit"}),
    ("limit=1&limit=2", {"limit"}), ("cursor=%00", {"cursor"}), ("cursor=", {"cursor"}),
    ("cursor=bm90IGpzb24", {"cursor"}), ("cursor=" + "A" * 2001, {"cursor"}),
    ("sort=name", {"sort"}), ("limit=0&sort=name", {"limit", "sort"}),
])
def test_a_bad_query_parameter_of_a_listing_is_a_422_naming_it(client, query, names):
    for path, headers in listings(client):
        body = problem(client.call("GET", f"{path}?{query}", headers=headers), 422)
        assert set(body["errors"]) == names, (path, body)


@pytest.mark.parametrize("query, name", [
    ("within_days=-1", "within_days"), ("within_days=3651", "within_days"),
    ("within_days=" + "9" * 5000, "within_days"), ("today=0001-01-01", "today"),
    ("today=9999-12-31", "today"), ("today=2026-02-30", "today"), ("today=%00", "today"),
    ("today=2026-01-01&today=2026-01-02", "today"),
])
def test_the_days_of_the_deadlines_and_the_follow_up_are_checked(client, query, name):
    for path in (f"/cooperatives/{client.coop}/associate-deadlines",
                 f"/cooperatives/{client.coop}/follow-up-due"):
        if name == "within_days" and "follow-up" in path:
            continue
        problem(client.call("GET", f"{path}?{query}"), 422, name)


def test_an_operation_without_parameters_names_an_unknown_one(client):
    for path in (f"/cooperatives/{client.coop}", f"/cooperatives/{client.coop}/members/"
                 f"{client.member}", f"/cooperatives/{client.coop}/members/{client.member}"
                 "/history"):
        problem(client.call("GET", f"{path}?expand=all"), 422, "expand")


def test_every_listing_walks_its_pages_to_the_end(client):
    coop = client.coop
    base = f"/cooperatives/{coop}/members/{client.member}/contracts"
    client.call("POST", base, {"kind": "CAPE", "signed_on": "2025-01-06", "ends_on": "2025-06-01"})
    client.call("POST", base, {"kind": "CESA", "signed_on": "2025-06-01"})
    for n in range(7):
        member = client.call("POST", f"/cooperatives/{coop}/members", {
            "first_name": f"P{n}", "last_name": "Same" if n % 2 else f"Name{n}",
            "email": "p@example.org", "joined_on": "2020-01-01",
            "activity_code": f"A{n}"}).json()["id"]
        client.call("POST", f"/cooperatives/{coop}/members/{member}/contracts", {
            "kind": "CESA", "signed_on": "2020-06-01"})
    for n in range(3):
        client.call("POST", "/cooperatives", {"name": f"Coop {n}", "siren": ["552100554",
                    "542051180", "356000000"][n], "legal_form": "SCOP-SA"}, client.operator)
        client.call("POST", f"/cooperatives/{coop}/settings",
                    {"effective_on": f"209{n}-01-01"}, client.admin)
    for (path, headers), extra in zip(listings(client), [
            "", "", "", "", "", "&today=2022-01-01&within_days=3650", "&today=2021-01-01"],
            strict=True):
        whole = client.call("GET", f"{path}?limit=1000{extra}", headers=headers).json()
        assert whole["next_cursor"] is None
        for limit in (1, 3):
            items, cursor, pages = [], None, 0
            while True:
                url = f"{path}?limit={limit}{extra}" + (f"&cursor={cursor}" if cursor else "")
                page = client.call("GET", url, headers=headers).json()
                assert len(page["items"]) <= limit
                items.extend(page["items"])
                pages += 1
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert items == whole["items"], path
            assert pages >= len(whole["items"]) // limit
        assert len(whole["items"]) >= {"members": 8, "settings": 4, "activities": 8,
                                       "cooperatives": 4, "contracts": 2,
                                       "associate-deadlines": 7, "follow-up-due": 7
                                       }[path.rsplit("/", 1)[-1]], path


# --------------------------------------------------------------------------- instants


def test_every_instant_read_back_is_utc_with_its_offset(client):
    """Regression: on SQLite, an instant read back from the database had no offset."""
    coop, member = client.coop, client.member
    client.call("POST", f"/cooperatives/{coop}/members/{member}/interviews",
                {"held_on": "2025-02-01"})
    found = [
        client.call("GET", f"/cooperatives/{coop}").json()["registered_at"],
        client.call("GET", "/cooperatives", headers=client.operator).json()["items"][0][
            "registered_at"],
        client.call("GET", f"/cooperatives/{coop}/members/{member}").json()["created_at"],
        client.call("GET", f"/cooperatives/{coop}/members").json()["items"][0]["created_at"],
        *[s["recorded_at"] for s in client.call(
            "GET", f"/cooperatives/{coop}/members/{member}/history").json()["steps"]],
        *[v["recorded_at"] for v in client.call(
            "GET", f"/cooperatives/{coop}/settings").json()["items"]],
    ]
    assert found and all(UTC_INSTANT.fullmatch(instant) for instant in found), found


def test_an_interview_is_answered_with_what_was_recorded(client):
    response = client.call("POST", f"/cooperatives/{client.coop}/members/{client.member}"
                           "/interviews", {"held_on": "2025-02-01", "notes": "fine\nsoon"})
    assert response.status_code == 201
    body = response.json()
    assert body["member_id"] == client.member and body["held_on"] == "2025-02-01"
    assert body["notes"] == "fine\nsoon" and UTC_INSTANT.fullmatch(body["recorded_at"])
