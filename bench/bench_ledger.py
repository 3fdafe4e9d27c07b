"""make bench-ledger: what the ledger's postings cost, against the broker and a naive consumer.

Part 1, the balance query: an activity's budget read as the service reads it (its
maintained row) with 10,000 and with 1,000,000 entries in the books, beside the naive
sum over the activity's lines (what the maintained row avoids). The entries are
bulk-inserted in SQL to get there in seconds: only the queries' times are measured. Prints the times and
``balance_ratio=<t(1M)/t(10k)>`` (1.0: the same time).

Part 2, in one run on the same broker (a fresh vhost) and the same database engine,
N payment events (``cae.bank.payment_received.v1``) over 20 activities:
  (a) raw kombu consuming and acking them, no database: the broker's limit;
  (b) raw kombu doing, per event, the same writes as the service (payment entry and
      lines, contribution entry and lines, balance upserts, year counter, the four
      events out in the outbox) with one commit per event;
  (c) the ledger service (``cae run ledger``: reliable handler, inbox, batches, relay
      publishing the entries and balance events), from the first publish to the last
      payment committed.
Each rate is the median of --rounds rounds. Prints the rates, c/a, and last
``ratio=<c/b>`` (target >= 1).

    .venv/bin/python bench/bench_ledger.py [--events 10000] [--rounds 3] [--db postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import func, select, text

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_kit import consume_each, fresh_database, run_raw, vhost_uri, wait_until  # noqa: E402

from cae_contracts import build_event  # noqa: E402
from cae_ledger.adapters.store import EntryLine  # noqa: E402
from cae_ledger.domain.contribution import contribution_for  # noqa: E402
from cae_ledger.domain.schedules import DEFAULT_SCHEDULE  # noqa: E402
from cae_ledger.usecases.books import Books  # noqa: E402
from caekit.db import acting_session, make_engine, make_session_factory  # noqa: E402
from caekit.migrations import upgrade  # noqa: E402
from caekit.period import Period  # noqa: E402

EVENT = "cae.bank.payment_received.v1"
ACTIVITIES = [f"ACT{i:02d}" for i in range(20)]
RATE = DEFAULT_SCHEDULE  # what the service charges a cooperative without a schedule


def spawn(*args, env=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-W", "ignore", __file__, *args], stdout=subprocess.PIPE,
                            env={**os.environ, **(env or {})}, cwd=ROOT, text=True)


def ledger_database(kind: str, name: str, tmp: str, coop: str) -> str:
    """A migrated ledger database with the cooperative's chart and activities."""
    url = fresh_database(kind, name, tmp)
    upgrade("ledger", url)
    engine = make_engine(url)
    with acting_session(make_session_factory(engine), coop, "bench") as session:
        books = Books(session, coop)
        for code in ACTIVITIES:
            books.open_activity(code, code, str(uuid.uuid4()), str(uuid.uuid4()), date(2025, 1, 1))
        session.execute(text("DELETE FROM outbox"))
        session.commit()
        engine.dispose()
    return url


def payments(n: int, coop: str) -> list[dict]:
    return [build_event(EVENT, {
        "payment_id": str(uuid.uuid4()), "cooperative_id": coop,
        "activity_code": ACTIVITIES[i % len(ACTIVITIES)],
        "received_on": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", "amount_cents": 1200 + i,
        "vat_cents": 200, "invoice_ref": None, "bank_reference": f"VIR-{i}", "label": None},
        tenant_id=coop) for i in range(n)]


def publish(amqp: str, bodies: list[dict], exchange: str, routing_key: str | None) -> float:
    import amqp as pyamqp
    from kombu import Connection

    with Connection(amqp) as conn:
        conn.connect()
        channel = conn.connection.channel()
        started = time.time()
        for body in bodies:
            channel.basic_publish(pyamqp.Message(
                json.dumps(body), content_type="application/cloudevents+json", delivery_mode=2,
                message_id=body["id"], type=body["type"]), exchange, routing_key or body["type"])
        channel.close()
    return started


# -- (a) and (b): a raw kombu consumer in a child process --------------------------------------
NAIVE_SQL = {
    "entry": "INSERT INTO entries (id, cooperative_id, journal, entry_date, period, fiscal_year, "
             "piece_ref, piece_date, label, kind, activity_code, revenue_cents, total_cents, "
             "reverses, origin_entry, posted_at, posted_by, caused_by_event) VALUES (:id, :coop, "
             ":journal, :day, :period, :year, :ref, :day, :label, :kind, :code, :revenue, :total, "
             "NULL, :origin, :now, 'bench', :event) RETURNING seq",
    "line": "INSERT INTO entry_lines (cooperative_id, entry_seq, account, general_account, "
            "activity_code, debit_cents, credit_cents) VALUES (:coop, :seq, :account, :general, "
            ":code, :debit, :credit)",
    "balance": "INSERT INTO account_balances (cooperative_id, account, analytic, period, "
               "debit_cents, credit_cents) VALUES (:coop, :account, :analytic, :period, :debit, "
               ":credit) ON CONFLICT (cooperative_id, account, analytic, period) DO UPDATE SET "
               "debit_cents = account_balances.debit_cents + excluded.debit_cents, "
               "credit_cents = account_balances.credit_cents + excluded.credit_cents",
    "year": "INSERT INTO activity_years (cooperative_id, activity_code, year, revenue_cents) "
            "VALUES (:coop, :code, :year, :revenue) ON CONFLICT (cooperative_id, activity_code, "
            "year) DO UPDATE SET revenue_cents = activity_years.revenue_cents + "
            "excluded.revenue_cents RETURNING revenue_cents",
    "activity": "INSERT INTO activity_balances (cooperative_id, activity_code, cash_received_cents, "
                "contribution_cents, expenses_cents, salary_costs_cents, updated_at) VALUES (:coop, "
                ":code, :cash, :contribution, 0, 0, :now) ON CONFLICT (cooperative_id, "
                "activity_code) DO UPDATE SET cash_received_cents = "
                "activity_balances.cash_received_cents + excluded.cash_received_cents, "
                "contribution_cents = activity_balances.contribution_cents + "
                "excluded.contribution_cents, updated_at = excluded.updated_at "
                "RETURNING cash_received_cents, contribution_cents",
    "outbox": "INSERT INTO outbox (event_id, event_type, exchange, tenant_id, body, created_at, "
              "attempts) VALUES (:id, :type, 'ledger.events', :coop, :body, :now, 0)",
}


def naive_posting(db, sql, body: dict) -> None:
    """Per event, the rows the service writes, with plain SQL; the caller commits."""
    data, coop, now = body["data"], body["tenantid"], datetime.now(UTC)
    day = date.fromisoformat(data["received_on"])
    code, amount = data["activity_code"], data["amount_cents"]
    revenue = amount - data["vat_cents"]
    period = int(Period.of(day))

    def entry(kind, journal, lines, total, revenue_cents=0, origin=None):
        entry_id = str(uuid.uuid4())
        seq = db.execute(sql["entry"], {
            "id": entry_id, "coop": coop, "journal": journal, "day": day, "period": period,
            "year": day.year, "ref": data["bank_reference"], "label": kind, "kind": kind,
            "code": code, "revenue": revenue_cents, "total": total, "origin": origin, "now": now,
            "event": body["id"]}).scalar_one()
        for account, debit, credit, analytic in lines:
            db.execute(sql["line"], {"coop": coop, "seq": seq, "account": account,
                                     "general": account.split("-")[0], "code": analytic,
                                     "debit": debit, "credit": credit})
            db.execute(sql["balance"], {"coop": coop, "account": account, "analytic": analytic or "",
                                        "period": period, "debit": debit, "credit": credit})
        db.execute(sql["outbox"], {"id": str(uuid.uuid4()), "type": "cae.ledger.entry_posted.v1",
                                   "coop": coop, "body": json.dumps({"entry": entry_id}), "now": now})
        return entry_id

    payment = entry("payment", "BQ", [("512", amount, 0, code), (f"411-{code}", 0, amount, code)],
                    amount, revenue)
    after = db.execute(sql["year"], {"coop": coop, "code": code, "year": day.year,
                                     "revenue": revenue}).scalar_one()
    charged = contribution_for(RATE, after - revenue, revenue)
    entry("contribution", "OD", [("658", charged, 0, code), ("758", 0, charged, None)], charged,
          origin=payment)
    db.execute(sql["outbox"], {"id": str(uuid.uuid4()), "type": "cae.ledger.contribution_charged.v1",
                               "coop": coop, "body": "{}", "now": now})
    budget = db.execute(sql["activity"], {"coop": coop, "code": code, "cash": revenue,
                                          "contribution": charged, "now": now}).one()
    db.execute(sql["outbox"], {"id": str(uuid.uuid4()),
                               "type": "cae.ledger.activity_balance_changed.v1", "coop": coop,
                               "body": json.dumps({"available": budget[0] - budget[1]}), "now": now})


def raw_consumer(amqp: str, queue: str, n: int, database: str | None) -> None:
    handle = None
    if database:
        engine = make_engine(database)
        sql = {name: text(statement) for name, statement in NAIVE_SQL.items()}

        def handle(body):
            with engine.begin() as db:  # one commit per event
                naive_posting(db, sql, body)

    consume_each(amqp, queue, n, handle)


# -- (c): the ledger service ------------------------------------------------------------------
def run_service(amqp: str, bodies: list[dict], database: str) -> float:
    from kombu import Connection

    from caekit.testing import free_port, is_ready, spawn_service

    port = free_port()
    with Connection(amqp) as conn:  # a subscriber to the ledger's events, so that they route
        conn.connect()
        channel = conn.connection.channel()
        channel.exchange_declare("ledger.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare("bench-ledger-sink", durable=False, auto_delete=False)
        channel.queue_bind("bench-ledger-sink", "ledger.events", "#")
    service = spawn_service("ledger", amqp, database, port)
    wait_until(lambda: is_ready(port), 60)
    started = publish(amqp, bodies, "bank.events", None)
    engine = make_engine(database)
    with engine.connect() as conn:
        while conn.execute(text("SELECT count(*) FROM entries WHERE kind = 'payment'")).scalar_one() \
                < len(bodies):
            conn.commit()
            time.sleep(0.02)
    finished = time.time()
    service.terminate()
    service.wait(60)
    engine.dispose()
    with Connection(amqp) as conn:
        conn.connect()
        conn.connection.channel().queue_delete("bench-ledger-sink")
    return len(bodies) / (finished - started)


# -- part 1: the balance query ---------------------------------------------------------------
def fill_entries(url: str, coop: str, upto: int) -> None:
    """Bulk-insert entries (a payment of 2 lines each, spread over the activities) up to ``upto``."""
    engine = make_engine(url)
    with engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM entries")).scalar_one()
        if url.startswith("sqlite"):
            series = ("WITH RECURSIVE s(i) AS (SELECT :start UNION ALL SELECT i + 1 FROM s "
                      "WHERE i < :stop) ")
            source, code = "FROM s", "printf('ACT%02d', i % 20)"
        else:
            series = ""
            source = "FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS s(i)"
            code = "'ACT' || lpad(CAST(i % 20 AS text), 2, '0')"
        for start in range(have, upto, 100_000):
            stop = min(upto, start + 100_000) - 1
            conn.execute(text(
                series + "INSERT INTO entries (id, cooperative_id, journal, entry_date, period, "
                "fiscal_year, piece_ref, piece_date, label, kind, activity_code, revenue_cents, "
                "total_cents, posted_at, posted_by) SELECT 'e-' || i, :coop, 'BQ', :day, 202603, "
                "2026, 'VIR-' || i, :day, 'bench', 'payment', " + code + ", "
                "1000, 1200, :now, 'bench' " + source),
                {"start": start, "stop": stop, "coop": coop, "day": date(2026, 3, 1),
                 "now": datetime.now(UTC)})
            conn.execute(text(
                "INSERT INTO entry_lines (cooperative_id, entry_seq, account, general_account, "
                "activity_code, debit_cents, credit_cents) SELECT cooperative_id, seq, '512', '512', "
                "activity_code, 1200, 0 FROM entries WHERE seq > :after UNION ALL SELECT "
                "cooperative_id, seq, '411-' || activity_code, '411', activity_code, 0, 1200 "
                "FROM entries WHERE seq > :after"), {"after": conn.execute(text(
                    "SELECT COALESCE(MAX(entry_seq), 0) FROM entry_lines")).scalar_one()})
    if not url.startswith("sqlite"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def time_queries(url: str, coop: str, repeat: int) -> tuple[float, float]:
    """Median seconds of (the service's budget read, a naive sum over the activity's lines)."""
    engine = make_engine(url)
    maintained, summed = [], []
    with acting_session(make_session_factory(engine), coop, "bench") as session:
        for i in range(repeat):
            code = ACTIVITIES[i % len(ACTIVITIES)]
            started = time.perf_counter()
            Books(session, coop).budget(code)
            maintained.append(time.perf_counter() - started)
            session.rollback()  # no per-transaction cache across reads
            if i % 10 == 0:
                started = time.perf_counter()
                session.execute(select(func.sum(EntryLine.debit_cents - EntryLine.credit_cents))
                                .where(EntryLine.activity_code == code,
                                       EntryLine.general_account == "512")).scalar()
                summed.append(time.perf_counter() - started)
    engine.dispose()
    return statistics.median(maintained), statistics.median(summed)


def balance_part(kind: str, tmp: str) -> None:
    coop = str(uuid.uuid4())
    url = ledger_database(kind, "cae_bench_ledger_balance", tmp, coop)
    results = {}
    for size in (10_000, 1_000_000):
        started = time.time()
        fill_entries(url, coop, size)
        results[size] = time_queries(url, coop, 2000)
        print(f"  {size:>9,} entries (filled in {time.time() - started:.0f} s): budget read "
              f"{results[size][0] * 1e3:.3f} ms, naive sum over lines "
              f"{results[size][1] * 1e3:.3f} ms", flush=True)
    small, large = results[10_000], results[1_000_000]
    print(f"naive_sum_ratio={large[1] / small[1]:.1f} (the sum grows with the lines)")
    print(f"balance_ratio={large[0] / small[0]:.2f} (1.0: the same time at 10k and 1M entries)",
          flush=True)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "raw-consumer":
        raw_consumer(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] or None)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", 10000)))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)))
    parser.add_argument("--db", choices=("postgresql", "sqlite"),
                        default=os.environ.get("BENCH_DB", "postgresql"))
    parser.add_argument("--skip-balance", action="store_true", help="only part 2")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    tmp = tempfile.mkdtemp(prefix="cae-bench-ledger-")
    if not args.skip_balance:
        print(f"bench-ledger part 1: an activity's balance query, database {args.db}", flush=True)
        balance_part(args.db, tmp)
    amqp = vhost_uri("cae_bench_ledger")
    coop = str(uuid.uuid4())
    bodies = payments(args.events, coop)
    print(f"bench-ledger part 2: {args.events} payment events over {len(ACTIVITIES)} activities, "
          f"{args.rounds} rounds, database {args.db}", flush=True)
    rates = {"a": [], "b": [], "c": []}
    for round_ in range(args.rounds):
        rates["a"].append(run_raw(amqp, bodies, None, spawn))
        rates["b"].append(run_raw(amqp, bodies, ledger_database(args.db, "cae_bench_ledger_naive",
                                                                tmp, coop), spawn))
        rates["c"].append(run_service(amqp, bodies, ledger_database(
            args.db, "cae_bench_ledger_service", tmp, coop)))
        print(f"  round {round_ + 1}: " + ", ".join(f"{k}={v[-1]:.0f}/s" for k, v in rates.items()),
              flush=True)
    a, b, c = (statistics.median(rates[k]) for k in "abc")
    print(f"(a) broker limit, raw kombu, ack each:                 {a:8.0f} events/s (median)")
    print(f"(b) raw kombu + the service's writes, commit per event: {b:8.0f} events/s (median)")
    print(f"(c) the ledger service (inbox, batches, outbox relay):  {c:8.0f} events/s (median)")
    print(f"c/a={c / a:.2f}")
    print(f"ratio={c / b:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
