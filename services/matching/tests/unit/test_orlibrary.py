"""The team solver against published optima: OR-Library's set-cover instances 4.1 to 4.10
(tests/data/or-library-scp4, its README names the source).

Each row is a requirement needing one person, each column a candidate qualifying for the
rows that list it, its cost the column's cost (or 1: unicost).

* Their own costs: solved and proven within ``PROVEN_LIMIT`` seconds each (0.03 to 0.1 s
  here), equal to the published optimum.
* Unicost: not provable quickly (HiGHS proved none within 120 s); each is given
  ``UNICOST_LIMIT`` seconds: the team covers every row, its size is at least the lower
  bound HiGHS reached in 120 s (the data's README), the bound reported is at most the
  best size known there, the gap is (size - bound) / size, and the greedy's team is
  never better than the solver's and within its H(d) guarantee of it.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from cae_matching.adapters.solver import solve
from cae_matching.domain.teams import (
    Candidate,
    Objective,
    Requirement,
    TeamModel,
    build_model,
    greedy,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "or-library-scp4"
PROVEN_LIMIT = 30.0  # seconds for each instance with its own costs
UNICOST_LIMIT = 1.0  # seconds for each unicost instance: 10 x 1 s

OPTIMA = {"scp41": 429, "scp42": 512, "scp43": 516, "scp44": 494, "scp45": 512,
          "scp46": 560, "scp47": 430, "scp48": 492, "scp49": 641, "scp410": 514}
# unicost, from the data's README: (best size found, lower bound) after 120 s of HiGHS
UNICOST = {"scp41": (39, 34), "scp42": (37, 33), "scp43": (39, 34), "scp44": (39, 35),
           "scp45": (39, 34), "scp46": (38, 34), "scp47": (39, 34), "scp48": (38, 33),
           "scp49": (39, 34), "scp410": (39, 35)}


def load(name: str, objective: Objective) -> TeamModel:
    numbers = iter(int(t) for t in (DATA / f"{name}.txt").read_text().split())
    rows, columns = next(numbers), next(numbers)
    costs = [next(numbers) for _ in range(columns)]
    skills: list[dict[str, int]] = [{} for _ in range(columns)]
    requirements = []
    for i in range(1, rows + 1):
        for _ in range(next(numbers)):
            skills[next(numbers) - 1][f"row-{i}"] = 1
        requirements.append(Requirement(f"r{i}", f"row-{i}"))
    assert next(numbers, None) is None, "trailing numbers"
    candidates = [Candidate(f"c{j + 1}", "or-library", skills[j], day_rate=costs[j])
                  for j in range(columns)]
    return build_model(requirements, candidates, objective=objective)


def test_the_files_are_the_published_ones():
    for name in OPTIMA:
        model = load(name, Objective.COST)
        assert (len(model.requirements), len(model.candidates)) == (200, 1000)
        assert 1 <= min(model.costs) and max(model.costs) <= 100
    assert "Balas and Ho" in (DATA / "README.orlib").read_text()


@pytest.mark.parametrize("name", list(OPTIMA))
def test_own_costs_solved_to_the_published_optimum_and_proven(name):
    model = load(name, Objective.COST)
    result = solve(model, time_limit=PROVEN_LIMIT)
    assert result.cost == OPTIMA[name]
    assert result.proven_optimal and result.lower_bound == OPTIMA[name] and result.gap == 0
    assert result.team.covers and model.covers_all(model.index(m) for m in result.members)
    g = greedy(model)
    assert OPTIMA[name] <= g.team.cost <= g.picked_cost <= g.factor * OPTIMA[name]


@pytest.mark.parametrize("name", list(UNICOST))
def test_unicost_best_team_within_the_time_limit_with_its_gap(name):
    best_known, bound_known = UNICOST[name]
    model = load(name, Objective.SIZE)
    g = greedy(model)
    result = solve(model, time_limit=UNICOST_LIMIT, greedy=g)

    assert result.team.covers and model.covers_all(model.index(m) for m in result.members)
    assert result.cost == result.team.size >= bound_known
    assert 0 < result.lower_bound <= best_known
    assert result.lower_bound >= g.optimum_at_least  # never below the greedy's own bound
    assert result.gap == Fraction(result.cost - result.lower_bound, result.cost)
    assert result.proven_optimal == (result.gap == 0)
    if not result.proven_optimal:
        assert result.guarantee == g.guarantee  # the greedy's guarantee stated with it
    # the greedy's team vs the best found: never better, within H(d) of the optimum
    assert result.cost <= g.team.cost <= g.picked_cost <= g.factor * result.cost


def test_past_a_tiny_time_limit_the_greedy_team_at_worst_with_its_guarantee():
    model = load("scp41", Objective.SIZE)
    g = greedy(model)
    result = solve(model, time_limit=0.001, greedy=g)
    assert result.team.covers and result.cost <= g.team.cost
    assert not result.proven_optimal and result.guarantee == g.guarantee
    assert g.optimum_at_least <= result.lower_bound < result.cost
    assert result.gap == Fraction(result.cost - result.lower_bound, result.cost)
    assert "H(d)" in g.guarantee and f"at least {g.optimum_at_least}" in g.guarantee
