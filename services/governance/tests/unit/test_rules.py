"""Profiles, electorate, convocation, proxies and attendance (docs/domain.md, "Governance")."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from cae_governance.domain.attendance import Mode, take_attendance
from cae_governance.domain.convocation import check_agenda_request, check_convocation
from cae_governance.domain.electorate import Associate, Electorate
from cae_governance.domain.profiles import (
    SCIC,
    SCOP_SA,
    SCOP_SARL,
    College,
    Convocation,
    DecisionKind,
    Overrides,
    check_colleges,
)
from cae_governance.domain.proxies import Proxy, ProxyBook, check_proxies, proxy_cap
from services.governance.tests.unit.builders import RECORD, electorate, ids, refused

F = Fraction


# --- profiles --------------------------------------------------------------------------

def test_scop_sarl_table_as_in_the_cg_scop_model_statutes():
    o1 = SCOP_SARL.rule(DecisionKind.ORDINARY, Convocation.FIRST)
    o2 = SCOP_SARL.rule(DecisionKind.ORDINARY, Convocation.SECOND)
    e1 = SCOP_SARL.rule(DecisionKind.EXTRAORDINARY, Convocation.FIRST)
    e2 = SCOP_SARL.rule(DecisionKind.EXTRAORDINARY, Convocation.SECOND)
    assert o1.quorum is None and o1.majority.text == "more than 1/2 of all associates"
    assert o2.quorum is None
    assert o2.majority.text == "more than 1/2 of the associates present or represented"
    assert e1.quorum == F(3, 4)
    assert e1.majority.text == "at least 3/4 of the associates present or represented"
    assert e2.quorum == F(1, 2) and e2.majority.threshold == F(3, 4)
    for convocation in Convocation:
        election = SCOP_SARL.rule(DecisionKind.ELECTION, convocation)
        assert election.majority.text == "more than 1/2 of all associates"
    assert SCOP_SARL.secret_ballot_for_elections and SCOP_SARL.blank_proxies
    assert SCOP_SARL.convocation_days == 15
    assert (SCOP_SARL.agenda_share, SCOP_SARL.agenda_window) == (F(1, 20), (15, 5))
    assert all("CG Scop" in r.source for r in SCOP_SARL.rules)


def test_scop_sa_profile_from_the_sa_figures():
    assert SCOP_SA.rule(DecisionKind.EXTRAORDINARY, Convocation.FIRST).quorum == F(1, 4)
    assert SCOP_SA.rule(DecisionKind.EXTRAORDINARY, Convocation.SECOND).quorum == F(1, 5)
    assert SCOP_SA.rule(DecisionKind.EXTRAORDINARY, Convocation.FIRST).majority.threshold == F(2, 3)
    assert SCOP_SA.rule(DecisionKind.ORDINARY, Convocation.FIRST).quorum == F(1, 5)
    assert SCOP_SA.rule(DecisionKind.ORDINARY, Convocation.SECOND).quorum is None
    assert not SCOP_SA.count_abstentions  # votes cast (L225-96)
    assert SCOP_SA.postal_votes and SCOP_SA.notes  # L225-107; what is assumed is written
    assert all(r.source.startswith("Code de commerce L225-9") for r in SCOP_SA.rules)


def test_overrides_are_applied_checked_and_recorded():
    own = SCOP_SARL.with_overrides(Overrides(convocation_days=21, count_abstentions=False,
                                             blank_proxies=False, remote_participation=True,
                                             postal_votes=True,
                                             secret_ballot_for_elections=False))
    assert (own.convocation_days, own.count_abstentions, own.blank_proxies) == (21, False, False)
    assert own.remote_participation and own.postal_votes and not own.secret_ballot_for_elections
    assert own.overridden == ("blank_proxies", "convocation_days", "count_abstentions",
                              "postal_votes", "remote_participation",
                              "secret_ballot_for_elections")
    assert SCOP_SARL.convocation_days == 15 and SCOP_SARL.overridden == ()
    refused("profile.convocation_days", SCOP_SARL.with_overrides, Overrides(convocation_days=14))
    refused("profile.convocation_days", SCOP_SARL.with_overrides, Overrides(convocation_days=366))
    refused("profile.override", SCOP_SARL.with_overrides, Overrides(convocation_days=True))
    refused("profile.override", SCOP_SARL.with_overrides, Overrides(blank_proxies="yes"))
    refused("profile.postal_votes_required", SCOP_SA.with_overrides, Overrides(postal_votes=False))


def test_scic_colleges_weigh_from_10_to_50_percent_and_add_up_to_100():
    colleges = [College("salaries", F(40, 100)), College("beneficiaires", F(25, 100)),
                College("partenaires", F(25, 100)), College("collectivites", F(10, 100))]
    assert SCIC.with_colleges(colleges).colleges == tuple(colleges)
    assert check_colleges([College("a", F(1, 2)), College("b", F(1, 2))])
    refused("college.weight_out_of_range", check_colleges,
            [College("a", F(55, 100)), College("b", F(45, 100))])
    refused("college.weight_out_of_range", check_colleges,
            [College("a", F(5, 100))] + [College(f"c{i}", F(19, 100)) for i in range(5)])
    refused("college.weight_out_of_range", check_colleges, [College("a", 0.4)])
    refused("college.weights_total", check_colleges,
            [College("a", F(40, 100)), College("b", F(50, 100))])
    refused("college.duplicate", check_colleges,
            [College("a", F(1, 2)), College("a", F(1, 2))])
    refused("college.not_scic", SCOP_SARL.with_colleges, colleges)


# --- electorate ------------------------------------------------------------------------

def test_the_electorate_is_fixed_at_the_record_date():
    people = [
        Associate("lea", date(2020, 1, 1)),
        Associate("max", date(2026, 5, 1)),  # becomes one on the record date: in
        Associate("ana", date(2019, 1, 1), ceased_on=date(2026, 5, 1)),  # stops that day: out
        Associate("tom", date(2026, 5, 2)),  # after: out
        Associate("zoe", date(2018, 1, 1), ceased_on=date(2021, 1, 1)),
        Associate("zoe", date(2024, 1, 1)),  # came back: in
    ]
    fixed = Electorate.fix(RECORD, people, SCOP_SARL)
    assert list(fixed) == ["lea", "max", "zoe"] and fixed.size == 3
    assert "ana" not in fixed and "tom" not in fixed


def test_electorate_refusals():
    refused("associate.dates", Associate, "x", date(2026, 1, 1), ceased_on=date(2026, 1, 1))
    refused("associate.id", Associate, " ", date(2026, 1, 1))
    refused("date.out_of_range", Associate, "x", date(1800, 1, 1))
    refused("electorate.overlapping_periods", Electorate.fix, RECORD,
            [Associate("x", date(2020, 1, 1)), Associate("x", date(2022, 1, 1))], SCOP_SARL)
    refused("electorate.empty", Electorate.fix, RECORD, [Associate("x", date(2027, 1, 1))],
            SCOP_SARL)
    scic = SCIC.with_colleges([College("a", F(1, 2)), College("b", F(1, 2))])
    refused("electorate.college_missing", Electorate.fix, RECORD,
            [Associate("x", date(2020, 1, 1))], scic)
    refused("electorate.unknown_college", Electorate.fix, RECORD,
            [Associate("x", date(2020, 1, 1), college="c")], scic)
    # without colleges in the profile, a college is ignored
    assert Electorate.fix(RECORD, [Associate("x", date(2020, 1, 1), college="c")],
                          SCOP_SARL).college_of("x") is None


# --- convocation -----------------------------------------------------------------------

def test_convocation_at_least_15_days_before_sending_day_not_counted():
    assert check_convocation(date(2026, 6, 15), date(2026, 6, 30), SCOP_SARL) == 15
    refused("convocation.too_late", check_convocation, date(2026, 6, 16), date(2026, 6, 30),
            SCOP_SARL)
    longer = SCOP_SARL.with_overrides(Overrides(convocation_days=21))
    refused("convocation.too_late", check_convocation, date(2026, 6, 15), date(2026, 6, 30),
            longer)


def test_five_percent_may_add_resolutions_between_day_15_and_day_5():
    twenty, forty = electorate(20), electorate(40)
    assembly = date(2026, 6, 30)
    assert check_agenda_request(date(2026, 6, 15), assembly, ["a0000"], twenty, SCOP_SARL) == 1
    assert check_agenda_request(date(2026, 6, 25), assembly, ["a0000"], twenty, SCOP_SARL) == 1
    refused("agenda.outside_window", check_agenda_request, date(2026, 6, 14), assembly,
            ["a0000"], twenty, SCOP_SARL)
    refused("agenda.outside_window", check_agenda_request, date(2026, 6, 26), assembly,
            ["a0000"], twenty, SCOP_SARL)
    refused("agenda.too_few_votes", check_agenda_request, date(2026, 6, 20), assembly,
            ["a0000", "a0000"], forty, SCOP_SARL)  # one person, one vote: 1/40 < 5 %
    assert check_agenda_request(date(2026, 6, 20), assembly, ["a0000", "a0001"], forty,
                                SCOP_SARL) == 2
    refused("agenda.not_associate", check_agenda_request, date(2026, 6, 20), assembly,
            ["stranger"], forty, SCOP_SARL)


# --- proxies ---------------------------------------------------------------------------

@pytest.mark.parametrize(("associates", "cap"), [
    (2, 1), (19, 1), (20, 1), (39, 1), (40, 2), (59, 2), (60, 3), (1000, 50),
])
def test_proxy_caps_of_art_14(associates, cap):
    voters = electorate(associates)
    assert proxy_cap(voters, SCOP_SARL) == cap
    holder, *others = ids(associates)
    book = ProxyBook(voters, SCOP_SARL)
    for giver in others[:cap]:
        book.give(giver, holder)
    if len(others) > cap:
        error = refused("proxy.cap_exceeded", book.give, others[cap], holder)
        assert error.fields == {"holder": error.message}
        book.give(others[cap], others[-1] if len(others) > cap + 1 else None)
    assert len([p for p in book.proxies if p.holder == holder]) == cap


def test_a_proxy_only_to_another_associate_of_the_electorate():
    people = [Associate("lea", date(2020, 1, 1)), Associate("max", date(2020, 1, 1)),
              Associate("ana", date(2019, 1, 1), ceased_on=date(2026, 1, 1)),
              Associate("tom", date(2026, 6, 1))]
    voters = Electorate.fix(RECORD, people, SCOP_SARL)
    book = ProxyBook(voters, SCOP_SARL)
    for outsider in ("stranger", "ana", "tom"):  # never one, no longer one, not yet one
        refused("proxy.holder_not_associate", book.give, "lea", outsider)
        refused("proxy.giver_not_associate", book.give, outsider, "lea")
    refused("proxy.to_self", book.give, "lea", "lea")
    assert book.give("lea", "max") == Proxy("lea", "max")
    refused("proxy.already_given", book.give, "lea", None)


def test_no_chains_revocation_until_opening():
    book = ProxyBook(electorate(5), SCOP_SARL)
    book.give("a0001", "a0000")
    refused("proxy.chain", book.give, "a0002", "a0001")  # a holder who gave theirs
    refused("proxy.chain", book.give, "a0000", "a0003")  # a holder giving theirs
    assert book.revoke("a0001") == Proxy("a0001", "a0000")
    refused("proxy.unknown", book.revoke, "a0001")
    book.give("a0001", "a0002")  # after revoking, to another holder
    assert book.open() == (Proxy("a0001", "a0002"),)
    refused("proxy.assembly_open", book.give, "a0003", "a0004")
    refused("proxy.assembly_open", book.revoke, "a0001")


def test_blank_proxies_have_no_holder_and_no_cap():
    voters = electorate(5)
    book = ProxyBook(voters, SCOP_SARL)
    for giver in ids(5)[1:]:
        book.give(giver, None)
    assert all(p.blank for p in book.proxies) and len(book.proxies) == 4
    refuse_blank = SCOP_SARL.with_overrides(Overrides(blank_proxies=False))
    refused("proxy.blank_not_allowed", ProxyBook(voters, refuse_blank).give, "a0001", None)
    refused("proxy.blank_not_allowed", check_proxies, [Proxy("a0001")], voters, refuse_blank)


# --- attendance ------------------------------------------------------------------------

def test_a_giver_who_attends_revokes_the_proxy_and_counts_once():
    voters = electorate(6)
    profile = SCOP_SARL.with_overrides(Overrides(postal_votes=True))
    proxies = [Proxy("a0001", "a0000"), Proxy("a0002", "a0000"), Proxy("a0003", "a0004")]
    # with 6 associates a holder holds one proxy: a register giving a0000 two is refused
    refused("proxy.cap_exceeded", take_attendance, voters, profile, proxies, [])
    proxies = [Proxy("a0001", "a0000"), Proxy("a0002", "a0004"), Proxy("a0003", "a0005")]
    seen = take_attendance(voters, profile, proxies,
                           [("a0000", Mode.IN_PERSON), ("a0001", Mode.IN_PERSON),
                            ("a0004", Mode.IN_PERSON)],
                           postal=["a0002", "a0004"])
    assert dict(seen.modes) == {"a0000": Mode.IN_PERSON, "a0001": Mode.IN_PERSON,
                                "a0004": Mode.IN_PERSON, "a0002": Mode.POSTAL}
    assert dict(seen.represented) == {}
    assert [(lapse.proxy.giver, lapse.reason) for lapse in seen.lapsed] == [
        ("a0001", "the giver takes part in person"),
        ("a0002", "the giver takes part by post"),
        ("a0003", "the holder is absent"),
    ]
    assert seen.set_aside_postal == ("a0004",)  # presence prevails over their form
    assert seen.participants == {"a0000", "a0001", "a0002", "a0004"}


def test_attendance_refusals():
    voters = electorate(4)
    refused("attendance.not_associate", take_attendance, voters, SCOP_SARL, [],
            [("stranger", Mode.IN_PERSON)])
    refused("attendance.twice", take_attendance, voters, SCOP_SARL, [],
            [("a0000", Mode.IN_PERSON), ("a0000", Mode.IN_PERSON)])
    refused("attendance.remote_not_allowed", take_attendance, voters, SCOP_SARL, [],
            [("a0000", Mode.REMOTE)])
    refused("attendance.postal_not_allowed", take_attendance, voters, SCOP_SARL, [], [],
            postal=["a0000"])
    refused("attendance.mode", take_attendance, voters, SCOP_SA, [], [("a0000", Mode.POSTAL)])
    refused("attendance.twice", take_attendance, voters, SCOP_SA, [], [],
            postal=["a0000", "a0000"])
    remote = SCOP_SARL.with_overrides(Overrides(remote_participation=True))
    seen = take_attendance(voters, remote, [Proxy("a0001", "a0000")], [("a0000", Mode.REMOTE)])
    assert seen.represented == {"a0001": "a0000"} and seen.givers_of("a0000") == ("a0001",)
