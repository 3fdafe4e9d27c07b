"""The ledger nameko service: a thin shell over the books, the store and the kit."""

from __future__ import annotations

import io
from datetime import date

from cae_contracts import Event
from cae_ledger.adapters.schemas import (
    AccountList,
    ActivityList,
    ActivityOut,
    BudgetOut,
    EntriesQuery,
    EntryIn,
    EntryList,
    EntryOut,
    ExpenseIn,
    FecQuery,
    IncomeStatementOut,
    IncomeStatementQuery,
    InvoiceIn,
    PaymentIn,
    PeriodIn,
    PeriodList,
    PeriodOut,
    PostedOut,
    ReversalIn,
    ScheduleIn,
    ScheduleList,
    ScheduleOut,
    SettingsIn,
    SettingsOut,
    SupplierPaymentIn,
    TreasuryStatementOut,
    TreasuryStatementQuery,
    TrialBalanceOut,
    TrialBalanceQuery,
)
from cae_ledger.adapters.store import Activity
from cae_ledger.domain import entries as domain
from cae_ledger.domain.schedules import build_schedule, public_bands
from cae_ledger.usecases import export, reading
from cae_ledger.usecases.books import Books
from caekit import context
from caekit.handlers import reliable_handler
from caekit.http import api
from caekit.openapi import Reply
from caekit.period import Period
from caekit.problems import Forbidden
from caekit.rules import RuleViolation
from caekit.service import ServiceBase

STAFF = {"staff", "admin"}
READERS = STAFF | {"entrepreneur"}
WRITE = {"roles": STAFF, "idempotency_required": True}


class LedgerService(ServiceBase):
    name = "ledger"

    # -- events from members and governance: the chart, the schedules, the activities ----------
    @reliable_handler("cae.members.cooperative_registered.v1")
    def on_cooperative_registered(self, event: Event):
        data = event.data
        Books(self.db, str(data["cooperative_id"])).register_cooperative(
            data["name"], data["siren"], data["registered_at"], data.get("default_contribution_rate"))

    @reliable_handler("cae.members.cooperative_updated.v1")
    def on_cooperative_updated(self, event: Event):
        data = event.data
        if "default_contribution_rate" in data["changed"]:
            Books(self.db, str(data["cooperative_id"])).record_schedule(build_schedule(
                data["effective_on"], [{"from_cents": 0, "rate": data["default_contribution_rate"]}],
                0), None)

    @reliable_handler("cae.governance.contribution_rate_adopted.v1")
    def on_contribution_rate_adopted(self, event: Event):
        data = event.data
        Books(self.db, str(data["cooperative_id"])).record_schedule(build_schedule(
            data["effective_on"], data["bands"], data["monthly_minimum_cents"]),
            data["activity_code"])

    # a second opening of a code already open (activity.exists) is parked at once, its rule
    # in the error: retrying cannot change the answer
    @reliable_handler("cae.members.activity_opened.v1", refusals=(RuleViolation,))
    def on_activity_opened(self, event: Event):
        data = event.data
        Books(self.db, str(data["cooperative_id"])).open_activity(
            data["code"], data["name"], str(data["member_ids"][0]), event.id, data["opened_on"])

    # -- events that cause postings -------------------------------------------------------------
    @reliable_handler("cae.bank.payment_received.v1")
    def on_payment_received(self, event: Event):
        data = event.data
        Books(self.db, str(data["cooperative_id"])).receive_payment(
            data["activity_code"], data["received_on"], data["bank_reference"], data["label"],
            data["amount_cents"], data["vat_cents"], data["invoice_ref"])

    @reliable_handler("cae.payroll.payslip_issued.v1")
    def on_payslip_issued(self, event: Event):
        """Post the salary; nothing when the payslip's run was cancelled before it arrived."""
        data = event.data
        slip = domain.Payslip(**{name: data[name] for name in domain.Payslip.__dataclass_fields__})
        Books(self.db, str(data["cooperative_id"])).post_salary(
            data["activity_code"], data["paid_on"], data["period"], slip, str(data["run_id"]))

    # a cancellation refused by a rule (a date out of range...) is parked at once
    @reliable_handler("cae.payroll.run_cancelled.v1", refusals=(RuleViolation,))
    def on_run_cancelled(self, event: Event):
        """Reverse the salaries of the run, and remember it so that a payslip of it arriving
        later posts nothing."""
        data = event.data
        Books(self.db, str(data["cooperative_id"])).cancel_payroll_run(
            str(data["run_id"]), data["period"], data["cancelled_on"], data["reason"],
            data["cancelled_by"])

    # -- HTTP: operations ----------------------------------------------------------------------
    @api("POST", "/cooperatives/<cooperative_id>/invoices", schema=InvoiceIn, **WRITE)
    def post_invoice(self, request, cooperative_id, body):
        return self._posted(*Books(self.db, cooperative_id).receive(domain.invoice(
            body["activity_code"], body["date"], body["piece_ref"], body["label"],
            body["net_cents"], body["vat_cents"], body["revenue_account"])))

    @api("POST", "/cooperatives/<cooperative_id>/payments", schema=PaymentIn, **WRITE)
    def post_payment(self, request, cooperative_id, body):
        return self._posted(*Books(self.db, cooperative_id).receive_payment(
            body["activity_code"], body["date"], body["piece_ref"], body["label"],
            body["amount_cents"], body["vat_cents"], body["invoice_ref"]))

    @api("POST", "/cooperatives/<cooperative_id>/expenses", schema=ExpenseIn, **WRITE)
    def post_expense(self, request, cooperative_id, body):
        return self._posted(Books(self.db, cooperative_id).post(domain.expense(
            body["activity_code"], body["date"], body["piece_ref"], body["label"], body["account"],
            body["net_cents"], body["vat_cents"], body["expense_report"])))

    @api("POST", "/cooperatives/<cooperative_id>/supplier-payments", schema=SupplierPaymentIn, **WRITE)
    def post_supplier_payment(self, request, cooperative_id, body):
        return self._posted(Books(self.db, cooperative_id).post(domain.supplier_payment(
            body["activity_code"], body["date"], body["piece_ref"], body["label"],
            body["amount_cents"], body["expense_report"])))

    @api("POST", "/cooperatives/<cooperative_id>/entries", schema=EntryIn, **WRITE)
    def post_entry(self, request, cooperative_id, body):
        lines = tuple(domain.Line(line["account"], line["debit_cents"], line["credit_cents"],
                                  line["activity_code"]) for line in body["lines"])
        return self._posted(Books(self.db, cooperative_id).post(domain.EntryDraft(
            body["journal"], body["date"], body["piece_ref"], body["label"], lines)))

    @api("POST", "/cooperatives/<cooperative_id>/entries/<entry_id>/reversal", schema=ReversalIn,
         **WRITE)
    def reverse_entry(self, request, cooperative_id, entry_id, body):
        return self._posted(Books(self.db, cooperative_id).reverse(entry_id, body["date"], body["label"]))

    def _posted(self, entry, contribution=None):
        self.db.commit()
        return 201, PostedOut().dump({"entry": entry, "contribution": contribution})

    # -- HTTP: reading entries -----------------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/entries", roles=READERS, query=EntriesQuery)
    def list_entries(self, request, cooperative_id, query):
        """Entries in posting order, a page at a time; an entrepreneur names their activity."""
        activity = query.get("activity")
        if activity is not None:
            self._readable_activity(activity)
        elif not context.caller.get().has_any(STAFF):
            raise Forbidden("an entrepreneur lists the entries of their own activity (?activity=)")
        rows, next_after = reading.entries_page(self.db, activity, query["after"], query["limit"])
        return EntryList().dump({"items": rows, "next_after": next_after})

    @api("GET", "/cooperatives/<cooperative_id>/entries/<entry_id>", roles=READERS)
    def get_entry(self, request, cooperative_id, entry_id):
        entry = Books(self.db, cooperative_id).entry(entry_id)
        if not context.caller.get().has_any(STAFF):
            if entry.activity_code is None:
                raise Forbidden("this entry is not on your activity")
            self._readable_activity(entry.activity_code)
        return EntryOut().dump(entry)

    # -- HTTP: balances and statements -----------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/activities/<code>/balance", roles=READERS)
    def activity_balance(self, request, cooperative_id, code):
        """The activity's budget, read from its maintained row (no sum over lines)."""
        self._readable_activity(code)
        return BudgetOut().dump(self._budget_out(code, Books(self.db, cooperative_id).budget(code)))

    @staticmethod
    def _budget_out(code, budget) -> dict:
        return {"activity_code": code, "available_cents": budget.available_cents, **vars(budget)}

    @api("GET", "/cooperatives/<cooperative_id>/trial-balance", roles=STAFF, query=TrialBalanceQuery)
    def trial_balance(self, request, cooperative_id, query):
        """Every account's debit and credit over ?from=YYYY-MM&to=YYYY-MM (default: this year)."""
        trial = reading.account_balances(self.db, query["start"], query["end"])
        return TrialBalanceOut().dump({
            "from_period": trial.start.text, "to_period": trial.end.text, "items": trial.items,
            "debit_cents": trial.debit_cents, "credit_cents": trial.credit_cents})

    @api("GET", "/cooperatives/<cooperative_id>/activities/<code>/income-statement", roles=READERS,
         query=IncomeStatementQuery)
    def income_statement(self, request, cooperative_id, code, query):
        """Revenue (class 7) and charges (class 6) of the activity's analytic in ?year=."""
        self._readable_activity(code)
        year = query.get("year", date.today().year)
        return IncomeStatementOut().dump(reading.activity_income_statement(self.db, code, year))

    @api("GET", "/cooperatives/<cooperative_id>/activities/<code>/treasury-statement", roles=READERS,
         query=TreasuryStatementQuery)
    def treasury_statement(self, request, cooperative_id, code, query):
        """The entrepreneur's statement (décret 2015-1363): the budget, and the treasury
        groups of the activity's accounts at the end of ?to=YYYY-MM (default: now)."""
        self._readable_activity(code)
        end = Period.parse(query["to"]) if "to" in query else Period.of(date.today())
        budget, groups = reading.treasury_statement(self.db, cooperative_id, code, end)
        return TreasuryStatementOut().dump({"activity_code": code, "to_period": end.text,
                                            "budget": self._budget_out(code, budget),
                                            "groups": groups})

    # -- HTTP: contribution schedules and settings ----------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/contribution-schedules", roles=STAFF)
    def list_schedules(self, request, cooperative_id):
        return ScheduleList().dump({"items": [self._schedule_out(r)
                                              for r in reading.schedules(self.db)]})

    @api("POST", "/cooperatives/<cooperative_id>/contribution-schedules", schema=ScheduleIn, **WRITE)
    def add_schedule(self, request, cooperative_id, body):
        row = Books(self.db, cooperative_id).add_schedule(
            build_schedule(body["effective_on"], body["bands"], body["monthly_minimum_cents"]),
            body["activity_code"])
        self.db.commit()
        return 201, ScheduleOut().dump(self._schedule_out(row))

    @staticmethod
    def _schedule_out(row) -> dict:
        return {"activity_code": row.activity_code or None, "effective_on": row.effective_on,
                "bands": public_bands(row.schedule),
                "monthly_minimum_cents": row.monthly_minimum_cents, "recorded_by": row.recorded_by}

    @api("GET", "/cooperatives/<cooperative_id>/settings", roles=STAFF)
    def get_settings(self, request, cooperative_id):
        return SettingsOut().dump(Books(self.db, cooperative_id).settings())

    @api("PUT", "/cooperatives/<cooperative_id>/settings", schema=SettingsIn, **WRITE)
    def change_settings(self, request, cooperative_id, body):
        settings = Books(self.db, cooperative_id).change_contribution_basis(
            body["contribution_basis"])
        self.db.commit()
        return SettingsOut().dump(settings)

    # -- HTTP: periods and the FEC --------------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/closed-periods", roles=STAFF)
    def list_closed_periods(self, request, cooperative_id):
        return PeriodList().dump({"items": [
            {"period": Period(r.period).text, "closed_at": r.closed_at, "closed_by": r.closed_by}
            for r in reading.closed_periods(self.db)]})

    @api("POST", "/cooperatives/<cooperative_id>/closed-periods", schema=PeriodIn, **WRITE)
    def close_period(self, request, cooperative_id, body):
        """Charge the month's minimum contributions, then close it to new entries."""
        closed, top_ups = Books(self.db, cooperative_id).close_period(
            Period.parse(body["period"]), date.today())
        self.db.commit()
        return 201, PeriodOut().dump({"period": body["period"], "closed_at": closed.closed_at,
                                      "closed_by": closed.closed_by,
                                      "minimum_contributions": top_ups})

    @api("GET", "/cooperatives/<cooperative_id>/fec", roles=STAFF, query=FecQuery)
    def fec(self, request, cooperative_id, query):
        """The FEC (LPF A47 A-1) of ?year=, `|`-separated (or ?separator=tab)."""
        year = query.get("year", date.today().year - 1)
        separator = {"pipe": "|", "tab": "\t"}[query["separator"]]
        out = io.StringIO()
        export.write_year(self.db, year, out, separator)
        name = export.file_name(self.db, cooperative_id, year)
        return 200, {"Content-Type": "text/plain; charset=utf-8",
                     "Content-Disposition": f'attachment; filename="{name}"'}, out.getvalue()

    # -- HTTP: the chart -----------------------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/accounts", roles=STAFF)
    def list_accounts(self, request, cooperative_id):
        return AccountList().dump({"items": reading.accounts(self.db)})

    @api("GET", "/cooperatives/<cooperative_id>/activities", roles=STAFF)
    def list_activities(self, request, cooperative_id):
        return ActivityList().dump({"items": [self._with_accounts(activity, accounts)
                                              for activity, accounts in reading.activities(self.db)]})

    @api("GET", "/cooperatives/<cooperative_id>/activities/<code>", roles=READERS)
    def get_activity(self, request, cooperative_id, code):
        activity = self._readable_activity(code)
        return ActivityOut().dump(self._with_accounts(activity, reading.accounts_of(self.db, code)))

    def _readable_activity(self, code: str) -> Activity:
        """The activity, if the caller may read it: staff, or the entrepreneur it belongs to."""
        activity = reading.activity(self.db, code)
        who = context.caller.get()
        if not who.has_any(STAFF) and who.subject != activity.member_id:
            raise Forbidden("an entrepreneur reads only their own activity")
        return activity

    @staticmethod
    def _with_accounts(activity: Activity, accounts: list) -> dict:
        return {"code": activity.code, "name": activity.name, "member_id": activity.member_id,
                "opened_at": activity.opened_at, "accounts": accounts}


# the responses of each endpoint, for the OpenAPI document (caekit.openapi): its success, and
# the problems it can return beyond the kit's own (401, 403, 404, 400/413/415/422 of a body,
# 422 of a query, 409/428 of an Idempotency-Key, 500, 503)
RANGES = ("an amount or a date outside the platform's ranges (`amount.out_of_range`: 0 to "
          "10**12 cents; `date.out_of_range`: 1900-01-01 to 2200-12-31)")
POSTING = (f"A rule refused it (`errors.rule` names it): unbalanced (`entry.unbalanced`), the "
           f"books closed on its date (`period.closed`), an unknown account or activity "
           f"(`entry.unknown_account`, `activity.unknown`), {RANGES}...")
_POSTED = (Reply(201, PostedOut, "The entry posted (and the contribution charged on it, if any)."),
           {422: POSTING})
_READABLE = {403: "An entrepreneur reads only their own activity.",
             404: "No such activity (`activity.unknown`)."}
RESPONSES = {
    "post_invoice": _POSTED,
    "post_payment": _POSTED,
    "post_expense": _POSTED,
    "post_supplier_payment": _POSTED,
    "post_entry": _POSTED,
    "reverse_entry": (
        Reply(201, PostedOut, "The reversing entry (and the reversal of the contribution "
                              "charged on the entry, as `contribution`)."),
        {404: "No such entry (`entry.unknown`).",
         409: "The entry was reversed by a concurrent request.",
         422: "A rule refused it: a reversal or a contribution is not reversed "
              "(`entry.is_a_reversal`, `entry.derived`), an entry is reversed once "
              "(`entry.already_reversed`), not before its date (`entry.reversal_date`), the "
              f"books closed on the date (`period.closed`), {RANGES}."}),
    "list_entries": (Reply(200, EntryList, "Entries in posting order."), {
        403: "An entrepreneur lists only their own activity's entries (`activity` required).",
        404: "No such activity (`activity.unknown`)."}),
    "get_entry": (Reply(200, EntryOut, "The entry and its lines."), {
        403: "An entrepreneur reads only the entries of their own activity.",
        404: "No such entry (`entry.unknown`)."}),
    "activity_balance": (Reply(200, BudgetOut, "The activity's available budget and its parts."),
                         _READABLE),
    "trial_balance": (Reply(200, TrialBalanceOut, "Every account's totals over the periods.")),
    "income_statement": (Reply(200, IncomeStatementOut, "The activity's income statement."),
                         _READABLE),
    "treasury_statement": (Reply(200, TreasuryStatementOut, "The entrepreneur's statement."),
                           _READABLE),
    "list_schedules": (Reply(200, ScheduleList, "Every version of every schedule.")),
    "add_schedule": (Reply(201, ScheduleOut, "The version recorded."), {
        409: "A version on the same date was recorded by a concurrent request.",
        422: "A rule refused it: a version already takes effect on that date "
             "(`schedule.exists`), bands that do not start at 0 or do not rise "
             f"(`schedule.invalid`), an unknown activity (`activity.unknown`), {RANGES}.",}),
    "get_settings": (Reply(200, SettingsOut, "The cooperative's ledger settings.")),
    "change_settings": (Reply(200, SettingsOut, "The settings now.")),
    "list_closed_periods": (Reply(200, PeriodList, "The closed months.")),
    "close_period": (Reply(201, PeriodOut, "The month closed, with its minimum contributions."), {
        409: "The month was closed by a concurrent request.",
        422: "A rule refused it: the month is not over (`period.not_over`: it can be closed "
             "from the first day of the next month), it is closed, or before the latest closed "
             "month (`period.already_closed`), or an earlier month is still open "
             "(`period.earlier_open`: months close one after the other, from the first month "
             "with entries)."}),
    "fec": (Reply(200, None, "The FEC file, `<SIREN>FEC<year>1231.txt` (Content-Disposition), "
                             "UTF-8 text, one line per entry line.", "text/plain")),
    "list_accounts": (Reply(200, AccountList, "The cooperative's accounts, by number.")),
    "list_activities": (Reply(200, ActivityList, "The cooperative's activities, by code.")),
    "get_activity": (Reply(200, ActivityOut, "The activity and its auxiliary accounts."),
                     _READABLE),
}
