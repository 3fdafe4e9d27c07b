"""The exact team solver: the set multicover of :mod:`cae_matching.domain.teams` as an
integer program, solved by HiGHS (``highspy``) within a time limit.

The program: minimise ``sum(cost_j x_j)`` subject to, for each requirement *r* needing
*k_r* people, ``sum(x_j for j qualifying for r) >= k_r``, each ``x_j`` in {0, 1}. HiGHS
runs with ``mip_rel_gap = 0``: "optimal" means proven (its default, 1e-4, would stop
up to 0.01 % above the optimum, a hundred euros on a million cents).

Each solve returns a team with:

* ``proven_optimal``: the lower bound reached the team's cost;
* ``lower_bound``: the best proven bound on the optimum, an integer since costs are
  integers: HiGHS's MIP dual bound rounded up, and at least the greedy's
  ``ceil(greedy cost / H(d))``;
* ``gap``: ``(cost - lower_bound) / cost``, an exact Fraction (0 when proven);
* past the time limit, the cheaper of the solver's incumbent and the greedy's team
  (which is also given to HiGHS as its starting solution; at equal cost the greedy's,
  ``source = "greedy"``), with the greedy's guarantee.

Alternatives (:func:`propose`): the optimum, then each next team is the cheapest one that
does not contain a team already proposed, a no-good cut ``sum(x_j for j in T) <= |T| - 1``
(at least one of its members replaced, not merely joined by another: a team with one
person added is not an alternative). When every solve is proven, the *k*-th team is a
cheapest team among those that contain no other proposed team, and each has no redundant
member; they are listed by cost.

HiGHS's call is blocking native code: a nameko worker should run it in a real thread
(``eventlet.tpool``) so the hub keeps serving while it runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import highspy

from cae_matching.domain.teams import (
    GreedyTeam,
    Objective,
    Shortfall,
    Team,
    TeamModel,
    prune,
    team_of,
)
from cae_matching.domain.teams import greedy as greedy_team
from caekit.rules import RuleViolation

__all__ = ["DEFAULT_TIME_LIMIT", "MAX_ALTERNATIVES", "Proposal", "ProposedTeam", "propose",
           "solve"]

DEFAULT_TIME_LIMIT = 10.0
MAX_TIME_LIMIT = 600.0
MAX_ALTERNATIVES = 20


@dataclass(frozen=True)
class ProposedTeam:
    """One proposed team. ``source`` is ``"highs"`` (the solver's team) or ``"greedy"``;
    ``guarantee`` the greedy's statement when the team is not proven optimal;
    ``status`` HiGHS's model status; ``seconds`` the solve's wall time."""

    rank: int
    team: Team
    proven_optimal: bool
    lower_bound: int
    gap: Fraction
    source: str
    guarantee: str | None
    status: str
    seconds: float

    @property
    def cost(self) -> int:
        return self.team.cost

    @property
    def members(self) -> tuple[str, ...]:
        return self.team.members


@dataclass(frozen=True)
class Proposal:
    """The ranked teams of a call, or, when none exists, the requirements no team can
    cover (``uncovered``, each named with its skill). ``greedy`` is the greedy's team
    over the whole call, for comparison."""

    objective: Objective
    teams: tuple[ProposedTeam, ...]
    uncovered: tuple[Shortfall, ...]
    greedy: GreedyTeam | None
    time_limit: float


@dataclass(frozen=True)
class _Outcome:
    team: tuple[int, ...] | None
    dual_bound: float
    proven: bool
    infeasible: bool
    status: str


def _check_time_limit(time_limit: float) -> float:
    if (isinstance(time_limit, bool) or not isinstance(time_limit, int | float)
            or not 0 < time_limit <= MAX_TIME_LIMIT):
        raise RuleViolation("proposal.time_limit",
                            f"a time limit is more than 0 and at most {MAX_TIME_LIMIT:g} "
                            f"seconds, not {time_limit!r}", ("time_limit",))
    return float(time_limit)


def _run_highs(model: TeamModel, cuts: Sequence[tuple[int, ...]], time_limit: float,
               start: tuple[int, ...] | None) -> _Outcome:
    n = len(model.candidates)
    rows: list[list[int]] = [list(model.qualified(r)) for r in range(len(model.requirements))]
    lower = [float(req.people) for req in model.requirements]
    upper = [highspy.kHighsInf] * len(rows)
    for cut in cuts:
        rows.append(list(cut))
        lower.append(-highspy.kHighsInf)
        upper.append(float(len(cut) - 1))
    starts = [0]
    index: list[int] = []
    for row in rows:
        index.extend(row)
        starts.append(len(index))

    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(rows)
    lp.col_cost_ = [float(c) for c in model.costs]  # integers, exact in a double
    lp.col_lower_ = [0.0] * n
    lp.col_upper_ = [1.0] * n
    lp.row_lower_ = lower
    lp.row_upper_ = upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = [1.0] * len(index)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", time_limit)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        chosen = set(start)
        solution.col_value = [1.0 if j in chosen else 0.0 for j in range(n)]
        solution.value_valid = True
        h.setSolution(solution)
    h.run()
    status = h.getModelStatus()
    text = h.modelStatusToString(status)
    info = h.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        return _Outcome(None, math.inf, True, True, text)
    team: tuple[int, ...] | None = None
    if info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible.value:
        values = h.getSolution().col_value
        team = tuple(j for j in range(n) if values[j] > 0.5)
    return _Outcome(team, float(info.mip_dual_bound),
                    status == highspy.HighsModelStatus.kOptimal, False, text)


def _contains_a_cut(team: Sequence[int], cuts: Sequence[tuple[int, ...]]) -> bool:
    chosen = set(team)
    return any(set(cut) <= chosen for cut in cuts)


def solve(model: TeamModel, *, time_limit: float = DEFAULT_TIME_LIMIT,
          exclude: Sequence[Sequence[str]] = (), greedy: GreedyTeam | None = None,
          rank: int = 1) -> ProposedTeam | None:
    """The cheapest team of ``model`` containing none of the teams in ``exclude`` (member
    ids), within ``time_limit`` seconds; None when there is none. ``greedy`` is the
    greedy's team (computed when not given): HiGHS's starting solution, the fallback past
    the time limit, and a lower bound. Refuses an uncoverable call (``team.uncoverable``)."""
    time_limit = _check_time_limit(time_limit)
    if greedy is None:
        greedy = greedy_team(model)
    cuts = [tuple(sorted(model.index(m) for m in team)) for team in exclude]
    greedy_indices = tuple(model.index(m) for m in greedy.team.members)
    greedy_fits = not _contains_a_cut(greedy_indices, cuts)

    began = time.perf_counter()
    outcome = _run_highs(model, cuts, time_limit, greedy_indices if greedy_fits else None)
    seconds = time.perf_counter() - began
    if outcome.infeasible:
        return None

    # (cost, order, team, source): at equal cost the greedy's team, the solver's start
    options: list[tuple[int, int, tuple[int, ...], str]] = []
    if greedy_fits:
        options.append((greedy.team.cost, 0, greedy_indices, "greedy"))
    if outcome.team is not None and model.covers_all(outcome.team):
        found = prune(model, outcome.team)
        options.append((model.cost(found), 1, found, "highs"))
    if not options:  # no incumbent in time, and the greedy's team is excluded
        return None
    cost, _, chosen, source = min(options)

    bound = outcome.dual_bound
    solver_bound = (0 if not math.isfinite(bound)
                    else math.ceil(bound - 1e-6 * max(1.0, abs(bound))))
    if outcome.proven and outcome.team is not None:
        solver_bound = model.cost(outcome.team)  # the proven optimum
    lower_bound = min(cost, max(0, solver_bound, greedy.optimum_at_least))
    proven = lower_bound >= cost
    gap = Fraction(0) if cost == 0 else Fraction(cost - lower_bound, cost)
    return ProposedTeam(rank, team_of(model, chosen), proven, lower_bound, gap, source,
                        None if proven else greedy.guarantee, outcome.status, seconds)


def propose(model: TeamModel, *, alternatives: int = 3,
            time_limit: float = DEFAULT_TIME_LIMIT) -> Proposal:
    """Up to ``alternatives`` teams for the call, ranked by cost: the optimum, then the
    next best containing no team already proposed; each solve within ``time_limit``
    seconds. When some requirement cannot be covered, no team and the requirements named."""
    if (isinstance(alternatives, bool) or not isinstance(alternatives, int)
            or not 1 <= alternatives <= MAX_ALTERNATIVES):
        raise RuleViolation("proposal.alternatives",
                            f"from 1 to {MAX_ALTERNATIVES} alternatives, not {alternatives!r}",
                            ("alternatives",))
    time_limit = _check_time_limit(time_limit)
    uncovered = model.shortfalls()
    if uncovered:
        return Proposal(model.objective, (), uncovered, None, time_limit)
    greedy = greedy_team(model)
    found: list[ProposedTeam] = []
    for rank in range(1, alternatives + 1):
        result = solve(model, time_limit=time_limit, greedy=greedy, rank=rank,
                       exclude=[t.members for t in found])
        if result is None:
            break
        found.append(result)
    ranked = sorted(found, key=lambda t: (t.cost, t.rank))
    teams = tuple(ProposedTeam(i, t.team, t.proven_optimal, t.lower_bound, t.gap, t.source,
                               t.guarantee, t.status, t.seconds)
                  for i, t in enumerate(ranked, start=1))
    return Proposal(model.objective, teams, (), greedy, time_limit)
