"""The electorate: the associates of a cooperative on the assembly's record date.

One person = one vote among associates (loi 47-1775 art. 9). An associate is one from
``became_on`` (included) until ``ceased_on`` (the first day they no longer are one;
``None``: still one). A person who left and came back has one period per membership;
their periods may not overlap. The electorate is fixed once, at the record date: who
becomes or stops being an associate afterwards does not change it.

Where the profile has voting colleges (a SCIC), every associate of the electorate
belongs to one of them; without colleges, an associate's college is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from cae_governance.domain.profiles import StatuteProfile
from caekit.bounds import check_day
from caekit.rules import RuleViolation

__all__ = ["Associate", "Electorate"]


@dataclass(frozen=True)
class Associate:
    """One period during which a person is an associate, and their voting college."""

    id: str
    became_on: date
    ceased_on: date | None = None
    college: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise RuleViolation("associate.id", "an associate needs a non-empty id", ("id",))
        if not isinstance(self.became_on, date):
            raise RuleViolation("associate.dates", "became_on must be a date", ("became_on",))
        check_day(self.became_on, "became_on")
        if self.ceased_on is not None:
            if not isinstance(self.ceased_on, date):
                raise RuleViolation("associate.dates", "ceased_on must be a date", ("ceased_on",))
            check_day(self.ceased_on, "ceased_on")
            if self.ceased_on <= self.became_on:
                raise RuleViolation(
                    "associate.dates",
                    f"{self.id} stops being an associate ({self.ceased_on.isoformat()}) no later "
                    f"than they became one ({self.became_on.isoformat()})", ("ceased_on",))

    def is_associate_on(self, day: date) -> bool:
        return self.became_on <= day and (self.ceased_on is None or day < self.ceased_on)

    def overlaps(self, other: Associate) -> bool:
        starts_before_other_ends = other.ceased_on is None or self.became_on < other.ceased_on
        ends_after_other_starts = self.ceased_on is None or other.became_on < self.ceased_on
        return starts_before_other_ends and ends_after_other_starts


class Electorate:
    """Who votes, fixed at ``record_date``: a set of associate ids and each one's college."""

    __slots__ = ("_college_of", "_members", "record_date")

    def __init__(self, record_date: date, college_of: dict[str, str | None]) -> None:
        self.record_date = record_date
        self._members = frozenset(college_of)
        self._college_of = MappingProxyType(dict(college_of))

    @classmethod
    def fix(cls, record_date: date, associates: Iterable[Associate],
            profile: StatuteProfile) -> Electorate:
        """The electorate at ``record_date``. Refusals: ``date.out_of_range``,
        ``electorate.overlapping_periods`` (one person's periods overlap),
        ``electorate.empty`` (nobody is an associate that day), ``electorate.college_missing``
        and ``electorate.unknown_college`` (where the profile has colleges)."""
        if not isinstance(record_date, date):
            raise RuleViolation("electorate.record_date", "the record date must be a date",
                                ("record_date",))
        check_day(record_date, "record_date")
        periods: dict[str, list[Associate]] = {}
        for associate in associates:
            if not isinstance(associate, Associate):
                raise TypeError("associates must be Associate instances")
            for earlier in periods.setdefault(associate.id, []):
                if earlier.overlaps(associate):
                    raise RuleViolation(
                        "electorate.overlapping_periods",
                        f"{associate.id} is listed twice as an associate over the same days",
                        ("associates",))
            periods[associate.id].append(associate)
        codes = {c.code for c in profile.colleges}
        college_of: dict[str, str | None] = {}
        for person, spans in periods.items():
            current = [span for span in spans if span.is_associate_on(record_date)]
            if not current:
                continue
            college = current[0].college
            if codes:
                if college is None:
                    raise RuleViolation("electorate.college_missing",
                                        f"{person} belongs to no voting college", ("college",))
                if college not in codes:
                    raise RuleViolation(
                        "electorate.unknown_college",
                        f"{person}'s college {college!r} is not one of {sorted(codes)}",
                        ("college",))
            else:
                college = None
            college_of[person] = college
        if not college_of:
            raise RuleViolation("electorate.empty",
                                f"nobody is an associate on {record_date.isoformat()}",
                                ("record_date",))
        return cls(record_date, college_of)

    @property
    def members(self) -> frozenset[str]:
        return self._members

    @property
    def size(self) -> int:
        return len(self._members)

    def __contains__(self, associate: object) -> bool:
        return associate in self._members

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._members))

    def __len__(self) -> int:
        return len(self._members)

    def college_of(self, associate: str) -> str | None:
        return self._college_of[associate]

    def in_college(self, college: str) -> frozenset[str]:
        return frozenset(a for a, c in self._college_of.items() if c == college)
