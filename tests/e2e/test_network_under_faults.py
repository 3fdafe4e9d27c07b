"""A quarter of a network of ten cooperatives, every service and relay a process of its own,
while each of them is killed with SIGKILL in turn, RabbitMQ restarts and PostgreSQL
restarts; then, from the stores: nothing lost, nothing done twice, the books right.

    CAE_TEST_DB=postgresql .venv/bin/python -m pytest tests/e2e -s

It stops and starts the machine's RabbitMQ application and PostgreSQL server: it must not
run beside another suite using them (``make test`` runs the suites one after the other).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from caekit.config import Settings
from caekit.testing import backend, free_ports
from tests.e2e.invariants import (
    budget_trail,
    check_events,
    check_ledger,
    check_payroll,
    quiet,
)
from tests.e2e.platform import SERVICES, Platform
from tests.e2e.scenario import COOPERATIVES, MONTHS, PEOPLE, Api, Network

pytestmark = [
    pytest.mark.broker_outage,
    pytest.mark.skipif(backend() != "postgresql",
                       reason="the e2e suite runs on PostgreSQL (CAE_TEST_DB=postgresql, as "
                              "`make test` sets it): it restarts the database server"),
]

SUMMARY = Path(__file__).resolve().parents[2] / "var" / "e2e" / "summary.txt"
LOGS = SUMMARY.parent / "logs"  # every process's output, of the last run
# where each fault is caused: by name, at a point of the scenario where it hurts
FAULTS = ("members-relay", "members", "ledger", "ledger-relay", "payroll", "RabbitMQ",
          "payroll-relay", "PostgreSQL", "governance", "governance-relay", "matching",
          "matching-relay")


@pytest.mark.timeout(1500)
def test_a_quarter_of_the_network_under_faults(amqp_uri, database_url):
    started = time.monotonic()
    databases = {service: database_url(service) for service in SERVICES}
    shutil.rmtree(LOGS, ignore_errors=True)  # the last run's logs are kept for a look
    LOGS.mkdir(parents=True)
    platform = Platform(amqp_uri, databases, free_ports(2 * len(SERVICES)), LOGS)
    caused = []

    def fault(name: str) -> None:
        platform.settle()  # one fault at a time: the previous one has recovered
        caused.append(name)
        if name == "RabbitMQ":
            platform.restart_rabbitmq()
        elif name == "PostgreSQL":
            platform.restart_postgresql()
        else:
            platform.kill(name)

    api = Api(platform, Settings(service="e2e", database_url="sqlite://"))
    network = Network(api, fault)
    platform.start()
    try:
        network.register()
        network.wait_activities()
        for month in MONTHS:
            faults = {1: {5: "ledger", 30: "ledger-relay"}, 2: {3: "RabbitMQ"},
                      3: {10: "PostgreSQL"}}[month]
            network.business(month, faults)
            api.until("payroll's budgets are not the ledger's",
                      lambda month=month: network.budgets_agree(month),
                      explain=lambda: (network.disagreement[:2], budget_trail(
                          databases, network.disagreement[0], network.disagreement[1])))
            if month == MONTHS[0]:
                network.choose_salaries()
            network.start_runs(month, network_wide=month == 2,
                               fault={1: "payroll", 2: "payroll-relay"}.get(month))
            network.wait_runs(month)
        network.hold_assembly()
        network.tender()
        platform.settle()
        before, after = network.check_new_rate()
        load_seconds = time.monotonic() - started
        api.until("the platform is not quiet", lambda: quiet(databases, amqp_uri) is None,
                  timeout=300)
    finally:
        platform.stop()

    assert not platform.crashes, f"processes exited by themselves: {platform.crashes}"
    assert caused == list(FAULTS), caused
    assert [p.starts for p in platform.processes.values()] == [2] * len(platform.processes)
    assert (before, after) == (10_000, 8_000), "10 % before the adopted date, 8 % from it"
    assert network.assembly["resolutions"][0]["status"] == "adopted", network.assembly
    assert network.assembly["resolutions"][0]["result"]["counts"]["for_votes"] == 4, network.assembly
    assert [m["answer"] for m in network.proposal["members"]].count("accepted") == 1

    events = check_events(databases, amqp_uri)
    ledger = check_ledger(databases["ledger"])
    payslips = check_payroll(databases["payroll"], databases["ledger"],
                             COOPERATIVES * PEOPLE, len(MONTHS), ledger["budgets"])

    lines = [f"e2e: {COOPERATIVES} cooperatives, {COOPERATIVES * PEOPLE} entrepreneurs, "
          f"{len(MONTHS)} months in {load_seconds:.0f} s; {api.stats['requests']} HTTP requests; "
          f"{events['events published']} events published, {events['events handled']} "
          f"handled once each; {ledger['entries']} ledger entries; {payslips} payslips"]
    lines += [f"e2e fault: {item.what:<24} recovered in {item.seconds:5.1f} s"
              for item in platform.faults]
    lines += [f"e2e client: {what}: {count}" for what, count in sorted(api.stats.items())
              if what != "requests"]
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))
