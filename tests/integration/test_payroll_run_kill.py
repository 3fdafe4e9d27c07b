"""A payroll run over 3 cooperatives with 2 workers, one added during the run and the other
killed mid-run (real broker and databases): every payslip exists exactly once, every run
completes, and the ledger's salary entries match the payslips to the cent."""

from __future__ import annotations

import signal
import subprocess
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import text

from cae_ledger.entrypoints.service import LedgerService
from cae_ledger.usecases.books import Books
from cae_payroll.usecases import runs
from caekit.db import acting_session, make_engine, make_session_factory
from caekit.testing import count_rows, eventually, free_port, is_ready, spawn_service

PER_COOPERATIVE = 700


def seed(payroll_url: str, ledger_url: str, cooperatives: list[str]) -> None:
    """Entrepreneurs under CESA with budgets and salaries (payroll), their activities (ledger)."""
    now = datetime.now(UTC)
    engine = make_engine(payroll_url)
    with engine.begin() as conn:
        for coop in cooperatives:
            conn.execute(text("INSERT INTO payroll_settings (cooperative_id, staff, at_rate) "
                              "VALUES (:c, 20, '0.0125')"), {"c": coop})
            for i in range(PER_COOPERATIVE):
                member, code = str(uuid.uuid4()), f"A{i:04d}"
                conn.execute(text(
                    "INSERT INTO employees (cooperative_id, member_id, activity_code, cesa_from, "
                    "cadre, withholding_rate) VALUES (:c, :m, :a, :f, :cadre, :rate)"),
                    {"c": coop, "m": member, "a": code, "f": date(2025, 3, 1),
                     "cadre": i % 5 == 0, "rate": "0.045" if i % 3 else "0"})
                conn.execute(text(
                    "INSERT INTO salary_choices (cooperative_id, member_id, period, gross_cents, "
                    "employer_cost_cents, available_cents, chosen_by, chosen_at) VALUES "
                    "(:c, :m, 202601, :g, 0, 0, 'seed', :now)"),
                    {"c": coop, "m": member, "g": 182_307 + 1_371 * i, "now": now})
    engine.dispose()
    engine = make_engine(ledger_url)
    for coop in cooperatives:
        with acting_session(make_session_factory(engine), coop, "seed") as session:
            books = Books(session, coop)
            for i in range(PER_COOPERATIVE):
                books.open_activity(f"A{i:04d}", None, str(uuid.uuid4()), str(uuid.uuid4()),
                                    date(2025, 3, 1))
            session.commit()
    engine.dispose()


def start_runs(url: str, cooperatives: list[str]) -> None:
    engine = make_engine(url)
    for coop in cooperatives:
        with acting_session(make_session_factory(engine), coop, "alice") as session:
            runs.start_run(session, coop, 202601)
            session.commit()
    engine.dispose()


def test_a_run_survives_a_killed_worker_and_the_ledger_matches_the_payslips(
        start_service, amqp_uri, database_url):
    ledger = start_service(LedgerService)
    payroll_url = database_url("payroll")
    cooperatives = [str(uuid.uuid4()) for _ in range(3)]
    seed(payroll_url, ledger.settings.database_url, cooperatives)
    ports = [free_port(), free_port()]
    # the first worker kills itself (SIGKILL) on its 3rd batch commit: mid-run,
    # with work items in hand that the broker then gives to the other worker, which is
    # added once the run has started
    workers = [spawn_service("payroll", amqp_uri, payroll_url, ports[0], CAE_RELAY_POLL_SECONDS="0.2",
                             CAE_FAILPOINTS="handler.before_commit=kill@3")]
    try:
        eventually(lambda: is_ready(ports[0]), timeout=60)
        total = PER_COOPERATIVE * len(cooperatives)
        start_runs(payroll_url, cooperatives)  # as `cae payroll run` does
        eventually(lambda: count_rows(payroll_url, "outbox", "WHERE sent_at IS NOT NULL AND "
                                      "event_type = 'cae.payroll.payslip_requested.v1'") > 0,
                   timeout=60, interval=0.05)  # the run is under way
        workers.append(spawn_service("payroll", amqp_uri, payroll_url, ports[1],
                                     CAE_RELAY_POLL_SECONDS="0.2"))  # added during the run
        assert workers[0].wait(timeout=120) == -signal.SIGKILL  # died mid-run
        killed_at = count_rows(payroll_url, "payslips")
        assert killed_at < total, "the kill came too late to prove anything"
        eventually(lambda: count_rows(payroll_url, "runs", "WHERE status = 'completed'") == 3,
                   timeout=300, interval=0.5)
        eventually(lambda: count_rows(ledger.settings.database_url, "entries",
                                      "WHERE kind = 'salary'") == total, timeout=300, interval=0.5)
    finally:
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
    assert count_rows(payroll_url, "payslips") == total
    assert count_rows(payroll_url, "runs", f"WHERE issued = {PER_COOPERATIVE}") == 3
    payroll_db, ledger_db = make_engine(payroll_url), make_engine(ledger.settings.database_url)
    try:
        with payroll_db.connect() as conn:
            slips = {(c, a): (g, ec, n, u, o, t) for c, a, g, ec, n, u, o, t in conn.execute(text(
                "SELECT cooperative_id, activity_code, gross_cents, employer_contributions_cents, "
                "net_paid_cents, urssaf_cents, other_bodies_cents, withholding_tax_cents "
                "FROM payslips"))}
        with ledger_db.connect() as conn:
            rows = conn.execute(text(
                "SELECT cooperative_id, activity_code, general_account, SUM(debit_cents), "
                "SUM(credit_cents) FROM entry_lines GROUP BY cooperative_id, activity_code, "
                "general_account")).all()
        posted: dict = {}
        for coop, activity, account, debit, credit in rows:
            posted.setdefault((coop, activity), {})[account] = int(debit) - int(credit)
        assert len(slips) == total
        for key, (gross, employer, net_paid, urssaf, other, tax) in slips.items():
            accounts = posted[key]
            assert accounts["641"] == gross and accounts.get("645", 0) == employer, key
            assert accounts["421"] == -net_paid and accounts["431"] == -urssaf, key
            assert accounts["437"] == -other and accounts.get("4421", 0) == -tax, key
    finally:
        payroll_db.dispose()
        ledger_db.dispose()
    print(f"killed a worker with {killed_at} of {total} payslips issued")
