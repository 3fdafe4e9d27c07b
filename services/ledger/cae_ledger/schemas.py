"""HTTP response schemas of the ledger service (marshmallow 4).

The service dumps its responses with them, and the OpenAPI document
(``caekit.openapi``) is generated from them.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from cae_ledger.domain import CHART_OF_ACCOUNTS

ACCOUNT_TYPES = sorted({type_ for _, type_ in CHART_OF_ACCOUNTS.values()})


class AccountOut(Schema):
    """An account of the cooperative's chart: a general account or an activity's auxiliary one."""

    number = fields.String(
        required=True,
        metadata={"description": "Account number, e.g. `411` or `411-BOULANGE` (auxiliary)."},
    )
    label = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(ACCOUNT_TYPES))
    general_account = fields.String(
        required=True,
        metadata={"description": "The Plan Comptable Général account it belongs to."},
    )
    activity_code = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The activity of an auxiliary account; null for a general one."},
    )


class ActivityOut(Schema):
    """An activity (enseigne) and its auxiliary accounts."""

    code = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    member_id = fields.String(required=True, allow_none=True)
    opened_at = fields.DateTime(required=True)
    accounts = fields.List(fields.Nested(AccountOut), required=True)


class AccountList(Schema):
    """The cooperative's accounts, by number."""

    items = fields.List(fields.Nested(AccountOut), required=True)


class ActivityList(Schema):
    """The cooperative's activities, by code."""

    items = fields.List(fields.Nested(ActivityOut), required=True)
