"""The network operator's pages: the cooperatives, registering one, a network's payroll month, each service's health.

Role ``network_operator``, no cooperative of their own: every page is under /reseau/;
anyone else gets the 403 page (and the services would refuse their token). Every form
carries the CSRF token and an idempotency key; a refusal is shown next to the field it
names, in French. Payroll answers a network's start with the runs it started and the
cooperatives it skipped (kept in the operator's session, server side, for the skipped
ones and their reason). The month's page reads every cooperative's run of the month from
payroll (``GET /payroll-runs?period=``: after a new sign-in too, and for a month started
by the cooperatives' staff), and while a run is still running its script
(static/network-progress.js) follows them from ``/reseau/paie/<month>/etat``.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)

from cae_portal.entrypoints.app import (
    current_viewer,
    form_key,
    gateway_for_viewer,
    keep_notice,
    period_name,
    refusal_in_words,
    render_page,
    t,
    today,
)
from cae_portal.usecases import network as usecases
from cae_portal.usecases.gateway import FieldErrors

blueprint = Blueprint("network", __name__, url_prefix="/reseau")

# menu entries by role: (endpoint, label msgid), after the first ones (app.NAVIGATION)
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "network_operator": [
        ("network.cooperatives", "Cooperatives"),
        ("network.register_form", "Register a cooperative"),
        ("network.payroll", "Network payroll"),
        ("network.health", "Services' health"),
    ],
}


def operator_only(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        viewer = current_viewer()
        if viewer is None:
            return redirect(url_for("auth.index"))
        usecases.own_network(viewer)  # NotOperator: the 403 page
        return view(viewer, *args, **kwargs)

    return wrapper


# -- French words ---------------------------------------------------------------------------

RULES = {
    "field.required": "This field is required.",
    "siren.invalid": "A SIREN is 9 digits whose last one checks the others (Luhn key), like "
                     "732 829 320: copy it from the cooperative's Kbis.",
    "cooperative.siren_registered": "A cooperative with this SIREN is already registered in "
                                    "the network.",
    "name.invalid": "A name of 1 to 200 characters, on one line.",
    "legal_form.invalid": "Choose the legal form.",
    "rate.invalid": "A percentage from 0 to 50, with at most 2 decimals, like 10 or 9,5.",
    "staff_size.invalid": "Choose the staff size.",
    "period.invalid": "A month written YYYY-MM, like 2026-03.",
    "run.too_far_ahead": "A payroll run can be started at most for next month.",
    "rates.none": "The rates of this month are not known yet.",
    "run.concurrent": "Another start of this month is under way: send it again in a moment.",
    # why payroll skips a cooperative
    "run.out_of_order": "A later month already has a payroll run.",
    "run.previous_running": "The previous month's run is still running.",
}
LEGAL_FORMS = {
    "SCOP-SARL": "SCOP-SARL (worker cooperative, limited liability company)",
    "SCOP-SA": "SCOP-SA (worker cooperative, public limited company)",
    "SCIC-SAS": "SCIC-SAS (collective interest cooperative, simplified joint-stock company)",
    "SCIC-SA": "SCIC-SA (collective interest cooperative, public limited company)",
}
STAFF_SIZES = {"under_11": "Fewer than 11 employees", "11_to_49": "11 to 49 employees",
               "50_and_more": "50 employees or more"}
OUTCOMES = {"started": "Run started", "cancelled": "Run started, then cancelled",
            "skipped": "Not started",
            "none": "No run of this month: the month was not started for it, or payroll "
                    "does not know this cooperative yet."}
LEFT_OUT = {  # the same words as the staff's pages
    "salary.none": "No salary chosen for this month.",
    "salary.below_smic": "The salary chosen is below the SMIC for the contract's hours.",
    "employee.no_activity": "No activity known to payroll.",
}
# "Run cancelled", not the shared "Cancelled" (« Annulé », a payslip's): « la paie » is feminine
RUN_STATUS = {"running": "Running", "completed": "Completed", "cancelled": "Run cancelled"}
SERVICE_NAMES = {"members": "Members and cooperatives", "ledger": "Ledger",
                 "payroll": "Payroll", "governance": "Governance (general assemblies)",
                 "matching": "Matching (profiles and calls for tenders)"}
READY_WORDS = {"ok": "Ready", "degraded": "Degraded: its message broker does not answer",
               "unavailable": "Not ready: its database does not answer"}


def _french(refused: FieldErrors) -> dict[str, list[str]]:
    return refusal_in_words(refused, RULES, lambda **euros: "")


# -- the cooperatives ------------------------------------------------------------------------

@blueprint.get("/")
@operator_only
def home(viewer):
    return redirect(url_for("network.cooperatives"))


@blueprint.get("/cooperatives")
@operator_only
def cooperatives(viewer):
    listed = usecases.cooperatives(gateway_for_viewer(), viewer)
    return render_page("network/cooperatives.html", cooperatives=listed,
                       new_id=session.pop("network_new", None), rate=usecases.percent_text,
                       siren=usecases.siren_text)


REGISTER_FORM = ("nom", "siren", "forme", "taux", "effectif")


def _register_page(status=200, form=None, errors=None):
    forms = [("", t("Choose the legal form"))] + [(k, t(v)) for k, v in LEGAL_FORMS.items()]
    sizes = [(k, t(v)) for k, v in STAFF_SIZES.items()]
    return render_page("network/register.html", status, form=form or {}, errors=errors or {},
                       legal_forms=forms, staff_sizes=sizes)


@blueprint.get("/cooperatives/nouvelle")
@operator_only
def register_form(viewer):
    return _register_page(form={"taux": "10", "effectif": "under_11"})


@blueprint.post("/cooperatives/nouvelle")
@operator_only
def register(viewer):
    form = {name: request.form.get(name, "").strip() for name in REGISTER_FORM}
    try:
        registered = usecases.register_cooperative(gateway_for_viewer(), viewer, form, form_key())
    except FieldErrors as refused:
        return _register_page(422, form, _french(refused))
    session["network_new"] = registered["id"]
    keep_notice(t("%(name)s is registered (SIREN %(siren)s).", name=registered["name"],
                  siren=usecases.siren_text(registered["siren"])))
    return redirect(url_for("network.cooperatives") + "#cooperative-" + registered["id"], 303)


# -- a network's payroll month ---------------------------------------------------------------

def _started() -> dict:
    """The months this session started: period -> {"at", "items", "skipped"}."""
    return dict(session.get("network_runs") or {})


def _payroll_page(status=200, errors=None, asked=None):
    started = _started()
    months = sorted(((period, found.get("at", "")) for period, found in started.items()),
                    reverse=True)
    day = today()
    this_month = day.year * 12 + day.month - 1
    recent = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(this_month + 1, this_month - 3, -1)]
    return render_page("network/payroll.html", status, errors=errors or {},
                       asked=asked if asked is not None else f"{day.year:04d}-{day.month:02d}",
                       months=months, recent=recent)


@blueprint.get("/paie")
@operator_only
def payroll(viewer):
    return _payroll_page()


@blueprint.post("/paie")
@operator_only
def start_payroll(viewer):
    asked = request.form.get("mois", "").strip()
    try:
        answer = usecases.start_network_month(gateway_for_viewer(), viewer, asked, form_key())
    except FieldErrors as refused:
        return _payroll_page(422, _french(refused), asked)
    started = _started()
    found = usecases.merged(started.get(asked), answer)
    found["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    started[asked] = found
    session["network_runs"] = started
    keep_notice(t("The payroll of %(month)s is started: %(started)s run(s) started, %(skipped)s "
                  "cooperative(s) not started.", month=period_name(asked),
                  started=len(answer.get("items", [])),
                  skipped=len(answer.get("skipped", []))))
    return redirect(url_for("network.payroll_month", period=asked), 303)


def _summary(figures: dict, running: bool) -> str:
    """The month's state in one sentence, for the page's live region: it changes when a
    run finishes, not with every payslip (a screen reader is not read each count)."""
    cancelled = figures.get("cancelled", 0)
    if not figures["runs"]:
        if cancelled:
            return t("No run of the month goes on: %(cancelled)s run(s) cancelled and not run "
                     "again.", cancelled=cancelled)
        return t("No cooperative has a run of this month yet.")
    if running:
        said = t("%(running)s run(s) still running of %(runs)s.", running=figures["running"],
                 runs=figures["runs"])
    else:
        said = t("Every run of the month is finished: %(issued)s payslip(s) issued of "
                 "%(expected)s.", issued=figures["issued"], expected=figures["expected"])
    if cancelled:  # out of the figures: said, so that nobody looks for their payslips
        said += " " + t("%(cancelled)s run(s) cancelled and not run again, not counted.",
                        cancelled=cancelled)
    return said


def _read_now() -> str:
    return t("Read from payroll at %(time)s (UTC).",
             time=datetime.now(UTC).strftime("%H:%M:%S"))


@blueprint.get("/paie/<period>")
@operator_only
def payroll_month(viewer, period):
    if not usecases.PERIOD.fullmatch(period):
        abort(404)
    found = _started().get(period)
    month = usecases.network_month(gateway_for_viewer(), viewer, period, found)
    figures = {"runs": month.count("started"), "running": month.runs("running"),
               "issued": month.issued, "expected": month.expected,
               "cancelled": month.count("cancelled")}
    return render_page("network/payroll_month.html", period=period, month=month,
                       at=(found or {}).get("at"), read=_read_now(),
                       summary=_summary(figures, month.running), outcomes=OUTCOMES, rules=RULES,
                       run_status=RUN_STATUS, left_out=LEFT_OUT, moment=usecases.moment_text)


@blueprint.get("/paie/<period>/etat")
@operator_only
def payroll_month_state(viewer, period):
    """The month's runs as JSON, for the page's own script (network-progress.js): each
    run's status and payslips in words, the month's figures, and a summary for the page's
    live region; ``running`` False once every run is finished (the script stops)."""
    if not usecases.PERIOD.fullmatch(period):
        abort(404)
    progress = usecases.month_progress(gateway_for_viewer(), viewer, period)
    for run in progress["runs"]:
        run["status_text"] = t(RUN_STATUS.get(run["status"], run["status"]))
        run["completed_text"] = t("on %(moment)s", moment=usecases.moment_text(
            run["completed_at"])) if run["completed_at"] else ""
        run["issued_text"] = f"{run['issued']} / {run['expected']}"
    progress["summary"] = _summary(progress["figures"], progress["running"])
    progress["read"] = _read_now()
    return jsonify(progress)


# -- each service's health -------------------------------------------------------------------

@blueprint.get("/sante")
@operator_only
def health(viewer):
    services = tuple(current_app.config["PORTAL"].service_urls)
    found = usecases.health(gateway_for_viewer(), viewer, services)
    checked = datetime.now(UTC)
    return render_page("network/health.html", services=found, names=SERVICE_NAMES,
                       ready_words=READY_WORDS, checked=checked.strftime("%d/%m/%Y %H:%M:%S"),
                       down=sum(1 for s in found if not s.answers))
