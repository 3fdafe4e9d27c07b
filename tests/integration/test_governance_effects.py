"""An assembly's resolutions take effect in the other services, over real I/O.

members registers the cooperative and its people; governance holds the assembly; an
adopted contribution schedule reaches the ledger, which charges the new rate on payments
from its date and not before; the budget payroll reads follows the ledger's; an adopted
admission reaches members, which records the new associate, and governance's electorate
follows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from cae_governance.entrypoints.service import GovernanceService
from cae_ledger.entrypoints.service import LedgerService
from cae_members.entrypoints.service import MembersService
from cae_payroll.entrypoints.service import PayrollService
from caekit.testing import bearer, count_rows, eventually


def _post(http, url, body, headers, expect=201, key=True):
    """POST with an Idempotency-Key, but a ballot (which keeps no record of its request)."""
    response = http.post(url, json=body, headers={
        **headers, **({"Idempotency-Key": uuid.uuid4().hex} if key else {})})
    assert response.status_code == expect, response.text
    return response.json()


def test_an_adopted_schedule_and_admission_take_effect(start_service, http, token):
    members = start_service(MembersService)
    ledger = start_service(LedgerService)
    payroll = start_service(PayrollService)
    governance = start_service(GovernanceService)
    ops = bearer(token("ops", "network_operator"))
    coop = _post(http, f"{members.url}/cooperatives", {
        "name": "Coopérative Les Ateliers", "siren": "732829320", "legal_form": "SCOP-SARL",
        "default_contribution_rate": "0.1000"}, ops)["id"]
    staff = bearer(token("alice", "staff", coop))
    m = f"{members.url}/cooperatives/{coop}"

    def person(n: int, associate: bool) -> str:
        member = _post(http, f"{m}/members", {
            "first_name": f"Camille{n}", "last_name": "Martin", "email": f"c{n}@example.org",
            "joined_on": "2024-01-08", "activity_code": f"ACT{n}",
            "activity_name": f"Atelier {n}"}, staff)["id"]
        _post(http, f"{m}/members/{member}/contracts", {"kind": "CESA", "signed_on": "2024-02-01"},
              staff)
        if associate:
            _post(http, f"{m}/members/{member}/associate", {"on": "2025-03-01"}, staff,
                  expect=200)
        return member

    associates = [person(n, True) for n in range(3)]
    candidate = person(3, False)
    eventually(lambda: count_rows(governance.settings.database_url, "people",
                                  f"WHERE cooperative_id = '{coop}' AND associate_on IS NOT NULL")
               == 3, timeout=60)
    eventually(lambda: count_rows(ledger.settings.database_url, "activities",
                                  f"WHERE cooperative_id = '{coop}'") == 4, timeout=60)

    effective = date.today() + timedelta(days=1)
    g = f"{governance.url}/cooperatives/{coop}"
    assembly = _post(http, f"{g}/assemblies", {
        "title": "Assemblée générale ordinaire", "kind": "ordinary",
        "held_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "place": "Lyon", "convened_on": (date.today() - timedelta(days=16)).isoformat(),
        "resolutions": [
            {"title": "Nouveau barème de contribution", "text": "La contribution passe à 8 %.",
             "kind": "ordinary", "effect": {"type": "contribution_schedule",
                                            "effective_on": effective.isoformat(),
                                            "bands": [{"from_cents": 0, "rate": "0.0800"}]}},
            {"title": "Admission d'un associé", "text": "Camille3 Martin est admise.",
             "kind": "ordinary", "effect": {"type": "associate_admission",
                                            "member_id": candidate}}]}, staff)
    a = f"{g}/assemblies/{assembly['id']}"
    for member in associates:
        _post(http, f"{a}/sign-ins", {"member_id": member, "mode": "in_person"}, staff)
    _post(http, f"{a}/opening", {"chair": "Camille0 Martin", "secretary": "Camille1 Martin"},
          staff, expect=200)
    for resolution in assembly["resolutions"]:
        for member in associates:
            _post(http, f"{a}/resolutions/{resolution['id']}/votes", {"choice": "for"},
                  bearer(token(member, "entrepreneur", coop)), key=False)
        closed = _post(http, f"{a}/resolutions/{resolution['id']}/close", None, staff,
                       expect=200)
        assert closed["status"] == "adopted", closed

    # the ledger holds the schedule from its date: 10 % before, 8 % from it
    eventually(lambda: count_rows(ledger.settings.database_url, "contribution_schedules",
                                  f"WHERE cooperative_id = '{coop}' AND effective_on = "
                                  f"'{effective.isoformat()}'"), timeout=60)
    books = f"{ledger.url}/cooperatives/{coop}"

    def contribution_on(day: date, ref: str) -> int:
        posted = _post(http, f"{books}/payments", {
            "activity_code": "ACT0", "date": day.isoformat(), "piece_ref": ref,
            "label": "Règlement client", "amount_cents": 120_000, "vat_cents": 20_000}, staff)
        lines = posted["contribution"]["lines"]
        return sum(line["credit_cents"] for line in lines)

    assert contribution_on(date.today(), "P-1") == 10_000  # 10 % of 1,000.00 EUR HT
    assert contribution_on(effective, "P-2") == 8_000  # 8 % from the adopted date
    # the budget payroll reads is the ledger's
    budget = http.get(f"{books}/activities/ACT0/balance", headers=staff).json()
    assert budget["available_cents"] == 200_000 - 18_000
    eventually(lambda: count_rows(payroll.settings.database_url, "budgets",
                                  f"WHERE cooperative_id = '{coop}' AND activity_code = 'ACT0' "
                                  f"AND available_cents = {budget['available_cents']}"),
               timeout=60)

    # members records the admission; governance's electorate follows
    def admitted():
        body = http.get(f"{m}/members/{candidate}", headers=staff).json()
        return body if body.get("associate_on") else None

    assert eventually(admitted, timeout=60)["associate_on"] == date.today().isoformat()
    eventually(lambda: count_rows(governance.settings.database_url, "people",
                                  f"WHERE member_id = '{candidate}' AND associate_on IS NOT NULL"),
               timeout=60)
    listed = http.get(f"{g}/associates", headers=staff).json()["items"]
    assert candidate in {item["member_id"] for item in listed}
