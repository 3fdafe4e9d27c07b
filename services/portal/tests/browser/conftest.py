"""The portal's browser tests: the five real services (nameko
containers on a RabbitMQ vhost and fresh databases of their own, as caekit.testing starts
them), seeded through their HTTP APIs; the portal as its own process (``cae-portal``); and
Chromium from Debian, headless, driven by Python's Playwright in a child process of its own
(Playwright's synchronous API hangs at its stop under eventlet's monkey patching, which the
test process needs for the services).

Needs /usr/bin/chromium (scripts/ensure-browser.sh installs it) and npm (axe-core is
installed from this folder's package-lock.json into var/node). One world per session:
every test reads it; a test that writes uses a person of its own.

The world is seeded in parts: members, ledger and payroll here (``_seed``), then each
module of ``SEEDS`` (``seed_governance.py``, ``seed_matching.py``, ``seed_network.py``) adds
what its pages need: ``seed(world, urls, token)`` returns a dict, given to the journeys
under the module's name (``world["governance"]`` ...) and kept in ``world.extra``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import requests

from caekit import auth
from caekit.config import Settings
from caekit.testing import AMQP_BASE, eventually, free_port, is_ready, management

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
CHROMIUM = Path("/usr/bin/chromium")
NODE_DIR = ROOT / "var" / "node"
SCREENSHOTS = ROOT / "var" / "screenshots" / "portal"
YEAR = 2026
SEEDS = ("governance", "matching", "network")


def axe_source() -> Path:
    """axe.min.js at the version of package-lock.json, installed with ``npm ci`` into
    var/node when it is not there yet."""
    target = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    lock = json.loads((HERE / "package-lock.json").read_text())
    wanted = lock["packages"]["node_modules/axe-core"]["version"]
    installed = NODE_DIR / "node_modules" / "axe-core" / "package.json"
    if target.exists() and json.loads(installed.read_text())["version"] == wanted:
        return target
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, NODE_DIR / name)
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to install axe-core for the browser tests")
    subprocess.run([npm, "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund",
                    "--loglevel=error"], check=True, timeout=300)
    return target


@dataclass
class World:
    portal: str
    coop: str
    people: dict = field(default_factory=dict)  # key -> {"id", "code", "name"}
    budget: dict = field(default_factory=dict)  # key -> the ledger's balance
    payslip: dict = field(default_factory=dict)  # key -> a payslip id
    payroll_db: str = ""
    urls: dict = field(default_factory=dict)
    staff: str = ""
    coop_b: str = ""  # another cooperative: its staff never reach Les Ateliers' pages
    member_b: str = ""
    extra: dict = field(default_factory=dict)  # each seed module's dict, by its name


def _token(subject, roles, coop=None):
    return auth.mint(subject, roles=list(roles), cooperative_id=coop,
                     settings=Settings(service="test", database_url="sqlite://"))


def _post(url, body, tok, expect=(200, 201)):
    response = requests.post(url, json=body, timeout=30, headers={
        "Authorization": f"Bearer {tok}", "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code in expect, f"{url}: {response.status_code} {response.text}"
    return response.json()


def _get(url, tok, **params):
    response = requests.get(url, params=params, timeout=30,
                            headers={"Authorization": f"Bearer {tok}"})
    return response


def _until(what, predicate, timeout=90.0):
    return eventually(predicate, timeout=timeout, interval=0.2,
                      message=f"{what}: not within {timeout} s")


PEOPLE = {  # key: (first, last, activity code, activity name, business months)
    "lea": ("Léa", "Martin", "BOULANGE", "Boulangerie Léa", (1, 2, 3, 6, 9)),
    "karim": ("Karim", "Benali", "WEBKB", "Studio web Karim", (1, 2, 3)),
    "sophie": ("Sophie", "Durand", "TRAD-SD", "Traductions Sophie Durand", (2, 3)),
}


@pytest.fixture(scope="session")
def world(_databases, tmp_path_factory):
    """Members, ledger, payroll and the portal, with a cooperative of three entrepreneurs:
    a year of invoices, payments and expenses, a CESA each, March's payroll run."""
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: run scripts/ensure-browser.sh (as root)")
    from nameko.containers import ServiceContainer

    from cae_governance.entrypoints.service import GovernanceService
    from cae_ledger.entrypoints.service import LedgerService
    from cae_matching.entrypoints.service import MatchingService
    from cae_members.entrypoints.service import MembersService
    from cae_payroll.entrypoints.service import PayrollService
    from caekit.handlers import ReliableHandler

    vhost = f"cae_test_portal_{uuid.uuid4().hex[:8]}"
    user = urlsplit(AMQP_BASE).username or "guest"
    management("PUT", f"vhosts/{vhost}")
    management("PUT", f"permissions/{vhost}/{user}", {"configure": ".*", "write": ".*",
                                                      "read": ".*"})
    parts = urlsplit(AMQP_BASE)
    amqp = urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))
    tmp = tmp_path_factory.mktemp("portal-world")
    containers, urls, dbs = [], {}, {}
    portal_process = None
    try:
        for cls in (MembersService, LedgerService, PayrollService, GovernanceService,
                    MatchingService):
            dbs[cls.name] = _databases.fresh(cls.name, tmp)
            settings = Settings(service=cls.name, database_url=dbs[cls.name], amqp_uri=amqp,
                                http_port=free_port(), relay_poll_seconds=0.1,
                                retry_delays=(1, 2), handler_max_wait_ms=5)
            container = ServiceContainer(cls, settings.nameko_config())
            container.start()
            containers.append(container)
            for handler in [e for e in container.extensions if isinstance(e, ReliableHandler)]:
                assert handler.ready.wait(30), f"{handler.queue} never connected"
            urls[cls.name] = f"http://127.0.0.1:{settings.http_port}"

        world = _seed(urls)
        for name in SEEDS:
            spec = importlib.util.spec_from_file_location(f"seed_{name}", HERE / f"seed_{name}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            world.extra[name] = module.seed(world, urls, _token)
        port = free_port()
        log = open(tmp / "portal.log", "w")  # noqa: SIM115 - closed with the process
        env = {**os.environ, "CAE_ENV": "development", "CAE_PORTAL_HTTP_PORT": str(port),
               "CAE_ENV_FILE": "", "CAE_LOG_LEVEL": "WARNING",
               **{f"CAE_PORTAL_{s.upper()}_URL": u for s, u in urls.items()}}
        portal_process = subprocess.Popen(
            [sys.executable, "-W", "ignore", "-m", "caekit.cli", "run", "portal"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        world.portal = f"http://127.0.0.1:{port}"
        _until("the portal answers", lambda: portal_process.poll() is None and is_ready(port)
               or (portal_process.poll() is not None and pytest.fail(
                   "the portal stopped: " + (tmp / "portal.log").read_text())), timeout=60)
        world.payroll_db = dbs["payroll"]
        world.urls = urls
        world.log = tmp / "portal.log"
        yield world
    finally:
        if portal_process is not None:
            portal_process.terminate()
            try:
                portal_process.wait(10)
            except subprocess.TimeoutExpired:
                portal_process.kill()
        for container in reversed(containers):
            try:
                container.stop()
            except Exception:  # noqa: BLE001
                container.kill()
        _databases.drop(list(dbs.values()))
        try:
            management("DELETE", f"vhosts/{vhost}")
        except (urllib.error.URLError, OSError):
            pass


def _seed(urls) -> World:
    members, ledger, payroll = urls["members"], urls["ledger"], urls["payroll"]
    ops = _token("ops", ["network_operator"])
    coop = _post(f"{members}/cooperatives", {"name": "Coopérative Les Ateliers",
                                             "siren": "732829320", "legal_form": "SCOP-SARL",
                                             "default_contribution_rate": "0.1000"}, ops)["id"]
    staff = _token("alice", ["staff"], coop)
    world = World(portal="", coop=coop, staff=staff)
    world.coop_b = _post(f"{members}/cooperatives", {
        "name": "Coopérative Oxalis Essai", "siren": "443061841", "legal_form": "SCOP-SA"},
        ops)["id"]
    world.member_b = _post(f"{members}/cooperatives/{world.coop_b}/members", {
        "first_name": "Bruno", "last_name": "Oxalis", "email": "bruno@example.org",
        "joined_on": f"{YEAR}-02-01"}, _token("bob", ["staff"], world.coop_b))["id"]
    for key, (first, last, code, name, _) in PEOPLE.items():
        member = _post(f"{members}/cooperatives/{coop}/members", {
            "first_name": first, "last_name": last, "email": f"{key}@example.org",
            "joined_on": f"{YEAR}-01-05", "activity_code": code, "activity_name": name},
            staff)
        world.people[key] = {"id": member["id"], "code": code, "name": f"{first} {last}"}
    _until("the ledger opens the activities", lambda: len(_get(
        f"{ledger}/cooperatives/{coop}/activities", staff).json()["items"]) == len(PEOPLE))
    books = f"{ledger}/cooperatives/{coop}"
    for n, (key, (*_, months)) in enumerate(PEOPLE.items()):
        code = world.people[key]["code"]
        for month in months:
            net = 150_000 + 25_000 * n + 10_000 * month
            _post(f"{books}/invoices", {"activity_code": code, "date": f"{YEAR}-{month:02d}-05",
                                        "piece_ref": f"F{month}-{code}", "label": f"Facture {month}",
                                        "net_cents": net, "vat_cents": net // 5}, staff)
            _post(f"{books}/payments", {"activity_code": code, "date": f"{YEAR}-{month:02d}-25",
                                        "piece_ref": f"VIR{month}-{code}",
                                        "label": f"Virement {month}",
                                        "amount_cents": net + net // 5,
                                        "invoice_ref": f"F{month}-{code}"}, staff)
            _post(f"{books}/expenses", {"activity_code": code, "date": f"{YEAR}-{month:02d}-10",
                                        "piece_ref": f"A{month}-{code}", "label": "Fournitures",
                                        "account": "606", "net_cents": 12_000,
                                        "vat_cents": 2_400}, staff)
    for person in world.people.values():
        _post(f"{members}/cooperatives/{coop}/members/{person['id']}/contracts",
              {"kind": "CESA", "signed_on": f"{YEAR}-01-05"}, staff)
    slips_of = {}
    for key in ("lea", "karim"):  # March's salaries and run (Sophie has none: no payslip)
        person = world.people[key]
        simulated = _until(f"payroll knows {key}'s CESA and budget", lambda p=person: (
            lambda r: r.ok and r.json()["available_cents"] > 0 and r.json())(
                _get(f"{payroll}/cooperatives/{coop}/employees/{p['id']}/simulation", staff,
                     period=f"{YEAR}-03")))
        gross = max(simulated["budget_pays_gross_cents"] // 3, simulated["minimum_gross_cents"])
        _post(f"{payroll}/cooperatives/{coop}/employees/{person['id']}/salary",
              {"period": f"{YEAR}-03", "gross_cents": gross}, staff)
    _post(f"{payroll}/cooperatives/{coop}/payroll-runs", {"period": f"{YEAR}-03"}, staff)
    for key in ("lea", "karim"):
        person = world.people[key]
        tok = _token(person["id"], ["entrepreneur"], coop)
        slips = _until(f"{key}'s March payslip", lambda t=tok: _get(
            f"{payroll}/cooperatives/{coop}/payslips", t).json()["items"])
        slips_of[key] = slips[0]["id"]
    _until("the ledger posts the salaries", lambda: all(
        _get(f"{books}/activities/{world.people[k]['code']}/balance", staff).json()
        ["salary_costs_cents"] > 0 for k in ("lea", "karim")))
    for key, person in world.people.items():
        world.budget[key] = _get(f"{books}/activities/{person['code']}/balance", staff).json()
    world.payslip = slips_of
    return world


@pytest.fixture(scope="session")
def journeys(world):
    """``journeys(name, **values)``: run a journey of journeys.py in a process of its own
    against the world; fails with what it printed when it fails."""
    axe = axe_source()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = {"portal": world.portal, "coop": world.coop, "people": world.people,
            "budget": world.budget, "payslip": world.payslip, "axe": str(axe),
            "coop_b": world.coop_b, "member_b": world.member_b,
            "screenshots": str(SCREENSHOTS), "chromium": str(CHROMIUM), **world.extra}

    def run(name: str, **values):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAE_")}
        done = subprocess.run(
            [sys.executable, "-W", "ignore", str(HERE / "journeys.py"), name],
            input=json.dumps({**base, **values}), capture_output=True, text=True,
            timeout=240, env=env)
        if done.returncode != 0:
            pytest.fail(f"journey {name} failed:\n{done.stdout}\n{done.stderr}\n"
                        f"portal log:\n{world.log.read_text()[-4000:]}", pytrace=False)
        return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None

    return run
