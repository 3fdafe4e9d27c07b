"""Events published by the governance service (exchange ``governance.events``).

The general assembly's life: convened, opened (attendance and quorum), each resolution
adopted or rejected with its counts and the formula of its majority, the managers or
board elected, associates admitted, and the minutes published.

``cae.governance.contribution_rate_adopted.v1`` is a governance event too, but its
contract lives in :mod:`cae_contracts.inbound`, beside the bank's, because the ledger
consumed it before the governance service existed.
"""

from marshmallow import RAISE, Schema, fields, validate

from cae_contracts.registry import register

ASSEMBLY_KINDS = ("ordinary", "extraordinary", "combined")
DECISION_KINDS = ("ordinary", "extraordinary", "election")
EFFECTS = ("none", "contribution_schedule", "associate_admission", "managers_election",
           "accounts_approval")
OFFICES = ("managers", "board")
COUNT = {"required": True, "strict": True, "validate": validate.Range(min=0)}
# a fraction as the minutes write it: 1/2, 2/3, or 1 (a quorum is in (0, 1])
FRACTION = r"^(1|[1-9]\d{0,3}/[1-9]\d{0,3})$"


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ResolutionOnAgendaV1(_Strict):
    resolution_id = fields.UUID(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=20),
                         metadata={"description": "its number or code on the agenda, e.g. R1"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(
        required=True, validate=validate.OneOf(DECISION_KINDS),
        metadata={"description": "the decision kind, which sets its quorum and majority"})


@register(
    "cae.governance.assembly_convened.v1",
    summary="A general assembly was convened, with its agenda and the electorate fixed on its "
            "record date.",
    subject="assembly_id",
)
class AssemblyConvenedV1(_Strict):
    assembly_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    kind = fields.String(
        required=True, validate=validate.OneOf(ASSEMBLY_KINDS),
        metadata={"description": "combined: ordinary and extraordinary resolutions in one assembly"})
    convocation = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=2),
        metadata={"description": "1 or 2: a second convocation follows a first that lacked its quorum"})
    first_assembly_id = fields.UUID(
        load_default=None, allow_none=True,
        metadata={"description": "on a second convocation, the assembly of the first; else null"})
    held_at = fields.AwareDateTime(required=True)
    place = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300),
                          metadata={"description": "address of the meeting; null if held remotely only"})
    video_link = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500),
        metadata={"description": "link for the associates taking part remotely, if allowed"})
    record_date = fields.Date(
        required=True, metadata={"description": "the electorate is fixed on this date"})
    convened_on = fields.Date(required=True,
                              metadata={"description": "date the convocations were sent"})
    electorate = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0),
        metadata={"description": "number of associates convened (one person one vote)"})
    resolutions = fields.List(fields.Nested(ResolutionOnAgendaV1), required=True,
                              validate=validate.Length(min=0, max=200),
                              metadata={"description": "the agenda, in order"})


class QuorumV1(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(DECISION_KINDS),
                         metadata={"description": "the decision kind this quorum is for"})
    required = fields.String(
        required=True, allow_none=True, validate=validate.Regexp(FRACTION),
        metadata={"description": "the fraction of the associates that must take part, e.g. "
                                 "\"1/4\"; null when no quorum is required"})
    reached = fields.Boolean(required=True)
    formula = fields.String(required=True, validate=validate.Length(max=2000),
                            metadata={"description": "how it was counted, as the minutes say it"})


@register(
    "cae.governance.assembly_opened.v1",
    summary="A general assembly opened: who takes part, and whether each quorum is reached.",
    subject="assembly_id",
)
class AssemblyOpenedV1(_Strict):
    assembly_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    opened_at = fields.AwareDateTime(required=True)
    electorate = fields.Integer(**COUNT, metadata={"description": "associates convened"})
    in_person = fields.Integer(**COUNT)
    remote = fields.Integer(**COUNT, metadata={"description": "taking part by video conference"})
    postal = fields.Integer(**COUNT, metadata={"description": "valid postal voting forms received"})
    represented = fields.Integer(**COUNT, metadata={"description": "voting through a proxy"})
    quorum = fields.List(fields.Nested(QuorumV1), required=True,
                         validate=validate.Length(max=len(DECISION_KINDS)),
                         metadata={"description": "one per decision kind on the agenda"})


class CountsV1(_Strict):
    for_votes = fields.Integer(**COUNT, metadata={"description": "votes for the resolution"})
    against = fields.Integer(**COUNT)
    abstain = fields.Integer(**COUNT)
    blank = fields.Integer(**COUNT, metadata={"description": "blank or void ballots"})
    not_voted = fields.Integer(
        **COUNT, metadata={"description": "taking part in the assembly but not voting on it"})


class ResolutionDecidedV1(_Strict):
    resolution_id = fields.UUID(required=True)
    assembly_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(required=True, validate=validate.OneOf(DECISION_KINDS))
    secret = fields.Boolean(required=True, metadata={"description": "voted by secret ballot"})
    effect = fields.String(
        required=True, validate=validate.OneOf(EFFECTS),
        metadata={"description": "what the resolution does once adopted; the events that carry "
                                 "it (e.g. contribution_rate_adopted, associate_admitted) follow"})
    counts = fields.Nested(CountsV1, required=True,
                           metadata={"description": "one person one vote, before any SCIC weighting"})
    base = fields.Integer(
        **COUNT, metadata={"description": "the number of votes the majority is counted on"})
    majority = fields.String(
        required=True, validate=validate.Length(max=300),
        metadata={"description": "the majority rule in words, e.g. \"more than 1/2 of the "
                                 "associates present or represented\""})
    formula = fields.String(
        required=True, validate=validate.Length(max=4000),
        metadata={"description": "the count against the rule, as the minutes say it"})
    decided_at = fields.AwareDateTime(required=True)
    effective_on = fields.Date(
        load_default=None, allow_none=True,
        metadata={"description": "when its effect starts, if it has one"})


@register(
    "cae.governance.resolution_adopted.v1",
    summary="The general assembly adopted a resolution, with its counts and majority.",
    subject="resolution_id",
)
class ResolutionAdoptedV1(ResolutionDecidedV1):
    pass


@register(
    "cae.governance.resolution_rejected.v1",
    summary="The general assembly rejected a resolution, with its counts and majority.",
    subject="resolution_id",
)
class ResolutionRejectedV1(ResolutionDecidedV1):
    pass


@register(
    "cae.governance.managers_elected.v1",
    summary="The general assembly elected the managers (gérants) or the board.",
    subject="resolution_id",
)
class ManagersElectedV1(_Strict):
    resolution_id = fields.UUID(required=True)
    assembly_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    office = fields.String(
        required=True, validate=validate.OneOf(OFFICES),
        metadata={"description": "managers: the gérants of a SARL; board: the directors of an SA"})
    seats = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=50),
                           metadata={"description": "seats to fill"})
    elected = fields.List(fields.UUID(), required=True, validate=validate.Length(min=0, max=50),
                          metadata={"description": "member ids of the people elected"})
    effective_on = fields.Date(required=True)


@register(
    "cae.governance.associate_admitted.v1",
    summary="The general assembly admitted an entrepreneur as an associate.",
    subject="member_id",
)
class AssociateAdmittedV1(_Strict):
    resolution_id = fields.UUID(required=True)
    assembly_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    member_id = fields.UUID(required=True)
    associate_on = fields.Date(required=True,
                               metadata={"description": "the date the member becomes an associate"})


@register(
    "cae.governance.minutes_published.v1",
    summary="The minutes (procès-verbal) of a general assembly were published as a PDF.",
    subject="assembly_id",
)
class MinutesPublishedV1(_Strict):
    assembly_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    published_at = fields.AwareDateTime(required=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"),
                           metadata={"description": "SHA-256 of the PDF, lowercase hex"})
    pages = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
