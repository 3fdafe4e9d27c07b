"""The rules of docs/domain.md ("Governance"), each through the HTTP API of the running
service (real broker, real database), with the figures the document gives.

Each test has its own cooperative, seeded by members' events; electorates are small
unless the rule needs more (the proxy cap at 40 associates).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from .conftest import motion, rule_of

TODAY = date.today()


def noon_in(days: int) -> str:
    """Noon (UTC) ``days`` from today: the day of the assembly without edge effects."""
    return datetime.combine(TODAY + timedelta(days=days), time(12), tzinfo=UTC).isoformat()


def soon(**delta) -> str:
    """Now plus ``delta``; by default a minute ago: the assembly may open at once."""
    return (datetime.now(UTC) + timedelta(**(delta or {"minutes": -1}))).isoformat()


def ids(assembly: dict) -> list[str]:
    return [r["id"] for r in assembly["resolutions"]]


def counts(resolution: dict) -> dict:
    return resolution["result"]["counts"]


# -- convocation ----------------------------------------------------------------------------
def test_a_convocation_is_sent_at_least_15_days_before(governance):
    governance.seed(2)
    today = TODAY.isoformat()
    refused = governance.convene([motion()], expect=422, held_at=noon_in(14), convened_on=today)
    assert rule_of(refused) == "convocation.too_late"
    assert "15 days" in refused["detail"] and "14 days given" in refused["detail"]
    accepted = governance.convene([motion()], held_at=noon_in(15), convened_on=today)
    assert accepted["status"] == "convened" and accepted["convened_on"] == today


def test_a_late_convocation_names_the_field_of_the_request(governance):
    """The refusal names the request's field (``convened_on``), as every 422 of the API
    does, so that a form can show it next to the right input."""
    governance.seed(2)
    refused = governance.convene([motion()], expect=422, held_at=noon_in(14),
                                 convened_on=TODAY.isoformat())
    assert set(refused["errors"]) - {"rule"} == {"convened_on"}, refused["errors"]


def test_the_second_convocation_also_keeps_the_delay(governance):
    people = governance.seed(4)
    a = governance.convene([motion("Transformation", kind="extraordinary")],
                           kind="extraordinary")["id"]
    governance.sign_in(a, people[0])
    assert governance.open(a)["status"] == "quorum_lacking"
    refused = governance.act(a, "second-convocation", {"held_at": noon_in(14),
                                                       "convened_on": TODAY.isoformat()},
                             expect=422)
    assert rule_of(refused) == "convocation.too_late"


# -- proxies ----------------------------------------------------------------------------------
def test_a_proxy_is_held_by_an_associate_only(governance):
    people = governance.seed(3)
    [outsider] = governance.join(1, associate=False, first="Salarié")
    a = governance.convene([motion()])["id"]
    refused = governance.act(a, "proxies", {"holder": outsider}, who=people[0], expect=422)
    assert rule_of(refused) == "proxy.holder_not_associate"
    assert "holder" in refused["errors"]
    governance.act(a, "proxies", {"holder": people[1]}, who=people[0])


def test_one_proxy_per_holder_below_20_associates(governance):
    people = governance.seed(19)
    holder, first, second = people[:3]
    a = governance.convene([motion()])["id"]
    governance.act(a, "proxies", {"holder": holder}, who=first)
    refused = governance.act(a, "proxies", {"holder": holder}, who=second, expect=422)
    assert rule_of(refused) == "proxy.cap_exceeded"
    book = governance.get(f"assemblies/{a}/proxies").json()
    assert book["cap"] == 1 and len(book["items"]) == 1
    governance.act(a, "proxies", {"holder": people[3]}, who=second)  # another holder: fine


def test_two_proxies_per_holder_at_40_associates(governance):
    people = governance.seed(40)
    holder, *givers = people[:4]
    a = governance.convene([motion()])["id"]
    assert governance.get(f"assemblies/{a}").json()["electorate"] == 40
    for giver in givers[:2]:
        governance.act(a, "proxies", {"holder": holder}, who=giver)
    refused = governance.act(a, "proxies", {"holder": holder}, who=givers[2], expect=422)
    assert rule_of(refused) == "proxy.cap_exceeded"
    book = governance.get(f"assemblies/{a}/proxies").json()
    assert book["cap"] == 2 and "floor(1/20 x 40) = 2" in book["cap_rule"]


def test_a_giver_who_signs_in_votes_once_themselves(governance):
    giver, holder, other = governance.seed(3)
    a = governance.convene([motion()])["id"]
    [r] = ids(governance.get(f"assemblies/{a}").json())
    governance.act(a, "proxies", {"holder": holder}, who=giver)
    governance.sign_in(a, giver, holder, other)
    opened = governance.open(a)
    assert opened["attendance"]["in_person"] == 3 and opened["attendance"]["represented"] == 0
    # presence prevails: the proxy lapses at the opening, kept with its reason
    assert opened["attendance"]["lapsed"] == [
        {"giver": giver, "holder": holder, "reason": "the giver takes part in person"}]
    refused = governance.vote(a, r, holder, choice="against", on_behalf_of=giver, expect=422)
    assert rule_of(refused) == "vote.not_represented"
    governance.vote(a, r, giver, choice="for")
    assert rule_of(governance.vote(a, r, giver, choice="for", expect=409)) == "vote.twice"
    governance.vote(a, r, holder, choice="for")
    result = governance.close_poll(a, r)
    assert counts(result) == {"for_votes": 2, "against": 0, "abstain": 0, "blank": 0,
                              "not_voted": 1}
    assert result["status"] == "adopted"  # 2 of 3 associates


def test_a_double_vote_is_refused(governance):
    people = governance.seed(3)
    a = governance.convene([motion()])["id"]
    [r] = ids(governance.get(f"assemblies/{a}").json())
    governance.sign_in(a, *people)
    governance.open(a)
    governance.vote(a, r, people[0], choice="for")
    refused = governance.vote(a, r, people[0], choice="against", expect=409)
    assert rule_of(refused) == "vote.twice"
    governance.vote(a, r, people[1], choice="against")
    assert counts(governance.close_poll(a, r))["for_votes"] == 1


def test_blank_proxies_vote_for_the_managers_resolutions_and_against_the_others(governance):
    present, opponent, absent = governance.seed(3)
    a = governance.convene([motion("Quitus à la gérance", from_managers=True),
                            motion("Motion d'un associé")])["id"]
    managers, other = ids(governance.get(f"assemblies/{a}").json())
    blank = governance.act(a, "proxies", {"holder": None}, who=absent)
    assert blank["holder"] is None
    governance.sign_in(a, present, opponent)
    opened = governance.open(a)
    assert opened["attendance"]["represented"] == 1
    assert opened["attendance"]["blank_proxies"] == 1
    for r in (managers, other):
        governance.vote(a, r, present, choice="for")
        governance.vote(a, r, opponent, choice="against")
    refused = governance.vote(a, other, absent, choice="for", expect=422)
    assert rule_of(refused) == "vote.blank_proxy"  # nobody casts a blank proxy
    first = governance.close_poll(a, managers)
    assert counts(first)["for_votes"] == 2 and counts(first)["against"] == 1
    assert first["status"] == "adopted"  # 2/3 > 1/2 of all associates
    second = governance.close_poll(a, other)
    assert counts(second)["for_votes"] == 1 and counts(second)["against"] == 2
    assert second["status"] == "rejected"


# -- counting -------------------------------------------------------------------------------
def test_abstentions_counted_or_not_flip_an_extraordinary_decision(governance):
    """5 associates, all present: 3 for, 1 against, 1 abstention, majority 3/4 of those
    present or represented. SCOP-SARL counts the abstention: 3/5 < 3/4, rejected; with
    ``count_abstentions=false``: 3/4 >= 3/4, adopted. The settings are fixed at the
    convocation: the first assembly keeps counting them."""
    people = governance.seed(5)
    change = motion("Modification des statuts", kind="extraordinary")
    counted = governance.convene([change], kind="extraordinary")["id"]
    settings = governance.configure(overrides={"count_abstentions": False})
    assert settings["count_abstentions"] is False and settings["profile"] == "scop-sarl"
    not_counted = governance.convene([change], kind="extraordinary")["id"]
    results = {}
    for a in (counted, not_counted):
        [r] = ids(governance.get(f"assemblies/{a}").json())
        governance.sign_in(a, *people)
        assert governance.open(a)["quorum"][0]["reached"] is True
        for person, choice in zip(people, ("for", "for", "for", "against", "abstain"),
                                  strict=True):
            governance.vote(a, r, person, choice=choice)
        results[a] = governance.close_poll(a, r)
    first, second = results[counted], results[not_counted]
    assert counts(first) == counts(second) == {"for_votes": 3, "against": 1, "abstain": 1,
                                               "blank": 0, "not_voted": 0}
    assert (first["result"]["base"], first["result"]["share_for"], first["status"]) == (
        5, "3/5", "rejected")
    assert (second["result"]["base"], second["result"]["share_for"], second["status"]) == (
        4, "3/4", "adopted")


def test_a_tie_is_rejected(governance):
    people = governance.seed(4)
    a = governance.convene([motion()])["id"]
    [r] = ids(governance.get(f"assemblies/{a}").json())
    governance.sign_in(a, *people)
    governance.open(a)
    for person, choice in zip(people, ("for", "against", "for", "against"), strict=True):
        governance.vote(a, r, person, choice=choice)
    result = governance.close_poll(a, r)
    assert result["result"]["tie"] is True and result["status"] == "rejected"
    assert "tie" in result["result"]["formula"]


def test_scic_colleges_weigh_the_votes(governance):
    """Colleges 40/25/25/10 %: one worker, one user, one partner and four public bodies.
    For: the worker and the user (2 heads of 7: a head count rejects); weighted:
    2/5 x 1 + 1/4 x 1 = 13/20 of the votes, more than half: adopted."""
    people = governance.seed(7, profile="scic", legal_form="SCIC-SAS")
    colleges = [{"code": "salaries", "weight": "2/5"}, {"code": "usagers", "weight": "1/4"},
                {"code": "partenaires", "weight": "1/4"},
                {"code": "collectivites", "weight": "1/10"}]
    settings = governance.configure(colleges=colleges)
    assert [c["weight"] for c in settings["colleges"]] == ["2/5", "1/4", "1/4", "1/10"]
    of = ["salaries", "usagers", "partenaires"] + ["collectivites"] * 4
    for person, college in zip(people, of, strict=True):
        governance.set_college(person, college)
    listed = governance.get("associates").json()["items"]
    assert sorted(p["college"] for p in listed) == sorted(of)
    a = governance.convene([motion("Orientations")])["id"]
    [r] = ids(governance.get(f"assemblies/{a}").json())
    governance.sign_in(a, *people)
    governance.open(a)
    for person, choice in zip(people, ["for", "for"] + ["against"] * 5, strict=True):
        governance.vote(a, r, person, choice=choice)
    result = governance.close_poll(a, r)
    assert counts(result)["for_votes"] == 2 and counts(result)["against"] == 5
    assert 2 * 2 < result["result"]["base"] == 7  # by heads: 2 of 7, not a majority
    assert result["result"]["share_for"] == "13/20"
    assert result["status"] == "adopted"
    by_college = {c["college"]: (c["weight"], c["base"]) for c in result["result"]["colleges"]}
    assert by_college == {"salaries": ("2/5", 1), "usagers": ("1/4", 1),
                          "partenaires": ("1/4", 1), "collectivites": ("1/10", 4)}


# -- quorum and second convocation -----------------------------------------------------------
def test_an_extraordinary_assembly_without_quorum_is_convened_again(governance):
    """4 associates, 2 present: 2 < ceil(3/4 x 4) = 3 on the first convocation; on the
    second the quorum is 1/2 (2 needed) and the majority 3/4 of those present."""
    people = governance.seed(4)
    agenda = [motion("Modification des statuts", kind="extraordinary"),
              motion("Changement de siège", kind="extraordinary")]
    first = governance.convene(agenda, kind="extraordinary")
    a = first["id"]
    governance.sign_in(a, *people[:2])
    opened = governance.open(a)
    assert opened["status"] == "quorum_lacking"
    [quorum] = opened["quorum"]
    assert (quorum["required"], quorum["needed"], quorum["reached"]) == ("3/4", 3, False)
    assert {r["status"] for r in opened["resolutions"]} == {"not_deliberated"}
    refused = governance.vote(a, ids(opened)[0], people[0], choice="for", expect=409)
    assert rule_of(refused) == "poll.closed"
    second = governance.act(a, "second-convocation", {
        "held_at": soon(), "place": "Salle du conseil, Lyon",
        "convened_on": (TODAY - timedelta(days=16)).isoformat()})
    assert second["convocation"] == 2 and second["first_assembly_id"] == a
    assert second["kind"] == "extraordinary" and second["status"] == "convened"
    assert [(r["title"], r["kind"], r["text"]) for r in second["resolutions"]] == [
        (r["title"], r["kind"], r["text"]) for r in first["resolutions"]]
    b = second["id"]
    governance.sign_in(b, *people[:2])
    reopened = governance.open(b)
    assert reopened["status"] == "open"
    [quorum] = reopened["quorum"]
    assert (quorum["required"], quorum["needed"], quorum["reached"]) == ("1/2", 2, True)
    for r in ids(reopened):
        for person in people[:2]:
            governance.vote(b, r, person, choice="for")
        result = governance.close_poll(b, r)
        assert result["status"] == "adopted", result
        assert "2nd convocation" in result["result"]["formula"]
        assert result["result"]["majority"] == "at least 3/4 of the associates present or " \
                                               "represented"
    again = governance.act(a, "second-convocation", {"held_at": soon(), "place": "Lyon"},
                           expect=409)
    assert rule_of(again) == "assembly.second_exists"


# -- the agenda ------------------------------------------------------------------------------
def test_associates_add_a_resolution_between_day_15_and_day_5(governance):
    people = governance.seed(10)
    convened = (TODAY - timedelta(days=20)).isoformat()
    inside = governance.convene([motion()], held_at=noon_in(10), convened_on=convened)
    window = inside["agenda_window"]
    assert window == {"from": (TODAY - timedelta(days=5)).isoformat(),
                      "to": (TODAY + timedelta(days=5)).isoformat()}
    added = governance.act(inside["id"], "resolutions", {
        **motion("Création d'un fonds de solidarité"), "requesters": [people[0]]},
        who=people[0])
    assert added["proposed_by"] == [people[0]] and added["code"] == "2"
    agenda = governance.get(f"assemblies/{inside['id']}").json()["resolutions"]
    assert [r["title"] for r in agenda] == ["Approbation des comptes",
                                            "Création d'un fonds de solidarité"]
    for days in (20, 3):  # day -20 and day -3: outside the window
        outside = governance.convene([motion()], held_at=noon_in(days), convened_on=convened)
        refused = governance.act(outside["id"], "resolutions", {
            **motion("Hors délai"), "requesters": [people[0]]}, who=people[0], expect=422)
        assert rule_of(refused) == "agenda.outside_window", refused
        assert f"day -{days}" in refused["detail"]
    someone_else = governance.act(inside["id"], "resolutions", {
        **motion("Au nom d'un autre"), "requesters": [people[1]]}, who=people[0], expect=403)
    assert someone_else["status"] == 403


# -- postal votes -----------------------------------------------------------------------------
def test_postal_votes_where_the_profile_allows_them(governance):
    sarl = governance.another_cooperative()
    [voter] = sarl.seed(1)
    a = sarl.convene([motion()])
    refused = sarl.postal(a["id"], voter, {ids(a)[0]: "for"}, expect=422)
    assert rule_of(refused) == "attendance.postal_not_allowed"

    present, *by_post, absent = governance.seed(4, profile="scop-sa", legal_form="SCOP-SA")
    settings = governance.get("governance-settings").json()
    assert settings["postal_votes"] is True
    refused = governance.configure(overrides={"postal_votes": False}, expect=422)
    assert rule_of(refused) == "profile.postal_votes_required"  # L225-107
    a = governance.convene([motion()])
    [r] = ids(a)
    for person, choice in zip(by_post, ("for", "against"), strict=True):
        form = governance.postal(a["id"], person, {r: choice})
        assert form["member_id"] == person and form["receipts"] == [
            {"resolution_id": r, "receipt": None}]
    again = governance.postal(a["id"], by_post[0], {r: "against"}, expect=409)
    assert rule_of(again) == "attendance.twice"
    governance.sign_in(a["id"], present)
    opened = governance.open(a["id"])
    assert opened["attendance"]["postal"] == 2 and opened["attendance"]["in_person"] == 1
    refused = governance.vote(a["id"], r, by_post[0], choice="for", expect=422)
    assert rule_of(refused) == "vote.postal_form"
    governance.vote(a["id"], r, present, choice="for")
    result = governance.close_poll(a["id"], r)
    assert counts(result) == {"for_votes": 2, "against": 1, "abstain": 0, "blank": 0,
                              "not_voted": 0}
    assert result["status"] == "adopted" and result["result"]["base"] == 3
    voters = governance.get(f"assemblies/{a['id']}/resolutions/{r}/voters").json()["items"]
    assert {v["voter"]: v["postal"] for v in voters} == {
        present: False, by_post[0]: True, by_post[1]: True}
    assert absent not in {v["voter"] for v in voters}


def test_a_sarl_allowing_postal_votes_counts_them(governance):
    voter, present = governance.seed(2)
    governance.configure(overrides={"postal_votes": True})
    a = governance.convene([motion()])
    [r] = ids(a)
    governance.postal(a["id"], voter, {r: "for"})
    governance.sign_in(a["id"], present)
    governance.open(a["id"])
    governance.vote(a["id"], r, present, choice="for")
    result = governance.close_poll(a["id"], r)
    assert counts(result)["for_votes"] == 2 and result["status"] == "adopted"


# -- who reads ------------------------------------------------------------------------------
def test_non_associates_read_the_assemblies_only_where_the_settings_let_them(governance):
    governance.seed(2)
    [entrepreneur] = governance.join(1, associate=False, first="Entrepreneur")
    a = governance.convene([motion()])["id"]
    for path in ("assemblies", f"assemblies/{a}"):
        governance.get(path, who=entrepreneur, expect=403)
    governance.configure(non_associates_attend=True)
    assert governance.get("assemblies", who=entrepreneur).json()["items"][0]["id"] == a
    assert governance.get(f"assemblies/{a}", who=entrepreneur).json()["id"] == a
    refused = governance.act(a, "proxies", {"holder": governance.associates[0]},
                             who=entrepreneur, expect=422)  # attending gives no vote
    assert rule_of(refused) == "proxy.giver_not_associate"


def test_another_cooperative_reads_nothing_and_unknown_assemblies_are_404(governance, token):
    people = governance.seed(2)
    a = governance.convene([motion()])["id"]
    other = governance.another_cooperative()
    other.seed(1)
    for headers in (other.staff(), other.member(other.associates[0])):
        for path in ("assemblies", f"assemblies/{a}", "governance-settings"):
            response = governance.http.get(f"{governance.url}/{path}", headers=headers)
            assert response.status_code == 403, response.text
    assert other.get("assemblies").json()["items"] == []  # its own: none
    other.get(f"assemblies/{a}", expect=404)  # in its own URL: not one of its assemblies
    unknown = governance.get(f"assemblies/{uuid.uuid4()}", expect=404).json()
    assert rule_of(unknown) == "assembly.unknown"
    governance.get(f"assemblies/{uuid.uuid4()}", who=people[0], expect=404)


# -- the meeting ----------------------------------------------------------------------------
def test_an_assembly_does_not_open_hours_before_its_time(governance):
    people = governance.seed(2)
    a = governance.convene([motion()], held_at=soon(hours=3))["id"]
    governance.sign_in(a, *people)
    refused = governance.open(a, expect=422)
    assert rule_of(refused) == "assembly.too_early"
    assert governance.get(f"assemblies/{a}").json()["status"] == "convened"


def test_an_elected_manager_convenes_the_next_assembly(governance):
    """SCOP-SARL: managers are elected by secret ballot, by more than half of ALL the
    associates (5 here: 3 votes needed, whoever is present). The first election gives
    3 votes of 5 to Camille: elected; the second gives 2 votes of 3 cast to Dominique:
    2/5, not elected. Camille, an entrepreneur, then convenes an assembly."""
    people = governance.seed(5)
    camille, dominique = people[3], people[4]
    election = {"type": "managers_election", "office": "managers", "seats": 1,
                "candidates": [camille, dominique], "effective_on": TODAY.isoformat()}
    refused = governance.convene_as(camille, [motion()], expect=403)
    assert refused["status"] == 403
    a = governance.convene([motion("Élection de la gérance", kind="election", effect=election),
                            motion("Élection complémentaire", kind="election",
                                   effect=election)])
    first, second = ids(a)
    assert all(r["secret"] for r in a["resolutions"])  # the statutes' rule
    governance.sign_in(a["id"], *people[:3])
    governance.open(a["id"])
    receipts = [governance.vote(a["id"], first, person, candidates=[camille])["receipt"]
                for person in people[:3]]
    assert all(receipts) and len(set(receipts)) == 3
    elected = governance.close_poll(a["id"], first)
    assert elected["status"] == "adopted"
    assert elected["result"]["elected"] == [camille]
    assert elected["result"]["base"] == 5
    assert elected["result"]["majority"] == "more than 1/2 of all associates"
    for person, chosen in zip(people[:3], ([dominique], [dominique], []), strict=True):
        governance.vote(a["id"], second, person, candidates=chosen)
    vacant = governance.close_poll(a["id"], second)
    assert vacant["status"] == "rejected" and vacant["result"]["elected"] == []
    assert {c["member_id"]: c["votes"] for c in vacant["result"]["candidates"]}[dominique] == 2
    associates = {p["member_id"]: p["manager"] for p in governance.get("associates").json()[
        "items"]}
    assert associates[camille] is True and associates[dominique] is False
    convened = governance.convene_as(camille, [motion("Budget")])
    assert convened["status"] == "convened"
    governance.get(f"assemblies/{convened['id']}", who=camille)
    governance.convene_as(dominique, [motion()], expect=403)
