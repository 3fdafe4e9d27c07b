"""Seeds the demo network over the public HTTP APIs and prints where to look: the URLs,
tokens and `curl` lines, then the `cae` commands to try in another shell, with real ids."""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
import textwrap
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote, urlsplit

import requests

from caekit.auth import mint
from caekit.config import Settings

NETWORK = [
    ("Coopaname", "732829320", "SCOP-SA", [
        ("Léa", "Martin", "BOULANGE", "Boulangerie Léa"),
        ("Karim", "Benali", "WEBKB", "Studio web Karim"),
        ("Sophie", "Durand", "TRAD-SD", "Traductions Sophie Durand"),
    ]),
    ("Oxalis", "552100554", "SCOP-SARL", [
        ("Marc", "Petit", "RENOV", "Rénovation énergétique Petit"),
        ("Inès", "Moreau", "FORMA", "Formation Moreau"),
        ("Lucie", "Bernard", "COUTURE", "Atelier couture Lucie Bernard"),
        ("Thomas", "Girard", "MENUIS", "Menuiserie Girard"),
        ("Chloé", "Fontaine", "GRAPH", "Graphisme Chloé Fontaine"),
        ("Yanis", "Mercier", "ELEC", "Électricité Mercier"),
        ("Sarah", "Lambert", "COMPTA", "Conseil comptable Sarah Lambert"),
    ]),
    ("Grands Ensemble", "542051180", "SCIC-SAS", [
        ("Julie", "Roux", "PAYSAGE", "Paysages Julie Roux"),
    ]),
]


# a file for `cae members import` to try: CAPE contracts only (a CESA would put the people in
# the next payroll run without a salary chosen)
PEOPLE_CSV = """person_ref,first_name,last_name,email,joined_on,cape_signed_on,cape_ends_on,activity_code,activity_name
IMP-001,Hugo,Lefèvre,hugo.lefevre@example.org,2026-02-02,2026-02-02,2026-07-31,CERAM,Céramique Hugo
IMP-002,Amina,Diallo,amina.diallo@example.org,2026-02-16,,,CONSEIL,Conseil Amina Diallo
IMP-003,Théo,Garnier,theo.garnier@example.org,2026-03-02,2026-03-02,2026-08-31,VELO,Ateliers vélo Théo
"""
# the parking queue of the first hop of the demo's scenario (the ledger opening activities)
DLQ_EXAMPLE = "ledger--cae.members.activity_opened.v1"

# the cooperative whose people joined a year earlier: its first six were admitted as
# associates in 2025 (after their CESA), the last is a CESA holder the assembly admits
ASSEMBLY_COOP = "Oxalis"
SINCE = {ASSEMBLY_COOP: "2025-01-06"}  # joined and signed the CESA (others: 2026-01-05)
ASSOCIATES_SINCE = "2025-07-01"
HEAD_OFFICE = "12 rue des Tanneurs, 69001 Lyon"
PLACE = "Salle des Canuts, 12 rue des Tanneurs, 69001 Lyon"
VIDEO_LINK = "https://visio.oxalis-scop.example/ag-2026"  # only where remote participation is allowed
REPORT = """Oxalis - Rapport de gestion 2026

1. Activité de l'exercice
Sept entrepreneurs-salariés ont développé leur activité au sein de la coopérative : rénovation
énergétique, formation, couture, menuiserie, graphisme, électricité et conseil comptable.
Le chiffre d'affaires facturé progresse de 12 % par rapport à l'exercice 2025.

2. Résultat et affectation proposée
Le résultat de l'exercice est excédentaire. La gérance propose d'en affecter 45 % aux
réserves impartageables, 40 % à la participation des salariés et 15 % aux parts sociales.

3. Perspectives
La gérance propose un barème de contribution dégressif au-delà de 60 000 EUR de chiffre
d'affaires annuel, l'admission d'une nouvelle associée et le renouvellement de la gérance.
"""
DEBATE_SUMMARY = """Le président de séance rappelle l'ordre du jour et présente le rapport de gestion de l'exercice 2026, mis à la disposition des associés avec la convocation.

Sur les comptes, Thomas Girard interroge la gérance sur la hausse des frais de déplacement ; la gérance explique qu'elle tient aux chantiers de rénovation énergétique conduits hors de la métropole.

Sur le barème de contribution, plusieurs associés se félicitent d'un taux réduit au-delà de 60 000 EUR de chiffre d'affaires ; Thomas Girard craint une baisse des moyens mutualisés et annonce qu'il votera contre.

Sarah Lambert, entrepreneure-salariée depuis janvier 2025, présente son projet d'associée. Les deux candidats à la gérance, Marc Petit et Inès Moreau, exposent chacun leur programme.

La proposition d'achat d'un véhicule utilitaire partagé est jugée prématurée par la majorité des associés, faute de devis comparés."""


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def agenda(candidate: str, candidates: list[str], first_of_month: date, year: int) -> list[dict]:
    """The resolutions of the annual ordinary assembly; their ``effect`` is what they do."""
    return [
        {"title": f"Approbation des comptes de l'exercice {year}", "kind": "ordinary",
         "from_managers": True,
         "text": f"L'assemblée générale, après avoir entendu la lecture du rapport de gestion, "
                 f"approuve les comptes de l'exercice {year} tels qu'ils lui ont été présentés, "
                 "ainsi que les opérations traduites dans ces comptes.",
         "effect": {"type": "accounts_approval", "fiscal_year": year}},
        {"title": "Nouveau barème de contribution des entrepreneurs", "kind": "ordinary",
         "from_managers": True,
         "text": "L'assemblée générale fixe la contribution des entrepreneurs-salariés aux "
                 "services mutualisés à 9 % du chiffre d'affaires annuel hors taxes, puis à 7 % "
                 f"au-delà de 60 000 EUR, à compter du {first_of_month:%d/%m/%Y}.",
         "effect": {"type": "contribution_schedule", "effective_on": first_of_month.isoformat(),
                    "bands": [{"from_cents": 0, "rate": "0.0900"},
                              {"from_cents": 6_000_000, "rate": "0.0700"}]}},
        {"title": "Admission de Sarah Lambert comme associée", "kind": "ordinary",
         "from_managers": True,
         "text": "L'assemblée générale admet Sarah Lambert, titulaire d'un contrat "
                 "d'entrepreneur-salarié associé, en qualité d'associée de la coopérative.",
         "effect": {"type": "associate_admission", "member_id": candidate}},
        {"title": "Élection de la gérance", "kind": "election",
         "text": "L'assemblée générale élit, au scrutin secret, le gérant de la coopérative "
                 "pour un mandat de quatre ans parmi les candidats Marc Petit et Inès Moreau.",
         "effect": {"type": "managers_election", "office": "managers", "seats": 1,
                    "candidates": candidates}},
        {"title": "Achat d'un véhicule utilitaire partagé", "kind": "ordinary",
         "text": "L'assemblée générale autorise la gérance à acquérir un véhicule utilitaire "
                 "électrique mis à la disposition des activités, pour un budget de 38 000 EUR.",
         "effect": {"type": "none"}},
    ]


# what each associate (by first name) votes on each resolution, in order; the proxy
# holder casts the giver's ballot too; the election's ballots name a candidate
PLANNED = ("adopted", "adopted", "adopted", "adopted", "rejected")
VOTES = {
    "Marc": ("for", "for", "for", "Marc", "for"),
    "Inès": ("for", "for", "for", "Inès", "against"),
    "Lucie": ("for", "for", "for", "Inès", "abstain"),
    "Thomas": ("for", "against", "for", "Inès", "against"),
    "Chloé": ("for", "for", "for", "Marc", "for"),
    "Yanis": ("for", "for", "abstain", "Inès", "against"),
}
PROXY = ("Yanis", "Chloé")  # Yanis gives his proxy to Chloé


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health/ready", timeout=2).json().get("status") == "ok":
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.3)
    sys.exit(f"demo: {url} is not ready after {timeout}s (see the logs)")


class Api:
    """JSON calls to one service: each write with an Idempotency-Key; a refusal stops the demo
    with the service's answer."""

    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, tok: str, body=None, params=None,
             ok=(200, 201)) -> requests.Response:
        headers = {"Authorization": f"Bearer {tok}"}
        if method != "GET" and not path.endswith(("/votes", "/postal-votes")):
            headers["Idempotency-Key"] = uuid.uuid4().hex  # a ballot keeps no record of it
        response = requests.request(method, f"{self.base}{path}", json=body, params=params,
                                    headers=headers, timeout=30)
        if ok and response.status_code not in ok:
            sys.exit(f"demo: {method} {self.base}{path}: {response.status_code} "
                     f"{response.text[:2000]}")
        return response


def eventually(what: str, probe, timeout: float = 60):
    """``probe()``'s first true answer, asked again until ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            sys.exit(f"demo: {what} after {timeout:.0f} s")
        time.sleep(0.3)


def hold_assembly(members: Api, governance: Api, coop: str, staff: str, token,
                  people: list[tuple[str, str, str]], directory: str) -> dict:
    """Oxalis's annual ordinary assembly, from its convocation to its minutes: ``people`` are
    (member id, first name, last name), the associates first, the person admitted last."""
    *associates, (candidate, _, _) = people
    for member_id, _, _ in associates:
        members.call("POST", f"/cooperatives/{coop}/members/{member_id}/associate", staff,
                     {"on": ASSOCIATES_SINCE})
    g = f"/cooperatives/{coop}"
    today = date.today()
    convened_on = today - timedelta(days=20)

    # governance knows the associates from members' events
    def known():
        listed = governance.call("GET", f"{g}/associates", staff, ok=None,
                                 params={"on": convened_on.isoformat()})
        return listed.ok and len(listed.json()["items"]) == len(associates)

    eventually(f"governance does not list the {len(associates)} associates of {ASSEMBLY_COOP}",
               known)
    settings = governance.call("PUT", f"{g}/governance-settings", staff,
                               {"head_office": HEAD_OFFICE}).json()
    by_name = {first: member_id for member_id, first, _ in associates}
    full_names = {member_id: f"{first} {last}" for member_id, first, last in people}
    body = {
        "title": f"Assemblée générale ordinaire annuelle {today.year}", "kind": "ordinary",
        "held_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds"),
        "place": PLACE, "convened_on": convened_on.isoformat(),
        "documents": [{"title": f"Rapport de gestion {today.year}", "media_type": "text/plain",
                       "content": base64.b64encode(REPORT.encode()).decode()}],
        "resolutions": agenda(candidate, [by_name["Marc"], by_name["Inès"]], next_month(today),
                              today.year)}
    if settings["remote_participation"]:  # the statutes let associates take part remotely
        body["video_link"] = VIDEO_LINK

    # the person admitted must be known too (her member_joined event): asked again until then
    def convened():
        response = governance.call("POST", f"{g}/assemblies", staff, body, ok=None)
        if response.status_code == 422 and "effect.not_member" in response.text:
            return None
        if response.status_code != 201:
            sys.exit(f"demo: governance refused the convocation: {response.status_code} "
                     f"{response.text[:2000]}")
        return response.json()

    assembly = eventually("governance does not know the person to admit", convened)
    a = f"{g}/assemblies/{assembly['id']}"
    resolutions = assembly["resolutions"]

    def as_associate(first: str) -> str:
        return token(by_name[first], ["entrepreneur"], coop)

    giver, holder = PROXY
    governance.call("POST", f"{a}/proxies", as_associate(giver), {"holder": by_name[holder]})
    for first, member_id in by_name.items():
        if first != giver:
            governance.call("POST", f"{a}/sign-ins", staff,
                            {"member_id": member_id, "mode": "in_person"})
    governance.call("POST", f"{a}/opening", staff,
                    {"chair": "Marc Petit", "secretary": "Lucie Bernard"})
    receipts = {}
    for n, resolution in enumerate(resolutions):
        for first, choices in VOTES.items():
            choice = choices[n]
            ballot = ({"candidates": [by_name[choice]]} if resolution["kind"] == "election"
                      else {"choice": choice})
            voter = holder if first == giver else first
            if first == giver:
                ballot["on_behalf_of"] = by_name[giver]
            cast = governance.call("POST", f"{a}/resolutions/{resolution['id']}/votes",
                                   as_associate(voter), ballot).json()
            if cast["receipt"]:
                receipts.setdefault(resolution["id"], {})[first] = cast["receipt"]
        governance.call("POST", f"{a}/resolutions/{resolution['id']}/close", staff)
    governance.call("POST", f"{a}/closing", staff, {"debate_summary": DEBATE_SUMMARY})
    held = governance.call("GET", a, staff).json()
    minutes = governance.call("GET", f"{a}/minutes", staff, params={"format": "pdf"})
    pdf = os.path.join(directory, "pv-assemblee.pdf")
    with open(pdf, "wb") as out:
        out.write(minutes.content)
    election = next(r for r in held["resolutions"] if r["kind"] == "election")
    voter = "Chloé"
    return {"assembly": held, "path": pdf, "sha256": minutes.headers.get("X-Minutes-SHA256"),
            "pdf_sha256": hashlib.sha256(minutes.content).hexdigest(),
            "candidate": candidate, "candidate_name": full_names[candidate],
            "schedule_on": next_month(today), "election": election,
            "voter": f"{voter} {next(last for _, f, last in people if f == voter)}",
            "receipt": receipts[election["id"]][voter],
            "elected": [full_names.get(m, m) for m in election["result"]["elected"]]}


def check_assembly(members: Api, ledger: Api, coop: str, staff: str, held: dict) -> None:
    """Smoke: the results as planned, the minutes sealed, the effects in the other services."""
    assembly = held["assembly"]
    statuses = tuple(r["status"] for r in assembly["resolutions"])
    if statuses != PLANNED or assembly["status"] != "closed":
        sys.exit(f"demo smoke: the assembly ({assembly['status']}) decided {statuses}, "
                 f"not {PLANNED}")
    if not assembly["minutes_sha256"] or not (
            assembly["minutes_sha256"] == held["sha256"] == held["pdf_sha256"]):
        sys.exit(f"demo smoke: the minutes' sha256 differ: {assembly['minutes_sha256']}, "
                 f"{held['sha256']}, {held['pdf_sha256']}")
    with open(held["path"], "rb") as saved:
        if not saved.read(5) == b"%PDF-":
            sys.exit(f"demo smoke: {held['path']} is not a PDF")
    wanted = held["schedule_on"].isoformat()
    eventually(f"the ledger has no contribution schedule from {wanted}", lambda: any(
        item["effective_on"] == wanted and [b["rate"] for b in item["bands"]] == ["0.0900",
                                                                                  "0.0700"]
        for item in ledger.call("GET", f"/cooperatives/{coop}/contribution-schedules",
                                staff).json()["items"]))
    eventually(f"members did not record {held['candidate_name']} as an associate",
               lambda: members.call("GET", f"/cooperatives/{coop}/members/{held['candidate']}",
                                    staff).json().get("associate_on"))


# matching: the profiles the entrepreneurs write (by cooperative and first name); a skill
# names an ESCO concept by its French label (its URI asked of GET /concepts at seed time)
# or is a free-text skill; places are the communes' coordinates (town hall), in degrees
LYON = ("Lyon", "69123", "45.767299", "4.834329")
VILLEURBANNE = ("Villeurbanne", "69266", "45.766612", "4.879613")
VAULX = ("Vaulx-en-Velin", "69256", "45.778432", "4.921880")
VENISSIEUX = ("Vénissieux", "69259", "45.697548", "4.885683")
PARIS = ("Paris", "75056", "48.856426", "2.352528")
MONTREUIL = ("Montreuil", "93048", "48.861370", "2.443304")
NETWORK_FIELDS = ("identity", "skills", "availability", "place")
PROFILES = {
    ("Oxalis", "Chloé"): {
        "presentation": "Graphiste et développeuse web depuis 2016 : identités visuelles, sites "
                        "accessibles et sobres pour les associations et les collectivités.",
        "skills": [({"concept": "conception graphique"}, 4, 9),
                   ({"label": "Développement Web"}, 3, 6),
                   ({"concept": "programmation web"}, 3, 6),
                   ({"concept": "mettre en œuvre le design front end d’un site web"}, 3, 5),
                   ({"label": "Accessibilité numérique (RGAA)"}, 2, 2)],
        "trades": ["Graphiste", "Développeuse web"],
        "languages": [("fr", "native"), ("en", "C1")], "place": (LYON, 40),
        "day_rate": (42_000, 52_000), "days_per_week": 4,
        "references": [("Refonte du site de la Ressourcerie des Pentes", "Ressourcerie des Pentes",
                        2025, "Site accessible (RGAA AA), charte graphique et formation de "
                              "l'équipe à la mise à jour des contenus."),
                       ("Identité visuelle du festival Lumières d'ailleurs",
                        "Association Lumières d'ailleurs", 2024, None)],
        "network": NETWORK_FIELDS + ("presentation", "trades", "references")},
    ("Oxalis", "Inès"): {
        "presentation": "Formatrice et ingénieure pédagogique : parcours de formation pour "
                        "adultes, en présentiel et à distance, financés par les OPCO.",
        "skills": [({"concept": "créer du matériel de formation"}, 4, 11),
                   ({"concept": "appliquer des stratégies pédagogiques"}, 4, 11),
                   ({"concept": "concevoir du matériel pédagogique numérique"}, 3, 4),
                   ({"label": "Ingénierie de formation"}, 4, 10)],
        "trades": ["Formatrice", "Ingénieure pédagogique"],
        "languages": [("fr", "native"), ("es", "B2")], "place": (VILLEURBANNE, 60),
        "day_rate": (65_000, 80_000), "days_per_week": 3,
        "references": [("Parcours « Numérique responsable » pour 40 agents", "Métropole de Lyon",
                        2025, None)],
        "network": NETWORK_FIELDS},
    ("Oxalis", "Marc"): {
        "presentation": "Thermicien, j'accompagne les copropriétés et les particuliers dans "
                        "leurs projets de rénovation énergétique, de l'audit au suivi de chantier.",
        "skills": [({"concept": "performance énergétique des bâtiments"}, 4, 12),
                   ({"concept": "installer des matériaux isolants"}, 3, 8),
                   ({"label": "Audit énergétique"}, 4, 10),
                   ({"label": "Thermographie infrarouge"}, 3, 5)],
        "trades": ["Conseiller en rénovation énergétique", "Thermicien"],
        "languages": [("fr", "native"), ("en", "B1")], "place": (LYON, 80),
        "day_rate": (48_000, 58_000), "days_per_week": 5,
        "references": [("Audit énergétique d'une copropriété de 48 logements",
                        "Syndic de la Croix-Rousse", 2025, None)],
        "network": NETWORK_FIELDS + ("trades",)},
    ("Oxalis", "Thomas"): {  # shares nothing with the network
        "presentation": "Menuisier agenceur : mobilier sur mesure et agencement de boutiques "
                        "en bois locaux.",
        "skills": [({"concept": "créer des assemblages de bois"}, 4, 15),
                   ({"concept": "procédés de travail du bois"}, 4, 15),
                   ({"label": "Agencement intérieur"}, 3, 8)],
        "trades": ["Menuisier", "Agenceur"],
        "languages": [("fr", "native")], "place": (VAULX, 50),
        "day_rate": (38_000, 45_000), "days_per_week": 5, "references": [], "network": ()},
    ("Oxalis", "Yanis"): {  # shares nothing with the network
        "presentation": "Électricien du bâtiment, installations photovoltaïques et mises en "
                        "conformité.",
        "skills": [({"concept": "installer des appareils électriques et électroniques"}, 4, 9),
                   ({"label": "Installation photovoltaïque"}, 3, 4)],
        "trades": ["Électricien"],
        "languages": [("fr", "native"), ("ar", "C1")], "place": (VENISSIEUX, 60),
        "day_rate": (40_000, 48_000), "days_per_week": 5, "references": [], "network": ()},
    ("Coopaname", "Karim"): {  # a web developer of the other cooperative, seen by it only
        "presentation": "Développeur web : applications sur mesure, sites de commerce en ligne.",
        "skills": [({"label": "Développement Web"}, 4, 10),
                   ({"concept": "programmation web"}, 4, 10)],
        "trades": ["Développeur web"],
        "languages": [("fr", "native"), ("ar", "B2"), ("en", "B2")], "place": (MONTREUIL, 30),
        "day_rate": (45_000, 60_000), "days_per_week": 5, "references": [], "network": ()},
    ("Coopaname", "Sophie"): {
        "presentation": "Traductrice de l'anglais et de l'allemand vers le français : sites "
                        "web, documents techniques et institutionnels.",
        "skills": [({"concept": "traduire des textes"}, 4, 14),
                   ({"concept": "traduire une langue étrangère"}, 4, 14),
                   ({"label": "Localisation de sites web"}, 3, 6)],
        "trades": ["Traductrice"],
        "languages": [("fr", "native"), ("en", "C2"), ("de", "C1")], "place": (PARIS, 450),
        "day_rate": (35_000, 45_000), "days_per_week": 5,
        "references": [("Traduction du site d'un musée", "Musée des Confluences", 2024, None)],
        "network": NETWORK_FIELDS + ("languages",)},
}
GROUP = {"name": "Bâtiment durable", "topic": "Rénovation énergétique et écoconstruction",
         "description": "Les entrepreneurs du bâtiment d'Oxalis répondent ensemble aux "
                        "chantiers de rénovation."}
GROUP_MEMBERS = ("Marc", "Thomas", "Yanis")
CALL_PLACE = VILLEURBANNE
# the call's requirements: (code, skill concept, minimum level, certifications to take it)
CALL_REQUIREMENTS = (("WEB", "programmation web", 3, ()),
                     ("FORMATION", "créer du matériel de formation", 3, ("qualiopi",)),
                     ("TRADUCTION", "traduire des textes", 3, ()))
WEB_DEVELOPER = ("Oxalis", "Chloé")  # whom another cooperative finds as « développeuse web »
ANSWERS = ("Coopaname", "Sophie")  # who accepts the team proposed (from her own cooperative)


def month_end(day: date) -> date:
    return next_month(day) - timedelta(days=1)


def seed_matching(matching: Api, token, people: dict, staff: dict) -> dict:
    """Profiles, consents, a certification, a group, a call for tenders to the network, the
    team proposed and an answer. ``people``: (cooperative name, first name) -> (cooperative
    id, member id, last name); ``staff``: cooperative name -> a staff token."""
    # matching learns the cooperatives and members from members' events: asked again until
    # it knows each entrepreneur who writes a profile (a 404 member.unknown until then)
    for (name, first), (coop, member_id, last) in people.items():
        if (name, first) not in PROFILES:
            continue

        def known(coop=coop, member_id=member_id, staff_token=staff[name],
                  who=f"{first} {last}"):
            found = matching.call("GET", f"/cooperatives/{coop}/profiles/{member_id}/consent",
                                  staff_token, ok=None)
            if found.status_code not in (200, 404):
                sys.exit(f"demo: matching, GET consent of {who}: "
                         f"{found.status_code} {found.text[:2000]}")
            return found.ok

        eventually(f"matching does not know {first} {last} of {name} (members' "
                   "member_joined event; see matching.log)", known)

    def as_member(key) -> str:
        coop, member_id, _ = people[key]
        return token(member_id, ["entrepreneur"], coop)

    reader = as_member(WEB_DEVELOPER)
    uris: dict[str, str] = {}

    def concept(label: str) -> str:
        """The URI of the taxonomy's skill of this label, by the autocomplete."""
        if label not in uris:
            items = matching.call("GET", "/concepts", reader,
                                  params={"q": label, "kind": "skill", "limit": 10}).json()["items"]
            same = [i for i in items if i["label"].casefold() == label.casefold()]
            if not same:
                sys.exit(f"demo: the taxonomy has no skill « {label} »: "
                         f"{[i['label'] for i in items]}")
            uris[label] = same[0]["uri"]
        return uris[label]

    today = date.today()
    starts_on = next_month(today)
    ends_on = month_end(starts_on)
    available_until = month_end(next_month(next_month(starts_on)))  # three months ahead
    for key, profile in PROFILES.items():
        coop, member_id, _ = people[key]
        (commune, code, latitude, longitude), radius = profile["place"]
        low, high = profile["day_rate"]
        body = {
            "presentation": profile["presentation"],
            "skills": [{**({"concept_uri": concept(s["concept"])} if "concept" in s
                           else {"label": s["label"]}), "level": level, "years": years}
                       for s, level, years in profile["skills"]],
            "trades": profile["trades"],
            "languages": [{"code": c, "level": level} for c, level in profile["languages"]],
            "place": {"commune": commune, "commune_code": code, "latitude": latitude,
                      "longitude": longitude, "travel_radius_km": radius},
            "day_rate": {"min_cents": low, "max_cents": high},
            "availability": [{"starts_on": today.isoformat(),
                              "ends_on": available_until.isoformat(),
                              "days_per_week": profile["days_per_week"]}],
            "references": [{"title": t, "client": c, "year": y,
                            **({"description": d} if d else {})}
                           for t, c, y, d in profile["references"]]}
        entrepreneur = as_member(key)
        matching.call("PUT", f"/cooperatives/{coop}/profiles/{member_id}", entrepreneur, body)
        if profile["network"]:  # each entrepreneur chooses what the network sees
            matching.call("PUT", f"/cooperatives/{coop}/profiles/{member_id}/consent",
                          entrepreneur, {f: True for f in profile["network"]})

    # Oxalis's staff: its Qualiopi certification, a professional group, a call for tenders
    ox_coop = people[WEB_DEVELOPER][0]
    ox_staff = staff[ASSEMBLY_COOP]
    g = f"/cooperatives/{ox_coop}"
    certified_on = today - timedelta(days=300)
    matching.call("POST", f"{g}/certifications", ox_staff, {
        "kind": "qualiopi", "name": "Qualiopi - actions de formation",
        "scope": "Actions concourant au développement des compétences : actions de formation",
        "number": "QUALIOPI-2025-0413", "valid_from": certified_on.isoformat(),
        "valid_until": (certified_on + timedelta(days=3 * 365)).isoformat(),  # 3 years
        "all_activities": True})
    group = matching.call("POST", f"{g}/groups", ox_staff, GROUP).json()
    for first in GROUP_MEMBERS:
        group = matching.call("PUT", f"{g}/groups/{group['id']}/members/"
                                     f"{people[(ASSEMBLY_COOP, first)][1]}", ox_staff).json()
    commune, _, latitude, longitude = CALL_PLACE
    call = matching.call("POST", f"{g}/calls", ox_staff, {
        "title": "Site internet bilingue et formation des équipes de la Maison de l'ESS",
        "description": "Refonte du site de la Maison de l'économie sociale et solidaire, sa "
                       "version anglaise, et la formation de ses dix salariés à sa mise à jour.",
        "buyer": "Ville de Villeurbanne", "commune": commune,
        "latitude": float(latitude), "longitude": float(longitude),
        "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
        "deadline": (starts_on - timedelta(days=1)).isoformat(), "budget_cents": 2_400_000,
        "objective": "smallest", "scope": "network",
        "requirements": [{"code": code, "concept_uri": concept(label), "min_level": level,
                          "people": 1, "certifications": list(kinds)}
                         for code, label, level, kinds in CALL_REQUIREMENTS]}).json()
    c = f"{g}/calls/{call['id']}"
    matching.call("POST", f"{c}/publication", ox_staff)
    proposed = matching.call("POST", f"{c}/proposals", ox_staff,
                             {"time_limit_seconds": 5, "alternatives": 2}).json()
    if not proposed["proposals"]:
        sys.exit(f"demo: matching proposed no team for the call: uncovered "
                 f"{proposed['uncovered']}, excluded {proposed['excluded']}")
    proposal = proposed["proposals"][0]
    answerer_coop, answerer, _ = people[ANSWERS]
    if answerer in {m["member_id"] for m in proposal["members"]}:
        matching.call("POST", f"/cooperatives/{answerer_coop}/members/{answerer}/proposals/"
                              f"{proposal['proposal_id']}/answer", as_member(ANSWERS),
                      {"accept": True})
    proposal = matching.call("GET", f"{g}/proposals/{proposal['proposal_id']}", ox_staff).json()
    names = {member_id: f"{first} {last}" for (_, first), (_, member_id, last) in people.items()}
    return {"call": call, "proposal": proposal, "starts_on": starts_on, "ends_on": ends_on,
            "group": group, "names": names,
            "sharing": [f"{first} {people[(n, first)][2]}" for (n, first), p in PROFILES.items()
                        if p["network"]],
            "private": [f"{first} {people[(n, first)][2]}" for (n, first), p in PROFILES.items()
                        if not p["network"]]}


def check_matching(matching: Api, people: dict, staff: dict, seeded: dict) -> str:
    """Smoke: another cooperative finds Oxalis's web developer in the network, not those
    who share nothing; the proposal has a team covering every requirement."""
    other = ANSWERS[0]
    other_coop = people[ANSWERS][0]
    coop, developer, last = people[WEB_DEVELOPER]
    found = matching.call("GET", f"/cooperatives/{other_coop}/directory", staff[other],
                          params={"q": "développeuse web", "scope": "network"}).json()["items"]
    hit = next((h for h in found if h["member_id"] == developer), None)
    if hit is None or hit["cooperative_id"] != coop:
        sys.exit(f"demo smoke: {other}'s network search « développeuse web » does not find "
                 f"{WEB_DEVELOPER[1]} {last} of {ASSEMBLY_COOP}: {found}")
    for key, profile in PROFILES.items():  # who shares nothing: unseen by the other one
        if not profile["network"]:
            viewer = ASSEMBLY_COOP if key[0] == other else other
            seen_by = people[next(k for k in PROFILES if k[0] == viewer)][0]
            hidden = matching.call("GET", f"/cooperatives/{seen_by}/directory/{people[key][1]}",
                                   staff[viewer], ok=None)
            if hidden.status_code != 404 or "member.unknown" not in hidden.text:
                sys.exit(f"demo smoke: {viewer} sees {key[1]} of {key[0]}, who shares nothing "
                         f"with the network: {hidden.status_code} {hidden.text[:2000]}")
    proposal = seeded["proposal"]
    covered = {code for m in proposal["members"] for code in m["covers"]}
    wanted = {code for code, *_ in CALL_REQUIREMENTS}
    if not proposal["members"] or covered != wanted:
        sys.exit(f"demo smoke: the team proposed covers {sorted(covered)}, not "
                 f"{sorted(wanted)}: {proposal}")
    answers = {m["member_id"]: m["answer"] for m in proposal["members"]}
    if answers.get(people[ANSWERS][1]) != "accepted":
        sys.exit(f"demo smoke: {ANSWERS[1]} did not accept the team proposed: {proposal}")
    return (f"demo smoke: matching OK ({other} finds {WEB_DEVELOPER[1]} {last} of "
            f"{ASSEMBLY_COOP} in the network; a team of {len(proposal['members'])} proposed)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", required=True)
    parser.add_argument("--ledger", required=True)
    parser.add_argument("--payroll", required=True)
    parser.add_argument("--governance", required=True)
    parser.add_argument("--matching", required=True)
    parser.add_argument("--portal", help="the web portal's address, printed with who to sign in as")
    parser.add_argument("--dir", default="var/demo", help="the demo's directory (stores, logs)")
    parser.add_argument("--root", default=".", help="the checkout (where .venv/bin/cae is)")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env("demo")
    root = os.path.abspath(args.root)

    def shown(path: str) -> str:  # a path as typed in `root`
        relative = os.path.relpath(os.path.abspath(path), root)
        return path if relative.startswith("..") else relative

    def token(sub, roles, coop=None):
        return mint(sub, roles=roles, cooperative_id=coop, settings=settings)

    def auth(tok):
        return {"Authorization": f"Bearer {tok}"}

    wait_ready(args.members)
    wait_ready(args.ledger)
    wait_ready(args.payroll)
    wait_ready(args.governance)
    wait_ready(args.matching)
    if args.portal:
        wait_ready(args.portal)
    operator = token("network-ops", ["network_operator"])
    seeded = []
    for name, siren, form, people in NETWORK:
        response = requests.post(f"{args.members}/cooperatives", headers=auth(operator),
                                 json={"name": name, "siren": siren, "legal_form": form}, timeout=10)
        response.raise_for_status()
        coop = response.json()["id"]
        staff = token(f"staff@{name.lower().replace(' ', '-')}", ["staff"], coop)
        ids = []
        for first, last, code, activity in people:
            response = requests.post(
                f"{args.members}/cooperatives/{coop}/members", headers=auth(staff), timeout=10,
                json={"first_name": first, "last_name": last,
                      "joined_on": SINCE.get(name, "2026-01-05"),
                      "email": f"{first.lower()}.{last.lower()}@example.org",
                      "activity_code": code, "activity_name": activity})
            response.raise_for_status()
            ids.append((response.json()["id"], code))
        seeded.append((name, coop, staff, ids))

    # the scenario crosses services: each activity_opened opens the activity's ledger accounts
    expected = sum(len(p) for *_, p in NETWORK)
    deadline = time.monotonic() + 60
    while True:
        opened = sum(len(requests.get(f"{args.ledger}/cooperatives/{coop}/activities",
                                      headers=auth(staff), timeout=10).json()["items"])
                     for _, coop, staff, _ in seeded)
        if opened == expected:
            break
        if time.monotonic() > deadline:
            sys.exit(f"demo: the ledger opened {opened} of {expected} activities in 60 s")
        time.sleep(0.3)

    # a quarter of business: each activity invoices, is paid (the contribution is charged
    # on the payment) and buys supplies; idempotency keys make a re-run harmless
    for _, coop, staff, ids in seeded:
        for n, (_, code) in enumerate(ids):
            for month in (1, 2, 3):
                net = 150_000 + 25_000 * n + 10_000 * month
                for path, body in (
                        ("invoices", {"date": f"2026-{month:02d}-05", "piece_ref": f"F{month}-{code}",
                                      "label": f"Facture {month}", "net_cents": net,
                                      "vat_cents": net // 5}),
                        ("payments", {"date": f"2026-{month:02d}-25", "piece_ref": f"VIR{month}-{code}",
                                      "label": f"Virement {month}", "amount_cents": net + net // 5,
                                      "invoice_ref": f"F{month}-{code}"}),
                        ("expenses", {"date": f"2026-{month:02d}-10", "piece_ref": f"A{month}-{code}",
                                      "label": "Fournitures", "account": "606",
                                      "net_cents": 12_000, "vat_cents": 2_400})):
                    response = requests.post(
                        f"{args.ledger}/cooperatives/{coop}/{path}", timeout=10,
                        json={"activity_code": code, **body},
                        headers={**auth(staff), "Idempotency-Key": f"demo-{coop}-{path}-{code}-{month}"})
                    response.raise_for_status()

    # payroll: each entrepreneur signs a CESA (members -> payroll), the ledger's budgets
    # reach payroll; each chooses a third of what the budget pays (at least the SMIC), from
    # March; staff run March; every payslip becomes a salary entry in the ledger
    for name, coop, staff, ids in seeded:
        for member_id, _ in ids:
            response = requests.post(f"{args.members}/cooperatives/{coop}/members/{member_id}/contracts",
                                     headers=auth(staff), timeout=10,
                                     json={"kind": "CESA", "signed_on": SINCE.get(name, "2026-01-05")})
            response.raise_for_status()
    deadline = time.monotonic() + 60
    march_runs = {}
    for _, coop, staff, ids in seeded:
        for member_id, code in ids:
            while True:
                simulated = requests.get(
                    f"{args.payroll}/cooperatives/{coop}/employees/{member_id}/simulation",
                    params={"period": "2026-03"}, headers=auth(staff), timeout=10)
                if simulated.ok and simulated.json()["available_cents"] > 0:
                    break
                if time.monotonic() > deadline:
                    sys.exit(f"demo: payroll has no CESA or budget for {code}: {simulated.text}")
                time.sleep(0.3)
            budget = simulated.json()
            gross = max(budget["budget_pays_gross_cents"] // 3,
                        budget.get("minimum_gross_cents", 0))
            response = requests.post(
                f"{args.payroll}/cooperatives/{coop}/employees/{member_id}/salary",
                headers={**auth(staff), "Idempotency-Key": f"demo-salary-{member_id}"},
                json={"period": "2026-03", "gross_cents": gross}, timeout=10)
            if not response.ok:
                sys.exit(f"demo: payroll refused {code}'s salary: {response.text}")
        response = requests.post(f"{args.payroll}/cooperatives/{coop}/payroll-runs",
                                 headers={**auth(staff), "Idempotency-Key": f"demo-run-{coop}"},
                                 json={"period": "2026-03"}, timeout=10)
        response.raise_for_status()
        march_runs[coop] = response.json()["id"]
    expected_salaries = sum(len(ids) for *_, ids in seeded)
    while True:
        salaries = sum(len([e for e in requests.get(
            f"{args.ledger}/cooperatives/{coop}/entries", headers=auth(staff), timeout=10,
            params={"limit": 1000}).json()["items"] if e["kind"] == "salary"])
            for _, coop, staff, _ in seeded)
        if salaries == expected_salaries:
            break
        if time.monotonic() > deadline + 60:
            sys.exit(f"demo: the ledger posted {salaries} of {expected_salaries} salaries")
        time.sleep(0.3)

    # governance: Oxalis's associates hold their annual assembly; its adopted resolutions
    # reach the ledger (the contribution schedule) and members (the admission)
    members, ledger = Api(args.members), Api(args.ledger)
    _, ox_coop, ox_staff, ox_ids = next(s for s in seeded if s[0] == ASSEMBLY_COOP)
    ox_people = next(p for n, _, _, p in NETWORK if n == ASSEMBLY_COOP)
    held = hold_assembly(members, Api(args.governance), ox_coop, ox_staff, token,
                         [(member_id, first, last) for (member_id, _), (first, last, _, _)
                          in zip(ox_ids, ox_people, strict=True)], args.dir)
    assembly = held["assembly"]
    decided = ", ".join(f"{r['code']} {r['status']}" for r in assembly["resolutions"])
    election = held["election"]
    attendance = assembly["attendance"]
    ga = f"{args.governance}/cooperatives/{ox_coop}/assemblies/{assembly['id']}"

    # matching: entrepreneurs of Oxalis and of another cooperative write their profiles, some
    # share them with the network; Oxalis calls the network for tenders, a team is proposed
    people_by_name = {(n, first): (c, member_id, last)
                      for (n, c, _, ids), (_, _, _, persons) in zip(seeded, NETWORK, strict=True)
                      for (member_id, _), (first, last, _, _) in zip(ids, persons, strict=True)}
    staff_by_name = {n: s for n, _, s, _ in seeded}
    matching = Api(args.matching)
    matched = seed_matching(matching, token, people_by_name, staff_by_name)
    m = args.matching
    call, proposal, names = matched["call"], matched["proposal"], matched["names"]
    coops = {c: n for n, c, _, _ in seeded}
    order = [code for code, *_ in CALL_REQUIREMENTS]
    team = sorted(proposal["members"], key=lambda p: min(order.index(c) for c in p["covers"]))
    accepted = [names[p["member_id"]] for p in team if p["answer"] == "accepted"]
    developer = people_by_name[WEB_DEVELOPER]

    def quoted(text: str) -> str:  # « text », its first and last words kept with the marks
        return f"«\N{NO-BREAK SPACE}{text}\N{NO-BREAK SPACE}»"

    matching_text = textwrap.fill(
        f"Matching: {len(PROFILES)} entrepreneurs wrote their profiles (ESCO and free-text "
        "skills, trades, languages, commune and travel radius, day rates, availability, "
        f"references); {', '.join(matched['sharing'])} share part of theirs with the network, "
        f"{', '.join(matched['private'])} with their cooperative only. {ASSEMBLY_COOP} holds "
        f"Qualiopi for all its activities, has a professional group {quoted(matched['group']['name'])} "
        f"({', '.join(g['name'] for g in matched['group']['members'])}) and called the network "
        f"for tenders: {quoted(call['title'])}, in {call['commune']} from {matched['starts_on']} to "
        f"{matched['ends_on']}. The team proposed: " + ", ".join(
            f"{names[p['member_id']]}"
            f"{'' if p['cooperative_id'] == ox_coop else ' of ' + coops[p['cooperative_id']]}"
            f" ({', '.join(p['covers'])})" for p in team)
        + (f"; {', '.join(accepted)} accepted from {'her' if len(accepted) == 1 else 'their'} "
           "own cooperative, the others have yet to answer." if accepted else "."),
        width=96, break_on_hyphens=False)

    name, coop, staff, ids = seeded[0]
    member_id, code = ids[0]
    entrepreneur = token(member_id, ["entrepreneur"], coop)
    slips = requests.get(f"{args.payroll}/cooperatives/{coop}/payslips", timeout=10,
                         headers=auth(entrepreneur)).json()["items"]
    people = os.path.join(args.dir, "people.csv")
    with open(people, "w", encoding="utf-8") as out:
        out.write(PEOPLE_CSV)
    vhost = unquote(urlsplit(settings.amqp_uri).path[1:]) or "/"
    env_file = os.path.join(args.dir, "demo.env")
    found_by_cae = os.path.abspath(env_file) == os.path.join(root, "var", "demo", "demo.env")
    cooperatives = "\n".join(f"  {n:<16} {c}   March run {march_runs[c]}"
                              for n, c, _, _ in seeded)
    portal_text = ""
    if args.portal:
        by_coop = "\n".join(
            f"  {n:<16} " + ", ".join(f"{first} {last}" for first, last, *_ in persons)
            for n, _, _, persons in NETWORK)
        portal_text = f"""
The web portal, in French, for the people who use the platform:
  portal     {args.portal}/connexion   (demo sign-in: choose a person, no password)
Sign in as any entrepreneur seeded above (their budget, statements, salary, payslips, contract,
their assemblies and votes, their matching profile, the directory, calls for tenders):
{by_coop}
Or as:
  staff      a cooperative's support staff (the button above its people): members, ledger, payroll,
             assemblies, calls for tenders and groups
  operator   the network operator ("Opérateur du réseau", at the top of the page): the network's
             cooperatives and registering one, a network's payroll month, each service's health
"""
    print(f"""
CAE platform demo: {len(seeded)} cooperatives, {expected} entrepreneurs, {expected} activities
opened in the ledger from activity_opened events, each with a quarter of invoices, payments
(the contribution charged on each) and expenses, a CESA each, and a March payroll run
whose payslips the ledger posted as salaries. {ASSEMBLY_COOP}'s associates held their annual
general assembly just now; entrepreneurs wrote their professional profiles and {ASSEMBLY_COOP}'s
call for tenders was proposed a team across the network (below).

  members    {args.members}   (health: /health/ready, metrics: /metrics, API: /docs)
  ledger     {args.ledger}
  payroll    {args.payroll}
  governance {args.governance}
  matching   {args.matching}
  logs       {shown(args.dir)}/members.log, ledger.log, payroll.log, governance.log, matching.log{", portal.log" if args.portal else ""}
  broker     http://127.0.0.1:15672 (guest/guest), vhost {vhost}
  settings   {shown(env_file)}: the CAE_* settings of the demo, read by `cae` by itself

{portal_text}
Cooperatives:
{cooperatives}

Tokens (HS256 development secret; `cae token --help` mints others):
  export OPS={operator}
  export STAFF={staff}
  export LEA={entrepreneur}
  export OXALIS={ox_staff}

Try:
  curl -s {args.members}/cooperatives -H "Authorization: Bearer $OPS"
  curl -s {args.members}/cooperatives/{coop}/members -H "Authorization: Bearer $STAFF"
  curl -s {args.ledger}/cooperatives/{coop}/activities/{code} -H "Authorization: Bearer $LEA"
  curl -s {args.ledger}/cooperatives/{coop}/activities/{code}/balance -H "Authorization: Bearer $LEA"
  curl -s {args.ledger}/cooperatives/{coop}/activities/{code}/treasury-statement -H "Authorization: Bearer $LEA"
  curl -s "{args.ledger}/cooperatives/{coop}/trial-balance?from=2026-01&to=2026-03" -H "Authorization: Bearer $STAFF"
  curl -s "{args.ledger}/cooperatives/{coop}/fec?year=2026" -H "Authorization: Bearer $STAFF"
  curl -s "{args.payroll}/cooperatives/{coop}/employees/{member_id}/simulation?period=2026-05" -H "Authorization: Bearer $LEA"
  curl -s {args.payroll}/cooperatives/{coop}/payslips -H "Authorization: Bearer $LEA"
  curl -s "{args.payroll}/cooperatives/{coop}/payslips/{slips[0]["id"]}/document?format=pdf" -H "Authorization: Bearer $LEA" -o {shown(args.dir)}/bulletin-de-paie.pdf
  curl -s -X POST {args.members}/cooperatives/{coop}/members -H "Authorization: Bearer $STAFF" \\
       -H 'Content-Type: application/json' \\
       -d '{{"first_name":"Nora","last_name":"Blanc","email":"nora@example.org","joined_on":"2026-02-01","activity_code":"NORA"}}'
  curl -s {args.ledger}/cooperatives/{coop}/activities/NORA -H "Authorization: Bearer $STAFF"
  curl -s {args.members}/cooperatives/{coop}/members -H "Authorization: Bearer $LEA"   # 403: staff only

Governance: the annual ordinary assembly of {ASSEMBLY_COOP}, convened on {assembly["convened_on"]}, held just now
({attendance["in_person"]} associates present, {attendance["represented"]} represented, of {assembly["electorate"]}); its adopted resolutions went by events
to the ledger (the contribution schedule from {held["schedule_on"]}) and to members (the admission
of {held["candidate_name"]}); the minutes, drawn at its close, are sealed by their sha256.
  governance {args.governance}   (API documentation: {args.governance}/docs)
  assembly   {assembly["id"]}
  decided    {decided}; elected manager: {", ".join(held["elected"])}
  minutes    {shown(held["path"])}   (sha256 {held["sha256"]})
  curl -s {ga} -H "Authorization: Bearer $OXALIS"
  curl -s {ga}/minutes -H "Authorization: Bearer $OXALIS"   # the minutes, HTML
  curl -s "{ga}/minutes?format=pdf" -H "Authorization: Bearer $OXALIS" -o {shown(held["path"])}
  curl -s {ga}/resolutions/{election["id"]}/ballots -H "Authorization: Bearer $OXALIS"   # {held["voter"]}'s receipt: {held["receipt"]}

{matching_text}
  matching   {m}   (API documentation: {m}/docs)
  call       {call["id"]}
  proposal   {proposal["proposal_id"]}
  curl -s -G {m}/cooperatives/{coop}/directory --data-urlencode "q=développeuse web" -d scope=network -H "Authorization: Bearer $STAFF"   # {name} finds {WEB_DEVELOPER[1]} {developer[2]} of {ASSEMBLY_COOP}
  curl -s {m}/cooperatives/{coop}/directory/{developer[1]} -H "Authorization: Bearer $LEA"   # her profile, what she shares with the network
  curl -s "{m}/concepts?q=programmation&kind=skill" -H "Authorization: Bearer $LEA"   # the ESCO taxonomy, in French
  curl -s {m}/cooperatives/{ox_coop}/proposals/{proposal["proposal_id"]} -H "Authorization: Bearer $OXALIS"   # who covers what, their answers

The command line, in another shell in {root}{"" if found_by_cae else f" (export CAE_ENV_FILE={os.path.abspath(env_file)} first: cae looks for var/demo/demo.env)"}:
  .venv/bin/cae --help
  .venv/bin/cae token --sub alice --roles staff --coop {coop}
  .venv/bin/cae members import {shown(people)} --cooperative {coop} --dry-run
  .venv/bin/cae members import {shown(people)} --cooperative {coop}
  .venv/bin/cae ledger fec --cooperative {coop} --year 2026 --output {shown(args.dir)}
  .venv/bin/cae payroll run --cooperative {coop} --period 2026-04
  .venv/bin/cae payroll resume --cooperative {coop} --run {march_runs[coop]}
  .venv/bin/cae matching erase-expired
  .venv/bin/cae prune ledger --days 30
  .venv/bin/cae dlq queues
  .venv/bin/cae dlq list {DLQ_EXAMPLE}
""", flush=True)
    if args.smoke:
        own = requests.get(f"{args.ledger}/cooperatives/{coop}/activities/{code}",
                           headers=auth(entrepreneur), timeout=10)
        denied = requests.get(f"{args.members}/cooperatives/{coop}/members",
                              headers=auth(entrepreneur), timeout=10)
        if not own.ok or denied.status_code != 403:
            sys.exit(f"demo smoke: entrepreneur access wrong ({own.status_code}, {denied.status_code})")
        budget = requests.get(f"{args.ledger}/cooperatives/{coop}/activities/{code}/balance",
                              headers=auth(entrepreneur), timeout=10).json()
        if budget.get("available_cents", 0) <= 0 or budget.get("contribution_cents", 0) <= 0:
            sys.exit(f"demo smoke: no budget after a quarter of business: {budget}")
        slips = requests.get(f"{args.payroll}/cooperatives/{coop}/payslips",
                             headers=auth(entrepreneur), timeout=10).json()["items"]
        if [s["member_id"] for s in slips] != [member_id]:
            sys.exit(f"demo smoke: the entrepreneur's payslips are wrong: {slips}")
        if args.portal:  # the portal's sign-in page lists the seeded people
            page = requests.get(f"{args.portal}/connexion", timeout=30)
            if page.status_code != 200 or "Léa Martin" not in page.text:
                sys.exit(f"demo smoke: the portal's sign-in page: {page.status_code} "
                         f"{page.text[:500]}")
            print("demo smoke: portal OK (its sign-in page lists the seeded people)")
        check_assembly(members, ledger, ox_coop, ox_staff, held)
        print(check_matching(matching, people_by_name, staff_by_name, matched))
        print("demo smoke: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
