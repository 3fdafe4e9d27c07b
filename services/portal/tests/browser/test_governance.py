"""One test per governance journey in the portal, in Chromium, against the real services
(governance_journeys.py drives the browser; here, what the governance service holds
afterwards). The associates and assemblies are seed_governance.py's (world.extra)."""

from __future__ import annotations

from datetime import date, timedelta

import requests


def _gov(world) -> dict:
    return world.extra["governance"]


def _get(world, path, **params):
    response = requests.get(f"{world.urls['governance']}/cooperatives/{world.coop}{path}",
                            params=params, headers={"Authorization": f"Bearer {world.staff}"},
                            timeout=30)
    assert response.ok, response.text
    return response


def _assembly(world, assembly_id) -> dict:
    return _get(world, f"/assemblies/{assembly_id}").json()


def test_an_associate_reads_the_convocation_and_gives_then_revokes_a_proxy(world, journeys):
    gov = _gov(world)
    found = journeys("assembly_convocation_proxy")
    proxies = _get(world, f"/assemblies/{gov['convocation']}/proxies").json()["items"]
    ines = [p for p in proxies if p["giver"] == gov["people"]["ines"]["id"]]
    assert [p["holder"] for p in ines if p["revoked_at"]] == [gov["people"]["paul"]["id"]]
    assert [p["holder"] for p in ines if not p["revoked_at"]] == [gov["people"]["chloe"]["id"]]
    assert "Chloé Petit" in found["holder"]


def test_an_associate_votes_in_secret_and_finds_her_receipt_in_the_published_ballots(
        world, journeys):
    gov = _gov(world)
    found = journeys("assembly_secret_vote")
    ballots = _get(world, f"/assemblies/{gov['in_session']}/resolutions/{gov['secret']}"
                          "/ballots").json()
    assert found["receipt"] in [b["receipt"] for b in ballots["items"]]
    assert next(b for b in ballots["items"] if b["receipt"] == found["receipt"])["choice"] \
        == "for"
    assert found["ballots"] == len(ballots["items"]) == 3
    voters = _get(world, f"/assemblies/{gov['in_session']}/resolutions/{gov['secret']}"
                         "/voters").json()["items"]
    assert gov["people"]["chloe"]["id"] in [v["voter"] for v in voters]
    resolution = _assembly(world, gov["in_session"])["resolutions"][0]
    assert found["result"] == {"adopted": "Adoptée", "rejected": "Rejetée"}[resolution["status"]]


def test_an_associate_reads_the_minutes(world, journeys):
    gov = _gov(world)
    found = journeys("assembly_minutes")
    assembly = _assembly(world, gov["held"])
    assert found["sha256"] == assembly["minutes_sha256"]
    minutes = _get(world, f"/assemblies/{gov['held']}/minutes", format="pdf")
    assert minutes.headers["X-Minutes-SHA256"] == found["sha256"]


def test_an_entrepreneur_never_reaches_an_assembly_not_hers_nor_the_staffs_pages(world,
                                                                                 journeys):
    journeys("assembly_forbidden")


def test_the_staff_convene_an_assembly_after_a_refused_date(world, journeys):
    today = date.today()
    title = "Assemblée générale ordinaire du printemps"
    found = journeys("assembly_staff_convene", title=title,
                     too_soon=(today + timedelta(days=3)).isoformat(),
                     held_on=(today + timedelta(days=40)).isoformat())
    assert "délai" in found["refusal"]
    assembly = _assembly(world, found["assembly_id"])
    assert (assembly["title"], assembly["kind"], assembly["status"]) == (title, "ordinary",
                                                                         "convened")
    assert assembly["held_at"][:10] == (today + timedelta(days=40)).isoformat()
    assert [(r["title"], r["secret"]) for r in assembly["resolutions"]] == [
        ("Approbation des comptes", False),
        ("Élection au bulletin secret du référent formation", True)]
    assert assembly["electorate"] == 5
    titles = [a["title"] for a in _get(world, "/assemblies").json()["items"]]
    assert titles.count(title) == 1  # the refused try convened nothing


def test_the_staff_hold_an_assembly_watching_the_quorum_live_to_its_minutes(world, journeys):
    gov = _gov(world)
    summary = "La gérance a présenté le plan de formation et la modification des statuts."
    found = journeys("assembly_staff_run", summary=summary)
    assembly = _assembly(world, gov["to_hold"])
    assert assembly["status"] == "closed" and assembly["debate_summary"] == summary
    assert assembly["attendance"]["in_person"] == 3
    assert assembly["attendance"]["represented"] == 1
    extraordinary = next(q for q in assembly["quorum"] if q["kind"] == "extraordinary")
    assert extraordinary["reached"] and extraordinary["needed"] == 4
    assert "4 participant" in found["quorum_live"]
    assert found["quorum_elsewhere"] == found["quorum_live"]  # two browsers, one sheet
    sheet = _get(world, f"/assemblies/{gov['to_hold']}/sign-ins").json()
    assert sheet["fixed"] and sheet["in_person"] == 3 and sheet["taking_part"] == 4
    assert gov["people"]["paul"]["id"] in [line["member_id"] for line in sheet["items"]]
    statuses = [r["status"] for r in assembly["resolutions"]]
    words = {"adopted": "Adoptée", "rejected": "Rejetée"}
    assert found["results"] == [words[s] for s in statuses]
    counts = assembly["resolutions"][1]["result"]["counts"]
    assert found["counts_2"] == [str(counts["for_votes"]), str(counts["against"])]
    assert found["sha256"] == assembly["minutes_sha256"]
