"""The consumer's hand-written envelope check agrees with the documented CloudEventSchema."""

from __future__ import annotations

import copy
import uuid

import pytest
from marshmallow import EXCLUDE

from cae_contracts import CloudEventSchema, ContractViolation, build_event, parse_event
from cae_contracts.envelope import _load_envelope

COOP = str(uuid.uuid4())


def valid() -> dict:
    return build_event("cae.members.member_joined.v1", {
        "member_id": str(uuid.uuid4()), "cooperative_id": COOP, "first_name": "Léa",
        "last_name": "Martin", "joined_on": "2026-01-05"}, tenant_id=COOP, correlation_id="c-1")


def dropping(key):
    return lambda body: body.pop(key)


def nulling(key):
    return lambda body: body.update({key: None})


MUTATIONS = {
    "valid": lambda b: None,
    "extension": lambda b: b.update(newextension="x"),
    **{f"missing-{k}": dropping(k) for k in (
        "specversion", "id", "source", "type", "time", "subject", "tenantid",
        "datacontenttype", "data")},
    **{f"null-{k}": nulling(k) for k in ("id", "source", "time", "tenantid", "data")},
    "specversion": lambda b: b.update(specversion="0.3"),
    "id-not-uuid": lambda b: b.update(id="42"),
    "id-int": lambda b: b.update(id=42),
    "type-pattern": lambda b: b.update(type="member_joined"),
    "type-int": lambda b: b.update(type=7),
    "time-naive": lambda b: b.update(time="2026-01-05T10:00:00"),
    "time-garbage": lambda b: b.update(time="yesterday"),
    "tenant-too-long": lambda b: b.update(tenantid="x" * 65),
    "tenant-empty": lambda b: b.update(tenantid=""),
    "tenant-int": lambda b: b.update(tenantid=3),
    "subject-long": lambda b: b.update(subject="s" * 201),
    "content-type": lambda b: b.update(datacontenttype="text/xml"),
    "data-list": lambda b: b.update(data=[1]),
    "correlation-long": lambda b: b.update(correlationid="c" * 129),
    "actor-empty": lambda b: b.update(actor=""),
    "actor-int": lambda b: b.update(actor=5),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_the_fast_check_and_the_schema_reject_the_same_fields(name):
    body = copy.deepcopy(valid())
    MUTATIONS[name](body)
    expected = set(CloudEventSchema(unknown=EXCLUDE).validate(body))
    try:
        _load_envelope(body)
        found = set()
    except ContractViolation as exc:
        found = set(exc.errors)
    assert found == expected


def test_parse_event_returns_typed_values():
    body = valid()
    event = parse_event(body)
    assert event.id == body["id"] and event.tenant_id == COOP
    assert event.time.tzinfo is not None
    assert event.correlation_id == "c-1"
    assert str(event.data["cooperative_id"]) == COOP
