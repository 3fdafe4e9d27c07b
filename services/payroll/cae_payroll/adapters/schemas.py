"""HTTP request and response schemas of the payroll service (marshmallow 4)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

PERIOD = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="a period is a month, YYYY-MM")
RATE = {"validate": validate.Regexp(r"^0(\.\d{1,6})?$", error="a rate such as 0.075")}


class _In(Schema):
    class Meta:
        unknown = RAISE


class SettingsIn(_In):
    staff = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000),
                           metadata={"description": "headcount (effectif): decides FNAL, formation, "
                                     "PEEC and the RGDU's parameter"})
    at_rate = fields.String(required=True, **RATE,
                            metadata={"description": "accident rate notified by the CARSAT"})
    run_day = fields.Integer(load_default=None, allow_none=True, strict=True,
                             validate=validate.Range(min=1, max=28),
                             metadata={"description": "day of the month the run starts by itself"})


class SettingsOut(Schema):
    staff = fields.Integer(required=True)
    at_rate = fields.String(required=True)
    run_day = fields.Integer(required=True, allow_none=True)


class TermsIn(_In):
    cadre = fields.Boolean(required=True)
    withholding_rate = fields.String(required=True, **RATE,
                                     metadata={"description": "prélèvement à la source rate"})


class EmployeeOut(Schema):
    member_id = fields.String(required=True)
    first_name = fields.String(required=True, allow_none=True,
                               metadata={"description": "null until members' member_joined.v2"})
    last_name = fields.String(required=True, allow_none=True)
    activity_code = fields.String(required=True, allow_none=True)
    cesa_from = fields.Date(required=True, allow_none=True)
    cesa_until = fields.Date(required=True, allow_none=True)
    cadre = fields.Boolean(required=True)
    withholding_rate = fields.String(required=True)


class SalaryIn(_In):
    period = fields.String(required=True, validate=PERIOD,
                           metadata={"description": "the first month this salary is paid"})
    gross_cents = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**9))
    override_reason = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(min=3, max=500),
                                    metadata={"description": "staff only: pay above the budget"})


class SalaryOut(Schema):
    member_id = fields.String(required=True)
    period = fields.String(required=True)
    gross_cents = fields.Integer(required=True)
    employer_cost_cents = fields.Integer(required=True)
    available_cents = fields.Integer(required=True)
    override_reason = fields.String(required=True, allow_none=True)
    chosen_by = fields.String(required=True)


class LineOut(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    base_cents = fields.Integer(required=True)
    employee_rate = fields.String(required=True, allow_none=True)
    employee_cents = fields.Integer(required=True)
    employer_rate = fields.String(required=True, allow_none=True)
    employer_cents = fields.Integer(required=True, metadata={"description": "negative: a reduction"})
    body = fields.String(required=True, metadata={"description": "urssaf, or other (retirement...)"})


class _Amounts(Schema):
    gross_cents = fields.Integer(required=True)
    employee_contributions_cents = fields.Integer(required=True)
    employer_contributions_cents = fields.Integer(required=True)
    net_social_cents = fields.Integer(required=True)
    net_taxable_cents = fields.Integer(required=True)
    net_before_tax_cents = fields.Integer(required=True)
    withholding_tax_cents = fields.Integer(required=True)
    net_paid_cents = fields.Integer(required=True)
    employer_cost_cents = fields.Integer(required=True)
    lines = fields.List(fields.Nested(LineOut), required=True)


class SimulationOut(_Amounts):
    """What a gross pays, and what the budget pays."""

    period = fields.String(required=True)
    available_cents = fields.Integer(required=True)
    budget_pays_gross_cents = fields.Integer(required=True,
                                             metadata={"description": "the largest gross it pays"})
    fits = fields.Boolean(required=True)


class PayslipOut(_Amounts):
    id = fields.String(required=True)
    run_id = fields.String(required=True)
    member_id = fields.String(required=True)
    activity_code = fields.String(required=True)
    period = fields.String(required=True)
    cadre = fields.Boolean(required=True)
    reduction_coefficient = fields.String(required=True)
    urssaf_cents = fields.Integer(required=True)
    other_bodies_cents = fields.Integer(required=True)
    issued_at = fields.DateTime(required=True)


class PayslipList(Schema):
    items = fields.List(fields.Nested(PayslipOut), required=True)


class RunIn(_In):
    period = fields.String(required=True, validate=PERIOD)


class RunOut(Schema):
    id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    period = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("running", "completed")))
    expected = fields.Integer(required=True)
    issued = fields.Integer(required=True)
    started_at = fields.DateTime(required=True)
    started_by = fields.String(required=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    requested_again = fields.Integer(metadata={"description": "on resume: payslips asked again"})


class SkippedCooperative(Schema):
    cooperative_id = fields.String(required=True)
    rule = fields.String(required=True, metadata={
        "description": "run.out_of_order (a later month has a run) or run.previous_running "
                       "(an earlier month's run is still running)"})
    detail = fields.String(required=True)


class NetworkRunsOut(Schema):
    items = fields.List(fields.Nested(RunOut), required=True,
                        metadata={"description": "the runs started, one per cooperative"})
    skipped = fields.List(fields.Nested(SkippedCooperative), required=True, metadata={
        "description": "the cooperatives whose month cannot start yet, and why"})
