"""The accounts an activity gets, opened by members' activity_opened event (and only by it)."""

from __future__ import annotations

import uuid

from cae_contracts import build_event
from cae_ledger.domain.entries import CHART_OF_ACCOUNTS
from cae_ledger.entrypoints.service import LedgerService
from caekit import dlq
from caekit.testing import bearer, count_rows, eventually, message_count, publish_raw, queue_info

OPENED_QUEUE = "ledger--cae.members.activity_opened.v1"


def opened(coop: str, code: str, member: str) -> dict:
    return build_event("cae.members.activity_opened.v1", {
        "activity_id": str(uuid.uuid4()), "cooperative_id": coop, "code": code,
        "name": "Boulangerie Léa", "opened_on": "2026-01-05", "member_ids": [member]},
        tenant_id=coop)


def test_an_activity_opens_once_and_another_opening_of_its_code_is_parked(
        start_service, amqp_uri, http, token):
    ledger = start_service(LedgerService)
    coop, lea = str(uuid.uuid4()), str(uuid.uuid4())
    # one event per fact: the person's member_joined opens nothing, the ledger does not consume it
    assert queue_info(amqp_uri, "ledger--cae.members.member_joined.v1") is None
    first = opened(coop, "LEA", lea)
    publish_raw(amqp_uri, first)
    publish_raw(amqp_uri, first)  # redelivered: the inbox drops it
    url = ledger.settings.database_url
    eventually(lambda: count_rows(url, "activities") == 1)
    # another event opening the same code: refused (activity.exists), parked at once, no change
    again = opened(coop, "LEA", str(uuid.uuid4()))
    publish_raw(amqp_uri, again)
    eventually(lambda: message_count(amqp_uri, f"{OPENED_QUEUE}--dead") == 1)
    [parked] = dlq.list_parked(amqp_uri, OPENED_QUEUE)
    assert parked.event_id == again["id"] and parked.attempts == 1
    assert parked.error.startswith("[activity.exists] ") and first["id"] in parked.error
    assert count_rows(url, "inbox") == 1  # the refused one is not claimed
    assert count_rows(url, "activities") == 1
    # the chart was seeded lazily (no cooperative_registered yet) and only once
    assert count_rows(url, "accounts", "WHERE activity_code IS NULL") == len(CHART_OF_ACCOUNTS)
    assert count_rows(url, "accounts", "WHERE activity_code = 'LEA'") == 4
    assert count_rows(url, "outbox") == 1  # one activity_accounts_opened
    registered = build_event("cae.members.cooperative_registered.v1", {
        "cooperative_id": coop, "name": "Oxalis", "siren": "552100554",
        "legal_form": "SCOP-SARL", "registered_at": "2026-01-01T00:00:00+00:00"}, tenant_id=coop)
    publish_raw(amqp_uri, registered)
    eventually(lambda: count_rows(url, "inbox") == 2)
    assert count_rows(url, "accounts", "WHERE activity_code IS NULL") == len(CHART_OF_ACCOUNTS)
    staff = bearer(token("alice", "staff", coop))
    activity = http.get(f"{ledger.url}/cooperatives/{coop}/activities/LEA", headers=staff).json()
    assert activity["member_id"] == lea  # the first opening's, untouched by the second
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
