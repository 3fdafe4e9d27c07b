"""Events published by the matching service (exchange ``matching.events``).

A profile's events carry no profile data, only which fields changed: a subscriber that
needs the data reads it through the HTTP API, under the consent rules (an event reaches
every subscriber of the platform, whatever the member consented to). Calls for tenders,
the teams proposed and accepted, and the replacements suggested carry member ids and
their cooperatives, with the requirement codes each member covers.
"""

from marshmallow import RAISE, Schema, fields, validate

from cae_contracts.registry import register

PROFILE_FIELDS = ("identity", "presentation", "skills", "trades", "languages", "place",
                  "day_rate", "availability", "references")
OBJECTIVES = ("smallest", "cheapest")
SCOPES = ("cooperative", "network")
CODE = {"required": True, "validate": validate.Length(min=1, max=20),
        "metadata": {"description": "unique in the call; covers and uncovered name requirements by it"}}
CONCEPT = {"load_default": None, "allow_none": True, "validate": validate.Length(min=1, max=200),
           "metadata": {"description": "ESCO concept URI; null for a free-text skill"}}
CENTS = {"strict": True, "validate": validate.Range(min=0, max=10**12)}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


@register(
    "cae.matching.profile_updated.v1",
    summary="An entrepreneur's profile changed (which fields, not their content).",
    subject="member_id",
)
class ProfileUpdatedV1(_Strict):
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    updated_at = fields.AwareDateTime(required=True)
    changed_fields = fields.List(
        fields.String(validate=validate.OneOf(PROFILE_FIELDS)), required=True,
        validate=validate.Length(min=1, max=len(PROFILE_FIELDS)))


class ConsentV1(_Strict):
    field = fields.String(required=True, validate=validate.OneOf(PROFILE_FIELDS))
    network = fields.Boolean(required=True, metadata={
        "description": "true: visible to the other cooperatives of the network"})


@register(
    "cae.matching.consent_changed.v1",
    summary="An entrepreneur changed which fields of their profile the network sees.",
    subject="member_id",
)
class ConsentChangedV1(_Strict):
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    changed_at = fields.AwareDateTime(required=True)
    changes = fields.List(fields.Nested(ConsentV1), required=True,
                          validate=validate.Length(min=1, max=len(PROFILE_FIELDS)))
    network_fields = fields.List(
        fields.String(validate=validate.OneOf(PROFILE_FIELDS)), required=True,
        validate=validate.Length(max=len(PROFILE_FIELDS)),
        metadata={"description": "every field visible to the network after the change"})


class RequirementV1(_Strict):
    code = fields.String(**CODE)
    concept_uri = fields.String(**CONCEPT)
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    min_level = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=4),
                               metadata={"description": "1 (notions) to 4 (expert)"})
    people = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=50),
                            metadata={"description": "how many different members it needs"})
    certifications = fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                                 load_default=list, metadata={
            "description": "the certification kinds a person must be allowed to use to take it"})


@register(
    "cae.matching.call_published.v1",
    summary="A call for tenders was published, with its requirements.",
    subject="call_id",
)
class CallPublishedV1(_Strict):
    call_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES), metadata={
        "description": "cooperative: its own members; network: also the consenting members "
                       "of every other cooperative"})
    objective = fields.String(required=True, validate=validate.OneOf(OBJECTIVES), metadata={
        "description": "smallest: the fewest people; cheapest: the lowest sum of day rates"})
    budget_cents = fields.Integer(load_default=None, allow_none=True, **CENTS)
    certifications = fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                                 required=True, metadata={
            "description": "the certification kinds every member must be allowed to use"})
    requirements = fields.List(fields.Nested(RequirementV1), required=True,
                               validate=validate.Length(min=1, max=50))


class TeamMemberV1(_Strict):
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True,
                                 metadata={"description": "the member's own cooperative"})
    covers = fields.List(fields.String(validate=validate.Length(min=1, max=20)), required=True,
                         metadata={"description": "the requirement codes this member covers"})


class ProposalV1(_Strict):
    proposal_id = fields.UUID(required=True)
    rank = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=20),
                          metadata={"description": "1: the best; ranked by cost"})
    cost = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**12),
                          metadata={"description": "people (smallest) or day-rate cents "
                                                   "(cheapest)"})
    proven_optimal = fields.Boolean(required=True, metadata={
        "description": "true: proven the cheapest team but for those ranked before it"})
    method = fields.String(required=True, validate=validate.OneOf(("exact", "greedy")), metadata={
        "description": "exact: found by the integer program (HiGHS); greedy: by the greedy"})
    members = fields.List(fields.Nested(TeamMemberV1), required=True,
                          validate=validate.Length(min=1))


@register(
    "cae.matching.team_proposed.v1",
    summary="Teams were proposed for a call, ranked; or none, with the requirements no team "
            "can cover.",
    subject="call_id",
)
class TeamProposedV1(_Strict):
    call_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    objective = fields.String(required=True, validate=validate.OneOf(OBJECTIVES))
    proposals = fields.List(fields.Nested(ProposalV1), required=True,
                            validate=validate.Length(max=20), metadata={
            "description": "ranked by cost; none when a requirement cannot be covered"})
    uncovered = fields.List(fields.String(validate=validate.Length(min=1, max=20)),
                            required=True, metadata={
            "description": "the codes of the requirements no team can cover"})


@register(
    "cae.matching.team_accepted.v1",
    summary="Every member of a proposed team accepted it: the call's team is recorded.",
    subject="call_id",
)
class TeamAcceptedV1(_Strict):
    call_id = fields.UUID(required=True)
    proposal_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    accepted_at = fields.AwareDateTime(required=True)
    members = fields.List(fields.Nested(TeamMemberV1), required=True,
                          validate=validate.Length(min=1))


class SuggestionV1(_Strict):
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    call_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the engagement (an accepted team's call) to take over; null: in general"})
    requirement = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=20), metadata={
            "description": "the code of the call's requirement they would cover; null: no call"})
    distance_km = fields.Integer(load_default=None, allow_none=True, strict=True,
                                 validate=validate.Range(min=0, max=20040), metadata={
            "description": "great-circle distance to the call's place, in whole kilometres; "
                           "null: a remote call, or no call"})


@register(
    "cae.matching.replacement_suggested.v1",
    summary="An entrepreneur declared an absence: who could take over their engagements.",
    subject="absence_id",
)
class ReplacementSuggestedV1(_Strict):
    absence_id = fields.UUID(required=True)
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    suggestions = fields.List(fields.Nested(SuggestionV1), required=True,
                              validate=validate.Length(max=200))
