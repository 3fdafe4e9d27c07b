"""The kit's marshmallow fields: ranges, ASCII digits, whole matches, safe text."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError

from caekit import fields


class Query(Schema):
    limit = fields.limit()
    period = fields.period()
    year = fields.year()


@pytest.mark.parametrize("given", [{"limit": "٥"}, {"limit": "1_000"}, {"limit": " 7"},
                                   {"limit": "0"}, {"limit": "1001"}, {"period": "2026-03\n"},
                                   {"period": "2201-01"}, {"period": "1899-12"},
                                   {"year": "10000"}, {"year": "0"}])
def test_out_of_range_or_non_ascii_query_values_are_refused(given):
    with pytest.raises(ValidationError) as caught:
        Query().load(given)
    assert set(caught.value.messages) == set(given)


def test_in_range_values_load():
    assert Query().load({"limit": "1000", "period": "2200-12", "year": "1900"}) == {
        "limit": 1000, "period": "2200-12", "year": 1900}


@pytest.mark.parametrize("validator, good, bad", [
    (fields.ONE_LINE, "Léa Martin", ["", " ", "a\nb", "a\x00", "a\x85"]),
    (fields.TEXT, "12 rue des Lilas\n93100 Montreuil", ["", "\n ", "a\x00", "a\x0b"]),
    (fields.ONE_LINE_OR_EMPTY, "", ["a\n", "\x7f"]),
    (fields.TEXT_OR_EMPTY, "", ["\x00"]),
])
def test_text_refuses_control_characters_and_blanks(validator, good, bad):
    assert validator(good) == good
    for value in bad:
        with pytest.raises(ValidationError):
            validator(value)


@pytest.mark.timeout(20)  # a hang guard: a naive blank-then-visible pattern backtracks
@pytest.mark.parametrize("validator, value", [   # quadratically, minutes on 1 MB
    (fields.ONE_LINE, "a" * 1_000_000 + "\x00"), (fields.ONE_LINE, " " * 1_000_000),
    (fields.TEXT, "a" * 1_000_000 + "\x00"), (fields.TEXT, "\n " * 500_000),
    (fields.ONE_LINE_OR_EMPTY, "a" * 1_000_000 + "\n"),
    (fields.TEXT_OR_EMPTY, "a" * 1_000_000 + "\x00"),
])
def test_the_text_patterns_do_not_backtrack_on_a_large_body(validator, value):
    with pytest.raises(ValidationError):
        validator(value)
