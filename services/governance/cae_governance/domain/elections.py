"""Elections: the count per candidate of an election of managers (gérance) or board seats.

:mod:`~cae_governance.domain.tally` counts one resolution, for or against; an election
puts candidates (associates of the electorate) to the vote for a number of seats, and
each ballot names up to that many of them. The rules applied:

* **Secret ballot** as in ``tally``: ``Election.secret`` ``None`` follows the profile
  (``secret_ballot_for_elections``, loi 47-1775 art. 8); ``False`` where the profile
  requires it is refused (``resolution.secret_ballot_required``).
* **Quorum**: the profile's for :attr:`DecisionKind.ELECTION` on the convocation
  (``quorum.not_met`` otherwise), counted on persons.
* **Ballots** are checked as in ``tally`` (:func:`~cae_governance.domain.tally.check_voters`:
  ``vote.not_associate``, ``vote.not_represented``, ``vote.blank_proxy``,
  ``vote.not_participating``, ``vote.twice``), and what they say:
  ``election.abstain_with_choices`` (an abstention naming candidates),
  ``election.unknown_candidate`` (a name not standing), ``election.too_many_choices``
  (more names than seats). A ballot naming nobody is **blank**.
* **A blank proxy votes for nobody**: a represented associate whose proxy names no
  holder counts as a **blank** ballot. It takes part (it is in the base where blank
  votes are) but is for no candidate: the rule "blank proxies vote for the managers'
  resolutions" (CG Scop, L225-106) is about resolutions, and a list of candidates is
  not the managers' resolution. Nobody casts its ballot (``vote.blank_proxy``).
* A participant who casts no ballot counts as **not voting** (reported apart).
* **Per candidate**: their votes are the ballots naming them. The majority is the
  profile's for (ELECTION, convocation); its base, as in ``tally``: on **all
  associates**, the electorate's size; on the **associates present or represented**,
  everyone taking part where the profile counts abstentions (abstentions, blank and not
  voting are then not for), otherwise the ballots naming at least one candidate (the
  votes cast). A candidate reaches the majority when ``majority.reached(votes / base)``;
  with an empty base nobody does.
* **SCIC colleges**: a candidate's share is the weighted one: each college's votes for
  the candidate over the college's own base, weighed by its share; a college with an
  empty base is left out and the others' weights count in proportion to their sum.
* **Elected**: the candidates reaching the majority, the largest share (votes, or the
  weighted share in a SCIC) first, up to ``seats``. When candidates with the same share
  compete for the last seat(s) and there are more of them than seats left, **none of
  them is elected**: those seats stay vacant and a new ballot is needed (the formula
  says so). Seats also stay vacant when too few candidates reach the majority, or
  when fewer candidates stand than there are seats (allowed).
* **The Election itself**: ``election.office`` (``"managers"`` or ``"board"``),
  ``election.seats`` (a whole number from 1 to 50), ``election.candidates`` (at least
  one, distinct), ``election.candidate_not_associate`` (each candidate is an associate
  of the electorate; they need not take part).

Everything is counted in Fractions; the formula, in English, gives the rule and every
figure for the minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from cae_governance.domain.attendance import Attendance
from cae_governance.domain.electorate import Electorate
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
from cae_governance.domain.tally import check_voters
from caekit.rules import RuleViolation

__all__ = [
    "MAX_SEATS",
    "OFFICES",
    "CandidateResult",
    "CollegeVotes",
    "Election",
    "ElectionBallot",
    "ElectionResult",
    "check_election",
    "elect",
]

OFFICES = ("managers", "board")
MAX_SEATS = 50
_KIND = DecisionKind.ELECTION


@dataclass(frozen=True)
class Election:
    """An election put to the assembly: ``seats`` to fill among ``candidates``.

    ``code``: the resolution's code. ``secret``: ``None`` follows the profile.
    """

    code: str
    seats: int
    candidates: tuple[str, ...]
    office: str = "managers"  # "managers" | "board"
    secret: bool | None = None


@dataclass(frozen=True)
class ElectionBallot:
    """``voter``'s ballot: up to ``seats`` candidates (none: blank), or an abstention;
    cast by ``cast_by`` (their proxy holder) or by themselves (``None``)."""

    voter: str
    candidates: frozenset[str] = frozenset()
    abstain: bool = False
    cast_by: str | None = None


@dataclass(frozen=True)
class CollegeVotes:
    """One college's part in a candidate's weighted share."""

    college: str
    weight: Fraction
    votes: int
    base: int  # 0: the college is left out


@dataclass(frozen=True)
class CandidateResult:
    candidate: str
    votes: int
    share: Fraction | None  # None: an empty base
    reached: bool
    elected: bool
    colleges: tuple[CollegeVotes, ...] = ()


@dataclass(frozen=True)
class ElectionResult:
    election: Election
    convocation: Convocation
    secret: bool
    quorum: QuorumResult
    majority: Majority
    count_abstentions: bool
    base: int  # unweighted: the number the shares are counted on
    participants: int
    cast: int  # ballots naming at least one candidate
    blank: int  # blank ballots and blank proxies
    abstain: int
    not_voted: int
    candidates: tuple[CandidateResult, ...]  # in rank order (largest share first)
    elected: tuple[str, ...]  # in rank order
    tied: tuple[str, ...]  # tied for the last seat(s), none of them elected
    vacant: int
    counted: tuple[str, ...]  # the associates counted, each once, sorted
    formula: str
    source: str


def check_election(election: Election, electorate: Electorate) -> Election:
    """The election itself when it can be put to the vote. Refusals: ``election.office``,
    ``election.seats``, ``election.candidates``, ``election.candidate_not_associate``."""
    if election.office not in OFFICES:
        raise RuleViolation("election.office", f"an election of {' or '.join(OFFICES)}, "
                            f"not {election.office!r}", ("office",))
    seats = election.seats
    if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= MAX_SEATS:
        raise RuleViolation("election.seats",
                            f"from 1 to {MAX_SEATS} seats to fill, not {seats!r}", ("seats",))
    candidates = election.candidates
    if (not isinstance(candidates, tuple | list)
            or not all(isinstance(c, str) for c in candidates)):
        raise RuleViolation("election.candidates", "the candidates are a list of associate ids",
                            ("candidates",))
    if not candidates:
        raise RuleViolation("election.candidates", "an election needs at least one candidate",
                            ("candidates",))
    if len(set(candidates)) != len(candidates):
        twice = sorted({c for c in candidates if candidates.count(c) > 1})
        raise RuleViolation("election.candidates",
                            f"{', '.join(twice)} listed more than once", ("candidates",))
    for candidate in candidates:
        if candidate not in electorate:
            raise RuleViolation("election.candidate_not_associate",
                                f"{candidate} is not an associate of the electorate: only "
                                "associates stand", ("candidates",))
    return election


def _ballot_check(election: Election):
    standing = frozenset(election.candidates)

    def check(ballot: ElectionBallot) -> None:
        if not isinstance(ballot.candidates, frozenset | set):
            raise TypeError("a ballot's candidates are a frozenset of associate ids")
        if not isinstance(ballot.abstain, bool):
            raise TypeError("a ballot's abstain is true or false")
        if ballot.abstain and ballot.candidates:
            raise RuleViolation("election.abstain_with_choices",
                                f"{ballot.voter}'s ballot abstains and names candidates",
                                ("abstain",))
        unknown = sorted(str(c) for c in ballot.candidates - standing)
        if unknown:
            raise RuleViolation("election.unknown_candidate",
                                f"{', '.join(unknown)} do not stand in election {election.code}",
                                ("candidates",))
        if len(ballot.candidates) > election.seats:
            raise RuleViolation("election.too_many_choices",
                                f"{ballot.voter}'s ballot names {len(ballot.candidates)} "
                                f"candidates for {election.seats} seat"
                                f"{'s' if election.seats != 1 else ''}", ("candidates",))

    return check


def _base_of(majority: Majority, count_abstentions: bool, members: int, taking_part: int,
             cast: int) -> int:
    if majority.base is Base.ALL_ASSOCIATES:
        return members
    return taking_part if count_abstentions else cast


def _base_text(majority: Majority, count_abstentions: bool) -> str:
    if majority.base is Base.ALL_ASSOCIATES:
        return "all associates"
    if count_abstentions:
        return "taking part, abstentions, blank and not voting counted"
    return "ballots naming a candidate, abstentions, blank and not voting not counted"


def _share_text(share: Fraction) -> str:
    return f"{fraction_text(share)} ({percent_text(share)})"


def _verdict(share: Fraction | None, majority: Majority) -> str:
    if share is None:
        return "nobody to count: not reached"
    if majority.strict:
        sign = ">" if share > majority.threshold else "<="
    else:
        sign = ">=" if share >= majority.threshold else "<"
    reached = majority.reached(share)
    return (f"{_share_text(share)} {sign} {fraction_text(majority.threshold)}: "
            f"{'reached' if reached else 'not reached'}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def elect(election: Election, attendance: Attendance, ballots: Iterable[ElectionBallot],
          profile: StatuteProfile, convocation: Convocation) -> ElectionResult:
    """The result of ``election`` from the ``ballots`` cast at an assembly.

    Refusals: ``election.office``, ``election.seats``, ``election.candidates``,
    ``election.candidate_not_associate``, ``resolution.secret_ballot_required``,
    ``quorum.not_met``, ``vote.not_associate``, ``election.abstain_with_choices``,
    ``election.unknown_candidate``, ``election.too_many_choices``,
    ``vote.not_participating``, ``vote.not_represented``, ``vote.blank_proxy``,
    ``vote.twice``.
    """
    electorate = attendance.electorate
    check_election(election, electorate)
    secret_required = profile.secret_ballot_for_elections
    if election.secret is False and secret_required:
        raise RuleViolation("resolution.secret_ballot_required",
                            "the statutes require a secret ballot for elections "
                            "(loi 47-1775 art. 8)", ("secret",))
    secret = secret_required if election.secret is None else election.secret
    quorum = require_quorum(attendance, profile, _KIND, convocation)
    rule = profile.rule(_KIND, convocation)
    majority = rule.majority
    checked = check_voters(ballots, attendance, _ballot_check(election))

    participants = sorted(attendance.participants)
    named: dict[str, frozenset[str]] = {}
    blank = blank_proxies = abstain = not_voted = 0
    for voter in participants:
        ballot = checked.get(voter)
        if ballot is None:
            if voter in attendance.represented and attendance.represented[voter] is None:
                blank += 1  # a blank proxy votes for nobody
                blank_proxies += 1
            else:
                not_voted += 1
        elif ballot.abstain:
            abstain += 1
        elif not ballot.candidates:
            blank += 1
        else:
            named[voter] = frozenset(ballot.candidates)

    count_abstentions = profile.count_abstentions
    base = _base_of(majority, count_abstentions, electorate.size, len(participants), len(named))
    base_text = _base_text(majority, count_abstentions)

    def votes_among(candidate: str, voters: Iterable[str]) -> int:
        return sum(1 for v in voters if candidate in named.get(v, ()))

    shares: dict[str, Fraction | None] = {}
    votes: dict[str, int] = {}
    details: dict[str, tuple[CollegeVotes, ...]] = {}
    lines: dict[str, str] = {}
    if profile.colleges:
        groups = []
        college_terms = []
        for college in profile.colleges:
            members = electorate.in_college(college.code)
            taking_part = attendance.participants & members
            c_base = _base_of(majority, count_abstentions, len(members), len(taking_part),
                              sum(1 for v in taking_part if v in named))
            groups.append((college, taking_part, c_base))
            college_terms.append(
                f"{college.code} ({percent_text(college.weight)}): "
                + (f"base {c_base}" if c_base else "empty, left out"))
        weights = sum((c.weight for c, _, b in groups if b), Fraction(0))
        for candidate in election.candidates:
            votes[candidate] = votes_among(candidate, participants)
            parts = tuple(CollegeVotes(c.code, c.weight, votes_among(candidate, members), b)
                          for c, members, b in groups)
            details[candidate] = parts
            if weights:
                shares[candidate] = sum((p.weight * Fraction(p.votes, p.base)
                                         for p in parts if p.base), Fraction(0)) / weights
            else:
                shares[candidate] = None
            terms = ", ".join(f"{p.college} {p.votes}/{p.base}" for p in parts if p.base)
            lines[candidate] = (f"{candidate}: {votes[candidate]} votes; "
                                f"{terms or 'no college could vote'}; weighted "
                                f"{_verdict(shares[candidate], majority)}")
        counting = (f"base {base} ({base_text}); by college: {'; '.join(college_terms)}; "
                    "weighted share = sum(weight x votes/base) / sum(weights)")
    else:
        for candidate in election.candidates:
            votes[candidate] = votes_among(candidate, participants)
            shares[candidate] = Fraction(votes[candidate], base) if base else None
            lines[candidate] = (f"{candidate}: {votes[candidate]}/{base} = "
                                f"{_verdict(shares[candidate], majority)}"
                                if base else f"{candidate}: {_verdict(None, majority)}")
        counting = f"base {base} ({base_text})"

    reached = {c: s is not None and majority.reached(s) for c, s in shares.items()}

    def rank_key(candidate: str) -> Fraction:
        share = shares[candidate]
        return -share if share is not None else Fraction(1)

    ranked = sorted(election.candidates, key=rank_key)  # stable: the ballot's order on ties
    contenders = [c for c in ranked if reached[c]]
    elected: list[str] = []
    tied: list[str] = []
    i = 0
    while i < len(contenders) and len(elected) < election.seats:
        level = shares[contenders[i]]
        group = [c for c in contenders[i:] if shares[c] == level]
        if len(group) > election.seats - len(elected):
            tied = group
            break
        elected.extend(group)
        i += len(group)
    vacant = election.seats - len(elected)

    results = tuple(CandidateResult(c, votes[c], shares[c], reached[c], c in elected,
                                    details.get(c, ())) for c in ranked)
    heading = assembly_heading(_KIND, convocation)
    blank_text = f" ({blank_proxies} of them by a blank proxy)" if blank_proxies else ""
    seats_text = _plural(election.seats, "seat")
    outcome = f"elected: {', '.join(elected) if elected else 'nobody'}"
    if tied:
        left = election.seats - len(elected)
        last = "the last seat" if left == 1 else f"the last {left} seats"
        outcome += (f"; {', '.join(tied)} tie for {last} with "
                    f"{_share_text(shares[tied[0]])}: none of them is elected")
    elif vacant:
        outcome += (f"; {_plural(len(contenders), 'candidate')} of "
                    f"{len(election.candidates)} reached the majority")
    outcome += (f"; {_plural(vacant, 'seat')} vacant: a new ballot is needed" if vacant
                else "; no seat vacant")
    formula = (f"election {election.code} of the {election.office}, {seats_text}, "
               f"{_plural(len(election.candidates), 'candidate')}, "
               f"{'secret' if secret else 'open'} ballot; {heading}, majority "
               f"{majority.text}: {len(participants)} taking part: {len(named)} naming a "
               f"candidate, blank {blank}{blank_text}, abstain {abstain}, "
               f"not voting {not_voted}; {counting}; {'; '.join(lines[c] for c in ranked)}; "
               f"{outcome} ({rule.source})")
    return ElectionResult(
        election=election, convocation=convocation, secret=secret, quorum=quorum,
        majority=majority, count_abstentions=count_abstentions, base=base,
        participants=len(participants), cast=len(named), blank=blank, abstain=abstain,
        not_voted=not_voted, candidates=results, elected=tuple(elected), tied=tuple(tied),
        vacant=vacant, counted=tuple(participants), formula=formula, source=rule.source)
