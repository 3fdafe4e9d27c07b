"""Elections of managers or board seats: the count per candidate (docs/domain.md,
"Governance", "Elections"), with a property recounting random elections."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cae_governance.domain.attendance import Mode, take_attendance
from cae_governance.domain.elections import Election, ElectionBallot, elect
from cae_governance.domain.electorate import Associate, Electorate
from cae_governance.domain.profiles import (
    SCIC,
    SCOP_SA,
    SCOP_SARL,
    College,
    Convocation,
    Overrides,
)
from cae_governance.domain.proxies import Proxy, ProxyBook
from caekit.rules import RuleViolation
from services.governance.tests.unit.builders import RECORD, electorate, ids, refused

F = Fraction
FIRST, SECOND = Convocation.FIRST, Convocation.SECOND
A, B, C = "a0000", "a0001", "a0002"


def in_person(voters, profile, present, proxies=()):
    return take_attendance(voters, profile, proxies, [(p, Mode.IN_PERSON) for p in present])


def run(choices, *, associates=10, profile=SCOP_SARL, convocation=FIRST, seats=1,
        candidates=(A, B), proxies=(), secret=None):
    """The first associates attend in person, one entry of ``choices`` each: a set of
    candidates (empty: blank), ``"abstain"``, or ``None`` (no ballot)."""
    voters = electorate(associates, profile)
    present = ids(associates)[:len(choices)]
    attendance = in_person(voters, profile, present, proxies)
    ballots = [ElectionBallot(p, abstain=True) if c == "abstain"
               else ElectionBallot(p, frozenset(c))
               for p, c in zip(present, choices, strict=True) if c is not None]
    election = Election("G1", seats, tuple(candidates), secret=secret)
    return elect(election, attendance, ballots, profile, convocation)


def by_candidate(result):
    return {c.candidate: (c.votes, c.share, c.reached, c.elected) for c in result.candidates}


# --- SCOP-SARL: absolute majority of all associates ---------------------------------------

def test_a_manager_needs_more_than_half_of_all_associates():
    six = run([{A}] * 6 + [{B}] * 3 + [set()])
    assert six.elected == (A,) and six.vacant == 0 and six.base == 10
    assert by_candidate(six) == {A: (6, F(3, 5), True, True), B: (3, F(3, 10), False, False)}
    assert "a0000: 6/10 = 3/5 (60 %) > 1/2: reached" in six.formula
    assert "majority more than 1/2 of all associates" in six.formula
    assert "elected: a0000; no seat vacant" in six.formula
    # 5 of the 6 present name a0000: 5/10 of all associates is not more than half
    five = run([{A}] * 5 + [{B}])
    assert five.elected == () and five.vacant == 1 and five.base == 10
    assert by_candidate(five)[A] == (5, F(1, 2), False, False)
    assert "a0000: 5/10 = 1/2 (50 %) <= 1/2: not reached" in five.formula
    assert ("elected: nobody; 0 candidates of 2 reached the majority; 1 seat vacant: "
            "a new ballot is needed") in five.formula
    assert five.secret  # the CG Scop statutes: a secret ballot for elections
    assert (five.participants, five.cast, five.blank, five.abstain, five.not_voted) == (
        6, 6, 0, 0, 0)


def test_two_seats_among_three_candidates():
    result = run([{A, B}] * 6 + [{A, C}] * 2 + [{B}] + [{C}], seats=2, candidates=(A, B, C))
    assert result.elected == (A, B) and result.vacant == 0
    assert [(c.candidate, c.votes) for c in result.candidates] == [(A, 8), (B, 7), (C, 3)]
    # all three reach the majority: the two largest shares take the seats; equal shares
    # are no tie while there are seats for all of them
    all_three = run([{A, B}] * 4 + [{A, C}] * 3 + [{B, C}] * 3, seats=2, candidates=(A, B, C))
    assert by_candidate(all_three) == {A: (7, F(7, 10), True, True),
                                       B: (7, F(7, 10), True, True),
                                       C: (6, F(3, 5), True, False)}
    assert all_three.elected == (A, B) and all_three.tied == ()


def test_a_tie_for_the_last_seat_leaves_it_vacant():
    result = run([{A, B}] * 3 + [{A, C}] * 3 + [{B, C}] * 3 + [{A}], seats=2,
                 candidates=(A, B, C))
    assert [(c.candidate, c.votes, c.reached) for c in result.candidates] == [
        (A, 7, True), (B, 6, True), (C, 6, True)]
    assert result.elected == (A,) and result.tied == (B, C) and result.vacant == 1
    assert ("elected: a0000; a0001, a0002 tie for the last seat with 3/5 (60 %): none of "
            "them is elected; 1 seat vacant: a new ballot is needed") in result.formula
    # three candidates with the same share for two seats: both seats stay vacant
    three_way = run([{A, B}] * 3 + [{A, C}] * 3 + [{B, C}] * 3, seats=2, candidates=(A, B, C))
    assert three_way.elected == () and three_way.tied == (A, B, C) and three_way.vacant == 2
    assert "a0000, a0001, a0002 tie for the last 2 seats with 3/5 (60 %)" in three_way.formula


def test_fewer_candidates_than_seats_leaves_seats_vacant():
    result = run([{A}] * 7 + [set()] * 3, seats=3, candidates=(A,))
    assert result.elected == (A,) and result.vacant == 2
    assert "1 candidate of 1 reached the majority; 2 seats vacant" in result.formula


# --- blank proxies, abstentions, proxies ---------------------------------------------------

def test_blank_proxies_count_as_blank_ballots():
    voters = electorate(10)
    proxies = [Proxy("a0006"), Proxy("a0007"), Proxy("a0008", "a0005")]
    attendance = in_person(voters, SCOP_SARL, ids(10)[:6], proxies)
    ballots = [ElectionBallot(p, frozenset({A})) for p in ids(10)[:5]]
    ballots.append(ElectionBallot("a0008", frozenset({A}), cast_by="a0005"))  # a held proxy
    result = elect(Election("G1", 1, (A, B)), attendance, ballots, SCOP_SARL, FIRST)
    # 6 for a0000, 2 blank proxies for nobody (not "for the managers"), a0005 silent
    assert (result.participants, result.cast, result.blank, result.not_voted) == (9, 6, 2, 1)
    assert result.elected == (A,) and by_candidate(result)[A][:2] == (6, F(3, 5))
    assert "blank 2 (2 of them by a blank proxy)" in result.formula
    refused("vote.blank_proxy", elect, Election("G1", 1, (A, B)), attendance,
            [*ballots, ElectionBallot("a0006", frozenset({B}))], SCOP_SARL, FIRST)
    # present or represented (SCOP-SA, 2nd convocation): with abstentions and blank votes
    # counted, the blank proxies are in the base and not for; otherwise out of it
    counting = SCOP_SA.with_overrides(Overrides(count_abstentions=True))
    three = [ElectionBallot(p, frozenset({A})) for p in ids(10)[:3]]
    for profile, base, elected in ((counting, 6, ()), (SCOP_SA, 3, (A,))):
        sa = in_person(electorate(10, profile), profile, ids(10)[:4],
                       [Proxy("a0006"), Proxy("a0007")])
        result = elect(Election("G1", 1, (A, B)), sa, three, profile, SECOND)
        assert (result.base, result.blank, result.not_voted, result.elected) == (
            base, 2, 1, elected)


def test_abstentions_counted_or_not():
    choices = [{A}] * 3 + [{B}] + ["abstain"] * 2 + [set()] + [None]
    cast_only = run(choices, profile=SCOP_SA)  # L225-96: votes cast
    assert (cast_only.cast, cast_only.blank, cast_only.abstain, cast_only.not_voted) == (
        4, 1, 2, 1)
    assert cast_only.base == 4 and cast_only.elected == (A,)
    assert by_candidate(cast_only)[A] == (3, F(3, 4), True, True)
    assert ("base 4 (ballots naming a candidate, abstentions, blank and not voting not "
            "counted)") in cast_only.formula
    counting = SCOP_SA.with_overrides(Overrides(count_abstentions=True))
    counted = run(choices, profile=counting)
    assert counted.base == 8 and counted.elected == () and counted.vacant == 1
    assert by_candidate(counted)[A] == (3, F(3, 8), False, False)
    assert "base 8 (taking part, abstentions, blank and not voting counted)" in counted.formula


def test_proxies_vote_once_through_the_shared_checks():
    voters = electorate(10)
    attendance = in_person(voters, SCOP_SARL, [A, C], [Proxy(B, A)])
    election = Election("G1", 1, (A, B))
    mine = ElectionBallot(A, frozenset({A}))
    held = ElectionBallot(B, frozenset({A}), cast_by=A)
    result = elect(election, attendance, [mine, held], SCOP_SARL, SECOND)
    assert result.counted == (A, B, C) and by_candidate(result)[A][0] == 2
    refused("vote.twice", elect, election, attendance, [mine, held, mine], SCOP_SARL, SECOND)
    refused("vote.not_represented", elect, election, attendance,
            [ElectionBallot(B, frozenset({A}))], SCOP_SARL, SECOND)
    refused("vote.not_represented", elect, election, attendance,
            [ElectionBallot(C, frozenset({A}), cast_by=A)], SCOP_SARL, SECOND)
    refused("vote.not_participating", elect, election, attendance,
            [ElectionBallot("a0009", frozenset({A}))], SCOP_SARL, SECOND)
    refused("vote.not_associate", elect, election, attendance,
            [ElectionBallot("stranger", frozenset({A}))], SCOP_SARL, SECOND)


# --- refusals -------------------------------------------------------------------------------

def test_ballots_naming_too_many_or_unknown_candidates_are_refused():
    refused("election.too_many_choices", run, [{A, B}], candidates=(A, B, C))
    refused("election.too_many_choices", run, [{A, B, C}], seats=2, candidates=(A, B, C))
    refused("election.unknown_candidate", run, [{C}])
    refused("election.unknown_candidate", run, [{"stranger"}])
    voters = electorate(10)
    attendance = in_person(voters, SCOP_SARL, [A])
    refused("election.abstain_with_choices", elect, Election("G1", 1, (A,)), attendance,
            [ElectionBallot(A, frozenset({A}), abstain=True)], SCOP_SARL, FIRST)


@pytest.mark.parametrize(("election", "rule"), [
    (Election("G1", 0, (A,)), "election.seats"),
    (Election("G1", 51, (A,)), "election.seats"),
    (Election("G1", True, (A,)), "election.seats"),
    (Election("G1", 1, ()), "election.candidates"),
    (Election("G1", 2, (A, B, A)), "election.candidates"),
    (Election("G1", 1, "a0000"), "election.candidates"),
    (Election("G1", 1, (A, "stranger")), "election.candidate_not_associate"),
    (Election("G1", 1, (A,), office="auditors"), "election.office"),
])
def test_the_election_itself_is_checked(election, rule):
    voters = electorate(10)
    refused(rule, elect, election, in_person(voters, SCOP_SARL, [A]), [], SCOP_SARL, FIRST)


def test_fifty_seats_and_an_absent_candidate_are_fine():
    result = run([{A}] * 6, seats=50, candidates=(A, "a0009"))
    assert result.elected == (A,) and result.vacant == 49


def test_a_secret_ballot_where_the_statutes_require_it():
    refused("resolution.secret_ballot_required", run, [{A}] * 6, secret=False)
    assert run([{A}] * 6, secret=True).secret
    open_sa = run([{A}] * 6, profile=SCOP_SA, secret=False)
    assert not open_sa.secret and open_sa.elected == (A,) and "open ballot" in open_sa.formula
    assert not run([{A}] * 6, profile=SCOP_SA).secret  # no secret ballot by default for an SA


def test_scop_sa_quorum_not_met():
    # quorum 1/5 of 10 associates = 2 on the first convocation, none on the second
    refused("quorum.not_met", run, [{A}], profile=SCOP_SA)
    assert run([{A}], profile=SCOP_SA, convocation=SECOND).elected == (A,)
    met = run([{A}, {B}, {A}], profile=SCOP_SA)
    assert met.quorum.met and met.quorum.needed == 2 and met.elected == (A,)


# --- SCIC: four colleges weighing 40/25/25/10 % -----------------------------------------------

COLLEGES = [College("salaries", F(40, 100)), College("beneficiaires", F(25, 100)),
            College("partenaires", F(25, 100)), College("collectivites", F(10, 100))]
SIZES = {"salaries": 12, "beneficiaires": 3, "partenaires": 3, "collectivites": 2}
SCIC_4 = SCIC.with_colleges(COLLEGES)
X, Y = "salaries-00", "beneficiaires-00"


def scic_elect(choices: dict[str, list], seats=1, candidates=(X, Y), sizes=None):
    """``choices``: per college, one entry per member (a set of candidates, or None: absent)."""
    associates, present, ballots = [], [], []
    for college, size in (sizes or SIZES).items():
        for i in range(size):
            person = f"{college}-{i:02d}"
            associates.append(Associate(person, date(2020, 1, 1), college=college))
            choice = choices[college][i]
            if choice is not None:
                present.append(person)
                ballots.append(ElectionBallot(person, frozenset(choice)))
    voters = Electorate.fix(RECORD, associates, SCIC_4)
    attendance = in_person(voters, SCIC_4, present)
    return elect(Election("G1", seats, candidates), attendance, ballots, SCIC_4, FIRST)


def test_scic_the_weighted_share_decides_not_the_head_count():
    result = scic_elect({"salaries": [{X}] * 12, "beneficiaires": [{Y}] * 3,
                         "partenaires": [{Y}] * 3, "collectivites": [{Y}] * 2})
    # persons: X 12/20 (more than half of all associates), Y 8/20;
    # weighted: X 40 % x 12/12 = 2/5, Y 25 % x 3/3 + 25 % x 3/3 + 10 % x 2/2 = 3/5
    assert by_candidate(result) == {Y: (8, F(3, 5), True, True), X: (12, F(2, 5), False, False)}
    assert result.elected == (Y,) and result.base == 20
    x = next(c for c in result.candidates if c.candidate == X)
    assert [(p.college, p.weight, p.votes, p.base) for p in x.colleges] == [
        ("salaries", F(2, 5), 12, 12), ("beneficiaires", F(1, 4), 0, 3),
        ("partenaires", F(1, 4), 0, 3), ("collectivites", F(1, 10), 0, 2)]
    assert "salaries-00: 12 votes; salaries 12/12, beneficiaires 0/3" in result.formula
    assert "weighted 2/5 (40 %) <= 1/2: not reached" in result.formula
    assert "weighted 3/5 (60 %) > 1/2: reached" in result.formula


def test_scic_absent_members_are_not_for_on_all_associates():
    result = scic_elect({"salaries": [{X}] * 6 + [None] * 6, "beneficiaires": [{Y}] * 3,
                         "partenaires": [{X}] * 3, "collectivites": [None, None]}, seats=2)
    # all associates: X 40 % x 6/12 + 25 % x 3/3 = 9/20, Y 25 % x 3/3 = 1/4
    assert by_candidate(result)[X][:2] == (9, F(9, 20))
    assert by_candidate(result)[Y][:2] == (3, F(1, 4))
    assert result.elected == () and result.vacant == 2
    assert "2 seats vacant: a new ballot is needed" in result.formula


def test_scic_a_college_without_members_is_left_out_and_the_weights_renormalised():
    sizes = {**SIZES, "collectivites": 0}
    result = scic_elect({"salaries": [{X}] * 12, "beneficiaires": [{Y}] * 3,
                         "partenaires": [{Y}] * 3, "collectivites": []}, sizes=sizes)
    # persons: X 12/18; weighted over 90 %: X 40/90 = 4/9, Y 50/90 = 5/9
    assert by_candidate(result) == {Y: (6, F(5, 9), True, True), X: (12, F(4, 9), False, False)}
    assert "collectivites (10 %): empty, left out" in result.formula


# --- property: random elections recounted from first principles ------------------------------

# (quorum or None, on all associates?) for an election; the majority is more than half
ELECTION_RULES = {
    ("SCOP-SARL", 1): (None, True), ("SCOP-SARL", 2): (None, True),
    ("SCIC", 1): (None, True), ("SCIC", 2): (None, True),
    ("SCOP-SA", 1): (F(1, 5), False), ("SCOP-SA", 2): (None, False),
}
COLLEGE_SETS = [(40, 25, 25, 10), (50, 50), (34, 33, 33)]
WAYS = ["absent"] + ["in person"] * 5 + ["remote", "post"]
BALLOTS_DRAWN = ["usual"] * 6 + ["any", "abstain", None]


@st.composite
def elections(draw):
    code = draw(st.sampled_from(["SCOP-SARL", "SCOP-SA", "SCIC"]))
    n = draw(st.integers(1, 30))
    own = {
        "count_abstentions": draw(st.booleans()),
        "blank_proxies": draw(st.booleans()),
        "remote_participation": draw(st.booleans()),
        "postal_votes": code == "SCOP-SA" or draw(st.booleans()),
    }
    weights = draw(st.sampled_from(COLLEGE_SETS)) if code == "SCIC" else ()
    colleges = [draw(st.integers(0, len(weights) - 1)) if weights else None for _ in range(n)]
    inside = st.integers(0, n - 1)
    attempts = draw(st.lists(st.tuples(inside, st.one_of(inside, st.none())), max_size=n))
    ways = [draw(st.sampled_from(WAYS)) for _ in range(n)]
    standing = draw(st.lists(inside, min_size=1, max_size=min(n, 4), unique=True))
    seats = draw(st.integers(1, 3))
    # most ballots name the first candidates drawn, so that some reach the majority;
    # or, to bring ties about, every ballot is full and leaves out the favourites in turn
    rotate = draw(st.booleans())
    favourites = standing[:seats + (1 if rotate else draw(st.integers(0, 1)))]
    full = min(seats, len(favourites))  # a full ballot: as many names as seats
    usual = st.lists(st.sampled_from(favourites), min_size=full, max_size=full, unique=True)
    named = st.lists(st.sampled_from(standing), max_size=seats, unique=True)
    ballots = []
    for i in range(n):
        if rotate:
            left_out = favourites[i % len(favourites)]
            ballots.append([c for c in favourites if c != left_out][:full] or favourites)
            continue
        kind = draw(st.sampled_from(BALLOTS_DRAWN))
        ballots.append(draw(usual) if kind == "usual" else draw(named) if kind == "any"
                       else kind)
    convocation = draw(st.sampled_from([1, 2]))
    return code, n, own, weights, colleges, attempts, ways, standing, seats, ballots, \
        convocation


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections())
def test_every_election_equals_a_recount_from_first_principles(scenario):
    (code, n, own, weights, colleges, attempts, ways, standing, seats, drawn,
     convocation) = scenario
    profile = {"SCOP-SARL": SCOP_SARL, "SCOP-SA": SCOP_SA, "SCIC": SCIC}[code].with_overrides(
        Overrides(**own))
    if weights:
        profile = profile.with_colleges(
            [College(f"c{k}", F(w, 100)) for k, w in enumerate(weights)])

    def person(i):
        return f"p{i:03d}"

    voters = Electorate.fix(
        RECORD, [Associate(person(i), date(2020, 1, 1),
                           college=None if colleges[i] is None else f"c{colleges[i]}")
                 for i in range(n)], profile)
    book = ProxyBook(voters, profile)
    for giver, holder in attempts:  # what the book refuses is tested in test_properties
        try:
            book.give(person(giver), None if holder is None else person(holder))
        except RuleViolation:
            pass
    ways = [("in person" if w == "remote" and not own["remote_participation"] else w)
            for w in ways]
    ways = [("absent" if w == "post" and not own["postal_votes"] else w) for w in ways]
    attendance = take_attendance(
        voters, profile, book.open(),
        [(person(i), Mode.REMOTE if w == "remote" else Mode.IN_PERSON)
         for i, w in enumerate(ways) if w in ("in person", "remote")],
        [person(i) for i, w in enumerate(ways) if w == "post"])
    participants = attendance.participants
    blank_proxies = {g for g, h in attendance.represented.items() if h is None}

    # the ballots: each participant's own or cast by their holder; none for blank proxies
    ballots = []
    for i, choice in enumerate(drawn):
        voter = person(i)
        if voter not in participants or voter in blank_proxies or choice is None:
            continue
        ballot = (ElectionBallot(voter, abstain=True) if choice == "abstain"
                  else ElectionBallot(voter, frozenset(person(c) for c in choice)))
        if voter in attendance.represented:
            ballot = ElectionBallot(ballot.voter, ballot.candidates, ballot.abstain,
                                    cast_by=attendance.represented[voter])
        ballots.append(ballot)
    election = Election("G", seats, tuple(person(c) for c in standing),
                        office="board" if code == "SCOP-SA" else "managers")

    quorum, on_all = ELECTION_RULES[(code, convocation)]
    if quorum is not None and len(participants) * quorum.denominator < quorum.numerator * n:
        with pytest.raises(RuleViolation) as refusal:
            elect(election, attendance, ballots, profile, Convocation(convocation))
        assert refusal.value.rule == "quorum.not_met"
        event("quorum not met")
        return
    result = elect(election, attendance, ballots, profile, Convocation(convocation))

    # the recount
    naming = {b.voter: b.candidates for b in ballots if b.candidates}
    groups = ({f"c{k}": (F(w, 100), {person(i) for i in range(n) if colleges[i] == k})
               for k, w in enumerate(weights)} if weights
              else {"all": (F(1), {person(i) for i in range(n)})})

    def base_of(group):
        if on_all:
            return len(group)
        if own["count_abstentions"]:
            return len(group & participants)
        return len(group & set(naming))

    total_weight = sum((w for w, g in groups.values() if base_of(g)), F(0))
    expected = {}
    for candidate in election.candidates:
        votes = sum(1 for names in naming.values() if candidate in names)
        if total_weight:
            share = sum((w * F(sum(1 for v in g if candidate in naming.get(v, ())), base_of(g))
                         for w, g in groups.values() if base_of(g)), F(0)) / total_weight
        else:
            share = None
        expected[candidate] = (votes, share, share is not None and share > F(1, 2))
    # elected: reached, and no more reached candidates with at least their share than seats
    winners = {c for c, (_, share, reached) in expected.items()
               if reached and sum(1 for _, s, r in expected.values() if r and s >= share) <= seats}

    got = {c.candidate: (c.votes, c.share, c.reached) for c in result.candidates}
    assert got == expected, result.formula
    assert set(result.elected) == winners and len(result.elected) <= seats
    assert all(expected[c][2] for c in result.elected)
    assert {c.candidate for c in result.candidates if c.elected} == winners
    assert result.vacant == seats - len(winners)
    shares = [expected[c][1] for c in result.elected]
    assert shares == sorted(shares, reverse=True)  # rank order
    # each participant counted once, nobody else
    assert list(result.counted) == sorted(participants)
    assert result.cast + result.blank + result.abstain + result.not_voted == len(participants)
    assert result.cast == len(naming)
    assert result.abstain == sum(1 for b in ballots if b.abstain)
    assert result.blank == len(blank_proxies) + sum(
        1 for b in ballots if not b.abstain and not b.candidates)
    assert sum(c.votes for c in result.candidates) == sum(len(v) for v in naming.values())
    event(f"{len(result.elected)} elected, {'a tie' if result.tied else 'no tie'}")
    if ballots:  # the same ballot again is refused
        with pytest.raises(RuleViolation) as twice:
            elect(election, attendance, [*ballots, ballots[-1]], profile,
                  Convocation(convocation))
        assert twice.value.rule == "vote.twice"
