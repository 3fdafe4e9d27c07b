"""An assembly held through the HTTP API, on the real broker and database."""

from __future__ import annotations

from caekit.testing import count_rows

from .conftest import motion


def test_an_ordinary_assembly_from_convocation_to_minutes(governance):
    people = governance.seed(5)
    assembly = governance.convene([motion(), motion("Quitus à la gérance", from_managers=True)])
    first, second = (r["id"] for r in assembly["resolutions"])
    a = assembly["id"]
    governance.act(a, "proxies", {"holder": people[1]}, who=people[4])
    for person in people[:3]:
        governance.act(a, "sign-ins", {"member_id": person, "mode": "in_person"})
    opened = governance.act(a, "opening", {"chair": "Camille Martin", "secretary": "Lou Bernard"},
                            expect=200)
    assert opened["status"] == "open"
    assert opened["attendance"]["in_person"] == 3 and opened["attendance"]["represented"] == 1
    for person in people[:3]:
        governance.vote(a, first, person, choice="for")
    governance.vote(a, first, people[1], choice="against", on_behalf_of=people[4])
    governance.vote(a, first, people[0], choice="for", expect=409)  # a double vote
    result = governance.close_poll(a, first)
    assert result["status"] == "adopted", result
    assert result["result"]["counts"] == {"for_votes": 3, "against": 1, "abstain": 0,
                                          "blank": 0, "not_voted": 0}
    governance.vote(a, second, people[0], choice="against")
    rejected = governance.close_poll(a, second)
    assert rejected["status"] == "rejected"
    closed = governance.act(a, "closing", {"debate_summary": "Les comptes ont été présentés."},
                            expect=200)
    assert closed["status"] == "closed" and closed["minutes_sha256"]
    pdf = governance.get(f"assemblies/{a}/minutes", format="pdf")
    assert pdf.content.startswith(b"%PDF")
    assert count_rows(governance.db, "outbox", "WHERE event_type = "
                      "'cae.governance.minutes_published.v1'") == 1
