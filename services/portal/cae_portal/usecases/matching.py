"""Matching: what the entrepreneur's pages (their profile and consents, the directory, calls
for tenders and the teams proposed to them) and the support staff's pages (calls for
tenders, proposed teams and answers, professional groups) need from the matching service,
and what each form sends. No HTTP nor Flask here: the gateway is ``MatchingGateway``.

A form is read here from its fields' text (``dict`` of the form's names): what the portal
itself cannot read (a year that is no number, an amount that is no amount, a commune it
does not know without its coordinates) is refused before asking the service, with a code
``form.<field kind>``; the service's refusals come back on the form's names with their rule
code, or ``form.<field kind>`` for a value its schema refuses (the page has French words for
each).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from cae_portal.domain.money import parse_euros
from cae_portal.usecases import forms
from cae_portal.usecases.gateway import FieldErrors, NotYours, ServiceError, Viewer
from cae_portal.usecases.staff import own_cooperative
from caekit.rules import RuleViolation


class MatchingGateway(Protocol):
    """The matching service's API (and the members list, for the groups' page)."""

    def gather(self, calls: dict[str, Callable[[], Any]]) -> dict[str, Any]: ...
    def members(self, coop: str) -> list[dict]: ...
    def profile(self, coop: str, member_id: str) -> dict: ...
    def put_profile(self, coop: str, member_id: str, body: dict,
                    idempotency_key: str) -> dict: ...
    def consent(self, coop: str, member_id: str) -> dict: ...
    def put_consent(self, coop: str, member_id: str, body: dict,
                    idempotency_key: str) -> dict: ...
    def directory(self, coop: str, **criteria) -> dict: ...
    def directory_profile(self, coop: str, member_id: str) -> dict: ...
    def concepts(self, text: str, kind: str | None = "skill", limit: int = 10) -> list[dict]: ...
    def calls(self, coop: str, status: str | None = None) -> list[dict]: ...
    def call(self, coop: str, call_id: str) -> dict: ...
    def create_call(self, coop: str, body: dict, idempotency_key: str) -> dict: ...
    def publish_call(self, coop: str, call_id: str, idempotency_key: str) -> dict: ...
    def close_call(self, coop: str, call_id: str, idempotency_key: str) -> dict: ...
    def propose_teams(self, coop: str, call_id: str, body: dict,
                      idempotency_key: str) -> dict: ...
    def proposals(self, coop: str, call_id: str) -> list[dict]: ...
    def member_proposals(self, coop: str, member_id: str, status: str = "all") -> list[dict]: ...
    def answer_proposal(self, coop: str, member_id: str, proposal_id: str, accept: bool,
                        idempotency_key: str) -> dict: ...
    def groups(self, coop: str) -> list[dict]: ...
    def group(self, coop: str, group_id: str) -> dict: ...
    def create_group(self, coop: str, body: dict, idempotency_key: str) -> dict: ...
    def add_group_member(self, coop: str, group_id: str, member_id: str,
                         idempotency_key: str) -> dict: ...
    def remove_group_member(self, coop: str, group_id: str, member_id: str,
                            idempotency_key: str) -> dict: ...


class NotAMember(NotYours):
    """An entrepreneur's matching page, and the viewer is not that entrepreneur."""


# the profile's fields, in the order the consent form lists them
FIELDS = ("identity", "presentation", "skills", "trades", "languages", "place", "day_rate",
          "availability", "references")
LEVELS = (1, 2, 3, 4)
SKILL_ROWS = 3  # empty skill lines offered after the written ones
PERIOD_ROWS = 1
REQUIREMENT_ROWS = 3
MAX_SKILLS = 50
CALL_STATUSES = ("draft", "published", "proposed", "staffed", "closed")

# communes the forms know by name (their town hall, in degrees): another one is given with
# its coordinates
PLACES = {
    "Aix-en-Provence": ("13001", "43.529742", "5.447427"),
    "Amiens": ("80021", "49.894067", "2.295753"),
    "Angers": ("49007", "47.478419", "-0.563166"),
    "Bordeaux": ("33063", "44.837789", "-0.579180"),
    "Brest": ("29019", "48.390394", "-4.486076"),
    "Clermont-Ferrand": ("63113", "45.777222", "3.087025"),
    "Dijon": ("21231", "47.322047", "5.041480"),
    "Grenoble": ("38185", "45.188529", "5.724524"),
    "Le Mans": ("72181", "48.006110", "0.199556"),
    "Lille": ("59350", "50.629250", "3.057256"),
    "Limoges": ("87085", "45.833619", "1.261105"),
    "Lyon": ("69123", "45.767299", "4.834329"),
    "Marseille": ("13055", "43.296482", "5.369780"),
    "Montpellier": ("34172", "43.610769", "3.876716"),
    "Montreuil": ("93048", "48.861370", "2.443304"),
    "Nantes": ("44109", "47.218371", "-1.553621"),
    "Nice": ("06088", "43.710173", "7.261953"),
    "Nîmes": ("30189", "43.836699", "4.360054"),
    "Paris": ("75056", "48.856426", "2.352528"),
    "Reims": ("51454", "49.258329", "4.031696"),
    "Rennes": ("35238", "48.117266", "-1.677793"),
    "Saint-Étienne": ("42218", "45.439695", "4.387178"),
    "Strasbourg": ("67482", "48.573405", "7.752111"),
    "Toulouse": ("31555", "43.604652", "1.444209"),
    "Tours": ("37261", "47.394144", "0.684840"),
    "Vaulx-en-Velin": ("69256", "45.778432", "4.921880"),
    "Vénissieux": ("69259", "45.697548", "4.885683"),
    "Villeurbanne": ("69266", "45.766612", "4.879613"),
}


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().casefold())
    return re.sub(r"[\s'’-]+", " ", "".join(c for c in text if not unicodedata.combining(c)))


_PLACES_FOLDED = {_folded(name): name for name in PLACES}


def known_place(commune: str) -> tuple[str, str, str, str] | None:
    """(name, INSEE code, latitude, longitude) of a commune the forms know, else None."""
    name = _PLACES_FOLDED.get(_folded(commune))
    return (name, *PLACES[name]) if name else None


# -- reading a form ---------------------------------------------------------------------------

class _Reader:
    """Reads a form's text into the service's values, keeping what it cannot read."""

    def __init__(self, form: dict):
        self.form = form
        self.errors = FieldErrors()

    def text(self, name: str) -> str:
        return str(self.form.get(name) or "").strip()

    def refuse(self, name: str, kind: str, message: str) -> None:
        self.errors.fields.setdefault(name, []).append(message)
        self.errors.codes.setdefault(name, f"form.{kind}")

    def integer(self, name: str, kind: str, default: int | None = None) -> int | None:
        text = self.text(name)
        if not text:
            return default
        if not re.fullmatch(r"-?\d{1,9}", text):
            self.refuse(name, kind, f"{name}: a whole number")
            return None
        return int(text)

    def day(self, name: str, kind: str = "date") -> str | None:
        text = self.text(name)
        if not text:
            return None
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            found = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
            if found:
                try:
                    return date(int(found[3]), int(found[2]), int(found[1])).isoformat()
                except ValueError:
                    pass
        self.refuse(name, kind, f"{name}: a date")
        return None

    def euros(self, name: str, kind: str = "amount") -> int | None:
        text = self.text(name)
        if not text:
            return None
        try:
            return parse_euros(text, name)
        except RuleViolation:
            self.refuse(name, kind, f"{name}: an amount in euros")
            return None

    def degrees(self, name: str) -> str | None:
        text = self.text(name).replace(",", ".")
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.refuse(name, "degrees", f"{name}: degrees")
            return None
        return str(value.quantize(Decimal("0.000001")))

    def place(self, commune_name: str = "commune") -> tuple[str | None, str | None, str | None,
                                                            str | None]:
        """(commune, INSEE code, latitude, longitude): the coordinates typed, else those of a
        commune the portal knows; a commune neither: refused."""
        commune = self.text(commune_name)
        latitude, longitude = self.degrees("latitude"), self.degrees("longitude")
        if not commune:
            return None, None, latitude, longitude
        known = known_place(commune)
        if latitude is None and longitude is None and "latitude" not in self.errors.fields \
                and "longitude" not in self.errors.fields:
            if known is None:
                self.refuse(commune_name, "commune_unknown", "unknown commune")
                return commune, None, None, None
            return known
        return (known[0] if known else commune), (known[1] if known else None), latitude, \
            longitude


def rows(form: dict, prefix: str, names: tuple[str, ...]) -> list[int]:
    """The numbers of the form's lines ``prefix-N-name`` that have something typed."""
    found = set()
    for key, value in form.items():
        match = re.fullmatch(rf"{re.escape(prefix)}-(\d{{1,2}})-(\w+)", key)
        if match and match[2] in names and str(value or "").strip():
            found.add(int(match[1]))
    return sorted(found)


# -- a service's refusal on the form's names -------------------------------------------------

def kind_of(name: str) -> str:
    """``competence-2-niveau`` -> ``niveau``: what a line's field is, for its words."""
    return name.rsplit("-", 1)[-1]


def refused(error: ServiceError, name_of: Callable[[str], str | None],
            rule_fields: dict[str, str] | None = None) -> FieldErrors:
    """A 4xx answer as the form's field errors: each service field on the form's name
    (``name_of``; ``__all__`` when none), its code the rule's, else ``form.<name>``."""
    return forms.refused(error, name_of, rule_fields, _form_code)


def _form_code(name: str) -> str:
    return f"form.{kind_of(name)}"


def _write(call: Callable[[], Any], name_of: Callable[[str], str | None],
           rule_fields: dict[str, str] | None = None):
    return forms.write(call, name_of, rule_fields, _form_code)


# -- the entrepreneur: profile and consents ---------------------------------------------------

def _own_profile(viewer: Viewer, member_id: str) -> str:
    """The viewer's cooperative, when ``member_id`` is the viewer (an entrepreneur)."""
    if not viewer.is_entrepreneur or not viewer.cooperative_id or member_id != viewer.subject:
        raise NotAMember(viewer.subject)
    return viewer.cooperative_id


@dataclass(frozen=True)
class ProfilePage:
    profile: dict | None  # None: not written yet
    network: dict[str, bool]  # field -> shared with the network's other cooperatives
    history: list[dict]


def profile_page(gateway: MatchingGateway, viewer: Viewer, member_id: str) -> ProfilePage:
    coop = _own_profile(viewer, member_id)

    def profile():
        try:
            return gateway.profile(coop, member_id)
        except ServiceError as error:
            if error.status == 404:
                return None
            raise

    def consent():
        try:
            return gateway.consent(coop, member_id)
        except ServiceError as error:
            if error.status == 404:
                return {"network": {}, "history": []}
            raise

    got = gateway.gather({"profile": profile, "consent": consent})
    network = {f: bool(got["consent"].get("network", {}).get(f)) for f in FIELDS}
    return ProfilePage(got["profile"], network, list(got["consent"].get("history") or []))


def profile_form(profile: dict | None) -> dict:
    """The profile as the form's fields (text), with empty lines to add skills and a period."""
    profile = profile or {}
    form: dict[str, str] = {"presentation": profile.get("presentation") or "",
                            "metiers": "\n".join(profile.get("trades") or [])}
    skills = profile.get("skills") or []
    for n, skill in enumerate(skills):
        form.update({f"competence-{n}-libelle": skill.get("label") or "",
                     f"competence-{n}-niveau": str(skill.get("level") or ""),
                     f"competence-{n}-annees": str(skill.get("years") or 0)})
    place = profile.get("place") or {}
    form.update(commune=place.get("commune") or "", latitude=place.get("latitude") or "",
                longitude=place.get("longitude") or "",
                rayon=str(place.get("travel_radius_km") or "") if place else "")
    if place and known_place(place.get("commune") or "") and \
            known_place(place["commune"])[2:] == (place.get("latitude"), place.get("longitude")):
        form.update(latitude="", longitude="")  # the commune says it
    rate = profile.get("day_rate") or {}
    form.update(tarif_min=_euros_text(rate.get("min_cents")),
                tarif_max=_euros_text(rate.get("max_cents")))
    for n, period in enumerate(profile.get("availability") or []):
        form.update({f"dispo-{n}-debut": str(period["starts_on"]),
                     f"dispo-{n}-fin": str(period["ends_on"]),
                     f"dispo-{n}-jours": str(period.get("days_per_week") or 5)})
    return form


def line_count(form: dict, prefix: str, extra: int) -> int:
    """How many lines of ``prefix`` the form shows: those written, then ``extra`` empty."""
    numbers = [int(m[1]) for key in form
               if (m := re.fullmatch(rf"{re.escape(prefix)}-(\d+)-\w+", key))]
    return (max(numbers) + 1 if numbers else 0) + extra


def _euros_text(cents: int | None) -> str:
    if cents is None:
        return ""
    units, rest = divmod(int(cents), 100)
    return f"{units},{rest:02d}" if rest else str(units)


PROFILE_NAMES = {"presentation": "presentation", "trades": "metiers", "skills": "competences",
                 "place": "commune", "place.commune": "commune",
                 "place.commune_code": "commune", "place.latitude": "latitude",
                 "place.longitude": "longitude", "place.travel_radius_km": "rayon",
                 "day_rate": "tarif_min", "day_rate.min_cents": "tarif_min",
                 "day_rate.max_cents": "tarif_max", "availability": "disponibilites"}
SKILL_NAMES = {"label": "libelle", "concept_uri": "libelle", "level": "niveau",
               "years": "annees"}
PERIOD_NAMES = {"starts_on": "debut", "ends_on": "fin", "days_per_week": "jours"}


def _profile_name(lines: list[int], periods: list[int]) -> Callable[[str], str | None]:
    """A service's field of the profile -> the form's name (the N-th skill sent is the
    form's line ``lines[N]``)."""
    def name_of(service_field: str) -> str | None:
        if service_field in PROFILE_NAMES:
            return PROFILE_NAMES[service_field]
        parts = service_field.split(".")
        if parts[0] == "trades":
            return "metiers"
        if parts[0] in ("skills", "availability") and len(parts) >= 2 and parts[1].isdigit():
            sent = int(parts[1])
            numbers, prefix, names = ((lines, "competence", SKILL_NAMES) if parts[0] == "skills"
                                      else (periods, "dispo", PERIOD_NAMES))
            line = numbers[sent] if sent < len(numbers) else sent
            what = names.get(parts[2] if len(parts) > 2 else "", next(iter(names.values())))
            return f"{prefix}-{line}-{what}"
        return None
    return name_of


def read_profile(form: dict, current: dict | None) -> tuple[dict, list[int], list[int]]:
    """The profile to write from the form (languages and references kept as they are):
    (body, the skill lines sent, the period lines sent); ``FieldErrors`` for what the
    portal cannot read."""
    r = _Reader(form)
    skills, lines = [], rows(form, "competence", ("libelle", "niveau", "annees"))
    for n in lines:
        label = r.text(f"competence-{n}-libelle")
        level = r.integer(f"competence-{n}-niveau", "niveau")
        years = r.integer(f"competence-{n}-annees", "annees", default=0)
        if not label:
            r.refuse(f"competence-{n}-libelle", "libelle", "name the skill")
        if level is None and f"competence-{n}-niveau" not in r.errors.fields:
            r.refuse(f"competence-{n}-niveau", "niveau", "choose a level")
        skills.append({"label": label, "level": level, "years": years})
    commune, code, latitude, longitude = r.place()
    radius = r.integer("rayon", "rayon", default=0)
    place = None
    if commune or latitude or longitude:
        if not commune:
            r.refuse("commune", "commune", "name the commune")
        place = {"commune": commune, "commune_code": code, "latitude": latitude,
                 "longitude": longitude, "travel_radius_km": radius}
    elif r.text("rayon"):
        r.refuse("commune", "commune", "name the commune")
    low, high = r.euros("tarif_min"), r.euros("tarif_max")
    day_rate = None
    if low is not None or high is not None:
        day_rate = {"min_cents": low if low is not None else high,
                    "max_cents": high if high is not None else low}
    availability, periods = [], rows(form, "dispo", ("debut", "fin"))
    for n in periods:
        starts, ends = r.day(f"dispo-{n}-debut", "debut"), r.day(f"dispo-{n}-fin", "fin")
        days = r.integer(f"dispo-{n}-jours", "jours", default=5)
        for name, value in ((f"dispo-{n}-debut", starts), (f"dispo-{n}-fin", ends)):
            if value is None and name not in r.errors.fields:
                r.refuse(name, kind_of(name), "a date")
        availability.append({"starts_on": starts, "ends_on": ends, "days_per_week": days})
    if r.errors.fields:
        raise r.errors
    current = current or {}
    body = {"presentation": r.text("presentation") or None, "skills": skills,
            "trades": [t.strip() for t in str(form.get("metiers") or "").splitlines()
                       if t.strip()],
            "languages": current.get("languages") or [],
            "place": place, "day_rate": day_rate, "availability": availability,
            "references": [{k: v for k, v in ref.items() if v is not None}
                           for ref in current.get("references") or []]}
    return body, lines, periods


PROFILE_RULES = {"skill.duplicate": "competences", "day_rate.order": "tarif_max",
                 "amount.out_of_range": "tarif_max", "place.travel_radius_km": "rayon",
                 "concept.unknown": "competences"}


def save_profile(gateway: MatchingGateway, viewer: Viewer, member_id: str, form: dict,
                 current: dict | None, idempotency_key: str) -> dict:
    """Write the viewer's profile from the form (whole: each list replaces the last)."""
    coop = _own_profile(viewer, member_id)
    body, lines, periods = read_profile(form, current)
    return _write(lambda: gateway.put_profile(coop, member_id, body, idempotency_key),
                  _profile_name(lines, periods), PROFILE_RULES)


def save_consents(gateway: MatchingGateway, viewer: Viewer, member_id: str,
                  shared: set[str], idempotency_key: str) -> dict:
    """Show to the network's other cooperatives the fields in ``shared``, hide the others."""
    coop = _own_profile(viewer, member_id)
    body = {f: f in shared for f in FIELDS}
    return _write(lambda: gateway.put_consent(coop, member_id, body, idempotency_key),
                  lambda name: "partage", {"consent.no_profile": "partage"})


# -- the entrepreneur: the directory -----------------------------------------------------------

def _member_of(viewer: Viewer) -> str:
    if not viewer.cooperative_id or not (viewer.is_entrepreneur or viewer.is_staff):
        raise NotAMember(viewer.subject)
    return viewer.cooperative_id


@dataclass(frozen=True)
class Search:
    asked: bool
    hits: list[dict] = field(default_factory=list)
    next_cursor: str | None = None


DIRECTORY_NAMES = {"q": "q", "text": "q", "latitude": "commune", "longitude": "commune",
                   "radius_km": "rayon", "scope": "portee", "cursor": "q"}


def search_directory(gateway: MatchingGateway, viewer: Viewer, form: dict) -> Search:
    """The profiles found by a skill or trade (``q``), around a commune (``commune``,
    ``rayon`` km), in the cooperative or the network (``portee``)."""
    coop = _member_of(viewer)
    r = _Reader(form)
    text = r.text("q")
    scope = "network" if r.text("portee") == "reseau" else "cooperative"
    criteria: dict[str, Any] = {"scope": scope, "limit": 50}
    if text:
        criteria["q"] = text
    commune = r.text("commune")
    if commune:
        known = known_place(commune)
        radius = r.integer("rayon", "rayon", default=30)
        if known is None:
            r.refuse("commune", "commune_unknown", "unknown commune")
        else:
            criteria.update(latitude=known[2], longitude=known[3], radius_km=radius,
                            place_label=known[0])
    if r.errors.fields:
        raise r.errors
    if not text and not commune and not form.get("portee"):
        return Search(False)
    try:
        page = gateway.directory(coop, **criteria)
    except ServiceError as error:
        if error.status == 422:
            raise refused(error, lambda n: DIRECTORY_NAMES.get(n.split(".")[0]),
                          {"search.text": "q", "search.place": "rayon",
                           "search.radius": "rayon"}) from error
        raise
    return Search(True, page["items"], page.get("next_cursor"))


def card(gateway: MatchingGateway, viewer: Viewer, member_id: str) -> dict:
    """A person's profile as the viewer's cooperative may see it (404 otherwise)."""
    coop = _member_of(viewer)
    return gateway.directory_profile(coop, member_id)


def suggest_skills(gateway: MatchingGateway, viewer: Viewer, text: str) -> list[str]:
    """The skills of the taxonomy (ESCO, in French) whose labels start like ``text``: an
    autocomplete for the skill fields (a label chosen there is mapped to its concept)."""
    _member_of(viewer)
    text = text.strip()
    if len(text) < 2:
        return []
    labels: list[str] = []
    for concept in gateway.concepts(text[:200], "skill", 10):
        if concept["label"] not in labels:
            labels.append(concept["label"])
    return labels


# -- the entrepreneur: calls for tenders and the teams proposed --------------------------------

@dataclass(frozen=True)
class CallsPage:
    calls: list[dict]
    proposals: list[dict]  # those naming the viewer, waiting for their answer first


def _waiting(proposal: dict) -> bool:
    return proposal.get("status") == "proposed" and proposal.get("answer") == "pending"


def calls_page(gateway: MatchingGateway, viewer: Viewer) -> CallsPage:
    """The cooperative's calls open to answers (drafts are the staff's), newest first, and
    the proposals made to the viewer."""
    coop = _own_profile(viewer, viewer.subject)

    got = gateway.gather({"calls": lambda: gateway.calls(coop),
                          "mine": lambda: calls_page_proposals(gateway, coop, viewer.subject)})
    listed = [c for c in got["calls"] if c["status"] != "draft"]
    proposals = sorted(got["mine"], key=lambda p: (not _waiting(p), p.get("starts_on") or ""))
    return CallsPage(listed, proposals)


@dataclass(frozen=True)
class CallPage:
    call: dict
    proposals: list[dict]  # the viewer's, for this call
    own: bool = True


def call_page(gateway: MatchingGateway, viewer: Viewer, call_id: str) -> CallPage:
    coop = _own_profile(viewer, viewer.subject)
    got = gateway.gather({"call": lambda: gateway.call(coop, call_id),
                          "mine": lambda: calls_page_proposals(gateway, coop, viewer.subject)})
    if got["call"]["status"] == "draft":
        raise NotAMember(viewer.subject)
    return CallPage(got["call"], [p for p in got["mine"] if p["call_id"] == call_id])


def calls_page_proposals(gateway: MatchingGateway, coop: str, member_id: str) -> list[dict]:
    """The proposals naming the member (none when matching does not know them yet)."""
    try:
        return gateway.member_proposals(coop, member_id, "all")
    except ServiceError as error:
        if error.status == 404:
            return []
        raise


def answer(gateway: MatchingGateway, viewer: Viewer, proposal_id: str, accept: bool,
           idempotency_key: str) -> dict:
    """The viewer accepts or declines taking part in a proposed team."""
    coop = _own_profile(viewer, viewer.subject)
    return _write(lambda: gateway.answer_proposal(coop, viewer.subject, proposal_id, accept,
                                                  idempotency_key),
                  lambda name: "reponse", {"proposal.unknown": "reponse"})


# -- the support staff: calls for tenders ------------------------------------------------------

def staff_calls(gateway: MatchingGateway, viewer: Viewer, coop: str) -> list[dict]:
    own_cooperative(viewer, coop)
    return gateway.calls(coop)


CALL_NAMES = {"title": "titre", "description": "description", "buyer": "acheteur",
              "commune": "commune", "latitude": "latitude", "longitude": "longitude",
              "starts_on": "debut", "ends_on": "fin", "deadline": "date_limite",
              "budget_cents": "budget", "certifications": "exigences", "objective": "objectif",
              "scope": "portee", "requirements": "exigences"}
REQUIREMENT_NAMES = {"code": "competence", "label": "competence", "concept_uri": "competence",
                     "min_level": "niveau", "people": "personnes", "certifications": "competence"}
CALL_RULES = {"call.title": "titre", "call.place": "commune", "call.requirements": "exigences",
              "requirement.duplicate": "exigences", "period.order": "fin",
              "call.deadline_passed": "date_limite", "call.not_draft": "statut",
              "call.closed": "statut", "call.not_open": "statut",
              "proposal.alternatives": "statut", "proposal.time_limit": "statut"}


def _call_name(lines: list[int]) -> Callable[[str], str | None]:
    def name_of(service_field: str) -> str | None:
        parts = service_field.split(".")
        if parts[0] == "requirements" and len(parts) >= 2 and parts[1].isdigit():
            sent = int(parts[1])
            line = lines[sent] if sent < len(lines) else sent
            return f"exigence-{line}-{REQUIREMENT_NAMES.get(parts[2] if len(parts) > 2 else '', 'competence')}"
        return CALL_NAMES.get(parts[0])
    return name_of


def read_call(form: dict) -> tuple[dict, list[int]]:
    """A call for tenders from the form: (body, the requirement lines sent)."""
    r = _Reader(form)
    title = r.text("titre")
    if not title:
        r.refuse("titre", "titre", "required")
    commune, _code, latitude, longitude = r.place()
    starts, ends = r.day("debut", "debut"), r.day("fin", "fin")
    for name, value in (("debut", starts), ("fin", ends)):
        if value is None and name not in r.errors.fields:
            r.refuse(name, "required", "required")
    requirements, lines = [], rows(form, "exigence", ("competence",))
    for n in lines:
        level = r.integer(f"exigence-{n}-niveau", "niveau", default=1)
        people = r.integer(f"exigence-{n}-personnes", "personnes", default=1)
        requirements.append({"code": f"E{n + 1}", "label": r.text(f"exigence-{n}-competence"),
                             "min_level": level, "people": people})
    if not requirements:
        r.refuse("exigences", "exigences", "at least one skill")
    body = {"title": title, "description": r.text("description") or None,
            "buyer": r.text("acheteur") or None, "commune": commune,
            "latitude": float(latitude) if latitude is not None else None,
            "longitude": float(longitude) if longitude is not None else None,
            "starts_on": starts, "ends_on": ends, "deadline": r.day("date_limite", "date"),
            "budget_cents": r.euros("budget"),
            "scope": "network" if r.text("portee") == "reseau" else "cooperative",
            "objective": "cheapest" if r.text("objectif") == "moins-cher" else "smallest",
            "requirements": requirements}
    if r.errors.fields:
        raise r.errors
    return body, lines


def create_call(gateway: MatchingGateway, viewer: Viewer, coop: str, form: dict,
                idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    body, lines = read_call(form)
    return _write(lambda: gateway.create_call(coop, body, idempotency_key), _call_name(lines),
                  CALL_RULES)


@dataclass(frozen=True)
class StaffCall:
    call: dict
    proposals: list[dict]  # the latest first, then by rank

    @property
    def labels(self) -> dict[str, str]:
        return {r["code"]: r["label"] for r in self.call["requirements"]}


def staff_call(gateway: MatchingGateway, viewer: Viewer, coop: str, call_id: str) -> StaffCall:
    own_cooperative(viewer, coop)
    got = gateway.gather({"call": lambda: gateway.call(coop, call_id),
                          "proposals": lambda: gateway.proposals(coop, call_id)})
    return StaffCall(got["call"], got["proposals"])


def publish_call(gateway: MatchingGateway, viewer: Viewer, coop: str, call_id: str,
                 idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    return _write(lambda: gateway.publish_call(coop, call_id, idempotency_key),
                  lambda name: CALL_NAMES.get(name), CALL_RULES)


def close_call(gateway: MatchingGateway, viewer: Viewer, coop: str, call_id: str,
               idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    return _write(lambda: gateway.close_call(coop, call_id, idempotency_key),
                  lambda name: "statut", CALL_RULES)


@dataclass(frozen=True)
class Proposed:
    teams: int
    uncovered: list[str]  # the labels of the skills nobody available holds
    excluded: int


def propose_team(gateway: MatchingGateway, viewer: Viewer, coop: str, call_id: str,
                 idempotency_key: str) -> Proposed:
    """Ask the matching for the best teams (at most 3, 5 seconds a solve)."""
    own_cooperative(viewer, coop)
    found = _write(lambda: gateway.propose_teams(coop, call_id, {
        "alternatives": 3, "time_limit_seconds": 5}, idempotency_key),
        lambda name: "statut", CALL_RULES)
    return Proposed(len(found["proposals"]), [u["label"] for u in found["uncovered"]],
                    len(found["excluded"]))


# -- the support staff: professional groups -----------------------------------------------------

def groups(gateway: MatchingGateway, viewer: Viewer, coop: str) -> list[dict]:
    own_cooperative(viewer, coop)
    return sorted(gateway.groups(coop), key=lambda g: g["name"].casefold())


GROUP_NAMES = {"name": "nom", "topic": "theme", "description": "description"}
GROUP_RULES = {"group.name_taken": "nom", "group.name": "nom", "group.topic": "theme",
               "group.description": "description"}


def create_group(gateway: MatchingGateway, viewer: Viewer, coop: str, form: dict,
                 idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    r = _Reader(form)
    for name in ("nom", "theme"):
        if not r.text(name):
            r.refuse(name, "required", "required")
    if r.errors.fields:
        raise r.errors
    body = {"name": r.text("nom"), "topic": r.text("theme"),
            "description": r.text("description") or None}
    return _write(lambda: gateway.create_group(coop, body, idempotency_key),
                  lambda name: GROUP_NAMES.get(name), GROUP_RULES)


@dataclass(frozen=True)
class GroupPage:
    group: dict
    others: list[dict]  # the cooperative's members not in it (not gone), by name


def group_page(gateway: MatchingGateway, viewer: Viewer, coop: str, group_id: str) -> GroupPage:
    own_cooperative(viewer, coop)
    got = gateway.gather({"group": lambda: gateway.group(coop, group_id),
                          "members": lambda: gateway.members(coop)})
    inside = {m["member_id"] for m in got["group"]["members"]}
    others = sorted((m for m in got["members"] if m["id"] not in inside and not m.get("left_on")),
                    key=lambda m: (m["last_name"].casefold(), m["first_name"].casefold()))
    return GroupPage(got["group"], others)


def add_to_group(gateway: MatchingGateway, viewer: Viewer, coop: str, group_id: str,
                 member_id: str, idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    if not member_id:
        raise FieldErrors({"membre": ["choose a member"]}, {"membre": "form.membre"})
    return _write(lambda: gateway.add_group_member(coop, group_id, member_id, idempotency_key),
                  lambda name: "membre", {"member.unknown": "membre"})


def remove_from_group(gateway: MatchingGateway, viewer: Viewer, coop: str, group_id: str,
                      member_id: str, idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    return _write(lambda: gateway.remove_group_member(coop, group_id, member_id,
                                                      idempotency_key),
                  lambda name: "membre", {"group.not_member": "membre"})
