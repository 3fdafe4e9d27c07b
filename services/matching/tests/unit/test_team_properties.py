"""Property: on random small calls, the solver's optimum equals brute force, the
alternatives are the cheapest minimal teams in order, the greedy is within its H(d)
guarantee, and every team returned covers every requirement, each slot by a different
qualified member.

The brute force decides eligibility, qualification and coverage itself, from the
definitions in the domain's docstring, without the model's helpers.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cae_matching.adapters.solver import propose
from cae_matching.domain.teams import Candidate, Objective, Requirement, build_model

SKILLS = ["s0", "s1", "s2"]
ALTERNATIVES = 3


@st.composite
def calls(draw):
    """Calls of 1-4 requirements and 3-8 candidates, most of them coverable: levels 0-3,
    a certification now and then, one candidate in eight away, one in eight not
    consenting."""
    some = st.sampled_from
    requirements = [
        Requirement(f"r{i}", draw(some(SKILLS)), draw(some([1, 1, 2])), draw(some([1, 1, 2])),
                    draw(some([frozenset()] * 4 + [frozenset({"rge"})])))
        for i in range(draw(st.integers(1, 4)))]
    candidates = []
    for j in range(draw(st.integers(3, 8))):
        skills = draw(st.dictionaries(some(SKILLS), some([0, 1, 2, 3, 3]), min_size=1,
                                      max_size=3))
        candidates.append(Candidate(
            f"m{j}", draw(some(["oxalis", "coopaname"])), skills,
            day_rate=draw(st.integers(1, 90)) * 1000,
            available=draw(some([True] * 7 + [False])),
            consenting=draw(some([True] * 7 + [False])),
            certifications=draw(some([frozenset(), frozenset({"rge", "qualiopi"}),
                                      frozenset({"rge", "qualiopi"}), frozenset({"rge"})]))))
    objective = draw(some(list(Objective)))
    certifications = draw(some([(), (), ("qualiopi",)]))
    return requirements, candidates, objective, certifications


def first_principles(requirements, candidates, objective, certifications):
    """Eligible members, who qualifies for what, every cover's cost."""
    eligible = [c for c in candidates
                if c.available and c.consenting and set(certifications) <= c.certifications]

    def qualifies(c, req):
        return c.skills.get(req.skill, -1) >= req.min_level and req.certifications <= c.certifications

    def cost(team):
        return len(team) if objective is Objective.SIZE else sum(c.day_rate for c in team)

    def covers(team):
        return all(sum(1 for c in team if qualifies(c, req)) >= req.people
                   for req in requirements)

    covering = [frozenset(c.member_id for c in team)
                for k in range(len(eligible) + 1) for team in combinations(eligible, k)
                if covers(team)]
    minimal = [t for t in covering if not any(o < t for o in covering)]
    by_id = {c.member_id: c for c in eligible}
    costs = sorted(cost([by_id[m] for m in t]) for t in minimal)
    largest = max((sum(1 for req in requirements if qualifies(c, req)) for c in eligible),
                  default=0)
    short = [req.code for req in requirements
             if sum(1 for c in eligible if qualifies(c, req)) < req.people]
    return by_id, qualifies, costs, largest, short


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls())
def test_the_solver_agrees_with_brute_force(call):
    requirements, candidates, objective, certifications = call
    by_id, qualifies, costs, largest, short = first_principles(*call)
    model = build_model(requirements, candidates, objective=objective,
                        certifications=certifications)
    proposal = propose(model, alternatives=ALTERNATIVES, time_limit=10)

    event("no team" if short else f"{min(len(costs), ALTERNATIVES)} team(s)")
    if short:
        assert proposal.teams == ()
        assert [s.requirement for s in proposal.uncovered] == short
        return
    assert proposal.uncovered == ()
    # the k-th team is the k-th cheapest minimal team, proven, and none contains another
    assert [t.cost for t in proposal.teams] == costs[:ALTERNATIVES]
    assert all(t.proven_optimal and t.gap == 0 and t.lower_bound == t.cost
               for t in proposal.teams)
    sets = [set(t.members) for t in proposal.teams]
    assert all(not a <= b for i, a in enumerate(sets) for j, b in enumerate(sets) if i != j)

    for proposed in proposal.teams:
        team = proposed.team
        assert team.covers and team.missing == {}
        for req in requirements:
            holders = team.by_requirement[req.code]
            assert len(holders) == req.people == len(set(holders))
            assert all(m in team.members and qualifies(by_id[m], req) for m in holders)
        assert {m: tuple(sorted(r)) for m, r in team.by_member.items()} == {
            m: tuple(sorted(req.code for req in requirements
                            if m in team.by_requirement[req.code]))
            for m in team.members}

    g = proposal.greedy
    optimum = costs[0]
    event("greedy optimal" if g.team.cost == optimum else "greedy above the optimum")
    assert g.d == largest
    assert g.team.cost <= g.picked_cost <= g.factor * optimum
    assert g.factor == sum((Fraction(1, i) for i in range(1, largest + 1)), Fraction(0))
    assert g.optimum_at_least <= optimum
    assert g.team.covers
