"""make bench-portal: the entrepreneur's home page under 50 concurrent sessions, against the
same API calls made directly, in the same run.

One run, PostgreSQL, one broker vhost, each a process of its own:
  - members, ledger and payroll (``cae run <service>``, relays in process, as
    caekit.testing's ``spawn_service`` starts them) on fresh databases migrated with
    ``caekit.migrations.upgrade``; the portal (``cae run portal``, CAE_ENV=development:
    its demo sign-in page) pointed at them;
  - seeding through the APIs, not timed: a cooperative, 50 entrepreneurs (``--people``),
    each with a quarter of books (January to March: an invoice, its payment and an expense
    a month), a CESA, March's salary; March's payroll run, waited for until the ledger has
    posted every salary;
  - 50 sessions signed in through the demo sign-in page (GET /connexion for the session's
    CSRF token, POST /connexion as the person; each client keeps its cookie);
  - (a) the portal: 50 clients (a thread and a keep-alive http.client connection each,
    with its session's cookie), each requesting the home page (GET /accueil, where GET /
    sends a signed-in entrepreneur) again and again for ``--seconds``; (b) direct: the
    same 50 clients doing exactly the API calls the home page makes
    (``cae_portal.usecases.pages.home``: the ledger's activity balance, the activity's
    entries page by page, the year's income statement; the three at once, as the portal's
    ``gather`` runs them, each on a keep-alive connection of its own) against the ledger
    with the same claims in their tokens (minted here as the demo sign-in mints them).
    (a) and (b) alternate in ``--rounds`` rounds after a warm-up of each, so that the
    machine's drifting speed weighs on both alike.
Prints each side's pages/s, p50 and p95 (a page: one GET of the portal; three calls,
from the first sent to the last answered, directly), the CPU a page cost the portal, the
ledger and the clients' own process, and last ``ratio=<portal p95 / direct p95>``
(target <= 1.5). About 2 minutes on the 2-core machine.

    .venv/bin/python bench/bench_portal.py [--people 50] [--clients 50] [--seconds 10]
        [--rounds 3] [--profile FILE]  (the portal under cProfile)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_kit import fresh_database, vhost_uri, wait_until  # noqa: E402

VHOST = "cae_bench_portal"
DATABASES = {s: f"cae_bench_portal_{s}" for s in ("members", "ledger", "payroll")}
YEAR = 2026
MONTHS = (1, 2, 3)  # a quarter of books
PAGE = 1000  # cae_portal.adapters.services.PAGE
COOKIE = "cae_session"  # cae_portal.adapters.sessions.COOKIE


# -- processes -----------------------------------------------------------------------------
def start_services(amqp: str, urls: dict[str, str], ports: dict[str, int]) -> dict:
    from caekit.testing import spawn_service

    return {name: spawn_service(name, amqp, urls[name], ports[name],
                                CAE_ENV_FILE="", CAE_RELAY_POLL_SECONDS="0.1")
            for name in ("members", "ledger", "payroll")}


def start_portal(port: int, services: dict[str, str], log: str,
                 profile: str | None = None) -> subprocess.Popen:
    """``cae run portal``; under cProfile with ``profile`` (written when it stops on SIGINT)."""
    env = {**os.environ, "CAE_ENV": "development", "CAE_PORTAL_HTTP_PORT": str(port),
           "CAE_ENV_FILE": "", "CAE_LOG_LEVEL": "WARNING",
           **{f"CAE_PORTAL_{s.upper()}_URL": u for s, u in services.items()}}
    command = [sys.executable, "-W", "ignore"]
    if profile:
        command += ["-m", "cProfile", "-o", profile]
    return subprocess.Popen([*command, "-m", "caekit.cli", "run", "portal"], cwd=ROOT, env=env, stdout=open(log, "w"),  # noqa: SIM115
                            stderr=subprocess.STDOUT)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc); this one's for its own pid."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- seeding through the APIs ----------------------------------------------------------------
def token(subject: str, roles: list[str], coop: str | None = None) -> str:
    from caekit.auth import mint
    from caekit.config import Settings

    return mint(subject, roles=roles, cooperative_id=coop, settings=Settings.from_env("portal"),
                ttl_seconds=8 * 3600)


def post(http, url: str, body: dict, tok: str) -> dict:
    reply = http.post(url, json=body, timeout=60, headers={
        "Authorization": f"Bearer {tok}", "Idempotency-Key": uuid.uuid4().hex})
    if reply.status_code not in (200, 201, 202):
        raise SystemExit(f"bench: POST {url} -> {reply.status_code}: {reply.text[:500]}")
    return reply.json()


def get(http, url: str, tok: str, **params):
    return http.get(url, params=params, timeout=60, headers={"Authorization": f"Bearer {tok}"})


def seed(urls: dict[str, str], people: int) -> tuple[str, list[dict]]:
    import requests

    members, ledger, payroll = urls["members"], urls["ledger"], urls["payroll"]
    http = requests.Session()
    coop = post(http, f"{members}/cooperatives", {
        "name": "Coopérative du banc d'essai", "siren": "732829320", "legal_form": "SCOP-SARL",
        "default_contribution_rate": "0.1000"}, token("ops", ["network_operator"]))["id"]
    staff = token("alice", ["staff"], coop)
    books = f"{ledger}/cooperatives/{coop}"

    def person(n: int) -> dict:
        s = requests.Session()
        code = f"ACT{n:03d}"
        member = post(s, f"{members}/cooperatives/{coop}/members", {
            "first_name": f"Entrepreneur{n:03d}", "last_name": "Banc",
            "email": f"e{n}@example.org", "joined_on": f"{YEAR}-01-05", "activity_code": code,
            "activity_name": f"Activité {n}"}, staff)
        wait_until(lambda: get(s, f"{books}/activities/{code}/balance", staff).ok, 60)
        for month in MONTHS:
            net = 150_000 + 1_000 * n + 10_000 * month
            post(s, f"{books}/invoices", {"activity_code": code, "date": f"{YEAR}-{month:02d}-05",
                                          "piece_ref": f"F{month}-{code}", "label": f"Facture {month}",
                                          "net_cents": net, "vat_cents": net // 5}, staff)
            post(s, f"{books}/payments", {"activity_code": code, "date": f"{YEAR}-{month:02d}-25",
                                          "piece_ref": f"VIR{month}-{code}",
                                          "label": f"Virement {month}",
                                          "amount_cents": net + net // 5,
                                          "invoice_ref": f"F{month}-{code}"}, staff)
            post(s, f"{books}/expenses", {"activity_code": code, "date": f"{YEAR}-{month:02d}-10",
                                          "piece_ref": f"A{month}-{code}", "label": "Fournitures",
                                          "account": "606", "net_cents": 12_000,
                                          "vat_cents": 2_400}, staff)
        post(s, f"{members}/cooperatives/{coop}/members/{member['id']}/contracts",
             {"kind": "CESA", "signed_on": f"{YEAR}-01-05"}, staff)
        simulation = f"{payroll}/cooperatives/{coop}/employees/{member['id']}/simulation"
        found: dict = {}

        def simulated() -> bool:
            reply = get(s, simulation, staff, period=f"{YEAR}-03")
            if reply.ok and reply.json()["available_cents"] > 0:
                found.update(reply.json())
                return True
            return False

        wait_until(simulated, 120)
        gross = max(found["budget_pays_gross_cents"] // 3, found["minimum_gross_cents"])
        post(s, f"{payroll}/cooperatives/{coop}/employees/{member['id']}/salary",
             {"period": f"{YEAR}-03", "gross_cents": gross}, staff)
        return {"id": member["id"], "code": code}

    with ThreadPoolExecutor(8) as pool:
        seeded = list(pool.map(person, range(people)))
    post(http, f"{payroll}/cooperatives/{coop}/payroll-runs", {"period": f"{YEAR}-03"}, staff)

    def posted() -> bool:
        return all(get(http, f"{books}/activities/{p['code']}/balance", staff).json()
                   ["salary_costs_cents"] > 0 for p in seeded)

    wait_until(posted, 300)
    return coop, seeded


# -- sessions ------------------------------------------------------------------------------
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(portal: str, coop: str, person: dict):
    """A browser's session signed in through the demo page: its cookie kept."""
    import requests

    http = requests.Session()
    page = http.get(f"{portal}/connexion", timeout=60)
    page.raise_for_status()
    csrf = CSRF.search(page.text).group(1)
    reply = http.post(f"{portal}/connexion", data={
        "csrf": csrf, "member": person["id"], "cooperative": coop}, allow_redirects=False,
        timeout=60)
    if reply.status_code != 303:
        raise SystemExit(f"bench: sign-in of {person['code']} -> {reply.status_code}")
    home = http.get(f"{portal}/accueil", timeout=60)
    if home.status_code != 200:
        raise SystemExit(f"bench: home of {person['code']} -> {home.status_code}")
    return http


# -- the two clients -------------------------------------------------------------------------
class Connection:
    """A keep-alive connection (http.client: the clients' own CPU kept small, the same for
    both sides), opened again if the server closed it."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.conn = None

    def get(self, path: str, headers: dict) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request("GET", path, headers=headers)
                reply = self.conn.getresponse()
                return reply.status, reply.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class Portal:
    """Client (a): one GET of the home page, with the session's cookie."""

    def __init__(self, portal: str, sessions: list):
        self.conns = [Connection(portal) for _ in sessions]
        self.headers = [{"Cookie": f"{COOKIE}={s.cookies[COOKIE]}",
                         "Accept": "text/html"} for s in sessions]

    def page(self, i: int) -> int:
        status, _ = self.conns[i].get("/accueil", self.headers[i])
        if status != 200:
            raise RuntimeError(f"{status} /accueil")
        return status


class Direct:
    """Client (b): the home page's calls (cae_portal.usecases.pages.home, through
    cae_portal.adapters.services.HttpGateway), the three at once, each on a keep-alive
    connection of its own."""

    def __init__(self, ledger: str, coop: str, people: list[dict]):
        self.coop, self.people = coop, people
        self.conns = [[Connection(ledger) for _ in range(3)] for _ in people]
        self.headers = [{"Authorization": "Bearer " + token(p["id"], ["entrepreneur"], coop),
                         "Accept": "application/json"} for p in people]
        self.pools = [ThreadPoolExecutor(3) for _ in people]

    def _get(self, i: int, k: int, path: str, **params) -> dict:
        path = f"/cooperatives/{self.coop}{path}" + (f"?{urlencode(params)}" if params else "")
        status, body = self.conns[i][k].get(path, self.headers[i])
        if status >= 400:
            raise RuntimeError(f"{status} {path}: {body[:200]!r}")
        return json.loads(body)

    def _entries(self, i: int, k: int, code: str) -> list:
        items, after = [], 0
        while True:
            page = self._get(i, k, "/entries", activity=code, after=after, limit=PAGE)
            items.extend(page["items"])
            after = page.get("next_after")
            if after is None or not page["items"]:
                return items

    def page(self, i: int) -> int:
        code, pool = self.people[i]["code"], self.pools[i]
        calls = [pool.submit(self._get, i, 0, f"/activities/{code}/balance"),
                 pool.submit(self._entries, i, 1, code),
                 pool.submit(self._get, i, 2, f"/activities/{code}/income-statement",
                             year=YEAR)]
        for call in calls:
            call.result()
        return 200


def load(client, clients: int, seconds: float) -> tuple[list[float], int]:
    """``clients`` threads, each asking for its page again and again for ``seconds``: every
    page's seconds, and how many failed."""
    timings: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)
    until = [0.0]

    def work(i: int) -> None:
        barrier.wait()
        while time.perf_counter() < until[0]:
            started = time.perf_counter()
            try:
                ok = client.page(i) == 200
            except Exception as exc:  # noqa: BLE001 - counted, the first ones shown
                ok = False
                if len(errors) < 3:
                    errors.append(f"{exc.__class__.__name__}: {str(exc)[:200]}")
            if ok:
                timings[i].append(time.perf_counter() - started)
            else:
                failures[i] += 1

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    until[0] = time.perf_counter() + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    if errors:
        print("    errors: " + " | ".join(errors), flush=True)
    return [t for ts in timings for t in ts], sum(failures)


def quantile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="run the portal under cProfile, its stats to this file")
    args = parser.parse_args()
    clients = min(args.clients, args.people)

    from caekit.migrations import upgrade
    from caekit.testing import free_ports, is_ready, management

    began = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="bench-portal-")
    amqp = vhost_uri(VHOST)
    urls = {}
    for name, database in DATABASES.items():
        urls[name] = fresh_database("postgresql", database, tmp)
        upgrade(name, urls[name])
    names = ("members", "ledger", "payroll", "portal")
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    services = {n: f"http://127.0.0.1:{ports[n]}" for n in names[:3]}
    procs = start_services(amqp, urls, ports)
    log = os.path.join(tmp, "portal.log")
    procs["portal"] = start_portal(ports["portal"], services, log, args.profile)
    try:
        for name, proc in procs.items():
            wait_until(lambda p=proc, n=name: is_ready(ports[n]) or p.poll() is not None, 90)
            if proc.poll() is not None:
                raise SystemExit(f"bench: {name} stopped ({proc.returncode})"
                                 + (": " + open(log).read()[-2000:] if name == "portal" else ""))
        started = time.perf_counter()
        coop, people = seed(services, args.people)
        people = people[:clients]
        print(f"seeded: 1 cooperative, {args.people} entrepreneurs, {len(MONTHS)} months of "
              f"invoices/payments/expenses each, March's payslips "
              f"({time.perf_counter() - started:.1f} s)", flush=True)
        portal_url = f"http://127.0.0.1:{ports['portal']}"
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            sessions = list(pool.map(lambda p: sign_in(portal_url, coop, p), people))
        print(f"signed in: {len(sessions)} sessions through the demo page "
              f"({time.perf_counter() - started:.1f} s)", flush=True)
        sides = {"portal": Portal(portal_url, sessions),
                 "direct": Direct(services["ledger"], coop, people)}
        watched = {**{n: procs[n].pid for n in ("portal", "ledger")}, "client": os.getpid()}
        for client in sides.values():  # warm-up: connections, caches
            load(client, clients, min(3.0, args.seconds))
        results = {n: [] for n in sides}
        pages = {n: 0 for n in sides}
        failures = {n: 0 for n in sides}
        cpu = {(side, n): 0.0 for side in sides for n in watched}
        elapsed = {n: 0.0 for n in sides}
        for round_ in range(1, args.rounds + 1):
            for name, client in sides.items():
                before = {n: cpu_seconds(pid) for n, pid in watched.items()}
                t0 = time.perf_counter()
                timings, failed = load(client, clients, args.seconds)
                elapsed[name] += time.perf_counter() - t0
                for n, pid in watched.items():
                    cpu[(name, n)] += cpu_seconds(pid) - before[n]
                results[name] += timings
                pages[name] += len(timings)
                failures[name] += failed
                print(f"  round {round_} {name:6}: {len(timings) / args.seconds:7.1f} pages/s, "
                      f"load {os.getloadavg()[0]:.1f}, "
                      f"p50 {quantile(timings, 0.5) * 1000:6.1f} ms, "
                      f"p95 {quantile(timings, 0.95) * 1000:6.1f} ms"
                      + (f", {failed} failed" if failed else ""), flush=True)
        p = {n: (quantile(results[n], 0.5) * 1000, quantile(results[n], 0.95) * 1000)
             for n in sides}
        print(f"{clients} concurrent sessions, {args.rounds} rounds of {args.seconds:.0f} s each:")
        for name in sides:
            per_page = ", ".join(f"{n} {cpu[(name, n)] / max(pages[name], 1) * 1e6:,.0f} us"
                                 for n in watched)
            print(f"  ({'a' if name == 'portal' else 'b'}) {name:6}: {pages[name]} pages, "
                  f"{pages[name] / elapsed[name]:.1f}/s, p50 {p[name][0]:.1f} ms, "
                  f"p95 {p[name][1]:.1f} ms, failed {failures[name]}; CPU a page: {per_page}")
        print(f"the whole bench: {time.perf_counter() - began:.0f} s; load average "
              f"{os.getloadavg()[0]:.1f} (2 cores: above 2, other work shares the machine)")
        if sum(failures.values()):
            print(f"warning: {sum(failures.values())} pages failed (a service or its database "
                  "restarted?): rerun before reading the ratio")
        print(f"ratio={p['portal'][1] / p['direct'][1]:.2f}")
        return 0
    finally:
        procs["portal"].send_signal(signal.SIGINT)  # its server returns: a profile is written
        for name, proc in procs.items():
            if name != "portal":
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        try:
            from bench_kit import PG_ADMIN
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                                  isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for database in DATABASES.values():
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()
            management("DELETE", f"vhosts/{VHOST}")
        except Exception:  # noqa: BLE001 - best effort
            pass


if __name__ == "__main__":
    sys.exit(main())
