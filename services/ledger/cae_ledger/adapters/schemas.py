"""HTTP response schemas of the ledger service (marshmallow 4).

The service dumps its responses with them, and the OpenAPI document
(``caekit.openapi``) is generated from them.
"""

from __future__ import annotations

from datetime import date

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from cae_ledger.domain.entries import CHART_OF_ACCOUNTS, JOURNALS
from cae_ledger.domain.schedules import RATE_PLACES
from caekit import fields as bounded
from caekit.fields import ONE_LINE, TEXT
from caekit.period import Period

ACCOUNT_TYPES = sorted({type_ for _, type_ in CHART_OF_ACCOUNTS.values()})


class AccountOut(Schema):
    """An account of the cooperative's chart: a general account or an activity's auxiliary one."""

    number = fields.String(
        required=True,
        metadata={"description": "Account number, e.g. `411` or `411-BOULANGE` (auxiliary)."},
    )
    label = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(ACCOUNT_TYPES))
    general_account = fields.String(
        required=True,
        metadata={"description": "The Plan Comptable Général account it belongs to."},
    )
    activity_code = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The activity of an auxiliary account; null for a general one."},
    )


class ActivityOut(Schema):
    """An activity (enseigne) and its auxiliary accounts."""

    code = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    member_id = fields.String(required=True, allow_none=True)
    opened_at = fields.DateTime(required=True, metadata={"description": "UTC, with its offset"})
    accounts = fields.List(fields.Nested(AccountOut), required=True)


class AccountList(Schema):
    """The cooperative's accounts, by number."""

    items = fields.List(fields.Nested(AccountOut), required=True)


class ActivityList(Schema):
    """The cooperative's activities, by code."""

    items = fields.List(fields.Nested(ActivityOut), required=True)


# -- requests -------------------------------------------------------------------------------------

CODE = validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{0,19}$", error="an activity code is 1-20 of A-Z 0-9 _ -")
# no control character (PostgreSQL cannot store a NUL); a label may hold line breaks, which
# the FEC export turns into spaces
PIECE_REF = [validate.Length(min=1, max=60), ONE_LINE]
LABEL = [validate.Length(min=1, max=200), TEXT]
ACCOUNT = validate.Regexp(r"^[0-9]{3,8}(-[A-Z0-9][A-Z0-9_-]{0,19})?$",
                          error="an account number (3-8 digits), or an auxiliary account "
                                "`<number>-<activity code>`")
MAX_SEQ = 2**63 - 1  # an entry's posting number (a signed 64-bit key)


class _In(Schema):
    class Meta:
        unknown = RAISE


class _Operation(_In):
    activity_code = fields.String(required=True, validate=CODE)
    date = bounded.day(required=True, metadata={"description": "the entry's date (its period)"})
    piece_ref = fields.String(required=True, validate=PIECE_REF,
                              metadata={"description": "the supporting document (PieceRef)"})
    label = fields.String(required=True, validate=LABEL)


class InvoiceIn(_Operation):
    """An invoice issued: 411-activity / 706 or 707 / 44571."""

    net_cents = bounded.cents(minimum=1, required=True,
                              metadata={"description": "amount excluding VAT (HT); with the "
                                        "VAT, at most 10**12 cents"})
    vat_cents = bounded.cents(load_default=0)
    revenue_account = fields.String(load_default="706", validate=validate.OneOf(("706", "707")))


class PaymentIn(_Operation):
    """A customer payment received: 512 / 411-activity; the contribution is charged on it."""

    amount_cents = bounded.cents(minimum=1, required=True,
                                 metadata={"description": "amount received, VAT included"})
    vat_cents = bounded.cents(load_default=None, allow_none=True,
                              metadata={"description": "VAT it carries; if null, in proportion "
                                        "to the invoice named, else 0"})
    invoice_ref = fields.String(load_default=None, allow_none=True, validate=PIECE_REF)


class ExpenseIn(_Operation):
    """An expense: 6xx + 44566 / 401-activity (or 425-activity for an expense report)."""

    account = fields.String(required=True, validate=validate.Regexp(r"^6\d{2,7}$"))
    net_cents = bounded.cents(minimum=1, required=True,
                              metadata={"description": "with the VAT, at most 10**12 cents"})
    vat_cents = bounded.cents(load_default=0)
    expense_report = fields.Boolean(load_default=False)


class SupplierPaymentIn(_Operation):
    """Paying a supplier (401-activity) or an expense report (425-activity) from the bank."""

    amount_cents = bounded.cents(minimum=1, required=True)
    expense_report = fields.Boolean(load_default=False)


class LineIn(_In):
    account = fields.String(required=True, validate=ACCOUNT)
    debit_cents = bounded.cents(load_default=0)
    credit_cents = bounded.cents(load_default=0)
    activity_code = fields.String(load_default=None, allow_none=True, validate=CODE)


class EntryIn(_In):
    """A manual entry (operations diverses...): balanced lines on accounts of the chart."""

    journal = fields.String(required=True, validate=validate.OneOf(tuple(JOURNALS)))
    date = bounded.day(required=True, metadata={"description": "the entry's date (its period)"})
    piece_ref = fields.String(required=True, validate=PIECE_REF)
    label = fields.String(required=True, validate=LABEL)
    lines = fields.List(fields.Nested(LineIn), required=True,
                        validate=validate.Length(min=2, max=500))


class ReversalIn(_In):
    date = bounded.day(required=True, metadata={"description": "the reversal's date"})
    label = fields.String(load_default=None, allow_none=True, validate=LABEL)


class BandIn(_In):
    from_cents = bounded.cents(required=True,
                               metadata={"description": "from this yearly revenue HT upwards"})
    rate = fields.Decimal(required=True, as_string=True, validate=validate.Range(min=0, max=1),
                          metadata={"description": f"e.g. \"0.08\" for 8 %; at most {RATE_PLACES} "
                                                   "decimals (`schedule.invalid` otherwise)"})


class ScheduleIn(_In):
    """A contribution schedule version: marginal bands on yearly revenue HT."""

    effective_on = bounded.day(required=True)
    bands = fields.List(fields.Nested(BandIn), required=True, validate=validate.Length(min=1, max=20))
    monthly_minimum_cents = bounded.cents(load_default=0)
    activity_code = fields.String(load_default=None, allow_none=True, validate=CODE,
                                  metadata={"description": "an override for one activity"})


class SettingsIn(_In):
    contribution_basis = fields.String(required=True, validate=validate.OneOf(("payment", "invoice")),
                                       metadata={"description": "charge the contribution when a "
                                                 "payment is received (default) or on invoicing"})


class PeriodIn(_In):
    period = bounded.period(required=True, metadata={"description": "a month, YYYY-MM"})


# -- query strings ----------------------------------------------------------------------------------

class _Query(Schema):
    class Meta:
        unknown = RAISE


class EntriesQuery(_Query):
    activity = fields.String(validate=CODE, metadata={
        "description": "only the entries of this activity (an entrepreneur must name theirs)"})
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_SEQ), metadata={
        "description": "the `next_after` of the previous page (0: from the first entry)"})
    limit = bounded.limit(metadata={"description": "entries per page, 1 to 1000"})


class TrialBalanceQuery(_Query):
    start = bounded.period(data_key="from", metadata={
        "description": "the first month, YYYY-MM (default: January of `to`'s year, or of "
                       "this year)"})
    end = bounded.period(data_key="to", metadata={
        "description": "the last month, YYYY-MM, not before `from` (default: December of "
                       "`from`'s year, or of this year)"})

    @post_load
    def _months(self, data, **kwargs):
        """The months as periods, each defaulting from the other, then this year."""
        start = Period.parse(data["start"]) if "start" in data else None
        end = Period.parse(data["end"]) if "end" in data else None
        year = (start or end).year if (start or end) else date.today().year
        start = start or Period(year * 100 + 1)
        end = end or Period(year * 100 + 12)
        if end < start:
            raise ValidationError({"to": [f"must not be before from ({start.text})"]})
        return {"start": start, "end": end}


class IncomeStatementQuery(_Query):
    year = bounded.year(metadata={"description": "the year (default: this year)"})


class TreasuryStatementQuery(_Query):
    to = bounded.period(metadata={
        "description": "the groups at the end of this month, YYYY-MM (default: this month)"})


class FecQuery(_Query):
    year = bounded.year(metadata={"description": "the fiscal (calendar) year (default: last year)"})
    separator = fields.String(load_default="pipe", validate=validate.OneOf(("pipe", "tab")),
                              metadata={"description": "`pipe` (`|`) or `tab`"})


# -- responses ------------------------------------------------------------------------------------

class LineOut(Schema):
    account = fields.String(required=True)
    activity_code = fields.String(required=True, allow_none=True)
    debit_cents = fields.Integer(required=True)
    credit_cents = fields.Integer(required=True)


class EntryOut(Schema):
    id = fields.String(required=True)
    journal = fields.String(required=True)
    date = fields.Date(required=True, attribute="entry_date",
                       metadata={"description": "the entry's date (its period), as posted"})
    piece_ref = fields.String(required=True)
    piece_date = fields.Date(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True)
    activity_code = fields.String(required=True, allow_none=True)
    revenue_cents = fields.Integer(required=True)
    total_cents = fields.Integer(required=True)
    reverses = fields.String(required=True, allow_none=True)
    origin_entry = fields.String(required=True, allow_none=True)
    posted_at = fields.DateTime(required=True, metadata={"description": "UTC, with its offset"})
    posted_by = fields.String(required=True)
    lines = fields.List(fields.Nested(LineOut), required=True)


class PostedOut(Schema):
    """The entry posted, and the contribution charged on it if any."""

    entry = fields.Nested(EntryOut, required=True)
    contribution = fields.Nested(EntryOut, required=True, allow_none=True)


class EntryList(Schema):
    items = fields.List(fields.Nested(EntryOut), required=True)
    next_after = fields.Integer(required=True, allow_none=True,
                                metadata={"description": "pass as `after` for the next page"})


class BudgetOut(Schema):
    """An activity's budget (L7332-3): what the salary can come out of."""

    activity_code = fields.String(required=True)
    cash_received_cents = fields.Integer(required=True, metadata={"description": "revenue HT received"})
    contribution_cents = fields.Integer(required=True)
    expenses_cents = fields.Integer(required=True)
    salary_costs_cents = fields.Integer(required=True)
    available_cents = fields.Integer(required=True)


class BalanceRow(Schema):
    account = fields.String(required=True)
    label = fields.String(required=True)
    debit_cents = fields.Integer(required=True)
    credit_cents = fields.Integer(required=True)
    balance_cents = fields.Integer(required=True, metadata={"description": "debit - credit"})


class TrialBalanceOut(Schema):
    """Every account's totals over the periods; the debit and credit totals are equal."""

    from_period = fields.String(required=True)
    to_period = fields.String(required=True)
    items = fields.List(fields.Nested(BalanceRow), required=True)
    debit_cents = fields.Integer(required=True)
    credit_cents = fields.Integer(required=True)


class IncomeStatementOut(Schema):
    """An activity's income statement for a year: revenue (class 7) and charges (class 6)."""

    activity_code = fields.String(required=True)
    year = fields.Integer(required=True)
    revenue = fields.List(fields.Nested(BalanceRow), required=True)
    charges = fields.List(fields.Nested(BalanceRow), required=True)
    revenue_cents = fields.Integer(required=True)
    charges_cents = fields.Integer(required=True)
    result_cents = fields.Integer(required=True)


class TreasuryGroup(Schema):
    name = fields.String(required=True)
    prefixes = fields.String(required=True)
    balance_cents = fields.Integer(required=True)


class TreasuryStatementOut(Schema):
    """The statement an entrepreneur receives (décret 2015-1363): budget and treasury groups."""

    activity_code = fields.String(required=True)
    to_period = fields.String(required=True, metadata={"description": "groups at the end of it"})
    budget = fields.Nested(BudgetOut, required=True)
    groups = fields.List(fields.Nested(TreasuryGroup), required=True)


class ScheduleOut(Schema):
    activity_code = fields.String(required=True, allow_none=True)
    effective_on = fields.Date(required=True)
    bands = fields.List(fields.Nested(BandIn), required=True)
    monthly_minimum_cents = fields.Integer(required=True)
    recorded_by = fields.String(required=True)


class ScheduleList(Schema):
    items = fields.List(fields.Nested(ScheduleOut), required=True)


class SettingsOut(Schema):
    contribution_basis = fields.String(required=True)


class PeriodOut(Schema):
    period = fields.String(required=True)
    closed_at = fields.DateTime(required=True, metadata={"description": "UTC, with its offset"})
    closed_by = fields.String(required=True)
    minimum_contributions = fields.List(fields.Nested(EntryOut), metadata={
        "description": "the monthly minimum top-ups charged when it was closed (on close only)"})


class PeriodList(Schema):
    items = fields.List(fields.Nested(PeriodOut), required=True)
