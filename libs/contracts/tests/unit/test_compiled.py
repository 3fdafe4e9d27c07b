"""The compiled contract functions agree with marshmallow, or say they are unsure."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from cae_contracts import CONTRACTS, build_event, parse_event
from cae_contracts.compiled import Unsure, compile_schema, reads
from cae_contracts.envelope import _primitive

from .test_asyncapi import SAMPLES

COMPILED = {t: compile_schema(c.schema()) for t, c in CONTRACTS.items()}
COMPILED = {t: c for t, c in COMPILED.items() if c is not None}

# values that a field of some type may or may not accept
_JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(), st.floats(allow_nan=False),
    st.text(max_size=12), st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: "{" + str(u) + "}"), st.uuids().map(lambda u: u.hex), st.uuids(),
    st.dates().map(dt.date.isoformat), st.dates(), st.dates().map(lambda d: d.strftime("%Y%m%d")),
    st.sampled_from(["2026-03", "2026-3-1", "2026-02-30", "A001", "", " ", "1e3", "12", "٣"]),
    st.lists(st.integers(), max_size=2), st.lists(st.uuids().map(str), max_size=3),
    st.lists(st.one_of(st.none(), st.uuids(), st.text(max_size=5)), max_size=3),
    st.tuples(st.uuids().map(str)), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_MISSING = object()


@st.composite
def variants(draw, type_: str):
    """A contract's sample with some fields changed, removed or added."""
    data = copy.deepcopy(_primitive(SAMPLES[type_]))
    for name in draw(st.lists(st.sampled_from(sorted(data) + ["not_a_field"]), max_size=3)):
        value = draw(st.one_of(_JUNK, st.just(_MISSING)))
        if value is _MISSING:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _marshmallow(schema: Schema, data: dict):
    try:
        loaded = schema.load(data, unknown=EXCLUDE)
    except ValidationError:
        return None
    return loaded, schema.dump(loaded)


def test_the_busy_contracts_compile():
    # without these the fast path is never taken where it matters
    for type_ in ("cae.payroll.payslip_issued.v1", "cae.members.member_joined.v1",
                  "cae.bank.payment_received.v1", "cae.ledger.contribution_charged.v1",
                  "cae.payroll.payslip_requested.v1"):
        assert type_ in COMPILED, type_


@pytest.mark.parametrize("type_", sorted(COMPILED))
def test_samples_take_the_compiled_path_and_agree(type_):
    schema, compiled = CONTRACTS[type_].schema(), COMPILED[type_]
    data = _primitive(SAMPLES[type_])
    loaded = compiled.load(data)  # never Unsure on a valid sample
    assert (loaded, compiled.dump(loaded)) == _marshmallow(schema, data)
    assert compiled.wire(data) == compiled.dump(loaded)


@pytest.mark.parametrize("type_", sorted(COMPILED))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_functions_agree_with_marshmallow(type_, data):
    schema, compiled = CONTRACTS[type_].schema(), COMPILED[type_]
    candidate = data.draw(variants(type_))
    expected = _marshmallow(schema, candidate)
    try:
        loaded = compiled.load(candidate)
    except Unsure:
        pass  # marshmallow decides
    else:
        assert expected is not None, f"compiled load accepted what marshmallow refuses: {candidate}"
        assert (loaded, compiled.dump(loaded)) == expected
        assert list(loaded) == list(expected[0])  # same order of keys, hence the same JSON
    try:
        wired = compiled.wire(candidate)
    except Unsure:
        return
    assert expected is not None, f"compiled wire accepted what marshmallow refuses: {candidate}"
    assert wired == expected[1]
    assert list(wired) == list(expected[1])


def test_wire_passes_canonical_uuids_through_and_gives_validators_loaded_values():
    seen = {}

    class WithValidator(Schema):
        id = fields.UUID(required=True)
        ids = fields.List(fields.UUID(), validate=validate.Length(max=2))
        on = fields.Date()

        @validates_schema
        def _look(self, data, **kwargs):
            seen.update(data)

    compiled = compile_schema(WithValidator())
    canonical, upper = str(uuid.uuid4()), str(uuid.uuid4()).upper()
    wired = compiled.wire({"id": canonical, "ids": [upper], "on": dt.date(2026, 3, 1)})
    assert wired == {"id": canonical, "ids": [upper.lower()], "on": "2026-03-01"}
    assert seen == {"id": uuid.UUID(canonical), "ids": [uuid.UUID(upper)],
                    "on": dt.date(2026, 3, 1)}
    with pytest.raises(Unsure):  # three is too many: marshmallow says so
        compiled.wire({"id": canonical, "ids": [canonical] * 3})


def test_a_validator_that_says_what_it_reads_gets_those_fields_loaded_only():
    seen = {}

    class Declared(Schema):
        id = fields.UUID(required=True)
        on = fields.Date(required=True)

        @validates_schema
        @reads("on")
        def _look(self, data, **kwargs):
            seen.update(data)

    canonical = str(uuid.uuid4())
    wired = compile_schema(Declared()).wire({"id": canonical, "on": "2026-03-01"})
    assert wired == {"id": canonical, "on": "2026-03-01"}
    assert seen == {"id": canonical, "on": dt.date(2026, 3, 1)}  # the id as on the wire
    Declared().load({"id": canonical, "on": "2026-03-01"})  # marshmallow runs it as before
    assert seen["id"] == uuid.UUID(canonical)


def test_fields_and_hooks_that_are_not_plain_are_not_compiled():
    class WithEmail(Schema):
        email = fields.Email()

    class WithValidator(Schema):
        code = fields.String(validate=validate.ContainsOnly("ab"))

    class WithCollectionHook(Schema):
        n = fields.Integer()

        @validates_schema(pass_collection=True)
        def _check(self, data, **kwargs):
            pass

    class WithDataKey(Schema):
        n = fields.Integer(data_key="N")

    for schema in (WithEmail, WithValidator, WithCollectionHook, WithDataKey):
        assert compile_schema(schema()) is None, schema


def test_a_refused_event_still_names_its_problem():
    # the compiled path is unsure, marshmallow explains
    bad = {**SAMPLES["cae.payroll.payslip_issued.v1"], "gross_cents": "12"}
    with pytest.raises(Exception, match="gross_cents"):
        build_event("cae.payroll.payslip_issued.v1", bad, tenant_id=str(uuid.uuid4()))
    body = build_event("cae.payroll.payslip_issued.v1", SAMPLES["cae.payroll.payslip_issued.v1"],
                       tenant_id=str(uuid.uuid4()))
    body["data"]["net_paid_cents"] += 1  # unbalanced: the schema validator refuses it
    with pytest.raises(Exception, match="net_paid_cents must be"):
        parse_event(body)


def test_the_generated_wire_takes_its_shortcut_only_for_values_marshmallow_keeps_as_they_are():
    class Bounded(Schema):
        n = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=9,
                                                                               max_inclusive=False))
        code = fields.String(required=True, validate=[validate.Length(min=2, max=3),
                                                      validate.Regexp(r"[A-Z]+\Z")])
        flag = fields.Boolean(load_default=False)
        id = fields.UUID(allow_none=True)

    compiled, schema = compile_schema(Bounded()), Bounded()
    canonical = str(uuid.uuid4())
    assert compiled.wire({"n": 1, "code": "AB", "id": canonical}) == {
        "n": 1, "code": "AB", "flag": False, "id": canonical}
    for wrong in ({"n": True, "code": "AB"}, {"n": 9, "code": "AB"}, {"n": 0, "code": "AB"},
                  {"n": 1, "code": "A"}, {"n": 1, "code": "ABCD"}, {"n": 1, "code": "ab"},
                  {"n": 1.0, "code": "AB"}, {"code": "AB"}):
        with pytest.raises(Unsure):
            compiled.wire(wrong)
        with pytest.raises(ValidationError):  # and marshmallow refuses each
            schema.load(wrong)
    with pytest.raises(Unsure):  # not a bool: marshmallow decides (it takes 1 for True)
        compiled.wire({"n": 1, "code": "AB", "flag": 1})
    upper = canonical.upper()  # valid, not canonical: the field's own wire decides
    assert compiled.wire({"n": 8, "code": "XYZ", "id": upper, "flag": True})["id"] == canonical
    assert compiled.wire({"n": 8, "code": "XYZ", "id": None})["id"] is None
