"""Schemas of the members service (marshmallow 4): its HTTP bodies and the rows of a CSV import."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
)

from cae_contracts.members import LEGAL_FORMS, STAFF_SIZE_BRACKETS, STATUTE_PROFILES
from cae_members.domain.cooperatives import siren_is_valid

DEFAULT_CONTRIBUTION_RATE = Decimal("0.1000")
# dates outside this range are typing mistakes, and would overflow date arithmetic
PLAUSIBLE = validate.Range(min=date(1900, 1, 1), max=date(2200, 12, 31),
                           error="a date between 1900-01-01 and 2200-12-31")
ACTIVITY_CODE = validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{0,19}$",
                                error="an activity code is 1-20 of A-Z, 0-9, _ and -, starting alphanumeric")


class CooperativeIn(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    siren = fields.String(required=True)
    legal_form = fields.String(required=True, validate=validate.OneOf(LEGAL_FORMS))
    statute_profile = fields.String(
        validate=validate.OneOf(STATUTE_PROFILES),
        metadata={"description": "quorum and majority rules; default from the legal form"})
    default_contribution_rate = fields.Decimal(
        as_string=True, places=4, load_default=DEFAULT_CONTRIBUTION_RATE,
        validate=validate.Range(min=0, max=Decimal("0.5")),
        metadata={"description": "share of revenue HT, e.g. 0.10 (Coopaname's 10 %, the default)"})
    staff_size_bracket = fields.String(
        load_default="under_11", validate=validate.OneOf(STAFF_SIZE_BRACKETS),
        metadata={"description": "decides some payroll rates"})

    @validates("siren")
    def _siren(self, value, **_):
        if not siren_is_valid(value):
            raise ValidationError("not a valid SIREN (9 digits with a valid Luhn checksum)")


class CooperativeOut(Schema):
    id = fields.String()
    name = fields.String()
    siren = fields.String()
    legal_form = fields.String()
    statute_profile = fields.String()
    default_contribution_rate = fields.Decimal(as_string=True, places=4)
    staff_size_bracket = fields.String()
    registered_at = fields.DateTime()


class MemberIn(Schema):
    class Meta:
        unknown = RAISE

    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    joined_on = fields.Date(required=True, validate=PLAUSIBLE)
    activity_code = fields.String(load_default=None, allow_none=True, validate=ACTIVITY_CODE)
    activity_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class MemberOut(Schema):
    id = fields.String()
    cooperative_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String()
    joined_on = fields.Date()
    activity_code = fields.String(allow_none=True)
    activity_name = fields.String(allow_none=True)
    created_at = fields.DateTime()
    created_by = fields.String()
    associate_deadline = fields.Date(allow_none=True)
    associate_on = fields.Date(allow_none=True)
    left_on = fields.Date(allow_none=True)
    left_reason = fields.String(allow_none=True)


class CooperativeList(Schema):
    """The cooperatives of the network, by name."""

    items = fields.List(fields.Nested(CooperativeOut), required=True)


class MemberList(Schema):
    """The cooperative's members, by last then first name."""

    items = fields.List(fields.Nested(MemberOut), required=True)


class ContractIn(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(("CAPE", "CESA")))
    signed_on = fields.Date(required=True, validate=PLAUSIBLE)
    ends_on = fields.Date(load_default=None, allow_none=True,
                          metadata={"description": "a CAPE's end; none for a CESA"}, validate=PLAUSIBLE)
    trial_ends_on = fields.Date(load_default=None, allow_none=True,
                                metadata={"description": "a CESA's trial period end, if any"}, validate=PLAUSIBLE)


class RenewalIn(Schema):
    class Meta:
        unknown = RAISE

    ends_on = fields.Date(required=True, validate=PLAUSIBLE)


class DatedIn(Schema):
    class Meta:
        unknown = RAISE

    on = fields.Date(required=True, validate=PLAUSIBLE)


class ExitIn(DatedIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ScanIn(Schema):
    class Meta:
        unknown = RAISE

    today = fields.Date(required=True, validate=PLAUSIBLE)


class ContractOut(Schema):
    id = fields.String()
    member_id = fields.String()
    kind = fields.String()
    signed_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    renewals = fields.Integer()
    trial_ends_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)


class DeadlineOut(Schema):
    member_id = fields.String(attribute="id")
    first_name = fields.String()
    last_name = fields.String()
    associate_deadline = fields.Date()


class DeadlineList(Schema):
    """Entrepreneurs still to become associates, soonest deadline first."""

    items = fields.List(fields.Nested(DeadlineOut), required=True)


class ScanOut(Schema):
    today = fields.Date()
    published = fields.Integer()


class ActivityIn(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=ACTIVITY_CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    opened_on = fields.Date(required=True, validate=PLAUSIBLE)
    member_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=50))
    contribution_rate = fields.Decimal(
        as_string=True, places=4, load_default=None, allow_none=True,
        validate=validate.Range(min=0, max=Decimal("0.5")),
        metadata={"description": "overrides the cooperative's default rate for this activity"})


class ActivityOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    opened_on = fields.Date()
    closed_on = fields.Date(allow_none=True)
    contribution_rate = fields.Decimal(as_string=True, places=4, allow_none=True)
    member_ids = fields.List(fields.String())


class ActivityList(Schema):
    """The cooperative's activities, by code."""

    items = fields.List(fields.Nested(ActivityOut), required=True)


class InterviewIn(Schema):
    class Meta:
        unknown = RAISE

    held_on = fields.Date(required=True, validate=PLAUSIBLE)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class FollowUpOut(Schema):
    member_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    interviews_in_12_months = fields.Integer()


class FollowUpList(Schema):
    """Entrepreneurs with fewer than two follow-up interviews in the last 12 months."""

    items = fields.List(fields.Nested(FollowUpOut), required=True)


class StepIn(Schema):
    class Meta:
        unknown = RAISE

    stage = fields.String(required=True, validate=validate.OneOf(("diagnostic",)),
                          metadata={"description": "contracts, admission and exit have their own "
                                                   "endpoints, which record their steps"})
    on = fields.Date(required=True, validate=PLAUSIBLE)


class CorrectionIn(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    on = fields.Date(load_default=None, validate=PLAUSIBLE)
    stage = fields.String(load_default=None, validate=validate.OneOf(
        ("candidate", "diagnostic", "cape", "cesa", "associate", "exited")))


class StepOut(Schema):
    seq = fields.Integer()
    stage = fields.String()
    on = fields.Date()
    corrects = fields.Integer(allow_none=True)
    reason = fields.String()
    recorded_at = fields.DateTime()
    recorded_by = fields.String()


class HistoryOut(Schema):
    """Every recorded step (corrections included) and the history they amount to."""

    stage = fields.String(allow_none=True)
    steps = fields.List(fields.Nested(StepOut))
    effective = fields.List(fields.Dict())


class SettingsIn(Schema):
    """New settings of a cooperative from a date; omitted fields keep their value."""

    class Meta:
        unknown = RAISE

    effective_on = fields.Date(required=True, validate=PLAUSIBLE)
    name = fields.String(validate=validate.Length(min=1, max=200))
    legal_form = fields.String(validate=validate.OneOf(LEGAL_FORMS))
    statute_profile = fields.String(validate=validate.OneOf(STATUTE_PROFILES))
    default_contribution_rate = fields.Decimal(as_string=True, places=4,
                                               validate=validate.Range(min=0, max=Decimal("0.5")))
    staff_size_bracket = fields.String(validate=validate.OneOf(STAFF_SIZE_BRACKETS))


class VersionOut(Schema):
    effective_on = fields.Date()
    name = fields.String()
    legal_form = fields.String()
    statute_profile = fields.String()
    default_contribution_rate = fields.Decimal(as_string=True, places=4)
    staff_size_bracket = fields.String()
    recorded_at = fields.DateTime()
    recorded_by = fields.String()


class VersionList(Schema):
    """Every dated version of the cooperative's settings, oldest first."""

    items = fields.List(fields.Nested(VersionOut), required=True)


class ImportRow(Schema):
    """One row of ``cae members import`` (columns in ``usecases/importer.py``); blank cells
    are absent, unknown columns ignored."""

    class Meta:
        unknown = EXCLUDE

    person_ref = fields.String(required=True, validate=validate.Length(min=1, max=64))
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    joined_on = fields.Date(required=True, validate=PLAUSIBLE)
    cape_signed_on = fields.Date(load_default=None, validate=PLAUSIBLE)
    cape_ends_on = fields.Date(load_default=None, validate=PLAUSIBLE)
    cesa_signed_on = fields.Date(load_default=None, validate=PLAUSIBLE)
    trial_ends_on = fields.Date(load_default=None, validate=PLAUSIBLE)
    associate_on = fields.Date(load_default=None, validate=PLAUSIBLE)
    left_on = fields.Date(load_default=None, validate=PLAUSIBLE)
    left_reason = fields.String(load_default=None, validate=validate.Length(max=500))
    activity_code = fields.String(load_default=None, validate=ACTIVITY_CODE)
    activity_name = fields.String(load_default=None, validate=validate.Length(max=200))

    @pre_load
    def _blanks_are_absent(self, data, **_):
        return {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}
