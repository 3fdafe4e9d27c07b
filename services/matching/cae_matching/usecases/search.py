"""The search of profiles across the network, with consent; the index it reads; the
profiles as a viewer may see them.

The index (``index_profile``, called after every change of a profile): one document per
searchable field with text: ``presentation``; ``skills`` (each skill's label and, for a
skill on a taxonomy concept, the concept's labels: searching an ESCO alternative label
finds it); ``trades``; ``languages`` (French names of ISO 639-1 codes, "en" -> "anglais");
``references``. A member who left, was erased or has no profile has none (``unindex``).

A search (``search``): ``Criteria`` from a viewer's cooperative, over their own
cooperative (``scope="cooperative"``) or the network (``"network"``: their own and every
other cooperative's profiles shared with it). Each criterion filters, and scores:

- ``concept_uris``: a skill on one of these concepts or a narrower one, at ``min_level``
  or above (points: 20 x level + years, at most 20);
- ``text``: every word of it in some visible searchable field (stems, accents and plurals
  aside), or a skill on a concept the whole text names (a label of the taxonomy) or on a
  narrower one (55 points and more for the fields it matched in, skills and trades
  first; 50 by a concept);
- ``place``: within ``radius_km`` of the point (100 points at the point, 0 at the radius);
- ``window``: availability covering days of it not all covered by an absence (points: the
  percentage of the window covered).

Consent (``domain.profiles``): another cooperative's profile only with its identity
shared, each criterion only on a field the viewer may see (a hidden field's text never
makes a profile appear), a member who left never, even to their own cooperative. The SQL
filters it (``adapters.search``); every hit is checked again here with ``visible_fields``
and its profile is ``project``-ed to the visible fields.

A page: hits ranked by score then member (``rank`` counts from 1 over the whole search),
each with its ``reasons`` in French ({criterion, field, detail}) and its ``profile``; and
an opaque ``next_cursor`` (the last hit's score and member, the rank reached,
a digest of the criteria: a cursor is refused with other criteria).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from cae_matching.adapters import search as index
from cae_matching.adapters.store import (
    Availability,
    Cooperative,
    Person,
    Profile,
    ProfileSkill,
)
from cae_matching.domain.profiles import (
    FIELDS,
    LEVELS,
    MAX_RADIUS_KM,
    check_period,
    project,
    visible_fields,
)
from caekit.rules import RuleViolation

logger = logging.getLogger("cae_matching")

SCOPES = ("cooperative", "network")
MAX_LIMIT = 100
MAX_CONCEPTS = 50
MAX_TEXT = 300
MAX_WORDS = index.MAX_WORDS
MAX_WINDOW_DAYS = 731

LANGUAGE_NAMES = {
    "af": "afrikaans", "am": "amharique", "ar": "arabe", "bg": "bulgare", "bm": "bambara",
    "bn": "bengali", "br": "breton", "ca": "catalan", "co": "corse", "cs": "tchèque",
    "cy": "gallois", "da": "danois", "de": "allemand", "el": "grec", "en": "anglais",
    "eo": "espéranto", "es": "espagnol", "et": "estonien", "eu": "basque", "fa": "persan",
    "ff": "peul", "fi": "finnois", "fr": "français", "ga": "irlandais", "he": "hébreu",
    "hi": "hindi", "hr": "croate", "ht": "créole haïtien", "hu": "hongrois",
    "hy": "arménien", "id": "indonésien", "is": "islandais", "it": "italien",
    "ja": "japonais", "ka": "géorgien", "km": "khmer", "ko": "coréen", "ku": "kurde",
    "la": "latin", "lb": "luxembourgeois", "ln": "lingala", "lo": "lao", "lt": "lituanien",
    "lv": "letton", "mg": "malgache", "mn": "mongol", "ms": "malais", "mt": "maltais",
    "nl": "néerlandais", "no": "norvégien", "oc": "occitan", "pl": "polonais",
    "ps": "pachto", "pt": "portugais", "ro": "roumain", "ru": "russe", "sk": "slovaque",
    "sl": "slovène", "so": "somali", "sq": "albanais", "sr": "serbe", "sv": "suédois",
    "sw": "swahili", "ta": "tamoul", "th": "thaï", "ti": "tigrigna", "tl": "tagalog",
    "tr": "turc", "ty": "tahitien", "uk": "ukrainien", "ur": "ourdou", "vi": "vietnamien",
    "wo": "wolof", "yi": "yiddish", "zh": "chinois",
}
"""French names of common ISO 639-1 codes, indexed so that "anglais" finds "en"."""

IN_FIELD = {"presentation": "dans la présentation", "skills": "dans les compétences",
            "trades": "dans les métiers", "languages": "dans les langues",
            "references": "dans les références"}


# -- criteria and results -------------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    """A point in decimal degrees (a string, a ``Decimal`` or an integer: six decimals are
    kept) and a radius in whole kilometres; ``label`` names it in the reasons ("Lyon")."""

    latitude: str | Decimal | int
    longitude: str | Decimal | int
    radius_km: int
    label: str | None = None


@dataclass(frozen=True)
class Window:
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Criteria:
    scope: str = "cooperative"
    concept_uris: tuple[str, ...] = ()
    text: str | None = None
    place: Place | None = None
    window: Window | None = None
    min_level: int = 1
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True)
class Hit:
    member_id: str
    cooperative_id: str
    rank: int
    score: int
    reasons: list[dict] = field(default_factory=list)  # {criterion, field, detail}
    profile: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    next_cursor: str | None  # None: the last page


# -- the index ------------------------------------------------------------------------------
def _json_list(raw: str | None) -> list:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _lines(values) -> str:
    return "\n".join(v for v in (str(x).strip() for x in values if x is not None) if v)


def language_text(languages: list) -> str:
    out = []
    for item in languages:
        if not isinstance(item, dict) or not item.get("code"):
            continue
        code = str(item["code"]).strip().lower()
        name = LANGUAGE_NAMES.get(code, code)
        level = str(item.get("level") or "").strip()
        out.append(f"{name} ({level})" if level else name)
    return _lines(out)


def reference_text(references: list) -> str:
    out = []
    for item in references:
        if isinstance(item, dict):
            out.append(" — ".join(str(item[k]).strip() for k in
                                  ("title", "client", "year", "description")
                                  if item.get(k) not in (None, "")))
    return _lines(out)


def documents_of(profile: Profile, skills: list, labels: dict[str, list[str]]) -> dict[str, str]:
    """field -> the text indexed for it (fields without text left out)."""
    skill_lines: list[str] = []
    seen: set[str] = set()
    for skill in skills:
        for label in [skill.label, *labels.get(skill.concept_uri or "", [])]:
            if label and label.strip() and label.strip().casefold() not in seen:
                seen.add(label.strip().casefold())
                skill_lines.append(label.strip())
    bodies = {
        "presentation": (profile.presentation or "").strip(),
        "skills": _lines(skill_lines),
        "trades": _lines(_json_list(profile.trades)),
        "languages": language_text(_json_list(profile.languages)),
        "references": reference_text(_json_list(profile.references)),
    }
    return {f: body for f, body in bodies.items() if body}


def _one(session: Session, model, member_id: str):
    return session.scalars(select(model).where(model.member_id == member_id)
                           .execution_options(all_tenants=True)).first()


def index_profile(session: Session, member_id: str) -> None:
    """(Re)write the member's search documents from their profile (none if they left, were
    erased or have no profile). In the session's transaction."""
    profile = _one(session, Profile, member_id)
    person = _one(session, Person, member_id)
    if profile is None or (person is not None and (person.left_on is not None
                                                   or person.erased)):
        unindex(session, member_id)
        return
    skills = list(session.scalars(select(ProfileSkill)
                                  .where(ProfileSkill.member_id == member_id)
                                  .order_by(ProfileSkill.position)
                                  .execution_options(all_tenants=True)))
    labels = index.concept_labels(session, [s.concept_uri for s in skills if s.concept_uri])
    index.write_documents(session, member_id, profile.cooperative_id,
                          documents_of(profile, skills, labels))


def unindex(session: Session, member_id: str) -> None:
    """The member's search documents deleted (they left, or their profile is erased)."""
    index.delete_documents(session, member_id)


# -- profiles as a viewer sees them ---------------------------------------------------------
def degrees(e6: int | None) -> str | None:
    """Micro-degrees as decimal degrees with six decimals ("45.764043")."""
    if e6 is None:
        return None
    return f"{'-' if e6 < 0 else ''}{abs(e6) // 1_000_000}.{abs(e6) % 1_000_000:06d}"


def network_fields(profile: Profile) -> frozenset[str]:
    return frozenset(f for f in FIELDS if getattr(profile, f"share_{f}"))


def _view(profile: Profile, person: Person | None, cooperative_name: str | None,
          skills: list, periods: list) -> dict:
    place = None
    if profile.commune or profile.latitude_e6 is not None:
        place = {"commune": profile.commune, "commune_code": profile.commune_code,
                 "latitude": degrees(profile.latitude_e6),
                 "longitude": degrees(profile.longitude_e6),
                 "travel_radius_km": profile.travel_radius_km}
    day_rate = None
    if profile.day_rate_min_cents is not None or profile.day_rate_max_cents is not None:
        day_rate = {"min_cents": profile.day_rate_min_cents,
                    "max_cents": profile.day_rate_max_cents}
    languages = [{"code": item.get("code"), "level": item.get("level")}
                 for item in _json_list(profile.languages) if isinstance(item, dict)]
    return {
        "member_id": profile.member_id, "cooperative_id": profile.cooperative_id,
        "cooperative_name": cooperative_name,
        "identity": {"first_name": person.first_name if person else None,
                     "last_name": person.last_name if person else None},
        "presentation": profile.presentation,
        "skills": [{"concept_uri": s.concept_uri, "label": s.label, "level": s.level,
                    "years": s.years} for s in skills],
        "trades": [str(t) for t in _json_list(profile.trades)],
        "languages": languages,
        "place": place,
        "day_rate": day_rate,
        "availability": [{"starts_on": a.starts_on, "ends_on": a.ends_on,
                          "days_per_week": a.days_per_week} for a in periods],
        "references": [r for r in _json_list(profile.references) if isinstance(r, dict)],
        "updated_at": profile.updated_at,
    }


def views(session: Session, member_ids, viewer_cooperative_id: str) -> dict[str, dict]:
    """member -> their profile as ``viewer_cooperative_id`` may see it (``project``-ed to
    ``visible_fields``); members it may not see at all (another cooperative's without
    consent, a member who left or was erased) and members without a profile are left out.
    Five queries whatever the number of members."""
    ids = sorted({str(m) for m in member_ids})
    if not ids:
        return {}
    rows = session.execute(
        select(Profile, Person, Cooperative.name)
        .join(Person, Person.member_id == Profile.member_id, isouter=True)
        .join(Cooperative, Cooperative.cooperative_id == Profile.cooperative_id, isouter=True)
        .where(Profile.member_id.in_(ids))
        .execution_options(all_tenants=True)).all()
    seen: dict[str, tuple] = {}
    for profile, person, name in rows:
        left = person is not None and (person.left_on is not None or person.erased)
        fields = visible_fields(profile.cooperative_id, viewer_cooperative_id, left,
                                network_fields(profile))
        if fields:
            seen[profile.member_id] = (profile, person, name, fields)
    if not seen:
        return {}
    skills: dict[str, list] = {}
    for skill in session.scalars(select(ProfileSkill)
                                 .where(ProfileSkill.member_id.in_(sorted(seen)))
                                 .order_by(ProfileSkill.member_id, ProfileSkill.position)
                                 .execution_options(all_tenants=True)):
        skills.setdefault(skill.member_id, []).append(skill)
    periods: dict[str, list] = {}
    for period in session.scalars(select(Availability)
                                  .where(Availability.member_id.in_(sorted(seen)))
                                  .order_by(Availability.member_id, Availability.starts_on,
                                            Availability.position)
                                  .execution_options(all_tenants=True)):
        periods.setdefault(period.member_id, []).append(period)
    return {member: project(_view(profile, person, name, skills.get(member, []),
                                  periods.get(member, [])), fields)
            for member, (profile, person, name, fields) in seen.items()}


# -- the search -----------------------------------------------------------------------------
def _e6(value, bound: int, name: str) -> int:
    try:
        number = Decimal(str(value).strip())
        e6 = int((number * 1_000_000).to_integral_value(ROUND_HALF_EVEN))
    except (InvalidOperation, ValueError):
        raise RuleViolation("search.place", f"{name}: a number of degrees",
                            [f"place.{name}"]) from None
    if not number.is_finite() or abs(e6) > bound * 1_000_000:
        raise RuleViolation("search.place", f"{name}: from -{bound} to {bound} degrees",
                            [f"place.{name}"])
    return e6


def _digest(viewer: str, criteria: Criteria) -> str:
    place = criteria.place
    key = json.dumps([viewer, criteria.scope, sorted(set(criteria.concept_uris)),
                      (criteria.text or "").strip(), criteria.min_level,
                      None if place is None else [str(place.latitude), str(place.longitude),
                                                  place.radius_km],
                      None if criteria.window is None else [
                          criteria.window.starts_on.isoformat(),
                          criteria.window.ends_on.isoformat()]])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _cursor(score: int, member: str, reached: int, digest: str) -> str:
    raw = json.dumps([score, member, reached, digest], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str, digest: str) -> tuple[int, str, int]:
    refused = RuleViolation("search.cursor", "this cursor is not one of this search's pages",
                            ["cursor"])
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        score, member, reached, their_digest = json.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        raise refused from None
    if (their_digest != digest or not isinstance(score, int) or not isinstance(member, str)
            or not isinstance(reached, int) or reached < 0):
        raise refused
    return score, member, reached


def _check(criteria: Criteria) -> None:
    if criteria.scope not in SCOPES:
        raise RuleViolation("search.scope", "scope: cooperative or network", ["scope"])
    if isinstance(criteria.limit, bool) or not isinstance(criteria.limit, int) \
            or not 1 <= criteria.limit <= MAX_LIMIT:
        raise RuleViolation("search.limit", f"limit: from 1 to {MAX_LIMIT}", ["limit"])
    if isinstance(criteria.min_level, bool) or criteria.min_level not in LEVELS:
        raise RuleViolation("search.min_level", "min_level: from 1 to 4", ["min_level"])
    if len(criteria.concept_uris) > MAX_CONCEPTS or not all(
            isinstance(u, str) and u.strip() for u in criteria.concept_uris):
        raise RuleViolation("search.concepts", f"concept_uris: up to {MAX_CONCEPTS} URIs",
                            ["concept_uris"])
    if criteria.text is not None and len(criteria.text) > MAX_TEXT:
        raise RuleViolation("search.text", f"text: at most {MAX_TEXT} characters", ["text"])
    place = criteria.place
    if place is not None and (isinstance(place.radius_km, bool)
                              or not isinstance(place.radius_km, int)
                              or not 0 <= place.radius_km <= MAX_RADIUS_KM):
        raise RuleViolation("search.place", f"radius_km: from 0 to {MAX_RADIUS_KM} km",
                            ["place.radius_km"])
    window = criteria.window
    if window is not None:
        check_period(window.starts_on, window.ends_on, "window.ends_on")
        if (window.ends_on - window.starts_on).days + 1 > MAX_WINDOW_DAYS:
            raise RuleViolation("search.window", f"a window of at most {MAX_WINDOW_DAYS} days",
                                ["window.ends_on"])


def _years(n: int) -> str:
    return f"{n} an" if n == 1 else f"{n} ans"


def _days(n: int) -> str:
    return f"{n} jour" if n <= 1 else f"{n} jours"


def _skill_detail(skill) -> str:
    return (f"{skill.label} (niveau {skill.level}, {_years(skill.years)})" if skill.years
            else f"{skill.label} (niveau {skill.level})")


def search(session: Session, viewer_cooperative_id: str, criteria: Criteria) -> SearchPage:
    """A page of the profiles ``viewer_cooperative_id`` may find with ``criteria``."""
    _check(criteria)
    viewer = str(viewer_cooperative_id)
    digest = _digest(viewer, criteria)
    after, reached = None, 0
    if criteria.cursor:
        score, member, reached = _read_cursor(criteria.cursor, digest)
        after = (score, member)
    concepts = (frozenset(index.narrower(session, criteria.concept_uris))
                if criteria.concept_uris else None)
    query = (criteria.text or "").strip()
    words: tuple[index.QueryWord, ...] = ()
    widened: frozenset[str] = frozenset()
    if query:
        words = tuple(index.query_words(query))
        if not words:
            raise RuleViolation("search.text", "text: no word to search for (only stop "
                                "words or signs)", ["text"])
        if len(words) > MAX_WORDS:
            raise RuleViolation("search.text", f"text: at most {MAX_WORDS} words", ["text"])
        named = index.lookup(session, query)
        widened = frozenset(index.narrower(session, named)) if named else frozenset()
    place = criteria.place
    place_e6 = None if place is None else (_e6(place.latitude, 90, "latitude"),
                                           _e6(place.longitude, 180, "longitude"),
                                           place.radius_km)
    window = criteria.window
    rows, more = index.rank(session, index.Ranking(
        viewer=viewer, network=criteria.scope == "network", concepts=concepts,
        min_level=criteria.min_level, words=words, widened=widened, place=place_e6,
        window=None if window is None else (window.starts_on, window.ends_on),
        after=after, limit=criteria.limit))
    visible: dict[str, frozenset[str]] = {}
    for row in rows:
        fields = visible_fields(row.cooperative_id, viewer, row.left, row.shared)
        needed = ({"skills"} if concepts is not None else set()) \
            | ({"place"} if place is not None else set()) \
            | ({"availability"} if window is not None else set()) \
            | ({"skills"} if "concept" in row.text_fields else set()) \
            | (row.text_fields - {"concept"})
        if fields and needed <= fields and (not words or row.text_fields):
            visible[row.member_id] = fields
        else:  # the SQL filters consent: this is a bug, the hit is left out
            logger.error("search: the consent re-check refused member %s of cooperative %s "
                         "for a viewer of cooperative %s", row.member_id, row.cooperative_id,
                         viewer)
    profiles = views(session, list(visible), viewer)
    reasons = _reasons(session, rows, visible, profiles, concepts, criteria, words, widened)
    hits = []
    for n, row in enumerate(rows):
        if row.member_id in visible and row.member_id in profiles:
            hits.append(Hit(member_id=row.member_id, cooperative_id=row.cooperative_id,
                            rank=reached + n + 1, score=row.score,
                            reasons=[r for r in reasons.get(row.member_id, [])
                                     if r["field"] in visible[row.member_id]],
                            profile=profiles[row.member_id]))
    next_cursor = None
    if rows and more:
        next_cursor = _cursor(rows[-1].score, rows[-1].member_id, reached + len(rows), digest)
    return SearchPage(hits=hits, next_cursor=next_cursor)


def _reasons(session: Session, rows, visible: dict[str, frozenset[str]],
             profiles: dict[str, dict], concepts, criteria: Criteria, words, widened
             ) -> dict[str, list[dict]]:
    """member -> why they were found, in French, naming only fields the viewer sees."""
    members = [r.member_id for r in rows if r.member_id in visible]
    out: dict[str, list[dict]] = {m: [] for m in members}
    if concepts is not None:
        for member, skills in index.skills_with(session, members, concepts,
                                                criteria.min_level).items():
            out[member] += [{"criterion": "concept", "field": "skills",
                             "detail": _skill_detail(s)} for s in skills]
    if words:
        docs = index.document_terms(session, [r.member_id for r in rows
                                         if r.member_id in visible and r.text_fields])
        by_concept = index.skills_with(session, [r.member_id for r in rows
                                                 if "concept" in r.text_fields], widened)
        typed = (criteria.text or "").strip()
        for row in rows:
            if row.member_id not in visible:
                continue
            for field_name in index.SEARCHABLE:
                if field_name not in row.text_fields:
                    continue
                stems = index.stems_of(docs.get(row.member_id, {}).get(field_name, ""))
                found = [w.word for w in words if stems.intersection(w.variants)]
                shown = typed if not found or len(found) == len(words) else " ".join(found)
                out[row.member_id].append({"criterion": "text", "field": field_name,
                                           "detail": f"« {shown} » {IN_FIELD[field_name]}"})
            for skill in by_concept.get(row.member_id, [])[:3]:
                out[row.member_id].append({"criterion": "text", "field": "skills",
                                           "detail": f"« {typed} » : {skill.label}"})
    for row in rows:
        if row.member_id not in visible:
            continue
        if row.distance_km is not None and criteria.place is not None:
            where = f"à {row.distance_km} km " + (f"de {criteria.place.label}"
                                                  if criteria.place.label else "du point cherché")
            commune = ((profiles.get(row.member_id) or {}).get("place") or {}).get("commune")
            out[row.member_id].append({"criterion": "place", "field": "place",
                                       "detail": f"{where} ({commune})" if commune else where})
        if row.covered_days is not None and criteria.window is not None:
            days = (criteria.window.ends_on - criteria.window.starts_on).days + 1
            out[row.member_id].append({
                "criterion": "availability", "field": "availability",
                "detail": f"disponible {_days(row.covered_days)} sur {days}"})
    return out
