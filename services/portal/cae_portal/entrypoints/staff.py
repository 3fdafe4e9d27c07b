"""The support staff's pages (role ``staff``), under /equipe/<cooperative>/: members (register,
steps, contracts, associate deadlines, follow-up interviews), the ledger (invoices, payments,
expenses, month closing, trial balance, FEC) and payroll (runs and their progress, those left
out, a salary above the budget with its reason).

Every page names its cooperative in its address: the staff of another cooperative get the
403 page (and the services would refuse their token). Every form carries the CSRF token and
an idempotency key; a refusal is shown next to the field it names, in French.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    request,
    url_for,
)

from cae_portal.domain.money import format_cents, parse_euros
from cae_portal.entrypoints.app import (
    current_viewer,
    form_key,
    gateway_for_viewer,
    keep_notice,
    refusal_in_words,
    render_page,
    t,
    today,
)
from cae_portal.usecases import staff as usecases
from cae_portal.usecases.gateway import FieldErrors
from caekit.period import Period
from caekit.rules import RuleViolation

blueprint = Blueprint("staff", __name__, url_prefix="/equipe/<uuid:coop>")


@blueprint.url_defaults
def _own_cooperative(endpoint, values):
    """``url_for('staff.x')`` names the viewer's cooperative unless told another."""
    if "coop" not in values:
        viewer = current_viewer()
        if viewer and viewer.cooperative_id:
            values["coop"] = viewer.cooperative_id


def staff_only(view):
    @functools.wraps(view)
    def wrapper(coop, *args, **kwargs):
        viewer = current_viewer()
        if viewer is None:
            return redirect(url_for("auth.index"))
        usecases.own_cooperative(viewer, str(coop))  # NotStaff: the 403 page
        return view(viewer, str(coop), *args, **kwargs)

    return wrapper


# -- French words for the services' refusals ------------------------------------------------

RULES = {
    "period.closed": "The books are closed on this date: choose a date in a month still open.",
    "period.not_over": "This month is not over: it can be closed from the first day of the "
                       "next month.",
    "period.already_closed": "This month is already closed, or comes before the latest "
                             "closed month.",
    "period.earlier_open": "An earlier month is still open: months are closed one after the "
                           "other, from the first month with entries.",
    "entry.unknown_account": "This account is not in the cooperative's chart of accounts.",
    "expense.account": "An expense goes on a class 6 account (6 then 2 to 7 digits, like 606).",
    "activity.unknown": "No such activity in this cooperative.",
    "activity.closed": "This activity is closed.",
    "amount.out_of_range": "This amount is outside the platform's range.",
    "amount.not_positive": "The amount must be above zero.",
    "amount.negative": "The amount must not be negative.",
    "run.exists": "This month already has a payroll run: open it in the list below.",
    "run.out_of_order": "A later month already has a payroll run.",
    "run.previous_running": "The previous month's run is still running.",
    "run.too_far_ahead": "A payroll run can be started at most for next month.",
    "rates.none": "The rates of this month are not known yet.",
    "salary.below_smic": "This gross is below the SMIC for the contract's hours.",
    "salary.month_closed": "The payroll of this month has started: choose from the next one.",
    "salary.too_far_ahead": "A salary is chosen at most 12 months ahead.",
    "employee.no_cesa": "This person has no CESA contract in force: payroll cannot pay them.",
    "employee.no_activity": "This person's activity is not known to payroll yet.",
    "employee.unknown": "Payroll does not know this person: no CESA signed yet.",
    "cesa.already_signed": "This person already has a CESA.",
    "cape.already_running": "This person already has a CAPE running.",
    "cape.end_required": "A CAPE needs its end date (at most 12 months after signing).",
    "stage.after_exit": "This person has left the cooperative.",
    "activity.code_used": "This activity code is already used in this cooperative.",
    "import.empty": "Paste the file's text or choose a file.",
    "import.too_many_rows": "The file has more than 5,000 people lines: split it and import "
                            "each part.",
    "import.not_csv": "This file is not readable CSV: a first line naming the columns, then "
                      "one line per person, fields separated by \",\" or \";\".",
    "import.too_large": "The file is too large (at most 1 MB): split it and import each part.",
    "import.not_utf8": "This file is not in UTF-8: save it as \"CSV UTF-8\" and choose it "
                       "again.",
}
MESSAGES = {  # the services' validation messages (marshmallow's words)
    "Missing data for required field.": "This field is required.",
    "Not a valid email address.": "An e-mail address, like name@example.org.",
    "Not a valid date.": "A date, like 05/01/2026.",
    "String does not match expected pattern.": "This value is not in the expected form.",
    "Field may not be null.": "This field is required.",
    "Not a valid integer.": "A whole number.",
    "missing column": "Missing column.",
}
LEFT_OUT = {
    "salary.none": "No salary chosen for this month.",
    "salary.below_smic": "The salary chosen is below the SMIC for the contract's hours.",
    "employee.no_activity": "No activity known to payroll.",
}
RUN_STATUS = {"running": "Running", "completed": "Completed", "cancelled": "Run cancelled"}
ENTRY_KINDS = {"factures": "invoices", "encaissements": "payments", "depenses": "expenses"}
POSTED = {"factures": "The invoice %(ref)s is posted.",
          "encaissements": "The payment %(ref)s is posted.",
          "depenses": "The expense %(ref)s is posted."}


def _french(refused: FieldErrors) -> dict[str, list[str]]:
    return refusal_in_words(refused, RULES, lambda **euros: t(
        "Above the budget: this salary costs %(cost)s and the available budget is "
        "%(available)s, so %(shortfall)s is missing; the budget pays at most a gross of "
        "%(largest)s. To pay it all the same, give the reason for going over the "
        "budget.", **euros), MESSAGES)


def _euros(form: dict, name: str, errors: dict, required: bool = True) -> int | None:
    text = request.form.get(name, "")
    form[name] = text
    if not text.strip():
        if required:
            errors[name] = [t("This field is required.")]
        return None
    try:
        return parse_euros(text, name)
    except RuleViolation:
        errors[name] = [t("An amount in euros, like 2 150,50.")]
        return None


def _month(text: str) -> str | None:
    try:
        return Period.parse(text.strip()).text
    except RuleViolation:
        return None


# -- members ------------------------------------------------------------------------------

@blueprint.get("/")
@staff_only
def home(viewer, coop):
    return redirect(url_for("staff.members", coop=coop))


@blueprint.get("/membres")
@staff_only
def members(viewer, coop):
    listed = usecases.members(gateway_for_viewer(), viewer, coop)
    return render_page("staff/members.html", members=listed)


REGISTER_FORM = {"prenom": "first_name", "nom": "last_name", "email": "email",
                 "entree": "joined_on", "code_activite": "activity_code",
                 "nom_activite": "activity_name"}


@blueprint.get("/membres/nouveau")
@staff_only
def register_form(viewer, coop):
    return render_page("staff/register.html", form={"entree": today().isoformat()}, errors={})


@blueprint.post("/membres/nouveau")
@staff_only
def register(viewer, coop):
    form = {name: request.form.get(name, "").strip() for name in REGISTER_FORM}
    form["code_activite"] = form["code_activite"].upper()
    body = {service: form[name] for name, service in REGISTER_FORM.items()}
    try:
        member = usecases.register_member(gateway_for_viewer(), viewer, coop, body, form_key())
    except FieldErrors as refused:
        return render_page("staff/register.html", 422, form=form, errors=_french(refused))
    keep_notice(t("%(name)s is registered.", name=f"{member['first_name']} {member['last_name']}"))
    return redirect(url_for("staff.member", coop=coop, member_id=member["id"]), 303)


NOT_UTF8 = RULES["import.not_utf8"]
IMPORT_OUTCOMES = {"created": "Person", "skipped": "Already imported", "refused": "Nothing"}


@blueprint.get("/membres/import")
@staff_only
def import_form(viewer, coop):
    return render_page("staff/import.html", form={}, errors={}, report=None,
                       outcomes=IMPORT_OUTCOMES, words=_import_words)


def _import_words(message: str) -> str:
    """A service's message about a line, in French when it is a known one."""
    if message in MESSAGES:
        return t(MESSAGES[message])
    found = re.fullmatch(r"(.+) is already on line (\d+)", message)
    if found:
        return t("%(ref)s is already on line %(line)s.", ref=found[1], line=found[2])
    return message


@blueprint.post("/membres/import")
@staff_only
def import_members(viewer, coop):
    """Check the file (Vérifier: the dry run's report), or import it (Importer)."""
    dry_run = request.form.get("action") != "importer"
    text = request.form.get("csv", "")
    upload = request.files.get("fichier")
    errors: dict[str, list[str]] = {}
    report = None
    if upload is not None and upload.filename:
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            errors["csv"] = [t(NOT_UTF8)]
    text = text.removeprefix("\ufeff")
    if not errors:
        try:
            report = usecases.import_members(gateway_for_viewer(), viewer, coop, text,
                                             dry_run, form_key())
        except FieldErrors as refused:
            errors = _french(refused)
    form = {"csv": text}
    if report is not None and not dry_run and not report.refused:
        keep_notice(t("Import done: %(people)s person(s) and %(contracts)s contract(s) created, "
                      "%(skipped)s already imported.", people=report.people,
                      contracts=report.contracts, skipped=report.skipped))
        return redirect(url_for("staff.members", coop=coop), 303)
    status = 422 if errors or (report is not None and report.errors) else 200
    return render_page("staff/import.html", status, form=form, errors=errors, report=report,
                       outcomes=IMPORT_OUTCOMES, words=_import_words)


STAGES = {"candidate": "Candidate", "diagnostic": "Diagnostic", "cape": "CAPE", "cesa": "CESA",
          "associate": "Associate", "exited": "Left"}


def _member_page(viewer, coop, member_id, status=200, errors=None, form=None, which=None):
    found = usecases.member_file(gateway_for_viewer(), viewer, coop, str(member_id))
    return render_page("staff/member.html", status, file=found, errors=errors or {},
                       form=form or {}, which=which, stages=STAGES, today_iso=today().isoformat())


@blueprint.get("/membres/<uuid:member_id>")
@staff_only
def member(viewer, coop, member_id):
    return _member_page(viewer, coop, member_id)


@blueprint.post("/membres/<uuid:member_id>/etapes")
@staff_only
def step(viewer, coop, member_id):
    on = request.form.get("etape_date", "").strip()
    try:
        usecases.record_step(gateway_for_viewer(), viewer, coop, str(member_id), on, form_key())
    except FieldErrors as refused:
        return _member_page(viewer, coop, member_id, 422, _french(refused),
                            {"etape_date": on}, "etape")
    keep_notice(t("The diagnostic of %(day)s is recorded.", day=_day(on)))
    return redirect(url_for("staff.member", coop=coop, member_id=member_id) + "#parcours", 303)


@blueprint.post("/membres/<uuid:member_id>/contrats")
@staff_only
def contract(viewer, coop, member_id):
    form = {name: request.form.get(name, "").strip()
            for name in ("type", "signe_le", "fin", "fin_essai")}
    errors = {}
    if form["type"] not in ("CAPE", "CESA"):
        errors["type"] = [t("Choose CAPE or CESA.")]
    else:
        try:
            usecases.sign_contract(gateway_for_viewer(), viewer, coop, str(member_id),
                                   form["type"], form["signe_le"], form["fin"] or None,
                                   form["fin_essai"] or None, form_key())
        except FieldErrors as refused:
            errors = _french(refused)
    if errors:
        return _member_page(viewer, coop, member_id, 422, errors, form, "contrat")
    keep_notice(t("The %(kind)s signed on %(day)s is recorded.", kind=form["type"],
                  day=_day(form["signe_le"])))
    return redirect(url_for("staff.member", coop=coop, member_id=member_id) + "#contrats", 303)


@blueprint.post("/membres/<uuid:member_id>/entretiens")
@staff_only
def interview(viewer, coop, member_id):
    form = {"entretien_date": request.form.get("entretien_date", "").strip(),
            "notes": request.form.get("notes", "")}
    try:
        usecases.record_interview(gateway_for_viewer(), viewer, coop, str(member_id),
                                  form["entretien_date"], form["notes"], form_key())
    except FieldErrors as refused:
        return _member_page(viewer, coop, member_id, 422, _french(refused), form, "entretien")
    keep_notice(t("The follow-up interview of %(day)s is recorded.", day=_day(form["entretien_date"])))
    return redirect(url_for("staff.member", coop=coop, member_id=member_id) + "#entretiens", 303)


def _day(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return iso


@blueprint.get("/echeances-associes")
@staff_only
def deadlines(viewer, coop):
    text = request.args.get("jours", "").strip()
    within, error = 1095, None
    if text:
        if text.isdigit() and int(text) <= 3650:
            within = int(text)
        else:
            error = t("A number of days, from 0 to 3650.")
    rows = usecases.associate_deadlines(gateway_for_viewer(), viewer, coop, today(), within)
    return render_page("staff/deadlines.html", rows=rows, within=within, asked=text or str(within),
                       error=error)


@blueprint.get("/entretiens-a-faire")
@staff_only
def follow_up(viewer, coop):
    rows = usecases.follow_up_due(gateway_for_viewer(), viewer, coop, today())
    return render_page("staff/follow_up.html", rows=rows)


# -- the ledger ---------------------------------------------------------------------------

def _entries_page(viewer, coop, status=200, errors=None, form=None, which=None):
    found = usecases.activities(gateway_for_viewer(), viewer, coop)
    options = [("", t("Choose the activity"))] + [
        (a["code"], f"{a['code']} · {a['name']}" if a.get("name") else a["code"]) for a in found]
    return render_page("staff/entries.html", status, options=options, errors=errors or {},
                       form=form or {}, which=which, today_iso=today().isoformat())


@blueprint.get("/comptabilite/ecritures")
@staff_only
def entries(viewer, coop):
    return _entries_page(viewer, coop)


@blueprint.post("/comptabilite/<kind>")
@staff_only
def post_entry(viewer, coop, kind):
    if kind not in ENTRY_KINDS:
        abort(404)
    names = ("activite", "date", "piece", "libelle", "compte", "facture")
    form = {name: request.form.get(name, "").strip() for name in names}
    errors: dict[str, list[str]] = {}
    amount = _euros(form, "montant", errors)
    vat = _euros(form, "tva", errors, required=False)
    body = {"activity_code": form["activite"], "date": form["date"], "piece_ref": form["piece"],
            "label": form["libelle"]}
    if kind == "factures":
        body.update(net_cents=amount, vat_cents=vat or 0)
    elif kind == "depenses":
        body.update(net_cents=amount, vat_cents=vat or 0, account=form["compte"])
    else:
        body.update(amount_cents=amount)
        if vat is not None:
            body["vat_cents"] = vat
        if form["facture"]:
            body["invoice_ref"] = form["facture"]
    if not errors:
        try:
            usecases.post_entry(gateway_for_viewer(), viewer, coop, ENTRY_KINDS[kind], body,
                                form_key())
        except FieldErrors as refused:
            errors = _french(refused)
    if errors:
        return _entries_page(viewer, coop, 422, errors, form, kind)
    keep_notice(t(POSTED[kind], ref=form["piece"]))
    return redirect(url_for("staff.entries", coop=coop), 303)


@blueprint.get("/comptabilite/cloture")
@staff_only
def closing(viewer, coop):
    return _closing_page(viewer, coop)


def _closing_page(viewer, coop, status=200, errors=None, asked=""):
    closed = usecases.closed_periods(gateway_for_viewer(), viewer, coop)
    return render_page("staff/closing.html", status, closed=closed, errors=errors or {}, asked=asked)


@blueprint.post("/comptabilite/cloture")
@staff_only
def close_month(viewer, coop):
    asked = request.form.get("mois", "").strip()
    period = _month(asked)
    if period is None:
        return _closing_page(viewer, coop, 422,
                             {"mois": [t("A month written YYYY-MM, like 2026-03.")]}, asked)
    try:
        closed = usecases.close_month(gateway_for_viewer(), viewer, coop, period, form_key())
    except FieldErrors as refused:
        return _closing_page(viewer, coop, 422, _french(refused), asked)
    keep_notice(t("%(month)s is closed: %(count)s minimum contribution(s) charged.",
                  month=period, count=len(closed.get("minimum_contributions") or [])))
    return redirect(url_for("staff.closing", coop=coop), 303)


@blueprint.get("/comptabilite/balance")
@staff_only
def trial_balance(viewer, coop):
    asked = {"du": request.args.get("du", "").strip(), "au": request.args.get("au", "").strip()}
    errors = {}
    periods = {}
    for name in ("du", "au"):
        if asked[name]:
            periods[name] = _month(asked[name])
            if periods[name] is None:
                errors[name] = [t("A month written YYYY-MM, like 2026-03.")]
    balance = None
    if not errors:
        try:
            balance = usecases.trial_balance(gateway_for_viewer(), viewer, coop,
                                             periods.get("du"), periods.get("au"))
        except FieldErrors as refused:
            errors = _french(refused)
    return render_page("staff/trial_balance.html", 422 if errors else 200, balance=balance,
                       asked=asked, errors=errors)


@blueprint.get("/comptabilite/fec")
@staff_only
def fec_page(viewer, coop):
    return render_page("staff/fec.html", year=today().year, error=None, asked=str(today().year))


@blueprint.get("/comptabilite/fec/telecharger")
@staff_only
def fec(viewer, coop):
    text = request.args.get("annee", "").strip()
    if not (text.isdigit() and 1900 <= int(text) <= 2200):
        return render_page("staff/fec.html", 422, year=today().year, asked=text,
                           error=t("A year, like 2026."))
    name, body = usecases.fec(gateway_for_viewer(), viewer, coop, int(text))
    return Response(body, mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


# -- payroll ------------------------------------------------------------------------------

def _left_out_words(entry: dict) -> str:
    words = LEFT_OUT.get(entry["reason"])
    return t(words) if words else entry["detail"]


def _runs_page(viewer, coop, status=200, errors=None, asked=""):
    found = usecases.runs(gateway_for_viewer(), viewer, coop)
    return render_page("staff/runs.html", status, found=found, errors=errors or {},
                       asked=asked, run_status=RUN_STATUS, left_out_words=_left_out_words)


@blueprint.get("/paie")
@staff_only
def runs(viewer, coop):
    return _runs_page(viewer, coop)


@blueprint.post("/paie")
@staff_only
def start_run(viewer, coop):
    asked = request.form.get("mois", "").strip()
    period = _month(asked)
    if period is None:
        return _runs_page(viewer, coop, 422,
                          {"mois": [t("A month written YYYY-MM, like 2026-03.")]}, asked)
    try:
        started = usecases.start_run(gateway_for_viewer(), viewer, coop, period, form_key())
    except FieldErrors as refused:
        return _runs_page(viewer, coop, 422, _french(refused), asked)
    return redirect(url_for("staff.run", coop=coop, run_id=started["id"]), 303)


@blueprint.get("/paie/<uuid:run_id>")
@staff_only
def run(viewer, coop, run_id):
    found = usecases.run(gateway_for_viewer(), viewer, coop, str(run_id))
    progress = usecases.run_progress_of(found.runs[0])
    return render_page("staff/run.html", found=found, progress=progress, run_status=RUN_STATUS,
                       left_out_words=_left_out_words)


@blueprint.get("/paie/<uuid:run_id>/etat")
@staff_only
def run_state(viewer, coop, run_id):
    """The run's progress as JSON, for the page's own script (run-progress.js)."""
    progress = usecases.run_progress(gateway_for_viewer(), viewer, coop, str(run_id))
    progress["status_text"] = t(RUN_STATUS.get(progress["status"], progress["status"]))
    progress["text"] = t("%(issued)s payslip(s) issued of %(expected)s.",
                         issued=progress["issued"], expected=progress["expected"])
    return jsonify(progress)


@blueprint.get("/paie/salaire")
@staff_only
def salary_form(viewer, coop):
    return _salary_page(viewer, coop, form={"periode": _next_period()})


def _next_period() -> str:
    day = today()
    return f"{day.year + day.month // 12:04d}-{day.month % 12 + 1:02d}"


def _salary_page(viewer, coop, status=200, errors=None, form=None):
    people = [m for m in usecases.members(gateway_for_viewer(), viewer, coop)
              if m.get("activity_code") and not m.get("left_on")]
    options = [("", t("Choose the entrepreneur"))] + [
        (m["id"], f"{m['first_name']} {m['last_name']} · {m['activity_code']}") for m in people]
    return render_page("staff/salary.html", status, options=options, errors=errors or {},
                       form=form or {})


@blueprint.post("/paie/salaire")
@staff_only
def choose_salary(viewer, coop):
    form = {name: request.form.get(name, "").strip() for name in ("membre", "periode", "motif")}
    errors: dict[str, list[str]] = {}
    gross = _euros(form, "brut", errors)
    period = _month(form["periode"])
    if period is None:
        errors["periode"] = [t("A month written YYYY-MM, like 2026-03.")]
    if not re.fullmatch(r"[0-9a-f-]{36}", form["membre"]):
        errors["membre"] = [t("Choose the entrepreneur.")]
    if len(form["motif"]) > 500:
        errors["motif"] = [t("At most 500 characters.")]
    chosen = None
    if not errors:
        try:
            chosen = usecases.choose_salary(gateway_for_viewer(), viewer, coop, form["membre"],
                                            period, gross, form["motif"] or None, form_key())
        except FieldErrors as refused:
            errors = _french(refused)
    if errors:
        return _salary_page(viewer, coop, 422, errors, form)
    figures = {"month": chosen["period"], "gross": format_cents(chosen["gross_cents"]),
               "cost": format_cents(chosen["employer_cost_cents"]),
               "available": format_cents(chosen["available_cents"])}
    if chosen.get("override_reason"):
        keep_notice(t("Saved above the budget: from %(month)s the gross salary is %(gross)s; it "
                      "costs %(cost)s a month (available budget: %(available)s). Reason given: "
                      "%(reason)s", reason=chosen["override_reason"], **figures))
    else:
        keep_notice(t("Saved: from %(month)s the gross salary is %(gross)s; it costs %(cost)s a "
                      "month (available budget: %(available)s).", **figures))
    return redirect(url_for("staff.salary_form", coop=coop), 303)
