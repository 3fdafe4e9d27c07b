"""What the governance pages' browser tests need in the world, seeded through the services'
HTTP APIs after members, ledger and payroll (conftest.py).

Five associates of their own in Les Ateliers (Léa, Karim and Sophie are left as they are:
the other tests read their ledger and contracts): each registered with an activity (the
demo's sign-in page lists them), a CESA, then admitted as an associate through the members
service (``POST .../members/<id>/associate``, whose ``member_became_associate`` event makes
them electors in governance). Then four assemblies, each for its journeys:

- ``convocation``: convened for next month, with a document (the proxy journey);
- ``vote``: held now and open, its secret resolution being voted on (the receipt journey);
- ``minutes``: held, voted and closed, its minutes published (the minutes journey);
- ``run``: convened for now, nobody signed in yet, a proxy given (the staff's journey; a
  second staff member's token, ``other_staff``, signs an associate in through the API).
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime, timedelta

import requests

from caekit.testing import eventually

ASSOCIATES = {  # key: (first, last, activity code, activity name)
    "ines": ("Inès", "Moreau", "GOVINES", "Atelier d'ébénisterie Inès"),
    "paul": ("Paul", "Girard", "GOVPAUL", "Menuiserie Paul Girard"),
    "chloe": ("Chloé", "Petit", "GOVCHLOE", "Graphisme Chloé Petit"),
    "marc": ("Marc", "Roux", "GOVMARC", "Photographie Marc Roux"),
    "nadia": ("Nadia", "Faure", "GOVNADIA", "Conseil Nadia Faure"),
}
PLACE = "Salle des Canuts, 5 rue Bodin, 69001 Lyon"


def _post(url, body, tok, key=True, expect=(200, 201)):
    headers = {"Authorization": f"Bearer {tok}"}
    if key:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    response = requests.post(url, json=body, timeout=30, headers=headers)
    assert response.status_code in expect, f"{url}: {response.status_code} {response.text}"
    return response.json()


def _get(url, tok, **params):
    return requests.get(url, params=params, timeout=30,
                        headers={"Authorization": f"Bearer {tok}"})


def _motion(title: str, kind: str = "ordinary", **fields) -> dict:
    return {"title": title, "text": f"L'assemblée générale décide : {title.lower()}.",
            "kind": kind, **fields}


def seed(world, urls: dict, token) -> dict:
    """token(subject, roles, coop=None) mints a test token; the dict returned reaches
    the journeys as world["governance"]."""
    members, governance, ledger = urls["members"], urls["governance"], urls["ledger"]
    coop, staff = world.coop, world.staff
    people = {}
    for key, (first, last, code, activity) in ASSOCIATES.items():
        member = _post(f"{members}/cooperatives/{coop}/members", {
            "first_name": first, "last_name": last, "email": f"{key}.ag@example.org",
            "joined_on": "2026-01-05", "activity_code": code, "activity_name": activity}, staff)
        _post(f"{members}/cooperatives/{coop}/members/{member['id']}/contracts",
              {"kind": "CESA", "signed_on": "2026-01-05"}, staff)
        _post(f"{members}/cooperatives/{coop}/members/{member['id']}/associate",
              {"on": "2026-02-02"}, staff)
        people[key] = {"id": member["id"], "name": f"{first} {last}", "code": code,
                       "token": token(member["id"], ["entrepreneur"], coop)}
    ids = {p["id"] for p in people.values()}
    eventually(lambda: ids <= {a["member_id"] for a in _get(
        f"{governance}/cooperatives/{coop}/associates", staff).json().get("items", [])},
        timeout=90, interval=0.2, message="governance knows the five associates")
    eventually(lambda: {p["code"] for p in people.values()} <= {a["code"] for a in _get(
        f"{ledger}/cooperatives/{coop}/activities", staff).json()["items"]},
        timeout=90, interval=0.2, message="the ledger opens the associates' activities")

    base = f"{governance}/cooperatives/{coop}/assemblies"
    now = datetime.now(UTC)
    earlier = (date.today() - timedelta(days=20)).isoformat()

    def convene(title, resolutions, held_at, convened_on=None, kind="ordinary", **more):
        body = {"title": title, "kind": kind, "held_at": held_at.isoformat(), "place": PLACE,
                "resolutions": resolutions, **more}
        if convened_on:
            body["convened_on"] = convened_on
        return _post(base, body, staff)

    def act(assembly, path, body, who=None):
        return _post(f"{base}/{assembly}/{path}", body,
                     staff if who is None else people[who]["token"])

    def vote(assembly, resolution, who, choice, **more):
        return _post(f"{base}/{assembly}/resolutions/{resolution}/votes",
                     {"choice": choice, **more}, people[who]["token"], key=False)

    def sign_in(assembly, *who):
        for key in who:
            act(assembly, "sign-ins", {"member_id": people[key]["id"], "mode": "in_person"})

    # the convocation of next month, with its management report
    report = "Rapport de gestion de l'exercice 2026 : activité, comptes, perspectives.\n"
    held = (now + timedelta(days=30)).replace(hour=16, minute=0, second=0, microsecond=0)
    convocation = convene("Assemblée générale ordinaire annuelle", [
        _motion("Approbation des comptes de l'exercice 2026"),
        _motion("Affectation du résultat"),
    ], held, documents=[{"title": "Rapport de gestion 2026", "media_type": "text/plain",
                         "content": base64.b64encode(report.encode()).decode()}])

    # an assembly in session: its secret resolution open, two ballots cast already
    in_session = convene("Assemblée générale ordinaire de décembre", [
        _motion("Adoption du règlement intérieur", secret=True)],
        now - timedelta(minutes=5), earlier)
    sign_in(in_session["id"], "paul", "chloe", "marc", "nadia")
    act(in_session["id"], "opening", {"chair": "Paul Girard", "secretary": "Nadia Faure"})
    secret = in_session["resolutions"][0]["id"]
    vote(in_session["id"], secret, "paul", "for")
    vote(in_session["id"], secret, "marc", "against")

    # an assembly held and closed: its minutes
    held_past = convene("Assemblée générale ordinaire de mi-année", [
        _motion("Approbation du budget prévisionnel"), _motion("Ouverture d'un établissement")],
        now - timedelta(minutes=10), earlier)
    sign_in(held_past["id"], *people)
    act(held_past["id"], "opening", {"chair": "Inès Moreau", "secretary": "Marc Roux"})
    first, second = (r["id"] for r in held_past["resolutions"])
    for key in people:
        vote(held_past["id"], first, key, "for")
    for key, choice in zip(people, ("for", "against", "against", "abstain", "against"),
                           strict=True):
        vote(held_past["id"], second, key, choice)
    for resolution in (first, second):
        act(held_past["id"], f"resolutions/{resolution}/close", {})
    act(held_past["id"], "closing", {"debate_summary": "Le budget a été présenté par la "
                                                       "gérance ; les associés en ont débattu."})

    # an assembly for the staff to hold: nobody signed in, Nadia's proxy given to Paul
    to_hold = convene("Assemblée générale mixte de fin d'année", [
        _motion("Approbation du plan de formation"),
        _motion("Modification de l'article 12 des statuts", kind="extraordinary")],
        now - timedelta(minutes=1), earlier, kind="combined")
    act(to_hold["id"], "proxies", {"holder": people["paul"]["id"]}, who="nadia")

    return {"people": {k: {"id": p["id"], "name": p["name"], "token": p["token"]}
                       for k, p in people.items()},
            "url": governance, "coop": coop,
            # another staff member of the cooperative, signing in through the API itself
            "other_staff": token("bruno", ["staff"], coop),
            "convocation": convocation["id"],
            "in_session": in_session["id"], "secret": secret,
            "held": held_past["id"],
            "to_hold": to_hold["id"],
            "to_hold_resolutions": [r["id"] for r in to_hold["resolutions"]]}
