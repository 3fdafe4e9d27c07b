"""One test per journey of the network operator in the portal, in Chromium, against the
real services (network_journeys.py drives the browser; here, what the services say it must
show, and what they hold afterwards).

These tests register cooperatives (each with a SIREN of its own) and start the network's
payroll of January 2025 (seed_network.PERIOD): before every month the other tests run, it
starts nothing in Les Ateliers (payroll skips it: later months have their runs), and its
runs complete at once (nobody has a salary then)."""

from __future__ import annotations

import importlib.util
import random
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import requests

from caekit import auth
from caekit.config import Settings
from caekit.testing import eventually

_SPEC = importlib.util.spec_from_file_location(
    "seed_network_of_the_tests", Path(__file__).resolve().parent / "seed_network.py")
seed_network = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(seed_network)
PERIOD, luhn_siren = seed_network.PERIOD, seed_network.luhn_siren
YEAR = 2026  # conftest's: Les Ateliers' staff start March's run


def _ops() -> str:
    return auth.mint("ops", roles=["network_operator"],
                     settings=Settings(service="test", database_url="sqlite://"))


def _cooperatives(world) -> list[dict]:
    response = requests.get(f"{world.urls['members']}/cooperatives", params={"limit": 1000},
                            headers={"Authorization": f"Bearer {_ops()}"}, timeout=30)
    assert response.ok, response.text
    return response.json()["items"]


def _percent(rate: str) -> str:
    shown = f"{(Decimal(rate) * 100).normalize():f}".replace(".", ",")
    return f"{shown}\u00a0%"


def _runs(world, coop, staff, period):
    response = requests.get(f"{world.urls['payroll']}/cooperatives/{coop}/payroll-runs",
                            params={"period": period},
                            headers={"Authorization": f"Bearer {staff}"}, timeout=30)
    assert response.ok, response.text
    return response.json()["items"]


def _network_runs(world, period) -> list[dict]:
    """Payroll's network reading of ``period`` (the operator's GET /payroll-runs)."""
    response = requests.get(f"{world.urls['payroll']}/payroll-runs",
                            params={"period": period, "limit": 1000},
                            headers={"Authorization": f"Bearer {_ops()}"}, timeout=30)
    assert response.ok, response.text
    assert response.json()["next_cursor"] is None
    return response.json()["items"]


def _next_month_but_one() -> str:
    today = date.today()
    month = today.month + 2
    return f"{today.year + (month - 1) // 12:04d}-{(month - 1) % 12 + 1:02d}"


def test_network_see_the_cooperatives_listed(world, journeys):
    listed = _cooperatives(world)
    expected = [{"name": c["name"], "siren": c["siren"], "legal_form": c["legal_form"],
                 "rate": _percent(c["default_contribution_rate"])} for c in listed]
    found = journeys("network_cooperatives", expected=expected)
    assert sorted(found["names"]) == sorted(c["name"] for c in listed)


def test_network_register_a_cooperative_after_a_siren_refused(world, journeys):
    siren = luhn_siren(random.Random())
    name = f"Coopérative Essai {uuid.uuid4().hex[:6].upper()}"
    found = journeys("network_register", coop_name=name, siren=siren)
    registered = [c for c in _cooperatives(world) if c["siren"] == siren]
    assert len(registered) == 1 and registered[0]["id"] == found["id"]
    assert (registered[0]["name"], registered[0]["legal_form"],
            registered[0]["default_contribution_rate"], registered[0]["staff_size_bracket"]) \
        == (name, "SCIC-SAS", "0.0950", "11_to_49")
    assert "123456789" not in {c["siren"] for c in _cooperatives(world)}
    assert "clé de Luhn" in found["siren_error"]


def test_network_start_a_payroll_month_and_see_it_by_cooperative(world, journeys):
    seeded = world.extra["network"]
    found = journeys("network_payroll", too_far=_next_month_but_one(),
                     march=f"mars {YEAR}", march_period=f"{YEAR}-03")
    runs = _runs(world, seeded["coop"], seeded["staff"], PERIOD)
    assert len(runs) == 1
    run = eventually(lambda: (lambda r: r[0]["status"] == "completed" and r[0])(
        _runs(world, seeded["coop"], seeded["staff"], PERIOD)), timeout=60, interval=0.2,
        message="the network's January run: not completed within 60 s")
    assert (run["expected"], run["issued"]) == (0, 0)
    assert [(o["member_id"], o["reason"]) for o in run["left_out"]] == [
        (seeded["member"], "salary.none")]
    assert _runs(world, world.coop, world.staff, PERIOD) == []  # Les Ateliers: skipped
    assert found["outcomes"][seeded["coop"]] == "started"
    assert found["outcomes"][world.coop] == "skipped"
    assert set(found["outcomes"]) == {c["id"] for c in _cooperatives(world)}
    assert "au plus pour le mois prochain" in found["too_far"]
    # a new sign-in reads the month's runs from payroll, and a month the staff started
    network_runs = _network_runs(world, PERIOD)
    assert found["read_again"] == {run["cooperative_id"]: run["status"] for run in network_runs}
    assert found["read_again"][seeded["coop"]] == "completed"
    assert found["polled"] >= 1
    march = _runs(world, world.coop, world.staff, f"{YEAR}-03")
    assert found["march_status"] in {run["status"] for run in march}


def test_network_see_each_services_health(world, journeys):
    for url in world.urls.values():
        assert requests.get(f"{url}/health/ready", timeout=10).ok
    assert journeys("network_health")["rows"] == 5


def test_network_an_entrepreneur_or_the_staff_get_the_403_page_and_the_operator_elsewhere(
        world, journeys):
    journeys("network_forbidden")


def test_network_a_form_posted_without_its_csrf_token_is_refused_and_writes_nothing(world,
                                                                                     journeys):
    siren = luhn_siren(random.Random())
    journeys("network_csrf", coop_name="Coopérative Sans Jeton", siren=siren)
    assert siren not in {c["siren"] for c in _cooperatives(world)}
