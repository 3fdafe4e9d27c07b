"""Events published by the members service (exchange ``members.events``)."""

from marshmallow import RAISE, Schema, fields, validate

from cae_contracts.registry import register

LEGAL_FORMS = ("SCOP-SARL", "SCOP-SA", "SCIC-SAS", "SCIC-SA")
STATUTE_PROFILES = ("scop-sarl", "scop-sa", "scic")
STAFF_SIZE_BRACKETS = ("under_11", "11_to_49", "50_and_more")
CONTRACT_KINDS = ("CAPE", "CESA")
RATE = {"as_string": True, "places": 4, "validate": validate.Range(min=0, max=1)}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


@register(
    "cae.members.cooperative_registered.v1",
    summary="A network operator registered a cooperative (a tenant of the platform).",
    subject="cooperative_id",
)
class CooperativeRegisteredV1(_Strict):
    cooperative_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    siren = fields.String(required=True, validate=validate.Regexp(r"^\d{9}$"))
    legal_form = fields.String(required=True, validate=validate.OneOf(LEGAL_FORMS))
    registered_at = fields.AwareDateTime(required=True)
    statute_profile = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(STATUTE_PROFILES),
        metadata={"description": "quorum and majority rules the governance service applies"})
    default_contribution_rate = fields.Decimal(
        load_default=None, allow_none=True, **RATE,
        metadata={"description": "share of revenue HT kept by the cooperative, e.g. 0.1000"})
    staff_size_bracket = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(STAFF_SIZE_BRACKETS),
        metadata={"description": "decides some payroll rates (FNAL, RGDU)"})


@register(
    "cae.members.cooperative_updated.v1",
    summary="A cooperative's settings changed from a date (earlier versions are kept).",
    subject="cooperative_id",
)
class CooperativeUpdatedV1(_Strict):
    cooperative_id = fields.UUID(required=True)
    effective_on = fields.Date(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    legal_form = fields.String(required=True, validate=validate.OneOf(LEGAL_FORMS))
    statute_profile = fields.String(required=True, validate=validate.OneOf(STATUTE_PROFILES))
    default_contribution_rate = fields.Decimal(required=True, **RATE)
    staff_size_bracket = fields.String(required=True, validate=validate.OneOf(STAFF_SIZE_BRACKETS))
    changed = fields.List(fields.String(), required=True,
                          metadata={"description": "names of the fields that changed"})


@register(
    "cae.members.member_joined.v1",
    summary="A person joined a cooperative; carries the activity (enseigne) they start with, if any.",
    subject="member_id",
    deprecated="no longer published since 2026-12-07: the person travels in "
               "cae.members.member_joined.v2 and the activity they start with in "
               "cae.members.activity_opened.v1 (one event per fact). Kept so that messages "
               "already queued or parked still validate and replay.",
)
class MemberJoinedV1(_Strict):
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    joined_on = fields.Date(required=True)
    activity_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{0,19}$"),
        metadata={"description": "analytic code of the member's activity, unique in the cooperative"},
    )
    activity_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


@register(
    "cae.members.member_joined.v2",
    summary="A person joined a cooperative (as a candidate). The activity they start with, "
            "if any, is opened by a cae.members.activity_opened.v1 of the same transaction.",
    subject="member_id",
)
class MemberJoinedV2(_Strict):
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    joined_on = fields.Date(required=True)


@register(
    "cae.members.contract_signed.v1",
    summary="A CAPE or CESA was signed (or a CAPE renewed); carries the dates subscribers need.",
    subject="contract_id",
)
class ContractSignedV1(_Strict):
    contract_id = fields.UUID(required=True)
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CONTRACT_KINDS))
    signed_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True,
                          metadata={"description": "planned end of a CAPE; null for a CESA (open-ended)"})
    renewals = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2))
    trial_ends_on = fields.Date(load_default=None, allow_none=True)
    associate_deadline = fields.Date(
        load_default=None, allow_none=True,
        metadata={"description": "CESA only: date by which the entrepreneur must become an associate "
                                 "(Code du travail L7331-3)"})


@register(
    "cae.members.contract_ended.v1",
    summary="A CAPE or CESA ended.",
    subject="contract_id",
)
class ContractEndedV1(_Strict):
    contract_id = fields.UUID(required=True)
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CONTRACT_KINDS))
    ended_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


@register(
    "cae.members.member_became_associate.v1",
    summary="An entrepreneur became an associate (a voter in the general assembly).",
    subject="member_id",
)
class MemberBecameAssociateV1(_Strict):
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    associate_on = fields.Date(required=True)
    associate_deadline = fields.Date(load_default=None, allow_none=True)


@register(
    "cae.members.associate_deadline_approaching.v1",
    summary="An entrepreneur's three-year deadline to become an associate is 90 or 30 days away.",
    subject="member_id",
)
class AssociateDeadlineApproachingV1(_Strict):
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    associate_deadline = fields.Date(required=True)
    days_left = fields.Integer(required=True, validate=validate.Range(min=0))
    alert = fields.String(required=True, validate=validate.OneOf(("approaching_90", "approaching_30")))


@register(
    "cae.members.associate_deadline_missed.v1",
    summary="An entrepreneur passed the three-year deadline without becoming an associate.",
    subject="member_id",
)
class AssociateDeadlineMissedV1(_Strict):
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    associate_deadline = fields.Date(required=True)


@register(
    "cae.members.activity_opened.v1",
    summary="An activity (enseigne) opened, with its analytic code and its entrepreneurs.",
    subject="activity_id",
)
class ActivityOpenedV1(_Strict):
    activity_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{0,19}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    opened_on = fields.Date(required=True)
    member_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1))
    contribution_rate = fields.Decimal(
        load_default=None, allow_none=True, **RATE,
        metadata={"description": "overrides the cooperative's default rate when set"})


@register(
    "cae.members.activity_closed.v1",
    summary="An activity closed.",
    subject="activity_id",
)
class ActivityClosedV1(_Strict):
    activity_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    code = fields.String(required=True)
    closed_on = fields.Date(required=True)


@register(
    "cae.members.member_left.v1",
    summary="A person left the cooperative (exit), with the reason recorded.",
    subject="member_id",
)
class MemberLeftV1(_Strict):
    member_id = fields.UUID(required=True)
    cooperative_id = fields.UUID(required=True)
    left_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
