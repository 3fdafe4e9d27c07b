"""Team proposals with numbers known by hand: the optimum where the greedy is not optimal,
a call no team can cover, availability, consent and certifications leaving people out,
alternatives ranked, and who covers what."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cae_matching.adapters.solver import propose, solve
from cae_matching.domain.teams import (
    Candidate,
    Objective,
    Requirement,
    build_model,
    check_team,
    greedy,
    harmonic,
    harmonic_text,
    require_coverable,
)
from caekit.rules import RuleViolation

AUDIT = "http://data.europa.eu/esco/skill/audit-energy"  # illustrative concept keys
ELEC = "http://data.europa.eu/esco/skill/electrical-wiring"
INSUL = "http://data.europa.eu/esco/skill/install-insulation"
TRAIN = "http://data.europa.eu/esco/skill/train-adults"


def renovation_call():
    """An energy renovation: an audit, the electrics, and insulation by two people.

    At day rates (cents) the greedy first takes Zoé, who alone covers three slots at
    600 EUR (200 EUR a slot, against 250 for Xavier or Yasmine), then the cheapest for
    the insulation slot left, Wassim at 450 EUR: 1,050 EUR. Xavier and Yasmine cover
    everything for 1,000 EUR, the optimum (Zoé with either of them: 1,100 EUR).
    """
    requirements = [
        Requirement("audit", AUDIT, min_level=2),
        Requirement("electrics", ELEC, min_level=2),
        Requirement("insulation", INSUL, min_level=2, people=2),
    ]
    candidates = [
        Candidate("xavier", "oxalis", {AUDIT: 3, INSUL: 2}, day_rate=50_000),
        Candidate("yasmine", "oxalis", {ELEC: 3, INSUL: 2}, day_rate=50_000),
        Candidate("zoe", "oxalis", {AUDIT: 3, ELEC: 2, INSUL: 4}, day_rate=60_000),
        Candidate("wassim", "coopaname", {INSUL: 3}, day_rate=45_000),
    ]
    return requirements, candidates


def test_the_optimum_at_day_rates_beats_the_greedy_known_by_hand():
    requirements, candidates = renovation_call()
    model = build_model(requirements, candidates, objective=Objective.COST)

    g = greedy(model)
    assert g.picked == ("zoe", "wassim")
    assert g.picked_cost == g.team.cost == 105_000  # 1,050 EUR
    assert g.d == 3 and g.factor == Fraction(11, 6)
    assert g.picked_cost <= g.factor * 100_000  # the guarantee holds: 1,050 <= 11/6 x 1,000
    assert g.optimum_at_least == 57_273  # ceil(105,000 x 6/11)
    assert "H(3) = 1 + 1/2 + 1/3 = 11/6" in g.guarantee

    best = solve(model, time_limit=5)
    assert best.members == ("xavier", "yasmine")
    assert best.cost == best.team.day_rate_total == 100_000  # 1,000 EUR < 1,050 EUR
    assert best.proven_optimal and best.lower_bound == 100_000 and best.gap == 0
    assert best.guarantee is None and best.source == "highs"
    assert best.team.by_requirement == {"audit": ("xavier",), "electrics": ("yasmine",),
                                        "insulation": ("xavier", "yasmine")}
    assert best.team.by_member == {"xavier": ("audit", "insulation"),
                                   "yasmine": ("electrics", "insulation")}


def test_the_smallest_team_beats_the_greedy_known_by_hand():
    """Fourteen tasks; Anna can do 1-7, Basile 8-14: two people. The greedy takes Chloé
    first (eight tasks: 1-4 and 8-11, more than seven), then Dan (5, 6, 12, 13: four,
    more than Anna's or Basile's three left), then Eve (7 and 14): three people, none
    redundant."""
    tasks = [Requirement(f"t{i}", f"skill-{i}") for i in range(1, 15)]

    def doing(*numbers):
        return {f"skill-{i}": 1 for i in numbers}

    candidates = [
        Candidate("anna", "oxalis", doing(*range(1, 8))),
        Candidate("basile", "oxalis", doing(*range(8, 15))),
        Candidate("chloe", "oxalis", doing(1, 2, 3, 4, 8, 9, 10, 11)),
        Candidate("dan", "oxalis", doing(5, 6, 12, 13)),
        Candidate("eve", "oxalis", doing(7, 14)),
    ]
    model = build_model(tasks, candidates)  # the smallest team
    g = greedy(model)
    assert g.picked == ("chloe", "dan", "eve") and g.team.size == g.picked_cost == 3
    assert g.d == 8 and g.factor == Fraction(761, 280)

    best = solve(model, time_limit=5)
    assert best.members == ("anna", "basile") and best.cost == 2 and best.proven_optimal
    assert best.team.by_member == {"anna": tuple(f"t{i}" for i in range(1, 8)),
                                   "basile": tuple(f"t{i}" for i in range(8, 15))}


def test_a_call_no_team_can_cover_names_the_missing_skills():
    requirements, candidates = renovation_call()
    requirements += [Requirement("training", TRAIN, min_level=1),
                     Requirement("senior-audit", AUDIT, min_level=3, people=3)]
    model = build_model(requirements, candidates, objective=Objective.COST)

    short = {s.requirement: s for s in model.shortfalls()}
    assert set(short) == {"training", "senior-audit"}
    assert (short["training"].skill, short["training"].needed,
            short["training"].eligible, short["training"].missing) == (TRAIN, 1, 0, 1)
    assert (short["senior-audit"].skill, short["senior-audit"].needed,
            short["senior-audit"].eligible) == (AUDIT, 3, 2)  # Xavier and Zoé

    proposal = propose(model, time_limit=5)
    assert proposal.teams == () and proposal.greedy is None
    assert [s.requirement for s in proposal.uncovered] == ["training", "senior-audit"]

    with pytest.raises(RuleViolation) as refused:
        require_coverable(model)
    assert refused.value.rule == "team.uncoverable"
    assert set(refused.value.fields) == {"requirements.training", "requirements.senior-audit"}
    assert TRAIN in refused.value.message and "needs 3 people, 2 eligible" in refused.value.message
    with pytest.raises(RuleViolation, match="team.uncoverable"):
        greedy(model)


def test_unavailable_and_non_consenting_people_are_left_out():
    requirements, candidates = renovation_call()
    # Xavier is away over the call's period; Yasmine did not consent to the network
    candidates[0] = Candidate("xavier", "oxalis", {AUDIT: 3, INSUL: 2}, 50_000, available=False)
    candidates[1] = Candidate("yasmine", "other", {ELEC: 3, INSUL: 2}, 50_000, consenting=False)
    model = build_model(requirements, candidates, objective=Objective.COST)

    assert [c.member_id for c in model.candidates] == ["zoe", "wassim"]
    assert [(e.member_id, e.reasons) for e in model.excluded] == [("xavier", ("unavailable",))]
    assert model.withheld == 1  # Yasmine: not even named among the excluded
    proposal = propose(model, alternatives=3, time_limit=5)
    assert [t.members for t in proposal.teams] == [("zoe", "wassim")]  # the only team left
    assert proposal.teams[0].cost == 105_000 and proposal.teams[0].proven_optimal

    with pytest.raises(RuleViolation) as refused:
        check_team(model, ["zoe", "xavier"])
    assert refused.value.rule == "team.member_excluded" and "unavailable" in refused.value.message
    with pytest.raises(RuleViolation) as refused:
        check_team(model, ["zoe", "yasmine"])
    assert refused.value.rule == "team.unknown_member"


def test_a_required_certification_leaves_out_those_not_allowed_to_use_it():
    requirements, candidates = renovation_call()
    allowed = frozenset({"RGE"})
    candidates = [Candidate(c.member_id, c.cooperative, c.skills, c.day_rate,
                            certifications=allowed if c.member_id != "xavier" else frozenset())
                  for c in candidates]
    model = build_model(requirements, candidates, objective=Objective.COST,
                        certifications=["RGE"])
    assert [(e.member_id, e.reasons, e.missing_certifications) for e in model.excluded] == [
        ("xavier", ("certification",), ("RGE",))]
    best = solve(model, time_limit=5)
    assert best.members == ("zoe", "wassim")  # 1,050 EUR: Xavier and Yasmine no longer
    assert best.cost == 105_000 and best.proven_optimal

    # a certification on one requirement only: Qualiopi to train, nobody else needs it
    requirements = [Requirement("audit", AUDIT, 2),
                    Requirement("training", TRAIN, 1, certifications=frozenset({"Qualiopi"}))]
    candidates = [
        Candidate("ines", "oxalis", {AUDIT: 3, TRAIN: 4}),  # may not use Qualiopi
        Candidate("jules", "oxalis", {TRAIN: 2}, certifications=frozenset({"Qualiopi"})),
    ]
    model = build_model(requirements, candidates)
    assert model.covers == (frozenset({0}), frozenset({1}))
    best = solve(model, time_limit=5)
    assert best.members == ("ines", "jules")
    assert best.team.by_requirement == {"audit": ("ines",), "training": ("jules",)}


def test_alternatives_are_ranked_and_none_contains_another():
    requirements, candidates = renovation_call()
    model = build_model(requirements, candidates, objective=Objective.COST)
    proposal = propose(model, alternatives=5, time_limit=5)

    assert [t.rank for t in proposal.teams] == [1, 2, 3, 4]  # only four minimal teams exist
    assert [(t.members, t.cost) for t in proposal.teams[:2]] == [
        (("xavier", "yasmine"), 100_000), (("zoe", "wassim"), 105_000)]
    assert [t.cost for t in proposal.teams[2:]] == [110_000, 110_000]  # Zoé with X or Y
    assert {t.members for t in proposal.teams[2:]} == {("xavier", "zoe"), ("yasmine", "zoe")}
    assert all(t.proven_optimal and t.gap == 0 for t in proposal.teams)
    teams = [set(t.members) for t in proposal.teams]
    assert all(not a <= b for i, a in enumerate(teams) for j, b in enumerate(teams) if i != j)
    assert all(t.team.covers for t in proposal.teams)
    assert proposal.greedy is not None and proposal.greedy.team.cost == 105_000

    # the smallest team: Zoé with anyone, or Xavier with Yasmine: 2 people each
    proposal = propose(build_model(requirements, candidates), alternatives=5, time_limit=5)
    assert [t.cost for t in proposal.teams] == [2, 2, 2, 2]
    assert {frozenset(t.members) for t in proposal.teams} == {
        frozenset(p) for p in [("xavier", "yasmine"), ("zoe", "wassim"), ("zoe", "xavier"),
                               ("zoe", "yasmine")]}


def test_the_assignment_says_who_covers_what_and_what_is_missing():
    requirements, candidates = renovation_call()
    model = build_model(requirements, candidates, objective=Objective.COST)

    # Zoé and Wassim: Wassim holds insulation, Zoé the audit, the electrics and the
    # second insulation slot (nobody else can): two people on insulation, never one twice
    team = check_team(model, ["zoe", "wassim"])
    assert team.covers and team.members == ("zoe", "wassim")
    assert team.by_requirement["insulation"] in {("zoe", "wassim"), ("wassim", "zoe")}
    assert set(team.by_member["zoe"]) == {"audit", "electrics", "insulation"}
    assert team.by_member["wassim"] == ("insulation",)

    # a maximum matching first: each member gets a role of their own when possible
    team = check_team(model, ["xavier", "yasmine", "wassim"])
    assert all(team.by_member[m] for m in team.members)
    assert sorted(len(v) for v in team.by_requirement.values()) == [1, 1, 2]

    # a team short of people: what is missing, per requirement
    team = check_team(model, ["xavier", "wassim"])
    assert not team.covers and team.missing == {"electrics": 1}
    team = check_team(model, ["wassim"])
    assert team.missing == {"audit": 1, "electrics": 1, "insulation": 1}

    with pytest.raises(RuleViolation, match="team.duplicate_member"):
        check_team(model, ["zoe", "zoe"])
    with pytest.raises(RuleViolation, match="team.unknown_member"):
        check_team(model, ["nobody"])


def test_at_day_rates_a_candidate_without_a_rate_is_left_out():
    requirements, candidates = renovation_call()
    candidates.append(Candidate("victor", "oxalis", {AUDIT: 5, ELEC: 5, INSUL: 5}))
    at_rates = build_model(requirements, candidates, objective="cost")
    assert [(e.member_id, e.reasons) for e in at_rates.excluded] == [("victor", ("no_day_rate",))]
    by_size = build_model(requirements, candidates)
    assert by_size.excluded == () and by_size.index("victor") == 4
    assert solve(by_size, time_limit=5).cost == 2  # e.g. Victor and anyone who insulates
    team = check_team(by_size, ["victor", "wassim"])
    assert team.covers and team.cost == 2 and team.day_rate_total is None


def test_harmonic_numbers_exactly():
    assert harmonic(1) == 1 and harmonic(2) == Fraction(3, 2)
    assert harmonic(3) == Fraction(11, 6) and harmonic(4) == Fraction(25, 12)
    assert harmonic_text(12) == "H(12) = 1 + 1/2 + 1/3 + ... + 1/12 = 86021/27720"


@pytest.mark.parametrize(("change", "rule"), [
    (lambda r, c: ([], c), "call.requirements"),
    (lambda r, c: (r + [Requirement("audit", AUDIT)], c), "requirement.duplicate"),
    (lambda r, c: ([Requirement("", AUDIT)], c), "requirement.code"),
    (lambda r, c: ([Requirement("a", " ")], c), "requirement.skill"),
    (lambda r, c: ([Requirement("a", AUDIT, people=0)], c), "requirement.people"),
    (lambda r, c: ([Requirement("a", AUDIT, min_level=-1)], c), "requirement.level"),
    (lambda r, c: (r, c + [c[0]]), "candidate.duplicate"),
    (lambda r, c: (r, [Candidate("", "oxalis")]), "candidate.member"),
    (lambda r, c: (r, [Candidate("a", "oxalis", {AUDIT: 2.5})]), "candidate.level"),
    (lambda r, c: (r, [Candidate("a", "oxalis", {AUDIT: 2}, 450.0)]), "amount.out_of_range"),
    (lambda r, c: (r, [Candidate("a", "oxalis", {AUDIT: 2}, -1)]), "amount.out_of_range"),
])
def test_malformed_calls_and_candidates_are_refused(change, rule):
    requirements, candidates = change(*renovation_call())
    with pytest.raises(RuleViolation) as refused:
        build_model(requirements, candidates)
    assert refused.value.rule == rule


def test_malformed_proposals_are_refused():
    requirements, candidates = renovation_call()
    with pytest.raises(RuleViolation, match="call.objective"):
        build_model(requirements, candidates, objective="fastest")
    model = build_model(requirements, candidates)
    with pytest.raises(RuleViolation, match="proposal.alternatives"):
        propose(model, alternatives=0)
    with pytest.raises(RuleViolation, match="proposal.time_limit"):
        propose(model, time_limit=0)
