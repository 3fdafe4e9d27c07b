"""A running payroll service with a cooperative, entrepreneurs under CESA and budgets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from cae_contracts import build_event
from cae_payroll.entrypoints.service import PayrollService
from caekit.testing import CooperativeClient, count_rows, eventually, publish_raw


@dataclass
class Payroll(CooperativeClient):
    """Helpers over a started payroll service and one cooperative."""

    def hire(self, code: str, budget_cents: int, signed_on: str = "2025-06-01") -> str:
        """The member's activity opened, a CESA and the ledger's budget for the activity."""
        member = self.members[code] = str(uuid.uuid4())
        for event in (
            build_event("cae.members.member_joined.v2", {
                "member_id": member, "cooperative_id": self.coop, "first_name": code.title(),
                "last_name": "Martin", "joined_on": "2025-01-05"}, tenant_id=self.coop),
            build_event("cae.members.activity_opened.v1", {
                "activity_id": str(uuid.uuid4()), "cooperative_id": self.coop, "code": code,
                "name": code.title(), "opened_on": "2025-01-05", "member_ids": [member]},
                tenant_id=self.coop),
            build_event("cae.members.contract_signed.v1", {
                "contract_id": str(uuid.uuid4()), "member_id": member, "cooperative_id": self.coop,
                "kind": "CESA", "signed_on": signed_on}, tenant_id=self.coop),
        ):
            publish_raw(self.amqp_uri, event)
        self.budget(code, budget_cents)
        eventually(lambda: count_rows(self.db, "employees", f"WHERE member_id = '{member}' "
                                      f"AND cesa_from IS NOT NULL AND activity_code = '{code}' "
                                      "AND last_name IS NOT NULL"))
        return member

    def budget(self, code: str, available: int) -> None:
        publish_raw(self.amqp_uri, build_event("cae.ledger.activity_balance_changed.v1", {
            "cooperative_id": self.coop, "activity_code": code, "available_cents": available,
            "cash_received_cents": available, "contribution_cents": 0, "expenses_cents": 0,
            "salary_costs_cents": 0, "as_of": datetime.now(UTC).isoformat(),
            "last_entry_id": str(uuid.uuid4())}, tenant_id=self.coop))
        eventually(lambda: count_rows(self.db, "budgets", f"WHERE activity_code = '{code}' "
                                      f"AND available_cents = {available}"))

    def get(self, path, headers=None, expect=200, **params):
        response = self.http.get(f"{self.url}/{path}", params=params, headers=headers or self.staff())
        assert response.status_code == expect, response.text
        return response

    def put(self, path: str, body: dict, headers=None, expect: int = 200) -> dict:
        """PUT ``body`` under the cooperative's URL, with a fresh Idempotency-Key."""
        response = self.http.put(f"{self.url}/{path}", json=body, headers={
            **(headers or self.staff()), "Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == expect, response.text
        return response.json()


@pytest.fixture
def payroll(start_service, amqp_uri, http, token):
    return Payroll(start_service(PayrollService), http, token, amqp_uri, str(uuid.uuid4()))
