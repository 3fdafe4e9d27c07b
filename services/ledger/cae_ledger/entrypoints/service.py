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
    EntryIn,
    EntryList,
    EntryOut,
    ExpenseIn,
    IncomeStatementOut,
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
    TrialBalanceOut,
)
from cae_ledger.adapters.store import Activity
from cae_ledger.domain import entries as domain
from cae_ledger.domain.schedules import build_schedule, public_bands
from cae_ledger.usecases import export, reading
from cae_ledger.usecases.books import Books
from caekit import context
from caekit.handlers import reliable_handler
from caekit.http import api
from caekit.period import Period
from caekit.problems import BadRequest, Forbidden
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
        data = event.data
        slip = domain.Payslip(**{name: data[name] for name in domain.Payslip.__dataclass_fields__})
        Books(self.db, str(data["cooperative_id"])).post_salary(
            data["activity_code"], data["paid_on"], data["period"], slip)

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
    @api("GET", "/cooperatives/<cooperative_id>/entries", roles=READERS)
    def list_entries(self, request, cooperative_id):
        """Entries in posting order, a page at a time; an entrepreneur names their activity."""
        activity = request.args.get("activity")
        if activity is not None:
            self._readable_activity(activity)
        elif not context.caller.get().has_any(STAFF):
            raise Forbidden("an entrepreneur lists the entries of their own activity (?activity=)")
        after = self._int_arg(request, "after", 0)
        limit = min(self._int_arg(request, "limit", 100), 1000)
        rows, next_after = reading.entries_page(self.db, activity, after, limit)
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

    @api("GET", "/cooperatives/<cooperative_id>/trial-balance", roles=STAFF)
    def trial_balance(self, request, cooperative_id):
        """Every account's debit and credit over ?from=YYYY-MM&to=YYYY-MM (default: this year)."""
        year = date.today().year
        start = Period.parse(request.args.get("from", f"{year}-01"))
        trial = reading.account_balances(self.db, start,
                                         Period.parse(request.args.get("to", f"{year}-12")))
        return TrialBalanceOut().dump({
            "from_period": trial.start.text, "to_period": trial.end.text, "items": trial.items,
            "debit_cents": trial.debit_cents, "credit_cents": trial.credit_cents})

    @api("GET", "/cooperatives/<cooperative_id>/activities/<code>/income-statement", roles=READERS)
    def income_statement(self, request, cooperative_id, code):
        """Revenue (class 7) and charges (class 6) of the activity's analytic in ?year=."""
        self._readable_activity(code)
        year = self._int_arg(request, "year", date.today().year)
        return IncomeStatementOut().dump(reading.activity_income_statement(self.db, code, year))

    @api("GET", "/cooperatives/<cooperative_id>/activities/<code>/treasury-statement", roles=READERS)
    def treasury_statement(self, request, cooperative_id, code):
        """The entrepreneur's statement (décret 2015-1363): the budget, and the treasury
        groups of the activity's accounts at the end of ?to=YYYY-MM (default: now)."""
        self._readable_activity(code)
        end = Period.parse(request.args.get("to", Period.of(date.today()).text))
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

    @api("GET", "/cooperatives/<cooperative_id>/fec", roles=STAFF)
    def fec(self, request, cooperative_id):
        """The FEC (LPF A47 A-1) of ?year=, `|`-separated (or ?separator=tab)."""
        year = self._int_arg(request, "year", date.today().year - 1)
        separator = {"pipe": "|", "tab": "\t"}.get(request.args.get("separator", "pipe"))
        if separator is None:
            raise BadRequest("separator is pipe or tab")
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

    @staticmethod
    def _int_arg(request, name: str, default: int) -> int:
        value = request.args.get(name)
        if value is None:
            return default
        if not value.isdigit() or len(value) > 12:
            raise BadRequest(f"{name} must be a non-negative integer")
        return int(value)


# the success response of each endpoint, for the OpenAPI document (caekit.openapi)
_POSTED = (201, PostedOut, "The entry posted (and the contribution charged on it, if any).",
           {404: "Unknown cooperative.", 422: "A rule refused it (errors.rule names it): "
            "unbalanced, closed period, unknown account or activity..."})
RESPONSES = {
    "post_invoice": _POSTED,
    "post_payment": _POSTED,
    "post_expense": _POSTED,
    "post_supplier_payment": _POSTED,
    "post_entry": _POSTED,
    "reverse_entry": _POSTED,
    "list_entries": (200, EntryList, "Entries in posting order."),
    "get_entry": (200, EntryOut, "The entry and its lines."),
    "activity_balance": (200, BudgetOut, "The activity's available budget and its parts."),
    "trial_balance": (200, TrialBalanceOut, "Every account's totals over the periods."),
    "income_statement": (200, IncomeStatementOut, "The activity's income statement."),
    "treasury_statement": (200, TreasuryStatementOut, "The entrepreneur's statement."),
    "list_schedules": (200, ScheduleList, "Every version of every schedule."),
    "add_schedule": (201, ScheduleOut, "The version recorded."),
    "get_settings": (200, SettingsOut, "The cooperative's ledger settings."),
    "change_settings": (200, SettingsOut, "The settings now."),
    "list_closed_periods": (200, PeriodList, "The closed months."),
    "close_period": (201, PeriodOut, "The month closed, with its minimum contributions."),
    "fec": (200, None, "The FEC file (text/plain)."),
    "list_accounts": (200, AccountList, "The cooperative's accounts, by number."),
    "list_activities": (200, ActivityList, "The cooperative's activities, by code."),
    "get_activity": (
        200,
        ActivityOut,
        "The activity and its auxiliary accounts.",
        {403: "An entrepreneur reads only their own activity."},
    ),
}
