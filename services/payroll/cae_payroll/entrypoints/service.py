"""The payroll nameko service: a thin shell over the payroll's use cases and the kit.

Every ``cae run payroll`` process is a payroll worker: they all consume the same
``payroll--cae.payroll.payslip_requested.v1`` queue (competing consumers), so
operations scale payroll by adding processes (KEDA on that queue's length).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from nameko.timer import timer
from werkzeug.wrappers import Response

from cae_contracts import Event
from cae_payroll.adapters.document import render, render_pdf
from cae_payroll.adapters.lines import lines_of
from cae_payroll.adapters.schemas import (
    CancelIn,
    DocumentLinkOut,
    DocumentQuery,
    EmployeeOut,
    NetworkRunList,
    NetworkRunQuery,
    NetworkRunsOut,
    PayslipList,
    PayslipOut,
    PayslipQuery,
    RunIn,
    RunList,
    RunOut,
    RunQuery,
    SalaryIn,
    SalaryOut,
    SettingsIn,
    SettingsOut,
    SignedDocumentQuery,
    SimulationOut,
    SimulationQuery,
    TermsIn,
)
from cae_payroll.adapters.store import Employee, Payslip, Run
from cae_payroll.domain.documents import LinkRefused
from cae_payroll.domain.employees import hours_text
from cae_payroll.domain.runs import LEFT_OUT
from cae_payroll.usecases import employees, payslips, runs, salaries
from caekit import context, idempotency
from caekit.fields import encode_cursor
from caekit.handlers import reliable_handler
from caekit.http import api
from caekit.openapi import Reply
from caekit.period import Period
from caekit.problems import Forbidden, NotFound, Problem
from caekit.rules import RuleViolation
from caekit.service import ServiceBase


class Gone(Problem):
    """A signed link that has expired (a capability URL past its time: 410)."""

    status, title, slug = 410, "Gone", "gone"


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

    @reliable_handler("cae.members.cooperative_updated.v1", refusals=(RuleViolation,))
    def on_cooperative_updated(self, event: Event):
        data = event.data
        employees.rename(self.db, str(data["cooperative_id"]), data["effective_on"], data["name"])

    @reliable_handler("cae.members.member_joined.v2")
    def on_member_joined(self, event: Event):
        data = event.data
        employees.record_person(self.db, str(data["cooperative_id"]), str(data["member_id"]),
                                data["first_name"], data["last_name"])

    @reliable_handler("cae.members.activity_opened.v1")
    def on_activity_opened(self, event: Event):
        employees.open_activity(self.db, str(event.data["cooperative_id"]), event.data["code"],
                                event.data["member_ids"])

    @reliable_handler("cae.members.contract_signed.v1", refusals=(RuleViolation,))
    def on_contract_signed(self, event: Event):
        data = event.data
        employees.sign_contract(self.db, str(data["cooperative_id"]), data["member_id"],
                                data["kind"], data["contract_id"], data["signed_on"])

    @reliable_handler("cae.members.contract_ended.v1", refusals=(RuleViolation,))
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
        """Headcount, accident rate, run day, payment day, and the establishment the payslips
        name (SIRET, APE code, URSSAF, address, convention collective)."""
        terms = employees.change_settings(self.db, cooperative_id, **body)
        self.db.commit()
        return SettingsOut().dump(terms)

    @api("GET", "/cooperatives/<cooperative_id>/payroll-settings", roles=STAFF)
    def get_settings(self, request, cooperative_id):
        return SettingsOut().dump(employees.settings(self.db, cooperative_id))

    @api("PUT", "/cooperatives/<cooperative_id>/employees/<member_id>/terms", roles=STAFF,
         schema=TermsIn, **WRITE)
    def change_terms(self, request, cooperative_id, member_id, body):
        """Cadre or not, the withholding rate the tax office notified, the contract's
        monthly hours, and the job, classification and address the payslip shows."""
        employee = employees.change_terms(self.db, cooperative_id, member_id, **body)
        self.db.commit()
        return _employee_out(employee)

    @api("GET", "/cooperatives/<cooperative_id>/employees/<member_id>", roles=READERS)
    def get_employee(self, request, cooperative_id, member_id):
        return _employee_out(self._readable_employee(cooperative_id, member_id))

    # -- HTTP: salary ------------------------------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/employees/<member_id>/simulation", roles=READERS,
         query=SimulationQuery)
    def simulation(self, request, cooperative_id, member_id, query):
        """What ?gross= costs and pays in ?period= (default next month); without a gross,
        what the available budget pays."""
        self._readable_employee(cooperative_id, member_id)
        period = Period.parse(query["period"]) if "period" in query else None  # next month
        simulated = salaries.simulate(self.db, cooperative_id, member_id, period,
                                      query.get("gross"))
        return SimulationOut().dump({
            **_amounts(simulated.slip), "period": simulated.period.text,
            "available_cents": simulated.available_cents,
            "budget_pays_gross_cents": simulated.budget_pays_gross_cents,
            "fits": simulated.fits, "minimum_gross_cents": simulated.minimum_gross_cents,
            "monthly_hours": simulated.monthly_hours})

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
        left_out = runs.left_out(self.db, [run.id for run in started])
        return 201, NetworkRunsOut().dump({
            "items": [_run_out_data(run, left_out[run.id]) for run in started],
            "skipped": [{"cooperative_id": cooperative, "rule": why.rule, "detail": why.message}
                        for cooperative, why in sorted(skipped.items())]})

    @api("GET", "/payroll-runs", roles={"network_operator"}, query=NetworkRunQuery,
         allow_network_operator=True)
    def list_network_runs(self, request, query):
        """A network's month: every cooperative's run of ?period= (YYYY-MM) with its
        progress and whom it leaves out, by cooperative (?limit=, ?cursor=).

        The network operator's reading across cooperatives (no cooperative's staff reads
        another's runs): what a month started for the whole network has become, while the
        workers issue its payslips. A cooperative without a run of the month is absent."""
        found, after = runs.network_runs(self.db, Period.parse(query["period"]), query["limit"],
                                         query["after"])
        left_out = runs.left_out(self.db, [run.id for run in found], all_tenants=True)
        return NetworkRunList().dump({
            "items": [_run_out_data(run, left_out[run.id]) for run in found],
            "next_cursor": encode_cursor(after)})

    @api("GET", "/cooperatives/<cooperative_id>/payroll-runs", roles=STAFF, query=RunQuery)
    def list_runs(self, request, cooperative_id, query):
        """The cooperative's runs, newest month first (?period=, ?status=, ?limit=), each
        with the CESA holders it leaves out and why."""
        period = Period.parse(query["period"]) if "period" in query else None
        found = runs.list_runs(self.db, period, query.get("status"), query["limit"])
        left_out = runs.left_out(self.db, [run.id for run in found])
        return RunList().dump({"items": [_run_out_data(run, left_out[run.id]) for run in found]})

    @api("GET", "/cooperatives/<cooperative_id>/payroll-runs/<run_id>", roles=STAFF)
    def get_run(self, request, cooperative_id, run_id):
        """A run's progress: expected and issued payslips, and who it leaves out."""
        return self._run_out(runs.get_run(self.db, run_id))

    @api("POST", "/cooperatives/<cooperative_id>/payroll-runs/<run_id>/resume", roles=STAFF,
         **WRITE)
    def resume_run(self, request, cooperative_id, run_id):
        run = runs.get_run(self.db, run_id)
        again = runs.resume_run(self.db, run)
        self.db.commit()
        return self._run_out(run, requested_again=again)

    @api("POST", "/cooperatives/<cooperative_id>/payroll-runs/<run_id>/cancel", roles=STAFF,
         schema=CancelIn, **WRITE)
    def cancel_run(self, request, cooperative_id, run_id, body):
        """Cancel a run before its payment date, with a reason: the run and its payslips are
        kept, marked cancelled; the month can be run again; the ledger reverses the run's
        salaries (cae.payroll.run_cancelled.v1)."""
        run = runs.cancel_run(self.db, runs.get_run(self.db, run_id), body["reason"])
        self.db.commit()
        return self._run_out(run)

    def _run_out(self, run: Run, **extra) -> dict:
        return RunOut().dump({**_run_out_data(run, runs.left_out(self.db, [run.id])[run.id]),
                              **extra})

    # -- HTTP: payslips ------------------------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/payslips", roles=READERS, query=PayslipQuery)
    def list_payslips(self, request, cooperative_id, query):
        """Payslips by period and member (?member=, ?period=, ?status=, ?limit=); an
        entrepreneur sees their own."""
        who = context.caller.get()
        member = str(query["member"]) if "member" in query else None
        if not who.has_any(STAFF):
            if member not in (None, who.subject):
                raise Forbidden("an entrepreneur sees only their own payslips")
            member = who.subject
        period = Period.parse(query["period"]) if "period" in query else None
        found = payslips.payslips(self.db, member, period, query["limit"], query.get("status"))
        return PayslipList().dump({"items": [_payslip_data(p) for p in found]})

    @api("GET", "/cooperatives/<cooperative_id>/payslips/<payslip_id>", roles=READERS)
    def get_payslip(self, request, cooperative_id, payslip_id):
        return PayslipOut().dump(_payslip_data(self._payslip(payslip_id)))

    @api("GET", "/cooperatives/<cooperative_id>/payslips/<payslip_id>/document", roles=READERS,
         query=DocumentQuery)
    def payslip_document(self, request, cooperative_id, payslip_id, query):
        """The payslip laid out as a French bulletin de paie: HTML, or PDF with ?format=pdf
        or ``Accept: application/pdf``."""
        row = self._payslip(payslip_id)
        return self._document(request, cooperative_id, row, query.get("format"))

    @api("POST", "/cooperatives/<cooperative_id>/payslips/<payslip_id>/document-link",
         roles=READERS)
    def payslip_document_link(self, request, cooperative_id, payslip_id):
        """A link that opens the payslip's document in a browser, without a token, for five
        minutes (signed with HMAC-SHA256: it opens that payslip only)."""
        row = self._payslip(payslip_id)
        expires, signature = payslips.document_link(self.db, cooperative_id, row.id)
        self.db.commit()  # the cooperative's key, made on its first link
        path = f"/cooperatives/{cooperative_id}/payslips/{row.id}/signed-document"
        signed = {"expires": expires, "signature": signature}
        return DocumentLinkOut().dump({
            "url": f"{path}?{urlencode(signed)}",
            "pdf_url": f"{path}?{urlencode({'format': 'pdf', **signed})}",
            "expires_at": datetime.fromtimestamp(expires, UTC)})

    @api("GET", "/cooperatives/<cooperative_id>/payslips/<payslip_id>/signed-document",
         public=True, query=SignedDocumentQuery)
    def signed_payslip_document(self, request, cooperative_id, payslip_id, query):
        """The payslip's document through a signed link (POST .../document-link): no token,
        until the link expires. A link that is not ours is a 404 and an expired one a 410
        (as capability URLs answer), each with a French detail the browser shows."""
        self.db.info["tenant_id"] = str(cooperative_id)  # no token: the signed cooperative's
        try:
            row = payslips.linked_payslip(self.db, str(cooperative_id), payslip_id,
                                          query["expires"], query["signature"])
        except LinkRefused as refused:
            raise (Gone if refused.rule == "link.expired" else NotFound)(refused.message) from None
        return self._document(request, str(cooperative_id), row, query.get("format"))

    def _document(self, request, cooperative_id, row: Payslip, kind: str | None) -> Response:
        kind = kind or ("pdf" if request.accept_mimetypes.best_match(
            ("text/html", "application/pdf")) == "application/pdf" else "html")
        page = payslips.bulletin(self.db, cooperative_id, row)
        headers = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer",
                   "X-Content-Type-Options": "nosniff"}
        if kind == "html":
            return Response(render(page), mimetype="text/html", headers=headers)
        name = f"bulletin-de-paie-{Period(row.period).text}-{row.member_id}.pdf"
        return Response(render_pdf(page), mimetype="application/pdf", headers={
            **headers, "Content-Disposition": f'inline; filename="{name}"'})

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
    return {**_run_data(row), "lines": lines_of(row),
            "monthly_hours": hours_text(row.monthly_hours_x100),
            "status": "cancelled" if row.cancel_key else "issued"}


def _run_out_data(run: Run, left_out: list[tuple[str, str]]) -> dict:
    """A run's columns, its payment date, and who it leaves out and why."""
    return {**_run_data(run), "paid_on": run.paid_on or Period(run.period).last_day,
            "left_out": [{"member_id": member, "reason": rule, "detail": LEFT_OUT[rule]}
                         for member, rule in left_out]}


def _employee_out(row: Employee) -> dict:
    return EmployeeOut().dump({**{c.key: getattr(row, c.key) for c in row.__table__.columns},
                               "monthly_hours": hours_text(row.monthly_hours_x100)})


def _run_data(row) -> dict:
    """A row's columns (a run's, a payslip's, a salary choice's), its period as YYYY-MM."""
    return {**{c.key: getattr(row, c.key) for c in row.__table__.columns},
            "period": Period(row.period).text}


def _amounts(slip) -> dict:
    return {name: getattr(slip, name) for name in (
        "gross_cents", "employee_contributions_cents", "employer_contributions_cents",
        "net_social_cents", "net_taxable_cents", "net_before_tax_cents", "withholding_tax_cents",
        "net_paid_cents", "employer_cost_cents")} | {"lines": [line._asdict() for line in slip.lines]}


# the replies of each endpoint and the problems it can return besides the kit's, for the
# OpenAPI document (caekit.openapi)
_DB = {503: "The payroll database is unavailable; retry later."}
_OTHERS = "An entrepreneur asking for another entrepreneur's record."
_DOCUMENT = ("The payslip as a French bulletin de paie: text/html, or application/pdf with "
             "?format=pdf or Accept: application/pdf.")
RESPONSES = {
    "change_settings": (200, SettingsOut, "The cooperative's payroll settings now.", {
        422: "A rule refuses a value (errors.rule): siret.invalid (not 14 digits with a valid "
             "Luhn check), siret.other_company (not the cooperative's SIREN), "
             "convention.incomplete (an IDCC without its title or the reverse), rate.invalid.",
        **_DB}),
    "get_settings": (200, SettingsOut, "The cooperative's payroll settings.", _DB),
    "change_terms": (200, EmployeeOut, "The entrepreneur's payroll terms now.", {
        404: "No such entrepreneur in the cooperative's payroll (employee.unknown).",
        422: "A rule refuses a value (errors.rule): rate.invalid, hours.invalid (from 1 to "
             "151.67, two decimals at most).", **_DB}),
    "get_employee": (200, EmployeeOut, "The entrepreneur as the payroll knows them.", {
        403: _OTHERS, 404: "No such entrepreneur (employee.unknown).", **_DB}),
    "simulation": (200, SimulationOut, "What the gross costs and pays, and what the budget pays.",
                   {403: _OTHERS, 404: "No such entrepreneur (employee.unknown).",
                    422: "No CESA in force (employee.no_cesa), no activity "
                         "(employee.no_activity), no rates for the period (rates.none), or a "
                         "month more than 12 months ahead (salary.too_far_ahead).", **_DB}),
    "choose_salary": (201, SalaryOut, "The salary chosen.", {
        403: _OTHERS, 404: "No such entrepreneur (employee.unknown).",
        409: "A concurrent choice of the same month: retry.",
        422: "A rule refuses it (errors.rule): budget.exceeded (the detail gives the shortfall "
             "and the largest gross the budget pays), budget.override_by_staff, "
             "salary.below_smic (under the SMIC for the contract's hours), "
             "salary.month_closed (the month's run has started), salary.too_far_ahead (more "
             "than 12 months ahead), employee.no_cesa, employee.no_activity, rates.none.",
        **_DB}),
    "start_run": (201, RunOut, "The run started; its payslips are issued by the workers.", {
        409: "A concurrent start of the same month: retry (run.exists).",
        422: "A rule refuses it (errors.rule): run.exists (resume it), run.out_of_order (a "
             "later month has a run), run.previous_running, run.too_far_ahead (after next "
             "month), rates.none.", **_DB}),
    "start_network_runs": (201, NetworkRunsOut, "The runs started, one per cooperative that "
                           "had none, and the cooperatives whose month cannot start yet.", {
                               409: "A concurrent start of the same month: send it again.",
                               422: "run.too_far_ahead (after next month) or rates.none.",
                               **_DB}),
    "list_network_runs": (200, NetworkRunList, "The month's runs of every cooperative, a page "
                          "of them, and the cursor of the next page.", _DB),
    "list_runs": (200, RunList, "The cooperative's runs, newest month first.", _DB),
    "get_run": (200, RunOut, "The run's progress.", {404: "No such run (run.unknown).", **_DB}),
    "resume_run": (200, RunOut, "The run, with the payslips asked for again.", {
        404: "No such run (run.unknown).", 409: "The run is cancelled (run.cancelled).", **_DB}),
    "cancel_run": (200, RunOut, "The run, cancelled with its payslips.", {
        404: "No such run (run.unknown).",
        409: "The run is already cancelled (run.cancelled).",
        422: "Its salaries are paid: on or after its payment date (run.paid); or a later "
             "month's run continues its year to date (run.not_latest).", **_DB}),
    "list_payslips": (200, PayslipList, "Payslips by period and member.", {
        403: "An entrepreneur asking for another entrepreneur's payslips.", **_DB}),
    "get_payslip": (200, PayslipOut, "The payslip and its lines.", {
        403: _OTHERS, 404: "No such payslip (payslip.unknown).", **_DB}),
    "payslip_document": (
        Reply(200, None, _DOCUMENT, "text/html"), Reply(200, None, _DOCUMENT, "application/pdf"),
        {403: _OTHERS, 404: "No such payslip (payslip.unknown).", **_DB}),
    "payslip_document_link": (200, DocumentLinkOut, "Signed links to the payslip's document, "
                              "valid five minutes.", {
                                  403: _OTHERS, 404: "No such payslip (payslip.unknown).",
                                  409: "An Idempotency-Key sent with another request.", **_DB}),
    "signed_payslip_document": (
        Reply(200, None, _DOCUMENT, "text/html"), Reply(200, None, _DOCUMENT, "application/pdf"),
        {404: "No such payslip (payslip.unknown), or a link forged or altered (link.invalid).",
         410: "The link has expired (link.expired): ask for another.", **_DB}),
}
