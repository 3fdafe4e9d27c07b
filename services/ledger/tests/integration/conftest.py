"""A running ledger with a cooperative and activities opened by members' events."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

import pytest

from cae_contracts import build_event
from cae_ledger.entrypoints.service import LedgerService
from caekit.testing import bearer, count_rows, eventually, publish_raw

_keys = itertools.count()


@dataclass
class Ledger:
    """Helpers over a started ledger service and one cooperative."""

    service: object
    http: object
    token: object
    amqp_uri: str
    coop: str
    members: dict = field(default_factory=dict)  # activity code -> member id

    @property
    def url(self) -> str:
        return f"{self.service.url}/cooperatives/{self.coop}"

    @property
    def db(self) -> str:
        return self.service.settings.database_url

    def staff(self) -> dict:
        return bearer(self.token("alice", "staff", self.coop))

    def owner(self, code: str) -> dict:
        return bearer(self.token(self.members[code], "entrepreneur", self.coop))

    def open(self, *codes: str) -> None:
        for code in codes:
            self.members[code] = str(uuid.uuid4())
            publish_raw(self.amqp_uri, build_event("cae.members.activity_opened.v1", {
                "activity_id": str(uuid.uuid4()), "cooperative_id": self.coop, "code": code,
                "name": code.title(), "opened_on": "2025-01-01", "member_ids": [self.members[code]]},
                tenant_id=self.coop))
        eventually(lambda: count_rows(self.db, "activities") >= len(self.members))

    def post(self, path: str, body: dict, key: str | None = None, headers=None, expect=201):
        key = key or f"k{next(_keys)}-{uuid.uuid4().hex[:8]}"
        response = self.http.post(f"{self.url}/{path}", json=body,
                                  headers={**(headers or self.staff()), "Idempotency-Key": key})
        assert response.status_code == expect, response.text
        return response.json()

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
