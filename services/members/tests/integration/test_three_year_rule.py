"""Contracts and the three-year rule over HTTP, on a real database (events read from the outbox)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from cae_members.entrypoints.service import MembersService
from caekit.db import make_engine
from caekit.testing import bearer, count_rows


@pytest.fixture
def members(start_service):
    return start_service(MembersService)


@pytest.fixture
def coop(http, members, token):
    response = http.post(f"{members.url}/cooperatives", headers=bearer(token("ops", "network_operator")),
                         json={"name": "Coopaname", "siren": "732829320", "legal_form": "SCOP-SA"})
    return response.json()["id"]


@pytest.fixture
def staff(token, coop):
    return bearer(token("alice", "staff", coop))


def join(http, members, coop, staff, last_name="Martin", joined_on="2025-01-01") -> str:
    response = http.post(f"{members.url}/cooperatives/{coop}/members", headers=staff, json={
        "first_name": "Léa", "last_name": last_name, "email": "lea@example.org",
        "joined_on": joined_on})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def sign(http, members, coop, staff, member, **body):
    return http.post(f"{members.url}/cooperatives/{coop}/members/{member}/contracts",
                     headers=staff, json=body)


def events(members, type_: str) -> list[dict]:
    engine = make_engine(members.settings.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq"),
                            {"t": f"cae.members.{type_}.v1"}).scalars().all()
    engine.dispose()
    return [json.loads(r)["data"] for r in rows]


def scan(http, members, token, today: str) -> int:
    response = http.post(f"{members.url}/deadline-scans", json={"today": today},
                         headers=bearer(token("ops", "network_operator")))
    assert response.status_code == 200, response.text
    return response.json()["published"]


def test_a_cape_of_10_months_then_a_cesa_gives_a_deadline_26_months_later(
        http, members, coop, staff):
    member = join(http, members, coop, staff)
    assert sign(http, members, coop, staff, member, kind="CAPE", signed_on="2025-01-01",
                ends_on="2025-11-01").status_code == 201
    # after 10 months of CAPE no trial period is left (8 months minus the CAPE, L7332-1)
    no_trial = sign(http, members, coop, staff, member, kind="CESA", signed_on="2025-11-01",
                    trial_ends_on="2025-12-01")
    assert no_trial.json()["errors"]["rule"] == ["cesa.trial_too_long"]
    response = sign(http, members, coop, staff, member, kind="CESA", signed_on="2025-11-01")
    assert response.status_code == 201, response.text
    record = http.get(f"{members.url}/cooperatives/{coop}/members/{member}", headers=staff).json()
    assert record["associate_deadline"] == "2028-01-01"  # 36 months - 10 months of CAPE
    signed = events(members, "contract_signed")
    assert [e["kind"] for e in signed] == ["CAPE", "CESA"]
    assert signed[1]["associate_deadline"] == "2028-01-01"
    ended = events(members, "contract_ended")
    assert ended == [{**ended[0], "kind": "CAPE", "ended_on": "2025-11-01", "reason": "CESA signed"}]


def test_contract_rules_are_refused_naming_the_rule_and_write_nothing(
        http, members, coop, staff):
    member = join(http, members, coop, staff)
    before = (count_rows(members.settings.database_url, "contracts"),
              count_rows(members.settings.database_url, "outbox"))
    too_long = sign(http, members, coop, staff, member, kind="CAPE", signed_on="2025-01-01",
                    ends_on="2026-01-02")
    assert too_long.status_code == 422 and too_long.json()["errors"]["rule"] == ["cape.too_long"]
    assert "L127-1" in too_long.json()["detail"]
    trial = sign(http, members, coop, staff, member, kind="CESA", signed_on="2025-01-01",
                 trial_ends_on="2025-09-02")  # more than 8 months
    assert trial.json()["errors"]["rule"] == ["cesa.trial_too_long"]
    before_joining = sign(http, members, coop, staff, member, kind="CESA", signed_on="2024-12-31")
    assert before_joining.json()["errors"]["rule"] == ["dates.out_of_order"]
    assert (count_rows(members.settings.database_url, "contracts"),
            count_rows(members.settings.database_url, "outbox")) == before


def test_a_cape_is_renewed_twice_at_most(http, members, coop, staff):
    member = join(http, members, coop, staff)
    cape = sign(http, members, coop, staff, member, kind="CAPE", signed_on="2025-01-01",
                ends_on="2025-07-01").json()
    url = f"{members.url}/cooperatives/{coop}/members/{member}/contracts/{cape['id']}/renewals"
    assert http.post(url, headers=staff, json={"ends_on": "2026-07-01"}).json()["renewals"] == 1
    assert http.post(url, headers=staff, json={"ends_on": "2027-07-01"}).json()["renewals"] == 2
    third = http.post(url, headers=staff, json={"ends_on": "2027-12-01"})
    assert third.status_code == 422
    assert third.json()["errors"]["rule"] == ["cape.too_many_renewals"]


def test_the_daily_scan_alerts_at_90_and_30_days_and_once_when_missed(
        http, members, coop, staff, token):
    member = join(http, members, coop, staff, joined_on="2022-01-01")
    sign(http, members, coop, staff, member, kind="CESA", signed_on="2022-03-01")
    # deadline 2025-03-01: 90 days before is 2024-12-01, 30 days before is 2025-01-30
    assert scan(http, members, token, "2024-11-30") == 0
    assert scan(http, members, token, "2024-12-01") == 1
    assert scan(http, members, token, "2024-12-01") == 0  # twice the same day: one event
    assert scan(http, members, token, "2025-01-30") == 1  # 30 days before
    assert scan(http, members, token, "2025-03-01") == 0  # the deadline day itself
    assert scan(http, members, token, "2025-03-02") == 1  # missed
    assert scan(http, members, token, "2025-03-03") == 0  # once
    approaching = events(members, "associate_deadline_approaching")
    assert [(e["alert"], e["days_left"]) for e in approaching] == [
        ("approaching_90", 90), ("approaching_30", 30)]
    assert events(members, "associate_deadline_missed") == [
        {"member_id": member, "cooperative_id": coop, "associate_deadline": "2025-03-01"}]
    # past the deadline the CESA ends: no admission any more (L7331-3)
    late = http.post(f"{members.url}/cooperatives/{coop}/members/{member}/associate",
                     headers=staff, json={"on": "2025-03-02"})
    assert late.json()["errors"]["rule"] == ["associate.deadline_missed"]
    # a scan for a day still to come is refused: it would record alerts too early
    future = http.post(f"{members.url}/deadline-scans", json={"today": "2100-01-01"},
                       headers=bearer(token("ops", "network_operator")))
    assert future.status_code == 422 and future.json()["errors"]["rule"] == ["scan.future"]


def test_no_alert_after_an_exit_or_an_admission_before_the_deadline(
        http, members, coop, staff, token):
    leaving = join(http, members, coop, staff, "Leaving", joined_on="2022-01-01")
    joining = join(http, members, coop, staff, "Associate", joined_on="2022-01-01")
    for member in (leaving, joining):
        sign(http, members, coop, staff, member, kind="CESA", signed_on="2022-03-01")
    base = f"{members.url}/cooperatives/{coop}/members"
    assert http.post(f"{base}/{leaving}/exit", headers=staff,
                     json={"on": "2023-06-30", "reason": "found a salaried job"}).status_code == 200
    assert http.post(f"{base}/{joining}/associate", headers=staff,
                     json={"on": "2024-06-30"}).status_code == 200
    for today in ("2024-12-01", "2025-01-30", "2025-03-02"):
        assert scan(http, members, token, today) == 0
    assert events(members, "member_left")[0]["reason"] == "found a salaried job"
    assert events(members, "contract_ended")[0]["reason"] == "exit: found a salaried job"
    assert events(members, "member_became_associate")[0]["associate_deadline"] == "2025-03-01"
    after_exit = http.post(f"{base}/{leaving}/associate", headers=staff, json={"on": "2023-07-01"})
    assert after_exit.json()["errors"]["rule"] == ["stage.after_exit"]


def test_implausible_dates_are_422_not_500(http, members, coop, staff):
    member = join(http, members, coop, staff)
    typo = sign(http, members, coop, staff, member, kind="CESA", signed_on="9998-01-01")
    assert typo.status_code == 422 and "signed_on" in typo.json()["errors"]
    far = http.get(f"{members.url}/cooperatives/{coop}/associate-deadlines?today=9999-12-31",
                   headers=staff)
    assert far.status_code == 422 and "2200-12-31" in far.json()["errors"]["today"][0]


def test_upcoming_deadlines_soonest_first_and_only_for_staff_of_the_cooperative(
        http, members, coop, staff, token):
    later = join(http, members, coop, staff, "Later")
    sooner = join(http, members, coop, staff, "Sooner")
    sign(http, members, coop, staff, later, kind="CESA", signed_on="2025-06-01")
    sign(http, members, coop, staff, sooner, kind="CESA", signed_on="2025-02-01")
    url = f"{members.url}/cooperatives/{coop}/associate-deadlines?today=2027-06-01&within_days=400"
    items = http.get(url, headers=staff).json()["items"]
    assert [(i["last_name"], i["associate_deadline"]) for i in items] == [
        ("Sooner", "2028-02-01"), ("Later", "2028-06-01")]
    other = bearer(token("mallory", "staff", "00000000-0000-4000-8000-000000000000"))
    assert http.get(url, headers=other).status_code == 403
    assert http.get(url, headers=bearer(token(sooner, "entrepreneur", coop))).status_code == 403
    bad = http.get(f"{members.url}/cooperatives/{coop}/associate-deadlines?within_days=x",
                   headers=staff)
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"within_days"}


def test_another_cooperatives_token_or_ids_change_nothing(http, members, coop, staff, token):
    """403 on another cooperative's URLs, 404 for its ids under one's own: nothing written."""
    member = join(http, members, coop, staff)
    other = http.post(f"{members.url}/cooperatives", headers=bearer(token("ops", "network_operator")),
                      json={"name": "Oxalis", "siren": "552100554", "legal_form": "SCOP-SARL"}
                      ).json()["id"]
    mallory = bearer(token("mallory", "admin", other))
    url = members.settings.database_url
    before = tuple(count_rows(url, t) for t in ("contracts", "member_steps", "outbox",
                                                "activities", "follow_up_interviews"))
    base = f"{members.url}/cooperatives/{coop}/members/{member}"
    writes = [
        (f"{base}/contracts", {"kind": "CESA", "signed_on": "2025-03-01"}),
        (f"{base}/steps", {"stage": "diagnostic", "on": "2025-02-01"}),
        (f"{base}/exit", {"on": "2025-06-01", "reason": "x"}),
        (f"{base}/interviews", {"held_on": "2025-06-01"}),
        (f"{members.url}/cooperatives/{coop}/activities",
         {"code": "X", "name": "X", "opened_on": "2025-02-01", "member_ids": [member]}),
        (f"{members.url}/cooperatives/{coop}/settings", {"effective_on": "2099-01-01"}),
    ]
    for target, body in writes:
        assert http.post(target, headers=mallory, json=body).status_code == 403, target
    for target in (f"{base}/history", f"{base}/contracts",
                   f"{members.url}/cooperatives/{coop}/associate-deadlines"):
        assert http.get(target, headers=mallory).status_code == 403, target
    # the other cooperative's own URLs, naming this cooperative's member: not found
    theirs = f"{members.url}/cooperatives/{other}/members/{member}"
    assert http.post(f"{theirs}/contracts", headers=mallory,
                     json={"kind": "CESA", "signed_on": "2025-03-01"}).status_code == 404
    assert http.get(f"{theirs}/history", headers=mallory).status_code == 404
    assert http.post(f"{members.url}/cooperatives/{other}/activities", headers=mallory, json={
        "code": "X", "name": "X", "opened_on": "2025-02-01", "member_ids": [member]}
    ).status_code == 404
    assert tuple(count_rows(url, t) for t in ("contracts", "member_steps", "outbox",
                                              "activities", "follow_up_interviews")) == before
