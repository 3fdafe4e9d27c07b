"""A professional profile, who may see which of its fields, and when its owner is free.

Consent (decision, docs/domain.md "Collaboration"): a profile is visible in full to its
own cooperative while its member has not left. Another cooperative sees it only if its
member made the ``identity`` field (name and cooperative) visible to the network, and
then only the fields made visible one by one. Each search criterion reads one field
(``FIELD_OF_CRITERION``): a profile of another cooperative is found by a criterion only
when that field is visible to the network, so that a result never reveals, by being
found, what its field hides. A member who left is found by nobody, from their leaving
date's event on; their profile is erased after the cooperative's retention delay.

Levels (1 to 4, as the portal writes them): 1 notions (débutant), 2 autonome
(intermédiaire), 3 confirmé, 4 expert. Years practised: 0 to 60.

Availability: periods (start and end dates, inclusive) with a number of days a week
(1 to 7); a member is available for a window when their periods cover every day of it
and no declared absence overlaps it. Distances are great-circle distances in whole
kilometres between two places given in degrees (haversine, Earth radius 6,371 km); a
place is in reach of a member when its distance is at most the member's travel radius.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from caekit.rules import RuleViolation

FIELDS = ("identity", "presentation", "skills", "trades", "languages", "place", "day_rate",
          "availability", "references")
"""The fields a member makes visible to the network, one by one."""

FIELD_LABELS = {
    "identity": "nom et coopérative", "presentation": "présentation",
    "skills": "compétences", "trades": "métiers", "languages": "langues",
    "place": "lieu de travail", "day_rate": "tarif journalier",
    "availability": "disponibilités", "references": "références",
}

FIELD_OF_CRITERION = {"concept": "skills", "text": None, "place": "place",
                      "availability": "availability", "day_rate": "day_rate"}
"""The field each search criterion reads (free text reads each field it matches in)."""

LEVELS = {1: "notions", 2: "autonome", 3: "confirmé", 4: "expert"}
MAX_YEARS = 60
MAX_RADIUS_KM = 1000
EARTH_RADIUS_KM = 6371


def visible_fields(owner_cooperative: str, viewer_cooperative: str, left: bool,
                   network_fields: Iterable[str]) -> frozenset[str]:
    """The fields of a profile a viewer of ``viewer_cooperative`` may see (empty: not at all)."""
    if left:
        return frozenset()
    if owner_cooperative == viewer_cooperative:
        return frozenset(FIELDS)
    shared = frozenset(network_fields) & frozenset(FIELDS)
    return shared if "identity" in shared else frozenset()


def project(profile: Mapping[str, object], fields: frozenset[str]) -> dict[str, object]:
    """The profile as the viewer may see it: the keys of hidden fields removed.

    Keys that are not consent fields (``member_id``, ``cooperative_id``, ...) are kept
    only when ``identity`` is visible."""
    if "identity" not in fields:
        return {}
    return {key: value for key, value in profile.items()
            if key not in FIELDS or key in fields}


def check_consent(changes: Mapping[str, bool]) -> dict[str, bool]:
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise RuleViolation("consent.field", f"unknown field(s) {', '.join(unknown)}; the "
                            f"fields are {', '.join(FIELDS)}", {"fields": "unknown field"})
    return dict(changes)


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date
    days_per_week: int = 5

    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


def check_period(starts_on: date, ends_on: date, field: str = "ends_on") -> None:
    if ends_on < starts_on:
        raise RuleViolation("period.order", "a period ends on or after the day it starts",
                            [field])


def covered_days(periods: Iterable[Period], window: Period) -> int:
    """How many days of ``window`` the periods cover, each day once (intervals merged)."""
    spans = sorted((max(p.starts_on, window.starts_on), min(p.ends_on, window.ends_on))
                   for p in periods)
    total, end = 0, None
    for first, last in spans:
        if last < first:
            continue
        if end is not None and first <= end:
            if last > end:
                total += (last - end).days
                end = last
            continue
        total += (last - first).days + 1
        end = last
    return total


def available(periods: Iterable[Period], absences: Iterable[Period], window: Period) -> bool:
    """Free over the whole window: every day covered, no absence overlapping it."""
    if any(a.starts_on <= window.ends_on and a.ends_on >= window.starts_on for a in absences):
        return False
    return covered_days(periods, window) == window.days()


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Great-circle distance in whole kilometres (rounded half up)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return int(2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h))) + 0.5)


def bounding_box(lat: float, lon: float, radius_km: int) -> tuple[float, float, float, float]:
    """A latitude/longitude box holding every point within ``radius_km`` (for an index)."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM) + 0.01
    coslat = max(math.cos(math.radians(lat)), 0.01)
    dlon = min(180.0, math.degrees(radius_km / (EARTH_RADIUS_KM * coslat)) + 0.01)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
