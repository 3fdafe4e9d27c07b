"""Activities (enseignes) and follow-up interviews over HTTP, on a real database."""

from __future__ import annotations

import uuid

import pytest

from cae_members.entrypoints.service import MembersService
from caekit.testing import bearer, count_rows


@pytest.fixture
def members(start_service):
    return start_service(MembersService)


def register(http, members, token, name, siren):
    return http.post(f"{members.url}/cooperatives", headers=bearer(token("ops", "network_operator")),
                     json={"name": name, "siren": siren, "legal_form": "SCOP-SA"}).json()["id"]


def join(http, members, coop, staff, last_name, joined_on="2025-01-01"):
    response = http.post(f"{members.url}/cooperatives/{coop}/members", headers=staff, json={
        "first_name": "A", "last_name": last_name, "email": "a@example.org", "joined_on": joined_on})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_an_activity_of_two_entrepreneurs_opens_and_closes(http, members, token):
    coop = register(http, members, token, "Coopaname", "732829320")
    staff = bearer(token("alice", "staff", coop))
    first, second = (join(http, members, coop, staff, n) for n in ("Martin", "Durand"))
    url = f"{members.url}/cooperatives/{coop}/activities"
    opened = http.post(url, headers=staff, json={
        "code": "RENOV", "name": "Rénovation", "opened_on": "2025-02-01",
        "member_ids": [first, second], "contribution_rate": "0.08"})
    assert opened.status_code == 201, opened.text
    assert opened.json()["contribution_rate"] == "0.0800"
    assert sorted(opened.json()["member_ids"]) == sorted([first, second])
    again = http.post(url, headers=staff, json={"code": "RENOV", "name": "X",
                                                "opened_on": "2025-02-01", "member_ids": [first]})
    assert again.status_code == 409
    early = http.post(f"{url}/RENOV/close", headers=staff, json={"on": "2025-01-31"})
    assert early.json()["errors"]["rule"] == ["dates.out_of_order"]
    assert http.post(f"{url}/RENOV/close", headers=staff, json={"on": "2025-12-31"}).ok
    twice = http.post(f"{url}/RENOV/close", headers=staff, json={"on": "2026-01-31"})
    assert twice.json()["errors"]["rule"] == ["activity.closed"]
    assert [a["closed_on"] for a in http.get(url, headers=staff).json()["items"]] == ["2025-12-31"]


def test_an_activity_cannot_name_another_cooperatives_member(http, members, token):
    coop = register(http, members, token, "Coopaname", "732829320")
    other = register(http, members, token, "Oxalis", "552100554")
    outsider = join(http, members, other, bearer(token("bob", "staff", other)), "Outsider")
    staff = bearer(token("alice", "staff", coop))
    before = count_rows(members.settings.database_url, "activities")
    for member_ids in ([outsider], [str(uuid.uuid4())]):
        response = http.post(f"{members.url}/cooperatives/{coop}/activities", headers=staff,
                             json={"code": "X1", "name": "X", "opened_on": "2025-02-01",
                                   "member_ids": member_ids})
        assert response.status_code == 404, response.text
    assert count_rows(members.settings.database_url, "activities") == before


def test_entrepreneurs_with_fewer_than_two_interviews_in_12_months(http, members, token):
    coop = register(http, members, token, "Coopaname", "732829320")
    staff = bearer(token("alice", "staff", coop))
    base = f"{members.url}/cooperatives/{coop}/members"
    followed, neglected, candidate, past = (join(http, members, coop, staff, n)
                                            for n in ("Followed", "Neglected", "Candidate", "Past"))
    # a CAPE that ran out on its own date is no longer running
    http.post(f"{base}/{past}/contracts", headers=staff,
              json={"kind": "CAPE", "signed_on": "2025-01-01", "ends_on": "2025-06-01"})
    for person in (followed, neglected):
        http.post(f"{base}/{person}/contracts", headers=staff,
                  json={"kind": "CESA", "signed_on": "2025-01-01"})
    for held_on in ("2025-06-01", "2025-12-01"):
        assert http.post(f"{base}/{followed}/interviews", headers=staff,
                         json={"held_on": held_on}).status_code == 201
    # one interview 13 months before does not count, one within does
    for held_on in ("2024-12-31", "2025-11-15"):
        http.post(f"{base}/{neglected}/interviews", headers=staff, json={"held_on": held_on})
    due = http.get(f"{members.url}/cooperatives/{coop}/follow-up-due?today=2026-01-31",
                   headers=staff).json()["items"]
    # the candidate has no contract: not an entrepreneur yet
    assert [(d["last_name"], d["interviews_in_12_months"]) for d in due] == [("Neglected", 1)]
    bad = http.post(f"{base}/{followed}/interviews", headers=staff, json={"held_on": "yesterday"})
    assert bad.status_code == 422 and "held_on" in bad.json()["errors"]
