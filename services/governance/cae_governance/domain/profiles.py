"""Statute profiles: the quorum and majority of each decision, as data, each with its source.

docs/domain.md, "Governance". A profile is the set of assembly rules a cooperative's
statutes give; three are shipped as defaults and each cooperative may override some
settings (:class:`Overrides`, :meth:`StatuteProfile.with_overrides`).

* ``SCOP_SARL``: the CG Scop model statutes of a SCOP-SARL (the table in domain.md).
* ``SCOP_SA``: **assumed** from the SA law (Code de commerce L225-96 for extraordinary
  decisions, L225-98 for ordinary ones), each associate's one vote standing for the
  shares' votes (loi 47-1775 art. 9). The CG Scop SCOP-SA model statutes are not in
  domain.md; a SCOP-SA enters its own figures where they differ.
* ``SCIC``: **assumed** to be a SCIC-SARL following the SCOP-SARL table (a SCIC is not
  bound by loi 78-763, whose art. 14 sets the proxy caps; the caps are kept as the
  default), with optional voting colleges (loi 47-1775 art. 19 octies: each college
  weighs from 10 % to 50 % of the votes), validated by :func:`check_colleges`.

Reading of the figures (applied everywhere):

* a quorum is met when the associates taking part (present in person, remote where
  allowed, by post where allowed, represented) are **at least** the fraction of all the
  associates of the electorate, unweighted even where colleges weigh the votes;
* "majority" is **more than** half; "3/4" and "2/3" majorities are **at least** that
  share; a tie (as many for as against, weighted where colleges weigh) is always
  rejected, and a resolution nobody could vote on is rejected;
* a majority "of all associates" is counted on the whole electorate; a majority "of the
  associates present or represented" on those taking part, abstentions and blank votes
  in the base (they count as not for) where the profile counts abstentions, out of it
  (votes cast only) where it does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from fractions import Fraction

from caekit.rules import RuleViolation

__all__ = [
    "ART_14",
    "SCIC",
    "SCOP_SA",
    "SCOP_SARL",
    "AssemblyRule",
    "Base",
    "College",
    "Convocation",
    "DecisionKind",
    "Majority",
    "Overrides",
    "ProxyLimit",
    "StatuteProfile",
    "check_colleges",
    "fraction_text",
    "percent_text",
]


class DecisionKind(Enum):
    """What a resolution decides: the profile's rule depends on it."""

    ORDINARY = "ordinary"
    EXTRAORDINARY = "extraordinary"
    ELECTION = "election"  # appointing the managers (gérants) or directors


class Convocation(Enum):
    """The assembly's convocation: a second one follows a first that lacked its quorum."""

    FIRST = 1
    SECOND = 2


class Base(Enum):
    """On whom a majority is counted."""

    ALL_ASSOCIATES = "all associates"
    PRESENT_OR_REPRESENTED = "the associates present or represented"


def fraction_text(value: Fraction) -> str:
    """``3/4``, ``1/2``, ``1`` or ``0``: a fraction as people write it in minutes."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def percent_text(value: Fraction) -> str:
    """``40 %``, ``33.33 %``: a share as a percentage, two decimals at most."""
    text = f"{float(value * 100):.2f}".rstrip("0").rstrip(".")
    return f"{text} %"


@dataclass(frozen=True)
class Majority:
    """``threshold`` of ``base`` for (``strict``: more than it; otherwise at least it)."""

    threshold: Fraction
    strict: bool
    base: Base

    def __post_init__(self) -> None:
        if not isinstance(self.threshold, Fraction) or not Fraction(1, 2) <= self.threshold <= 1:
            raise ValueError(f"a majority threshold is a Fraction from 1/2 to 1, not {self.threshold!r}")
        if self.threshold == Fraction(1, 2) and not self.strict:
            raise ValueError("'at least half' would adopt a tie: a 1/2 majority is strict")

    def reached(self, share: Fraction) -> bool:
        return share > self.threshold if self.strict else share >= self.threshold

    @property
    def text(self) -> str:
        word = "more than" if self.strict else "at least"
        return f"{word} {fraction_text(self.threshold)} of {self.base.value}"


@dataclass(frozen=True)
class AssemblyRule:
    """The quorum (``None``: none required) and majority of one decision kind on one convocation."""

    kind: DecisionKind
    convocation: Convocation
    quorum: Fraction | None
    majority: Majority
    source: str

    def __post_init__(self) -> None:
        if self.quorum is not None and (not isinstance(self.quorum, Fraction)
                                        or not 0 < self.quorum <= 1):
            raise ValueError(f"a quorum is a Fraction in (0, 1], not {self.quorum!r}")


@dataclass(frozen=True)
class ProxyLimit:
    """How many proxies one holder may hold, besides their own vote (loi 78-763 art. 14).

    Below ``small_below`` associates: ``small_cap``; from it: ``floor(share x associates)``.
    The rounding is **down**: "at most 1/20 of the votes" is exceeded by any count above
    the fraction, so the cap is the largest whole number not above it (39 associates:
    39/20 = 1.95 -> 1; 40 -> 2). From 20 associates it is never below 1.
    """

    small_below: int = 20
    small_cap: int = 1
    share: Fraction = Fraction(1, 20)
    source: str = "loi 78-763 art. 14"

    def cap(self, associates: int) -> int:
        if associates < self.small_below:
            return self.small_cap
        return associates * self.share.numerator // self.share.denominator

    def text(self, associates: int) -> str:
        if associates < self.small_below:
            return (f"{associates} associates (fewer than {self.small_below}): "
                    f"at most {self.small_cap} proxy per holder ({self.source})")
        return (f"{associates} associates: at most floor({fraction_text(self.share)} x "
                f"{associates}) = {self.cap(associates)} proxies per holder ({self.source})")


ART_14 = ProxyLimit()

_MIN_WEIGHT = Fraction(1, 10)
_MAX_WEIGHT = Fraction(1, 2)


@dataclass(frozen=True)
class College:
    """A SCIC voting college and the share of the votes it weighs, a Fraction (2/5 for 40 %;
    loi 47-1775 art. 19 octies)."""

    code: str
    weight: Fraction


def check_colleges(colleges: Iterable[College]) -> tuple[College, ...]:
    """The colleges themselves when valid: distinct codes, each weighing from 10 % to 50 %
    (art. 19 octies), together 100 %. Refusals: ``college.code``, ``college.duplicate``,
    ``college.weight_out_of_range``, ``college.weights_total``."""
    colleges = tuple(colleges)
    seen: set[str] = set()
    for college in colleges:
        if not isinstance(college.code, str) or not college.code.strip():
            raise RuleViolation("college.code", "a college needs a non-empty code", ("colleges",))
        if college.code in seen:
            raise RuleViolation("college.duplicate", f"college {college.code!r} is listed twice",
                                ("colleges",))
        seen.add(college.code)
        weight = college.weight
        if not isinstance(weight, Fraction) or not _MIN_WEIGHT <= weight <= _MAX_WEIGHT:
            raise RuleViolation(
                "college.weight_out_of_range",
                f"college {college.code!r} weighs {weight!r}: each college weighs from 10 % to "
                "50 % of the votes (loi 47-1775 art. 19 octies)", ("colleges",))
    total = sum((c.weight for c in colleges), Fraction(0))
    if colleges and total != 1:
        raise RuleViolation("college.weights_total",
                            f"the colleges' weights add up to {percent_text(total)}, not 100 %",
                            ("colleges",))
    return colleges


@dataclass(frozen=True)
class Overrides:
    """A cooperative's own settings over its profile (``None``: keep the profile's)."""

    convocation_days: int | None = None
    count_abstentions: bool | None = None
    blank_proxies: bool | None = None
    remote_participation: bool | None = None
    postal_votes: bool | None = None
    secret_ballot_for_elections: bool | None = None


@dataclass(frozen=True)
class StatuteProfile:
    """The assembly rules of one kind of statutes, with each figure's source."""

    code: str
    cooperative: str  # "SCOP" or "SCIC"
    form: str  # "SARL" or "SA"
    rules: tuple[AssemblyRule, ...]
    convocation_days: int
    minimum_convocation_days: int  # the law's floor an override may not go below
    convocation_source: str
    agenda_share: Fraction  # the share of the votes that may add resolutions
    agenda_window: tuple[int, int]  # (first, last) day before the assembly they may
    agenda_source: str
    count_abstentions: bool
    blank_proxies: bool  # accepted: for the managers' resolutions, against the others
    blank_proxies_source: str
    remote_participation: bool
    postal_votes: bool
    postal_votes_by_law: bool  # the statutes may not take postal votes away
    secret_ballot_for_elections: bool
    proxy_limit: ProxyLimit = ART_14
    colleges: tuple[College, ...] = ()
    notes: tuple[str, ...] = ()  # what is assumed, for the people who check it
    overridden: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        keys = [(r.kind, r.convocation) for r in self.rules]
        wanted = {(k, c) for k in DecisionKind for c in Convocation}
        if len(keys) != len(set(keys)) or set(keys) != wanted:
            raise ValueError(f"profile {self.code}: one rule per decision kind and convocation")

    def rule(self, kind: DecisionKind, convocation: Convocation) -> AssemblyRule:
        for rule in self.rules:
            if rule.kind is kind and rule.convocation is convocation:
                return rule
        raise KeyError((kind, convocation))  # unreachable: __post_init__ checks all are there

    def with_overrides(self, overrides: Overrides) -> StatuteProfile:
        """This profile with a cooperative's settings. Refusals: ``profile.override`` (a
        setting of the wrong type), ``profile.convocation_days`` (below the law's floor or
        above 365 days), ``profile.postal_votes_required`` (an SA may not refuse postal
        votes, L225-107)."""
        changes: dict[str, object] = {}
        for item in fields(overrides):
            value = getattr(overrides, item.name)
            if value is None:
                continue
            if item.name == "convocation_days":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise RuleViolation("profile.override", "a whole number of days",
                                        (item.name,))
                if not self.minimum_convocation_days <= value <= 365:
                    raise RuleViolation(
                        "profile.convocation_days",
                        f"a convocation delay from {self.minimum_convocation_days} days "
                        f"({self.convocation_source}) to 365 days, not {value}", (item.name,))
            elif not isinstance(value, bool):
                raise RuleViolation("profile.override", "true or false", (item.name,))
            if item.name == "postal_votes" and value is False and self.postal_votes_by_law:
                raise RuleViolation(
                    "profile.postal_votes_required",
                    "every shareholder of an SA may vote by post; statutes saying otherwise "
                    "are deemed unwritten (Code de commerce L225-107)", (item.name,))
            changes[item.name] = value
        overridden = tuple(sorted(set(self.overridden) | set(changes)))
        return replace(self, **changes, overridden=overridden)

    def with_colleges(self, colleges: Iterable[College]) -> StatuteProfile:
        """This SCIC profile with its voting colleges (``college.*`` refusals; a SCOP has
        none: ``college.not_scic``)."""
        if self.cooperative != "SCIC":
            raise RuleViolation("college.not_scic",
                                "voting colleges belong to a SCIC (loi 47-1775 art. 19 octies)",
                                ("colleges",))
        return replace(self, colleges=check_colleges(colleges))


_O, _E, _EL = DecisionKind.ORDINARY, DecisionKind.EXTRAORDINARY, DecisionKind.ELECTION
_1, _2 = Convocation.FIRST, Convocation.SECOND
_ALL, _PR = Base.ALL_ASSOCIATES, Base.PRESENT_OR_REPRESENTED
_HALF, _3_4, _2_3 = Fraction(1, 2), Fraction(3, 4), Fraction(2, 3)

_CG_SCOP = "CG Scop model statutes, SCOP-SARL (docs/domain.md, Governance)"

SCOP_SARL = StatuteProfile(
    code="SCOP-SARL",
    cooperative="SCOP",
    form="SARL",
    rules=(
        AssemblyRule(_O, _1, None, Majority(_HALF, True, _ALL), _CG_SCOP),
        AssemblyRule(_O, _2, None, Majority(_HALF, True, _PR), _CG_SCOP),
        AssemblyRule(_E, _1, _3_4, Majority(_3_4, False, _PR), _CG_SCOP),
        AssemblyRule(_E, _2, _HALF, Majority(_3_4, False, _PR), _CG_SCOP),
        # "managers are elected by absolute majority of all associates, by secret ballot";
        # the table gives no second-convocation rule for it: the same majority is kept.
        AssemblyRule(_EL, _1, None, Majority(_HALF, True, _ALL), _CG_SCOP),
        AssemblyRule(_EL, _2, None, Majority(_HALF, True, _ALL),
                     _CG_SCOP + "; second convocation: assumed unchanged"),
    ),
    convocation_days=15,  # CG Scop model statutes
    minimum_convocation_days=15,
    convocation_source="Code de commerce R223-20",
    agenda_share=Fraction(1, 20),  # 5 % of the votes (also L223-27: 1/20 of the shares)
    agenda_window=(15, 5),  # between day -15 and day -5
    agenda_source=_CG_SCOP,
    count_abstentions=True,  # "majority of associates present or represented"
    blank_proxies=True,
    blank_proxies_source=_CG_SCOP + " (for the managers' resolutions); against the others: "
                                    "decision, after Code de commerce L225-106",
    remote_participation=False,  # only where the statutes allow it (loi 47-1775 art. 10)
    postal_votes=False,  # only where the statutes allow it (R223-20-1-1, décret 2024-904)
    postal_votes_by_law=False,
    secret_ballot_for_elections=True,  # CG Scop model statutes (loi 47-1775 art. 8)
)

_SA_NOTE = ("SCOP-SA: assumed from the SA law, one associate's vote standing for the shares' "
            "votes; the CG Scop SCOP-SA model statutes are not in docs/domain.md")

SCOP_SA = StatuteProfile(
    code="SCOP-SA",
    cooperative="SCOP",
    form="SA",
    rules=(
        AssemblyRule(_O, _1, Fraction(1, 5), Majority(_HALF, True, _PR), "Code de commerce L225-98"),
        AssemblyRule(_O, _2, None, Majority(_HALF, True, _PR), "Code de commerce L225-98"),
        AssemblyRule(_E, _1, Fraction(1, 4), Majority(_2_3, False, _PR), "Code de commerce L225-96"),
        AssemblyRule(_E, _2, Fraction(1, 5), Majority(_2_3, False, _PR), "Code de commerce L225-96"),
        # directors are appointed by the ordinary assembly: its rule, assumed
        AssemblyRule(_EL, _1, Fraction(1, 5), Majority(_HALF, True, _PR),
                     "Code de commerce L225-98 (election as an ordinary decision: assumed)"),
        AssemblyRule(_EL, _2, None, Majority(_HALF, True, _PR),
                     "Code de commerce L225-98 (election as an ordinary decision: assumed)"),
    ),
    convocation_days=15,  # assumed as the SCOP-SARL's
    minimum_convocation_days=15,
    convocation_source="assumed as the SCOP-SARL's (R223-20); the SA's delay is not in domain.md",
    agenda_share=Fraction(1, 20),
    agenda_window=(15, 5),
    agenda_source="assumed as the SCOP-SARL's (CG Scop model statutes)",
    count_abstentions=False,  # L225-96: votes cast exclude abstentions, blank and null votes
    blank_proxies=True,
    blank_proxies_source="Code de commerce L225-106: for the board's resolutions, against others",
    remote_participation=False,  # only where the statutes allow it (L225-107 II)
    postal_votes=True,  # L225-107 I: every shareholder may vote by post
    postal_votes_by_law=True,
    secret_ballot_for_elections=False,  # no source requires it for an SA (loi 47-1775 art. 8)
    notes=(_SA_NOTE,),
)

SCIC = replace(
    SCOP_SARL,
    code="SCIC",
    cooperative="SCIC",
    rules=tuple(replace(rule, source="assumed for a SCIC as in the " + rule.source)
                for rule in SCOP_SARL.rules),
    notes=("SCIC: assumed a SCIC-SARL following the SCOP-SARL table and the SCOP proxy caps "
           "(loi 78-763 art. 14 binds SCOPs); colleges optional (loi 47-1775 art. 19 octies)",),
)
