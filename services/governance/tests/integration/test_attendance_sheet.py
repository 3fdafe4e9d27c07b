"""The attendance sheet read over HTTP (``GET .../assemblies/<id>/sign-ins``): who signed
in, the proxies, the postal forms and the quorum, live before the opening and as fixed at
it afterwards; a page at a time; staff only."""

from __future__ import annotations

import uuid

from .conftest import motion, rule_of


def _sheet(governance, assembly: str, **params) -> dict:
    return governance.get(f"assemblies/{assembly}/sign-ins", **params).json()


def _all_lines(governance, assembly: str, limit: int) -> tuple[list[dict], int]:
    """Every line of the sheet, following the cursors; and how many pages it took."""
    lines, cursor, pages = [], None, 0
    while True:
        page = _sheet(governance, assembly, limit=limit,
                      **({"cursor": cursor} if cursor else {}))
        pages += 1
        assert len(page["items"]) <= limit
        lines += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return lines, pages


def test_the_sheet_counts_as_the_opening_will_and_agrees_with_it_once_open(governance):
    people = governance.seed(6)
    governance.configure(overrides={"postal_votes": True, "remote_participation": True})
    a = governance.convene([motion(), motion("Modification des statuts", "extraordinary")],
                           kind="combined")
    assembly = a["id"]
    ordinary, extraordinary = (r["id"] for r in a["resolutions"])
    empty = _sheet(governance, assembly)
    assert (empty["fixed"], empty["electorate"], empty["taking_part"], empty["items"]) == (
        False, 6, 0, [])
    # nobody yet: a kind with a quorum lacks it (SCOP-SARL: none for ordinary resolutions)
    assert [(q["kind"], q["reached"]) for q in empty["quorum"]] == [
        ("extraordinary", False), ("ordinary", empty["quorum"][1]["required"] is None)]

    governance.act(assembly, "proxies", {"holder": people[1]}, who=people[5])
    governance.act(assembly, "proxies", {"holder": people[2]}, who=people[4])  # never comes
    governance.postal(assembly, people[3], {ordinary: "for", extraordinary: "against"})
    governance.sign_in(assembly, people[0])
    governance.sign_in(assembly, people[1], mode="remote")  # by another staff member: same sheet

    sheet = _sheet(governance, assembly)
    assert not sheet["fixed"] and sheet["status"] == "convened"
    assert {k: sheet[k] for k in ("signed_in", "in_person", "remote", "postal", "represented",
                                  "blank_proxies", "proxies", "taking_part")} == {
        "signed_in": 2, "in_person": 1, "remote": 1, "postal": 1, "represented": 1,
        "blank_proxies": 0, "proxies": 2, "taking_part": 4}
    assert [(line["member_id"], line["mode"]) for line in sheet["items"]] == [
        (people[0], "in_person"), (people[1], "remote")]
    assert sheet["items"][0]["name"] == "Associé000 Martin" and sheet["items"][0]["signed_at"]
    assert sheet["items"][1]["proxies_held"] == [{"giver": people[5],
                                                  "name": "Associé005 Martin"}]
    assert sheet["items"][0]["proxies_held"] == []
    assert sheet["next_cursor"] is None
    assert [q["kind"] for q in sheet["quorum"]] == ["extraordinary", "ordinary"]
    assert all(q["taking_part"] == 4 and q["associates"] == 6 for q in sheet["quorum"])
    assert all(q["reached"] == (4 >= q["needed"]) for q in sheet["quorum"])

    opened = governance.open(assembly)
    fixed = _sheet(governance, assembly)
    assert fixed["fixed"] and fixed["status"] == opened["status"]
    # the domain's count before the opening is the one the opening fixed
    assert [{k: q[k] for k in ("kind", "required", "needed", "reached", "formula")}
            for q in sheet["quorum"]] == opened["quorum"]
    assert fixed["quorum"] == sheet["quorum"]
    assert (opened["attendance"]["in_person"], opened["attendance"]["remote"],
            opened["attendance"]["postal"], opened["attendance"]["represented"]) == (1, 1, 1, 1)
    assert fixed["taking_part"] == 4 and fixed["items"] == sheet["items"]


def test_a_sign_in_lapses_the_givers_proxy_and_sets_aside_their_postal_form(governance):
    people = governance.seed(4)
    governance.configure(overrides={"postal_votes": True})
    a = governance.convene([motion()])
    [r] = (x["id"] for x in a["resolutions"])
    governance.act(a["id"], "proxies", {"holder": people[1]}, who=people[0])
    governance.postal(a["id"], people[2], {r: "for"})
    governance.sign_in(a["id"], people[1])
    before = _sheet(governance, a["id"])
    assert (before["represented"], before["postal"], before["taking_part"]) == (1, 1, 3)
    governance.sign_in(a["id"], people[0], people[2])  # each comes in person after all
    after = _sheet(governance, a["id"])
    assert (after["in_person"], after["represented"], after["postal"], after["proxies"],
            after["taking_part"]) == (3, 0, 0, 1, 3)


def test_the_sheet_of_a_large_cooperative_comes_a_page_at_a_time(governance):
    people = governance.seed(60)
    a = governance.convene([motion()])["id"]
    governance.sign_in(a, *people[:55])
    lines, pages = _all_lines(governance, a, limit=20)
    assert pages == 3
    assert sorted(line["member_id"] for line in lines) == sorted(people[:55])
    assert len({line["member_id"] for line in lines}) == 55  # no line twice
    assert [(line["signed_at"], line["member_id"]) for line in lines] == sorted(
        (line["signed_at"], line["member_id"]) for line in lines)
    first = _sheet(governance, a, limit=20)
    assert first["signed_in"] == 55 and first["taking_part"] == 55
    refused = governance.get(f"assemblies/{a}/sign-ins", cursor="bm90LWEtY3Vyc29y",
                             expect=422).json()
    assert "cursor" in refused["errors"]


def test_only_the_cooperatives_staff_read_the_sheet(governance):
    people = governance.seed(2)
    a = governance.convene([motion()])["id"]
    governance.get(f"assemblies/{a}/sign-ins", who=people[0], expect=403)  # an associate
    unknown = governance.get(f"assemblies/{uuid.uuid4()}/sign-ins", expect=404).json()
    assert rule_of(unknown) == "assembly.unknown"
    other = governance.another_cooperative()
    other.seed(1)
    other.get(f"assemblies/{a}/sign-ins", expect=404)  # not one of its assemblies
    response = governance.http.get(f"{governance.url}/assemblies/{a}/sign-ins",
                                   headers=other.staff())
    assert response.status_code == 403, response.text
