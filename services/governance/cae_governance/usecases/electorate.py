"""The read model of members (cooperatives, people, associates) and each cooperative's
statute profile and settings.

Members' events feed ``cooperatives`` and ``people``; a cooperative's profile is the one
its ``statute_profile`` names (derived from its legal form when members sends none),
with the cooperative's own overrides and, for a SCIC, its voting colleges.
"""

from __future__ import annotations

import json
from datetime import date
from fractions import Fraction

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cae_governance.adapters.store import Cooperative, Person
from cae_governance.domain.electorate import Associate
from cae_governance.domain.profiles import (
    SCIC,
    SCOP_SA,
    SCOP_SARL,
    College,
    Overrides,
    StatuteProfile,
)
from caekit.rules import RuleViolation, UnknownRecord

PROFILES = {"scop-sarl": SCOP_SARL, "scop-sa": SCOP_SA, "scic": SCIC}
_BY_FORM = {"SCOP-SARL": "scop-sarl", "SCOP-SA": "scop-sa", "SCIC-SAS": "scic", "SCIC-SA": "scic"}
DEFAULT_SETTINGS = {"overrides": {}, "colleges": [], "non_associates_attend": False,
                    "head_office": None}


# -- members' events --------------------------------------------------------------------
def register_cooperative(session: Session, cooperative: str, name: str, siren: str | None,
                         legal_form: str | None, statute_profile: str | None) -> None:
    row = session.get(Cooperative, cooperative)
    if row is None:
        row = Cooperative(cooperative_id=cooperative, settings=json.dumps(DEFAULT_SETTINGS))
        session.add(row)
    row.name, row.siren, row.legal_form = name, siren, legal_form
    row.statute_profile = statute_profile


def person_joined(session: Session, cooperative: str, member: str, first_name: str,
                  last_name: str, joined_on: date) -> None:
    person = _person(session, cooperative, member)
    person.first_name, person.last_name, person.joined_on = first_name, last_name, joined_on


def became_associate(session: Session, cooperative: str, member: str, on: date) -> None:
    _person(session, cooperative, member).associate_on = on


def person_left(session: Session, cooperative: str, member: str, on: date) -> None:
    _person(session, cooperative, member).left_on = on


def _person(session: Session, cooperative: str, member: str) -> Person:
    """The person's row, made on the first event about them (events may come in any order)."""
    person = session.get(Person, (cooperative, member))
    if person is None:
        person = Person(cooperative_id=cooperative, member_id=member)
        session.add(person)
        session.flush()
    return person


# -- reading ------------------------------------------------------------------------------
def cooperative(session: Session, cooperative_id: str) -> Cooperative:
    row = session.get(Cooperative, cooperative_id)
    if row is None:
        raise UnknownRecord("cooperative.unknown",
                            "no such cooperative known to governance (members registers it)",
                            ("cooperative_id",))
    return row


def person_name(person: Person | None, member: str) -> str:
    if person is None or not (person.first_name or person.last_name):
        return member
    return f"{person.first_name or ''} {person.last_name or ''}".strip()


def associates(session: Session, on: date) -> list[Person]:
    """The people who are associates on ``on``, by name."""
    return list(session.scalars(
        select(Person).where(Person.associate_on.is_not(None), Person.associate_on <= on,
                             or_(Person.left_on.is_(None), Person.left_on > on))
        .order_by(Person.last_name, Person.first_name, Person.member_id)))


def associate_periods(people: list[Person]) -> list[Associate]:
    return [Associate(p.member_id, p.associate_on, p.left_on if p.left_on and
                      p.left_on > p.associate_on else None, p.college) for p in people]


def is_associate(session: Session, cooperative_id: str, member: str, on: date) -> bool:
    person = session.get(Person, (cooperative_id, member))
    return bool(person and person.associate_on and person.associate_on <= on
                and (person.left_on is None or person.left_on > on))


# -- profile and settings ----------------------------------------------------------------
def profile_code(row: Cooperative) -> str:
    return row.statute_profile or _BY_FORM.get(row.legal_form or "", "scop-sarl")


def settings_of(row: Cooperative) -> dict:
    return {**DEFAULT_SETTINGS, **json.loads(row.settings or "{}")}


def build_profile(code: str, settings: dict) -> StatuteProfile:
    """The profile ``code`` with the cooperative's ``settings`` (``profile.*``,
    ``college.*`` refusals)."""
    profile = PROFILES[code].with_overrides(Overrides(**settings["overrides"]))
    if settings["colleges"]:
        profile = profile.with_colleges(
            College(c["code"], Fraction(c["weight"])) for c in settings["colleges"])
    return profile


def change_settings(session: Session, cooperative_id: str, overrides: dict, colleges: list[dict],
                    non_associates_attend: bool, head_office: str | None) -> dict:
    """The cooperative's settings over its profile, checked against it; the people whose
    college is no longer one of the colleges keep it until set again (an assembly then
    refuses to fix its electorate: ``electorate.unknown_college``)."""
    row = cooperative(session, cooperative_id)
    settings = {"overrides": {k: v for k, v in overrides.items() if v is not None},
                "colleges": [{"code": c["code"], "weight": str(Fraction(c["weight"]))}
                             for c in colleges],
                "non_associates_attend": non_associates_attend, "head_office": head_office}
    build_profile(profile_code(row), settings)
    row.settings = json.dumps(settings)
    return settings


def set_college(session: Session, cooperative_id: str, member: str, college: str | None) -> Person:
    row = cooperative(session, cooperative_id)
    codes = {c["code"] for c in settings_of(row)["colleges"]}
    if college is not None and college not in codes:
        raise RuleViolation("college.unknown", f"{college!r} is not one of the cooperative's "
                            f"colleges ({', '.join(sorted(codes)) or 'none'})", ("college",))
    person = session.get(Person, (cooperative_id, member))
    if person is None:
        raise UnknownRecord("member.unknown", "no such member in this cooperative",
                            ("member_id",))
    person.college = college
    return person
