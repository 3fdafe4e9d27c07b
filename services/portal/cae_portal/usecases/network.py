"""The network operator's pages (role ``network_operator``, no cooperative of their own):
the network's cooperatives and registering one, a network's payroll month, each service's
health. What each page needs from the services and what each form sends."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cae_portal.usecases.gateway import FieldErrors, Gateway, NotYours, ServiceError, Viewer
from cae_portal.usecases.pages import _form_errors


class NotOperator(NotYours):
    """The page is the network operator's, and the viewer is not."""


def own_network(viewer: Viewer) -> None:
    """Nothing when the viewer operates the network; ``NotOperator`` otherwise (the
    services refuse another token too: this keeps the portal from even asking)."""
    if not viewer.is_operator:
        raise NotOperator(viewer.subject)


# -- the cooperatives ----------------------------------------------------------------------

LEGAL_FORMS = ("SCOP-SARL", "SCOP-SA", "SCIC-SAS", "SCIC-SA")
STAFF_SIZES = ("under_11", "11_to_49", "50_and_more")
MAX_RATE_PERCENT = Decimal(50)

# the members service's field -> the form's
COOPERATIVE_FIELDS = {"name": "nom", "siren": "siren", "legal_form": "forme",
                      "statute_profile": "forme", "default_contribution_rate": "taux",
                      "staff_size_bracket": "effectif"}
# a refusal without a rule code: the form's field -> the portal's code for its words
FIELD_CODES = {"nom": "name.invalid", "siren": "siren.invalid", "forme": "legal_form.invalid",
               "taux": "rate.invalid", "effectif": "staff_size.invalid"}
COOPERATIVE_RULES = {"cooperative.siren_registered": "siren"}


def cooperatives(gateway: Gateway, viewer: Viewer) -> list[dict]:
    """The network's cooperatives, by name."""
    own_network(viewer)
    return sorted(gateway.cooperatives(), key=lambda c: (c["name"].casefold(), c["id"]))


def siren_of(text: str) -> str:
    """A SIREN as typed (``732 829 320``, ``732.829.320``) without its separators."""
    return re.sub(r"[\s.\u00a0\u202f-]", "", text)


def rate_of_percent(text: str) -> str | None:
    """``"10"``, ``"9,5"``, ``"9.5 %"`` -> the service's rate string (``"0.0950"``); None
    for what is not a percentage from 0 to 50 with at most 2 decimals."""
    cleaned = re.sub(r"[\s\u00a0\u202f%]", "", text).replace(",", ".")
    if not re.fullmatch(r"[0-9]{1,2}(\.[0-9]{1,2})?", cleaned):
        return None
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        return None
    if percent > MAX_RATE_PERCENT:
        return None
    return str((percent / 100).quantize(Decimal("0.0001")))


def percent_text(rate: str | None) -> str:
    """``"0.0950"`` -> ``9,5 %`` (French: a comma, a no-break space before %)."""
    if rate in (None, ""):
        return "\N{EM DASH}"
    percent = (Decimal(str(rate)) * 100).normalize()
    shown = f"{percent:f}".replace(".", ",")
    return f"{shown}\u00a0%"


def siren_text(siren: str) -> str:
    """``732829320`` -> ``732 829 320`` (no-break spaces)."""
    if len(siren) != 9:
        return siren
    return "\u00a0".join((siren[:3], siren[3:6], siren[6:]))


def register_cooperative(gateway: Gateway, viewer: Viewer, form: dict,
                         idempotency_key: str) -> dict:
    """Register a cooperative from the form (``nom``, ``siren``, ``forme``, ``taux`` in
    percent, ``effectif``). A blank or unreadable field is refused here; the members
    service checks the rest (the SIREN's Luhn key, a SIREN registered already)."""
    own_network(viewer)
    refused = FieldErrors()
    for name in ("nom", "siren", "forme", "taux"):
        if not (form.get(name) or "").strip():
            refused.fields[name] = ["This field is required."]
            refused.codes[name] = "field.required"
    rate = rate_of_percent(form.get("taux") or "")
    if "taux" not in refused.fields and rate is None:
        refused.fields["taux"] = ["not a percentage from 0 to 50"]
        refused.codes["taux"] = "rate.invalid"
    if form.get("forme") and form["forme"] not in LEGAL_FORMS:
        refused.fields["forme"] = ["not a legal form"]
        refused.codes["forme"] = "legal_form.invalid"
    staff_size = form.get("effectif") or "under_11"
    if staff_size not in STAFF_SIZES:
        refused.fields["effectif"] = ["not a staff size"]
        refused.codes["effectif"] = "staff_size.invalid"
    if refused.fields:
        raise refused
    body = {"name": form["nom"].strip(), "siren": siren_of(form["siren"]),
            "legal_form": form["forme"], "default_contribution_rate": rate,
            "staff_size_bracket": staff_size}
    try:
        return gateway.register_cooperative(body, idempotency_key)
    except ServiceError as error:
        if error.status not in (409, 422):
            raise
        refused = _form_errors(error, COOPERATIVE_FIELDS)
        field = COOPERATIVE_RULES.get(error.rule or "")
        if field and set(refused.fields) == {"__all__"}:
            refused.fields = {field: refused.fields["__all__"]}
            refused.codes = {field: error.rule}
        for name in refused.fields:
            if name not in refused.codes and name in FIELD_CODES:
                refused.codes[name] = FIELD_CODES[name]
        raise refused from error


# -- a network's payroll month ---------------------------------------------------------------

PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
START_RULES = dict.fromkeys(("run.too_far_ahead", "rates.none", "run.concurrent"), "mois")


def start_network_month(gateway: Gateway, viewer: Viewer, period: str,
                        idempotency_key: str) -> dict:
    """Start ``period``'s run of every cooperative that has none yet: payroll's answer
    (the runs started, the cooperatives skipped and why). A month payroll refuses as a
    whole (too far ahead, no rates, another start of it under way) is a refusal of the
    form's month."""
    own_network(viewer)
    if not PERIOD.fullmatch(period):
        raise FieldErrors({"mois": ["not a month"]}, {"mois": "period.invalid"})
    try:
        return gateway.start_network_runs(period, idempotency_key)
    except ServiceError as error:
        if error.status == 409:
            raise FieldErrors({"mois": [error.detail]}, {"mois": "run.concurrent"}) from error
        if error.status != 422:
            raise
        refused = _form_errors(error, {"period": "mois"})
        if set(refused.fields) == {"__all__"} and error.rule in START_RULES:
            refused.fields = {"mois": refused.fields["__all__"]}
            refused.codes = {"mois": error.rule}
        elif "mois" in refused.fields and "mois" not in refused.codes:
            refused.codes["mois"] = "period.invalid"
        raise refused from error


def merged(earlier: dict | None, answer: dict) -> dict:
    """What a month's starts returned, the latest over the earlier: a start sent again
    starts only the cooperatives still without a run (those started before keep their
    earlier answer); the skipped ones are the latest start's."""
    items = {run["cooperative_id"]: run for run in (earlier or {}).get("items", [])}
    items.update({run["cooperative_id"]: run for run in answer.get("items", [])})
    skipped = [s for s in answer.get("skipped", []) if s["cooperative_id"] not in items]
    return {"items": sorted(items.values(), key=lambda r: r["cooperative_id"]),
            "skipped": skipped}


@dataclass(frozen=True)
class CooperativeMonth:
    """One cooperative in a network's payroll month: its run of the month as payroll
    reads it now (``run``, outcome "started": whoever started it, the operator or the
    cooperative's staff; outcome "cancelled": its run was cancelled and not run again,
    out of the month's figures), or no run and skipped by this session's start with
    payroll's rule (``rule``, ``detail``), or no run at all (``outcome`` "none": the month
    was not started for it, or payroll does not know the cooperative yet)."""

    cooperative_id: str
    name: str
    outcome: str  # started, cancelled, skipped, none
    run: dict | None = None
    rule: str | None = None
    detail: str = ""

    @property
    def left_out_by_reason(self) -> dict[str, int]:
        """How many people the run leaves out, by rule (payroll names them by id only:
        the operator reads no member)."""
        counts: dict[str, int] = {}
        for entry in (self.run or {}).get("left_out", []):
            counts[entry["reason"]] = counts.get(entry["reason"], 0) + 1
        return counts

    @property
    def left_out_details(self) -> dict[str, str]:
        """Payroll's own words for each rule that leaves someone out."""
        return {entry["reason"]: entry.get("detail") or entry["reason"]
                for entry in (self.run or {}).get("left_out", [])}

    @property
    def percent(self) -> int:
        return percent_of(self.run) if self.run else 0


def percent_of(run: dict) -> int:
    """How far a run is: its payslips issued of those expected (none expected: done)."""
    expected, issued = int(run["expected"]), int(run["issued"])
    return 100 if expected == 0 else min(100, issued * 100 // expected)


@dataclass(frozen=True)
class NetworkMonth:
    """A network's payroll month; its figures count the runs started and not cancelled
    (a month cancelled and not run again issues nothing: its run is in its row only)."""

    period: str
    rows: list[CooperativeMonth]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counted(self) -> list[dict]:
        """The runs of the month's figures: started, not cancelled."""
        return [row.run for row in self.rows if row.outcome == "started" and row.run]

    def runs(self, status: str) -> int:
        return sum(1 for run in self.counted if run["status"] == status)

    @property
    def running(self) -> bool:
        """A run of the month is still issuing payslips: the page follows it live."""
        return self.runs("running") > 0

    @property
    def expected(self) -> int:
        return sum(int(run["expected"]) for run in self.counted)

    @property
    def issued(self) -> int:
        return sum(int(run["issued"]) for run in self.counted)

    @property
    def left_out(self) -> int:
        return sum(len(run.get("left_out", [])) for run in self.counted)


def month_runs(gateway: Gateway, viewer: Viewer, period: str) -> dict[str, dict]:
    """cooperative -> its run of ``period``, read from payroll (every page): the live
    run, or when the month was cancelled and not run again, the latest cancelled one."""
    own_network(viewer)
    found: dict[str, dict] = {}
    for run in gateway.network_runs(period):
        kept = found.get(run["cooperative_id"])
        if kept is None or _precedence(run) > _precedence(kept):
            found[run["cooperative_id"]] = run
    return found


def _precedence(run: dict) -> tuple:
    return (run["status"] != "cancelled", run.get("started_at") or "")


def network_month(gateway: Gateway, viewer: Viewer, period: str,
                  started: dict | None = None) -> NetworkMonth:
    """Each cooperative of the network with its run of ``period`` as payroll reads it now
    (whoever started it, whenever); one without a run is said skipped when this session's
    start (``started``: the merged answers, if any) skipped it, with payroll's rule; one
    whose run was cancelled and not run again is said cancelled. By name: those with a
    run first, then those cancelled, then the skipped, then the others."""
    own_network(viewer)
    got = gateway.gather({"names": gateway.cooperatives,
                          "runs": lambda: month_runs(gateway, viewer, period)})
    names = {c["id"]: c["name"] for c in got["names"]}
    runs = got["runs"]
    rows = [CooperativeMonth(coop, names.get(coop, coop),
                             "cancelled" if run["status"] == "cancelled" else "started", run=run)
            for coop, run in runs.items()]
    seen = set(runs)
    for skipped in (started or {}).get("skipped", []):
        if skipped["cooperative_id"] in seen:
            continue
        seen.add(skipped["cooperative_id"])
        rows.append(CooperativeMonth(skipped["cooperative_id"], names.get(
            skipped["cooperative_id"], skipped["cooperative_id"]), "skipped",
            rule=skipped.get("rule"), detail=skipped.get("detail", "")))
    rows += [CooperativeMonth(coop, name, "none") for coop, name in names.items()
             if coop not in seen]
    order = {"started": 0, "cancelled": 1, "skipped": 2, "none": 3}
    return NetworkMonth(period, sorted(rows, key=lambda r: (order[r.outcome],
                                                            r.name.casefold(),
                                                            r.cooperative_id)))


def month_progress(gateway: Gateway, viewer: Viewer, period: str) -> dict:
    """What the month's page updates while its runs go on: each run's status and
    payslips, and the month's totals (``running``: False once every run is finished).
    A run cancelled and not run again is in neither: only counted (``cancelled``)."""
    runs = month_runs(gateway, viewer, period)
    rows = [{"cooperative_id": coop, "status": run["status"],
             "expected": int(run["expected"]), "issued": int(run["issued"]),
             "percent": percent_of(run), "completed_at": run.get("completed_at")}
            for coop, run in sorted(runs.items()) if run["status"] != "cancelled"]
    return {"period": period, "running": any(r["status"] == "running" for r in rows),
            "runs": rows,
            "figures": {"runs": len(rows),
                        "cancelled": len(runs) - len(rows),
                        "running": sum(1 for r in rows if r["status"] == "running"),
                        "completed": sum(1 for r in rows if r["status"] == "completed"),
                        "expected": sum(r["expected"] for r in rows),
                        "issued": sum(r["issued"] for r in rows)}}


def moment_text(iso: str | None) -> str:
    """``2026-12-07T21:40:12.5+00:00`` -> ``07/12/2026 21:40`` (UTC, as payroll says it);
    nothing -> a dash."""
    if not iso:
        return "\N{EM DASH}"
    text = str(iso)
    return f"{text[8:10]}/{text[5:7]}/{text[0:4]} {text[11:16]}"


# -- each service's health -------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """One health check's answer: ``answered`` False when the service did not answer."""

    answered: bool
    http_status: int | None
    status: str  # the body's: ok, degraded, unavailable; "" when it said nothing
    ms: int
    checks: dict

    @property
    def ok(self) -> bool:
        return self.answered and self.http_status == 200 and self.status in ("ok", "")


@dataclass(frozen=True)
class ServiceHealth:
    service: str
    live: Probe
    ready: Probe

    @property
    def answers(self) -> bool:
        return self.live.answered or self.ready.answered


def _probe(found: dict) -> Probe:
    body = found.get("body") or {}
    checks = body.get("checks") if isinstance(body.get("checks"), dict) else {}
    return Probe(found.get("status") is not None, found.get("status"),
                 str(body.get("status") or ""), int(found.get("ms") or 0), checks)


def health(gateway: Gateway, viewer: Viewer, services: tuple[str, ...]) -> list[ServiceHealth]:
    """``/health/live`` and ``/health/ready`` of every service, all asked at once."""
    own_network(viewer)
    calls = {f"{service}/{which}": (lambda s=service, w=which: gateway.health(s, w))
             for service in services for which in ("live", "ready")}
    got = gateway.gather(calls)
    return [ServiceHealth(service, _probe(got[f"{service}/live"]),
                          _probe(got[f"{service}/ready"])) for service in services]
