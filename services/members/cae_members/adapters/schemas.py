"""Schemas of the members service (marshmallow 4): its HTTP bodies, query strings and
listings, and the rows of a CSV import.

Every date is within the platform's range (``caekit.fields.day``), every listing is read
in pages of 1 to 1,000 rows (``caekit.fields.limit`` and a ``cursor``), every text is
refused with control characters (PostgreSQL cannot store a NUL), every instant is
written in UTC with its offset, and a rate is a decimal string, never a JSON number.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
)

from cae_contracts.members import LEGAL_FORMS, STAFF_SIZE_BRACKETS, STATUTE_PROFILES
from cae_members.domain.activities import CODE, CODE_TEXT
from cae_members.domain.cooperatives import siren_is_valid
from caekit.fields import (  # noqa: F401 - the cursor helpers are used through this module
    CURSOR_TEXT,
    MAX_CURSOR,
    ONE_LINE,
    WholeRegexp,
    day,
    decode_cursor,
    encode_cursor,
    line,
    text,
)
from caekit.fields import limit as page_limit

DEFAULT_CONTRIBUTION_RATE = Decimal("0.1000")
MAX_CONTRIBUTION_RATE = Decimal("0.5")


ACTIVITY_CODE = WholeRegexp(f"^{CODE.pattern}$", error=CODE_TEXT)


def code_field(**kwargs) -> fields.String:
    """An activity code (``domain.activities.CODE``)."""
    return fields.String(validate=ACTIVITY_CODE, **kwargs)


class Rate(fields.Decimal):
    """A share of revenue HT, written as a decimal string of at most 4 decimals from "0" to
    "0.5" (a JSON number would go through a binary float first: refused)."""

    default_error_messages = {
        "invalid": 'a rate written as a string with at most 4 decimals, e.g. "0.1000"'}
    WRITTEN = re.compile(r"[0-9](\.[0-9]{1,4})?")

    def __init__(self, **kwargs):
        super().__init__(as_string=True, places=4,
                         validate=validate.Range(min=0, max=MAX_CONTRIBUTION_RATE), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or self.WRITTEN.fullmatch(value) is None:
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Instant(fields.DateTime):
    """An instant written in ISO 8601 in UTC, with its offset (``+00:00``); a naive value
    (SQLite keeps no time zone) is UTC already."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault(
            "description", "An instant, ISO 8601 in UTC with its offset (+00:00).")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, datetime):
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return super()._serialize(value, attr, obj, **kwargs)


# --------------------------------------------------------------------------- pages

class _PageQuery(Schema):
    """``limit`` and ``cursor`` of a listing; loads as ``limit`` and ``after`` (the
    position the cursor stands for, None for the first page)."""

    class Meta:
        unknown = RAISE

    cursor_kinds: tuple[type, ...] = ()

    limit = page_limit(metadata={"description": "How many rows at most, 1 to 1000."})
    cursor = fields.String(
        validate=[validate.Length(min=1, max=MAX_CURSOR),
                  WholeRegexp(r"^[A-Za-z0-9_-]+$", error=CURSOR_TEXT)],
        metadata={"description": "Where the page starts: the `next_cursor` of the previous "
                                 "page (absent for the first page)."})

    @post_load
    def _position(self, data, **_):
        cursor = data.pop("cursor", None)
        data["after"] = None if cursor is None else decode_cursor(cursor, self.cursor_kinds)
        return data


def listing(page, items=None) -> dict:
    """The body of a page of a listing (``items``: the page's rows as shown, if not as is)."""
    return {"items": page.items if items is None else items,
            "next_cursor": encode_cursor(page.next_after)}


def next_cursor() -> fields.String:
    return fields.String(required=True, allow_none=True, metadata={
        "description": "Pass it as `cursor` for the next page; null on the last page."})


class NoQuery(Schema):
    """An operation without query parameters: any is a 422 naming it."""

    class Meta:
        unknown = RAISE


class CooperativesQuery(_PageQuery):
    cursor_kinds = (str, str)  # name, id


class MembersQuery(_PageQuery):
    cursor_kinds = (str, str, str)  # last name, first name, id


class ActivitiesQuery(_PageQuery):
    cursor_kinds = (str,)  # code


class VersionsQuery(_PageQuery):
    cursor_kinds = (date, datetime, int)  # effective on, recorded at, id


class ContractsQuery(_PageQuery):
    cursor_kinds = (date, datetime, str)  # signed on, created at, id


class DeadlinesQuery(_PageQuery):
    cursor_kinds = (date, str, str)  # deadline, last name, id

    within_days = fields.Integer(load_default=365, validate=validate.Range(min=0, max=3650),
                                 metadata={"description": "Deadlines up to this many days after "
                                                          "`today` (0 to 3650)."})
    today = day(load_default=date.today,
                metadata={"description": "The day to count from (default: today)."})


class FollowUpQuery(_PageQuery):
    cursor_kinds = (str, str, str)  # last name, first name, id

    today = day(load_default=date.today,
                metadata={"description": "The day the 12 months end (default: today)."})


# --------------------------------------------------------------------------- cooperatives


class CooperativeIn(Schema):
    class Meta:
        unknown = RAISE

    name = line(200, required=True)
    siren = fields.String(required=True, validate=WholeRegexp(r"^[0-9]{9}$", error="9 digits"))
    legal_form = fields.String(required=True, validate=validate.OneOf(LEGAL_FORMS))
    statute_profile = fields.String(
        validate=validate.OneOf(STATUTE_PROFILES),
        metadata={"description": "quorum and majority rules; default from the legal form"})
    default_contribution_rate = Rate(
        load_default=DEFAULT_CONTRIBUTION_RATE,
        metadata={"description": 'share of revenue HT, e.g. "0.10" (Coopaname\'s 10 %, the '
                                 "default), a string"})
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
    registered_at = Instant()


class CooperativeList(Schema):
    """A page of the network's cooperatives, by name."""

    items = fields.List(fields.Nested(CooperativeOut), required=True)
    next_cursor = next_cursor()


class SettingsIn(Schema):
    """New settings of a cooperative from a date; omitted fields keep their value."""

    class Meta:
        unknown = RAISE

    effective_on = day(required=True)
    name = line(200)
    legal_form = fields.String(validate=validate.OneOf(LEGAL_FORMS))
    statute_profile = fields.String(validate=validate.OneOf(STATUTE_PROFILES))
    default_contribution_rate = Rate(metadata={"description": 'e.g. "0.09", a string'})
    staff_size_bracket = fields.String(validate=validate.OneOf(STAFF_SIZE_BRACKETS))


class VersionOut(Schema):
    effective_on = fields.Date()
    name = fields.String()
    legal_form = fields.String()
    statute_profile = fields.String()
    default_contribution_rate = fields.Decimal(as_string=True, places=4)
    staff_size_bracket = fields.String()
    recorded_at = Instant()
    recorded_by = fields.String()


class VersionList(Schema):
    """A page of the dated versions of the cooperative's settings, oldest first."""

    items = fields.List(fields.Nested(VersionOut), required=True)
    next_cursor = next_cursor()


# --------------------------------------------------------------------------- members


class MemberIn(Schema):
    class Meta:
        unknown = RAISE

    first_name = line(100, required=True)
    last_name = line(100, required=True)
    email = fields.Email(required=True, validate=[validate.Length(max=254), ONE_LINE])
    joined_on = day(required=True)
    activity_code = code_field(load_default=None, allow_none=True)
    activity_name = line(200, blank=True, load_default=None, allow_none=True)


class MemberOut(Schema):
    id = fields.String()
    cooperative_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String()
    joined_on = fields.Date()
    activity_code = fields.String(allow_none=True)
    activity_name = fields.String(allow_none=True)
    created_at = Instant()
    created_by = fields.String()
    associate_deadline = fields.Date(allow_none=True)
    associate_on = fields.Date(allow_none=True)
    left_on = fields.Date(allow_none=True)
    left_reason = fields.String(allow_none=True)


class MemberList(Schema):
    """A page of the cooperative's members, by last then first name."""

    items = fields.List(fields.Nested(MemberOut), required=True)
    next_cursor = next_cursor()


class StepIn(Schema):
    class Meta:
        unknown = RAISE

    stage = fields.String(required=True, validate=validate.OneOf(("diagnostic",)),
                          metadata={"description": "contracts, admission and exit have their own "
                                                   "endpoints, which record their steps"})
    on = day(required=True)


class CorrectionIn(Schema):
    class Meta:
        unknown = RAISE

    reason = text(500, required=True)
    on = day(load_default=None)
    stage = fields.String(load_default=None, validate=validate.OneOf(
        ("candidate", "diagnostic", "cape", "cesa", "associate", "exited")))


class StepOut(Schema):
    seq = fields.Integer()
    stage = fields.String()
    on = fields.Date()
    corrects = fields.Integer(allow_none=True)
    reason = fields.String()
    recorded_at = Instant()
    recorded_by = fields.String()


class EffectiveStepOut(Schema):
    """A step of the history the recorded steps amount to (corrections applied)."""

    stage = fields.String()
    on = fields.Date()
    reason = fields.String()


class HistoryOut(Schema):
    """Every recorded step (corrections included) and the history they amount to."""

    stage = fields.String(allow_none=True)
    steps = fields.List(fields.Nested(StepOut))
    effective = fields.List(fields.Nested(EffectiveStepOut))


# --------------------------------------------------------------------------- contracts


class ContractIn(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(("CAPE", "CESA")))
    signed_on = day(required=True)
    ends_on = day(load_default=None, allow_none=True,
                  metadata={"description": "a CAPE's end; none for a CESA"})
    trial_ends_on = day(load_default=None, allow_none=True,
                        metadata={"description": "a CESA's trial period end, if any"})


class RenewalIn(Schema):
    class Meta:
        unknown = RAISE

    ends_on = day(required=True)


class DatedIn(Schema):
    class Meta:
        unknown = RAISE

    on = day(required=True)


class ExitIn(DatedIn):
    reason = text(500, required=True)


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


class ContractList(Schema):
    """A page of the member's contracts, by signature."""

    items = fields.List(fields.Nested(ContractOut), required=True)
    next_cursor = next_cursor()


class ScanIn(Schema):
    class Meta:
        unknown = RAISE

    today = day(required=True)


class ScanOut(Schema):
    """What a deadline scan did."""

    today = fields.Date()
    published = fields.Integer(metadata={"description": "How many alerts it published."})


class DeadlineOut(Schema):
    member_id = fields.String(attribute="id")
    first_name = fields.String()
    last_name = fields.String()
    associate_deadline = fields.Date()


class DeadlineList(Schema):
    """A page of the entrepreneurs still to become associates, soonest deadline first."""

    items = fields.List(fields.Nested(DeadlineOut), required=True)
    next_cursor = next_cursor()


# --------------------------------------------------------------------------- activities


class ActivityIn(Schema):
    class Meta:
        unknown = RAISE

    code = code_field(required=True)
    name = line(200, required=True)
    opened_on = day(required=True)
    member_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=50))
    contribution_rate = Rate(
        load_default=None, allow_none=True,
        metadata={"description": "overrides the cooperative's default rate for this activity "
                                 '(a string, e.g. "0.0800")'})


class ActivityOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    opened_on = fields.Date()
    closed_on = fields.Date(allow_none=True)
    contribution_rate = fields.Decimal(as_string=True, places=4, allow_none=True)
    member_ids = fields.List(fields.String())


class ActivityList(Schema):
    """A page of the cooperative's activities, by code."""

    items = fields.List(fields.Nested(ActivityOut), required=True)
    next_cursor = next_cursor()


class InterviewIn(Schema):
    class Meta:
        unknown = RAISE

    held_on = day(required=True)
    notes = text(2000, blank=True, load_default=None, allow_none=True)


class InterviewOut(Schema):
    """A recorded follow-up interview."""

    member_id = fields.String()
    held_on = fields.Date()
    notes = fields.String(allow_none=True)
    recorded_at = Instant()
    recorded_by = fields.String()


class FollowUpOut(Schema):
    member_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    interviews_in_12_months = fields.Integer()


class FollowUpList(Schema):
    """A page of the entrepreneurs with fewer than two follow-up interviews in the last 12
    months, by last then first name."""

    items = fields.List(fields.Nested(FollowUpOut), required=True)
    next_cursor = next_cursor()


# --------------------------------------------------------------------------- CSV import


class ImportRow(Schema):
    """One row of ``cae members import``: the columns of the file, in any order (the help of
    the command is written from these fields, their validators and metadata). Blank cells
    are absent, unknown columns ignored."""

    class Meta:
        unknown = EXCLUDE

    person_ref = line(64, required=True, metadata={
        "example": "P-0042",
        "description": "the person's identifier in the previous tool; makes a re-import "
                       "skip the people already imported"})
    first_name = line(100, required=True, metadata={"example": "Léa"})
    last_name = line(100, required=True, metadata={"example": "Martin"})
    email = fields.Email(required=True, validate=[validate.Length(max=254), ONE_LINE],
                         metadata={"example": "lea.martin@example.org"})
    joined_on = day(required=True, metadata={
        "example": "2025-01-06", "description": "the day the person joined, as a candidate"})
    cape_signed_on = day(load_default=None, metadata={
        "example": "2025-02-03", "description": "a CAPE's signature (with cape_ends_on)"})
    cape_ends_on = day(load_default=None, metadata={
        "example": "2025-08-03", "description": "the CAPE's end, at most 12 months after its "
                                                "signature"})
    cesa_signed_on = day(load_default=None, metadata={
        "example": "2025-08-03", "description": "the CESA's signature; it sets the associate "
                                                "deadline and ends a running CAPE"})
    trial_ends_on = day(load_default=None, metadata={
        "example": "2025-09-03", "description": "the end of the CESA's trial period, if any"})
    associate_on = day(load_default=None, metadata={
        "example": "2027-06-30", "description": "the day the person became an associate "
                                                "(after the CESA)"})
    left_on = day(load_default=None, metadata={
        "example": "2029-01-31", "description": "the day the person left"})
    left_reason = text(500, load_default=None, metadata={
        "example": "moved away", "description": "why the person left (default: imported)"})
    activity_code = code_field(load_default=None, metadata={
        "example": "BOULANGE", "description": "the activity the person starts with"})
    activity_name = line(200, load_default=None, metadata={
        "example": "Boulangerie Martin",
        "description": "its name (default: the person's first and last name)"})

    @pre_load
    def _blanks_are_absent(self, data, **_):
        return {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}


MAX_IMPORT_CHARACTERS = 1_000_000
MAX_IMPORT_ROWS = 5_000


class ImportIn(Schema):
    """A CSV file to import (``POST /cooperatives/{id}/imports``): its text, and whether to
    only check it (a dry run) or to import it."""

    class Meta:
        unknown = RAISE

    csv = text(MAX_IMPORT_CHARACTERS, required=True, metadata={
        "description": f"The file's text: a first line naming the columns (those of `cae "
                       f"members import --help`: person_ref, first_name, last_name, email, "
                       f"joined_on, cape_signed_on, cape_ends_on, cesa_signed_on, "
                       f"trial_ends_on, associate_on, left_on, left_reason, activity_code, "
                       f"activity_name), separated by \",\" or \";\", then one line per person; "
                       f"at most {MAX_IMPORT_CHARACTERS:,} characters and "
                       f"{MAX_IMPORT_ROWS:,} people (422 naming `csv` beyond), and the "
                       f"body at most 1 MiB (413).",
        "example": "person_ref,first_name,last_name,email,joined_on\n"
                   "P-0042,Léa,Martin,lea.martin@example.org,2025-01-06\n"})
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "true: check every line and report what would be created, writing "
                       "nothing (200); false (default): import (201), or nothing at all if "
                       "a line is wrong (422)."})


class ImportErrorOut(Schema):
    """A line of the file that cannot be imported."""

    line = fields.Integer(required=True, metadata={
        "description": "The line in the file (1: the line naming the columns; 0: the whole "
                       "file)."})
    column = fields.String(required=True, metadata={
        "description": "The column (or columns) concerned, else the rule refusing the line, "
                       "else `-`."})
    message = fields.String(required=True)


class ImportLineOut(Schema):
    """What one line of the file creates (or would create)."""

    line = fields.Integer(required=True)
    person_ref = fields.String(required=True, allow_none=True)
    first_name = fields.String(required=True, allow_none=True)
    last_name = fields.String(required=True, allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf(
        ["created", "skipped", "refused"]), metadata={
        "description": "`created`: the person is (or, in a dry run, would be) created; "
                       "`skipped`: already imported (same person_ref); `refused`: the line "
                       "has errors (see `errors`)."})
    contracts = fields.List(fields.String(validate=validate.OneOf(["CAPE", "CESA"])),
                            required=True, metadata={
        "description": "The contracts the line creates (or would create)."})


class ImportReportOut(Schema):
    """The report of an import or of its dry run."""

    dry_run = fields.Boolean(required=True)
    rows = fields.Integer(required=True, metadata={"description": "The people lines read."})
    people = fields.Integer(required=True, metadata={
        "description": "The people created (in a dry run: that would be created)."})
    contracts = fields.Integer(required=True, metadata={
        "description": "The contracts (CAPE, CESA) created or that would be created."})
    skipped = fields.Integer(required=True, metadata={
        "description": "People already imported (same person_ref), left as they are."})
    errors = fields.List(fields.Nested(ImportErrorOut), required=True, metadata={
        "description": "Every error, by line (a dry run's; an import with errors is a 422)."})
    lines = fields.List(fields.Nested(ImportLineOut), required=True)


def import_problem_errors(errors) -> dict:
    """The ``errors`` of the 422 of an import refused: ``csv`` -> line -> column -> messages."""
    by_line: dict[str, dict[str, list[str]]] = {}
    for line_number, column, message in errors:
        by_line.setdefault(str(line_number), {}).setdefault(column, []).append(message)
    return {"rule": ["import.rows_refused"], "csv": by_line}
