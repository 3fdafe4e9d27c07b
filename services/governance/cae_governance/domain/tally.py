"""The tally of one resolution: its count, its majority, its result and the formula.

One person = one vote (loi 47-1775 art. 9): every associate taking part (present,
remote, by post, represented; :mod:`~cae_governance.domain.attendance`) counts once,
with one choice: for, against, abstain or blank.

* A present associate casts their own ballot; a represented one's ballot is cast by
  their holder (``Ballot.cast_by``); a blank proxy's vote is not cast by anyone: it is
  **for** the managers' (or board's) resolutions and **against** the others
  (:mod:`~cae_governance.domain.proxies`). A participant who casts no ballot counts as
  not voting: like an abstention, reported apart.
* The assembly decides only when its quorum is met (``quorum.not_met`` otherwise).
* The majority is the profile's for the resolution's kind and the convocation
  (:mod:`~cae_governance.domain.profiles`): on **all associates**, the base is the
  electorate; on the **associates present or represented**, the base is everyone taking
  part where the profile counts abstentions (abstentions, blank votes and not voting
  are then not for), and for + against (votes cast) where it does not.
* A tie (as many for as against, weighted where colleges weigh) is rejected, whatever
  the threshold; a resolution with an empty base is rejected.
* SCIC colleges (loi 47-1775 art. 19 octies): each college's result (its for and its
  against over its own base) is weighed by the college's share; a college with an empty
  base (nobody of it could vote) is left out and the others' weights count in
  proportion to their sum. Quorum is counted on persons (:mod:`~cae_governance.domain.quorum`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Protocol, TypeVar

from cae_governance.domain.attendance import Attendance
from cae_governance.domain.profiles import (
    Base,
    Convocation,
    DecisionKind,
    Majority,
    StatuteProfile,
    fraction_text,
    percent_text,
)
from cae_governance.domain.quorum import QuorumResult, assembly_heading, require_quorum
from caekit.rules import RuleViolation

__all__ = [
    "Ballot",
    "Cast",
    "Choice",
    "CollegeTally",
    "Count",
    "Resolution",
    "ResolutionResult",
    "check_voters",
    "tally",
]


class Choice(Enum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"
    BLANK = "blank"


@dataclass(frozen=True)
class Ballot:
    """``voter``'s choice, cast by ``cast_by`` (their proxy holder) or by themselves (``None``)."""

    voter: str
    choice: Choice
    cast_by: str | None = None


@dataclass(frozen=True)
class Resolution:
    """A resolution put to the vote.

    ``from_managers``: presented or approved by the managers (or the board): blank
    proxies vote for it. ``secret``: ``None`` follows the profile (a secret ballot for
    elections where the statutes require it, loi 47-1775 art. 8).
    """

    code: str
    kind: DecisionKind
    from_managers: bool = False
    secret: bool | None = None


@dataclass(frozen=True)
class Count:
    for_: int = 0
    against: int = 0
    abstain: int = 0
    blank: int = 0
    not_voted: int = 0

    @property
    def cast(self) -> int:
        """Votes cast: for + against."""
        return self.for_ + self.against

    @property
    def taking_part(self) -> int:
        return self.for_ + self.against + self.abstain + self.blank + self.not_voted

    def text(self) -> str:
        return (f"for {self.for_}, against {self.against}, abstain {self.abstain}, "
                f"blank {self.blank}, not voting {self.not_voted}")


@dataclass(frozen=True)
class CollegeTally:
    college: str
    weight: Fraction
    count: Count
    base: int


@dataclass(frozen=True)
class ResolutionResult:
    resolution: Resolution
    convocation: Convocation
    secret: bool
    quorum: QuorumResult
    majority: Majority
    count_abstentions: bool
    count: Count
    base: int  # unweighted: the number the shares are counted on
    share_for: Fraction | None  # None: an empty base
    share_against: Fraction | None
    tie: bool
    adopted: bool
    colleges: tuple[CollegeTally, ...]
    counted: tuple[str, ...]  # the associates counted, each once, sorted
    formula: str
    source: str


def _base_of(majority: Majority, count_abstentions: bool, count: Count, members: int) -> int:
    if majority.base is Base.ALL_ASSOCIATES:
        return members
    return count.taking_part if count_abstentions else count.cast


def _base_text(majority: Majority, count_abstentions: bool) -> str:
    if majority.base is Base.ALL_ASSOCIATES:
        return "all associates"
    if count_abstentions:
        return "taking part, abstentions, blank and not voting counted"
    return "votes cast, abstentions, blank and not voting not counted"


class Cast(Protocol):
    """What every ballot has, whatever it votes on: its voter, and who cast it."""

    @property
    def voter(self) -> str: ...

    @property
    def cast_by(self) -> str | None: ...


B = TypeVar("B", bound=Cast)


def _no_check(ballot: object) -> None:
    return None


def check_voters(ballots: Iterable[B], attendance: Attendance,
                 check: Callable[[B], None] = _no_check) -> dict[str, B]:
    """Each voter's ballot, when every ballot may be counted; otherwise the first refusal.

    In this order, for each ballot: ``vote.not_associate``; then ``check(ballot)`` (what
    the ballot says: ``vote.choice`` for a resolution, the ``election.*`` refusals for an
    election); then who cast it: ``vote.not_represented`` (a participant's ballot cast by
    someone else, or a represented associate's not cast by their holder),
    ``vote.blank_proxy`` (nobody casts a blank proxy's vote), ``vote.not_participating``;
    then ``vote.twice``. Used by :func:`tally` and by
    :func:`~cae_governance.domain.elections.elect`."""
    electorate = attendance.electorate
    checked: dict[str, B] = {}
    for ballot in ballots:
        voter = ballot.voter
        if voter not in electorate:
            raise RuleViolation("vote.not_associate",
                                f"{voter} is not an associate of the electorate", ("voter",))
        check(ballot)
        if voter in attendance.modes:
            if ballot.cast_by not in (None, voter):
                raise RuleViolation(
                    "vote.not_represented",
                    f"{voter} takes part themselves: only they vote for themselves "
                    "(a giver who takes part revokes their proxy)", ("cast_by",))
        elif voter in attendance.represented:
            holder = attendance.represented[voter]
            if holder is None:
                raise RuleViolation("vote.blank_proxy",
                                    f"{voter} gave a blank proxy: its vote follows the "
                                    "statutes, nobody casts it", ("voter",))
            if ballot.cast_by != holder:
                raise RuleViolation("vote.not_represented",
                                    f"{voter}'s vote is cast by their holder {holder}",
                                    ("cast_by",))
        else:
            raise RuleViolation("vote.not_participating",
                                f"{voter} neither takes part nor is represented", ("voter",))
        if voter in checked:
            raise RuleViolation("vote.twice", f"{voter} has already voted on this resolution",
                                ("voter",))
        checked[voter] = ballot
    return checked


def _check_choice(ballot: Ballot) -> None:
    if not isinstance(ballot.choice, Choice):
        raise RuleViolation("vote.choice", "for, against, abstain or blank", ("choice",))


def _check_ballots(ballots: Iterable[Ballot], attendance: Attendance) -> dict[str, Choice]:
    return {voter: ballot.choice
            for voter, ballot in check_voters(ballots, attendance, _check_choice).items()}


def _count(voters: Iterable[str], choices: dict[str, Choice | None]) -> Count:
    tallies = {c: 0 for c in Choice}
    not_voted = 0
    for voter in voters:
        choice = choices[voter]
        if choice is None:
            not_voted += 1
        else:
            tallies[choice] += 1
    return Count(tallies[Choice.FOR], tallies[Choice.AGAINST], tallies[Choice.ABSTAIN],
                 tallies[Choice.BLANK], not_voted)


def _share_text(share: Fraction) -> str:
    return f"{fraction_text(share)} ({percent_text(share)})"


def tally(resolution: Resolution, attendance: Attendance, ballots: Iterable[Ballot],
          profile: StatuteProfile, convocation: Convocation) -> ResolutionResult:
    """The result of ``resolution`` from the ``ballots`` cast at an assembly.

    Refusals: ``resolution.secret_ballot_required``, ``quorum.not_met``,
    ``vote.not_associate``, ``vote.choice``, ``vote.not_participating``,
    ``vote.not_represented``, ``vote.blank_proxy``, ``vote.twice``.
    """
    kind = resolution.kind
    secret_required = kind is DecisionKind.ELECTION and profile.secret_ballot_for_elections
    if resolution.secret is False and secret_required:
        raise RuleViolation("resolution.secret_ballot_required",
                            "the statutes require a secret ballot for elections "
                            "(loi 47-1775 art. 8)", ("secret",))
    secret = secret_required if resolution.secret is None else resolution.secret
    quorum = require_quorum(attendance, profile, kind, convocation)
    rule = profile.rule(kind, convocation)
    majority = rule.majority
    choices: dict[str, Choice | None] = dict(_check_ballots(ballots, attendance))
    blank_vote = Choice.FOR if resolution.from_managers else Choice.AGAINST
    participants = sorted(attendance.participants)
    for voter in participants:
        if voter not in choices:
            choices[voter] = (blank_vote if attendance.represented.get(voter, "") is None
                              else None)
    count = _count(participants, choices)
    electorate = attendance.electorate
    heading = assembly_heading(kind, convocation)
    base_text = _base_text(majority, profile.count_abstentions)
    colleges: list[CollegeTally] = []
    if profile.colleges:
        weighed_for = weighed_against = weights = Fraction(0)
        terms: list[str] = []
        for college in profile.colleges:
            members = electorate.in_college(college.code)
            c_count = _count(sorted(attendance.participants & members), choices)
            c_base = _base_of(majority, profile.count_abstentions, c_count, len(members))
            colleges.append(CollegeTally(college.code, college.weight, c_count, c_base))
            if c_base == 0:
                terms.append(f"{college.code} ({percent_text(college.weight)}): empty, left out")
                continue
            weights += college.weight
            weighed_for += college.weight * Fraction(c_count.for_, c_base)
            weighed_against += college.weight * Fraction(c_count.against, c_base)
            terms.append(f"{college.code} ({percent_text(college.weight)}): "
                         f"for {c_count.for_}/{c_base}, against {c_count.against}/{c_base}")
        base = _base_of(majority, profile.count_abstentions, count, electorate.size)
        if weights:
            share_for, share_against = weighed_for / weights, weighed_against / weights
            arithmetic = (f"weighted for = sum(weight x for/base) / sum(weights) = "
                          f"{_share_text(share_for)}; weighted against = "
                          f"{_share_text(share_against)}")
        else:
            share_for = share_against = None
            arithmetic = "no college could vote"
        counting = f"{count.text()}; by college ({base_text}): {'; '.join(terms)}; {arithmetic}"
    else:
        base = _base_of(majority, profile.count_abstentions, count, electorate.size)
        if base:
            share_for, share_against = Fraction(count.for_, base), Fraction(count.against, base)
            arithmetic = f"{count.for_}/{base} = {_share_text(share_for)}"
        else:
            share_for = share_against = None
            arithmetic = "nobody to count"
        counting = f"{count.text()}; base {base} ({base_text}); for {arithmetic}"
    tie = share_for is not None and share_for > 0 and share_for == share_against
    adopted = share_for is not None and not tie and majority.reached(share_for)
    if share_for is None:
        verdict = "empty base: rejected"
    elif tie:
        verdict = "tie (for = against): rejected"
    else:
        sign = ((">" if share_for > majority.threshold else "<=") if majority.strict
                else (">=" if share_for >= majority.threshold else "<"))
        verdict = (f"{fraction_text(share_for)} {sign} {fraction_text(majority.threshold)}: "
                   f"{'adopted' if adopted else 'rejected'}")
    formula = (f"resolution {resolution.code}, {heading}, majority {majority.text}: "
               f"{counting}; {verdict} ({rule.source})")
    return ResolutionResult(
        resolution=resolution, convocation=convocation, secret=secret, quorum=quorum,
        majority=majority, count_abstentions=profile.count_abstentions, count=count, base=base,
        share_for=share_for, share_against=share_against, tie=tie, adopted=adopted,
        colleges=tuple(colleges), counted=tuple(participants), formula=formula,
        source=rule.source)
