"""The payroll nameko service: a thin shell over the payroll's use cases and the kit.

Every ``cae run payroll`` process is a payroll worker: they all consume the same
``payroll--cae.payroll.payslip_requested.v1`` queue (competing consumers), so
operations scale payroll by adding processes (KEDA on that queue's length).
"""

from __future__ import annotations

import logging
from datetime import date

from nameko.timer import timer
from werkzeug.wrappers import Response

from cae_contracts import Event
from cae_payroll.adapters.document import render, render_pdf
from cae_payroll.adapters.lines import lines_of
from cae_payroll.adapters.schemas import (
    EmployeeOut,
    NetworkRunsOut,
    PayslipList,
    PayslipOut,
    RunIn,
    RunOut,
    SalaryIn,
    SalaryOut,
    SettingsIn,
    SettingsOut,
    SimulationOut,
    TermsIn,
)
from cae_payroll.adapters.store import Employee, Payslip, Run
from cae_payroll.usecases import employees, payslips, runs, salaries
from caekit import context, idempotency
from caekit.handlers import reliable_handler
from caekit.http import api
from caekit.period import Period
from caekit.problems import BadRequest, Forbidden
from caekit.rules import RuleViolation
from caekit.service import ServiceBase

STAFF = {"staff", "admin"}
READERS = STAFF | {"entrepreneur"}
WRITE = {"idempotency_required": True}
logger = logging.getLogger("cae_payroll")


class PayrollService(ServiceBase):
    name = "payroll"

    # -- read models from members and the ledger ---------------------------------------------------
    @reliable_handler("cae.members.cooperative_registered.v1")
    def on_cooperative_registered(self, event: Event):
        data = event.data
        employees.register_cooperative(self.db, str(data["cooperative_id"]), data["name"],
                                       data["siren"], data.get("staff_size_bracket"))

    @reliable_handler("cae.members.member_joined.v2")
    def on_member_joined(self, event: Event):
        data = event.data
        employees.record_person(self.db, str(data["cooperative_id"]), str(data["member_id"]),
                                data["first_name"], data["last_name"])

    @reliable_handler("cae.members.activity_opened.v1")
    def on_activity_opened(self, event: Event):
        employees.open_activity(self.db, str(event.data["cooperative_id"]), event.data["code"],
                                event.data["member_ids"])

    @reliable_handler("cae.members.contract_signed.v1")
    def on_contract_signed(self, event: Event):
        data = event.data
        employees.sign_contract(self.db, str(data["cooperative_id"]), data["member_id"],
                                data["kind"], data["contract_id"], data["signed_on"])

    @reliable_handler("cae.members.contract_ended.v1")
    def on_contract_ended(self, event: Event):
        data = event.data
        employees.end_contract(self.db, str(data["cooperative_id"]), data["member_id"],
                               data["kind"], data["ended_on"])

    @reliable_handler("cae.ledger.activity_balance_changed.v1")
    def on_activity_balance_changed(self, event: Event):
        data = event.data
        employees.record_budget(self.db, str(data["cooperative_id"]), data["activity_code"],
                                data["available_cents"], data["as_of"])

    # -- the workers' share of a run ---------------------------------------------------------------
    # 4 work items of 50 members: about 200 payslips per transaction, and few items
    # prefetched, so that the workers share a run evenly
    # a payroll rule's refusal is the same on every attempt: parked at once, rule in hand
    @reliable_handler("cae.payroll.payslip_requested.v1", batch_size=4,
                      refusals=(RuleViolation,))
    def on_payslip_requested(self, event: Event):
        data = event.data
        payslips.issue_work_item(self.db, event.tenant_id, str(data["cooperative_id"]),
                                 str(data["run_id"]), [str(m) for m in data["member_ids"]],
                                 Period.parse(data["period"]))

    @timer(interval=3600)
    def start_scheduled_runs(self):
        """On a cooperative's run day, start the month's run if nobody has (a month whose
        previous run is still running waits for a later hour of the day)."""
        today = date.today()
        for cooperative in runs.due_cooperatives(self.db, today):
            tokens = context.bind(tenant=cooperative, who=context.Caller(
                "schedule", cooperative, frozenset({"service"})), correlation=None)
            try:
                self.db.info["tenant_id"] = cooperative
                if runs.start_scheduled_run(self.db, cooperative, today) is not None:
                    self.db.commit()
            except RuleViolation as refused:  # the previous month still running: later
                self.db.rollback()
                logger.warning("%s: the scheduled %s run waits: %s", cooperative,
                               Period.of(today).text, refused.message)
            finally:
                self.db.info["tenant_id"] = None
                context.unbind(tokens)

    # -- HTTP: settings and terms ---------------------------------------------------------------
    @api("PUT", "/cooperatives/<cooperative_id>/payroll-settings", roles=STAFF, schema=SettingsIn,
         **WRITE)
    def change_settings(self, request, cooperative_id, body):
        terms = employees.change_settings(self.db, cooperative_id, body["staff"], body["at_rate"],
                                          body["run_day"])
        self.db.commit()
        return SettingsOut().dump(terms)

    @api("GET", "/cooperatives/<cooperative_id>/payroll-settings", roles=STAFF)
    def get_settings(self, request, cooperative_id):
        return SettingsOut().dump(employees.settings(self.db, cooperative_id))

    @api("PUT", "/cooperatives/<cooperative_id>/employees/<member_id>/terms", roles=STAFF,
         schema=TermsIn, **WRITE)
    def change_terms(self, request, cooperative_id, member_id, body):
        """Cadre or not, and the withholding rate the tax office notified."""
        employee = employees.change_terms(self.db, cooperative_id, member_id, body["cadre"],
                                          body["withholding_rate"])
        self.db.commit()
        return EmployeeOut().dump(employee)

    @api("GET", "/cooperatives/<cooperative_id>/employees/<member_id>", roles=READERS)
    def get_employee(self, request, cooperative_id, member_id):
        return EmployeeOut().dump(self._readable_employee(cooperative_id, member_id))

    # -- HTTP: salary ------------------------------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/employees/<member_id>/simulation", roles=READERS)
    def simulation(self, request, cooperative_id, member_id):
        """What ?gross= costs and pays in ?period= (default next month); without a gross,
        what the available budget pays."""
        self._readable_employee(cooperative_id, member_id)
        period = request.args.get("period")
        period = None if period is None else Period.parse(period)  # None: next month
        gross = request.args.get("gross")
        if gross is not None and (not gross.isdigit() or len(gross) > 10):
            raise BadRequest("gross is a whole number of cents")
        simulated = salaries.simulate(self.db, cooperative_id, member_id, period,
                                      None if gross is None else int(gross))
        return SimulationOut().dump({
            **_amounts(simulated.slip), "period": simulated.period.text,
            "available_cents": simulated.available_cents,
            "budget_pays_gross_cents": simulated.budget_pays_gross_cents,
            "fits": simulated.fits})

    @api("POST", "/cooperatives/<cooperative_id>/employees/<member_id>/salary", roles=READERS,
         schema=SalaryIn, **WRITE)
    def choose_salary(self, request, cooperative_id, member_id, body):
        """Choose the gross paid from a month on; refused above the budget (422, with the
        shortfall) unless staff override it with a reason."""
        self._readable_employee(cooperative_id, member_id)
        choice = salaries.choose_salary(self.db, cooperative_id, member_id,
                                        Period.parse(body["period"]), body["gross_cents"],
                                        body["override_reason"])
        self.db.commit()
        return 201, SalaryOut().dump(_run_data(choice))

    # -- HTTP: runs ----------------------------------------------------------------------------
    @api("POST", "/cooperatives/<cooperative_id>/payroll-runs", roles=STAFF, schema=RunIn, **WRITE)
    def start_run(self, request, cooperative_id, body):
        run = runs.start_run(self.db, cooperative_id, Period.parse(body["period"]))
        self.db.commit()
        return 201, self._run_out(run)

    @api("POST", "/payroll-runs", roles={"network_operator"}, schema=RunIn,
         allow_network_operator=True, **WRITE)
    def start_network_runs(self, request, body):
        """The month's run of every cooperative of the network that has none yet,
        committed a step of cooperatives at a time (the workers begin on the first): one
        interrupted part-way is finished by sending it again."""
        with idempotency.reserved_with_the_last_step(self.db):
            started, skipped = runs.start_network_runs(self.db, Period.parse(body["period"]),
                                                       commit=self.db.commit)
        self.db.commit()
        return 201, NetworkRunsOut().dump({
            "items": [_run_data(run) for run in started],
            "skipped": [{"cooperative_id": cooperative, "rule": why.rule, "detail": why.message}
                        for cooperative, why in sorted(skipped.items())]})

    @api("GET", "/cooperatives/<cooperative_id>/payroll-runs/<run_id>", roles=STAFF)
    def get_run(self, request, cooperative_id, run_id):
        """A run's progress: expected and issued payslips."""
        return self._run_out(runs.get_run(self.db, run_id))

    @api("POST", "/cooperatives/<cooperative_id>/payroll-runs/<run_id>/resume", roles=STAFF,
         **WRITE)
    def resume_run(self, request, cooperative_id, run_id):
        run = runs.get_run(self.db, run_id)
        again = runs.resume_run(self.db, run)
        self.db.commit()
        return self._run_out(run, requested_again=again)

    @staticmethod
    def _run_out(run: Run, **extra) -> dict:
        return RunOut().dump({**_run_data(run), **extra})

    # -- HTTP: payslips ------------------------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/payslips", roles=READERS)
    def list_payslips(self, request, cooperative_id):
        """Payslips by period and member (?member=, ?period=); an entrepreneur sees their own."""
        who = context.caller.get()
        member = request.args.get("member")
        if not who.has_any(STAFF):
            if member not in (None, who.subject):
                raise Forbidden("an entrepreneur sees only their own payslips")
            member = who.subject
        period = request.args.get("period")
        found = payslips.payslips(self.db, member, None if period is None else Period.parse(period))
        return PayslipList().dump({"items": [_payslip_data(p) for p in found]})

    @api("GET", "/cooperatives/<cooperative_id>/payslips/<payslip_id>", roles=READERS)
    def get_payslip(self, request, cooperative_id, payslip_id):
        return PayslipOut().dump(_payslip_data(self._payslip(payslip_id)))

    @api("GET", "/cooperatives/<cooperative_id>/payslips/<payslip_id>/document", roles=READERS)
    def payslip_document(self, request, cooperative_id, payslip_id):
        """The payslip laid out as a French bulletin de paie: HTML, or PDF with ?format=pdf
        or ``Accept: application/pdf``."""
        kind = request.args.get("format") or (
            "pdf" if request.accept_mimetypes.best_match(("text/html", "application/pdf"))
            == "application/pdf" else "html")
        if kind not in ("html", "pdf"):
            raise BadRequest("format is html or pdf")
        row = self._payslip(payslip_id)
        page = payslips.bulletin(self.db, cooperative_id, row)
        if kind == "html":
            return Response(render(*page), mimetype="text/html")
        name = f"bulletin-de-paie-{Period(row.period).text}-{row.member_id}.pdf"
        return Response(render_pdf(*page), mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})

    def _payslip(self, payslip_id) -> Payslip:
        row = payslips.get_payslip(self.db, payslip_id)
        who = context.caller.get()
        if not who.has_any(STAFF) and who.subject != row.member_id:
            raise Forbidden("an entrepreneur sees only their own payslips")
        return row

    def _readable_employee(self, cooperative_id, member_id) -> Employee:
        who = context.caller.get()
        if not who.has_any(STAFF) and who.subject != str(member_id):
            raise Forbidden("an entrepreneur sees only their own salary")
        return employees.employee(self.db, cooperative_id, member_id)


def _payslip_data(row: Payslip) -> dict:
    return {**_run_data(row), "lines": lines_of(row)}


def _run_data(row) -> dict:
    """A row's columns (a run's, a payslip's, a salary choice's), its period as YYYY-MM."""
    return {**{c.key: getattr(row, c.key) for c in row.__table__.columns},
            "period": Period(row.period).text}


def _amounts(slip) -> dict:
    return {name: getattr(slip, name) for name in (
        "gross_cents", "employee_contributions_cents", "employer_contributions_cents",
        "net_social_cents", "net_taxable_cents", "net_before_tax_cents", "withholding_tax_cents",
        "net_paid_cents", "employer_cost_cents")} | {"lines": [line._asdict() for line in slip.lines]}


# the success response of each endpoint, for the OpenAPI document (caekit.openapi)
RESPONSES = {
    "change_settings": (200, SettingsOut, "The cooperative's payroll settings now."),
    "get_settings": (200, SettingsOut, "The cooperative's payroll settings."),
    "change_terms": (200, EmployeeOut, "The entrepreneur's payroll terms now."),
    "get_employee": (200, EmployeeOut, "The entrepreneur as the payroll knows them."),
    "simulation": (200, SimulationOut, "What the gross costs and pays, and what the budget pays.",
                   {422: "No CESA in force, no activity, or no rates for the period."}),
    "choose_salary": (201, SalaryOut, "The salary chosen.",
                      {422: "Above the budget (errors.rule budget.exceeded, the detail gives the "
                            "shortfall and the largest gross the budget pays), or no CESA."}),
    "start_run": (201, RunOut, "The run started; its payslips are issued by the workers.",
                  {422: "A run exists for this month (errors.rule run.exists): resume it."}),
    "start_network_runs": (201, NetworkRunsOut, "The runs started, one per cooperative that "
                           "had none, and the cooperatives whose month cannot start yet."),
    "get_run": (200, RunOut, "The run's progress."),
    "resume_run": (200, RunOut, "The run, with the payslips asked for again."),
    "list_payslips": (200, PayslipList, "Payslips by period and member."),
    "get_payslip": (200, PayslipOut, "The payslip and its lines."),
    "payslip_document": (200, None, "The payslip as a French bulletin de paie (text/html, or "
                         "application/pdf with ?format=pdf or Accept: application/pdf)."),
}
