"""Quorum and tally of resolutions, with the figures of docs/domain.md, "Governance"."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

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
from cae_governance.domain.proxies import Proxy
from cae_governance.domain.quorum import check_quorum
from cae_governance.domain.tally import Ballot, Choice, Resolution, tally
from services.governance.tests.unit.builders import RECORD, electorate, ids, refused

F = Fraction
ORD, EXT, ELECT = DecisionKind.ORDINARY, DecisionKind.EXTRAORDINARY, DecisionKind.ELECTION
FIRST, SECOND = Convocation.FIRST, Convocation.SECOND


def in_person(voters, profile, present, proxies=()):
    return take_attendance(voters, profile, proxies, [(p, Mode.IN_PERSON) for p in present])


def vote(kind, convocation, associates=20, profile=SCOP_SARL, *, for_=0, against=0, abstain=0,
         blank=0, silent=0, resolution=None):
    """The first associates attend in person and vote in that order: for, against, abstain,
    blank, then some cast no ballot."""
    voters = electorate(associates, profile)
    choices = ([Choice.FOR] * for_ + [Choice.AGAINST] * against + [Choice.ABSTAIN] * abstain
               + [Choice.BLANK] * blank + [None] * silent)
    present = ids(associates)[:len(choices)]
    attendance = in_person(voters, profile, present)
    ballots = [Ballot(p, c) for p, c in zip(present, choices, strict=True) if c is not None]
    return tally(resolution or Resolution("R1", kind), attendance, ballots, profile, convocation)


NOT_MET = "quorum.not_met"

# (kind, convocation, votes, adopted or NOT_MET) with 20 associates
SCOP_SARL_TABLE = [
    # ordinary, 1st: no quorum; more than half of all 20 associates
    (ORD, FIRST, dict(for_=11), True),
    (ORD, FIRST, dict(for_=11, against=9), True),
    (ORD, FIRST, dict(for_=10), False),  # 10/20 is not more than half
    (ORD, FIRST, dict(for_=3), False),  # 3 present: no quorum needed, but 3/20
    # ordinary, 2nd: more than half of those present or represented
    (ORD, SECOND, dict(for_=5, against=3), True),
    (ORD, SECOND, dict(for_=2), True),
    (ORD, SECOND, dict(for_=5, against=3, abstain=2), False),  # 5/10, abstentions counted
    # extraordinary, 1st: quorum 3/4 (15 of 20); at least 3/4 of those present or represented
    (EXT, FIRST, dict(for_=14), NOT_MET),
    (EXT, FIRST, dict(for_=12, against=3), True),  # 12/15
    (EXT, FIRST, dict(for_=11, against=4), False),  # 11/15 < 3/4
    (EXT, FIRST, dict(for_=12, against=4), True),  # 12/16 = 3/4 exactly
    # extraordinary, 2nd: quorum 1/2 (10 of 20); at least 3/4
    (EXT, SECOND, dict(for_=9), NOT_MET),
    (EXT, SECOND, dict(for_=8, against=2), True),
    (EXT, SECOND, dict(for_=7, against=3), False),
    (EXT, SECOND, dict(for_=9, against=3), True),  # 9/12 = 3/4
    # managers: absolute majority of all associates, on either convocation
    (ELECT, FIRST, dict(for_=11, against=1), True),
    (ELECT, FIRST, dict(for_=10, against=2), False),  # 10/12 present, but 10/20
    (ELECT, SECOND, dict(for_=11), True),
    (ELECT, SECOND, dict(for_=10), False),
]


@pytest.mark.parametrize(("kind", "convocation", "votes", "expected"), SCOP_SARL_TABLE)
def test_scop_sarl_quorum_and_majority_table(kind, convocation, votes, expected):
    if expected == NOT_MET:
        refused(NOT_MET, vote, kind, convocation, **votes)
    else:
        assert vote(kind, convocation, **votes).adopted is expected


SCOP_SA_TABLE = [
    (ORD, FIRST, dict(for_=3), NOT_MET),  # quorum 1/5 of 20 = 4
    (ORD, FIRST, dict(for_=3, against=1), True),
    (ORD, FIRST, dict(for_=3, against=2, abstain=10), True),  # votes cast: 3/5
    (ORD, SECOND, dict(for_=1), True),  # no quorum
    (EXT, FIRST, dict(for_=4), NOT_MET),  # quorum 1/4 of 20 = 5
    (EXT, FIRST, dict(for_=4, against=2), True),  # 2/3 of votes cast
    (EXT, FIRST, dict(for_=3, against=2, abstain=1), False),  # 3/5 < 2/3
    (EXT, SECOND, dict(for_=3), NOT_MET),  # quorum 1/5 = 4
    (EXT, SECOND, dict(for_=2, against=1, silent=1), True),  # 2/3 of votes cast
]


@pytest.mark.parametrize(("kind", "convocation", "votes", "expected"), SCOP_SA_TABLE)
def test_scop_sa_quorum_and_majority(kind, convocation, votes, expected):
    if expected == NOT_MET:
        refused(NOT_MET, vote, kind, convocation, profile=SCOP_SA, **votes)
    else:
        assert vote(kind, convocation, profile=SCOP_SA, **votes).adopted is expected


def test_quorum_formula_for_the_minutes():
    voters = electorate(20)
    met = check_quorum(in_person(voters, SCOP_SARL, ids(20)[:15]), SCOP_SARL, EXT, FIRST)
    assert (met.met, met.needed, met.taking_part) == (True, 15, 15)
    assert ("extraordinary decision, 1st convocation: quorum 3/4 of 20 associates, "
            "ceil(3/4 x 20) = 15 needed; 15 taking part (15 in person, 0 remote, 0 by post, "
            "0 represented) >= 15: met") in met.formula
    short = check_quorum(in_person(voters, SCOP_SARL, ids(20)[:9]), SCOP_SARL, EXT, SECOND)
    assert not short.met and short.formula.count("< 10: not met") == 1
    none = check_quorum(in_person(voters, SCOP_SARL, ids(20)[:1]), SCOP_SARL, ORD, FIRST)
    assert none.met and "no quorum required" in none.formula
    # represented associates count towards the quorum
    proxies = [Proxy(g, h) for g, h in zip(ids(20)[10:15], ids(20)[:5], strict=True)]
    with_proxies = check_quorum(in_person(voters, SCOP_SARL, ids(20)[:10], proxies),
                                SCOP_SARL, EXT, FIRST)
    assert with_proxies.met and with_proxies.taking_part == 15


def test_abstentions_counted_or_not():
    counted = vote(ORD, SECOND, for_=5, against=3, abstain=2)
    assert (counted.adopted, counted.base, counted.share_for) == (False, 10, F(1, 2))
    assert "taking part, abstentions, blank and not voting counted" in counted.formula
    assert "1/2 <= 1/2: rejected" in counted.formula
    cast_only = SCOP_SARL.with_overrides(Overrides(count_abstentions=False))
    not_counted = vote(ORD, SECOND, profile=cast_only, for_=5, against=3, abstain=2)
    assert (not_counted.adopted, not_counted.base, not_counted.share_for) == (True, 8, F(5, 8))
    # blank votes and silence count like abstentions
    assert not vote(ORD, SECOND, for_=5, against=3, blank=1, silent=1).adopted
    assert vote(ORD, SECOND, profile=cast_only, for_=5, against=3, blank=1, silent=1).adopted
    counts = vote(ORD, SECOND, for_=5, against=3, abstain=1, blank=1, silent=1).count
    assert (counts.for_, counts.against, counts.abstain, counts.blank, counts.not_voted) == (
        5, 3, 1, 1, 1)


def test_a_tie_is_rejected():
    for profile in (SCOP_SARL, SCOP_SARL.with_overrides(Overrides(count_abstentions=False)),
                    SCOP_SA):
        result = vote(ORD, SECOND, profile=profile, for_=4, against=4, abstain=1)
        assert result.tie and not result.adopted
        assert "tie (for = against): rejected" in result.formula
    assert not vote(ORD, SECOND, for_=0, against=0, abstain=3).tie  # nobody for: no tie


def test_blank_proxies_vote_for_the_managers_resolutions_and_against_the_others():
    voters = electorate(10)
    proxies = [Proxy("a0004"), Proxy("a0005")]
    attendance = in_person(voters, SCOP_SARL, ids(10)[:4], proxies)
    ballots = [Ballot("a0000", Choice.FOR), Ballot("a0001", Choice.FOR),
               Ballot("a0002", Choice.AGAINST), Ballot("a0003", Choice.AGAINST)]
    managers = tally(Resolution("R1", ORD, from_managers=True), attendance, ballots, SCOP_SARL,
                     SECOND)
    assert (managers.count.for_, managers.count.against, managers.adopted) == (4, 2, True)
    other = tally(Resolution("R2", ORD), attendance, ballots, SCOP_SARL, SECOND)
    assert (other.count.for_, other.count.against, other.adopted) == (2, 4, False)
    refused("vote.blank_proxy", tally, Resolution("R3", ORD), attendance,
            [*ballots, Ballot("a0004", Choice.AGAINST)], SCOP_SARL, SECOND)


def test_proxies_are_counted_once_and_a_double_vote_refused():
    voters = electorate(10)
    attendance = in_person(voters, SCOP_SARL, ["a0000", "a0002"], [Proxy("a0001", "a0000")])
    ballots = [Ballot("a0000", Choice.FOR), Ballot("a0001", Choice.FOR, cast_by="a0000"),
               Ballot("a0002", Choice.AGAINST)]
    result = tally(Resolution("R1", ORD), attendance, ballots, SCOP_SARL, SECOND)
    assert result.counted == ("a0000", "a0001", "a0002") and result.count.for_ == 2
    refused("vote.twice", tally, Resolution("R1", ORD), attendance,
            [*ballots, Ballot("a0000", Choice.AGAINST)], SCOP_SARL, SECOND)
    refused("vote.twice", tally, Resolution("R1", ORD), attendance,
            [*ballots, Ballot("a0001", Choice.AGAINST, cast_by="a0000")], SCOP_SARL, SECOND)
    refused("vote.not_represented", tally, Resolution("R1", ORD), attendance,
            [Ballot("a0001", Choice.FOR, cast_by="a0002")], SCOP_SARL, SECOND)
    refused("vote.not_represented", tally, Resolution("R1", ORD), attendance,
            [Ballot("a0001", Choice.FOR)], SCOP_SARL, SECOND)  # only the holder casts it
    refused("vote.not_participating", tally, Resolution("R1", ORD), attendance,
            [Ballot("a0009", Choice.FOR)], SCOP_SARL, SECOND)
    refused("vote.not_associate", tally, Resolution("R1", ORD), attendance,
            [Ballot("stranger", Choice.FOR)], SCOP_SARL, SECOND)
    refused("vote.choice", tally, Resolution("R1", ORD), attendance,
            [Ballot("a0000", "yes")], SCOP_SARL, SECOND)


def test_a_giver_who_attends_votes_once_themselves():
    voters = electorate(10)
    attendance = in_person(voters, SCOP_SARL, ["a0000", "a0001"], [Proxy("a0001", "a0000")])
    assert attendance.represented == {}
    refused("vote.not_represented", tally, Resolution("R1", ORD), attendance,
            [Ballot("a0001", Choice.FOR, cast_by="a0000")], SCOP_SARL, SECOND)
    result = tally(Resolution("R1", ORD), attendance,
                   [Ballot("a0000", Choice.FOR), Ballot("a0001", Choice.AGAINST)], SCOP_SARL,
                   SECOND)
    assert result.counted == ("a0000", "a0001")
    assert (result.count.for_, result.count.against) == (1, 1) and result.tie
    # a holder who does not attend: the giver is not represented
    absent_holder = in_person(voters, SCOP_SARL, ["a0002"], [Proxy("a0001", "a0000")])
    refused("vote.not_participating", tally, Resolution("R1", ORD), absent_holder,
            [Ballot("a0001", Choice.FOR, cast_by="a0000")], SCOP_SARL, SECOND)


def test_elections_by_secret_ballot_where_the_statutes_require_it():
    refused("resolution.secret_ballot_required", vote, ELECT, FIRST, for_=11,
            resolution=Resolution("G1", ELECT, secret=False))
    assert vote(ELECT, FIRST, for_=11, resolution=Resolution("G1", ELECT)).secret
    assert not vote(ELECT, FIRST, profile=SCOP_SA, for_=11,
                    resolution=Resolution("G1", ELECT, secret=False)).secret
    assert not vote(ORD, FIRST, for_=11).secret


# --- SCIC: four colleges weighing 40/25/25/10 % ------------------------------------------

COLLEGES = [College("salaries", F(40, 100)), College("beneficiaires", F(25, 100)),
            College("partenaires", F(25, 100)), College("collectivites", F(10, 100))]
SIZES = {"salaries": 12, "beneficiaires": 3, "partenaires": 3, "collectivites": 2}
SCIC_4 = SCIC.with_colleges(COLLEGES)


def scic_vote(kind, convocation, choices: dict[str, list[Choice | None]]):
    """``choices``: per college, one entry per member (None: absent)."""
    associates, present, ballots = [], [], []
    for college, size in SIZES.items():
        for i in range(size):
            person = f"{college}-{i:02d}"
            associates.append(Associate(person, date(2020, 1, 1), college=college))
            choice = choices[college][i]
            if choice is not None:
                present.append(person)
                ballots.append(Ballot(person, choice))
    voters = Electorate.fix(RECORD, associates, SCIC_4)
    attendance = in_person(voters, SCIC_4, present)
    return tally(Resolution("R1", kind), attendance, ballots, SCIC_4, convocation)


FOR, AGAINST = Choice.FOR, Choice.AGAINST


def test_scic_the_largest_college_alone_cannot_carry_a_vote():
    result = scic_vote(ORD, SECOND, {"salaries": [FOR] * 12, "beneficiaires": [AGAINST] * 3,
                                   "partenaires": [AGAINST] * 3,
                                   "collectivites": [AGAINST] * 2})
    assert result.count.for_ == 12 and result.base == 20  # 60 % of persons...
    assert result.share_for == F(2, 5) and not result.adopted  # ...but 40 % weighted
    assert "salaries (40 %): for 12/12, against 0/12" in result.formula


def test_scic_weighing_turns_a_minority_of_persons_into_a_majority():
    result = scic_vote(ORD, SECOND, {"salaries": [FOR] * 2 + [AGAINST] * 10,
                                   "beneficiaires": [FOR] * 3, "partenaires": [FOR] * 3,
                                   "collectivites": [FOR] * 2})
    # persons: 10/20, not more than half; weighted: 40 % x 2/12 + 25 % + 25 % + 10 % = 2/3
    assert result.count.for_ == 10
    assert result.share_for == F(2, 3) and result.adopted
    assert [(c.college, c.weight, c.count.for_, c.base) for c in result.colleges] == [
        ("salaries", F(2, 5), 2, 12), ("beneficiaires", F(1, 4), 3, 3),
        ("partenaires", F(1, 4), 3, 3), ("collectivites", F(1, 10), 2, 2)]


def test_scic_an_absent_college_is_left_out_and_a_weighted_tie_rejected():
    result = scic_vote(ORD, SECOND, {"salaries": [FOR] * 6 + [AGAINST] * 6,
                                   "beneficiaires": [FOR] * 3, "partenaires": [AGAINST] * 3,
                                   "collectivites": [None, None]})
    # (40 % x 1/2 + 25 % x 1) / 90 % = 1/2 for, (40 % x 1/2 + 25 % x 1) / 90 % against
    assert result.share_for == result.share_against == F(1, 2)
    assert result.tie and not result.adopted
    assert "collectivites (10 %): empty, left out" in result.formula


def test_scic_majority_of_all_associates_counts_each_college_on_its_members():
    result = scic_vote(ORD, FIRST, {"salaries": [FOR] * 6 + [None] * 6,
                                  "beneficiaires": [FOR] * 2 + [None],
                                  "partenaires": [FOR] * 2 + [None],
                                  "collectivites": [FOR, None]})
    # 40 % x 6/12 + 25 % x 2/3 + 25 % x 2/3 + 10 % x 1/2 = 1/5 + 1/3 + 1/20 = 7/12
    assert result.share_for == F(7, 12) and result.adopted


def test_the_attendance_and_the_tally_use_one_profile():
    voters = electorate(4)
    attendance = in_person(voters, SCOP_SARL, ids(4))
    with pytest.raises(ValueError):
        tally(Resolution("R1", ORD), attendance, [], SCOP_SA, FIRST)
    with pytest.raises(ValueError):
        in_person(voters, SCIC_4, ids(4))  # fixed without the colleges
