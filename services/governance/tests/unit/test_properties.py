"""Property: on random electorates, proxies, attendance and votes, every result equals a
recount written here from first principles (docs/domain.md, "Governance"), no vote is
counted twice and no proxy cap is exceeded.

The recount uses neither the profiles' data nor the domain's helpers: its own table of
the rules, its own proxy acceptance, attendance and weighting.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cae_governance.domain.attendance import Mode, take_attendance
from cae_governance.domain.electorate import Associate, Electorate
from cae_governance.domain.profiles import (
    SCIC,
    SCOP_SA,
    SCOP_SARL,
    College,
    Convocation,
    DecisionKind,
    Overrides,
)
from cae_governance.domain.proxies import ProxyBook
from cae_governance.domain.tally import Ballot, Choice, Resolution, tally
from caekit.rules import RuleViolation

F = Fraction
RECORD = date(2026, 5, 1)

# The rules, from docs/domain.md: (quorum or None, threshold, strict, on all associates?)
HALF_OF_ALL = (None, F(1, 2), True, True)
HALF_PRESENT = (None, F(1, 2), True, False)
SARL_TABLE = {
    ("ordinary", 1): HALF_OF_ALL,
    ("ordinary", 2): HALF_PRESENT,
    ("extraordinary", 1): (F(3, 4), F(3, 4), False, False),
    ("extraordinary", 2): (F(1, 2), F(3, 4), False, False),
    ("election", 1): HALF_OF_ALL,
    ("election", 2): HALF_OF_ALL,
}
SA_TABLE = {  # L225-98 and L225-96, votes cast
    ("ordinary", 1): (F(1, 5), F(1, 2), True, False),
    ("ordinary", 2): HALF_PRESENT,
    ("extraordinary", 1): (F(1, 4), F(2, 3), False, False),
    ("extraordinary", 2): (F(1, 5), F(2, 3), False, False),
    ("election", 1): (F(1, 5), F(1, 2), True, False),
    ("election", 2): HALF_PRESENT,
}
COLLEGE_SETS = [
    (40, 25, 25, 10),
    (50, 50),
    (34, 33, 33),
    (10,) * 10,
]
WAYS = ["absent", "in person", "remote", "post", "in person and post"]
CHOICES = [Choice.FOR, Choice.AGAINST, Choice.ABSTAIN, Choice.BLANK, None]
# drawn more often: absent (so that proxies count), in person, for
WAYS_DRAWN = ["absent"] * 3 + ["in person"] * 3 + WAYS[2:]
VOTES_DRAWN = [Choice.FOR] * 4 + [Choice.AGAINST] * 2 + CHOICES[2:]


@st.composite
def scenarios(draw):
    code = draw(st.sampled_from(["SCOP-SARL", "SCOP-SA", "SCIC"]))
    n = draw(st.integers(1, 45))
    settings_ = {
        "count_abstentions": draw(st.booleans()),
        "blank_proxies": draw(st.booleans()),
        "remote_participation": draw(st.booleans()),
        "postal_votes": code == "SCOP-SA" or draw(st.booleans()),
    }
    weights = draw(st.sampled_from(COLLEGE_SETS)) if code == "SCIC" else ()
    colleges = [draw(st.integers(0, len(weights) - 1)) if weights else None for _ in range(n)]
    # proxy attempts: indices from n on are people outside the electorate
    inside = st.integers(0, n - 1)
    attempts = draw(st.lists(st.tuples(st.one_of(inside, inside, inside, st.just(n)),
                                       st.one_of(inside, inside, st.none(), st.just(n + 1))),
                             min_size=n // 2, max_size=2 * n))
    ways = [draw(st.sampled_from(WAYS_DRAWN)) for _ in range(n)]
    votes = [draw(st.sampled_from(VOTES_DRAWN)) for _ in range(n)]
    kind = draw(st.sampled_from(["ordinary", "extraordinary", "election"]))
    convocation = draw(st.sampled_from([1, 2]))
    from_managers = draw(st.booleans())
    return code, n, settings_, weights, colleges, attempts, ways, votes, kind, convocation, \
        from_managers


def person(i: int) -> str:
    return f"p{i:03d}"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_result_equals_a_recount_from_first_principles(scenario):
    (code, n, own, weights, colleges, attempts, ways, votes, kind, convocation,
     from_managers) = scenario
    base_profile = {"SCOP-SARL": SCOP_SARL, "SCOP-SA": SCOP_SA, "SCIC": SCIC}[code]
    profile = base_profile.with_overrides(Overrides(**own))
    if weights:
        profile = profile.with_colleges(
            [College(f"c{k}", F(w, 100)) for k, w in enumerate(weights)])
    voters = Electorate.fix(
        RECORD,
        [Associate(person(i), date(2020, 1, 1),
                   college=None if colleges[i] is None else f"c{colleges[i]}")
         for i in range(n)],
        profile)
    members = {person(i) for i in range(n)}

    # proxies: the book accepts exactly what the law and the decisions allow
    cap = 1 if n < 20 else n // 20
    book = ProxyBook(voters, profile)
    expected_register: dict[str, str | None] = {}
    for giver_i, holder_i in attempts:
        giver = person(giver_i)
        holder = None if holder_i is None else person(holder_i)
        holders_now = [h for h in expected_register.values() if h is not None]
        acceptable = (
            giver in members
            and (holder is None and own["blank_proxies"]
                 or holder is not None and holder in members and holder != giver)
            and giver not in expected_register
            and holder not in expected_register  # a holder who gave theirs
            and giver not in holders_now  # a giver who holds some
            and (holder is None or holders_now.count(holder) < cap)
        )
        try:
            book.give(giver, holder)
        except RuleViolation:
            assert not acceptable, (giver, holder)
        else:
            assert acceptable, (giver, holder)
            expected_register[giver] = holder
    proxies = book.open()
    assert {p.giver: p.holder for p in proxies} == expected_register

    # attendance
    attending, postal = [], []
    in_room, by_post = set(), set()
    for i, way in enumerate(ways):
        if way == "remote" and not own["remote_participation"]:
            way = "in person"
        if "post" in way and not own["postal_votes"]:
            way = way.replace(" and post", "") if "in person" in way else "absent"
        if way in ("in person", "in person and post", "remote"):
            attending.append((person(i), Mode.REMOTE if way == "remote" else Mode.IN_PERSON))
            in_room.add(person(i))
        if way in ("post", "in person and post"):
            postal.append(person(i))
            if way == "post":
                by_post.add(person(i))
    attendance = take_attendance(voters, profile, proxies, attending, postal)
    themselves = in_room | by_post
    represented = {g: h for g, h in expected_register.items()
                   if g not in themselves and (h is None or h in in_room)}
    participants = themselves | set(represented)
    assert attendance.participants == participants
    for holder in {h for h in represented.values() if h is not None}:
        assert len(attendance.givers_of(holder)) <= cap  # no cap exceeded

    # ballots: each participant's own, or cast by their holder; none for blank proxies
    ballots = []
    for i in range(n):
        voter, choice = person(i), votes[i]
        if voter not in participants or choice is None:
            continue
        if voter in themselves:
            ballots.append(Ballot(voter, choice))
        elif represented[voter] is not None:
            ballots.append(Ballot(voter, choice, cast_by=represented[voter]))

    # the recount
    quorum, threshold, strict, on_all = (SA_TABLE if code == "SCOP-SA" else SARL_TABLE)[
        (kind, convocation)]
    resolution = Resolution("R", DecisionKind(kind), from_managers=from_managers)
    convocation_ = Convocation(convocation)
    if quorum is not None and len(participants) * quorum.denominator < quorum.numerator * n:
        with pytest.raises(RuleViolation) as refused:
            tally(resolution, attendance, ballots, profile, convocation_)
        assert refused.value.rule == "quorum.not_met"
        event("quorum not met")
        return
    result = tally(resolution, attendance, ballots, profile, convocation_)

    def choice_of(voter):
        if voter in represented and represented[voter] is None:
            return Choice.FOR if from_managers else Choice.AGAINST
        return votes[int(voter[1:])]

    groups = ({f"c{k}": (F(w, 100), {person(i) for i in range(n) if colleges[i] == k})
               for k, w in enumerate(weights)} if weights else {"all": (F(1), members)})
    weighed_for = weighed_against = total_weight = F(0)
    for weight, group in groups.values():
        taking_part = [choice_of(v) for v in sorted(group & participants)]
        n_for, n_against = taking_part.count(Choice.FOR), taking_part.count(Choice.AGAINST)
        if on_all:
            base = len(group)
        elif own["count_abstentions"]:
            base = len(taking_part)
        else:
            base = n_for + n_against
        if base:
            total_weight += weight
            weighed_for += weight * F(n_for, base)
            weighed_against += weight * F(n_against, base)
    if total_weight:
        share_for, share_against = weighed_for / total_weight, weighed_against / total_weight
        tie = share_for == share_against and share_for > 0
        passes = share_for > threshold if strict else share_for >= threshold
        adopted = passes and not tie
    else:
        share_for = share_against = None
        adopted = False

    event("adopted" if adopted else "tie" if total_weight and tie else "rejected")
    event(f"{code}, {'some' if represented else 'no'} represented, "
          f"{'some' if set(postal) - in_room else 'no'} postal")
    everyone = [choice_of(v) for v in sorted(participants)]
    assert result.adopted is adopted, result.formula
    assert (result.share_for, result.share_against) == (share_for, share_against)
    assert (result.count.for_, result.count.against, result.count.abstain, result.count.blank,
            result.count.not_voted) == tuple(everyone.count(c) for c in CHOICES)
    # each participant counted once, nobody else
    assert list(result.counted) == sorted(participants)
    assert result.count.taking_part == len(participants)
    assert ("adopted" if adopted else "rejected") in result.formula
    if ballots:  # the same vote again is refused
        with pytest.raises(RuleViolation) as twice:
            tally(resolution, attendance, [*ballots, ballots[-1]], profile, convocation_)
        assert twice.value.rule == "vote.twice"
