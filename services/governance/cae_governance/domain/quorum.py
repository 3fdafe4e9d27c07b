"""The quorum of a decision, with its formula for the minutes.

The quorum counts the associates taking part (present in person, remote, by post,
represented; :class:`~cae_governance.domain.attendance.Attendance`) against all the
associates of the electorate, one person one head, unweighted even where SCIC colleges
weigh the votes. It is met when they are **at least** the profile's fraction:
``taking part >= ceil(fraction x associates)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from cae_governance.domain.attendance import Attendance
from cae_governance.domain.profiles import Convocation, DecisionKind, StatuteProfile, fraction_text
from caekit.rules import RuleViolation

__all__ = ["QuorumResult", "assembly_heading", "check_quorum", "require_quorum"]

_ORDINAL = {Convocation.FIRST: "1st", Convocation.SECOND: "2nd"}


def assembly_heading(kind: DecisionKind, convocation: Convocation) -> str:
    return f"{kind.value} decision, {_ORDINAL[convocation]} convocation"


@dataclass(frozen=True)
class QuorumResult:
    kind: DecisionKind
    convocation: Convocation
    required: Fraction | None  # None: no quorum
    associates: int
    needed: int
    taking_part: int
    met: bool
    formula: str
    source: str


def check_quorum(attendance: Attendance, profile: StatuteProfile, kind: DecisionKind,
                 convocation: Convocation) -> QuorumResult:
    """Whether the quorum of ``kind`` on ``convocation`` is met, and how it was counted."""
    if profile != attendance.profile:
        raise ValueError("the attendance was taken under another statute profile")
    rule = profile.rule(kind, convocation)
    associates = attendance.electorate.size
    taking_part = len(attendance.participants)
    heading = assembly_heading(kind, convocation)
    if rule.quorum is None:
        return QuorumResult(kind, convocation, None, associates, 0, taking_part, True,
                            f"{heading}: no quorum required; {attendance.text()} "
                            f"of {associates} associates ({rule.source})", rule.source)
    # ceil without floats: -(-a // b)
    needed = -(-(rule.quorum.numerator * associates) // rule.quorum.denominator)
    met = taking_part >= needed
    formula = (f"{heading}: quorum {fraction_text(rule.quorum)} of {associates} associates, "
               f"ceil({fraction_text(rule.quorum)} x {associates}) = {needed} needed; "
               f"{attendance.text()} {'>=' if met else '<'} {needed}: "
               f"{'met' if met else 'not met'} ({rule.source})")
    return QuorumResult(kind, convocation, rule.quorum, associates, needed, taking_part, met,
                        formula, rule.source)


def require_quorum(attendance: Attendance, profile: StatuteProfile, kind: DecisionKind,
                   convocation: Convocation) -> QuorumResult:
    """:func:`check_quorum`, refusing with ``quorum.not_met`` when it is not met: the
    assembly cannot validly decide."""
    result = check_quorum(attendance, profile, kind, convocation)
    if not result.met:
        raise RuleViolation("quorum.not_met", result.formula, ("attendance",))
    return result
