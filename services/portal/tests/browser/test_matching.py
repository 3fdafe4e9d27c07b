"""One test per matching journey in the portal, in Chromium, against the real services
(matching_journeys.py drives the browser; here, what the matching service holds
afterwards, read through its API).

These tests write to Les Ateliers' matching records only (Léa's profile and consents, the
seeded call's answers, a call and a group of their own): the members, ledger and payroll
are left as they are."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import requests

from caekit import auth
from caekit.config import Settings


def _matching(world, path, tok=None, **params):
    response = requests.get(f"{world.urls['matching']}/cooperatives/{world.coop}{path}",
                            params=params, timeout=30,
                            headers={"Authorization": f"Bearer {tok or world.staff}"})
    assert response.ok, response.text
    return response.json()


def _as(world, key):
    return auth.mint(world.people[key]["id"], roles=["entrepreneur"],
                     cooperative_id=world.coop,
                     settings=Settings(service="test", database_url="sqlite://"))


def test_an_entrepreneur_edits_their_profile_and_consents_after_a_refusal_in_french(
        world, journeys):
    found = journeys("matching_profile")
    assert "kilomètres" in found["radius_error"]
    assert found["suggested"].lower().startswith("tradu")  # the taxonomy's autocomplete
    lea = world.people["lea"]["id"]
    profile = _matching(world, f"/profiles/{lea}")
    assert profile["place"]["travel_radius_km"] == 25
    assert {"label": "Viennoiserie", "level": 3, "years": 4} in [
        {k: s[k] for k in ("label", "level", "years")} for s in profile["skills"]]
    assert {"label": "Boulangerie", "level": 4, "years": 12} in [
        {k: s[k] for k in ("label", "level", "years")} for s in profile["skills"]]
    assert profile["languages"] == [{"code": "fr", "level": "native"}]  # kept as they were
    consent = _matching(world, f"/profiles/{lea}/consent")
    assert consent["network"]["skills"] is True and consent["network"]["place"] is True
    assert consent["network"]["day_rate"] is False
    assert {c["changed_by"] for c in consent["history"]} == {lea}  # given by Léa herself


def test_an_entrepreneur_searches_the_directory_and_opens_a_card(world, journeys):
    found = journeys("matching_directory")
    hits = _matching(world, "/directory", _as(world, "lea"), q="traduction", scope="cooperative")
    names = {f"{h['profile']['identity']['first_name']} {h['profile']['identity']['last_name']}"
             for h in hits["items"]}
    assert "Sophie Durand" in names and "Sophie Durand" in found["cooperative"]
    card = _matching(world, f"/directory/{found['network_card']}", _as(world, "lea"))
    assert card["cooperative_id"] == world.coop_b
    assert "place" not in card and "day_rate" not in card and card["skills"]


def test_an_entrepreneur_accepts_a_proposed_team_and_another_declines_it(world, journeys):
    found = journeys("matching_proposal")
    seeded = world.extra["matching"]
    proposal = _matching(world, f"/proposals/{seeded['proposal_id']}")
    answers = {m["member_id"]: m["answer"] for m in proposal["members"]}
    assert answers == {world.people["karim"]["id"]: "accepted",
                       world.people["sophie"]["id"]: "declined"}
    assert proposal["status"] == "declined"
    assert found["team_status"] == "Déclinée"
    assert _matching(world, f"/calls/{seeded['call_id']}")["status"] == "published"


def test_an_entrepreneur_never_reaches_anothers_profile_edit_page(world, journeys):
    karim = world.people["karim"]["id"]
    before = _matching(world, f"/profiles/{karim}")
    journeys("matching_forbidden")
    after = _matching(world, f"/profiles/{karim}")
    assert after["updated_at"] == before["updated_at"]
    assert after["place"] == before["place"]


def test_the_staff_write_publish_propose_see_the_answers_and_close_a_call(world, journeys):
    today = date.today()
    starts = today + timedelta(days=90)
    title = f"Traduction du guide d'accueil {uuid.uuid4().hex[:6]}"
    found = journeys("matching_staff_call", title=title, starts_on=starts.isoformat(),
                     before_start=(starts - timedelta(days=3)).isoformat(),
                     ends_on=(starts + timedelta(days=5)).isoformat(),
                     deadline=(today + timedelta(days=45)).isoformat())
    assert "premier jour" in found["end_error"]
    call = _matching(world, f"/calls/{found['call_id']}")
    assert (call["title"], call["status"], call["budget_cents"]) == (title, "closed", 450_000)
    assert call["commune"] == "Lyon" and call["latitude"] is not None
    assert [(r["label"], r["min_level"], r["people"]) for r in call["requirements"]] == [
        ("Traduction", 3, 1)]
    calls = _matching(world, "/calls", limit=200)["items"]
    assert [c["title"] for c in calls].count(title) == 1  # the refused form wrote nothing
    proposals = _matching(world, f"/calls/{found['call_id']}/proposals",
                          include_superseded="true")["items"]
    assert proposals and proposals[0]["status"] == "accepted"
    assert {m["member_id"] for m in proposals[0]["members"]} == {world.people["sophie"]["id"]}


def test_the_staff_create_a_group_and_add_and_remove_members(world, journeys):
    name = f"Traduction et rédaction {uuid.uuid4().hex[:6]}"
    found = journeys("matching_staff_group", group=name)
    group = _matching(world, f"/groups/{found['group_id']}")
    assert group["name"] == name
    assert [m["member_id"] for m in group["members"]] == [world.people["sophie"]["id"]]
