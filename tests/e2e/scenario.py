"""A network of ten cooperatives over a quarter, driven through the public HTTP APIs only,
as the people who use the platform would: the network operator registers the cooperatives
and starts a payroll month; staff register entrepreneurs, sign their CESA, post invoices,
payments and expenses, start payroll runs, convene and hold an assembly, call for tenders;
entrepreneurs choose their salary, vote, write their profiles and answer a proposal.

Every call is retried, with the same Idempotency-Key, while the service is unreachable or
answers 5xx (the faults the suite causes): a write is applied once whatever the retries.
A write whose effect committed but whose response was lost with its process (409, the
kit's idempotency rule) is looked up instead."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import requests

from caekit.auth import mint
from caekit.config import Settings

COOPERATIVES = 10
PEOPLE = 6  # entrepreneurs per cooperative
MONTHS = (1, 2, 3)  # January to March 2026
YEAR = 2026
JOINED = "2026-01-05"
ASSOCIATES = 4  # in the first cooperative, which holds an assembly
FIRST_NAMES = ("Léa", "Karim", "Sophie", "Marc", "Inès", "Lucie", "Thomas", "Chloé", "Yanis",
               "Sarah", "Julie", "Hugo", "Amina", "Théo", "Nora", "Paul")
LEGAL_FORMS = ("SCOP-SARL", "SCOP-SA", "SCIC-SAS")
RETRY_FOR = 180.0  # seconds a call is retried through an outage
UNRECORDED = "response was not recorded"


def siren(n: int) -> str:
    """A SIREN with a valid Luhn key (the members service checks it)."""
    body = f"{80_000_000 + n * 7_919:08d}"
    for check in range(10):
        digits = [int(d) for d in body + str(check)]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2)
                    for i, d in enumerate(digits))
        if total % 10 == 0:
            return body + str(check)
    raise AssertionError("no Luhn key")


def net_of(coop: int, person: int, month: int) -> int:
    """An activity's invoice of the month, net of VAT, in cents."""
    return 450_000 + 20_000 * person + 7_500 * coop + 10_000 * month


@dataclass
class Person:
    member_id: str
    first_name: str
    code: str


@dataclass
class Cooperative:
    id: str
    name: str
    staff: str  # a token
    people: list = field(default_factory=list)
    runs: dict = field(default_factory=dict)  # period -> run id


class Api:
    """HTTP calls with the faults' retries; ``stats`` counts what the retries met."""

    def __init__(self, platform, settings: Settings):
        self.platform = platform
        self.settings = settings
        self.http = requests.Session()
        self.stats = Counter()

    def token(self, subject: str, roles, cooperative_id: str | None = None) -> str:
        roles = [roles] if isinstance(roles, str) else list(roles)
        return mint(subject, roles=roles, cooperative_id=cooperative_id, settings=self.settings)

    def call(self, service: str, method: str, path: str, tok: str, body=None, params=None,
             expect=(200, 201), key: str | None = None, lookup=None, again=()):
        """The JSON answer of a call in ``expect``; ``lookup()`` finds the effect of a write
        that committed but whose response was lost (None: the answer is not needed);
        ``again``: statuses that mean "already done" once an attempt was lost (a ballot or a
        step of an assembly, which keep no Idempotency-Key record), answered None."""
        headers = {"Authorization": f"Bearer {tok}"}
        if method in ("POST", "PUT", "DELETE") and key is not False:
            headers["Idempotency-Key"] = key or uuid.uuid4().hex
        deadline = time.monotonic() + RETRY_FOR
        lost = False
        while True:
            self.stats["requests"] += 1
            try:
                response = self.http.request(method, f"{self.platform.url(service)}{path}",
                                             json=body, params=params, headers=headers,
                                             timeout=30)
            except requests.RequestException as exc:
                self.stats[f"retried: {type(exc).__name__}"] += 1
                response = None
            if response is not None and response.status_code < 500:
                if response.status_code in expect:
                    return response.json() if response.content else None
                if lost and response.status_code in again:
                    self.stats[f"{response.status_code} after a lost attempt: already done"] += 1
                    return None
                if response.status_code == 409 and UNRECORDED in response.text:
                    self.stats["409 unrecorded response: looked up"] += 1
                    return lookup() if lookup else None
                raise AssertionError(f"{method} {service}{path}: {response.status_code} "
                                     f"{response.text[:1500]}")
            if response is not None:
                self.stats[f"retried: HTTP {response.status_code}"] += 1
            lost = True
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {service}{path}: no answer in {RETRY_FOR} s")
            time.sleep(0.25)

    def until(self, what: str, probe, timeout: float = 180, explain=None):
        deadline = time.monotonic() + timeout
        while True:
            answer = probe()
            if answer:
                return answer
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} after {timeout:.0f} s"
                                     + (f": {explain()}" if explain else ""))
            time.sleep(0.3)


class Network:
    """The scenario, step by step; ``faults`` is called at the points where a fault is
    caused (by name), while the load goes on."""

    def __init__(self, api: Api, fault):
        self.api = api
        self.fault = fault
        self.operator = api.token("network-ops", "network_operator")
        self.cooperatives: list[Cooperative] = []
        self.assembly: dict = {}
        self.proposal: dict = {}
        self.schedule_on = date.today() + timedelta(days=1)

    # -- members --------------------------------------------------------------------------
    def register(self) -> None:
        api = self.api
        for n in range(COOPERATIVES):
            name = f"Coopérative d'activité {n + 1:02d}"

            def find(name=name):
                listed = api.call("members", "GET", "/cooperatives", self.operator,
                                  params={"limit": 100})
                return next(c for c in listed["items"] if c["name"] == name)

            coop = api.call("members", "POST", "/cooperatives", self.operator, {
                "name": name, "siren": siren(n), "legal_form": LEGAL_FORMS[n % 3],
                "default_contribution_rate": "0.1000"}, lookup=find)
            staff = api.token(f"staff-{n + 1:02d}", "staff", coop["id"])
            self.cooperatives.append(Cooperative(coop["id"], name, staff))
            if n == 2:
                self.fault("members-relay")  # events of the first cooperatives in its outbox

        for n, coop in enumerate(self.cooperatives):
            for i in range(PEOPLE):
                first = FIRST_NAMES[(n + i) % len(FIRST_NAMES)]
                code = f"A{n + 1:02d}P{i + 1}"
                email = f"{code.lower()}@example.org"

                def find(coop=coop, email=email):
                    listed = api.call("members", "GET", f"/cooperatives/{coop.id}/members",
                                      coop.staff, params={"limit": 100})
                    return next(m for m in listed["items"] if m["email"] == email)

                member = api.call("members", "POST", f"/cooperatives/{coop.id}/members",
                                  coop.staff, {
                                      "first_name": first, "last_name": f"Martin{n + 1}",
                                      "email": email, "joined_on": JOINED, "activity_code": code,
                                      "activity_name": f"Activité {code}"}, lookup=find)
                api.call("members", "POST",
                         f"/cooperatives/{coop.id}/members/{member['id']}/contracts", coop.staff,
                         {"kind": "CESA", "signed_on": JOINED})
                coop.people.append(Person(member["id"], first, code))
            if n == 4:
                self.fault("members")  # mid-registration

    def people(self):
        for coop in self.cooperatives:
            for person in coop.people:
                yield coop, person

    # -- ledger ---------------------------------------------------------------------------
    def wait_activities(self) -> None:
        """The ledger opens each activity from members' activity_opened event."""
        for coop in self.cooperatives:
            self.api.until(f"the ledger lacks activities of {coop.name}", lambda coop=coop: len(
                self.api.call("ledger", "GET", f"/cooperatives/{coop.id}/activities",
                              coop.staff, params={"limit": 100})["items"]) == PEOPLE)

    def business(self, month: int, faults: dict) -> None:
        """Each activity invoices, is paid (its contribution charged) and buys supplies;
        ``faults``: after how many activities a fault is caused."""
        done = 0
        for n, coop in enumerate(self.cooperatives):
            for i, person in enumerate(coop.people):
                net = net_of(n, i, month)
                m = f"{month:02d}"
                for path, body in (
                        ("invoices", {"date": f"{YEAR}-{m}-05", "piece_ref": f"F{m}-{person.code}",
                                      "label": f"Facture {m}", "net_cents": net,
                                      "vat_cents": net // 5}),
                        ("payments", {"date": f"{YEAR}-{m}-25", "piece_ref": f"V{m}-{person.code}",
                                      "label": f"Virement {m}", "amount_cents": net + net // 5,
                                      "invoice_ref": f"F{m}-{person.code}"}),
                        ("expenses", {"date": f"{YEAR}-{m}-10", "piece_ref": f"A{m}-{person.code}",
                                      "label": "Fournitures", "account": "606",
                                      "net_cents": 12_000 + 100 * i, "vat_cents": 2_400})):
                    self.api.call("ledger", "POST", f"/cooperatives/{coop.id}/{path}",
                                  coop.staff, {"activity_code": person.code, **body})
                done += 1
                if done in faults:
                    self.fault(faults[done])

    # -- payroll --------------------------------------------------------------------------
    def budgets_agree(self, month: int) -> bool:
        """Payroll's view of every budget is the ledger's (the budget events arrived), as
        simulated for ``month``, not yet paid."""
        for coop, person in self.people():
            ledger = self.api.call("ledger", "GET", f"/cooperatives/{coop.id}/activities/"
                                   f"{person.code}/balance", coop.staff)
            payroll = self.api.call("payroll", "GET", f"/cooperatives/{coop.id}/employees/"
                                    f"{person.member_id}/simulation", coop.staff,
                                    params={"period": f"{YEAR}-{month:02d}"}, expect=(200, 404))
            if payroll is None or payroll.get("available_cents") != ledger["available_cents"]:
                self.disagreement = (coop.id, person.code, ledger["available_cents"],
                                     payroll and payroll.get("available_cents"))
                return False
        return True

    def choose_salaries(self) -> None:
        """Each entrepreneur chooses the SMIC from January: what their budget pays easily."""
        period = f"{YEAR}-{MONTHS[0]:02d}"
        for coop, person in self.people():
            me = self.api.token(person.member_id, "entrepreneur", coop.id)
            base = f"/cooperatives/{coop.id}/employees/{person.member_id}"
            simulated = self.api.call("payroll", "GET", f"{base}/simulation", me,
                                      params={"period": period})
            self.api.call("payroll", "POST", f"{base}/salary", me,
                          {"period": period, "gross_cents": simulated["minimum_gross_cents"]})

    def start_runs(self, month: int, network_wide: bool, fault: str | None) -> None:
        period = f"{YEAR}-{month:02d}"
        if network_wide:
            started = self.api.call("payroll", "POST", "/payroll-runs", self.operator,
                                    {"period": period})
            assert not started.get("skipped"), started
        else:
            for coop in self.cooperatives:
                self.api.call("payroll", "POST", f"/cooperatives/{coop.id}/payroll-runs",
                              coop.staff, {"period": period}, lookup=lambda: None)
        for coop in self.cooperatives:
            runs = self.api.call("payroll", "GET", f"/cooperatives/{coop.id}/payroll-runs",
                                 coop.staff, params={"period": period})["items"]
            assert len(runs) == 1, runs
            coop.runs[period] = runs[0]["id"]
        if fault:
            self.fault(fault)  # the run's work items are in flight

    def wait_runs(self, month: int) -> None:
        period = f"{YEAR}-{month:02d}"
        for coop in self.cooperatives:
            def completed(coop=coop):
                run = self.api.call("payroll", "GET", f"/cooperatives/{coop.id}/payroll-runs/"
                                    f"{coop.runs[period]}", coop.staff)
                return run if run["status"] == "completed" else None

            run = self.api.until(f"{coop.name}'s {period} run is not completed", completed,
                                 timeout=300)
            assert run["issued"] == run["expected"] == PEOPLE and not run["left_out"], run

    # -- governance -----------------------------------------------------------------------
    def hold_assembly(self) -> None:
        """The first cooperative's associates change the contribution rate to 8 % from
        tomorrow; the ledger charges it from then (checked in ``check_new_rate``)."""
        coop = self.cooperatives[0]
        api = self.api
        associates = coop.people[:ASSOCIATES]
        for person in associates:
            api.call("members", "POST", f"/cooperatives/{coop.id}/members/{person.member_id}/"
                     "associate", coop.staff, {"on": "2026-02-02"})
        g = f"/cooperatives/{coop.id}"
        convened_on = date.today() - timedelta(days=16)
        api.until("governance does not know the associates", lambda: len(api.call(
            "governance", "GET", f"{g}/associates", coop.staff,
            params={"on": convened_on.isoformat()})["items"]) == ASSOCIATES)
        title = "Assemblée générale ordinaire"

        def find():
            listed = api.call("governance", "GET", f"{g}/assemblies", coop.staff)["items"]
            return next(a for a in listed if a["title"] == title)

        assembly = api.call("governance", "POST", f"{g}/assemblies", coop.staff, {
            "title": title, "kind": "ordinary",
            "held_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds"),
            "place": "Lyon", "convened_on": convened_on.isoformat(),
            "resolutions": [{
                "title": "Nouveau taux de contribution", "kind": "ordinary",
                "text": "La contribution des entrepreneurs passe à 8 % du chiffre d'affaires.",
                "effect": {"type": "contribution_schedule",
                           "effective_on": self.schedule_on.isoformat(),
                           "bands": [{"from_cents": 0, "rate": "0.0800"}]}}]}, lookup=find)
        self.fault("governance")
        a = f"{g}/assemblies/{assembly['id']}"
        for person in associates:
            api.call("governance", "POST", f"{a}/sign-ins", coop.staff,
                     {"member_id": person.member_id, "mode": "in_person"}, again=(409,))
        api.call("governance", "POST", f"{a}/opening", coop.staff,
                 {"chair": associates[0].first_name, "secretary": associates[1].first_name},
                 again=(409,))
        resolution = assembly["resolutions"][0]["id"]
        for person in associates:  # a ballot carries no key: a retried one is refused twice
            api.call("governance", "POST", f"{a}/resolutions/{resolution}/votes",
                     api.token(person.member_id, "entrepreneur", coop.id), {"choice": "for"},
                     key=False, again=(409,))
        closed = api.call("governance", "POST", f"{a}/resolutions/{resolution}/close",
                          coop.staff, again=(409,))
        self.fault("governance-relay")  # the adopted rate's event in its outbox
        api.call("governance", "POST", f"{a}/closing", coop.staff,
                 {"debate_summary": "Les associés adoptent le nouveau taux."}, again=(409,))
        self.assembly = api.call("governance", "GET", a, coop.staff)
        assert closed is None or closed["status"] == "adopted", closed

    def check_new_rate(self) -> tuple[int, int]:
        """The ledger charges 8 % from the adopted date (10 % the day before)."""
        coop = self.cooperatives[0]
        code = coop.people[0].code
        books = f"/cooperatives/{coop.id}"
        on = self.schedule_on.isoformat()
        self.api.until("the ledger has not the adopted schedule", lambda: any(
            s["effective_on"] == on for s in self.api.call(
                "ledger", "GET", f"{books}/contribution-schedules", coop.staff)["items"]))
        charged = []
        for day, ref in ((self.schedule_on - timedelta(days=1), "AVANT"), (self.schedule_on,
                                                                          "APRES")):
            posted = self.api.call("ledger", "POST", f"{books}/payments", coop.staff, {
                "activity_code": code, "date": day.isoformat(), "piece_ref": f"V-{ref}",
                "label": "Règlement client", "amount_cents": 120_000, "vat_cents": 20_000})
            charged.append(sum(line["credit_cents"] for line in posted["contribution"]["lines"]))
        return charged[0], charged[1]

    # -- matching -------------------------------------------------------------------------
    def tender(self) -> None:
        """Two entrepreneurs in each of three cooperatives share a web profile with the
        network; the second cooperative calls the network for tenders; a team is proposed and
        one of its members accepts."""
        api = self.api
        writers = [(coop, person) for coop in self.cooperatives[1:4] for person in coop.people[:2]]
        reader = api.token(writers[0][1].member_id, "entrepreneur", writers[0][0].id)
        items = api.call("matching", "GET", "/concepts", reader,
                         params={"q": "programmation web", "kind": "skill", "limit": 10})["items"]
        web = next(i["uri"] for i in items if i["label"].casefold() == "programmation web")
        today = date.today()
        self.fault("matching")
        for n, (coop, person) in enumerate(writers):
            me = api.token(person.member_id, "entrepreneur", coop.id)
            path = f"/cooperatives/{coop.id}/profiles/{person.member_id}"
            api.until("matching does not know the member", lambda path=path, me=me: api.call(
                "matching", "GET", f"{path}/consent", me, expect=(200, 404)) is not None)
            api.call("matching", "PUT", path, me, {
                "presentation": f"Développeuse web, {n + 3} ans d'expérience.",
                "skills": [{"concept_uri": web, "level": 3 + n % 2, "years": n + 3}],
                "trades": ["Développeuse web"], "languages": [{"code": "fr", "level": "native"}],
                "place": {"commune": "Lyon", "commune_code": "69123", "latitude": "45.767299",
                          "longitude": "4.834329", "travel_radius_km": 100},
                "day_rate": {"min_cents": 40_000 + 1_000 * n, "max_cents": 60_000},
                "availability": [{"starts_on": today.isoformat(),
                                  "ends_on": (today + timedelta(days=120)).isoformat(),
                                  "days_per_week": 4}]})
            api.call("matching", "PUT", f"{path}/consent", me,
                     {"identity": True, "skills": True, "availability": True, "place": True})
        caller = self.cooperatives[1]
        g = f"/cooperatives/{caller.id}"
        starts_on = today + timedelta(days=30)
        title = "Site internet d'une maison de l'ESS"

        def find():
            listed = api.call("matching", "GET", f"{g}/calls", caller.staff)["items"]
            return next(c for c in listed if c["title"] == title)

        call = api.call("matching", "POST", f"{g}/calls", caller.staff, {
            "title": title, "description": "Refonte du site et de son accessibilité.",
            "buyer": "Ville de Villeurbanne", "commune": "Villeurbanne",
            "latitude": 45.766612, "longitude": 4.879613,
            "starts_on": starts_on.isoformat(), "ends_on": (starts_on + timedelta(days=20)).isoformat(),
            "deadline": (starts_on - timedelta(days=1)).isoformat(), "budget_cents": 2_000_000,
            "objective": "cheapest", "scope": "network",
            "requirements": [{"code": "WEB", "concept_uri": web, "min_level": 3, "people": 2,
                              "certifications": []}]}, lookup=find)
        c = f"{g}/calls/{call['id']}"
        api.call("matching", "POST", f"{c}/publication", caller.staff, again=(409,))

        def latest():
            return api.call("matching", "GET", f"{c}/proposals", caller.staff)["items"]

        proposed = api.call("matching", "POST", f"{c}/proposals", caller.staff,
                            {"time_limit_seconds": 5, "alternatives": 1},
                            lookup=lambda: {"proposals": latest()})
        self.fault("matching-relay")  # the proposal's events in its outbox
        proposal = proposed["proposals"][0]
        assert len(proposal["members"]) == 2, proposal
        member = proposal["members"][0]
        who = next((co, p) for co, p in writers if p.member_id == member["member_id"])
        api.call("matching", "POST", f"/cooperatives/{who[0].id}/members/{who[1].member_id}/"
                 f"proposals/{proposal['proposal_id']}/answer",
                 api.token(who[1].member_id, "entrepreneur", who[0].id), {"accept": True},
                 again=(409,))
        self.proposal = api.call("matching", "GET", f"{g}/proposals/{proposal['proposal_id']}",
                                 caller.staff)
