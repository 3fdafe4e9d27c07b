"""make bench-payroll: the payslip engine against OpenFisca, and a network-wide run.

(1) The engine on 10,000 payslips (random gross from 1,900 EUR to 10 PMSS, cadre or
    not, staff 5/20/50/250, March 2026) against openfisca-france's vectorised
    computation of the same 10,000 payslips (every line variable, building the
    simulation included, the tax-benefit system loaded beforehand), in the same run.
(2) A payroll run of 100,000 payslips over 1,000 cooperatives (100 entrepreneurs each),
    persisted with their lines and events, through the payroll service with 1 and with
    2 workers (``cae run payroll`` processes, the relay in a process of its own), from
    the network operator starting the month (committed 50 cooperatives at a time) to the
    last run completed; against the limit of the same computation plus a bulk insert of
    the payslips without the service (one COPY, the fastest way into PostgreSQL), measured
    just before and just after each run, the faster of the two kept.

The last-but-one line is ``engine_ratio=<openfisca_time/engine_time>`` (target >= 1),
the last ``ratio=<run/limit>`` of the better of the two runs (target >= 0.5).

    .venv/bin/python bench/bench_payroll.py [--payslips 100000] [--db postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import insert, select, text

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)
from bench_kit import fresh_database, vhost_uri, wait_until  # noqa: E402

from cae_payroll.adapters.lines import lines_json  # noqa: E402
from cae_payroll.adapters.store import Employee as EmployeeRow  # noqa: E402
from cae_payroll.adapters.store import PayrollSettings, Run, SalaryChoice  # noqa: E402
from cae_payroll.adapters.store import Payslip as PayslipRow  # noqa: E402
from cae_payroll.domain.engine import Employee, payslip  # noqa: E402
from cae_payroll.usecases.runs import start_network_runs  # noqa: E402
from caekit.db import acting_session, insert_rows, make_engine, make_session_factory  # noqa: E402
from caekit.migrations import upgrade  # noqa: E402

MARCH = date(2026, 3, 1)
STAFF = (5, 20, 50, 250)


def cases(n: int, seed: int = 1) -> list[tuple[int, bool, int]]:
    """Full-time grosses from 1,900 EUR (above the SMIC of 151.67 h, 1,823.07 EUR in March
    2026, below which a run leaves a salary out) to 10 PMSS."""
    rng = random.Random(seed)
    return [(rng.randint(190_000, 4_005_000), rng.random() < 0.3, rng.choice(STAFF))
            for _ in range(n)]


# -- (1) the engine against OpenFisca --------------------------------------------------------
def engine_part(n: int) -> float:
    from services.payroll.tests.unit.oracle import compute, tax_benefit_system

    grid = cases(n)
    started = time.perf_counter()
    tax_benefit_system()
    load = time.perf_counter() - started
    oracle_input = [{"gross": Decimal(g) / 100, "cadre": c, "staff": s, "month": "2026-03"}
                    for g, c, s in grid]
    compute(oracle_input[:100])  # warm
    started = time.perf_counter()
    compute(oracle_input)
    openfisca = time.perf_counter() - started
    employees = {(c, s): Employee(cadre=c, staff=s) for _, c, s in grid}
    payslip(MARCH, 250_000, Employee())  # warm (rate tables loaded)
    started = time.perf_counter()
    for gross, cadre, staff in grid:
        payslip(MARCH, gross, employees[(cadre, staff)])
    ours = time.perf_counter() - started
    print(f"(1) {n:,} payslips: OpenFisca {openfisca:.3f} s ({openfisca / n * 1e6:.1f} us each; "
          f"loading it {load:.1f} s, not counted), the engine {ours:.3f} s "
          f"({ours / n * 1e6:.1f} us each)", flush=True)
    return openfisca / ours


# -- (2) a network-wide run ------------------------------------------------------------------
def seed(url: str, cooperatives: list[str], per: int) -> None:
    engine = make_engine(url)
    now, grid = datetime.now(UTC), cases(len(cooperatives) * per, seed=2)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox"))
        conn.execute(insert(PayrollSettings), [
            {"cooperative_id": c, "staff": STAFF[i % 4], "at_rate": "0.0125"}
            for i, c in enumerate(cooperatives)])
        employees, choices = [], []
        for i, coop in enumerate(cooperatives):
            for j in range(per):
                gross, cadre, _ = grid[i * per + j]
                member = str(uuid.uuid4())
                employees.append({"cooperative_id": coop, "member_id": member,
                                  "activity_code": f"A{j:03d}", "cesa_from": date(2025, 1, 1),
                                  "cadre": cadre, "withholding_rate": "0.05"})
                choices.append({"cooperative_id": coop, "member_id": member, "period": 202603,
                                "gross_cents": gross, "employer_cost_cents": 0, "available_cents": 0,
                                "chosen_by": "bench", "chosen_at": now})
        for rows, model in ((employees, EmployeeRow), (choices, SalaryChoice)):
            for k in range(0, len(rows), 10_000):
                conn.execute(insert(model), rows[k:k + 10_000])
    if url.startswith("postgresql"):  # with statistics, as autovacuum keeps a network's tables:
        # loaded a second ago, they would be planned as empty ones
        with engine.begin() as conn:
            for table in ("payroll_settings", "employees", "salary_choices"):
                conn.execute(text(f"ANALYZE {table}"))
    engine.dispose()


def start_runs(url: str) -> None:
    """A network operator starts the month for every cooperative (POST /payroll-runs)."""
    engine = make_engine(url)
    with acting_session(make_session_factory(engine), None, "ops", {"network_operator"}) as session:
        start_network_runs(session, 202603, commit=session.commit)
        session.commit()
    engine.dispose()


def subscribe_sink(amqp: str) -> None:
    """A subscriber to what payroll publishes (the ledger, in production): without one, the
    events are unroutable, kept in the outbox and retried, and the relay churns. Its queue
    keeps the latest 10 MB (~10,000 events), as the queue of a subscriber that keeps up
    would hold few: a queue growing to 100,000 events costs the broker (on this machine's
    two cores, shared with the service) more than a subscriber consuming them would."""
    from kombu import Connection

    with Connection(amqp) as conn:
        conn.connect()
        channel = conn.connection.channel()
        channel.exchange_declare("payroll.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare("bench-payroll-sink", durable=False, auto_delete=False,
                              arguments={"x-max-length-bytes": 10_000_000})
        for event in ("payslip_issued", "run_started", "run_completed"):
            channel.queue_bind("bench-payroll-sink", "payroll.events", f"cae.payroll.{event}.v1")


def run_part(kind: str, tmp: str, n_workers: int, cooperatives: list[str], per: int) -> float:
    from caekit.testing import free_port, is_ready, spawn_service

    url = fresh_database(kind, f"cae_bench_payroll_{n_workers}", tmp)
    upgrade("payroll", url)
    seed(url, cooperatives, per)
    amqp = vhost_uri(f"cae_bench_payroll_{n_workers}")
    subscribe_sink(amqp)
    # as in production (deploy/components/relay-separate): the outbox relay in a process
    # of its own, the workers only consume and compute
    ports = [free_port() for _ in range(n_workers)]
    workers = [spawn_service("payroll", amqp, url, port, CAE_RELAY_IN_PROCESS="false")
               for port in ports]
    workers.append(spawn_service("payroll", amqp, url, free_port(), command="relay"))
    for port in ports:
        wait_until(lambda port=port: is_ready(port), 60)
    total = len(cooperatives) * per
    cpu_before = _cpu_seconds(workers)
    started = time.time()
    start_runs(url)
    runs_started = time.time() - started
    engine = make_engine(url)
    with engine.connect() as conn:
        query = select(Run.id).where(Run.status == "running").limit(1)
        while conn.execute(query).first() is not None:  # every 20 ms: the end to within it
            conn.commit()
            time.sleep(0.02)
        issued = conn.execute(text("SELECT count(*) FROM payslips")).scalar_one()
    finished = time.time()
    cpu_after = _cpu_seconds(workers)
    engine.dispose()
    for process in workers:
        process.send_signal(signal.SIGTERM)
    for process in workers:
        process.wait(60)
    assert issued == total, f"{issued} payslips issued of {total}"
    rate = total / (finished - started)
    print(f"(2) run, {n_workers} worker(s): {total:,} payslips in {finished - started:.1f} s: "
          f"{rate:,.0f} payslips/s (starting the {len(cooperatives):,} runs: {runs_started:.1f} s)",
          flush=True)
    if cpu_before is not None:
        used = {name: (cpu_after[name] - cpu_before[name]) / total * 1e6 for name in cpu_before}
        print("    CPU a payslip during the run: " + ", ".join(
            f"{name} {us:.0f} us" for name, us in used.items()) + f" (this machine: {os.cpu_count()} "
            "cores; 'all' is every process, this script and the system included)", flush=True)
    return rate


def _cpu_seconds(processes) -> dict | None:
    """CPU seconds used so far by the workers, the relay, PostgreSQL (its backends, the
    ended ones included), the broker and the whole machine (Linux)."""
    if not os.path.exists("/proc/stat"):
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def times(pid) -> tuple[str, list[int]]:
        with open(f"/proc/{pid}/stat") as f:  # utime, stime, cutime, cstime after the name
            head, tail = f.read().rsplit(")", 1)
        return head.split("(", 1)[1], [int(x) for x in tail.split()[11:15]]

    by_name = {"postgres": 0, "beam.smp": 0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            name, (utime, stime, cutime, cstime) = times(pid)
        except (OSError, ValueError):
            continue  # ended meanwhile
        if name in by_name:
            by_name[name] += utime + stime + cutime + cstime
    with open("/proc/stat") as f:
        busy = [int(x) for x in f.readline().split()[1:]]
    return {"workers": sum(sum(times(p.pid)[1][:2]) for p in processes[:-1]) / tick,
            "relay": sum(times(processes[-1].pid)[1][:2]) / tick,
            "PostgreSQL": by_name["postgres"] / tick, "broker": by_name["beam.smp"] / tick,
            "all": (sum(busy) - busy[3] - busy[4]) / tick}  # all but idle and iowait


def limit_part(kind: str, tmp: str, cooperatives: list[str], per: int) -> float:
    """The same computation, then one bulk insert of the payslips, no service."""
    url = fresh_database(kind, "cae_bench_payroll_limit", tmp)
    upgrade("payroll", url)
    grid = cases(len(cooperatives) * per, seed=2)
    now = datetime.now(UTC)
    started = time.time()
    rows = []
    for i, coop in enumerate(cooperatives):
        for j in range(per):
            gross, cadre, _ = grid[i * per + j]
            slip = payslip(MARCH, gross, Employee(cadre=cadre, staff=STAFF[i % 4],
                                                  at_rate=Decimal("0.0125"),
                                                  withholding_rate=Decimal("0.05")))
            rows.append({
                "id": str(uuid.uuid4()), "cooperative_id": coop, "run_id": "bench",
                "member_id": str(uuid.uuid4()), "activity_code": f"A{j:03d}", "period": 202603,
                "cadre": cadre, "gross_cents": slip.gross_cents,
                "employee_contributions_cents": slip.employee_contributions_cents,
                "employer_contributions_cents": slip.employer_contributions_cents,
                "net_social_cents": slip.net_social_cents, "net_taxable_cents": slip.net_taxable_cents,
                "net_before_tax_cents": slip.net_before_tax_cents, "withholding_rate": "0.05",
                "withholding_tax_cents": slip.withholding_tax_cents,
                "net_paid_cents": slip.net_paid_cents, "employer_cost_cents": slip.employer_cost_cents,
                "urssaf_cents": slip.urssaf_cents, "other_bodies_cents": slip.other_bodies_cents,
                "reduction_coefficient": str(slip.reduction_coefficient),
                "lines": lines_json(slip), "year_gross_cents": slip.gross_cents,
                "issued_at": now})
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        insert_rows(session, PayslipRow, rows)  # the kit's bulk insert: COPY on PostgreSQL
        session.commit()
    finished = time.time()
    engine.dispose()
    rate = len(rows) / (finished - started)
    print(f"(2) limit: the same computation + a bulk insert: {len(rows):,} in "
          f"{finished - started:.1f} s: {rate:,.0f} payslips/s", flush=True)
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine-payslips", type=int, default=10_000)
    parser.add_argument("--payslips", type=int, default=int(os.environ.get("BENCH_PAYSLIPS", 100_000)))
    parser.add_argument("--per-cooperative", type=int, default=100)
    parser.add_argument("--db", choices=("postgresql", "sqlite"),
                        default=os.environ.get("BENCH_DB", "postgresql"))
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    tmp = tempfile.mkdtemp(prefix="cae-bench-payroll-")
    engine_ratio = engine_part(args.engine_payslips)
    cooperatives = [str(uuid.uuid4()) for _ in range(args.payslips // args.per_cooperative)]
    print(f"(2) {args.payslips:,} payslips over {len(cooperatives):,} cooperatives, database "
          f"{args.db}", flush=True)
    # each run against the limit measured just before and just after it, the faster of
    # the two: this machine's speed drifts (up to 1.5x within minutes, other tenants of
    # its host), so a limit measured minutes away from a run would compare two machines
    limits = [limit_part(args.db, tmp, cooperatives, args.per_cooperative)]
    ratios = {}
    for n_workers in (1, 2):
        rate = run_part(args.db, tmp, n_workers, cooperatives, args.per_cooperative)
        limits.append(limit_part(args.db, tmp, cooperatives, args.per_cooperative))
        ratios[n_workers] = rate / max(limits[-2:])
    print(f"run/limit: 1 worker {ratios[1]:.2f}, 2 workers {ratios[2]:.2f} (the limits: "
          + ", ".join(f"{limit:,.0f}/s" for limit in limits) + ")")
    print(f"engine_ratio={engine_ratio:.2f}")
    print(f"ratio={max(ratios.values()):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
