"""HTTP request, query and response schemas of certifications, calls for tenders, proposed
teams and their answers, absences and replacements, and professional groups (marshmallow 4).

Ranges: a certification's kind one of :data:`KINDS`, its name 1 to 200 characters, its
number 1 to 100, its scope 1 to 5,000, 0 to 500 activities; a call's title 1 to 300
characters, description 1 to 20,000, buyer and commune 1 to 200, latitudes -90 to 90 and
longitudes -180 to 180 degrees (JSON numbers, rounded to 6 decimals), a budget of 0 to
10**12 cents, 1 to 50 requirements, each with a code of 1 to 20 characters, a minimum
level 1 to 4 and 1 to 50 people; dates 1900-01-01 to 2200-12-31; a proposal's time limit
0.1 to 30 seconds a solve and 1 to 5 alternatives; an absence's reason 1 to 300
characters; a group's name 1 to 200, topic 1 to 300, description 1 to 5,000 characters.
Every JSON value has the type documented: a boolean is ``true`` or ``false`` (not ``1``
nor ``"true"``), a number is a JSON number (not a string).
"""

from __future__ import annotations

from datetime import datetime

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from cae_matching.adapters.schemas import CONCEPT_URI
from caekit import fields as bounded
from caekit.bounds import MAX_CENTS
from caekit.fields import CURSOR_TEXT, MAX_CURSOR, WholeRegexp, decode_cursor

KINDS = ("qualiopi", "rge", "qualibat", "qualifelec", "opqibi", "opqtecc", "iso_9001", "other")
KINDS_TEXT = ("qualiopi (formation), rge (rénovation énergétique), qualibat (bâtiment), "
              "qualifelec (électricité), opqibi (ingénierie), opqtecc (économistes de la "
              "construction), iso_9001 (qualité) or other")
CALL_STATUSES = ("draft", "published", "proposed", "staffed", "closed")
PROPOSAL_STATUSES = ("proposed", "accepted", "declined", "superseded")
OBJECTIVES = ("smallest", "cheapest")
SCOPES = ("cooperative", "network")
MAX_ACTIVITIES = 500


class _In(Schema):
    class Meta:
        unknown = RAISE


# -- fields ---------------------------------------------------------------------------------
class Flag(fields.Boolean):
    """A JSON ``true`` or ``false``, nothing else (marshmallow's Boolean also takes ``1``,
    ``"yes"``...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class QueryFlag(fields.Boolean):
    """A query parameter ``true`` or ``false``, nothing else."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in ("true", "false"):
            raise self.make_error("invalid")
        return value == "true"


class Number(fields.Float):
    """A finite JSON number (integer or decimal), not a string nor a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        try:
            float(value)
        except OverflowError:  # an integer too large for a float
            raise self.make_error("invalid") from None
        return super()._deserialize(value, attr, data, **kwargs)


def _kind(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(KINDS), **kwargs)


def _kinds(description: str) -> fields.List:
    return fields.List(_kind(), load_default=list, validate=validate.Length(max=len(KINDS)),
                       metadata={"description": f"{description}: 0 to {len(KINDS)} of "
                                                f"{KINDS_TEXT}", "examples": [["rge"]]})


def _degrees(what: str, bound: int) -> Number:
    return Number(load_default=None, allow_none=True,
                  validate=validate.Range(min=-bound, max=bound),
                  metadata={"description": f"{what} in degrees, {-bound} to {bound} (a JSON "
                                           "number, rounded to 6 decimals); with the other "
                                           "coordinate, or neither (remote work)"})


def _ordered(first: str, last: str, what: str):
    """A schema check: ``last`` on or after ``first``."""

    @validates_schema
    def check(self, data, **kwargs):
        if data.get(first) is not None and data.get(last) is not None \
                and data[last] < data[first]:
            raise ValidationError(f"{what} on or after {first}", last)

    return check


def next_cursor() -> fields.String:
    return fields.String(required=True, allow_none=True, metadata={
        "description": "Pass it as `cursor` for the next page; null on the last page."})


# -- certifications -------------------------------------------------------------------------
class CertificationIn(_In):
    """A certification of the cooperative, shared with all its activities or those listed."""

    kind = _kind(required=True, metadata={"description": KINDS_TEXT, "examples": ["qualiopi"]})
    name = bounded.line(200, required=True, metadata={
        "description": "1 to 200 characters", "examples": ["Qualiopi — actions de formation"]})
    scope = bounded.text(5000, load_default=None, allow_none=True, metadata={
        "description": "what it covers, 1 to 5,000 characters"})
    number = bounded.line(100, load_default=None, allow_none=True, metadata={
        "description": "the certificate's number, 1 to 100 characters", "examples": ["QUA-2026-0042"]})
    valid_from = bounded.day(required=True, metadata={
        "description": "first day of validity, 1900-01-01 to 2200-12-31"})
    valid_until = bounded.day(required=True, metadata={
        "description": "last day of validity, on or after valid_from, up to 2200-12-31"})
    all_activities = Flag(load_default=False, metadata={
        "description": "every activity of the cooperative may use it (then list none)"})
    activity_ids = fields.List(fields.UUID(), load_default=list,
                               validate=validate.Length(max=MAX_ACTIVITIES), metadata={
                                   "description": "the activities that may use it, 0 to "
                                                  f"{MAX_ACTIVITIES} (none: nobody yet)"})

    _validity = _ordered("valid_from", "valid_until", "valid until a day")

    @validates_schema
    def _either(self, data, **kwargs):
        if data.get("all_activities") and data.get("activity_ids"):
            raise ValidationError("for all activities, or for those listed, not both",
                                  "activity_ids")


class CertificationsQuery(_In):
    kind = _kind(metadata={"description": f"only this kind: {KINDS_TEXT}"})
    valid_on = bounded.day(metadata={"description": "only those valid on this day, "
                                                    "1900-01-01 to 2200-12-31"})


class CertificationOut(Schema):
    id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": KINDS_TEXT})
    name = fields.String(required=True)
    scope = fields.String(required=True, allow_none=True)
    number = fields.String(required=True, allow_none=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    all_activities = fields.Boolean(required=True)
    activity_ids = fields.List(fields.String(), required=True)


class CertificationList(Schema):
    """The cooperative's certifications, by kind, then end of validity, then name."""

    items = fields.List(fields.Nested(CertificationOut), required=True)


# -- calls for tenders ------------------------------------------------------------------------
class CallRequirementIn(_In):
    """A skill the team needs: its concept (ESCO) and/or its label (a label alone is a
    free-text requirement, met by a skill of the same words)."""

    code = bounded.line(20, required=True, metadata={
        "description": "unique in the call, 1 to 20 characters", "examples": ["isolation"]})
    concept_uri = fields.String(load_default=None, allow_none=True,
                                validate=[validate.Length(max=200), CONCEPT_URI], metadata={
                                    "description": "an ESCO concept, up to 200 characters; "
                                                   "met by it or any narrower concept"})
    label = bounded.line(200, load_default=None, allow_none=True, metadata={
        "description": "the skill in words, 1 to 200 characters (needed without a concept, "
                       "or with a concept not in the taxonomy)",
        "examples": ["Isolation thermique des bâtiments"]})
    min_level = fields.Integer(strict=True, load_default=1, validate=validate.Range(
        min=1, max=4), metadata={"description": "1 notions, 2 autonome, 3 confirmé, 4 expert"})
    people = fields.Integer(strict=True, load_default=1, validate=validate.Range(
        min=1, max=50), metadata={"description": "how many people, 1 to 50"})
    certifications = _kinds("the kinds a person taking this requirement may use")

    @validates_schema
    def _named(self, data, **kwargs):
        if not data.get("concept_uri") and not data.get("label"):
            raise ValidationError("a requirement names a concept_uri or has a label", "label")


class CallIn(_In):
    """A call for tenders (appel d'offres) as the staff writes it, a draft until published."""

    title = bounded.line(300, required=True, metadata={
        "description": "1 to 300 characters",
        "examples": ["Rénovation énergétique du groupe scolaire Jean-Macé"]})
    description = bounded.text(20000, load_default=None, allow_none=True, metadata={
        "description": "1 to 20,000 characters"})
    buyer = bounded.line(200, load_default=None, allow_none=True, metadata={
        "description": "the buyer (acheteur), 1 to 200 characters", "examples": ["Ville de Lyon"]})
    commune = bounded.line(200, load_default=None, allow_none=True, metadata={
        "description": "where, 1 to 200 characters (a label)", "examples": ["Lyon"]})
    latitude = _degrees("latitude", 90)
    longitude = _degrees("longitude", 180)
    starts_on = bounded.day(required=True, metadata={
        "description": "first day of the work, 1900-01-01 to 2200-12-31"})
    ends_on = bounded.day(required=True, metadata={
        "description": "last day of the work, on or after starts_on, up to 2200-12-31"})
    deadline = bounded.day(load_default=None, allow_none=True, metadata={
        "description": "the tender's deadline (date limite de remise des offres), "
                       "1900-01-01 to 2200-12-31; not passed when published"})
    budget_cents = bounded.cents(maximum=MAX_CENTS, load_default=None, allow_none=True,
                                 metadata={"description": f"in cents HT, 0 to {MAX_CENTS}"})
    certifications = _kinds("the kinds every member of the team may use")
    objective = fields.String(load_default="smallest", validate=validate.OneOf(OBJECTIVES),
                              metadata={"description": "smallest team, or cheapest at the "
                                                       "members' day rates"})
    scope = fields.String(load_default="cooperative", validate=validate.OneOf(SCOPES),
                          metadata={"description": "the cooperative's members only, or also "
                                                   "the consenting members of the network"})
    requirements = fields.List(fields.Nested(CallRequirementIn), required=True,
                               validate=validate.Length(min=1, max=50),
                               metadata={"description": "1 to 50 requirements"})

    _period = _ordered("starts_on", "ends_on", "a call ends")

    @validates_schema
    def _place(self, data, **kwargs):
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            missing = "longitude" if data.get("longitude") is None else "latitude"
            raise ValidationError("a place has a latitude and a longitude, or neither "
                                  "(remote work)", missing)


class CallsQuery(_In):
    status = fields.String(validate=validate.OneOf(CALL_STATUSES), metadata={
        "description": "only calls of this status: " + ", ".join(CALL_STATUSES)})
    limit = bounded.limit(50, metadata={"description": "how many calls at most, 1 to 1000"})
    cursor = fields.String(
        validate=[validate.Length(min=1, max=MAX_CURSOR),
                  WholeRegexp(r"^[A-Za-z0-9_-]+$", error=CURSOR_TEXT)],
        metadata={"description": "where the page starts: the `next_cursor` of the previous "
                                 "page (absent for the first page)"})

    @post_load
    def _position(self, data, **kwargs):
        cursor = data.pop("cursor", None)
        data["after"] = None if cursor is None else decode_cursor(cursor, (datetime, str))
        return data


class CallRequirementOut(Schema):
    code = fields.String(required=True)
    concept_uri = fields.String(required=True, allow_none=True)
    label = fields.String(required=True)
    min_level = fields.Integer(required=True, metadata={"description": "1 to 4"})
    people = fields.Integer(required=True)
    certifications = fields.List(fields.String(), required=True)


class CallOut(Schema):
    id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    buyer = fields.String(required=True, allow_none=True)
    commune = fields.String(required=True, allow_none=True)
    latitude = fields.Float(required=True, allow_none=True, metadata={
        "description": "degrees; null: remote work"})
    longitude = fields.Float(required=True, allow_none=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    deadline = fields.Date(required=True, allow_none=True)
    budget_cents = fields.Integer(required=True, allow_none=True)
    certifications = fields.List(fields.String(), required=True)
    objective = fields.String(required=True, metadata={"description": "smallest or cheapest"})
    scope = fields.String(required=True, metadata={"description": "cooperative or network"})
    status = fields.String(required=True, metadata={
        "description": "draft, published, proposed, staffed or closed"})
    created_at = fields.AwareDateTime(required=True)
    created_by = fields.String(required=True)
    published_at = fields.AwareDateTime(required=True, allow_none=True)
    requirements = fields.List(fields.Nested(CallRequirementOut), required=True)


class CallList(Schema):
    """A page of the cooperative's calls, the newest first."""

    items = fields.List(fields.Nested(CallOut), required=True)
    next_cursor = next_cursor()


# -- proposals --------------------------------------------------------------------------------
class ProposeIn(_In):
    """How long the solver may search, and how many teams to propose."""

    time_limit_seconds = Number(load_default=5.0, validate=validate.Range(min=0.1, max=30),
                                metadata={"description": "seconds each solve may take, 0.1 to "
                                                         "30; past it, the best team found (the "
                                                         "greedy's at worst) with its guarantee"})
    alternatives = fields.Integer(strict=True, load_default=3, validate=validate.Range(
        min=1, max=5), metadata={"description": "how many teams at most, 1 to 5, ranked by "
                                                "cost"})


class ProposalsQuery(_In):
    include_superseded = QueryFlag(load_default=False, metadata={
        "description": "also the proposals superseded by a later one: true or false"})


class ProposalMemberOut(Schema):
    member_id = fields.String(required=True)
    cooperative_id = fields.String(required=True, metadata={"description": "the member's"})
    name = fields.String(required=True, allow_none=True, metadata={
        "description": "null when not visible to the reader's cooperative"})
    covers = fields.List(fields.String(), required=True, metadata={
        "description": "the codes of the requirements the member covers"})
    day_rate_cents = fields.Integer(required=True, allow_none=True)
    distance_km = fields.Integer(required=True, allow_none=True, metadata={
        "description": "to the call's place, when just proposed (null otherwise)"})
    answer = fields.String(required=True, metadata={
        "description": "pending, accepted or declined"})
    answered_at = fields.AwareDateTime(required=True, allow_none=True)


class ProposalRequirementOut(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    members = fields.List(fields.String(), required=True)


class ProposalOut(Schema):
    proposal_id = fields.String(required=True)
    call_id = fields.String(required=True)
    rank = fields.Integer(required=True, metadata={"description": "1 the cheapest"})
    status = fields.String(required=True, metadata={
        "description": "proposed, accepted, declined or superseded"})
    objective = fields.String(required=True)
    cost = fields.Integer(required=True, metadata={
        "description": "people (smallest) or cents a day (cheapest)"})
    day_rate_total_cents = fields.Integer(required=True, allow_none=True)
    proven_optimal = fields.Boolean(required=True)
    lower_bound = fields.Integer(required=True)
    gap = fields.String(required=True, metadata={
        "description": "(cost - lower bound) / cost, a fraction such as 0 or 1/10"})
    method = fields.String(required=True, metadata={"description": "exact or greedy"})
    guarantee = fields.String(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    decided_at = fields.AwareDateTime(required=True, allow_none=True)
    members = fields.List(fields.Nested(ProposalMemberOut), required=True)
    requirements = fields.List(fields.Nested(ProposalRequirementOut), required=True)


class ProposalList(Schema):
    """The call's proposals, the latest first, then by rank."""

    items = fields.List(fields.Nested(ProposalOut), required=True)


class ExcludedOut(Schema):
    member_id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    name = fields.String(required=True)
    reasons = fields.List(fields.String(), required=True, metadata={
        "description": "declined, out_of_reach, no_place, unavailable (then absent, engaged "
                       "or no_availability), certification, no_day_rate"})
    missing_certifications = fields.List(fields.String(), required=True)
    distance_km = fields.Integer(required=True, allow_none=True)


class UncoveredOut(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    concept_uri = fields.String(required=True, allow_none=True)
    min_level = fields.Integer(required=True)
    people = fields.Integer(required=True)
    qualified = fields.Integer(required=True, metadata={
        "description": "eligible people qualifying"})
    left_out = fields.Integer(required=True, metadata={
        "description": "excluded people holding the skill"})


class GreedyOut(Schema):
    cost = fields.Integer(required=True)
    members = fields.List(fields.String(), required=True)
    guarantee = fields.String(required=True)


class ProposeOut(Schema):
    """The teams proposed, the people left out and why, the requirements nobody covers."""

    call_id = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "the call's: proposed, or published when no team"})
    objective = fields.String(required=True)
    proposals = fields.List(fields.Nested(ProposalOut), required=True)
    excluded = fields.List(fields.Nested(ExcludedOut), required=True)
    uncovered = fields.List(fields.Nested(UncoveredOut), required=True)
    greedy = fields.Nested(GreedyOut, required=True, allow_none=True)


# -- answers ------------------------------------------------------------------------------------
class AnswerIn(_In):
    accept = Flag(required=True, metadata={
        "description": "true to accept taking part in the team, false to decline"})


class AnswerOut(Schema):
    proposal = fields.Nested(ProposalOut, required=True)
    call_status = fields.String(required=True)
    team_accepted = fields.Boolean(required=True, metadata={
        "description": "this answer completed the team: the call is staffed"})


class MemberProposalsQuery(_In):
    status = fields.String(load_default="proposed",
                           validate=validate.OneOf((*PROPOSAL_STATUSES, "all")), metadata={
                               "description": "proposed (waiting for answers, the default), "
                                              "accepted, declined, superseded, or all"})


class MemberProposalOut(Schema):
    proposal_id = fields.String(required=True)
    call_id = fields.String(required=True)
    cooperative_id = fields.String(required=True, metadata={"description": "the call's"})
    title = fields.String(required=True)
    buyer = fields.String(required=True, allow_none=True)
    commune = fields.String(required=True, allow_none=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    rank = fields.Integer(required=True)
    status = fields.String(required=True)
    covers = fields.List(fields.String(), required=True)
    answer = fields.String(required=True)


class MemberProposalList(Schema):
    """The proposals naming the member, whatever cooperative made them, the latest first."""

    items = fields.List(fields.Nested(MemberProposalOut), required=True)


# -- absences -------------------------------------------------------------------------------
class AbsenceIn(_In):
    starts_on = bounded.day(required=True, metadata={
        "description": "first day away, 1900-01-01 to 2200-12-31"})
    ends_on = bounded.day(required=True, metadata={
        "description": "last day away, on or after starts_on, up to 2200-12-31"})
    reason = bounded.line(300, load_default=None, allow_none=True, metadata={
        "description": "1 to 300 characters", "examples": ["Congé maternité"]})

    _period = _ordered("starts_on", "ends_on", "an absence ends")


class SuggestionOut(Schema):
    call_id = fields.String(required=True, allow_none=True, metadata={
        "description": "the engagement's call; null when suggested by the member's skills"})
    call_title = fields.String(required=True, allow_none=True)
    call_cooperative_id = fields.String(required=True, allow_none=True)
    requirement = fields.String(required=True, allow_none=True)
    label = fields.String(required=True)
    concept_uri = fields.String(required=True, allow_none=True)
    member_id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    own_cooperative = fields.Boolean(required=True)
    level = fields.Integer(required=True)
    distance_km = fields.Integer(required=True, allow_none=True)


class AbsenceOut(Schema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    reason = fields.String(required=True, allow_none=True)
    declared_at = fields.AwareDateTime(required=True)
    suggestions = fields.List(fields.Nested(SuggestionOut), required=True, metadata={
        "description": "who could take over, the member's cooperative first, then nearest"})


class EngagementOut(Schema):
    call_id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    title = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    covers = fields.List(fields.String(), required=True)


class DeclaredAbsenceOut(AbsenceOut):
    """The absence recorded, the member's engagements it overlaps, and the suggestions."""

    engagements = fields.List(fields.Nested(EngagementOut), required=True)


class AbsenceList(Schema):
    """The member's absences, the latest first."""

    items = fields.List(fields.Nested(AbsenceOut), required=True)


# -- professional groups --------------------------------------------------------------------------
class GroupIn(_In):
    name = bounded.line(200, required=True, metadata={
        "description": "unique in the cooperative (case aside), 1 to 200 characters",
        "examples": ["Experts rénovation énergétique"]})
    topic = bounded.line(300, required=True, metadata={
        "description": "1 to 300 characters", "examples": ["Isolation et audits énergétiques"]})
    description = bounded.text(5000, load_default=None, allow_none=True, metadata={
        "description": "1 to 5,000 characters"})


class GroupsQuery(_In):
    member_id = fields.UUID(metadata={"description": "only the groups of this member"})


class GroupMemberOut(Schema):
    member_id = fields.String(required=True)
    name = fields.String(required=True)


class GroupOut(Schema):
    id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    name = fields.String(required=True)
    topic = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    member_count = fields.Integer(required=True)
    members = fields.List(fields.Nested(GroupMemberOut), required=True)


class GroupList(Schema):
    """The cooperative's groups, by name."""

    items = fields.List(fields.Nested(GroupOut), required=True)
