"""What the network pages' browser tests need in the world, seeded through the services'
HTTP APIs after members, ledger and payroll (conftest.py): a cooperative of the network
with one CESA holder and no salary chosen, whom a network's payroll month leaves out.

The network month the tests start is January 2025 (``PERIOD``): the earliest month with
payroll rates, before every month the other tests run (March and April 2026 for Les
Ateliers, which payroll then skips: a later month has its run). Nobody has a salary in
January 2025, so every run it starts completes at once and blocks no later month."""

from __future__ import annotations

import random
import time
import uuid

import requests

PERIOD = "2025-01"
NAME = "Coopérative Réseau Essai"


def luhn_siren(rng: random.Random) -> str:
    """A random SIREN whose Luhn key is right."""
    body = [rng.randint(0, 9) for _ in range(8)]
    body[0] = rng.randint(1, 9)
    for last in range(10):
        digits = body + [last]
        total = 0
        for index, digit in enumerate(reversed(digits)):
            if index % 2 == 1:
                digit *= 2
                if digit > 9:
                    digit -= 9
            total += digit
        if total % 10 == 0:
            return "".join(map(str, digits))
    raise AssertionError("unreachable")


def _post(url, body, tok):
    response = requests.post(url, json=body, timeout=30, headers={
        "Authorization": f"Bearer {tok}", "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code in (200, 201), f"{url}: {response.status_code} {response.text}"
    return response.json()


def seed(world, urls: dict, token) -> dict:
    """token(subject, roles, coop=None) mints a test token; the dict returned reaches
    the journeys as world["network"]."""
    members, payroll = urls["members"], urls["payroll"]
    ops = token("ops", ["network_operator"])
    siren = luhn_siren(random.Random())
    coop = _post(f"{members}/cooperatives", {
        "name": NAME, "siren": siren, "legal_form": "SCIC-SAS",
        "default_contribution_rate": "0.0800"}, ops)["id"]
    staff = token("carla", ["staff"], coop)
    member = _post(f"{members}/cooperatives/{coop}/members", {
        "first_name": "Nina", "last_name": "Réseau", "email": "nina@example.org",
        "joined_on": "2024-11-04", "activity_code": "NINA", "activity_name": "Atelier Nina"},
        staff)["id"]
    _post(f"{members}/cooperatives/{coop}/members/{member}/contracts",
          {"kind": "CESA", "signed_on": "2024-12-02"}, staff)
    deadline = time.monotonic() + 90
    while True:  # payroll knows the cooperative and the CESA holder (from members' events)
        headers = {"Authorization": f"Bearer {staff}"}
        known = requests.get(f"{payroll}/cooperatives/{coop}/employees/{member}",
                             headers=headers, timeout=30)
        settings = requests.get(f"{payroll}/cooperatives/{coop}/payroll-settings",
                                headers=headers, timeout=30)
        if (known.ok and known.json().get("cesa_from") and known.json().get("activity_code")
                and settings.ok and settings.json().get("siren") == siren):
            break
        assert time.monotonic() < deadline, f"payroll never knew {NAME}: {known.text}"
        time.sleep(0.2)
    return {"coop": coop, "name": NAME, "siren": siren, "member": member, "period": PERIOD,
            "staff": staff}
