"""make bench-kit: what the kit's guarantees cost, against the broker's own limit.

In one run, on the same broker (a fresh vhost) and the same database engine:
  (a) raw kombu: a producer publishes N persistent events, a consumer acks each;
      no database, no framework: the broker's limit on this machine;
  (b) raw kombu with one single-row INSERT + COMMIT per event (a naive consumer);
  (c) the kit: N committed outbox rows -> relay (batched publisher confirms,
      mandatory) -> reliable handler (contract validation, inbox, one effect row
      per event, batched commits and acks), timed from the first publish to the
      last commit.
Each rate is the median of --rounds rounds (3). Prints the three rates and, last,
ratio=<c/a>. Targets: c >= b and c/a >= 0.5.

    .venv/bin/python bench/bench_kit.py [--events 20000] [--db postgresql|sqlite]
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

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PG_ADMIN = os.environ.get("CAE_BENCH_PG_URL", "postgresql://cae:cae@127.0.0.1:5432/postgres")
AMQP_BASE = os.environ.get("CAE_BENCH_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
EVENT = "cae.members.member_joined.v1"
EFFECTS_DDL = ("CREATE TABLE effects (id {pk}, event_id VARCHAR(36) NOT NULL, "
               "cooperative_id VARCHAR(36) NOT NULL, first_name VARCHAR(100) NOT NULL)")


class Base(DeclarativeBase):
    pass


class Effect(Base):
    """The consumer's effect: one row per event, in (b) and (c) alike."""

    __tablename__ = "effects"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    cooperative_id: Mapped[str] = mapped_column(String(36))
    first_name: Mapped[str] = mapped_column(String(100))


# -- helpers ------------------------------------------------------------------------
def vhost_uri(name: str) -> str:
    from caekit.testing import management

    try:
        management("DELETE", f"vhosts/{name}")
    except Exception:  # noqa: BLE001 - absent
        pass
    management("PUT", f"vhosts/{name}")
    management("PUT", f"permissions/{name}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
    return AMQP_BASE.rstrip("/") + "/" + name


def fresh_database(kind: str, name: str, tmp: str) -> str:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{tmp}/{name}.db{suffix}"):
                os.remove(f"{tmp}/{name}.db{suffix}")
        return f"sqlite:///{tmp}/{name}.db"
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def create_tables(url: str, kit_tables: bool) -> None:
    from sqlalchemy import text

    from caekit.db import make_engine
    from caekit.tables import create_kit_tables

    engine = make_engine(url)
    pk = "INTEGER PRIMARY KEY AUTOINCREMENT" if url.startswith("sqlite") else "BIGSERIAL PRIMARY KEY"
    with engine.begin() as conn:
        conn.execute(text(EFFECTS_DDL.format(pk=pk)))
        if kit_tables:
            create_kit_tables(conn)
    engine.dispose()


def count(url: str, table: str) -> int:
    from sqlalchemy import text

    from caekit.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return value


def events(n: int) -> list[dict]:
    from cae_contracts import build_event

    coop = str(uuid.uuid4())
    return [build_event(EVENT, {"member_id": str(uuid.uuid4()), "cooperative_id": coop,
                                "first_name": f"P{i}", "last_name": "Bench",
                                "joined_on": "2026-01-05"}, tenant_id=coop) for i in range(n)]


def spawn(*args, env=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-W", "ignore", __file__, *args], stdout=subprocess.PIPE,
                            env={**os.environ, **(env or {})}, cwd=ROOT, text=True)


def wait_until(predicate, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: not ready after {seconds} s")
        time.sleep(0.1)


def wait_line(proc: subprocess.Popen, prefix: str) -> str:
    for line in proc.stdout:
        if line.startswith(prefix):
            return line.strip()
    raise SystemExit(f"bench: child exited ({proc.wait()}) before printing {prefix!r}")


# -- (a) and (b): raw kombu consumer in a child process --------------------------------
def consume_each(amqp: str, queue: str, n: int, handle=None) -> None:
    """Consume ``n`` messages, ``handle(body)`` each (if given), ack each; prints READY
    when consuming and ``DONE <time of the last ack>`` at the end."""
    import amqp as pyamqp  # noqa: F401 - imported for its transport
    from kombu import Connection

    state = {"n": 0, "last": 0.0}
    with Connection(amqp) as conn:
        conn.connect()
        channel = conn.connection.channel()
        channel.queue_declare(queue, durable=True, auto_delete=False)
        channel.basic_qos(0, 400, False)

        def on_message(message):
            if handle is not None:
                handle(json.loads(message.body))
            channel.basic_ack(message.delivery_tag)
            state["n"] += 1
            state["last"] = time.time()

        channel.basic_consume(queue, callback=on_message)
        print("READY", flush=True)
        while state["n"] < n:
            conn.connection.drain_events(timeout=120)
    print(f"DONE {state['last']}", flush=True)


def raw_consumer(amqp: str, queue: str, n: int, database: str | None) -> None:
    handle = None
    if database:
        from sqlalchemy import text

        from caekit.db import make_engine

        engine = make_engine(database)
        insert = text("INSERT INTO effects (event_id, cooperative_id, first_name) "
                      "VALUES (:event_id, :cooperative_id, :first_name)")

        def handle(body):
            with engine.begin() as db:  # one row, one commit, per event
                db.execute(insert, {"event_id": body["id"], "cooperative_id": body["tenantid"],
                                    "first_name": body["data"]["first_name"]})

    consume_each(amqp, queue, n, handle)


def run_raw(amqp: str, bodies: list[dict], database: str | None, spawn_child=None) -> float:
    """(a) or (b): publish ``bodies`` to a child's raw consumer; events per second."""
    import amqp as pyamqp
    from kombu import Connection

    queue = f"bench-raw-{uuid.uuid4().hex[:6]}"
    child = (spawn_child or spawn)("raw-consumer", amqp, queue, str(len(bodies)), database or "")
    wait_line(child, "READY")
    payloads = [json.dumps(b) for b in bodies]
    with Connection(amqp) as conn:
        conn.connect()
        channel = conn.connection.channel()
        started = time.time()
        for body, payload in zip(bodies, payloads, strict=True):
            channel.basic_publish(pyamqp.Message(payload, delivery_mode=2, message_id=body["id"],
                                                 type=body["type"]), "", queue)
    last = float(wait_line(child, "DONE").split()[1])
    child.wait(60)
    return len(bodies) / (last - started)


# -- (c): the kit -----------------------------------------------------------------------
def kit_consumer(amqp: str, database: str) -> None:
    import eventlet

    eventlet.monkey_patch()
    from nameko.containers import ServiceContainer

    from caekit.config import Settings
    from caekit.handlers import ReliableHandler, reliable_handler
    from caekit.service import ServiceBase

    class BenchConsumer(ServiceBase):
        name = "bench"

        @reliable_handler(EVENT)
        def on_member_joined(self, event):  # the same row as (b), through the unit of work
            self.db.add(Effect(event_id=event.id, cooperative_id=event.tenant_id,
                               first_name=event.data["first_name"]))

    settings = Settings(service="bench", database_url=database, amqp_uri=amqp,
                        http_port=int(os.environ.get("BENCH_PORT", "0")) or _free_port(),
                        relay_in_process=False)
    container = ServiceContainer(BenchConsumer, settings.nameko_config())
    container.start()
    handler = next(e for e in container.extensions if isinstance(e, ReliableHandler))
    handler.ready.wait(30)
    print("READY", flush=True)
    import signal

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping:  # a blocking stdin read would stall eventlet's hub
        eventlet.sleep(0.1)
    container.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_kit(amqp: str, bodies: list[dict], publisher_db: str, consumer_db: str) -> float:
    from sqlalchemy import insert

    from caekit.config import Settings
    from caekit.db import make_engine, make_session_factory
    from caekit.relay import Relay
    from caekit.tables import outbox_table

    engine = make_engine(publisher_db)
    now = time.time()
    from datetime import UTC, datetime

    rows = [{"event_id": b["id"], "event_type": b["type"], "exchange": "members.events",
             "tenant_id": b["tenantid"], "body": json.dumps(b, separators=(",", ":")),
             "created_at": datetime.fromtimestamp(now, UTC), "attempts": 0} for b in bodies]
    with engine.begin() as conn:  # committed outbox rows, as the services leave them
        for i in range(0, len(rows), 5000):
            conn.execute(insert(outbox_table), rows[i : i + 5000])

    child = spawn("kit-consumer", amqp, consumer_db)
    wait_line(child, "READY")
    relay = Relay("members", make_session_factory(engine), amqp, batch=Settings.relay_batch)
    relay.connect()
    started = time.time()
    sent = 0
    while sent < len(bodies):
        sent += relay.relay_once()
    relay.close()
    from sqlalchemy import text

    watcher = make_engine(consumer_db)
    with watcher.connect() as conn:  # one connection: a new one per poll costs the server CPU
        while conn.execute(text("SELECT count(*) FROM effects")).scalar_one() < len(bodies):
            conn.commit()
            time.sleep(0.02)
    finished = time.time()
    watcher.dispose()
    child.terminate()
    child.wait(60)
    engine.dispose()
    assert count(consumer_db, "inbox") == len(bodies)
    return len(bodies) / (finished - started)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "raw-consumer":
        raw_consumer(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] or None)
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "kit-consumer":
        kit_consumer(sys.argv[2], sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", 20000)))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)),
                        help="each rate is the median of this many rounds")
    parser.add_argument("--db", choices=("postgresql", "sqlite"),
                        default=os.environ.get("BENCH_DB", "postgresql"))
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    amqp = vhost_uri("cae_bench")
    tmp = tempfile.mkdtemp(prefix="cae-bench-")
    bodies = events(args.events)
    print(f"bench-kit: {args.events} events of ~{len(json.dumps(bodies[0]))} B, "
          f"{args.rounds} rounds, database {args.db}, broker {AMQP_BASE.split('@')[-1]}",
          flush=True)

    rates = {"a": [], "b": [], "c": []}
    for round_ in range(args.rounds):
        rates["a"].append(run_raw(amqp, bodies, None))
        naive_db = fresh_database(args.db, "cae_bench_naive", tmp)
        create_tables(naive_db, kit_tables=False)
        rates["b"].append(run_raw(amqp, bodies, naive_db))
        publisher = fresh_database(args.db, "cae_bench_outbox", tmp)
        consumer = fresh_database(args.db, "cae_bench_inbox", tmp)
        create_tables(publisher, kit_tables=True)
        create_tables(consumer, kit_tables=True)
        rates["c"].append(run_kit(amqp, bodies, publisher, consumer))
        print(f"  round {round_ + 1}: " + ", ".join(f"{k}={v[-1]:.0f}/s" for k, v in rates.items()),
              flush=True)
    a, b, c = (statistics.median(rates[k]) for k in "abc")
    print(f"(a) broker limit, raw kombu, ack each:               {a:8.0f} events/s (median)")
    print(f"(b) raw kombu + INSERT/COMMIT per event:            {b:8.0f} events/s (median)")
    print(f"(c) kit: outbox -> relay -> handler+inbox -> commit: {c:8.0f} events/s (median)")
    print(f"c/b={c / b:.2f} (target >= 1)")
    print(f"ratio={c / a:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
