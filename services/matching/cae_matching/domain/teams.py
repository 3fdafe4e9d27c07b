"""Team proposals for a call for tenders: a weighted set multicover, in exact arithmetic.

A call names **requirements**: a skill (an ESCO concept URI, or any stable key) at a
minimum level, times how many people, and optionally the certifications a person must be
allowed to use to take it. **Candidates** are the members who could answer: their skills
with a level, their day rate in cents (or ``None``), whether they are available over the
call's period, whether they consent to be proposed to it (their own cooperative, or the
network consent the call needs), and the cooperative certifications their activity may
use. A call may also require certifications of every member of the team.

**What a person covers (the decision).** Each requirement is expanded into the people it
needs, its *slots*: a requirement for two plumbers is two slots. A person may cover
several requirements (the auditor who also manages the project), but counts **once per
requirement**: they fill at most one slot of each requirement they qualify for, so a
requirement for *k* people is covered by *k* different members. A team covers a call
when, for every requirement, at least that many of its members qualify. This is what
makes proposals a weighted **set multicover**: minimise the sum of the members' costs
(1 each for the smallest team, their day rates for the cheapest) subject to, for each
requirement *r* needing *k_r* people, ``sum(x_j for j qualifying for r) >= k_r``, each
``x_j`` 0 or 1. The OR-Library set-cover instances are the case where every requirement
needs one person.

Who qualifies: a candidate is **eligible** when available, consenting, allowed to use
every certification the call requires of all its members and, when the team is chosen
at day rates, has a day rate. An eligible candidate qualifies for a requirement when
their level in its skill is at least its minimum level and they may use the
requirement's own certifications. Candidates who are not eligible are listed in
``TeamModel.excluded`` with their reasons, except those who do not consent: a profile
without consent is never named, not even as excluded (``TeamModel.withheld`` counts
them).

What this module holds (standard library only, integer cents and Fractions, no float):

* :func:`build_model`: checks the call and the candidates, builds the :class:`TeamModel`;
* :meth:`TeamModel.shortfalls`: the requirements no team can cover, named, with how many
  people they need and how many eligible candidates qualify;
* :func:`greedy`: the classic greedy (each step, the candidate with the lowest cost per
  slot it newly fills), then redundant members removed; its guarantee is stated as text
  and as an exact bound: cost <= H(d) x optimum, ``H(d) = 1 + 1/2 + ... + 1/d``, where
  *d* is the most requirements one candidate qualifies for (the most slots one person
  can fill). The bound holds for set multicover with each person chosen at most once:
  charge each slot the price per slot of the step that filled it and give each slot of
  *r* to a distinct member of an optimal team qualifying for *r* (the members the greedy
  also picked keep the slots they filled); a member *S* of the optimal team is then
  charged at most ``c(S) x H(|S|)``;
* :func:`check_team` / :func:`team_of`: the exact verifier: whether a team covers every
  requirement, and which member covers which requirement. The assignment is a maximum
  bipartite matching between the team's members and the slots (augmenting paths), so
  as many members as possible hold a role of their own; the slots left are then given to
  members already holding another role (a member doubles up, never twice on one
  requirement), the least loaded first; slots nobody can fill are ``missing``.

Rule codes: ``call.requirements``, ``call.objective``, ``call.certification``,
``requirement.code``, ``requirement.duplicate``, ``requirement.skill``,
``requirement.level``, ``requirement.people``, ``candidate.member``,
``candidate.duplicate``, ``candidate.level``, ``amount.out_of_range`` (a day rate),
``team.unknown_member``, ``team.member_excluded``, ``team.duplicate_member``,
``team.uncoverable``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from caekit.bounds import check_cents
from caekit.rules import RuleViolation

__all__ = [
    "Candidate",
    "Exclusion",
    "GreedyTeam",
    "Objective",
    "Requirement",
    "Shortfall",
    "Team",
    "TeamModel",
    "build_model",
    "check_team",
    "greedy",
    "harmonic",
    "harmonic_text",
    "prune",
    "qualifies",
    "require_coverable",
    "team_of",
]

MAX_LEVEL = 100
MAX_PEOPLE = 1000


class Objective(StrEnum):
    """What a team proposal minimises."""

    SIZE = "size"  # the number of people (each costs 1)
    COST = "cost"  # the sum of the members' day rates, in cents


@dataclass(frozen=True)
class Requirement:
    """A skill at a minimum level, times how many people, with the certifications a person
    must be allowed to use to take it."""

    code: str
    skill: str
    min_level: int = 1
    people: int = 1
    certifications: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidate:
    """A member who could answer a call. ``skills`` maps a skill to the member's level;
    ``day_rate`` is in cents; ``certifications`` are the cooperative certifications the
    member's activity may use."""

    member_id: str
    cooperative: str
    skills: Mapping[str, int] = field(default_factory=dict)
    day_rate: int | None = None
    available: bool = True
    consenting: bool = True
    certifications: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Exclusion:
    """An eligible-looking candidate left out, and why: ``unavailable``,
    ``certification`` (with the missing ones), ``no_day_rate``."""

    member_id: str
    reasons: tuple[str, ...]
    missing_certifications: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shortfall:
    """A requirement no team can cover: it needs ``needed`` people, ``eligible`` qualify."""

    requirement: str
    skill: str
    min_level: int
    needed: int
    eligible: int

    @property
    def missing(self) -> int:
        return self.needed - self.eligible

    def text(self) -> str:
        return (f"{self.requirement}: {self.skill} at level {self.min_level} or more needs "
                f"{self.needed} {_people(self.needed)}, {self.eligible} eligible "
                f"{'candidate qualifies' if self.eligible == 1 else 'candidates qualify'}")


@dataclass(frozen=True)
class Team:
    """A team and what it covers. ``cost`` is the objective's value (people, or cents);
    ``day_rate_total`` the sum of the day rates in cents (None when one is unknown);
    ``by_requirement`` the members covering each requirement, ``by_member`` the
    requirements each member covers, ``missing`` the slots left unfilled per requirement
    (empty when the team covers the call)."""

    members: tuple[str, ...]
    cost: int
    day_rate_total: int | None
    by_requirement: dict[str, tuple[str, ...]]
    by_member: dict[str, tuple[str, ...]]
    missing: dict[str, int]

    @property
    def covers(self) -> bool:
        return not self.missing

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class TeamModel:
    """The set multicover of one call: the eligible candidates (in the order given), the
    requirements each qualifies for (``covers``, indices into ``requirements``), their
    costs under the objective, and the slots (requirement index, ordinal)."""

    requirements: tuple[Requirement, ...]
    candidates: tuple[Candidate, ...]
    covers: tuple[frozenset[int], ...]
    costs: tuple[int, ...]
    objective: Objective
    excluded: tuple[Exclusion, ...]
    withheld: int
    _index: dict[str, int] = field(repr=False, compare=False)
    _excluded_ids: frozenset[str] = field(repr=False, compare=False)

    @property
    def slots(self) -> tuple[tuple[int, int], ...]:
        """Each requirement expanded into the people it needs."""
        return tuple((r, k) for r, req in enumerate(self.requirements)
                     for k in range(req.people))

    @property
    def largest_cover(self) -> int:
        """*d*: the most requirements one candidate qualifies for (slots one can fill)."""
        return max((len(c) for c in self.covers), default=0)

    def index(self, member_id: str) -> int:
        return self._index[member_id]

    def qualified(self, r: int) -> tuple[int, ...]:
        """The candidates (indices) qualifying for requirement ``r``."""
        return tuple(j for j, cover in enumerate(self.covers) if r in cover)

    def cost(self, team: Iterable[int]) -> int:
        return sum(self.costs[j] for j in set(team))

    def covers_all(self, team: Iterable[int]) -> bool:
        """Whether the team (indices) covers every requirement, counting each member once
        per requirement."""
        chosen = set(team)
        need = [req.people for req in self.requirements]
        for j in chosen:
            for r in self.covers[j]:
                need[r] -= 1
        return all(n <= 0 for n in need)

    def shortfalls(self) -> tuple[Shortfall, ...]:
        """The requirements the eligible candidates cannot cover, in the call's order."""
        eligible = [0] * len(self.requirements)
        for cover in self.covers:
            for r in cover:
                eligible[r] += 1
        return tuple(Shortfall(req.code, req.skill, req.min_level, req.people, eligible[r])
                     for r, req in enumerate(self.requirements) if eligible[r] < req.people)


@dataclass(frozen=True)
class GreedyTeam:
    """The greedy's team, its guarantee and the lower bound on the optimum it gives.

    ``picked`` is the greedy's own team in the order it chose (cost ``picked_cost``);
    ``team`` is that team with its redundant members removed. ``factor`` is H(d):
    ``picked_cost <= factor x optimum``, so ``optimum >= optimum_at_least``
    (= ceil(picked_cost / H(d)))."""

    team: Team
    picked: tuple[str, ...]
    picked_cost: int
    d: int
    factor: Fraction
    optimum_at_least: int
    guarantee: str


def _people(n: int) -> str:
    return "person" if n == 1 else "people"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def harmonic(d: int) -> Fraction:
    """H(d) = 1 + 1/2 + ... + 1/d, exactly (H(0) = 0)."""
    return sum((Fraction(1, i) for i in range(1, d + 1)), Fraction(0))


def harmonic_text(d: int) -> str:
    """``H(3) = 1 + 1/2 + 1/3 = 11/6``, shortened past six terms."""
    h = harmonic(d)
    terms = ["1"] + [f"1/{i}" for i in range(2, d + 1)]
    if len(terms) > 6:
        terms = terms[:3] + ["..."] + terms[-1:]
    value = str(h.numerator) if h.denominator == 1 else f"{h.numerator}/{h.denominator}"
    return f"H({d}) = {' + '.join(terms) or '0'} = {value}"


def qualifies(candidate: Candidate, requirement: Requirement) -> bool:
    """Whether the candidate's level in the requirement's skill is at least its minimum
    and the candidate may use the requirement's certifications (eligibility aside)."""
    level = candidate.skills.get(requirement.skill)
    return (level is not None and level >= requirement.min_level
            and requirement.certifications <= candidate.certifications)


def _check_requirements(requirements: Sequence[Requirement]) -> None:
    if not requirements:
        raise RuleViolation("call.requirements", "a call needs at least one requirement",
                            ("requirements",))
    seen: set[str] = set()
    for i, req in enumerate(requirements):
        where = f"requirements[{i}]"
        if not isinstance(req.code, str) or not req.code.strip():
            raise RuleViolation("requirement.code", "a requirement needs a code",
                                (f"{where}.code",))
        if req.code in seen:
            raise RuleViolation("requirement.duplicate",
                                f"two requirements have the code {req.code!r}",
                                (f"{where}.code",))
        seen.add(req.code)
        if not isinstance(req.skill, str) or not req.skill.strip():
            raise RuleViolation("requirement.skill", f"{req.code}: a requirement names a skill",
                                (f"{where}.skill",))
        if not _is_int(req.min_level) or not 0 <= req.min_level <= MAX_LEVEL:
            raise RuleViolation("requirement.level",
                                f"{req.code}: the minimum level is an integer from 0 to "
                                f"{MAX_LEVEL}, not {req.min_level!r}", (f"{where}.min_level",))
        if not _is_int(req.people) or not 1 <= req.people <= MAX_PEOPLE:
            raise RuleViolation("requirement.people",
                                f"{req.code}: a requirement needs from 1 to {MAX_PEOPLE} "
                                f"people, not {req.people!r}", (f"{where}.people",))
        for cert in req.certifications:
            if not isinstance(cert, str) or not cert.strip():
                raise RuleViolation("call.certification", "a certification is named",
                                    (f"{where}.certifications",))


def _check_candidates(candidates: Sequence[Candidate]) -> None:
    seen: set[str] = set()
    for i, cand in enumerate(candidates):
        where = f"candidates[{i}]"
        if not isinstance(cand.member_id, str) or not cand.member_id.strip():
            raise RuleViolation("candidate.member", "a candidate needs a member id",
                                (f"{where}.member_id",))
        if cand.member_id in seen:
            raise RuleViolation("candidate.duplicate",
                                f"the member {cand.member_id} is a candidate twice",
                                (f"{where}.member_id",))
        seen.add(cand.member_id)
        for skill, level in cand.skills.items():
            if not _is_int(level) or not 0 <= level <= MAX_LEVEL:
                raise RuleViolation("candidate.level",
                                    f"{cand.member_id}: the level in {skill} is an integer "
                                    f"from 0 to {MAX_LEVEL}, not {level!r}",
                                    (f"{where}.skills",))
        if cand.day_rate is not None:
            check_cents(cand.day_rate, f"{where}.day_rate", minimum=0)


def build_model(requirements: Sequence[Requirement], candidates: Sequence[Candidate], *,
                objective: Objective | str = Objective.SIZE,
                certifications: Iterable[str] = ()) -> TeamModel:
    """The set multicover of a call: ``requirements``, the ``candidates`` (each member
    once), what the team minimises, and the ``certifications`` every member must be
    allowed to use. Refuses a malformed call or candidate (the rule codes above)."""
    try:
        objective = Objective(objective)
    except ValueError:
        raise RuleViolation("call.objective",
                            f"a team minimises 'size' or 'cost', not {objective!r}",
                            ("objective",)) from None
    required = frozenset(certifications)
    for cert in required:
        if not isinstance(cert, str) or not cert.strip():
            raise RuleViolation("call.certification", "a certification is named",
                                ("certifications",))
    requirements = tuple(requirements)
    candidates = tuple(candidates)
    _check_requirements(requirements)
    _check_candidates(candidates)

    kept: list[Candidate] = []
    excluded: list[Exclusion] = []
    withheld = 0
    for cand in candidates:
        if not cand.consenting:
            withheld += 1
            continue
        reasons: list[str] = []
        if not cand.available:
            reasons.append("unavailable")
        missing = tuple(sorted(required - cand.certifications))
        if missing:
            reasons.append("certification")
        if objective is Objective.COST and cand.day_rate is None:
            reasons.append("no_day_rate")
        if reasons:
            excluded.append(Exclusion(cand.member_id, tuple(reasons), missing))
        else:
            kept.append(cand)
    covers = tuple(frozenset(r for r, req in enumerate(requirements) if qualifies(cand, req))
                   for cand in kept)
    costs = tuple(1 if objective is Objective.SIZE else int(cand.day_rate or 0)
                  for cand in kept)
    return TeamModel(requirements, tuple(kept), covers, costs, objective, tuple(excluded),
                     withheld, {c.member_id: j for j, c in enumerate(kept)},
                     frozenset(e.member_id for e in excluded))


def require_coverable(model: TeamModel) -> None:
    """Refuses (``team.uncoverable``) a call some requirement of which no team can cover,
    naming each such requirement and its skill."""
    short = model.shortfalls()
    if short:
        raise RuleViolation(
            "team.uncoverable",
            "no team can cover " + "; ".join(s.text() for s in short),
            {f"requirements.{s.requirement}": s.text() for s in short})


def _assign(model: TeamModel, team: Sequence[int]) -> tuple[dict[str, tuple[str, ...]],
                                                             dict[str, tuple[str, ...]],
                                                             dict[str, int]]:
    """Which member covers which requirement: a maximum matching members x slots (each
    member one slot, found by augmenting paths), then the slots left given to members
    already holding another requirement, least loaded first, never twice on one
    requirement."""
    slots = model.slots
    slots_of: dict[int, list[int]] = {}
    for s, (r, _k) in enumerate(slots):
        slots_of.setdefault(r, []).append(s)
    adjacency = [[s for r in sorted(model.covers[j]) for s in slots_of.get(r, ())]
                 for j in team]
    owner = [-1] * len(slots)  # slot -> position in team

    for root in range(len(team)):
        seen: set[int] = set()
        stack = [(root, iter(adjacency[root]))]
        via: list[int] = []
        while stack:
            member, edges = stack[-1]
            for s in edges:
                if s in seen:
                    continue
                seen.add(s)
                via.append(s)
                if owner[s] == -1:
                    for (m, _), slot in zip(stack, via, strict=True):
                        owner[slot] = m
                    stack.clear()
                    break
                stack.append((owner[s], iter(adjacency[owner[s]])))
                break
            else:
                stack.pop()
                if via:
                    via.pop()

    on: list[set[int]] = [set() for _ in team]  # requirements each member holds
    for s, m in enumerate(owner):
        if m != -1:
            on[m].add(slots[s][0])
    missing: dict[str, int] = {}
    for s, (r, _k) in enumerate(slots):
        if owner[s] != -1:
            continue
        spare = [m for m in range(len(team)) if r in model.covers[team[m]] and r not in on[m]]
        if not spare:
            code = model.requirements[r].code
            missing[code] = missing.get(code, 0) + 1
            continue
        m = min(spare, key=lambda m: (len(on[m]), m))
        owner[s] = m
        on[m].add(r)

    ids = [model.candidates[j].member_id for j in team]
    by_requirement = {req.code: tuple(ids[owner[s]] for s in slots_of[r] if owner[s] != -1)
                      for r, req in enumerate(model.requirements)}
    by_member = {ids[m]: tuple(model.requirements[r].code for r in sorted(on[m]))
                 for m in range(len(team))}
    return by_requirement, by_member, missing


def team_of(model: TeamModel, team: Iterable[int]) -> Team:
    """The :class:`Team` of candidates given by their indices in the model."""
    chosen = sorted(set(team))
    by_requirement, by_member, missing = _assign(model, chosen)
    rates = [model.candidates[j].day_rate for j in chosen]
    return Team(tuple(model.candidates[j].member_id for j in chosen), model.cost(chosen),
                None if any(r is None for r in rates) else sum(r or 0 for r in rates),
                by_requirement, by_member, missing)


def check_team(model: TeamModel, members: Iterable[str]) -> Team:
    """The exact verifier of a team given by member ids: what it covers, who covers what,
    what is missing. Refuses a member who is not a candidate (``team.unknown_member``;
    a non-consenting member is not one), a candidate excluded from the call
    (``team.member_excluded``, with the reasons) or a member named twice."""
    indices: list[int] = []
    for i, member_id in enumerate(members):
        where = f"members[{i}]"
        if member_id in model._excluded_ids:
            reasons = next(e.reasons for e in model.excluded if e.member_id == member_id)
            raise RuleViolation("team.member_excluded",
                                f"{member_id} cannot be proposed to this call: "
                                f"{', '.join(reasons)}", (where,))
        if member_id not in model._index:
            raise RuleViolation("team.unknown_member",
                                f"{member_id} is not a candidate to this call", (where,))
        j = model._index[member_id]
        if j in indices:
            raise RuleViolation("team.duplicate_member", f"{member_id} is named twice",
                                (where,))
        indices.append(j)
    return team_of(model, indices)


def prune(model: TeamModel, team: Iterable[int]) -> tuple[int, ...]:
    """The team without its redundant members: each member, the costliest first (then the
    last chosen first), leaves when the others still cover every requirement. The cost
    never grows; a team that covers still covers."""
    chosen = list(dict.fromkeys(team))
    if not model.covers_all(chosen):
        return tuple(sorted(chosen))
    order = sorted(range(len(chosen)), key=lambda p: (-model.costs[chosen[p]], -p))
    keep = set(chosen)
    for p in order:
        j = chosen[p]
        if model.covers_all(keep - {j}):
            keep.discard(j)
    return tuple(sorted(keep))


def greedy(model: TeamModel) -> GreedyTeam:
    """The greedy team: each step adds the candidate with the lowest cost per slot it
    newly fills (ties: more slots, then the candidate given first), until every
    requirement is covered; then :func:`prune`. Refuses an uncoverable call
    (``team.uncoverable``)."""
    require_coverable(model)
    need = [req.people for req in model.requirements]
    left = sum(need)
    chosen: list[int] = []
    taken = [False] * len(model.candidates)
    while left > 0:
        best = -1
        best_cost, best_new = 0, 0
        for j, cover in enumerate(model.covers):
            if taken[j]:
                continue
            new = sum(1 for r in cover if need[r] > 0)
            if new == 0:
                continue
            cost = model.costs[j]
            # cost/new < best_cost/best_new, in integers; ties: more slots
            if (best < 0 or cost * best_new < best_cost * new
                    or (cost * best_new == best_cost * new and new > best_new)):
                best, best_cost, best_new = j, cost, new
        if best < 0:  # cannot happen once require_coverable passed
            raise RuntimeError("greedy: uncovered slots and no candidate")
        taken[best] = True
        chosen.append(best)
        for r in model.covers[best]:
            if need[r] > 0:
                need[r] -= 1
                left -= 1
    picked_cost = model.cost(chosen)
    d = model.largest_cover
    factor = harmonic(d)
    at_least = math.ceil(Fraction(picked_cost) / factor) if factor else 0
    team = team_of(model, prune(model, chosen))
    guarantee = (f"greedy (lowest cost per newly filled slot): cost {picked_cost} <= H(d) x "
                 f"optimum, d = {d} (the most requirements one candidate takes), "
                 f"{harmonic_text(d)}; so the optimum is at least {at_least}"
                 + (f"; redundant members removed: cost {team.cost}"
                    if team.cost != picked_cost or team.size != len(chosen) else ""))
    return GreedyTeam(team, tuple(model.candidates[j].member_id for j in chosen), picked_cost,
                      d, factor, at_least, guarantee)
