"""make bench-governance: votes cast through the governance API, against a bare endpoint.

One run, PostgreSQL, one broker vhost, each service a process of its own:
  - the governance service (``cae run governance``, its relay in process) and a bare
    service (a nameko class defined here on the same kit: ``ServiceBase``, a caekit
    ``@api`` POST with the vote endpoint's roles, bearer token, JSON body and schema
    loading, and its Idempotency-Key handling, read from the vote endpoint: today the vote
    is ``unrecorded``, so neither takes a key; doing one INSERT and one COMMIT), started
    alike (``gc.freeze()`` after start, as ``cae run``) with the same settings (nameko's
    10 workers each);
  - seeding, not timed: a cooperative of 10,000 associates and one of 1,000 from members'
    events (joined, then became associate) published in CloudEvents batch messages of
    100, waited for in governance's read model; in each, an ordinary assembly of 10
    resolutions, all open ballots (no secret one), convened 20 days ago, held a minute ago
    (it opens at its time); everyone signed in in person through the API, timed (with
    --signin-sample N, N of the large assembly's, the others written as the sign-in
    writes them), no proxies; each assembly opened by API;
  - (a) the bare endpoint and (b) the vote endpoint (POST .../assemblies/<a>/resolutions/
    <r>/votes), each of the 10,000 voters on each of the 10 resolutions: 100,000 votes,
    with the same client (--concurrency keep-alive connections, one thread each). (a) and
    (b) alternate in 10 rounds (2,000 bare requests, then one resolution's 10,000 votes),
    so that the machine's drifting speed weighs on both alike;
  - the tally: each poll's close (POST .../close, timed by the client) at 1,000 voters
    (the small assembly, after its 10,000 votes) and at 10,000 voters.
Prints both rates, the CPU a request cost each process (and the PostgreSQL backends of
each database), the closes' times and their ratio per voter (1.0: linear), and last
``ratio=<b/a>`` (target >= 0.5). About 7 minutes on the 2-core machine.

    .venv/bin/python bench/bench_governance.py [--associates 10000] [--small 1000]
        [--voted 10]  (resolutions voted on and closed in each assembly; fewer: quicker)
        [--concurrency 16] [--profile FILE]  (governance under cProfile, wall clock)
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_kit import fresh_database, vhost_uri, wait_until  # noqa: E402

RESOLUTIONS = 10
GOVERNANCE_DB, BARE_DB = "cae_bench_governance", "cae_bench_governance_bare"
CHOICES = ("for", "for", "for", "against", "abstain")  # mostly adopted
ASSOCIATE_SINCE = "2024-01-15"
BARE_DDL = ("CREATE TABLE bare_votes (cooperative_id VARCHAR(36) NOT NULL, resolution_id "
            "VARCHAR(36) NOT NULL, voter VARCHAR(36) NOT NULL, choice TEXT NOT NULL, "
            "PRIMARY KEY (resolution_id, voter))")


# -- the bare service: the kit's HTTP stack, one INSERT and one COMMIT ---------------------------
def vote_keys() -> str:
    """How the vote endpoint takes an Idempotency-Key: ``required``, ``refused`` (an
    ``unrecorded`` endpoint: a ballot keeps no record of its request) or ``optional``."""
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

    from cae_governance.entrypoints.service import GovernanceService

    (endpoint,) = getattr(GovernanceService.vote, ENTRYPOINT_EXTENSIONS_ATTR)
    if getattr(endpoint, "unrecorded", False):
        return "refused"
    return "required" if endpoint.idempotency_required else "optional"


def bare_service(amqp: str, database: str, port: int, keys: str) -> None:
    """Run in a child process whose eventlet was patched first (see ``spawn_bare``); its
    endpoint takes an Idempotency-Key as the vote endpoint does (``keys``)."""
    import gc
    from dataclasses import replace

    import eventlet
    from marshmallow import RAISE, Schema, fields, validate
    from nameko.runners import ServiceRunner
    from sqlalchemy import text

    from caekit import context
    from caekit.config import Settings
    from caekit.http import api
    from caekit.logs import configure
    from caekit.service import ServiceBase

    handling = {"required": {"idempotency_required": True}, "refused": {"unrecorded": True},
                "optional": {}}[keys]
    insert = text("INSERT INTO bare_votes (cooperative_id, resolution_id, voter, choice) "
                  "VALUES (:coop, :resolution, :voter, :choice)")

    class BareIn(Schema):
        class Meta:
            unknown = RAISE

        choice = fields.String(required=True, validate=validate.OneOf(
            ("for", "against", "abstain", "blank")))

    class BareService(ServiceBase):
        name = "bare"

        @api("POST", "/cooperatives/<cooperative_id>/bare-votes/<resolution_id>", schema=BareIn,
             roles={"staff", "admin", "entrepreneur"}, **handling)
        def bare_vote(self, request, cooperative_id, resolution_id, body):
            voter = context.caller.get().subject
            self.db.execute(insert, {"coop": cooperative_id, "resolution": resolution_id,
                                     "voter": voter, "choice": body["choice"]})
            self.db.commit()  # a key, if any, is reserved in this commit
            return 201, {"resolution_id": resolution_id, "voter": voter, "secret": False,
                         "receipt": None}

    settings = replace(Settings.from_env("bare"), database_url=database, amqp_uri=amqp,
                       http_port=port, log_level="WARNING")
    configure("bare", settings.log_level)
    runner = ServiceRunner(settings.nameko_config())
    runner.add_service(BareService)
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn(runner.stop))
    runner.start()
    gc.collect()
    gc.freeze()  # as `cae run` does
    runner.wait()


def spawn_bare(amqp: str, database: str, port: int, keys: str) -> subprocess.Popen:
    boot = ("import eventlet; eventlet.monkey_patch(); import runpy, sys; "
            f"sys.argv = [{__file__!r}, 'bare-service', {amqp!r}, {database!r}, '{port}', {keys!r}]; "
            f"runpy.run_path({__file__!r}, run_name='__main__')")
    return subprocess.Popen([sys.executable, "-W", "ignore", "-c", boot], cwd=ROOT,
                            env={**os.environ, "CAE_LOG_LEVEL": "WARNING"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bare_database(tmp: str) -> str:
    from sqlalchemy import text

    from caekit.db import make_engine
    from caekit.tables import create_kit_tables

    url = fresh_database("postgresql", BARE_DB, tmp)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(BARE_DDL))
        create_kit_tables(conn)
    engine.dispose()
    return url


# -- the governance service --------------------------------------------------------------------
def spawn_governance(amqp: str, database: str, port: int, profile: str | None) -> subprocess.Popen:
    """``cae run governance`` as spawn_service starts it; under cProfile with ``profile``."""
    command = [sys.executable, "-W", "ignore"]
    if profile:
        command += ["-m", "cProfile", "-o", profile]
    command += ["-m", "caekit.cli", "run", "governance"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={
                                **os.environ, "CAE_DATABASE_URL": database, "CAE_AMQP_URI": amqp,
                                "CAE_HTTP_PORT": str(port), "CAE_LOG_LEVEL": "WARNING"})


def governance_database(tmp: str) -> str:
    from caekit.migrations import upgrade

    url = fresh_database("postgresql", GOVERNANCE_DB, tmp)
    upgrade("governance", url)
    return url


def scalar(url: str, sql: str, **params):
    from sqlalchemy import text

    from caekit.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()
    finally:
        engine.dispose()


# -- seeding through members' events -----------------------------------------------------------
def publish_batches(amqp: str, events: list[dict], per_message: int = 100) -> None:
    """Events of one type, ``per_message`` to a CloudEvents batch message, confirmed."""
    import amqp as pyamqp
    from kombu import Connection

    from cae_contracts import BATCH_CONTENT_TYPE

    with Connection(amqp, connect_timeout=10) as conn:
        conn.connect()
        channel = conn.connection.channel()
        channel.exchange_declare("members.events", "topic", durable=True, auto_delete=False)
        for start in range(0, len(events), per_message):
            chunk = events[start:start + per_message]
            channel.basic_publish_confirm(pyamqp.Message(
                json.dumps(chunk), content_type=BATCH_CONTENT_TYPE, delivery_mode=2,
                message_id=chunk[0]["id"], type=chunk[0]["type"]),
                "members.events", chunk[0]["type"], confirm_timeout=30)
        channel.close()


def seed(amqp: str, url: str, cooperatives: dict[str, int]) -> dict[str, list[str]]:
    """Each cooperative registered, its people joined, then made associates (two waves:
    two handlers making the same person's row at once would retry)."""
    from cae_contracts import build_event

    people = {coop: [str(uuid.uuid4()) for _ in range(n)] for coop, n in cooperatives.items()}
    publish_batches(amqp, [build_event("cae.members.cooperative_registered.v1", {
        "cooperative_id": coop, "name": f"Coopérative {i}", "siren": "732829320",
        "legal_form": "SCOP-SARL", "registered_at": "2020-01-01T00:00:00+00:00",
        "statute_profile": "scop-sarl", "default_contribution_rate": "0.1000",
        "staff_size_bracket": "11_to_49"}, tenant_id=coop) for i, coop in enumerate(people)])
    total = sum(cooperatives.values())
    for event, where, data in (
            ("cae.members.member_joined.v2", "", lambda n: {
                "first_name": f"Associé{n:05}", "last_name": "Martin", "joined_on": "2023-01-02"}),
            ("cae.members.member_became_associate.v1", "AND associate_on IS NOT NULL",
             lambda n: {"associate_on": ASSOCIATE_SINCE})):
        publish_batches(amqp, [build_event(event, {
            "member_id": member, "cooperative_id": coop, **data(n)}, tenant_id=coop)
            for coop, members in people.items() for n, member in enumerate(members)])
        wait_until(lambda where=where: scalar(url, f"SELECT count(*) FROM people WHERE true "
                                                   f"{where}") >= total, 300)
    assert scalar(url, "SELECT count(*) FROM cooperatives") == len(cooperatives)
    return people


# -- the client: keep-alive connections, one thread each -----------------------------------------
class Client:
    def __init__(self, port: int, concurrency: int):
        self.port, self.concurrency = port, concurrency

    def run(self, calls: list[tuple[str, bytes, dict]]) -> tuple[float, Counter, list]:
        """POST every call; (seconds from the first to the last reply, statuses, each
        call's seconds)."""
        counter, errors, counts = itertools.count(), [], []
        seconds = [0.0] * len(calls)
        barrier = threading.Barrier(self.concurrency + 1)

        def work():
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            statuses = Counter()  # one a thread: Counter's += is not atomic
            counts.append(statuses)
            barrier.wait()
            while (i := next(counter)) < len(calls):
                path, body, headers = calls[i]
                started = time.perf_counter()
                conn.request("POST", path, body, headers)
                reply = conn.getresponse()
                data = reply.read()
                seconds[i] = time.perf_counter() - started
                statuses[reply.status] += 1
                if reply.status >= 300 and len(errors) < 3:
                    errors.append(f"{reply.status} {path}: {data[:300]!r}")
            conn.close()

        threads = [threading.Thread(target=work, daemon=True) for _ in range(self.concurrency)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        statuses = sum(counts, Counter())
        if errors:
            print("    errors: " + " | ".join(errors), flush=True)
        return elapsed, statuses, seconds


class Tokens:
    def __init__(self, coop: str):
        from caekit.config import Settings

        self.coop, self.settings = coop, Settings.from_env("governance")

    def headers(self, subject: str, role: str = "entrepreneur") -> dict:
        from caekit.auth import mint

        return {"Authorization": "Bearer " + mint(subject, roles=[role], cooperative_id=self.coop,
                                                  settings=self.settings),
                "Content-Type": "application/json"}


def keyed(headers: dict) -> dict:
    return {**headers, "Idempotency-Key": uuid.uuid4().hex}


def post(port: int, path: str, body: dict | None, headers: dict, expect: int) -> tuple[float, dict]:
    """One request (requests, a fresh key): its seconds and its JSON."""
    import requests

    started = time.perf_counter()
    reply = requests.post(f"http://127.0.0.1:{port}{path}", json=body or {},
                          headers=keyed(headers), timeout=600)
    elapsed = time.perf_counter() - started
    if reply.status_code != expect:
        raise SystemExit(f"bench: POST {path} -> {reply.status_code}: {reply.text[:500]}")
    return elapsed, reply.json()


def motion(n: int) -> dict:
    return {"title": f"Résolution {n}", "text": f"L'assemblée générale décide la résolution {n}.",
            "kind": "ordinary"}


def convene(port: int, coop: str, staff: dict) -> tuple[float, dict]:
    return post(port, f"/cooperatives/{coop}/assemblies", {
        "title": "Assemblée générale ordinaire annuelle", "kind": "ordinary",
        "held_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),  # opens now
        "place": "Salle du conseil, 12 rue des Tanneurs, Lyon",
        "convened_on": (date.today() - timedelta(days=20)).isoformat(),
        "resolutions": [motion(n) for n in range(1, RESOLUTIONS + 1)]}, staff, 201)


def sign_in_calls(coop: str, assembly: str, members: list[str], staff: dict) -> list:
    return [(f"/cooperatives/{coop}/assemblies/{assembly}/sign-ins",
             json.dumps({"member_id": m, "mode": "in_person"}).encode(), keyed(staff))
            for m in members]


def sign_in_directly(url: str, coop: str, assembly: str, members: list[str]) -> None:
    """The rows the API's sign-in writes (no proxy, no postal form to set aside)."""
    from cae_governance.adapters.store import SignIn
    from caekit.db import insert_rows, make_engine, make_session_factory

    engine = make_engine(url)
    now = datetime.now(UTC)
    with make_session_factory(engine)() as session:
        insert_rows(session, SignIn.__table__, [
            {"cooperative_id": coop, "assembly_id": assembly, "member_id": m,
             "mode": "in_person", "signed_at": now} for m in members])
        session.commit()
    engine.dispose()


def vote_calls(coop: str, assembly: str | None, resolution: str, voters: list[str],
               headers: dict, keys: bool, bare: bool = False) -> list:
    path = (f"/cooperatives/{coop}/bare-votes/{resolution}" if bare else
            f"/cooperatives/{coop}/assemblies/{assembly}/resolutions/{resolution}/votes")
    return [(path, json.dumps({"choice": CHOICES[i % len(CHOICES)]}).encode(),
             keyed(headers[voter]) if keys else headers[voter])
            for i, voter in enumerate(voters)]


def close_polls(port: int, coop: str, assembly: str, resolutions: list[str], staff: dict,
                voters: int) -> list[float]:
    times = []
    for resolution in resolutions:
        elapsed, result = post(port, f"/cooperatives/{coop}/assemblies/{assembly}/resolutions/"
                                     f"{resolution}/close", None, staff, 200)
        counts = result["result"]["counts"]
        assert counts["for_votes"] + counts["against"] + counts["abstain"] == voters, counts
        assert result["status"] == "adopted", result
        times.append(elapsed)
    return times


# -- CPU accounting (Linux) -----------------------------------------------------------------------
def cpu_seconds(pids: dict[str, int], databases: dict[str, str]) -> dict[str, float] | None:
    """CPU seconds so far of each named process and of the PostgreSQL backends connected to
    each named database (the services' pooled connections; others' work on this server,
    tests of other sessions, is left out)."""
    if not os.path.exists("/proc/stat"):
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def times(pid) -> tuple[str, list[int]]:
        with open(f"/proc/{pid}/stat") as f:
            head, tail = f.read().rsplit(")", 1)
        return head.split("(", 1)[1], [int(x) for x in tail.split()[11:13]]

    found = dict.fromkeys(databases, 0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            name, values = times(pid)
            if name != "postgres":
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:  # postgres: 15/main: user db host
                words = f.read().replace(b"\0", b" ").decode(errors="replace").split()
        except (OSError, ValueError):
            continue
        for label, database in databases.items():
            if database in words:
                found[label] += sum(values)
    for label, pid in pids.items():
        found[label] = sum(times(pid)[1])
    return {label: value / tick for label, value in found.items()}


# -- the run ----------------------------------------------------------------------------------------
def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "bare-service":
        bare_service(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--associates", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000, help="the second assembly's size")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--bare-per-round", type=int, default=2_000)
    parser.add_argument("--voted", type=int, default=int(os.environ.get("BENCH_VOTED", RESOLUTIONS)),
                        help="resolutions of each assembly voted on by all its associates "
                             f"(of {RESOLUTIONS}), and closed")
    parser.add_argument("--signin-sample", type=int, default=None,
                        help="sign-ins of the large assembly made through the API (default: "
                             "all; the others are written as the sign-in writes them)")
    parser.add_argument("--profile", help="run governance under cProfile, stats to this file")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    from caekit.config import Settings
    from caekit.handlers import declare_consumer_queues
    from caekit.testing import free_ports, is_ready

    began = time.time()
    tmp = tempfile.mkdtemp(prefix="cae-bench-governance-")
    amqp = vhost_uri("cae_bench_governance")
    url, bare_url = governance_database(tmp), bare_database(tmp)
    from cae_governance.entrypoints.service import GovernanceService

    declare_consumer_queues(GovernanceService, Settings(service="governance", database_url=url,
                                                        amqp_uri=amqp))
    gov_port, bare_port = free_ports(2)
    governance = spawn_governance(amqp, url, gov_port, args.profile)
    keys = vote_keys()
    bare = spawn_bare(amqp, bare_url, bare_port, keys)
    try:
        wait_until(lambda: is_ready(gov_port) and is_ready(bare_port), 60)
        return run(args, amqp, url, gov_port, bare_port, governance, bare, began, keys)
    finally:
        for process in (governance, bare):
            process.send_signal(signal.SIGTERM)
        for process in (governance, bare):
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def run(args, amqp, url, gov_port, bare_port, governance, bare, began, keys: str) -> int:
    big, small = str(uuid.uuid4()), str(uuid.uuid4())
    n, m = args.associates, args.small
    print(f"bench-governance: an assembly of {n:,} associates and one of {m:,}, {RESOLUTIONS} "
          f"open-ballot resolutions each, {args.concurrency} client connections, PostgreSQL, "
          f"{os.cpu_count()} cores; the vote endpoint's Idempotency-Key: {keys} (the bare "
          "endpoint's alike)", flush=True)
    started = time.time()
    people = seed(amqp, url, {big: n, small: m})
    print(f"  seeded {n + m:,} associates through {2 * (n + m):,} members' events (batches of "
          f"100) in {time.time() - started:.1f} s", flush=True)
    client = Client(gov_port, args.concurrency)
    tokens = {coop: Tokens(coop) for coop in (big, small)}
    staff = {coop: tokens[coop].headers("bench-staff", "staff") for coop in (big, small)}
    voter_headers = {coop: {p: tokens[coop].headers(p) for p in people[coop]}
                     for coop in (big, small)}
    assemblies = {}
    for coop in (big, small):
        elapsed, assembly = convene(gov_port, coop, staff[coop])
        assemblies[coop] = (assembly["id"], [r["id"] for r in assembly["resolutions"]])
        print(f"  convened the assembly of {len(people[coop]):,} associates in {elapsed:.2f} s",
              flush=True)

    # sign-ins: the small assembly's all through the API; a sample of the large one's
    a_small, r_small = assemblies[small]
    elapsed, statuses, _ = client.run(sign_in_calls(small, a_small, people[small], staff[small]))
    assert statuses == {201: m}, statuses
    print(f"  {m:,} sign-ins through the API (electorate of {m:,}): {elapsed:.1f} s, "
          f"{elapsed / m * 1e3:.1f} ms each", flush=True)
    a_big, r_big = assemblies[big]
    sample = people[big][:args.signin_sample or n]
    elapsed, statuses, _ = client.run(sign_in_calls(big, a_big, sample, staff[big]))
    assert statuses == {201: len(sample)}, statuses
    print(f"  {len(sample):,} sign-ins through the API (electorate of {n:,}): {elapsed:.1f} s, "
          f"{elapsed / len(sample) * 1e3:.1f} ms each"
          + (f"; the other {n - len(sample):,} written directly" if len(sample) < n else ""),
          flush=True)
    sign_in_directly(url, big, a_big, people[big][len(sample):])
    for coop, (assembly, _) in assemblies.items():
        elapsed, opened = post(gov_port, f"/cooperatives/{coop}/assemblies/{assembly}/opening",
                               {"chair": "Camille Martin", "secretary": "Lou Bernard"},
                               staff[coop], 200)
        assert opened["status"] == "open" and opened["attendance"]["in_person"] == len(
            people[coop]), opened["attendance"]
        print(f"  opened the assembly of {len(people[coop]):,} in {elapsed:.2f} s", flush=True)

    # the small assembly's votes, then its closes (1,000 voters)
    r_small, r_big = r_small[:args.voted], r_big[:args.voted]
    with_keys = keys == "required"
    calls = [c for r in r_small for c in vote_calls(small, a_small, r, people[small],
                                                    voter_headers[small], with_keys)]
    elapsed, statuses, _ = client.run(calls)
    assert statuses == {201: len(calls)}, statuses
    print(f"  {len(calls):,} votes on the assembly of {m:,}: {len(calls) / elapsed:,.0f}/s",
          flush=True)
    close_small = close_polls(gov_port, small, a_small, r_small, staff[small], m)

    # (a) and (b), alternating: a round is args.bare_per_round bare requests, then the
    # large assembly's votes on one resolution
    pids = {"governance": governance.pid, "bare": bare.pid, "client": os.getpid()}
    databases = {"its PostgreSQL backends": GOVERNANCE_DB, "bare's backends": BARE_DB}
    bare_client = Client(bare_port, args.concurrency)
    done = {"a": [0, 0.0], "b": [0, 0.0]}
    cpu = {"a": None, "b": None}
    latencies = {"a": [], "b": []}
    for round_, resolution in enumerate(r_big, 1):
        voters = people[big]
        bare_voters = [voters[(round_ * 7919 + i) % n] for i in range(args.bare_per_round)]
        for label, port_client, calls in (
                ("a", bare_client, vote_calls(big, None, f"bare-{round_}", bare_voters,
                                              voter_headers[big], with_keys, bare=True)),
                ("b", client, vote_calls(big, a_big, resolution, voters, voter_headers[big],
                                         with_keys))):
            before = cpu_seconds(pids, databases)
            elapsed, statuses, seconds = port_client.run(calls)
            after = cpu_seconds(pids, databases)
            assert statuses == {201: len(calls)}, (label, statuses)
            done[label][0] += len(calls)
            done[label][1] += elapsed
            latencies[label].extend(seconds)
            if before is not None:
                cpu[label] = {k: (cpu[label] or {}).get(k, 0) + after[k] - before[k]
                              for k in after}
        print(f"  round {round_}: (a) {done['a'][0] / done['a'][1]:,.0f}/s, (b) "
              f"{done['b'][0] / done['b'][1]:,.0f}/s (so far)", flush=True)
    close_big = close_polls(gov_port, big, a_big, r_big, staff[big], n)
    total_votes = scalar(url, "SELECT count(*) FROM votes")
    assert total_votes == args.voted * (n + m), total_votes

    a = done["a"][0] / done["a"][1]
    b = done["b"][0] / done["b"][1]
    print(f"(a) bare endpoint (the kit's HTTP stack and token, 1 INSERT + COMMIT): "
          f"{a:8,.0f} requests/s ({done['a'][0]:,} requests, p50 "
          f"{statistics.median(latencies['a']) * 1e3:.1f} ms)")
    print(f"(b) votes through the governance API: {b:8,.0f} requests/s ({done['b'][0]:,} votes: "
          f"{n:,} voters x {args.voted} resolutions, p50 "
          f"{statistics.median(latencies['b']) * 1e3:.1f} ms)")
    for label in ("a", "b"):
        if cpu[label] is not None:
            print(f"    CPU a request during ({label}), {os.cpu_count()} cores: " + ", ".join(
                f"{k} {v / done[label][0] * 1e6:.0f} us" for k, v in cpu[label].items()))
    t1, t10 = statistics.median(close_small), statistics.median(close_big)
    print(f"tally (close of a poll, median of {args.voted}): {m:,} voters {t1 * 1e3:.0f} ms "
          f"({', '.join(f'{t * 1e3:.0f}' for t in close_small)}); {n:,} voters "
          f"{t10 * 1e3:.0f} ms ({', '.join(f'{t * 1e3:.0f}' for t in close_big)})")
    print(f"tally_ratio={t10 / t1:.2f} (time({n // 1000}k)/time({m // 1000}k); <= {n / m:.0f} is "
          f"linear or better), per voter {t10 / n / (t1 / m):.2f} (1.0: linear)")
    print(f"whole bench: {time.time() - began:.0f} s")
    print(f"ratio={b / a:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
