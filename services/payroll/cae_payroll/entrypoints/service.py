"""The payroll nameko service: a thin shell over the engine, the payroll layer and the kit.

Every ``cae run payroll`` process is a payroll worker: they all consume the same
``payroll--cae.payroll.payslip_requested.v1`` queue (competing consumers), so
operations scale payroll by adding processes (KEDA on that queue's length).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from nameko.timer import timer
from sqlalchemy import select
from werkzeug.wrappers import Response

from cae_contracts import Event
from cae_payroll.adapters.document import render, render_pdf
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
from cae_payroll.adapters.store import Employee, PayrollSettings, Payslip, Run
from cae_payroll.usecases import payroll
from cae_payroll.usecases.payroll import format_period, parse_period
from caekit import context, idempotency
from caekit.handlers import reliable_handler
from caekit.http import api
from caekit.problems import BadRequest, Forbidden, NotFound
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
        terms = payroll.settings(self.db, str(event.data["cooperative_id"]))
        terms.name, terms.siren = event.data["name"], event.data["siren"]
        bracket = event.data.get("staff_size_bracket")
        if bracket:
            terms.staff = max(terms.staff, payroll.STAFF_OF_BRACKET[bracket])

    @reliable_handler("cae.members.member_joined.v1")
    def on_member_joined(self, event: Event):
        if event.data["activity_code"]:
            payroll.employee_row(self.db, str(event.data["cooperative_id"]),
                                 event.data["member_id"]).activity_code = event.data["activity_code"]

    @reliable_handler("cae.members.activity_opened.v1")
    def on_activity_opened(self, event: Event):
        for member in event.data["member_ids"]:
            employee = payroll.employee_row(self.db, str(event.data["cooperative_id"]), member)
            employee.activity_code = employee.activity_code or event.data["code"]

    @reliable_handler("cae.members.contract_signed.v1")
    def on_contract_signed(self, event: Event):
        if event.data["kind"] == "CESA":
            employee = payroll.employee_row(self.db, str(event.data["cooperative_id"]),
                                            event.data["member_id"])
            employee.contract_id = str(event.data["contract_id"])
            employee.cesa_from, employee.cesa_until = event.data["signed_on"], None

    @reliable_handler("cae.members.contract_ended.v1")
    def on_contract_ended(self, event: Event):
        if event.data["kind"] == "CESA":
            payroll.employee_row(self.db, str(event.data["cooperative_id"]),
                                 event.data["member_id"]).cesa_until = event.data["ended_on"]

    @reliable_handler("cae.ledger.activity_balance_changed.v1")
    def on_activity_balance_changed(self, event: Event):
        data = event.data
        payroll.record_budget(self.db, str(data["cooperative_id"]), data["activity_code"],
                              data["available_cents"], data["as_of"])

    # -- the workers' share of a run ---------------------------------------------------------------
    # 4 work items of 50 members: about 200 payslips per transaction, and few items
    # prefetched, so that the workers share a run evenly
    # a payroll rule's refusal is the same on every attempt: parked at once, rule in hand
    @reliable_handler("cae.payroll.payslip_requested.v1", batch_size=4,
                      refusals=(payroll.RuleViolation,))
    def on_payslip_requested(self, event: Event):
        data = event.data
        cooperative, run, period = (str(data["cooperative_id"]), str(data["run_id"]),
                                    parse_period(data["period"]))
        if cooperative != event.tenant_id:  # the run's writes are not tenant-filtered
            raise payroll.RuleViolation("event.tenant", "a work item names another cooperative")
        payroll.issue_payslips(self.db, cooperative, run, [str(m) for m in data["member_ids"]],
                               period)

    @timer(interval=3600)
    def start_scheduled_runs(self):
        """On a cooperative's run day, start the month's run if nobody has (a month whose
        previous run is still running waits for a later hour of the day)."""
        today = date.today()
        period = today.year * 100 + today.month
        due = self.db.scalars(select(PayrollSettings.cooperative_id).where(
            PayrollSettings.run_day == today.day)).all()
        for cooperative in due:
            tokens = context.bind(tenant=cooperative, who=context.Caller(
                "schedule", cooperative, frozenset({"service"})), correlation=None)
            try:
                self.db.info["tenant_id"] = cooperative
                if self.db.scalar(select(Run.id).where(Run.period == period)) is None:
                    payroll.start_run(self.db, cooperative, period)
                    self.db.commit()
            except payroll.RuleViolation as refused:  # the previous month still running: later
                self.db.rollback()
                logger.warning("%s: the scheduled %s run waits: %s", cooperative,
                               payroll.format_period(period), refused.message)
            finally:
                self.db.info["tenant_id"] = None
                context.unbind(tokens)

    # -- HTTP: settings and terms ---------------------------------------------------------------
    @api("PUT", "/cooperatives/<cooperative_id>/payroll-settings", roles=STAFF, schema=SettingsIn,
         **WRITE)
    def change_settings(self, request, cooperative_id, body):
        terms = payroll.settings(self.db, cooperative_id)
        terms.staff, terms.run_day = body["staff"], body["run_day"]
        terms.at_rate = payroll.parse_rate(body["at_rate"], "at_rate")
        self.db.commit()
        return SettingsOut().dump(terms)

    @api("GET", "/cooperatives/<cooperative_id>/payroll-settings", roles=STAFF)
    def get_settings(self, request, cooperative_id):
        return SettingsOut().dump(payroll.settings(self.db, cooperative_id))

    @api("PUT", "/cooperatives/<cooperative_id>/employees/<member_id>/terms", roles=STAFF,
         schema=TermsIn, **WRITE)
    def change_terms(self, request, cooperative_id, member_id, body):
        """Cadre or not, and the withholding rate the tax office notified."""
        employee = self._readable_employee(cooperative_id, member_id)
        employee.cadre = body["cadre"]
        employee.withholding_rate = payroll.parse_rate(body["withholding_rate"], "withholding_rate")
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
        period = parse_period(request.args.get("period", _next_month()))
        gross = request.args.get("gross")
        if gross is not None and (not gross.isdigit() or len(gross) > 10):
            raise BadRequest("gross is a whole number of cents")
        slip, budget, best = payroll.simulate(self.db, cooperative_id, member_id, period,
                                              None if gross is None else int(gross))
        return SimulationOut().dump({
            **_amounts(slip), "period": format_period(period), "available_cents": budget,
            "budget_pays_gross_cents": best, "fits": slip.employer_cost_cents <= budget})

    @api("POST", "/cooperatives/<cooperative_id>/employees/<member_id>/salary", roles=READERS,
         schema=SalaryIn, **WRITE)
    def choose_salary(self, request, cooperative_id, member_id, body):
        """Choose the gross paid from a month on; refused above the budget (422, with the
        shortfall) unless staff override it with a reason."""
        self._readable_employee(cooperative_id, member_id)
        choice = payroll.choose_salary(self.db, cooperative_id, member_id,
                                       parse_period(body["period"]), body["gross_cents"],
                                       body["override_reason"])
        self.db.commit()
        return 201, SalaryOut().dump({**_columns(choice), "period": format_period(choice.period)})

    # -- HTTP: runs ----------------------------------------------------------------------------
    @api("POST", "/cooperatives/<cooperative_id>/payroll-runs", roles=STAFF, schema=RunIn, **WRITE)
    def start_run(self, request, cooperative_id, body):
        run = payroll.start_run(self.db, cooperative_id, parse_period(body["period"]))
        self.db.commit()
        return 201, self._run_out(run)

    @api("POST", "/payroll-runs", roles={"network_operator"}, schema=RunIn,
         allow_network_operator=True, **WRITE)
    def start_network_runs(self, request, body):
        """The month's run of every cooperative of the network that has none yet,
        committed a step of cooperatives at a time (the workers begin on the first): one
        interrupted part-way is finished by sending it again."""
        with idempotency.reserved_with_the_last_step(self.db):
            runs, skipped = payroll.start_network_runs(self.db, parse_period(body["period"]),
                                                       commit=self.db.commit)
        self.db.commit()
        return 201, NetworkRunsOut().dump({
            "items": [_run_data(run) for run in runs],
            "skipped": [{"cooperative_id": cooperative, "rule": why.rule, "detail": why.message}
                        for cooperative, why in sorted(skipped.items())]})

    @api("GET", "/cooperatives/<cooperative_id>/payroll-runs/<run_id>", roles=STAFF)
    def get_run(self, request, cooperative_id, run_id):
        """A run's progress: expected and issued payslips."""
        return self._run_out(self._run(run_id))

    @api("POST", "/cooperatives/<cooperative_id>/payroll-runs/<run_id>/resume", roles=STAFF,
         **WRITE)
    def resume_run(self, request, cooperative_id, run_id):
        run = self._run(run_id)
        again = payroll.resume_run(self.db, run)
        self.db.commit()
        return self._run_out(run, requested_again=again)

    def _run(self, run_id) -> Run:
        run = self.db.scalar(select(Run).where(Run.id == str(run_id)))
        if run is None:
            raise NotFound(f"no payroll run {run_id} in this cooperative")
        return run

    @staticmethod
    def _run_out(run: Run, **extra) -> dict:
        return RunOut().dump({**_run_data(run), **extra})

    # -- HTTP: payslips ------------------------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/payslips", roles=READERS)
    def list_payslips(self, request, cooperative_id):
        """Payslips by period and member (?member=, ?period=); an entrepreneur sees their own."""
        who = context.caller.get()
        query = select(Payslip).order_by(Payslip.period, Payslip.member_id).limit(1000)
        member = request.args.get("member")
        if not who.has_any(STAFF):
            if member not in (None, who.subject):
                raise Forbidden("an entrepreneur sees only their own payslips")
            member = who.subject
        if member is not None:
            query = query.where(Payslip.member_id == member)
        if "period" in request.args:
            query = query.where(Payslip.period == parse_period(request.args["period"]))
        return PayslipList().dump({"items": [_payslip_data(p) for p in self.db.scalars(query)]})

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
        page = (row, payroll.lines_of(row), payroll.settings(self.db, cooperative_id))
        if kind == "html":
            return Response(render(*page), mimetype="text/html")
        name = f"bulletin-de-paie-{format_period(row.period)}-{row.member_id}.pdf"
        return Response(render_pdf(*page), mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})

    def _payslip(self, payslip_id) -> Payslip:
        row = self.db.scalar(select(Payslip).where(Payslip.id == str(payslip_id)))
        who = context.caller.get()
        if row is None:
            raise NotFound(f"no payslip {payslip_id} in this cooperative")
        if not who.has_any(STAFF) and who.subject != row.member_id:
            raise Forbidden("an entrepreneur sees only their own payslips")
        return row

    def _readable_employee(self, cooperative_id, member_id) -> Employee:
        who = context.caller.get()
        if not who.has_any(STAFF) and who.subject != str(member_id):
            raise Forbidden("an entrepreneur sees only their own salary")
        employee = self.db.get(Employee, (cooperative_id, str(member_id)))
        if employee is None:
            raise NotFound(f"no entrepreneur {member_id} in this cooperative's payroll")
        return employee


def _payslip_data(row: Payslip) -> dict:
    return {**_run_data(row), "lines": payroll.lines_of(row)}


def _run_data(row: Run | Payslip) -> dict:
    """A run's or a payslip's columns, its period as YYYY-MM."""
    return {**_columns(row), "period": format_period(row.period)}


def _columns(row) -> dict:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def _amounts(slip) -> dict:
    return {name: getattr(slip, name) for name in (
        "gross_cents", "employee_contributions_cents", "employer_contributions_cents",
        "net_social_cents", "net_taxable_cents", "net_before_tax_cents", "withholding_tax_cents",
        "net_paid_cents", "employer_cost_cents")} | {"lines": [line._asdict() for line in slip.lines]}


def _next_month() -> str:
    today = datetime.now(UTC).date()
    return format_period(payroll.next_period(today.year * 100 + today.month))


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
