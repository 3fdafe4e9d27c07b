"""Events published by the ledger service (exchange ``ledger.events``)."""

from marshmallow import RAISE, Schema, fields, validate

from cae_contracts.registry import register


@register(
    "cae.ledger.activity_accounts_opened.v1",
    summary="The ledger opened the accounts of an activity (analytic code) in a cooperative.",
    subject="activity_code",
)
class ActivityAccountsOpenedV1(Schema):
    class Meta:
        unknown = RAISE

    cooperative_id = fields.UUID(required=True)
    activity_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    member_id = fields.UUID(load_default=None, allow_none=True)
    accounts = fields.List(fields.String(validate=validate.Regexp(r"^\d{3,8}(-[A-Z0-9][A-Z0-9_-]{0,19})?$")), required=True)
