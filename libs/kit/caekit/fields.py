"""Marshmallow fields with the platform's ranges (:mod:`caekit.bounds`), for every
service's request and query schemas, so that the OpenAPI documents carry them."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

from caekit.bounds import DATE_RANGE_TEXT, FIRST_DAY, LAST_DAY, MAX_CENTS, MAX_LIMIT
from caekit.period import FIRST_YEAR, LAST_YEAR

# years 1900 to 2200 (caekit.period), in the pattern itself so that OpenAPI carries it
PERIOD_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$"


class WholeRegexp(validate.Regexp):
    """``validate.Regexp`` matching the whole text (``re.fullmatch``): in Python a ``$``
    also matches before a final line break, which would let ``"2026-03\n"`` through; in
    the OpenAPI documents' (ECMA) patterns it does not."""

    def __call__(self, value: str) -> str:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


# Text people type: PostgreSQL cannot store a NUL, and no other control character belongs
# in a name, a label or a reason. C0 controls, DEL and C1 controls; the second set spares
# tab, LF and CR (text of several lines).
_CONTROLS = r"\x00-\x1f\x7f-\x9f"
_CONTROLS_BUT_BREAKS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# not blank: blanks, then a visible character, then anything allowed (the first two
# classes are disjoint, so the pattern never backtracks more than once a character)
ONE_LINE = WholeRegexp(rf"^[^\S{_CONTROLS}]*[^\s{_CONTROLS}][^{_CONTROLS}]*$",
                       error="one line of text, not blank, without control characters")
ONE_LINE_OR_EMPTY = WholeRegexp(rf"^[^{_CONTROLS}]*$",
                                error="one line of text, without control characters")
TEXT = WholeRegexp(rf"^[^\S{_CONTROLS_BUT_BREAKS}]*[^\s{_CONTROLS}][^{_CONTROLS_BUT_BREAKS}]*$",
                   error="text, not blank, without control characters other than line breaks "
                         "and tabs")
TEXT_OR_EMPTY = WholeRegexp(rf"^[^{_CONTROLS_BUT_BREAKS}]*$",
                            error="text without control characters other than line breaks "
                                  "and tabs")


def line(max_length: int, *, blank: bool = False, **kwargs: Any) -> fields.String:
    """One line of text of 1 to ``max_length`` characters (``blank``: may be empty)."""
    return fields.String(validate=[validate.Length(min=0 if blank else 1, max=max_length),
                                   ONE_LINE_OR_EMPTY if blank else ONE_LINE], **kwargs)


def text(max_length: int, *, blank: bool = False, **kwargs: Any) -> fields.String:
    """Text of 1 to ``max_length`` characters, line breaks allowed (``blank``: may be empty)."""
    return fields.String(validate=[validate.Length(min=0 if blank else 1, max=max_length),
                                   TEXT_OR_EMPTY if blank else TEXT], **kwargs)


class AsciiInteger(fields.Integer):
    """An integer given as a JSON integer or as ASCII digits (a query parameter):
    Python's ``int()`` would also take ``"1_000"``, ``" 7"`` or Arabic-Indic digits."""

    _DIGITS = re.compile(r"-?[0-9]{1,19}")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and self._DIGITS.fullmatch(value) is None:
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def cents(*, minimum: int = 0, maximum: int = MAX_CENTS, **kwargs: Any) -> fields.Integer:
    """Integer cents (JSON integers only) within ``minimum..maximum`` (at most 10**12)."""
    if not -MAX_CENTS <= minimum <= maximum <= MAX_CENTS:
        raise ValueError("cents bounds must lie within -MAX_CENTS..MAX_CENTS")
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=maximum),
                          **kwargs)


def day(**kwargs: Any) -> fields.Date:
    """An ISO date (YYYY-MM-DD) between 1900-01-01 and 2200-12-31."""
    return fields.Date(validate=validate.Range(min=FIRST_DAY, max=LAST_DAY,
                                               error=DATE_RANGE_TEXT), **kwargs)


def period(**kwargs: Any) -> fields.String:
    """A month written YYYY-MM, years 1900 to 2200."""
    kwargs.setdefault("metadata", {}).setdefault("description", "A month, YYYY-MM.")
    return fields.String(validate=WholeRegexp(
        PERIOD_PATTERN, error=f"a month written YYYY-MM, of years {FIRST_YEAR} to {LAST_YEAR}"),
        **kwargs)


def year(**kwargs: Any) -> fields.Integer:
    """A year from 1900 to 2200."""
    return AsciiInteger(validate=validate.Range(min=FIRST_YEAR, max=LAST_YEAR), **kwargs)


def limit(default: int = 100, **kwargs: Any) -> fields.Integer:
    """A page size from 1 to 1,000 rows."""
    return AsciiInteger(load_default=default, validate=validate.Range(min=1, max=MAX_LIMIT),
                        **kwargs)


# -- pages ------------------------------------------------------------------------------
MAX_CURSOR = 2000
CURSOR_TEXT = "not a cursor of this listing: pass the `next_cursor` of the previous page as is"


def encode_cursor(position: tuple | None) -> str | None:
    """The opaque ``next_cursor`` of a page: its last row's position in the listing's order."""
    if position is None:
        return None
    values = [v.isoformat() if isinstance(v, date) else v for v in position]
    raw = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _position_value(value, kind):
    if kind is str and isinstance(value, str) and len(value) <= 200 and "\x00" not in value:
        value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError (a ValueError)
        return value
    if kind is int and type(value) is int and -(2**63) <= value < 2**63:
        return value
    if kind is date and isinstance(value, str):
        return date.fromisoformat(value)
    if kind is datetime and isinstance(value, str):
        instant = datetime.fromisoformat(value)
        if instant.tzinfo is not None:
            return instant.astimezone(UTC)
    raise ValueError(f"not a {kind.__name__}")


def decode_cursor(cursor: str, kinds: tuple[type, ...]) -> tuple:
    """The position an ``encode_cursor`` text stands for, its values of ``kinds``;
    ``ValidationError`` on ``cursor`` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode("utf-8"))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("not a position of this listing")
        return tuple(_position_value(v, k) for v, k in zip(values, kinds, strict=True))
    except (ValueError, OverflowError, RecursionError) as exc:
        raise ValidationError(CURSOR_TEXT, field_name="cursor") from exc
