"""The members' schemas refuse what would fail later (a NUL PostgreSQL cannot store, a date
out of the platform's range, a rate as a binary float, a code with a line break after it),
each error naming its field; cursors of listings are opaque and checked; instants are UTC."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError, fields

from cae_members.adapters import schemas
from cae_members.adapters.schemas import (
    ActivitiesQuery,
    ActivityIn,
    ContractIn,
    ContractsQuery,
    CooperativeIn,
    CooperativesQuery,
    CorrectionIn,
    DatedIn,
    DeadlinesQuery,
    ExitIn,
    FollowUpQuery,
    ImportRow,
    InterviewIn,
    MemberIn,
    MembersQuery,
    NoQuery,
    RenewalIn,
    ScanIn,
    SettingsIn,
    StepIn,
    VersionsQuery,
    decode_cursor,
    encode_cursor,
)

DAY = "2026-01-05"
VALID = {
    CooperativeIn: {"name": "Coopaname", "siren": "732829320", "legal_form": "SCOP-SA"},
    SettingsIn: {"effective_on": DAY},
    MemberIn: {"first_name": "Léa", "last_name": "Martin", "email": "lea@example.org",
               "joined_on": DAY},
    StepIn: {"stage": "diagnostic", "on": DAY},
    CorrectionIn: {"reason": "typo"},
    ContractIn: {"kind": "CAPE", "signed_on": DAY, "ends_on": "2026-06-05"},
    RenewalIn: {"ends_on": DAY},
    DatedIn: {"on": DAY},
    ExitIn: {"on": DAY, "reason": "moved away"},
    ScanIn: {"today": DAY},
    ActivityIn: {"code": "LEA", "name": "Léa", "opened_on": DAY,
                 "member_ids": [str(uuid.uuid4())]},
    InterviewIn: {"held_on": DAY},
    ImportRow: {"person_ref": "P-1", "first_name": "Léa", "last_name": "Martin",
                "email": "lea@example.org", "joined_on": DAY},
}


def fields_of(kind):
    return [(cls, name) for cls in VALID for name, field in cls().fields.items()
            if isinstance(field, kind)]


def refused(cls, body) -> dict:
    with pytest.raises(ValidationError) as caught:
        cls().load(body)
    return caught.value.messages


@pytest.mark.parametrize("cls", list(VALID), ids=lambda c: c.__name__)
def test_the_valid_bodies_load(cls):
    cls().load(VALID[cls])


@pytest.mark.parametrize("cls, name", fields_of(fields.String), ids=str)
@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x7f", "\x85", "\x9f"])
def test_a_control_character_in_any_text_is_refused_naming_its_field(cls, name, control):
    value = {"email": f"a{control}b@example.org"}.get(name, f"AB{control}C")
    assert name in refused(cls, {**VALID[cls], name: value})


@pytest.mark.parametrize("cls, name", [(MemberIn, "first_name"), (MemberIn, "last_name"),
                                       (ActivityIn, "name"), (CooperativeIn, "name"),
                                       (MemberIn, "activity_code")])
@pytest.mark.parametrize("value", ["Léa\n", "Lé\na", "\tLéa", "Léa\r"])
def test_names_and_codes_are_one_line(cls, name, value):
    assert name in refused(cls, {**VALID[cls], name: value})


def test_a_csv_cell_is_stripped_but_keeps_no_line_break_inside():
    assert ImportRow().load({**VALID[ImportRow], "person_ref": " P-1\n"})["person_ref"] == "P-1"
    assert "person_ref" in refused(ImportRow, {**VALID[ImportRow], "person_ref": "P\n1"})


@pytest.mark.parametrize("cls, name", [(MemberIn, "first_name"), (ExitIn, "reason"),
                                       (CorrectionIn, "reason"), (ActivityIn, "name")])
@pytest.mark.parametrize("value", ["", " ", "\u00a0\u2003", "\n\t"])
def test_a_required_text_is_not_blank(cls, name, value):
    assert name in refused(cls, {**VALID[cls], name: value})


def test_notes_and_reasons_may_have_line_breaks():
    assert InterviewIn().load({**VALID[InterviewIn], "notes": "one\r\ntwo\tthree"})["notes"]
    assert ExitIn().load({**VALID[ExitIn], "reason": "moved\naway"})["reason"] == "moved\naway"
    assert InterviewIn().load({**VALID[InterviewIn], "notes": ""})["notes"] == ""


@pytest.mark.parametrize("cls, name", fields_of(fields.Date), ids=str)
@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_every_date_is_within_the_platform_range(cls, name, value):
    errors = refused(cls, {**VALID[cls], name: value})
    assert "2200-12-31" in " ".join(errors[name])


@pytest.mark.parametrize("cls, name", fields_of(fields.Date), ids=str)
@pytest.mark.parametrize("value", ["1900-01-01", "2200-12-31"])
def test_the_first_and_last_days_are_accepted(cls, name, value):
    assert cls().load({**VALID[cls], name: value})[name] == date.fromisoformat(value)


@pytest.mark.parametrize("value", ["552100554\n", "55210055\u0664", "552100554 ", " 552100554"])
def test_a_siren_with_anything_but_nine_ascii_digits_is_422_not_500(value):
    assert "siren" in refused(CooperativeIn, {**VALID[CooperativeIn], "siren": value})


@pytest.mark.parametrize("value", ["LEA\n", "LEA\r\n", "lea", "LÉA"])
def test_an_activity_code_is_matched_whole(value):
    assert "code" in refused(ActivityIn, {**VALID[ActivityIn], "code": value})
    assert "activity_code" in refused(MemberIn, {**VALID[MemberIn], "activity_code": value})


@pytest.mark.parametrize("value", [0.1, 1e400, 0, "-0", "0.12345", "1e-1", "0.1\n", " 0.1",
                                   "0,1", "NaN", "Infinity", "0.6", "1", True, None])
def test_a_rate_is_a_decimal_string_within_0_and_half(value):
    errors = refused(CooperativeIn, {**VALID[CooperativeIn], "default_contribution_rate": value})
    assert "default_contribution_rate" in errors


@pytest.mark.parametrize("value, loaded", [("0", "0.0000"), ("0.1", "0.1000"),
                                           ("0.1234", "0.1234"), ("0.5", "0.5000")])
def test_a_rate_loads_as_an_exact_decimal(value, loaded):
    body = CooperativeIn().load({**VALID[CooperativeIn], "default_contribution_rate": value})
    assert str(body["default_contribution_rate"]) == loaded


def test_no_schema_of_the_members_documents_a_number():
    from cae_contracts.asyncapi import schema_to_json_schema

    text = json.dumps([schema_to_json_schema(getattr(schemas, name)) for name in dir(schemas)
                       if isinstance(getattr(schemas, name), type)
                       and issubclass(getattr(schemas, name), schemas.Schema)
                       and getattr(schemas, name) is not schemas.Schema
                       and not name.startswith("_")])
    assert '"number"' not in text and '"float"' not in text


# --------------------------------------------------------------------------- query strings

QUERIES = [CooperativesQuery, MembersQuery, ActivitiesQuery, VersionsQuery, ContractsQuery,
           DeadlinesQuery, FollowUpQuery]


@pytest.mark.parametrize("query", [*QUERIES, NoQuery], ids=lambda c: c.__name__)
def test_an_unknown_query_parameter_is_named(query):
    assert "sort" in refused(query, {"sort": "name"})


@pytest.mark.parametrize("query", QUERIES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("value", ["0", "-1", "1001", "10" * 40, "1.5", "x", "\x00", ""])
def test_a_limit_is_1_to_1000(query, value):
    assert "limit" in refused(query, {"limit": value})


@pytest.mark.parametrize("query", QUERIES, ids=lambda c: c.__name__)
def test_the_default_limit_is_100_from_the_first_row(query):
    loaded = query().load({})
    assert loaded["limit"] == 100 and loaded["after"] is None and "cursor" not in loaded


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("cursor", [
    "", "!!", "a", "a" * 2001, "%00", b64(b"not json"), b64(b"\xff\xfe"), b64(b"{}"),
    b64(b"[]"), b64(b'["a", "b"]'), b64(b'["a", "b", "c", "d"]'), b64(b'[1, 2, 3]'),
    b64(b'["a\\u0000", "b", "c"]'), b64(b'["\\ud800", "b", "c"]'), b64(b'["' + b"x" * 201 + b'", "b", "c"]'),
    b64(b"[" * 5000), b64(b'[null, "b", "c"]'),
], ids=range(17))
def test_a_cursor_this_listing_did_not_give_is_named(cursor):
    assert "cursor" in refused(MembersQuery, {"cursor": cursor})


@pytest.mark.parametrize("query, position", [
    (VersionsQuery, ["2026-13-01", "2026-01-01T00:00:00+00:00", 1]),
    (VersionsQuery, ["2026-01-01", "2026-01-01T00:00:00", 1]),  # an instant without its offset
    (VersionsQuery, ["2026-01-01", "0001-01-01T00:00:00+05:00", 1]),  # overflows in UTC
    (VersionsQuery, ["2026-01-01", "2026-01-01T00:00:00+00:00", 2**63]),
    (VersionsQuery, ["2026-01-01", "2026-01-01T00:00:00+00:00", True]),
    (ContractsQuery, ["2026-01-01", "2026-01-01T00:00:00+00:00", 7]),
    (DeadlinesQuery, [20260101, "Martin", "id"]),
])
def test_a_cursor_of_the_wrong_kinds_is_named(query, position):
    cursor = b64(json.dumps(position).encode())
    assert "cursor" in refused(query, {"cursor": cursor})


@pytest.mark.parametrize("query, position", [
    (CooperativesQuery, ("Coopaname", str(uuid.uuid4()))),
    (MembersQuery, ("Martin", "Léa 🥖", str(uuid.uuid4()))),
    (ActivitiesQuery, ("BOULANGE",)),
    (VersionsQuery, (date(2026, 1, 1), datetime(2026, 1, 1, 12, 30, 1, 5, tzinfo=UTC), 42)),
    (ContractsQuery, (date(1900, 1, 1), datetime(2026, 1, 1, tzinfo=UTC), str(uuid.uuid4()))),
    (DeadlinesQuery, (date(2203, 12, 31), "Martin", str(uuid.uuid4()))),
    (FollowUpQuery, ("", "", str(uuid.uuid4()))),
])
def test_a_next_cursor_gives_back_its_position(query, position):
    cursor = encode_cursor(position)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert query().load({"cursor": cursor})["after"] == position
    assert encode_cursor(None) is None


def test_an_instant_in_a_cursor_is_compared_in_utc():
    paris = datetime(2026, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    cursor = encode_cursor((date(2026, 1, 1), paris, 1))
    after = decode_cursor(cursor, (date, datetime, int))
    assert after[1] == paris and after[1].tzinfo == UTC


@pytest.mark.parametrize("value", ["3651", "-1", "x", "1e3", "99999999999999999999"])
def test_within_days_is_0_to_3650(value):
    assert "within_days" in refused(DeadlinesQuery, {"within_days": value})


@pytest.mark.parametrize("query", [DeadlinesQuery, FollowUpQuery], ids=lambda c: c.__name__)
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "2026-02-30", "today", "\x00"])
def test_today_is_a_date_of_the_platform_range(query, value):
    assert "today" in refused(query, {"today": value})


@pytest.mark.parametrize("query", [DeadlinesQuery, FollowUpQuery], ids=lambda c: c.__name__)
def test_today_defaults_to_the_day_of_the_request(query):
    assert query().load({})["today"] == date.today()


# --------------------------------------------------------------------------- instants


@pytest.mark.parametrize("value, written", [
    (datetime(2026, 3, 1, 9, 30), "2026-03-01T09:30:00+00:00"),  # SQLite: naive, UTC
    (datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1))),
     "2026-03-01T09:30:00+00:00"),  # PostgreSQL in a session time zone
    (datetime(2026, 3, 1, 9, 30, 0, 123, tzinfo=UTC), "2026-03-01T09:30:00.000123+00:00"),
])
def test_an_instant_is_written_in_utc_with_its_offset(value, written):
    assert schemas.StepOut().dump({"recorded_at": value})["recorded_at"] == written
