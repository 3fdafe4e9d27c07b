"""The attendance sheet's page query (``GET .../sign-ins``): its cursor is the position of
the last line shown (signed_at, member id), given back as is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from cae_governance.adapters.schemas import SignInsQuery
from caekit.fields import encode_cursor


def test_a_cursor_comes_back_as_the_position_it_stands_for():
    at = datetime(2026, 12, 7, 17, 5, 12, 345000, tzinfo=UTC)
    cursor = encode_cursor((at, "9b2f6c1e-0000-4000-8000-000000000001"))
    loaded = SignInsQuery().load({"limit": "20", "cursor": cursor})
    assert loaded == {"limit": 20, "after": (at, "9b2f6c1e-0000-4000-8000-000000000001")}


def test_the_first_page_has_no_position_and_a_hundred_lines():
    assert SignInsQuery().load({}) == {"limit": 100, "after": None}


@pytest.mark.parametrize("query", [
    {"cursor": "bm90LWEtY3Vyc29y"},  # base64 of text, not a position
    {"cursor": encode_cursor(("2026-12-07", 3))},  # a position of another listing
    {"cursor": "a+b"},
    {"limit": "0"}, {"limit": "1001"},
    {"page": "2"},
])
def test_anything_else_is_refused(query):
    with pytest.raises(ValidationError):
        SignInsQuery().load(query)
