"""Events published by the members service (exchange ``members.events``)."""

from marshmallow import RAISE, Schema, fields, validate

from cae_contracts.registry import register

LEGAL_FORMS = ("SCOP-SARL", "SCOP-SA", "SCIC-SAS", "SCIC-SA")


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


@register(
    "cae.members.member_joined.v1",
    summary="A person joined a cooperative; carries the activity (enseigne) they start with, if any.",
    subject="member_id",
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
