"""Events the ledger consumes from other publishers.

* ``governance.events``: a contribution rate the general assembly adopted.
* ``bank.events``: payments received, published by a bank-feed connector (or the
  invoicing front end) once a bank line is matched to an activity.
"""

from marshmallow import RAISE, Schema, fields, validate

from cae_contracts.registry import register

ACTIVITY_CODE = {"validate": validate.Length(min=1, max=20)}
CENTS = {"strict": True, "validate": validate.Range(min=0)}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


@register(
    "cae.bank.payment_received.v1",
    summary="A customer payment for an activity arrived on the cooperative's bank account.",
    subject="activity_code",
)
class PaymentReceivedV1(_Strict):
    payment_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    activity_code = fields.String(required=True, **ACTIVITY_CODE)
    received_on = fields.Date(required=True)
    amount_cents = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                  metadata={"description": "amount received, VAT included"})
    vat_cents = fields.Integer(load_default=None, allow_none=True, **CENTS, metadata={
        "description": "the VAT it carries; if null, in proportion to the invoice named, else 0"})
    invoice_ref = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=60))
    bank_reference = fields.String(required=True, validate=validate.Length(min=1, max=60))
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class BandV1(_Strict):
    from_cents = fields.Integer(required=True, **CENTS, metadata={"description": "yearly revenue HT"})
    rate = fields.Decimal(required=True, as_string=True, places=4, validate=validate.Range(min=0, max=1))


@register(
    "cae.governance.contribution_rate_adopted.v1",
    summary="The general assembly adopted a contribution schedule, in force from a date.",
    subject="cooperative_id",
)
class ContributionRateAdoptedV1(_Strict):
    resolution_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    effective_on = fields.Date(required=True)
    bands = fields.List(fields.Nested(BandV1), required=True, validate=validate.Length(min=1, max=20),
                        metadata={"description": "marginal bands; the first from 0"})
    monthly_minimum_cents = fields.Integer(load_default=0, **CENTS)
    activity_code = fields.String(load_default=None, allow_none=True, **ACTIVITY_CODE,
                                  metadata={"description": "an override for one activity"})
