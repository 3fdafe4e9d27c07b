"""Tenant, caller and correlation id travel from an HTTP request into RPC calls and events;
a cooperative never sees another's rows."""

from __future__ import annotations

import json

from sqlalchemy import text

from cae_ledger.entrypoints.service import LedgerService
from cae_members.entrypoints.service import MembersService
from caekit.db import make_engine
from caekit.testing import bearer, eventually
from libs.kit.tests.integration.probe import AskingService, ProbeService


def test_an_rpc_call_carries_the_tenant_caller_and_correlation_id(start_service, http, token):
    start_service(ProbeService)
    asking = start_service(AskingService)
    response = http.get(f"{asking.url}/cooperatives/7c7c7c7c-0000-4000-8000-000000000007/whoami",
                        headers={**bearer(token("alice", "staff", "7c7c7c7c-0000-4000-8000-000000000007")),
                                 "X-Correlation-ID": "corr-rpc"})
    assert response.status_code == 200, response.text
    assert response.json() == {"tenant": "7c7c7c7c-0000-4000-8000-000000000007", "caller": "alice", "roles": ["staff"],
                               "correlation_id": "corr-rpc"}


def _bodies(url: str, event_type: str) -> list[dict]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq"),
                            {"t": event_type}).scalars().all()
    engine.dispose()
    return [json.loads(r) for r in rows]


def register(http, members, token, name, siren):
    response = http.post(f"{members.url}/cooperatives", headers=bearer(token("ops", "network_operator")),
                         json={"name": name, "siren": siren, "legal_form": "SCOP-SARL"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_events_caused_by_events_keep_the_correlation_and_name_their_cause(
        start_service, http, token):
    ledger = start_service(LedgerService)
    members = start_service(MembersService)
    coop = register(http, members, token, "Oxalis", "552100554")
    response = http.post(f"{members.url}/cooperatives/{coop}/members",
                         headers={**bearer(token("alice", "staff", coop)), "X-Correlation-ID": "chain-1"},
                         json={"first_name": "Inès", "last_name": "Moreau", "email": "i@example.org",
                               "joined_on": "2026-03-02", "activity_code": "FORMA"})
    assert response.status_code == 201
    joined = _bodies(members.settings.database_url, "cae.members.member_joined.v2")[0]
    activity = _bodies(members.settings.database_url, "cae.members.activity_opened.v1")[0]
    opened = eventually(lambda: _bodies(ledger.settings.database_url,
                                        "cae.ledger.activity_accounts_opened.v1"))[0]
    assert opened["correlationid"] == "chain-1"
    assert joined["actor"] == opened["actor"] == "alice"  # who started the flow
    # one event per fact: the activity's opening, the only event naming it, caused it
    assert opened["causationid"] == activity["id"]
    assert opened["tenantid"] == coop
    assert opened["data"]["accounts"] == ["401-FORMA", "411-FORMA", "421-FORMA", "425-FORMA"]


def test_a_cooperative_never_sees_another_ones_rows(start_service, http, token):
    ledger = start_service(LedgerService)
    members = start_service(MembersService)
    first = register(http, members, token, "Coopaname", "732829320")
    second = register(http, members, token, "Oxalis", "552100554")
    for coop, code in ((first, "SAME"), (second, "SAME"), (second, "ONLY2")):
        response = http.post(f"{members.url}/cooperatives/{coop}/members",
                             headers=bearer(token("staff", "staff", coop)),
                             json={"first_name": "A", "last_name": code, "email": "a@example.org",
                                   "joined_on": "2026-01-05", "activity_code": code})
        assert response.status_code == 201, response.text
    staff1 = bearer(token("staff", "staff", first))
    staff2 = bearer(token("staff", "staff", second))
    eventually(lambda: len(http.get(f"{ledger.url}/cooperatives/{second}/activities",
                                    headers=staff2).json()["items"]) == 2)
    eventually(lambda: len(http.get(f"{ledger.url}/cooperatives/{first}/activities",
                                    headers=staff1).json()["items"]) == 1)
    # the same activity code in two cooperatives: each sees its own
    assert [a["code"] for a in http.get(f"{ledger.url}/cooperatives/{first}/activities",
                                        headers=staff1).json()["items"]] == ["SAME"]
    assert http.get(f"{ledger.url}/cooperatives/{first}/activities/ONLY2",
                    headers=staff1).status_code == 404
    names = [m["last_name"] for m in http.get(f"{members.url}/cooperatives/{first}/members",
                                              headers=staff1).json()["items"]]
    assert names == ["SAME"]
    accounts1 = {a["number"] for a in http.get(f"{ledger.url}/cooperatives/{first}/accounts",
                                               headers=staff1).json()["items"]}
    assert "411-ONLY2" not in accounts1 and "411-SAME" in accounts1
    # a token of the first cooperative is refused on the second's URLs
    assert http.get(f"{ledger.url}/cooperatives/{second}/activities",
                    headers=staff1).status_code == 403
