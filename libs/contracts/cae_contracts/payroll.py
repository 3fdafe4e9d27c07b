"""Events published by the payroll service (exchange ``payroll.events``).

Amounts are integer euro cents; a period is a month ``YYYY-MM``.
"""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from cae_contracts.compiled import reads
from cae_contracts.registry import register

ACTIVITY_CODE = {"validate": validate.Length(min=1, max=20)}
CENTS = {"strict": True, "validate": validate.Range(min=0)}
PERIOD = {"validate": validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$")}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


@register(
    "cae.payroll.payslip_issued.v1",
    summary="A payslip was issued; the ledger posts its salary entry (641/645 against 421, 431, "
            "437, 4421) on the activity. gross - employee contributions - tax = net paid; "
            "urssaf + other bodies = employee + employer contributions.",
    subject="payslip_id",
    batch=100,  # 100,000 a month for a network, in minutes
)
class PayslipIssuedV1(_Strict):
    payslip_id = fields.UUID(required=True)
    run_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    member_id = fields.UUID(required=True)
    activity_code = fields.String(required=True, **ACTIVITY_CODE)
    period = fields.String(required=True, **PERIOD)
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
    @reads("gross_cents", "employee_contributions_cents", "withholding_tax_cents",
           "net_paid_cents", "urssaf_cents", "other_bodies_cents", "employer_contributions_cents")
    def _balanced(self, data, **kwargs):
        if data["gross_cents"] - data["employee_contributions_cents"] - data[
                "withholding_tax_cents"] != data["net_paid_cents"]:
            raise ValidationError("net_paid_cents must be gross - employee contributions - tax")
        if data["urssaf_cents"] + data["other_bodies_cents"] != (
                data["employee_contributions_cents"] + data["employer_contributions_cents"]):
            raise ValidationError("urssaf + other bodies must equal all contributions")


@register(
    "cae.payroll.run_started.v1",
    summary="A payroll run started for a cooperative and a month.",
    subject="run_id",
)
class RunStartedV1(_Strict):
    run_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    period = fields.String(required=True, **PERIOD)
    payslips_expected = fields.Integer(required=True, **CENTS)
    started_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


@register(
    "cae.payroll.run_completed.v1",
    summary="Every payslip of a payroll run was issued.",
    subject="run_id",
)
class RunCompletedV1(_Strict):
    run_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    period = fields.String(required=True, **PERIOD)
    payslips = fields.Integer(required=True, **CENTS)


@register(
    "cae.payroll.budget_exceeded.v1",
    summary="A salary was chosen above the activity's available budget (staff overrode the "
            "refusal, with a reason).",
    subject="member_id",
)
class BudgetExceededV1(_Strict):
    cooperative_id = fields.UUID(required=True)
    member_id = fields.UUID(required=True)
    activity_code = fields.String(required=True, **ACTIVITY_CODE)
    period = fields.String(required=True, **PERIOD)
    gross_cents = fields.Integer(required=True, **CENTS)
    employer_cost_cents = fields.Integer(required=True, **CENTS)
    available_cents = fields.Integer(required=True, strict=True)
    shortfall_cents = fields.Integer(required=True, **CENTS)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


@register(
    "cae.payroll.payslip_requested.v1",
    summary="Internal work item of a payroll run: the payslips of up to 500 members to compute. "
            "Payroll workers compete for them; the inbox and a unique payslip per member and "
            "month make each payslip exist once.",
    subject="run_id",
)
class PayslipRequestedV1(_Strict):
    run_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    member_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=500))
    period = fields.String(required=True, **PERIOD)


@register(
    "cae.payroll.run_cancelled.v1",
    summary="A payroll run was cancelled before its payment date: the run and its payslips are "
            "kept, marked cancelled, and the month can be run again. Subscribers undo what "
            "the run's payslip_issued events did (the ledger reverses the salary entries of "
            "this run_id); a payslip_issued of this run may reach another queue after this "
            "event, and is undone the same way.",
    subject="run_id",
)
class RunCancelledV1(_Strict):
    run_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    period = fields.String(required=True, **PERIOD)
    cancelled_on = fields.Date(required=True, metadata={
        "description": "the day it was cancelled, before the run's payment date"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    cancelled_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
