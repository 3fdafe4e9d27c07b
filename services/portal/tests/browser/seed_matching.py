"""What the matching pages' browser tests need in the world, seeded through the services'
HTTP APIs after members, ledger and payroll (conftest.py).

Léa, Karim and Sophie write matching profiles (their ledger, payroll and contracts are left
as they are), and Bruno of the other cooperative shares his name and skills (not his place
nor his rate) with the network. The staff of Les Ateliers write a call for tenders needing a
web developer and a translator, publish it, and the matching proposes Karim and Sophie: the
entrepreneurs' journey answers it. No member is added to the members service."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import requests

from caekit.testing import eventually

LYON = {"commune": "Lyon", "commune_code": "69123", "latitude": "45.767299",
        "longitude": "4.834329"}
VILLEURBANNE = {"commune": "Villeurbanne", "commune_code": "69266", "latitude": "45.766612",
                "longitude": "4.879613"}
PARIS = {"commune": "Paris", "commune_code": "75056", "latitude": "48.856426",
         "longitude": "2.352528"}
CALL_TITLE = "Site bilingue de la Maison du vélo"


def _send(method, url, tok, body=None, expect=(200, 201)):
    response = requests.request(method, url, json=body, timeout=60, headers={
        "Authorization": f"Bearer {tok}", "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code in expect, f"{method} {url}: {response.status_code} " \
                                           f"{response.text[:2000]}"
    return response.json() if response.content else None


def _profile(presentation, skills, trades, place, radius, rate, today):
    return {"presentation": presentation,
            "skills": [{"label": label, "level": level, "years": years}
                       for label, level, years in skills],
            "trades": trades, "languages": [{"code": "fr", "level": "native"}],
            "place": {**place, "travel_radius_km": radius},
            "day_rate": {"min_cents": rate[0], "max_cents": rate[1]},
            "availability": [{"starts_on": today.isoformat(),
                              "ends_on": (today + timedelta(days=365)).isoformat(),
                              "days_per_week": 5}]}


def seed(world, urls: dict, token) -> dict:
    """token(subject, roles, coop=None) mints a test token; the dict returned reaches
    the journeys as world["matching"]."""
    matching, coop, staff = urls["matching"], world.coop, world.staff
    staff_b = token("bob", ["staff"], world.coop_b)
    people = {key: person["id"] for key, person in world.people.items()}

    def known(who_coop, member_id, tok):
        return requests.get(f"{matching}/cooperatives/{who_coop}/profiles/{member_id}/consent",
                            headers={"Authorization": f"Bearer {tok}"}, timeout=30).ok

    for member_id in people.values():
        eventually(lambda m=member_id: known(coop, m, staff), timeout=90, interval=0.2,
                   message="matching does not know the members of Les Ateliers")
    eventually(lambda: known(world.coop_b, world.member_b, staff_b), timeout=90, interval=0.2,
               message="matching does not know Bruno")

    today = date.today()
    profiles = {
        "lea": _profile("Boulangère au levain naturel, pains et viennoiseries pour les "
                        "épiceries et les restaurants du quartier.",
                        [("Boulangerie", 4, 12), ("Pâtisserie", 3, 6)], ["Boulangère"], LYON,
                        20, (25_000, 35_000), today),
        "karim": _profile("Développeur web : sites accessibles et applications sur mesure.",
                          [("Développement web", 4, 8), ("Conception graphique", 3, 5)],
                          ["Développeur web"], VILLEURBANNE, 40, (40_000, 55_000), today),
        "sophie": _profile("Traductrice de l'anglais et de l'allemand vers le français.",
                           [("Traduction", 4, 14), ("Relecture", 3, 10)], ["Traductrice"],
                           LYON, 30, (35_000, 45_000), today),
    }
    for key, body in profiles.items():
        _send("PUT", f"{matching}/cooperatives/{coop}/profiles/{people[key]}",
              token(people[key], ["entrepreneur"], coop), body)
    bruno = token(world.member_b, ["entrepreneur"], world.coop_b)
    _send("PUT", f"{matching}/cooperatives/{world.coop_b}/profiles/{world.member_b}", bruno,
          _profile("Traducteur technique et développeur à ses heures.",
                   [("Traduction", 3, 6), ("Développement web", 2, 2)], ["Traducteur"], PARIS,
                   50, (30_000, 38_000), today))
    _send("PUT", f"{matching}/cooperatives/{world.coop_b}/profiles/{world.member_b}/consent",
          bruno, {"identity": True, "skills": True, "trades": True, "place": False,
                  "day_rate": False})

    # a call for tenders, published, and the team proposed: Karim and Sophie
    starts = today + timedelta(days=60)
    call = _send("POST", f"{matching}/cooperatives/{coop}/calls", staff, {
        "title": CALL_TITLE, "buyer": "Métropole de Lyon",
        "description": "Refonte du site de la Maison du vélo et sa version anglaise.",
        "commune": "Lyon", "latitude": 45.767299, "longitude": 4.834329,
        "starts_on": starts.isoformat(), "ends_on": (starts + timedelta(days=4)).isoformat(),
        "deadline": (today + timedelta(days=30)).isoformat(), "budget_cents": 1_200_000,
        "requirements": [{"code": "WEB", "label": "Développement web", "min_level": 3},
                         {"code": "TRAD", "label": "Traduction", "min_level": 3}]})
    _send("POST", f"{matching}/cooperatives/{coop}/calls/{call['id']}/publication", staff)
    proposed = _send("POST", f"{matching}/cooperatives/{coop}/calls/{call['id']}/proposals",
                     staff, {"alternatives": 1, "time_limit_seconds": 5})
    assert proposed["proposals"], f"no team proposed: {proposed}"
    team = proposed["proposals"][0]
    assert {m["member_id"] for m in team["members"]} == {people["karim"], people["sophie"]}, team
    return {"url": matching, "call_id": call["id"], "call_title": CALL_TITLE,
            "proposal_id": team["proposal_id"], "bruno": "Bruno Oxalis",
            "sophie_token": token(people["sophie"], ["entrepreneur"], coop)}
