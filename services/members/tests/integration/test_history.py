"""A person's dated history over HTTP: steps, transitions, corrections that keep the mistake."""

from __future__ import annotations

import pytest

from cae_members.entrypoints.service import MembersService
from caekit.testing import bearer, count_rows


@pytest.fixture
def members(start_service):
    return start_service(MembersService)


def test_history_of_steps_and_a_dated_correction(http, members, token):
    coop = http.post(f"{members.url}/cooperatives", headers=bearer(token("ops", "network_operator")),
                     json={"name": "Coopaname", "siren": "732829320", "legal_form": "SCOP-SA"}
                     ).json()["id"]
    staff = bearer(token("alice", "staff", coop))
    person = http.post(f"{members.url}/cooperatives/{coop}/members", headers=staff, json={
        "first_name": "Léa", "last_name": "Martin", "email": "l@example.org",
        "joined_on": "2025-01-06"}).json()["id"]
    base = f"{members.url}/cooperatives/{coop}/members/{person}"
    before_joining = http.post(f"{base}/steps", headers=staff,
                               json={"stage": "diagnostic", "on": "2025-01-05"})
    assert before_joining.status_code == 422
    assert before_joining.json()["errors"]["rule"] == ["dates.out_of_order"]
    assert http.post(f"{base}/steps", headers=staff,
                     json={"stage": "diagnostic", "on": "2025-02-10"}).status_code == 201
    assert http.post(f"{base}/contracts", headers=staff, json={
        "kind": "CAPE", "signed_on": "2025-03-01", "ends_on": "2026-03-01"}).status_code == 201
    cesa_by_step = http.post(f"{base}/steps", headers=staff, json={"stage": "cesa", "on": "2025-04-01"})
    assert cesa_by_step.status_code == 422 and "stage" in cesa_by_step.json()["errors"]

    # the diagnostic was in fact on 3 February: a correction, with its reason
    steps_before = count_rows(members.settings.database_url, "member_steps")
    no_reason = http.post(f"{base}/steps/1/corrections", headers=staff, json={"on": "2025-02-03"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["errors"]
    out_of_order = http.post(f"{base}/steps/1/corrections", headers=staff,
                             json={"on": "2025-03-02", "reason": "typo"})
    assert out_of_order.json()["errors"]["rule"] == ["dates.out_of_order"]
    assert count_rows(members.settings.database_url, "member_steps") == steps_before
    tied = http.post(f"{base}/steps/2/corrections", headers=staff,
                     json={"on": "2025-03-02", "reason": "signed a day later"})
    assert tied.json()["errors"]["rule"] == ["correction.tied_to_records"]
    fixed = http.post(f"{base}/steps/1/corrections", headers=staff,
                      json={"on": "2025-02-03", "reason": "date typed wrong"})
    assert fixed.status_code == 201 and fixed.json()["corrects"] == 1

    own = bearer(token(person, "entrepreneur", coop))
    history = http.get(f"{base}/history", headers=own).json()
    assert history["stage"] == "cape"
    assert [(s["seq"], s["stage"], s["on"]) for s in history["steps"]] == [
        (0, "candidate", "2025-01-06"), (1, "diagnostic", "2025-02-10"), (2, "cape", "2025-03-01"),
        (3, "diagnostic", "2025-02-03")]  # the mistaken row is kept
    assert [(e["stage"], e["on"]) for e in history["effective"]] == [
        ("candidate", "2025-01-06"), ("diagnostic", "2025-02-03"), ("cape", "2025-03-01")]
    other = bearer(token("someone", "entrepreneur", coop))
    assert http.get(f"{base}/history", headers=other).status_code == 403
