"""The entrepreneur's pages: home, statements, salary, payslips, contract."""

from __future__ import annotations

import functools
import uuid

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from cae_portal.domain.money import parse_euros
from cae_portal.domain.months import SERIES, bar_chart
from cae_portal.entrypoints.app import (
    current_viewer,
    gateway_for_viewer,
    refusal_in_words,
    t,
    today,
)
from cae_portal.usecases import pages
from cae_portal.usecases.gateway import FieldErrors
from caekit.period import Period
from caekit.rules import RuleViolation

blueprint = Blueprint("entrepreneur", __name__)

SERIES_LABELS = {"revenue": "Revenue received", "contribution": "Contribution",
                 "expenses": "Expenses", "salaries": "Salaries"}


def signed_in(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        viewer = current_viewer()
        if viewer is None:
            return redirect(url_for("auth.index"))
        if not viewer.is_entrepreneur:
            from flask import abort

            abort(403)
        return view(viewer, *args, **kwargs)

    return wrapper


@blueprint.get("/accueil")
@signed_in
def home(viewer):
    page = pages.home(gateway_for_viewer(), viewer, today())
    chart = bar_chart(page.months)
    return render_template("home.html", page=page, chart=chart, series=SERIES,
                           series_labels={k: t(v) for k, v in SERIES_LABELS.items()})


def _period_arg(name: str) -> tuple[str | None, str | None]:
    """A YYYY-MM query parameter: (value, error message)."""
    text = request.args.get(name, "").strip()
    if not text:
        return None, None
    try:
        return Period.parse(text).text, None
    except RuleViolation:
        return None, t("A month written YYYY-MM, like 2026-03.")


@blueprint.get("/releve-de-tresorerie")
@signed_in
def treasury(viewer):
    to, error = _period_arg("au")
    statement = pages.treasury_statement(gateway_for_viewer(), viewer, to)
    return render_template("treasury.html", statement=statement, error=error,
                           asked=request.args.get("au", ""))


@blueprint.get("/compte-de-resultat")
@signed_in
def income(viewer):
    text = request.args.get("annee", "").strip()
    year, error = today().year, None
    if text:
        if text.isdigit() and 1900 <= int(text) <= 2200:
            year = int(text)
        else:
            error = t("A year, like 2026.")
    statement = pages.income_statement(gateway_for_viewer(), viewer, year)
    return render_template("income.html", statement=statement, error=error,
                           asked=text or str(year))


def _gross(text: str) -> tuple[int | None, str | None]:
    if not text.strip():
        return None, None
    try:
        return parse_euros(text, "brut"), None
    except RuleViolation:
        return None, t("An amount in euros, like 2 150,50.")


@blueprint.get("/salaire")
@signed_in
def simulator(viewer):
    period = pages.salary_period(today())
    typed = request.args.get("brut", "")
    gross, error = _gross(typed)
    mode = "gross" if typed.strip() else "budget"
    simulation, errors = None, {}
    if error:
        errors = {"brut": [error]}
    else:
        try:
            simulation = pages.simulate(gateway_for_viewer(), viewer, period, gross)
        except FieldErrors as refused:
            errors = _french(refused)
    chosen = session.pop("chosen", None)
    return render_template("salary.html", period=period, typed=typed, mode=mode,
                           simulation=simulation, errors=errors, chosen=chosen,
                           choice_errors={}, choice_typed="")


@blueprint.post("/salaire")
@signed_in
def choose(viewer):
    period = pages.salary_period(today())
    typed = request.form.get("brut", "")
    gross, error = _gross(typed)
    if gross is None and not error:
        error = t("Enter the gross salary you choose, in euros.")
    if error:
        return _choice_refused(viewer, period, typed, {"brut": [error]})
    key = request.form.get("cle") or uuid.uuid4().hex
    try:
        chosen = pages.choose_salary(gateway_for_viewer(), viewer, period, gross, key)
    except FieldErrors as refused:
        return _choice_refused(viewer, period, typed, _french(refused))
    session["chosen"] = {"period": chosen.period, "gross_cents": chosen.gross_cents,
                         "employer_cost_cents": chosen.employer_cost_cents,
                         "available_cents": chosen.available_cents}
    return redirect(url_for("entrepreneur.simulator") + "#choix", 303)


def _choice_refused(viewer, period, typed, errors):
    simulation = None
    try:
        simulation = pages.simulate(gateway_for_viewer(), viewer, period, None)
    except FieldErrors:
        pass
    return render_template("salary.html", period=period, typed="", mode="budget",
                           simulation=simulation, errors={}, chosen=None,
                           choice_errors=errors, choice_typed=typed), 422


RULES = {
    "salary.below_smic": "This gross is below the SMIC for your contract's hours.",
    "salary.month_closed": "The payroll of this month has started: choose from the next one.",
    "salary.too_far_ahead": "A salary is chosen at most 12 months ahead.",
    "employee.no_cesa": "You have no CESA contract in force: payroll cannot pay you yet.",
    "employee.no_activity": "Your activity is not known to payroll yet.",
    "rates.none": "The rates of this month are not known yet.",
    "budget.override_by_staff": "Only the support staff may pay above the budget.",
}


def _french(refused: FieldErrors) -> dict[str, list[str]]:
    """The refusal's messages in the request's language: a known rule's own words (the
    shortfall with its figures), else the service's message as it gave it."""
    return refusal_in_words(refused, RULES, lambda **euros: t(
        "Above your budget: this salary costs %(cost)s and your available budget is "
        "%(available)s, so %(shortfall)s is missing. Your budget pays at most a gross "
        "of %(largest)s.", **euros))


@blueprint.get("/bulletins")
@signed_in
def payslips(viewer):
    return render_template("payslips.html", slips=pages.payslips(gateway_for_viewer(), viewer))


@blueprint.get("/bulletins/<uuid:payslip_id>")
@signed_in
def payslip(viewer, payslip_id):
    slip = pages.payslip(gateway_for_viewer(), viewer, str(payslip_id))
    return render_template("payslip.html", slip=slip)


@blueprint.get("/bulletins/<uuid:payslip_id>/document")
@signed_in
def payslip_html(viewer, payslip_id):
    body = pages.payslip_document(gateway_for_viewer(), viewer, str(payslip_id), "html")
    # the payroll service's own page, as it laid it out (its inline style only)
    return Response(body, mimetype="text/html", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                   "img-src data:; frame-ancestors 'none'; base-uri 'none'"})


@blueprint.get("/bulletins/<uuid:payslip_id>/pdf")
@signed_in
def payslip_pdf(viewer, payslip_id):
    body = pages.payslip_document(gateway_for_viewer(), viewer, str(payslip_id), "pdf")
    slip_id = str(payslip_id)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="bulletin-de-paie-{slip_id}.pdf"'})


@blueprint.get("/contrat")
@signed_in
def contract(viewer):
    return render_template("contract.html", page=pages.contract(gateway_for_viewer(), viewer,
                                                                today()))
