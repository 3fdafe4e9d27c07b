"""A running ledger with a cooperative and activities opened by members' events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from cae_contracts import build_event
from cae_ledger.entrypoints.service import LedgerService
from caekit.testing import CooperativeClient, count_rows, eventually, publish_raw


@dataclass
class Ledger(CooperativeClient):
    """Helpers over a started ledger service and one cooperative."""

    def open(self, *codes: str) -> None:
        for code in codes:
            self.members[code] = str(uuid.uuid4())
            publish_raw(self.amqp_uri, build_event("cae.members.activity_opened.v1", {
                "activity_id": str(uuid.uuid4()), "cooperative_id": self.coop, "code": code,
                "name": code.title(), "opened_on": "2025-01-01", "member_ids": [self.members[code]]},
                tenant_id=self.coop))
        eventually(lambda: count_rows(self.db, "activities") >= len(self.members))

    def get(self, path: str, headers=None, expect=200, **params):
        response = self.http.get(f"{self.url}/{path}", params=params, headers=headers or self.staff())
        assert response.status_code == expect, response.text
        return response.json()

    def invoice(self, code, day, ref, net, vat=0, expect=201, **extra):
        return self.post("invoices", {"activity_code": code, "date": day, "piece_ref": ref,
                                      "label": f"Facture {ref}", "net_cents": net,
                                      "vat_cents": vat, **extra}, expect=expect)

    def payment(self, code, day, ref, amount, vat=None, expect=201, **extra):
        return self.post("payments", {"activity_code": code, "date": day, "piece_ref": ref,
                                      "label": f"Encaissement {ref}", "amount_cents": amount,
                                      "vat_cents": vat, **extra}, expect=expect)

    def budget(self, code) -> dict:
        return self.get(f"activities/{code}/balance")


@pytest.fixture
def ledger(start_service, amqp_uri, http, token):
    service = start_service(LedgerService)
    return Ledger(service, http, token, amqp_uri, str(uuid.uuid4()))
