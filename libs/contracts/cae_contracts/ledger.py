"""Events published by the ledger service (exchange ``ledger.events``).

Amounts are integer euro cents; dates are ISO 8601.
"""

from marshmallow import RAISE, Schema, fields, validate

from cae_contracts.registry import register

ACTIVITY_CODE = {"validate": validate.Length(min=1, max=20)}
CENTS = {"strict": True}
JOURNALS = ("VT", "AC", "BQ", "PA", "OD")
KINDS = ("manual", "invoice", "payment", "expense", "supplier_payment", "salary", "contribution")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


@register(
    "cae.ledger.activity_accounts_opened.v1",
    summary="The ledger opened the accounts of an activity (analytic code) in a cooperative.",
    subject="activity_code",
)
class ActivityAccountsOpenedV1(_Strict):
    cooperative_id = fields.UUID(required=True)
    activity_code = fields.String(required=True, **ACTIVITY_CODE)
    member_id = fields.UUID(load_default=None, allow_none=True)
    accounts = fields.List(fields.String(validate=validate.Regexp(r"^\d{3,8}(-[A-Z0-9][A-Z0-9_-]{0,19})?$")), required=True)


class EntryLineV1(_Strict):
    account = fields.String(required=True, validate=validate.Length(min=3, max=40),
                            metadata={"description": "`706`, or an auxiliary account `411-BOULANGE`"})
    activity_code = fields.String(required=True, allow_none=True, **ACTIVITY_CODE,
                                  metadata={"description": "analytic code; null: the cooperative's own"})
    debit_cents = fields.Integer(required=True, validate=validate.Range(min=0), **CENTS)
    credit_cents = fields.Integer(required=True, validate=validate.Range(min=0), **CENTS)


@register(
    "cae.ledger.entry_posted.v1",
    summary="A balanced entry was posted (entries are immutable; a correction is a reversing entry).",
    subject="entry_id",
)
class EntryPostedV1(_Strict):
    cooperative_id = fields.UUID(required=True)
    entry_id = fields.UUID(required=True)
    journal = fields.String(required=True, validate=validate.OneOf(JOURNALS))
    entry_date = fields.Date(required=True)
    piece_ref = fields.String(required=True, validate=validate.Length(min=1, max=60))
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    activity_code = fields.String(required=True, allow_none=True, **ACTIVITY_CODE)
    reverses = fields.UUID(required=True, allow_none=True,
                           metadata={"description": "the entry this one reverses, if a reversal"})
    total_cents = fields.Integer(required=True, validate=validate.Range(min=1), **CENTS)
    lines = fields.List(fields.Nested(EntryLineV1), required=True, validate=validate.Length(min=2))


@register(
    "cae.ledger.activity_balance_changed.v1",
    summary="An activity's budget moved: available = cash received HT - contribution - expenses - "
            "salary costs (one event per activity and transaction, with the committed values).",
    subject="activity_code",
)
class ActivityBalanceChangedV1(_Strict):
    cooperative_id = fields.UUID(required=True)
    activity_code = fields.String(required=True, **ACTIVITY_CODE)
    available_cents = fields.Integer(required=True, **CENTS,
                                     metadata={"description": "the budget payroll may spend"})
    cash_received_cents = fields.Integer(required=True, **CENTS)
    contribution_cents = fields.Integer(required=True, **CENTS)
    expenses_cents = fields.Integer(required=True, **CENTS)
    salary_costs_cents = fields.Integer(required=True, **CENTS)
    as_of = fields.AwareDateTime(required=True)
    last_entry_id = fields.UUID(required=True, metadata={"description": "the last entry counted"})


@register(
    "cae.ledger.contribution_charged.v1",
    summary="The cooperative's contribution was charged to an activity (on revenue, or the monthly "
            "minimum at the period's close).",
    subject="activity_code",
)
class ContributionChargedV1(_Strict):
    cooperative_id = fields.UUID(required=True)
    activity_code = fields.String(required=True, **ACTIVITY_CODE)
    entry_id = fields.UUID(required=True)
    origin_entry_id = fields.UUID(required=True, allow_none=True,
                                  metadata={"description": "the payment (or invoice) charged"})
    reason = fields.String(required=True, validate=validate.OneOf(("revenue", "monthly_minimum")))
    charged_on = fields.Date(required=True)
    base_cents = fields.Integer(required=True, **CENTS, metadata={"description": "revenue HT charged"})
    amount_cents = fields.Integer(required=True, validate=validate.Range(min=1), **CENTS)
    year_revenue_before_cents = fields.Integer(required=True, allow_none=True, **CENTS)
    schedule_effective_on = fields.Date(required=True)


@register(
    "cae.ledger.period_closed.v1",
    summary="A month was closed: no entry can be dated in it any more.",
    subject="cooperative_id",
)
class PeriodClosedV1(_Strict):
    cooperative_id = fields.UUID(required=True)
    period = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    closed_at = fields.AwareDateTime(required=True)
    minimum_contributions = fields.Integer(required=True, **CENTS)
    minimum_contributions_cents = fields.Integer(required=True, **CENTS)
