"""HTTP request, query and response schemas of the payroll service (marshmallow 4)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, post_load, validate

from cae_payroll.domain.runs import LEFT_OUT
from cae_payroll.domain.salaries import MAX_GROSS_CENTS
from caekit import fields as bounded
from caekit.fields import CURSOR_TEXT, MAX_CURSOR, TEXT, WholeRegexp, decode_cursor

RATE = {"validate": validate.Regexp(r"^0(\.\d{1,6})?$", error="a rate such as 0.075")}


def _text(maximum: int, description: str, **kwargs) -> fields.String:
    """An optional text of 1 to ``maximum`` printable characters (null: none)."""
    return fields.String(load_default=None, allow_none=True, validate=[
        validate.Length(min=1, max=maximum),
        TEXT],
        metadata={"description": description}, **kwargs)


class _In(Schema):
    class Meta:
        unknown = RAISE


class SettingsIn(_In):
    """The cooperative's payroll settings, replaced whole (an optional field left out:
    none)."""

    staff = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000),
                           metadata={"description": "headcount (effectif): decides FNAL, formation, "
                                     "PEEC and the RGDU's parameter"})
    at_rate = fields.String(required=True, **RATE,
                            metadata={"description": "accident rate notified by the CARSAT"})
    run_day = fields.Integer(load_default=None, allow_none=True, strict=True,
                             validate=validate.Range(min=1, max=28),
                             metadata={"description": "day of the month the run starts by itself"})
    payment_day = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=31),
        metadata={"description": "day of the month the salaries are paid (the last day of a "
                                 "shorter month); null: the month's last day. A run can be "
                                 "cancelled until then."})
    siret = fields.String(
        load_default=None, allow_none=True,
        validate=validate.Regexp(r"^[0-9]{14}$", error="a SIRET is 14 digits"),
        metadata={"description": "the establishment's SIRET: 14 digits, Luhn check "
                                 "(siret.invalid), starting with the cooperative's SIREN "
                                 "(siret.other_company)", "examples": ["73282932000017"]})
    ape_code = fields.String(
        load_default=None, allow_none=True,
        validate=validate.Regexp(r"^[0-9]{4}[A-Z]$", error="an APE code such as 7022Z"),
        metadata={"description": "the establishment's APE (NAF) code", "examples": ["7022Z"]})
    urssaf_body = _text(100, "the URSSAF the contributions are paid to, e.g. URSSAF "
                             "Île-de-France (null: URSSAF)")
    urssaf_number = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(
            r"^[0-9A-Z](?:[0-9A-Z ]{0,28}[0-9A-Z])?$",
            error="an URSSAF number: digits and capitals, up to 30"),
        metadata={"description": "the employer's number at the URSSAF"})
    address = _text(300, "the establishment's address, lines separated by \\n")
    convention_idcc = fields.String(
        load_default=None, allow_none=True,
        validate=validate.Regexp(r"^[0-9]{4}$", error="an IDCC is 4 digits"),
        metadata={"description": "the convention collective's IDCC; null with its title: none "
                                 "applies (convention.incomplete when only one is given)"})
    convention_title = _text(200, "the convention collective's title")


class SettingsOut(Schema):
    staff = fields.Integer(required=True)
    at_rate = fields.String(required=True)
    run_day = fields.Integer(required=True, allow_none=True)
    payment_day = fields.Integer(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True,
                         metadata={"description": "from members' cooperative_registered"})
    siren = fields.String(required=True, allow_none=True)
    siret = fields.String(required=True, allow_none=True)
    ape_code = fields.String(required=True, allow_none=True)
    urssaf_body = fields.String(required=True, allow_none=True)
    urssaf_number = fields.String(required=True, allow_none=True)
    address = fields.String(required=True, allow_none=True)
    convention_idcc = fields.String(required=True, allow_none=True)
    convention_title = fields.String(required=True, allow_none=True)


HOURS = validate.Regexp(r"^[0-9]{1,3}(\.[0-9]{1,2})?$", error="hours such as 151.67 or 104")


class TermsIn(_In):
    """The entrepreneur's payroll terms, replaced whole (an optional field left out: none)."""

    cadre = fields.Boolean(required=True)
    withholding_rate = fields.String(required=True, **RATE,
                                     metadata={"description": "prélèvement à la source rate"})
    monthly_hours = fields.String(
        load_default=None, allow_none=True, validate=HOURS,
        metadata={"description": "the contract's monthly hours, from 1 to 151.67; null: full "
                                 "time (151.67). The gross is at least the SMIC for them "
                                 "(salary.below_smic)", "examples": ["104", "151.67"]})
    job_title = _text(100, "the job (emploi) the payslip shows")
    classification = _text(100, "the position in the convention's classification (level, "
                                "coefficient)")
    address = _text(300, "the entrepreneur's address, lines separated by \\n")


class EmployeeOut(Schema):
    member_id = fields.String(required=True)
    first_name = fields.String(required=True, allow_none=True,
                               metadata={"description": "null until members' member_joined.v2"})
    last_name = fields.String(required=True, allow_none=True)
    activity_code = fields.String(required=True, allow_none=True)
    cesa_from = fields.Date(required=True, allow_none=True,
                            metadata={"description": "the CESA's signature: employed since"})
    cesa_until = fields.Date(required=True, allow_none=True)
    cadre = fields.Boolean(required=True)
    withholding_rate = fields.String(required=True)
    monthly_hours = fields.String(required=True, metadata={
        "description": "hours paid a month: 151.67 (full time) unless the contract says fewer"})
    job_title = fields.String(required=True, allow_none=True)
    classification = fields.String(required=True, allow_none=True)
    address = fields.String(required=True, allow_none=True)


class SalaryIn(_In):
    period = bounded.period(required=True, metadata={
        "description": "the first month this salary is paid, at most 12 months ahead "
                       "(salary.too_far_ahead)"})
    gross_cents = bounded.cents(required=True, maximum=MAX_GROSS_CENTS, metadata={
        "description": "0 (no salary), or at least the SMIC for the contract's hours "
                       "(salary.below_smic)"})
    override_reason = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(min=3, max=500),
                                    metadata={"description": "staff only: pay above the budget"})


class SimulationQuery(_In):
    period = bounded.period(metadata={
        "description": "the month, YYYY-MM, at most 12 months ahead; default next month"})
    gross = fields.Integer(validate=validate.Range(min=0, max=MAX_GROSS_CENTS),
                           metadata={"description": "a gross in cents; default the largest the "
                                                    "budget pays"})


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
    minimum_gross_cents = fields.Integer(required=True, metadata={
        "description": "the SMIC for the contract's hours: the least gross a salary may be"})
    monthly_hours = fields.String(required=True)


class PayslipQuery(_In):
    member = fields.UUID(metadata={
        "description": "an entrepreneur's id (an entrepreneur: their own only)"})
    period = bounded.period()
    status = fields.String(validate=validate.OneOf(("issued", "cancelled")),
                           metadata={"description": "issued (live) or cancelled (its run was)"})
    limit = bounded.limit()


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
    monthly_hours = fields.String(required=True, metadata={"description": "the hours paid"})
    status = fields.String(required=True, validate=validate.OneOf(("issued", "cancelled")),
                           metadata={"description": "cancelled: its run was, it is void"})
    cancelled_at = fields.DateTime(required=True, allow_none=True)


class PayslipList(Schema):
    items = fields.List(fields.Nested(PayslipOut), required=True)


class DocumentQuery(_In):
    format = fields.String(validate=validate.OneOf(("html", "pdf")),
                           metadata={"description": "html or pdf; default from Accept (html)"})


class SignedDocumentQuery(DocumentQuery):
    expires = fields.Integer(required=True, validate=validate.Range(min=0, max=2**40),
                             metadata={"description": "the link's expiry, seconds since the epoch"})
    signature = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9a-f]{64}$", error="64 hexadecimal digits"),
        metadata={"description": "HMAC-SHA256 of the cooperative, the payslip and the expiry"})


class DocumentLinkOut(Schema):
    url = fields.String(required=True, metadata={
        "description": "the HTML document's path on this service, signed: opens without a "
                       "token until expires_at"})
    pdf_url = fields.String(required=True, metadata={"description": "the same, as a PDF"})
    expires_at = fields.DateTime(required=True)


class RunIn(_In):
    period = bounded.period(required=True, metadata={
        "description": "the month, YYYY-MM: at most next month (run.too_far_ahead), with rates "
                       "(rates.none)"})


class CancelIn(_In):
    reason = fields.String(required=True, validate=[
        validate.Length(min=1, max=500), TEXT],
        metadata={"description": "why the run is cancelled (the ledger's reversal carries it)"})


class RunQuery(_In):
    period = bounded.period()
    status = fields.String(load_default=None,
                           validate=validate.OneOf(("running", "completed", "cancelled")))
    limit = bounded.limit()


class NetworkRunQuery(_In):
    """A network's month: every cooperative's runs of ``period``, a page at a time."""

    period = bounded.period(required=True, metadata={"description": "the month, YYYY-MM"})
    limit = bounded.limit(metadata={"description": "how many runs at most, 1 to 1000"})
    cursor = fields.String(
        validate=[validate.Length(min=1, max=MAX_CURSOR),
                  WholeRegexp(r"^[A-Za-z0-9_-]+$", error=CURSOR_TEXT)],
        metadata={"description": "where the page starts: the `next_cursor` of the previous "
                                 "page (absent for the first page)"})

    @post_load
    def _position(self, data, **kwargs):
        cursor = data.pop("cursor", None)  # (cooperative id, run id)
        data["after"] = None if cursor is None else decode_cursor(cursor, (str, str))
        return data


class LeftOut(Schema):
    member_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(tuple(LEFT_OUT)), metadata={
        "description": "the rule: " + "; ".join(f"{rule}: {why}" for rule, why in LEFT_OUT.items())})
    detail = fields.String(required=True)


class RunOut(Schema):
    id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    period = fields.String(required=True)
    status = fields.String(required=True,
                           validate=validate.OneOf(("running", "completed", "cancelled")))
    expected = fields.Integer(required=True)
    issued = fields.Integer(required=True)
    started_at = fields.DateTime(required=True)
    started_by = fields.String(required=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    paid_on = fields.Date(required=True, metadata={
        "description": "the payment date: the run can be cancelled until the day before"})
    left_out = fields.List(fields.Nested(LeftOut), required=True, metadata={
        "description": "the CESA holders the run does not pay, and why"})
    cancelled_on = fields.Date(required=True, allow_none=True)
    cancelled_by = fields.String(required=True, allow_none=True)
    cancel_reason = fields.String(required=True, allow_none=True)
    requested_again = fields.Integer(metadata={"description": "on resume: payslips asked again"})


class RunList(Schema):
    items = fields.List(fields.Nested(RunOut), required=True,
                        metadata={"description": "newest month first"})


class NetworkRunList(Schema):
    items = fields.List(fields.Nested(RunOut), required=True, metadata={
        "description": "the month's runs of every cooperative, by cooperative id then run id "
                       "(a month cancelled and run again lists its cancelled run too)"})
    next_cursor = fields.String(required=True, allow_none=True, metadata={
        "description": "pass it as `cursor` for the next page; null on the last page"})


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
