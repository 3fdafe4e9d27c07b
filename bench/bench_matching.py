"""make bench-matching: the profile search at 10,000 and 100,000 profiles, and a team
proposal's optimum against the greedy.

One process, PostgreSQL (a database of its own, created, migrated and dropped here).

(1) Seeding, not timed but reported: ``caekit.migrations.upgrade("matching", url)`` (the
    schema and the shipped ESCO French subset); 1,000 cooperatives (``--cooperatives``),
    each with 100 people and their profiles (``--profiles`` / cooperatives), written by
    COPY (``caekit.db.insert_rows``). A profile is drawn, with an RNG seeded by its
    cooperative, from one of the taxonomy's 118 occupations: 3 to 8 of its ESCO skills
    (the concept's preferred label, level 1-4, years), 0-2 free-text skills of its trade
    ("Développement Web", "menuiserie", "formation professionnelle"...), its trade in the
    member's gender (sometimes a second one), a presentation from four sentence patterns,
    languages, references (a third), a place (half the members in their cooperative's city,
    the others anywhere among 50 French cities, a few km of jitter) with a travel radius,
    a day rate range (85 %), availability periods (85 %, 1-3 in 2026-2027), an absence
    (4 %); 2 % have left (never found). Network consent, field by field: 40 % share their
    identity, and of every profile each other field with its own probability. The search
    documents are built with the use case's own ``documents_of`` (the taxonomy's labels
    from ``index.concept_labels``; a sample checked against ``index_profile``) and written
    by COPY too; then ``VACUUM ANALYZE`` (as autovacuum keeps a store that is not new).
    The first 100 cooperatives are seeded and measured, then the other 900.
(2) Search latency: from the first cooperative (in Lyon), a fixed set of 200 queries
    (``--queries``), half over its own cooperative, half over the network: a concept (a
    skill group, with its narrower skills), a skill at a level, French free text
    ("développeuse web", "menuisier agenceur", "formatrice"...), a place and radius, an
    availability window, and combinations. Each query is one call of the use case
    ``cae_matching.usecases.search.search`` (20 hits a page) in a session of its own
    (``acting_session`` of the viewer's cooperative: what one HTTP request does, without
    HTTP), timed from opening the session to the page built. The whole set runs once to
    warm up, then twice timed; p50 and p95 over the 400 timings, at both sizes, and per
    kind of query; growth = p95(100k) / p95(10k) against the 10x growth of the data
    (10: linear; below: better); and how many errors the service logged meanwhile (the
    search logs a hit its SQL let through and the consent re-check refused).
(3) A team proposal: a synthetic call of 50 requirements (ESCO skills of 10 occupations,
    1-3 people each, minimum level 1-3) over 200 candidates (seeded RNG; each qualifies
    for 2 to 10 requirements, mostly of one or two occupations; day rates growing with how
    much a candidate covers). For the smallest team and the cheapest at day rates: the
    greedy (``domain.teams.greedy``, its time and its cost after redundant members are
    removed) and ``adapters.solver.solve`` (HiGHS, ``mip_rel_gap = 0``, the greedy's team
    as its start, a 60 s limit: ``--time-limit``): its time, whether it proved the optimum,
    and the greedy's cost / the optimum (an exact Fraction, printed with 3 decimals).

The last-but-one line is ``cheapest_ratio=<greedy cost / optimum at day rates>``, the last
``ratio=<greedy cost / optimum, smallest team>``. About 3 minutes on the 2-core machine.

    .venv/bin/python bench/bench_matching.py [--profiles 100000] [--cooperatives 1000]
        [--queries 200] [--time-limit 60]
        [--explain N]  (the N slowest queries at the full size run again, each SQL
                        statement timed, the slowest EXPLAIN ANALYZE-d as it was sent)
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from types import SimpleNamespace

from sqlalchemy import create_engine, event, select, text

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_kit import PG_ADMIN, fresh_database  # noqa: E402

from cae_matching.adapters import search as index  # noqa: E402
from cae_matching.adapters import text as terms_of  # noqa: E402
from cae_matching.adapters.solver import solve  # noqa: E402
from cae_matching.adapters.store import (  # noqa: E402
    Absence,
    Availability,
    Concept,
    ConceptBroader,
    Cooperative,
    OccupationSkill,
    Person,
    Profile,
    ProfileSkill,
    SearchDocument,
)
from cae_matching.domain.profiles import FIELDS  # noqa: E402
from cae_matching.domain.teams import Candidate, Objective, Requirement, build_model  # noqa: E402
from cae_matching.domain.teams import greedy as greedy_team  # noqa: E402
from cae_matching.usecases.search import (  # noqa: E402
    Criteria,
    Place,
    Window,
    documents_of,
    index_profile,
    search,
)
from caekit.db import acting_session, insert_rows, make_engine, make_session_factory  # noqa: E402
from caekit.migrations import upgrade  # noqa: E402

DATABASE = "cae_bench_matching"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SEED = 2026

# (commune, INSEE code, latitude, longitude); the viewer's cooperative is in Lyon
CITIES = [
    ("Lyon", "69123", 45.764043, 4.835659), ("Paris", "75056", 48.856614, 2.352222),
    ("Marseille", "13055", 43.296482, 5.369780), ("Toulouse", "31555", 43.604652, 1.444209),
    ("Nice", "06088", 43.710173, 7.261953), ("Nantes", "44109", 47.218371, -1.553621),
    ("Montpellier", "34172", 43.610769, 3.876716), ("Strasbourg", "67482", 48.573405, 7.752111),
    ("Bordeaux", "33063", 44.837789, -0.579180), ("Lille", "59350", 50.629250, 3.057256),
    ("Rennes", "35238", 48.117266, -1.677793), ("Reims", "51454", 49.258329, 4.031696),
    ("Toulon", "83137", 43.124228, 5.928000), ("Saint-Étienne", "42218", 45.439695, 4.387178),
    ("Le Havre", "76351", 49.494370, 0.107929), ("Grenoble", "38185", 45.188529, 5.724524),
    ("Dijon", "21231", 47.322047, 5.041480), ("Angers", "49007", 47.478419, -0.563166),
    ("Nîmes", "30189", 43.836699, 4.360054), ("Villeurbanne", "69266", 45.771944, 4.890171),
    ("Clermont-Ferrand", "63113", 45.777222, 3.087025), ("Le Mans", "72181", 48.006110, 0.199556),
    ("Aix-en-Provence", "13001", 43.529742, 5.447427), ("Brest", "29019", 48.390394, -4.486076),
    ("Tours", "37261", 47.394144, 0.684840), ("Amiens", "80021", 49.894067, 2.295753),
    ("Limoges", "87085", 45.833619, 1.261105), ("Annecy", "74010", 45.899247, 6.129384),
    ("Perpignan", "66136", 42.688659, 2.894833), ("Metz", "57463", 49.119309, 6.175716),
    ("Besançon", "25056", 47.237829, 6.024054), ("Orléans", "45234", 47.902964, 1.909251),
    ("Rouen", "76540", 49.443232, 1.099971), ("Mulhouse", "68224", 47.750839, 7.335888),
    ("Caen", "14118", 49.182863, -0.370679), ("Nancy", "54395", 48.692054, 6.184417),
    ("Montreuil", "93048", 48.863812, 2.448451), ("Roubaix", "59512", 50.690421, 3.181670),
    ("Avignon", "84007", 43.949317, 4.805528), ("Poitiers", "86194", 46.580224, 0.340375),
    ("Pau", "64445", 43.295100, -0.370797), ("La Rochelle", "17300", 46.160329, -1.151139),
    ("Valence", "26362", 44.933393, 4.892360), ("Bayonne", "64102", 43.492949, -1.474841),
    ("Chambéry", "73065", 45.564601, 5.917781), ("Lorient", "56121", 47.748252, -3.370226),
    ("Quimper", "29232", 47.997542, -4.097899), ("Vannes", "56260", 47.658236, -2.760847),
    ("Troyes", "10387", 48.297345, 4.074401), ("Niort", "79191", 46.323716, -0.464777),
]
CITY = {c[0]: c for c in CITIES}

FIRST_NAMES = {
    "f": ["Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Claire", "Émilie",
          "Lucie", "Anaïs", "Pauline", "Marion", "Aurélie", "Nadia", "Fatou", "Sophie",
          "Élodie", "Laure", "Hélène", "Mathilde", "Agathe", "Yasmine", "Juliette"],
    "m": ["Thomas", "Nicolas", "Julien", "Maxime", "Antoine", "Hugo", "Lucas", "Karim",
          "Mathieu", "Romain", "Pierre", "Yannick", "Olivier", "Sébastien", "Mamadou",
          "Benoît", "François", "Étienne", "Loïc", "Rémi", "Bastien", "Théo", "Samir"],
}
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
              "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
              "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier",
              "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas",
              "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Diallo",
              "Nguyen", "Benali", "Le Gall", "Kerjean", "Étienne", "Chevalier", "Marchand"]

# free-text skills (no concept) and a second trade, by keywords of the occupation's label
DOMAINS = [
    (("développeu", "logiciel", "webmestre", "informatique", "interface", "web", "applications",
      "données", "réseau"),
     ["Développement Web", "WordPress", "React", "Python", "accessibilité numérique",
      "intégration HTML/CSS", "applications mobiles"], "développeur web/développeuse web"),
    (("ébéniste", "charpentier", "escalier", "cuisines", "fenêtres", "meubles", "tourneur",
      "finisseur", "garnisseur"),
     ["menuiserie", "agencement intérieur", "menuiserie agencement", "ébénisterie",
      "pose de parquet", "charpente traditionnelle"],
     "menuisier agenceur/menuisière agenceuse"),
    (("formateur", "professeur", "répétiteur", "orientation", "coach", "entraîneur"),
     ["formation professionnelle", "ingénierie pédagogique", "animation d'ateliers",
      "formation de formateurs", "FLE", "bilan de compétences"],
     "formateur/formatrice"),
    (("compta", "fiscal", "paie", "gestion", "administratif", "analyste", "ressources humaines"),
     ["comptabilité", "gestion de trésorerie", "paie", "contrôle de gestion",
      "tableaux de bord"], "comptable/comptable"),
    (("graphiste", "illustrat", "maquettiste", "artiste", "animat", "médias", "photograph",
      "monteur", "prise de vues", "décorat"),
     ["identité visuelle", "mise en page", "photographie de mariage", "montage vidéo",
      "motion design", "PAO"], "graphiste/graphiste"),
    (("électricien", "chauffag", "gaz", "plombier", "énergie", "isolation", "solaire",
      "ventilation", "diagnostiqueur", "évaluateur", "ramoneur", "couvreur"),
     ["rénovation énergétique", "pompe à chaleur", "photovoltaïque", "plomberie sanitaire",
      "audit énergétique", "isolation biosourcée"], "électricien/électricienne"),
    (("jardinier", "paysagiste", "élagueur", "horticole", "espaces verts", "conservation"),
     ["entretien de jardins", "taille de haies", "permaculture", "élagage",
      "création de potagers"], "jardinier paysagiste/jardinière paysagiste"),
    (("traducteur", "interprète", "correcteur", "rédacteur", "écrivain", "journaliste",
      "lexicographe", "sous-titreur", "réviseur", "blogueur", "adaptateur"),
     ["traduction anglais-français", "rédaction web", "relecture", "sous-titrage",
      "interprétariat"], "traducteur/traductrice"),
    (("marketing", "communication", "relations publiques", "communauté", "évènement",
      "commercialisation"),
     ["community management", "stratégie de communication", "organisation d'événements",
      "marketing digital", "relations presse"], "chargé de communication/chargée de communication"),
    (("couturier", "maçon", "peintre", "plâtrier", "papiers peints", "tout faire", "ménag",
      "entretien", "laveur"),
     ["couture", "retouches", "tapisserie d'ameublement", "peinture décorative",
      "maçonnerie", "enduits à la chaux"], "artisan du bâtiment/artisane du bâtiment"),
]
GENERIC = (["gestion de projet", "relation client", "travail en équipe"],
           "entrepreneur salarié/entrepreneuse salariée")
CLIENTS = ["les particuliers", "les collectivités", "les associations", "les TPE et PME",
           "les bailleurs sociaux", "les entreprises du territoire", "les écoles",
           "les acteurs de l'économie sociale et solidaire"]
EXTRAS = ["Travail soigné et respect des délais.",
          "Sensible à l'éco-conception et aux matériaux biosourcés.",
          "Disponible pour des missions en équipe avec d'autres entrepreneurs.",
          "J'aime transmettre : j'accueille régulièrement des stagiaires.",
          "Interventions en français et en anglais.",
          "Devis gratuit, déplacements dans toute la région.",
          "Engagée dans la transition écologique." , "Ancien salarié d'un grand groupe, "
          "j'ai rejoint la coopérative pour entreprendre autrement."]
PRESENTATIONS = [
    "{Trade} {installed} à {city} depuis {years} ans, j'accompagne {clients} et {others} dans "
    "leurs projets. Spécialités : {specialties}. {extra}",
    "Après {years} ans comme {employee}, je suis {became} {trade} en coopérative. "
    "J'interviens pour {clients} : {specialties}. {extra}",
    "{Trade} à {city}. {Specialties}. {extra}",
    "J'ai rejoint la coopérative en {year} : {trade}, je travaille avec {clients} autour de "
    "{first}. {extra}",
]
LANGUAGES = [("en", 0.45), ("es", 0.15), ("de", 0.08), ("it", 0.06), ("ar", 0.05),
             ("pt", 0.03), ("br", 0.01), ("oc", 0.01), ("zh", 0.01)]
CEFR = ["A2", "B1", "B2", "C1", "C2"]
# network consent: identity, then each field's own probability
SHARE = {"presentation": 0.65, "skills": 0.8, "trades": 0.75, "languages": 0.5,
         "place": 0.7, "day_rate": 0.4, "availability": 0.6, "references": 0.3}
assert {"identity", *SHARE} == set(FIELDS)
RADII = [10, 20, 30, 30, 50, 50, 80, 100, 150, 200]
SEARCH_TABLES = ("cooperatives", "people", "profiles", "profile_skills", "availabilities",
                 "absences", "search_documents")


# -- the taxonomy as the seeding uses it ---------------------------------------------------------
@dataclass(frozen=True)
class Occupation:
    uri: str
    forms: tuple[str, str]  # masculine, feminine
    skills: tuple[tuple[str, str], ...]  # (uri, preferred label)
    free: tuple[str, ...]
    second: tuple[str, str]


def gendered(label: str) -> tuple[str, str]:
    parts = label.split("/")
    return (parts[0].strip(), parts[1].strip()) if len(parts) == 2 else (label, label)


def load_taxonomy(session) -> tuple[list[Occupation], dict[str, list[str]]]:
    skills = {uri: label for uri, label in session.execute(
        select(Concept.uri, Concept.label).where(Concept.kind == "skill"))}
    by_occupation: dict[str, list[str]] = defaultdict(list)
    for occ, skill in session.execute(select(OccupationSkill.occupation_uri,
                                             OccupationSkill.skill_uri)
                                      .order_by(OccupationSkill.occupation_uri,
                                                OccupationSkill.skill_uri)):
        if skill in skills:
            by_occupation[occ].append(skill)
    occupations = []
    for uri, label in session.execute(select(Concept.uri, Concept.label)
                                      .where(Concept.kind == "occupation")
                                      .order_by(Concept.uri)):
        if len(by_occupation[uri]) < 8:
            continue
        free, second = GENERIC
        for keys, words, other in DOMAINS:
            if any(k in label for k in keys):
                free, second = words, other
                break
        occupations.append(Occupation(uri, gendered(label),
                                      tuple((s, skills[s]) for s in by_occupation[uri]),
                                      tuple(free), gendered(second)))
    labels = index.concept_labels(session, skills)
    return occupations, labels


# -- seeding ----------------------------------------------------------------------------------------
def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def cooperative_city(n: int) -> str:
    return "Lyon" if n == 0 else CITIES[random.Random(f"{SEED}-city-{n}").randrange(len(CITIES))][0]


def cooperative_id(n: int) -> str:
    return str(uuid.UUID(int=random.Random(f"{SEED}-coop-{n}").getrandbits(128), version=4))


def jitter(rng: random.Random, degrees: float, spread: float) -> int:
    return round((degrees + rng.uniform(-spread, spread)) * 1_000_000)


def member_rows(n: int, per: int, occupations: list[Occupation], weights: list[float]
                ) -> dict[str, list[dict]]:
    """Every row of cooperative ``n``'s members, drawn from an RNG seeded by ``n``."""
    rng = random.Random(f"{SEED}-members-{n}")
    coop = cooperative_id(n)
    home = CITY[cooperative_city(n)]
    out: dict[str, list[dict]] = defaultdict(list)
    for _ in range(per):
        member = uid(rng)
        gender = rng.choice("fm")
        occ = rng.choices(occupations, weights)[0]
        trade = occ.forms[gender == "f"]
        joined = date(2015, 1, 1) + timedelta(days=rng.randrange(4000))
        left = (date(2026, 1, 5) + timedelta(days=rng.randrange(300))) if rng.random() < 0.02 \
            else None
        out["people"].append({"member_id": member, "cooperative_id": coop,
                              "first_name": rng.choice(FIRST_NAMES[gender]),
                              "last_name": rng.choice(LAST_NAMES), "joined_on": joined,
                              "left_on": left, "erased": False})
        chosen = rng.sample(occ.skills, min(len(occ.skills), rng.randint(3, 8)))
        skills = []
        for uri, label in chosen:
            level = rng.choices((1, 2, 3, 4), (1, 3, 4, 2))[0]
            skills.append({"concept_uri": uri, "label": label, "level": level,
                           "years": min(40, max(0, level * 3 + rng.randint(-3, 8)))})
        for label in rng.sample(occ.free, rng.choices((0, 1, 2), (3, 4, 3))[0]):
            skills.append({"concept_uri": None, "label": label,
                           "level": rng.choice((2, 3, 3, 4)), "years": rng.randint(1, 20)})
        for position, skill in enumerate(skills):
            out["profile_skills"].append({"member_id": member, "cooperative_id": coop,
                                          "position": position, **skill})
        trades = list(dict.fromkeys([trade] + ([occ.second[gender == "f"]]
                                              if rng.random() < 0.3 else [])))
        city = home if rng.random() < 0.5 else rng.choice(CITIES)
        since = rng.randint(2, 25)
        specialties = ", ".join(s["label"] for s in skills[:2])
        presentation = PRESENTATIONS[rng.randrange(len(PRESENTATIONS))].format(
            Trade=trade[0].upper() + trade[1:], trade=trade, city=city[0], years=since,
            installed="installée" if gender == "f" else "installé",
            became="devenue" if gender == "f" else "devenu",
            employee="salariée" if gender == "f" else "salarié",
            clients=rng.choice(CLIENTS), others=rng.choice(CLIENTS),
            year=max(joined.year, 2015), specialties=specialties,
            Specialties=specialties[0].upper() + specialties[1:],
            first=skills[0]["label"], extra=rng.choice(EXTRAS)) if rng.random() < 0.9 else None
        languages = [{"code": "fr", "level": "natif"}] + [
            {"code": code, "level": rng.choice(CEFR)} for code, p in LANGUAGES
            if rng.random() < p]
        references = [{"title": f"{rng.choice(['Mission', 'Chantier', 'Projet', 'Accompagnement'])}"
                                f" pour {rng.choice(CLIENTS)}",
                       "client": f"{rng.choice(['Mairie', 'Association', 'SCIC', 'SARL'])} de "
                                 f"{rng.choice(CITIES)[0]}",
                       "year": rng.randint(2018, 2026),
                       "description": ", ".join(s["label"] for s in rng.sample(skills, 2))}
                      for _ in range(rng.choice((1, 2)))] if rng.random() < 0.33 else []
        placed = rng.random() < 0.95
        rate = rng.randrange(250, 750, 10) * 100 if rng.random() < 0.85 else None
        identity = rng.random() < 0.4
        shares = {"share_identity": identity}
        for field_name, p in SHARE.items():
            shares[f"share_{field_name}"] = rng.random() < (p if identity else p / 4)
        profile = {
            "member_id": member, "cooperative_id": coop, "presentation": presentation,
            "trades": json.dumps(trades, ensure_ascii=False),
            "languages": json.dumps(languages), "references": json.dumps(references,
                                                                         ensure_ascii=False),
            "commune": city[0] if placed else None, "commune_code": city[1] if placed else None,
            "latitude_e6": jitter(rng, city[2], 0.06) if placed else None,
            "longitude_e6": jitter(rng, city[3], 0.08) if placed else None,
            "travel_radius_km": rng.choice(RADII) if placed else 0,
            "day_rate_min_cents": rate,
            "day_rate_max_cents": rate + rng.choice((0, 5000, 10000, 20000)) if rate else None,
            "updated_at": NOW, **shares}
        out["profiles"].append(profile)
        if rng.random() < 0.85:
            start = date(2026, 6, 1) + timedelta(days=rng.randrange(120))
            for position in range(rng.choice((1, 1, 2, 3))):
                end = start + timedelta(days=rng.randint(14, 180))
                out["availabilities"].append({"member_id": member, "cooperative_id": coop,
                                              "position": position, "starts_on": start,
                                              "ends_on": end,
                                              "days_per_week": rng.choice((2, 3, 4, 5, 5))})
                start = end + timedelta(days=rng.randint(10, 90))
        if rng.random() < 0.04:
            start = date(2026, 9, 1) + timedelta(days=rng.randrange(200))
            out["absences"].append({"id": uid(rng), "member_id": member, "cooperative_id": coop,
                                    "starts_on": start,
                                    "ends_on": start + timedelta(days=rng.randint(3, 30)),
                                    "reason": rng.choice(("congés", "arrêt maladie",
                                                          "formation")),
                                    "declared_at": NOW, "suggestions": "[]"})
        if left is None:
            out["_index"].append((profile, skills))
    return out


_CHUNKS: dict[str, str] = {}


def stems(body: str) -> str:
    """``text.terms(body)``, a whitespace-separated chunk at a time (no word spans a space),
    each chunk's stems cached: the vocabulary is small, the documents many."""
    out = []
    for chunk in body.split():
        found = _CHUNKS.get(chunk)
        if found is None:
            found = _CHUNKS[chunk] = terms_of.terms(chunk)
        if found:
            out.append(found)
    return " ".join(out)


def document_rows(indexed, labels: dict[str, list[str]]) -> list[dict]:
    rows = []
    for profile, skills in indexed:
        docs = documents_of(SimpleNamespace(**profile),
                            [SimpleNamespace(**s) for s in skills], labels)
        rows += [{"member_id": profile["member_id"], "cooperative_id": profile["cooperative_id"],
                  "field": field_name, "body": body, "terms": stems(body)}
                 for field_name, body in docs.items()]
    return rows


def seed(sessions, first: int, last: int, per: int, occupations, labels) -> dict[str, int]:
    """Cooperatives ``first`` to ``last - 1`` and their members, by COPY, 50 cooperatives a
    transaction."""
    weights = [1.0 + (7 if any(k in o.forms[0] for k in (
        "développeur", "formateur", "graphiste", "consultant", "comptable", "électricien",
        "paysagiste", "traducteur", "photographe", "charpentier", "ébéniste")) else 0)
        for o in occupations]
    counts: dict[str, int] = defaultdict(int)
    tables = (("people", Person), ("profiles", Profile), ("profile_skills", ProfileSkill),
              ("availabilities", Availability), ("absences", Absence))
    for start in range(first, last, 50):
        stop = min(last, start + 50)
        with acting_session(sessions, None, "bench") as session:
            insert_rows(session, Cooperative, [
                {"cooperative_id": cooperative_id(n),
                 "name": f"CAE {cooperative_city(n)} {n}", "retention_days": 90}
                for n in range(start, stop)])
            counts["cooperatives"] += stop - start
            for n in range(start, stop):
                rows = member_rows(n, per, occupations, weights)
                for name, model in tables:
                    insert_rows(session, model, rows[name])
                    counts[name] += len(rows[name])
                docs = document_rows(rows["_index"], labels)
                insert_rows(session, SearchDocument, docs)
                counts["search_documents"] += len(docs)
            session.commit()
    return counts


def vacuum(url: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for table in SEARCH_TABLES:
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    engine.dispose()


def check_documents(sessions, sample: int = 30) -> int:
    """Rebuilds ``sample`` members' documents with ``index_profile`` (rolled back) and
    compares them with the bulk ones; returns how many differed."""
    differ = 0
    with acting_session(sessions, None, "bench") as session:
        members = list(session.scalars(select(SearchDocument.member_id).distinct()
                                       .order_by(SearchDocument.member_id).limit(sample)))

        def docs(member):
            return {(d.field, d.body, d.terms) for d in session.scalars(
                select(SearchDocument).where(SearchDocument.member_id == member)
                .execution_options(all_tenants=True))}

        for member in members:
            before = docs(member)
            index_profile(session, member)
            session.flush()
            differ += before != docs(member)
        session.rollback()
    return differ


# -- (2) the search -------------------------------------------------------------------------------
TEXTS = ["développeuse web", "menuisier agenceur", "formatrice", "comptable", "graphiste",
         "plombière", "traduction anglais", "jardinier paysagiste", "électricienne",
         "photographe mariage", "rénovation énergétique", "formation professionnelle",
         "peintre en bâtiment", "community management", "ébéniste", "développement web lyon",
         "interprète langue des signes", "maçonne", "WordPress", "coach sportif",
         "gestion de projet", "isolation biosourcée", "montage vidéo", "paie"]
KINDS = ["concept", "skill", "text", "place", "window", "text+place", "concept+place+window",
         "text+window"]


@dataclass(frozen=True)
class Query:
    kind: str
    criteria: Criteria


def place_of(rng: random.Random, near_home: bool) -> Place:
    city = CITY["Lyon"] if near_home else rng.choice(CITIES)
    return Place(f"{city[2]:.6f}", f"{city[3]:.6f}", rng.choice((10, 20, 30, 50, 100)),
                 label=city[0])


def window_of(rng: random.Random) -> Window:
    start = date(2026, 6, 1) + timedelta(days=rng.randrange(300))
    return Window(start, start + timedelta(days=rng.choice((13, 27, 55))))


def queries(sessions, n: int) -> list[Query]:
    """``n`` queries: each kind in turn, alternately over the cooperative and the network."""
    rng = random.Random(f"{SEED}-queries")
    with acting_session(sessions, None, "bench") as session:
        used = set(session.scalars(select(OccupationSkill.skill_uri)))
        groups = sorted(uri for uri, count in session.execute(
            select(ConceptBroader.broader_uri, text("count(*)"))
            .join(Concept, Concept.uri == ConceptBroader.broader_uri)
            .where(Concept.kind == "skill_group", ConceptBroader.uri.in_(sorted(used)))
            .group_by(ConceptBroader.broader_uri)) if count >= 3)
    skills = sorted(used)
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        scope = "cooperative" if (i // len(KINDS)) % 2 == 0 else "network"
        c: dict = {"scope": scope}
        if kind == "concept":
            c["concept_uris"] = (rng.choice(groups),)
        elif kind == "skill":
            c["concept_uris"] = (rng.choice(skills),)
            c["min_level"] = rng.choice((1, 2, 3))
        elif kind == "text":
            c["text"] = rng.choice(TEXTS)
        elif kind == "place":
            c["place"] = place_of(rng, rng.random() < 0.5)
        elif kind == "window":
            c["window"] = window_of(rng)
        elif kind == "text+place":
            c["text"], c["place"] = rng.choice(TEXTS), place_of(rng, rng.random() < 0.7)
        elif kind == "concept+place+window":
            c["concept_uris"] = (rng.choice(groups),)
            c["place"], c["window"] = place_of(rng, True), window_of(rng)
        else:
            c["text"], c["window"] = rng.choice(TEXTS), window_of(rng)
        out.append(Query(kind, Criteria(**c)))
    return out


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def run_queries(sessions, viewer: str, qs: list[Query], rounds: int
                ) -> tuple[list[tuple[Query, float, int]], float]:
    """(query, milliseconds, hits) for each query of each round, and the wall time."""
    out = []
    began = time.perf_counter()
    for _ in range(rounds):
        for q in qs:
            started = time.perf_counter()
            with acting_session(sessions, viewer, "staff") as session:
                page = search(session, viewer, q.criteria)
            out.append((q, (time.perf_counter() - started) * 1000, len(page.hits)))
    return out, time.perf_counter() - began


class Errors(logging.Handler):
    """Counts what the service logs at ERROR (the search logs a hit its SQL let through and
    the consent re-check refused), instead of printing it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def search_part(sessions, viewer: str, qs: list[Query], label: str) -> dict:
    errors = Errors()
    logging.getLogger("cae_matching").addHandler(errors)
    try:
        run_queries(sessions, viewer, qs, 1)  # warm-up: caches, plans, the pool
        timed, wall = run_queries(sessions, viewer, qs, 2)
    finally:
        logging.getLogger("cae_matching").removeHandler(errors)
    ms = [t for _, t, _ in timed]
    result = {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "max": max(ms),
              "mean": statistics.fmean(ms), "wall": wall, "timed": timed,
              "empty": sum(1 for _, _, h in timed if h == 0) / 2,
              "hits": statistics.fmean(h for _, _, h in timed)}
    print(f"  {label}: {len(ms)} searches in {wall:.1f} s: p50 {result['p50']:.1f} ms, "
          f"p95 {result['p95']:.1f} ms, max {result['max']:.1f} ms, mean {result['mean']:.1f} ms "
          f"({result['hits']:.1f} hits a page; {result['empty']:.0f} of {len(qs)} queries "
          f"find none; {errors.count} errors logged by the service)", flush=True)
    return result


def by_kind(timed) -> dict[tuple[str, str], list[float]]:
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for q, ms, _ in timed:
        groups[(q.kind, q.criteria.scope)].append(ms)
    return groups


def traced(engine, sessions, viewer: str, q: Query) -> list[tuple[str, object, float]]:
    """The query run through the use case with every SQL statement it sends recorded:
    (statement, parameters, milliseconds), in order."""
    calls: list[tuple[str, object, float]] = []
    starts: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        starts.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        calls.append((statement, parameters, (time.perf_counter() - starts.pop()) * 1000))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        with acting_session(sessions, viewer, "staff") as session:
            search(session, viewer, q.criteria)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return calls


def explain(engine, sessions, viewer: str, q: Query) -> str:
    """What the search's statements took, and EXPLAIN ANALYZE of the slowest one, as the
    use case sent it (its parameters, and the SET LOCAL sent before it)."""
    calls = traced(engine, sessions, viewer, q)
    slowest = max(range(len(calls)), key=lambda i: calls[i][2])
    statement, parameters, _ = calls[slowest]
    with engine.connect() as conn:
        for before, values, _ in calls[:slowest]:
            if before.lstrip().upper().startswith("SET "):
                conn.exec_driver_sql(before, values or None)
        plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}",
                                    parameters).scalars().all()
        conn.rollback()
    return ("statements (ms): " + ", ".join(f"{ms:.1f}" for _, _, ms in calls)
            + f"; the slowest, #{slowest + 1}:\n" + "\n".join(plan))


# -- (3) a team proposal ---------------------------------------------------------------------------
def team_call(session, seed: int = 7) -> tuple[list[Requirement], list[Candidate]]:
    """50 requirements (5 ESCO skills of each of 10 occupations) and 200 candidates, each
    qualifying for 2 to 10 of them, mostly in one or two occupations."""
    rng = random.Random(f"{SEED}-team-{seed}")
    occupations, _ = load_taxonomy(session)
    clusters: list[list[str]] = []
    taken: set[str] = set()
    for occ in rng.sample(occupations, len(occupations)):
        fresh = [uri for uri, _ in occ.skills if uri not in taken]
        if len(fresh) >= 5:
            pick = rng.sample(fresh, 5)
            taken.update(pick)
            clusters.append(pick)
        if len(clusters) == 10:
            break
    requirements = []
    for c, cluster in enumerate(clusters):
        for k, uri in enumerate(cluster):
            requirements.append(Requirement(code=f"R{c * 5 + k + 1:02d}", skill=uri,
                                            min_level=rng.choices((1, 2, 3), (2, 5, 3))[0],
                                            people=rng.choices((1, 2, 3), (50, 35, 15))[0]))
    candidates = []
    for j in range(200):
        q = rng.choices(range(2, 11), (14, 16, 15, 12, 10, 9, 8, 7, 6))[0]
        primary = rng.randrange(10)
        secondary = rng.randrange(10)
        pool = [primary * 5 + k for k in range(5)]
        others = [secondary * 5 + k for k in range(5) if secondary != primary]
        rest = [r for r in range(50) if r // 5 not in (primary, secondary)]
        chosen = rng.sample(pool, min(q, rng.randint(2, 5)))
        if len(chosen) < q:
            chosen += rng.sample(others, min(q - len(chosen), len(others)))
        if len(chosen) < q:
            chosen += rng.sample(rest, q - len(chosen))
        skills = {requirements[r].skill: rng.randint(requirements[r].min_level, 4)
                  for r in chosen}
        for r in rng.sample([r for r in range(50) if r not in chosen], 3):
            if requirements[r].min_level > 1:  # known, below the level asked
                skills[requirements[r].skill] = rng.randint(1, requirements[r].min_level - 1)
        rate = (rng.randrange(300, 650, 10) + 35 * (q - 2) + rng.randrange(0, 120, 10)) * 100
        candidates.append(Candidate(member_id=f"C{j + 1:03d}", cooperative=f"coop-{j % 12}",
                                    skills=skills, day_rate=rate))
    return requirements, candidates


def decimal3(value: Fraction) -> str:
    return str((Decimal(value.numerator) / Decimal(value.denominator))
               .quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN))


def team_part(session, time_limit: float) -> dict[Objective, Fraction]:
    requirements, candidates = team_call(session)
    ratios = {}
    for objective in (Objective.SIZE, Objective.COST):
        model = build_model(requirements, candidates, objective=objective)
        sizes = [len(c) for c in model.covers]
        assert len(model.candidates) == 200 and min(sizes) >= 2 and max(sizes) <= 10, sizes
        started = time.perf_counter()
        g = greedy_team(model)
        greedy_s = time.perf_counter() - started
        started = time.perf_counter()
        best = solve(model, time_limit=time_limit, greedy=g)
        solve_s = time.perf_counter() - started
        assert best is not None and best.team.covers
        ratio = Fraction(g.team.cost, best.cost)
        ratios[objective] = ratio

        def money(cost: int, objective: Objective = objective) -> str:
            return f"{cost:,}" if objective is Objective.SIZE else f"{cost / 100:,.0f} EUR"

        slots = sum(r.people for r in requirements)
        print(f"  {'smallest team' if objective is Objective.SIZE else 'cheapest at day rates'}"
              f" ({len(requirements)} requirements, {slots} people needed, "
              f"{len(model.candidates)} candidates each qualifying for {min(sizes)}-{max(sizes)},"
              f" mean {statistics.fmean(sizes):.1f}):", flush=True)
        print(f"    greedy: {g.team.size} people, cost {money(g.team.cost)} "
              f"({g.picked_cost if objective is Objective.SIZE else money(g.picked_cost)} "
              f"before redundant members removed) in {greedy_s * 1000:.1f} ms; "
              f"d = {g.d}, bound: optimum >= {money(g.optimum_at_least)}")
        print(f"    solver: {best.team.size} people, cost {money(best.cost)}, "
              f"{'proven optimal' if best.proven_optimal else 'NOT proven'} "
              f"(lower bound {money(best.lower_bound)}, gap {best.gap}, {best.status}, "
              f"source {best.source}) in {solve_s:.2f} s (HiGHS {best.seconds:.2f} s; "
              f"limit {time_limit:g} s)")
        print(f"    greedy / optimum = {ratio} = {decimal3(ratio)}", flush=True)
    return ratios


# -- main -----------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--cooperatives", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--explain", type=int, default=0)
    args = parser.parse_args()
    per = args.profiles // args.cooperatives
    first = max(1, args.cooperatives // 10)
    began = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="cae-bench-matching-")
    url = fresh_database("postgresql", DATABASE, tmp)
    engine = None
    try:
        started = time.perf_counter()
        upgrade("matching", url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with acting_session(sessions, None, "bench") as session:
            occupations, labels = load_taxonomy(session)
            concepts = session.scalar(select(text("count(*)")).select_from(Concept)
                                      .where(Concept.kind == "skill"))
        print(f"migrated, the ESCO subset loaded ({concepts} skills, {len(occupations)} "
              f"occupations with 8 or more skills) in {time.perf_counter() - started:.1f} s",
              flush=True)
        viewer = cooperative_id(0)
        qs = queries(sessions, args.queries)
        results = {}
        seeded_to = 0
        for size, upto in ((first * per, first), (args.cooperatives * per, args.cooperatives)):
            started = time.perf_counter()
            counts = seed(sessions, seeded_to, upto, per, occupations, labels)
            seeding = time.perf_counter() - started
            seeded_to = upto
            started = time.perf_counter()
            vacuum(url)
            print(f"seeded cooperatives {upto - counts['cooperatives']}-{upto - 1} in "
                  f"{seeding:.1f} s (" + ", ".join(f"{v:,} {k}" for k, v in counts.items())
                  + f"); VACUUM ANALYZE {time.perf_counter() - started:.1f} s", flush=True)
            if size == first * per:
                print(f"  documents as index_profile writes them: "
                      f"{30 - check_documents(sessions)} of 30 sampled members identical")
            results[size] = search_part(sessions, viewer, qs, f"{size:,} profiles")
        small, large = first * per, args.cooperatives * per
        print(f"search latency by kind of query and scope (ms; two timings of each of "
              f"{len(qs)} queries), at {small:,} -> {large:,} profiles:")
        before, after = by_kind(results[small]["timed"]), by_kind(results[large]["timed"])
        for key in sorted(before, key=lambda k: (KINDS.index(k[0]), k[1])):
            b, a = before[key], after[key]
            print(f"  {key[0]:22} {key[1]:11} p50 {percentile(b, 50):6.1f} -> "
                  f"{percentile(a, 50):6.1f}   p95 {percentile(b, 95):6.1f} -> "
                  f"{percentile(a, 95):6.1f}")
        growth95 = results[large]["p95"] / results[small]["p95"]
        growth50 = results[large]["p50"] / results[small]["p50"]
        print(f"growth from {small:,} to {large:,} profiles (x{large / small:g} data; "
              f"{large / small:g} is linear): p50 x{growth50:.2f}, p95 x{growth95:.2f}",
              flush=True)
        if args.explain:
            slow = sorted(results[large]["timed"], key=lambda t: -t[1])
            seen: list[Query] = []
            for q, ms, _ in slow:
                if q in seen:
                    continue
                seen.append(q)
                print(f"\nEXPLAIN ANALYZE ({q.kind}, {q.criteria.scope}, {ms:.0f} ms): "
                      f"{q.criteria}\n{explain(engine, sessions, viewer, q)}")
                if len(seen) == args.explain:
                    break
        print("team proposal:", flush=True)
        with acting_session(sessions, None, "bench") as session:
            ratios = team_part(session, args.time_limit)
        print(f"the whole bench: {time.perf_counter() - began:.0f} s")
        print(f"cheapest_ratio={decimal3(ratios[Objective.COST])}")
        print(f"ratio={decimal3(ratios[Objective.SIZE])}")
    finally:
        if engine is not None:
            engine.dispose()
        admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
