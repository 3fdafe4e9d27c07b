"""RabbitMQ stopped: the API keeps accepting writes into the outbox; when it is back, events flow.

This stops the real broker application (``rabbitmqctl stop_app``) and starts it
again, so it must not run beside other users of the same broker.
"""

from __future__ import annotations

import subprocess

import pytest

from cae_ledger.entrypoints.service import LedgerService
from cae_members.entrypoints.service import MembersService
from cae_payroll.entrypoints.service import PayrollService
from caekit.testing import bearer, count_rows, eventually

pytestmark = pytest.mark.broker_outage


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def test_writes_are_accepted_while_the_broker_is_down_and_flow_when_it_is_back(
        start_service, http, token):
    ledger = start_service(LedgerService)
    payroll = start_service(PayrollService)  # binds member_joined, which the ledger does not read
    members = start_service(MembersService)
    operator = bearer(token("ops", "network_operator"))
    assert http.get(f"{members.url}/health/ready").json()["checks"]["broker"]["ok"] is True

    rabbitmqctl("stop_app")
    try:
        response = http.post(f"{members.url}/cooperatives", headers=operator,
                             json={"name": "Oxalis", "siren": "732829320", "legal_form": "SCOP-SA"})
        assert response.status_code == 201, response.text
        coop = response.json()["id"]
        staff = bearer(token("alice", "staff", coop))
        for i in range(3):
            response = http.post(f"{members.url}/cooperatives/{coop}/members", headers=staff, json={
                "first_name": f"E{i}", "last_name": "Martin", "email": f"e{i}@example.org",
                "joined_on": "2026-01-05", "activity_code": f"ACT{i}"})
            assert response.status_code == 201, response.text
        ready = http.get(f"{members.url}/health/ready")
        assert ready.status_code == 200, "the database is up: the service still takes writes"
        body = ready.json()
        assert body["status"] == "degraded"
        assert body["checks"]["broker"]["ok"] is False
        # one cooperative_registered, then member_joined.v2 + activity_opened per member
        assert body["checks"]["outbox"]["backlog"] == 7
        assert count_rows(members.settings.database_url, "outbox", "WHERE sent_at IS NULL") == 7
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")

    eventually(lambda: count_rows(ledger.settings.database_url, "activities") == 3, timeout=90,
               message="events did not flow after the broker came back")
    eventually(lambda: count_rows(members.settings.database_url, "outbox",
                                  "WHERE sent_at IS NULL") == 0, timeout=30)
    eventually(lambda: http.get(f"{members.url}/health/ready").json()["status"] == "ok", timeout=30)
    staff = bearer(token("alice", "staff", coop))
    codes = [a["code"] for a in http.get(f"{ledger.url}/cooperatives/{coop}/activities",
                                         headers=staff).json()["items"]]
    assert codes == ["ACT0", "ACT1", "ACT2"]
    eventually(lambda: count_rows(payroll.settings.database_url, "employees",
                                  "WHERE last_name = 'Martin' AND activity_code LIKE 'ACT%'") == 3)
