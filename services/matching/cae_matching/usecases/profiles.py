"""Profiles: the read model of members, what an entrepreneur writes of their work, and
which fields the network sees.

Members' events feed ``cooperatives``, ``people`` and ``activities``. A member who
leaves disappears from every search when their ``member_left`` event arrives (their
search documents are deleted; every read also filters on ``people.left_on``); their
profile, skills, availability, absences, consent history and group memberships are
erased ``retention_days`` after their leaving date (90 by default, a cooperative
setting from 0 to 3,650), by ``erase_expired`` (the service's daily timer, or
``cae matching erase-expired``); their id stays, with no name, in the teams they were in.

Decisions:
- The entrepreneur writes their own profile and consents (``put_profile``,
  ``change_consent``): nobody else, staff included, gives consent for them.
- A profile is written whole (PUT): each list replaces the previous one; the event
  ``profile_updated`` names the fields whose content changed (none changed: no event).
- A skill names an ESCO concept (``concept_uri``, which must be in the taxonomy) or only
  a label: a label equal (by stems) to a skill concept's preferred or alternative label is
  mapped to it; otherwise it stays a free-text skill.
- A new profile shares nothing with the network; each consent change is dated and kept
  (``consent_changes``), and only a change publishes ``consent_changed``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cae_matching.adapters.store import (
    Absence,
    Activity,
    ActivityMember,
    Availability,
    ConsentChange,
    Cooperative,
    GroupMember,
    Person,
    Profile,
    ProfileSkill,
)
from cae_matching.domain.profiles import (
    FIELDS,
    LEVELS,
    MAX_RADIUS_KM,
    MAX_YEARS,
    check_consent,
    check_period,
)
from cae_matching.usecases import search, taxonomy
from caekit import outbox
from caekit.bounds import check_cents, check_day
from caekit.rules import RuleViolation, UnknownRecord

MAX_RETENTION_DAYS = 3650
DEFAULT_RETENTION_DAYS = 90
MAX_DAY_RATE_CENTS = 10_000_000  # 100,000 EUR a day: beyond it, a typing error


# -- members' events --------------------------------------------------------------------
def register_cooperative(session: Session, cooperative_id: str, name: str) -> None:
    row = session.get(Cooperative, cooperative_id)
    if row is None:
        session.add(Cooperative(cooperative_id=cooperative_id, name=name,
                                retention_days=DEFAULT_RETENTION_DAYS))
    else:
        row.name = name


def person_joined(session: Session, cooperative_id: str, member_id: str, first_name: str,
                  last_name: str, joined_on: date) -> None:
    person = session.get(Person, member_id)
    if person is None:
        session.add(Person(cooperative_id=cooperative_id, member_id=member_id,
                           first_name=first_name, last_name=last_name, joined_on=joined_on))
        return
    person.first_name, person.last_name, person.joined_on = first_name, last_name, joined_on


def person_left(session: Session, cooperative_id: str, member_id: str, left_on: date) -> None:
    """Out of every search at once; erased after the retention delay (``erase_expired``)."""
    person = session.get(Person, member_id)
    if person is None:  # left before we heard they joined: remember the departure
        person = Person(cooperative_id=cooperative_id, member_id=member_id, first_name="",
                        last_name="", joined_on=left_on)
        session.add(person)
    person.left_on = left_on
    search.unindex(session, member_id)


def activity_opened(session: Session, cooperative_id: str, activity_id: str, code: str,
                    name: str, opened_on: date, member_ids: list[str]) -> None:
    row = session.get(Activity, activity_id)
    if row is None:
        session.add(Activity(cooperative_id=cooperative_id, activity_id=activity_id, code=code,
                             name=name, opened_on=opened_on))
    for member_id in member_ids:
        if session.get(ActivityMember, (activity_id, member_id)) is None:
            session.add(ActivityMember(cooperative_id=cooperative_id, activity_id=activity_id,
                                       member_id=member_id))


def activity_closed(session: Session, cooperative_id: str, activity_id: str,
                    closed_on: date) -> None:
    row = session.get(Activity, activity_id)
    if row is not None:
        row.closed_on = closed_on


# -- settings -----------------------------------------------------------------------------
def cooperative(session: Session, cooperative_id: str) -> Cooperative:
    row = session.get(Cooperative, cooperative_id)
    if row is None:
        raise UnknownRecord("cooperative.unknown", "no such cooperative known to matching "
                            "(members registers it)", ("cooperative_id",))
    return row


def settings(session: Session, cooperative_id: str) -> dict:
    return {"cooperative_id": cooperative_id,
            "retention_days": cooperative(session, cooperative_id).retention_days}


def put_settings(session: Session, cooperative_id: str, retention_days: int) -> dict:
    if not 0 <= retention_days <= MAX_RETENTION_DAYS:
        raise RuleViolation("settings.retention_days", f"from 0 to {MAX_RETENTION_DAYS} days",
                            ["retention_days"])
    cooperative(session, cooperative_id).retention_days = retention_days
    return settings(session, cooperative_id)


# -- the profile --------------------------------------------------------------------------
@dataclass
class SkillIn:
    level: int
    concept_uri: str | None = None
    label: str | None = None
    years: int = 0


@dataclass
class ProfileIn:
    presentation: str | None = None
    skills: list[SkillIn] = field(default_factory=list)
    trades: list[str] = field(default_factory=list)
    languages: list[dict] = field(default_factory=list)  # {code, level}
    place: dict | None = None  # {commune, commune_code, latitude, longitude, travel_radius_km}
    day_rate: dict | None = None  # {min_cents, max_cents}
    availability: list[dict] = field(default_factory=list)  # {starts_on, ends_on, days_per_week}
    references: list[dict] = field(default_factory=list)  # {title, client, year, description}


def member(session: Session, cooperative_id: str, member_id: str) -> Person:
    """A member of this cooperative who has not left (else 404: unknown to the caller)."""
    person = session.get(Person, member_id)
    if person is None or person.cooperative_id != cooperative_id or person.left_on is not None:
        raise UnknownRecord("member.unknown", "no such member in this cooperative",
                            ("member_id",))
    return person


def get_profile(session: Session, cooperative_id: str, member_id: str,
                viewer_cooperative_id: str) -> dict:
    """The profile as the viewer's cooperative may see it (404 when it may not see it)."""
    found = search.views(session, [member_id], viewer_cooperative_id).get(member_id)
    if not found or found.get("cooperative_id") != cooperative_id:
        raise UnknownRecord("member.unknown", "no such profile visible to your cooperative",
                            ("member_id",))
    return found


def put_profile(session: Session, cooperative_id: str, member_id: str, data: ProfileIn,
                now: datetime) -> dict:
    member(session, cooperative_id, member_id)
    _check(data)
    skills = [_resolve(session, n, skill) for n, skill in enumerate(data.skills)]
    profile = session.get(Profile, member_id)
    before = (_snapshot(get_profile(session, cooperative_id, member_id, cooperative_id))
              if profile is not None else None)
    if profile is None:
        profile = Profile(cooperative_id=cooperative_id, member_id=member_id)
        session.add(profile)
        for name in FIELDS:
            setattr(profile, f"share_{name}", False)
    profile.presentation = (data.presentation or "").strip() or None
    profile.trades = json.dumps([t.strip() for t in data.trades], ensure_ascii=False)
    profile.languages = json.dumps(data.languages, ensure_ascii=False)
    profile.references = json.dumps(data.references, ensure_ascii=False)
    place = data.place or {}
    profile.commune = place.get("commune")
    profile.commune_code = place.get("commune_code")
    profile.latitude_e6 = _e6(place.get("latitude"))
    profile.longitude_e6 = _e6(place.get("longitude"))
    profile.travel_radius_km = place.get("travel_radius_km", 0) if place else 0
    rate = data.day_rate or {}
    profile.day_rate_min_cents = rate.get("min_cents")
    profile.day_rate_max_cents = rate.get("max_cents")
    profile.updated_at = now
    session.execute(delete(ProfileSkill).where(ProfileSkill.member_id == member_id))
    session.execute(delete(Availability).where(Availability.member_id == member_id))
    session.flush()
    for position, (uri, label, skill) in enumerate(skills):
        session.add(ProfileSkill(cooperative_id=cooperative_id, member_id=member_id,
                                 position=position, concept_uri=uri, label=label,
                                 level=skill.level, years=skill.years))
    for position, period in enumerate(data.availability):
        session.add(Availability(cooperative_id=cooperative_id, member_id=member_id,
                                 position=position, starts_on=period["starts_on"],
                                 ends_on=period["ends_on"],
                                 days_per_week=period.get("days_per_week", 5)))
    session.flush()
    search.index_profile(session, member_id)
    written = get_profile(session, cooperative_id, member_id, cooperative_id)
    after = _snapshot(written)
    changed = [name for name in FIELDS if before is None or before[name] != after[name]]
    if changed:  # every field of a new profile
        outbox.publish(session, "cae.matching.profile_updated.v1", {
            "member_id": member_id, "cooperative_id": cooperative_id,
            "updated_at": now.isoformat(), "changed_fields": changed})
    return written


def _check(data: ProfileIn) -> None:
    for n, skill in enumerate(data.skills):
        if skill.level not in LEVELS:
            raise RuleViolation("skill.level", "a level from 1 (notions) to 4 (expert)",
                                [f"skills.{n}.level"])
        if not 0 <= skill.years <= MAX_YEARS:
            raise RuleViolation("skill.years", f"from 0 to {MAX_YEARS} years",
                                [f"skills.{n}.years"])
        if not skill.concept_uri and not (skill.label or "").strip():
            raise RuleViolation("skill.label", "a skill names a concept or has a label",
                                [f"skills.{n}.label"])
    keys = [(s.concept_uri or "", (s.label or "").strip().lower()) for s in data.skills]
    if len(set(keys)) != len(keys):
        raise RuleViolation("skill.duplicate", "each skill once", ["skills"])
    place = data.place
    if place:
        if not -90 <= Decimal(str(place["latitude"])) <= 90:
            raise RuleViolation("place.latitude", "from -90 to 90 degrees", ["place.latitude"])
        if not -180 <= Decimal(str(place["longitude"])) <= 180:
            raise RuleViolation("place.longitude", "from -180 to 180 degrees",
                                ["place.longitude"])
        if not 0 <= place.get("travel_radius_km", 0) <= MAX_RADIUS_KM:
            raise RuleViolation("place.travel_radius_km", f"from 0 to {MAX_RADIUS_KM} km",
                                ["place.travel_radius_km"])
    rate = data.day_rate
    if rate:
        low = check_cents(rate["min_cents"], "day_rate.min_cents", minimum=0)
        high = check_cents(rate["max_cents"], "day_rate.max_cents", minimum=0)
        if high > MAX_DAY_RATE_CENTS:
            raise RuleViolation("amount.out_of_range", "at most 10,000,000 cents a day",
                                ["day_rate.max_cents"])
        if low > high:
            raise RuleViolation("day_rate.order", "the minimum is at most the maximum",
                                ["day_rate.max_cents"])
    for n, period in enumerate(data.availability):
        check_day(period["starts_on"], f"availability.{n}.starts_on")
        check_day(period["ends_on"], f"availability.{n}.ends_on")
        check_period(period["starts_on"], period["ends_on"], f"availability.{n}.ends_on")
        if not 1 <= period.get("days_per_week", 5) <= 7:
            raise RuleViolation("availability.days_per_week", "from 1 to 7 days a week",
                                [f"availability.{n}.days_per_week"])


def _resolve(session: Session, n: int, skill: SkillIn) -> tuple[str | None, str, SkillIn]:
    """(concept URI, label, skill): a concept's label by default; a label mapped to the
    concept whose label it equals, when one does."""
    if skill.concept_uri:
        concept = taxonomy.concept(session, skill.concept_uri, field=f"skills.{n}.concept_uri")
        return skill.concept_uri, (skill.label or "").strip() or concept["label"], skill
    label = skill.label.strip()
    exact = taxonomy.lookup(session, label, kind="skill", exact_only=True, limit=1)
    return (exact[0]["uri"] if exact else None), label, skill


def _e6(value) -> int | None:
    return None if value is None else int((Decimal(str(value)) * 1_000_000).to_integral_value())


def _snapshot(view: dict) -> dict:
    """Each field's content, to tell which fields a write changed."""
    return {name: json.dumps(view.get(name), sort_keys=True, default=str) for name in FIELDS}


# -- consent ------------------------------------------------------------------------------
def consent(session: Session, cooperative_id: str, member_id: str) -> dict:
    member(session, cooperative_id, member_id)
    profile = session.get(Profile, member_id)
    current = {name: bool(profile and getattr(profile, f"share_{name}")) for name in FIELDS}
    history = session.scalars(select(ConsentChange).where(ConsentChange.member_id == member_id)
                              .order_by(ConsentChange.id.desc()).limit(200)).all()
    return {"member_id": member_id, "network": current,
            "history": [{"field": c.field, "network": c.network,
                         "changed_at": c.changed_at, "changed_by": c.changed_by}
                        for c in history]}


def change_consent(session: Session, cooperative_id: str, member_id: str,
                   changes: dict[str, bool], who: str, now: datetime) -> dict:
    """Set fields visible (true) or not (false) to the network; unchanged ones not recorded.
    Consent needs a profile: write it first."""
    member(session, cooperative_id, member_id)
    check_consent(changes)
    profile = session.get(Profile, member_id)
    if profile is None:
        raise RuleViolation("consent.no_profile", "write your profile before sharing it",
                            ["member_id"])
    done = []
    for name in FIELDS:
        if name in changes and bool(getattr(profile, f"share_{name}")) != changes[name]:
            setattr(profile, f"share_{name}", changes[name])
            session.add(ConsentChange(cooperative_id=cooperative_id, member_id=member_id,
                                      field=name, network=changes[name], changed_at=now,
                                      changed_by=who))
            done.append({"field": name, "network": changes[name]})
    if done:
        outbox.publish(session, "cae.matching.consent_changed.v1", {
            "member_id": member_id, "cooperative_id": cooperative_id,
            "changed_at": now.isoformat(), "changes": done,
            "network_fields": [n for n in FIELDS if getattr(profile, f"share_{n}")]})
    return consent(session, cooperative_id, member_id)


# -- erasure ------------------------------------------------------------------------------
def erase_expired(session: Session, today: date) -> int:
    """Erase the profiles of members who left more than their cooperative's retention
    delay ago (every cooperative: run without a tenant). Returns how many were erased."""
    rows = session.execute(
        select(Person, Cooperative.retention_days)
        .join(Cooperative, Cooperative.cooperative_id == Person.cooperative_id, isouter=True)
        .where(Person.left_on.is_not(None), Person.erased.is_(False))
        .execution_options(all_tenants=True)).all()
    erased = 0
    for person, retention in rows:
        kept = DEFAULT_RETENTION_DAYS if retention is None else retention
        if person.left_on + timedelta(days=kept) > today:
            continue
        member_id = person.member_id
        search.unindex(session, member_id)
        for model in (ProfileSkill, Availability, Absence, ConsentChange, GroupMember,
                      ActivityMember):
            session.execute(delete(model).where(model.member_id == member_id)
                            .execution_options(all_tenants=True))
        session.execute(delete(Profile).where(Profile.member_id == member_id)
                        .execution_options(all_tenants=True))
        person.first_name = person.last_name = ""
        person.erased = True
        erased += 1
    return erased
