"""The support staff's pages (``staff`` role): members, the ledger, payroll; what each page
needs from the services and what each form sends, for the viewer's own cooperative only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cae_portal.domain.people import days_until
from cae_portal.usecases.gateway import FieldErrors, Gateway, NotYours, ServiceError, Viewer
from cae_portal.usecases.pages import _form_errors, explain_budget_exceeded


class NotStaff(NotYours):
    """The page is the support staff's of a cooperative, and the viewer is not (another
    role, or the staff of another cooperative)."""


def own_cooperative(viewer: Viewer, coop: str) -> str:
    """``coop`` when the viewer is its support staff; ``NotStaff`` otherwise (the services
    refuse another cooperative's token too: this keeps the portal from even asking)."""
    if not viewer.is_staff or not viewer.cooperative_id or coop != viewer.cooperative_id:
        raise NotStaff(viewer.subject)
    return coop


def _refused(error: ServiceError, names: dict[str, str],
             rule_fields: dict[str, str] | None = None) -> FieldErrors:
    """A service's refusal as the form's field errors; a rule that names no field is put
    next to the field it is about (``rule_fields``), else above the form."""
    refused = _form_errors(error, names)
    field = (rule_fields or {}).get(error.rule or "")
    if field and set(refused.fields) == {"__all__"}:
        refused.fields = {field: refused.fields["__all__"]}
        refused.codes = {field: error.rule}
    return refused


def _write(call, names: dict[str, str], rule_fields: dict[str, str] | None = None):
    try:
        return call()
    except ServiceError as error:
        if error.status in (409, 422) or (error.status == 404 and error.rule in (
                rule_fields or {})):
            raise _refused(error, names, rule_fields) from error
        raise


# -- members -------------------------------------------------------------------------------

MEMBER_FIELDS = {"first_name": "prenom", "last_name": "nom", "email": "email",
                 "joined_on": "entree", "activity_code": "code_activite",
                 "activity_name": "nom_activite"}
MEMBER_RULES = {"activity.code_used": "code_activite", "activity.exists": "code_activite"}


def members(gateway: Gateway, viewer: Viewer, coop: str) -> list[dict]:
    own_cooperative(viewer, coop)
    return gateway.members(coop)


def register_member(gateway: Gateway, viewer: Viewer, coop: str, form: dict,
                    idempotency_key: str) -> dict:
    """Register a person; ``form`` by the service's field names (blank optional ones out)."""
    own_cooperative(viewer, coop)
    body = {k: v for k, v in form.items() if v not in (None, "") or k in (
        "first_name", "last_name", "email", "joined_on")}
    return _write(lambda: gateway.register_member(coop, body, idempotency_key), MEMBER_FIELDS,
                  MEMBER_RULES)


@dataclass(frozen=True)
class MemberFile:
    member: dict
    contracts: list[dict]
    history: dict


def member_file(gateway: Gateway, viewer: Viewer, coop: str, member_id: str) -> MemberFile:
    own_cooperative(viewer, coop)
    got = gateway.gather({"member": lambda: gateway.member(coop, member_id),
                          "contracts": lambda: gateway.contracts(coop, member_id),
                          "history": lambda: gateway.history(coop, member_id)})
    return MemberFile(got["member"], sorted(got["contracts"], key=lambda c: c["signed_on"]),
                      got["history"])


STEP_FIELDS = {"on": "etape_date", "stage": "etape"}
CONTRACT_FIELDS = {"kind": "type", "signed_on": "signe_le", "ends_on": "fin",
                   "trial_ends_on": "fin_essai"}
CONTRACT_RULES = {"cape.end_required": "fin", "cape.too_long": "fin",
                  "cesa.already_signed": "type", "cape.already_running": "type",
                  "cesa.open_ended": "fin", "stage.after_exit": "signe_le",
                  "dates.out_of_order": "signe_le"}
INTERVIEW_FIELDS = {"held_on": "entretien_date", "notes": "notes"}


def record_step(gateway: Gateway, viewer: Viewer, coop: str, member_id: str, on: str,
                idempotency_key: str) -> dict:
    """A dated diagnostic (the other stages come with their contracts and exit)."""
    own_cooperative(viewer, coop)
    return _write(lambda: gateway.record_step(coop, member_id, {"stage": "diagnostic", "on": on},
                                              idempotency_key), STEP_FIELDS,
                  {"stage.after_exit": "etape_date", "dates.out_of_order": "etape_date"})


def sign_contract(gateway: Gateway, viewer: Viewer, coop: str, member_id: str, kind: str,
                  signed_on: str, ends_on: str | None, trial_ends_on: str | None,
                  idempotency_key: str) -> dict:
    """A CAPE (with its end) or the CESA (which sets the associate deadline)."""
    own_cooperative(viewer, coop)
    body = {"kind": kind, "signed_on": signed_on}
    if ends_on:
        body["ends_on"] = ends_on
    if trial_ends_on:
        body["trial_ends_on"] = trial_ends_on
    return _write(lambda: gateway.sign_contract(coop, member_id, body, idempotency_key),
                  CONTRACT_FIELDS, CONTRACT_RULES)


def record_interview(gateway: Gateway, viewer: Viewer, coop: str, member_id: str,
                     held_on: str, notes: str, idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    body = {"held_on": held_on, **({"notes": notes} if notes.strip() else {})}
    return _write(lambda: gateway.record_interview(coop, member_id, body, idempotency_key),
                  INTERVIEW_FIELDS, {"stage.after_exit": "entretien_date"})


@dataclass(frozen=True)
class Deadline:
    member_id: str
    name: str
    deadline: date
    days_left: int


def associate_deadlines(gateway: Gateway, viewer: Viewer, coop: str, today: date,
                        within_days: int) -> list[Deadline]:
    """The CESA holders not yet associates, their deadline soonest first (missed ones, in
    the past, first of all)."""
    own_cooperative(viewer, coop)
    rows = gateway.associate_deadlines(coop, today.isoformat(), within_days)
    found = [Deadline(r["member_id"], f"{r['first_name']} {r['last_name']}",
                      date.fromisoformat(r["associate_deadline"]),
                      days_until(date.fromisoformat(r["associate_deadline"]), today))
             for r in rows]
    return sorted(found, key=lambda d: (d.deadline, d.name))


def follow_up_due(gateway: Gateway, viewer: Viewer, coop: str, today: date) -> list[dict]:
    """Those under contract with fewer than two follow-up interviews in the last 12 months
    (décret 2015-1363), fewest first."""
    own_cooperative(viewer, coop)
    rows = gateway.follow_up_due(coop, today.isoformat())
    return sorted(rows, key=lambda r: (r["interviews_in_12_months"], r["last_name"],
                                       r["first_name"]))


# -- the ledger ----------------------------------------------------------------------------

ENTRY_KINDS = ("invoices", "payments", "expenses")
ENTRY_FIELDS = {"activity_code": "activite", "date": "date", "piece_ref": "piece",
                "label": "libelle", "net_cents": "montant", "amount_cents": "montant",
                "vat_cents": "tva", "account": "compte", "invoice_ref": "facture",
                "revenue_account": "compte", "expense_report": "note_de_frais"}
ENTRY_RULES = {"activity.unknown": "activite", "activity.closed": "activite",
               "period.closed": "date", "entry.unknown_account": "compte",
               "expense.account": "compte", "invoice.revenue_account": "compte",
               "amount.out_of_range": "montant", "amount.not_positive": "montant",
               "amount.negative": "montant", "payment.vat": "tva",
               "date.out_of_range": "date"}


def activities(gateway: Gateway, viewer: Viewer, coop: str) -> list[dict]:
    own_cooperative(viewer, coop)
    return sorted(gateway.ledger_activities(coop), key=lambda a: a["code"])


def post_entry(gateway: Gateway, viewer: Viewer, coop: str, kind: str, body: dict,
               idempotency_key: str) -> dict:
    """Post an invoice, a payment or an expense (``kind``), as the ledger's API takes it."""
    own_cooperative(viewer, coop)
    if kind not in ENTRY_KINDS:
        raise ValueError(kind)
    return _write(lambda: gateway.post_entry(coop, kind, body, idempotency_key), ENTRY_FIELDS,
                  ENTRY_RULES)


def closed_periods(gateway: Gateway, viewer: Viewer, coop: str) -> list[dict]:
    own_cooperative(viewer, coop)
    return sorted(gateway.closed_periods(coop), key=lambda p: p["period"], reverse=True)


def close_month(gateway: Gateway, viewer: Viewer, coop: str, period: str,
                idempotency_key: str) -> dict:
    """Charge the month's minimum contributions, then close it to new entries."""
    own_cooperative(viewer, coop)
    return _write(lambda: gateway.close_period(coop, period, idempotency_key),
                  {"period": "mois"}, {"period.not_over": "mois", "period.already_closed": "mois",
                                       "period.earlier_open": "mois"})


def trial_balance(gateway: Gateway, viewer: Viewer, coop: str, from_period: str | None,
                  to_period: str | None) -> dict:
    own_cooperative(viewer, coop)
    try:
        return gateway.trial_balance(coop, from_period, to_period)
    except ServiceError as error:
        if error.status == 422:
            raise _refused(error, {"from": "du", "to": "au"}) from error
        raise


def fec(gateway: Gateway, viewer: Viewer, coop: str, year: int) -> tuple[str, bytes]:
    """The FEC of ``year`` and its legal file name (SIREN, ``FEC``, the year's last day)."""
    own_cooperative(viewer, coop)
    got = gateway.gather({"cooperative": lambda: gateway.cooperative(coop),
                          "fec": lambda: gateway.fec(coop, year)})
    return f"{got['cooperative']['siren']}FEC{year}1231.txt", got["fec"]


# -- payroll -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Runs:
    runs: list[dict]
    names: dict[str, str]  # member id -> name, for those a run leaves out


def _names(gateway: Gateway, coop: str) -> dict[str, str]:
    return {m["id"]: f"{m['first_name']} {m['last_name']}" for m in gateway.members(coop)}


def runs(gateway: Gateway, viewer: Viewer, coop: str) -> Runs:
    """The runs, newest month first, with the names of those each leaves out."""
    own_cooperative(viewer, coop)
    got = gateway.gather({"runs": lambda: gateway.runs(coop),
                          "names": lambda: _names(gateway, coop)})
    listed = sorted(got["runs"], key=lambda r: (r["period"], r["started_at"]), reverse=True)
    return Runs(listed, got["names"])


def run(gateway: Gateway, viewer: Viewer, coop: str, run_id: str) -> Runs:
    own_cooperative(viewer, coop)
    got = gateway.gather({"run": lambda: gateway.run(coop, run_id),
                          "names": lambda: _names(gateway, coop)})
    return Runs([got["run"]], got["names"])


def run_progress(gateway: Gateway, viewer: Viewer, coop: str, run_id: str) -> dict:
    """What the run's page updates while it runs: its status and payslips issued."""
    own_cooperative(viewer, coop)
    return run_progress_of(gateway.run(coop, run_id))


def run_progress_of(found: dict) -> dict:
    expected, issued = int(found["expected"]), int(found["issued"])
    return {"status": found["status"], "expected": expected, "issued": issued,
            "percent": 100 if expected == 0 else min(100, issued * 100 // expected),
            "left_out": len(found["left_out"])}


def start_run(gateway: Gateway, viewer: Viewer, coop: str, period: str,
              idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    rules = dict.fromkeys(("run.exists", "run.out_of_order", "run.previous_running",
                           "run.too_far_ahead", "rates.none"), "mois")
    return _write(lambda: gateway.start_run(coop, period, idempotency_key), {"period": "mois"},
                  rules)


SALARY_FIELDS = {"gross_cents": "brut", "period": "periode", "override_reason": "motif"}


def choose_salary(gateway: Gateway, viewer: Viewer, coop: str, member_id: str, period: str,
                  gross_cents: int, override_reason: str | None,
                  idempotency_key: str) -> dict:
    """Choose an entrepreneur's gross from ``period`` on. Above their budget the staff give
    a reason (``override_reason``); without one, the refusal carries the shortfall."""
    own_cooperative(viewer, coop)
    try:
        return gateway.choose_salary(coop, member_id, period, gross_cents, idempotency_key,
                                     override_reason or None)
    except ServiceError as error:
        if not (error.status == 422 or (error.status == 404 and
                                        error.rule == "employee.unknown")):
            raise
        refused = _refused(error, SALARY_FIELDS, {
            "salary.below_smic": "brut", "salary.month_closed": "periode",
            "salary.too_far_ahead": "periode", "employee.no_cesa": "membre",
            "employee.no_activity": "membre", "employee.unknown": "membre",
            "rates.none": "periode"})
        if error.rule == "budget.exceeded":
            explain_budget_exceeded(refused, gateway.simulation(coop, member_id, period,
                                                                 gross_cents))
        raise refused from error


# -- a CSV import of people and their contracts ---------------------------------------------

IMPORT_RULES = {"import.too_many_rows": "csv", "import.not_csv": "csv",
                "cooperative.unknown": "csv"}


@dataclass(frozen=True)
class ImportLine:
    """One line of the file: who, what it creates (or would), and its errors."""

    line: int
    person_ref: str | None
    name: str
    outcome: str  # created, skipped, refused
    contracts: tuple[str, ...]
    errors: tuple[tuple[str, str], ...]  # (column, message)


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or its dry run would do; ``refused``: a real import refused
    because of its errors (nothing written)."""

    dry_run: bool
    rows: int
    people: int
    contracts: int
    skipped: int
    lines: tuple[ImportLine, ...]
    file_errors: tuple[tuple[int, str, str], ...]  # (line, column, message) on no person line
    refused: bool = False

    @property
    def errors(self) -> int:
        return len(self.file_errors) + sum(len(line.errors) for line in self.lines)


def _report(found: dict) -> ImportReport:
    by_line: dict[int, list[tuple[str, str]]] = {}
    for error in found["errors"]:
        by_line.setdefault(int(error["line"]), []).append((error["column"], error["message"]))
    lines = tuple(ImportLine(
        int(row["line"]), row.get("person_ref"),
        " ".join(n for n in (row.get("first_name"), row.get("last_name")) if n),
        row["outcome"], tuple(row.get("contracts") or ()),
        tuple(by_line.pop(int(row["line"]), ()))) for row in found["lines"])
    return ImportReport(bool(found["dry_run"]), int(found["rows"]), int(found["people"]),
                        int(found["contracts"]), int(found["skipped"]), lines,
                        tuple((n, c, m) for n, errors in sorted(by_line.items())
                              for c, m in errors))


def _refused_report(error: ServiceError) -> ImportReport:
    """The 422 of an import with wrong lines: ``errors.csv`` maps line -> column ->
    messages (the members service writes nothing then)."""
    by_line = (error.errors or {}).get("csv") or {}
    flat = tuple((int(line), column, " ".join(messages) if isinstance(messages, list)
                  else str(messages))
                 for line, columns in sorted(by_line.items(), key=lambda kv: int(kv[0]))
                 for column, messages in columns.items())
    return ImportReport(False, 0, 0, 0, 0, (), flat, refused=True)


def import_members(gateway: Gateway, viewer: Viewer, coop: str, text: str, dry_run: bool,
                   idempotency_key: str) -> ImportReport:
    """Check (``dry_run``) or import a CSV file of people and their contracts. A file
    refused as a whole (too many lines, not CSV, too large) is a ``FieldErrors`` on
    ``csv``; a real import with wrong lines comes back ``refused`` with their errors."""
    own_cooperative(viewer, coop)
    if not text.strip():
        raise FieldErrors({"csv": ["Paste the file's text or choose a file."]},
                          {"csv": "import.empty"})
    try:
        found = gateway.import_members(coop, {"csv": text, "dry_run": dry_run},
                                       idempotency_key)
    except ServiceError as error:
        if error.status == 422 and error.rule == "import.rows_refused":
            return _refused_report(error)
        if error.status == 413:
            raise FieldErrors({"csv": [error.detail]}, {"csv": "import.too_large"}) from error
        if error.status == 422:
            raise _refused(error, {"csv": "csv"}, IMPORT_RULES) from error
        raise
    return _report(found)
