"""The ledger's skeleton: its chart of accounts and the accounts an activity gets."""

from __future__ import annotations

import uuid

from cae_contracts import build_event
from cae_ledger.domain.entries import (
    ACTIVITY_AUXILIARY_ACCOUNTS,
    CHART_OF_ACCOUNTS,
    auxiliary_account,
)
from cae_ledger.entrypoints.service import LedgerService
from caekit.testing import bearer, count_rows, eventually, publish_raw


def test_the_chart_holds_the_pcg_accounts_the_platform_uses():
    # domain.md, "Money": the Plan Comptable Général accounts in use
    assert {"401", "411", "421", "425", "431", "437", "44566", "44571", "512", "641", "645",
            "706", "707"} <= set(CHART_OF_ACCOUNTS)
    # and the contribution pair, income tax withheld (PAS) and the usual class-6 expenses
    assert {"658", "758", "4421", "606", "625"} <= set(CHART_OF_ACCOUNTS)
    assert all(CHART_OF_ACCOUNTS[n][1] == "expense" for n in CHART_OF_ACCOUNTS if n.startswith("6"))
    assert CHART_OF_ACCOUNTS["411"][1] == "asset" and CHART_OF_ACCOUNTS["706"][1] == "revenue"
    assert auxiliary_account("411", "BOULANGE") == "411-BOULANGE"
    assert ACTIVITY_AUXILIARY_ACCOUNTS == ("401", "411", "421", "425")


def joined(coop: str, code: str | None) -> dict:
    return build_event("cae.members.member_joined.v1", {
        "member_id": str(uuid.uuid4()), "cooperative_id": coop, "first_name": "Léa",
        "last_name": "Martin", "joined_on": "2026-01-05", "activity_code": code},
        tenant_id=coop)


def test_an_activity_is_opened_once_and_a_member_without_one_opens_nothing(
        start_service, amqp_uri, http, token):
    ledger = start_service(LedgerService)
    coop = str(uuid.uuid4())
    publish_raw(amqp_uri, joined(coop, None))
    publish_raw(amqp_uri, joined(coop, "LEA"))
    publish_raw(amqp_uri, joined(coop, "LEA"))  # another event naming the same activity
    url = ledger.settings.database_url
    eventually(lambda: count_rows(url, "inbox") == 3)
    assert count_rows(url, "activities") == 1
    # the chart was seeded lazily (no cooperative_registered yet) and only once
    assert count_rows(url, "accounts", "WHERE activity_code IS NULL") == len(CHART_OF_ACCOUNTS)
    assert count_rows(url, "accounts", "WHERE activity_code = 'LEA'") == 4
    assert count_rows(url, "outbox") == 1  # one activity_accounts_opened
    registered = build_event("cae.members.cooperative_registered.v1", {
        "cooperative_id": coop, "name": "Oxalis", "siren": "552100554",
        "legal_form": "SCOP-SARL", "registered_at": "2026-01-01T00:00:00+00:00"}, tenant_id=coop)
    publish_raw(amqp_uri, registered)
    eventually(lambda: count_rows(url, "inbox") == 4)
    assert count_rows(url, "accounts", "WHERE activity_code IS NULL") == len(CHART_OF_ACCOUNTS)
    staff = bearer(token("alice", "staff", coop))
    activity = http.get(f"{ledger.url}/cooperatives/{coop}/activities/LEA", headers=staff).json()
    assert [a["number"] for a in activity["accounts"]] == [
        "401-LEA", "411-LEA", "421-LEA", "425-LEA"]
    assert http.get(f"{ledger.url}/cooperatives/{coop}/activities/NOPE",
                    headers=staff).status_code == 404


def test_an_opened_activity_gets_its_accounts(start_service, amqp_uri, http, token):
    ledger = start_service(LedgerService)
    coop, member = str(uuid.uuid4()), str(uuid.uuid4())
    publish_raw(amqp_uri, build_event("cae.members.activity_opened.v1", {
        "activity_id": str(uuid.uuid4()), "cooperative_id": coop, "code": "RENOV",
        "name": "Rénovation", "opened_on": "2025-02-01", "member_ids": [member]},
        tenant_id=coop))
    url = ledger.settings.database_url
    eventually(lambda: count_rows(url, "accounts", "WHERE activity_code = 'RENOV'") == 4)
    activity = http.get(f"{ledger.url}/cooperatives/{coop}/activities/RENOV",
                        headers=bearer(token(member, "entrepreneur", coop))).json()
    assert activity["member_id"] == member and activity["name"] == "Rénovation"
