"""Events the ledger consumes from other publishers.

* ``payroll.events``: the payroll service's payslips (the contract is fixed here,
  before the payroll service exists, so that both sides build against it).
* ``governance.events``: a contribution rate the general assembly adopted.
* ``bank.events``: payments received, published by a bank-feed connector (or the
  invoicing front end) once a bank line is matched to an activity.
"""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

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


@register(
    "cae.payroll.payslip_issued.v1",
    summary="A payslip was issued; the ledger posts its salary entry (641/645 against 421, 431, "
            "437, 4421) on the activity. gross - employee contributions - tax = net paid; "
            "urssaf + other bodies = employee + employer contributions.",
    subject="payslip_id",
)
class PayslipIssuedV1(_Strict):
    payslip_id = fields.UUID(required=True)
    run_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    member_id = fields.UUID(required=True)
    activity_code = fields.String(required=True, **ACTIVITY_CODE)
    period = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    paid_on = fields.Date(required=True)
    gross_cents = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    employee_contributions_cents = fields.Integer(required=True, **CENTS)
    employer_contributions_cents = fields.Integer(required=True, **CENTS,
                                                  metadata={"description": "after reductions (RGDU)"})
    withholding_tax_cents = fields.Integer(required=True, **CENTS,
                                           metadata={"description": "prélèvement à la source"})
    net_paid_cents = fields.Integer(required=True, **CENTS)
    urssaf_cents = fields.Integer(required=True, **CENTS)
    other_bodies_cents = fields.Integer(required=True, **CENTS,
                                        metadata={"description": "AGIRC-ARRCO, provident bodies..."})

    @validates_schema
    def _balanced(self, data, **kwargs):
        if data["gross_cents"] - data["employee_contributions_cents"] - data[
                "withholding_tax_cents"] != data["net_paid_cents"]:
            raise ValidationError("net_paid_cents must be gross - employee contributions - tax")
        if data["urssaf_cents"] + data["other_bodies_cents"] != (
                data["employee_contributions_cents"] + data["employer_contributions_cents"]):
            raise ValidationError("urssaf + other bodies must equal all contributions")


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
