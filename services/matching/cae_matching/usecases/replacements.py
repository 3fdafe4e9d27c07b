"""Absences and replacements: an entrepreneur declares an absence (illness, leave), and
who could take over their engagements is suggested.

Each public function is one operation on the session of the caller's transaction (bound
to the absent member's cooperative); the caller commits. The clock is given (``now``).

:func:`declare_absence` records the absence, then looks for the member's **engagements**:
the accepted teams (any cooperative's call, they may be in a network team) whose call's
period overlaps the absence. For each requirement the member covers in such a team, the
people who could take over, decisions:

* holding the requirement's skill at its minimum level (its concept or a narrower one;
  a free-text requirement by equal stems), as :func:`cae_matching.usecases.calls.propose`
  reads skills;
* available over the **overlap** of the absence and the call's period (availability
  periods covering it, no absence overlapping it, not in an accepted team of another
  overlapping call);
* in reach of the call's place (a remote call: everyone; a call with a place: people
  with a place within their travel radius);
* allowed to use the call's and the requirement's certification kinds (their own
  cooperative's certifications);
* **the absent member's cooperative**'s members who have not left, and members of other
  cooperatives who share ``identity``, ``skills`` and ``availability`` with the network
  (and ``place`` when the call has a place), whatever the call's scope: these are
  suggestions to the absent member and their cooperative, and a person of the call's
  cooperative who does not consent to the network is not shown to another cooperative;
* not already in that team;
* ordered: the absent member's cooperative first, then by distance (unknown last), then
  by level (highest first), then by name; at most ``per_requirement`` for each.

Without any engagement, the suggestions are by the member's own skills: for each, the
people holding it at the member's level or more, available over the absence, same
consent, no place (no distance); at most ``per_requirement`` for each skill.

The suggestions are stored on the absence (JSON, without names: names are read at each
reading under the consent of the day) and published (``replacement_suggested``, each
person once per engagement and requirement, at most 200).

Rule codes: ``date.out_of_range``, ``period.order``, ``absence.reason``,
``member.unknown`` and ``absence.unknown`` (``UnknownRecord``).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from cae_matching.adapters.store import (
    Absence,
    Call,
    CallRequirement,
    Person,
    ProfileSkill,
    Proposal,
    ProposalMember,
)
from cae_matching.usecases.calls import (
    Need,
    degrees,
    find_people,
    names_for,
    reach,
    unavailability,
)
from cae_matching.usecases.certifications import allowed_by_member
from caekit import outbox
from caekit.bounds import check_day
from caekit.rules import RuleViolation, UnknownRecord

__all__ = ["cancel_absence", "declare_absence", "get_absence", "list_absences"]

MAX_REASON = 300
PER_REQUIREMENT = 10
MAX_EVENT_SUGGESTIONS = 200


def _absence_dict(session: Session, row: Absence) -> dict:
    suggestions = json.loads(row.suggestions or "[]")
    names = names_for(session, row.cooperative_id,
                      {s["member_id"]: s["cooperative_id"] for s in suggestions})
    return {"id": row.id, "member_id": row.member_id, "cooperative_id": row.cooperative_id,
            "starts_on": row.starts_on, "ends_on": row.ends_on, "reason": row.reason,
            "declared_at": row.declared_at,
            "suggestions": [{**s, "name": names.get(s["member_id"])} for s in suggestions]}


def _order(key: tuple) -> tuple:
    """Own cooperative first, then nearest (unknown distance last), highest level, name."""
    own, distance, level, name, member_id = key
    return (not own, distance is None, distance or 0, -level, name.casefold(), member_id)


def _engagements(session: Session, member_id: str, starts_on: date, ends_on: date):
    return list(session.execute(
        select(ProposalMember, Proposal, Call)
        .join(Proposal, and_(Proposal.id == ProposalMember.proposal_id,
                             Proposal.cooperative_id == ProposalMember.cooperative_id))
        .join(Call, and_(Call.id == Proposal.call_id,
                         Call.cooperative_id == Proposal.cooperative_id))
        .where(ProposalMember.member_id == member_id, Proposal.status == "accepted",
               Call.starts_on <= ends_on, Call.ends_on >= starts_on)
        .order_by(Call.starts_on, Call.id)
        .execution_options(all_tenants=True)))


def _for_engagement(session: Session, home: str, absent: str, mine: ProposalMember,
                    proposal: Proposal, call: Call, starts_on: date, ends_on: date,
                    per_requirement: int) -> list[dict]:
    first, last = max(starts_on, call.starts_on), min(ends_on, call.ends_on)
    covers = json.loads(mine.covers)
    requirements = {r.code: r for r in session.scalars(select(CallRequirement).where(
        CallRequirement.call_id == call.id, CallRequirement.cooperative_id == call.cooperative_id)
        .execution_options(all_tenants=True))}
    needs = [Need(code, requirements[code].concept_uri, requirements[code].label,
                  requirements[code].min_level) for code in covers if code in requirements]
    if not needs:
        return []
    team = set(session.scalars(select(ProposalMember.member_id).where(
        ProposalMember.proposal_id == proposal.id,
        ProposalMember.cooperative_id == proposal.cooperative_id)
        .execution_options(all_tenants=True)))
    latitude, longitude = degrees(call.latitude_e6), degrees(call.longitude_e6)
    found = [f for f in find_people(session, home, needs, network=True,
                                    place=latitude is not None)
             if f.member_id not in team and f.member_id != absent]
    away = unavailability(session, [f.member_id for f in found], first, last,
                          except_call_id=call.id)
    allowed = allowed_by_member(session, {f.member_id: f.cooperative_id for f in found},
                                first, last)
    required = set(json.loads(call.certifications))
    suggestions: list[dict] = []
    for need in needs:
        needed = required | set(json.loads(requirements[need.key].certifications))
        ranked = []
        for person in found:
            level = person.levels.get(need.key, 0)
            if level < need.min_level or person.member_id in away:
                continue
            if not needed <= allowed.get(person.member_id, frozenset()):
                continue
            why, distance = reach(person, latitude, longitude)
            if why:
                continue
            ranked.append(((person.own, distance, level, person.name, person.member_id),
                           person, level, distance))
        ranked.sort(key=lambda item: _order(item[0]))
        for _, person, level, distance in ranked[:per_requirement]:
            suggestions.append({
                "call_id": call.id, "call_title": call.title,
                "call_cooperative_id": call.cooperative_id, "requirement": need.key,
                "label": need.label, "concept_uri": need.concept_uri,
                "member_id": person.member_id, "cooperative_id": person.cooperative_id,
                "own_cooperative": person.own, "level": level, "distance_km": distance})
    return suggestions


def _by_own_skills(session: Session, home: str, absent: str, starts_on: date, ends_on: date,
                   per_requirement: int) -> list[dict]:
    skills = list(session.scalars(select(ProfileSkill).where(
        ProfileSkill.member_id == absent, ProfileSkill.cooperative_id == home)
        .order_by(ProfileSkill.position).execution_options(all_tenants=True)))
    needs = [Need(f"skill-{s.position}", s.concept_uri, s.label, max(1, s.level))
             for s in skills]
    if not needs:
        return []
    found = [f for f in find_people(session, home, needs, network=True)
             if f.member_id != absent]
    away = unavailability(session, [f.member_id for f in found], starts_on, ends_on)
    suggestions: list[dict] = []
    for need in needs:
        ranked = []
        for person in found:
            level = person.levels.get(need.key, 0)
            if level < need.min_level or person.member_id in away:
                continue
            ranked.append(((person.own, None, level, person.name, person.member_id),
                           person, level))
        ranked.sort(key=lambda item: _order(item[0]))
        for _, person, level in ranked[:per_requirement]:
            suggestions.append({
                "call_id": None, "call_title": None, "call_cooperative_id": None,
                "requirement": None, "label": need.label, "concept_uri": need.concept_uri,
                "member_id": person.member_id, "cooperative_id": person.cooperative_id,
                "own_cooperative": person.own, "level": level, "distance_km": None})
    return suggestions


def declare_absence(session: Session, member_id: str, starts_on: date, ends_on: date,
                    reason: str | None, now: datetime, *,
                    per_requirement: int = PER_REQUIREMENT) -> dict:
    """Record ``member_id``'s absence and suggest who could take over. Returns the
    absence (as :func:`get_absence`) with ``engagements``: ``[{call_id, cooperative_id,
    title, starts_on, ends_on, covers}]``; each suggestion is ``{call_id, call_title,
    call_cooperative_id, requirement, label, concept_uri, member_id, cooperative_id,
    name, own_cooperative, level, distance_km}`` (call and requirement None when
    suggested by the member's own skills)."""
    member_id = str(member_id)
    person = session.scalars(select(Person).where(Person.member_id == member_id)).first()
    if person is None or person.left_on is not None or person.erased:
        raise UnknownRecord("member.unknown", "no such member in this cooperative",
                            ("member_id",))
    check_day(starts_on, "starts_on")
    check_day(ends_on, "ends_on")
    if ends_on < starts_on:
        raise RuleViolation("period.order", "an absence ends on or after the day it starts",
                            ("ends_on",))
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise RuleViolation("absence.reason", f"a reason is a text of at most {MAX_REASON} "
                            "characters", ("reason",))
    home = person.cooperative_id
    absence = Absence(id=str(uuid.uuid4()), cooperative_id=home, member_id=member_id,
                      starts_on=starts_on, ends_on=ends_on,
                      reason=(reason or "").strip() or None, declared_at=now,
                      suggestions="[]")
    session.add(absence)
    session.flush()  # the absence counts from now on (the absent member is nobody's pick)

    engagements = _engagements(session, member_id, starts_on, ends_on)
    suggestions: list[dict] = []
    for mine, proposal, call in engagements:
        suggestions += _for_engagement(session, home, member_id, mine, proposal, call,
                                       starts_on, ends_on, per_requirement)
    if not engagements:
        suggestions = _by_own_skills(session, home, member_id, starts_on, ends_on,
                                     per_requirement)
    absence.suggestions = json.dumps(suggestions)

    published, seen = [], set()
    for s in suggestions:
        key = (s["member_id"], s["call_id"], s["requirement"])
        if key in seen:
            continue
        seen.add(key)
        published.append({"member_id": s["member_id"], "cooperative_id": s["cooperative_id"],
                          "call_id": s["call_id"], "requirement": s["requirement"],
                          "distance_km": s["distance_km"]})
    outbox.publish(session, "cae.matching.replacement_suggested.v1", {
        "absence_id": absence.id, "member_id": member_id, "cooperative_id": home,
        "starts_on": starts_on, "ends_on": ends_on,
        "suggestions": published[:MAX_EVENT_SUGGESTIONS]}, tenant_id=home)
    session.flush()
    return {**_absence_dict(session, absence),
            "engagements": [{"call_id": call.id, "cooperative_id": call.cooperative_id,
                             "title": call.title, "starts_on": call.starts_on,
                             "ends_on": call.ends_on, "covers": json.loads(mine.covers)}
                            for mine, _proposal, call in engagements]}


def _find(session: Session, absence_id: str, member_id: str | None) -> Absence:
    query = select(Absence).where(Absence.id == str(absence_id))
    if member_id is not None:
        query = query.where(Absence.member_id == str(member_id))
    row = session.scalars(query).first()
    if row is None:
        raise UnknownRecord("absence.unknown", "no such absence", ("absence_id",))
    return row


def get_absence(session: Session, absence_id: str, member_id: str | None = None) -> dict:
    """``{id, member_id, cooperative_id, starts_on, ends_on, reason, declared_at,
    suggestions}`` (of ``member_id`` when given)."""
    return _absence_dict(session, _find(session, absence_id, member_id))


def list_absences(session: Session, member_id: str) -> list[dict]:
    """The member's absences, the latest first."""
    rows = session.scalars(select(Absence).where(Absence.member_id == str(member_id))
                           .order_by(Absence.starts_on.desc(), Absence.id))
    return [_absence_dict(session, row) for row in rows]


def cancel_absence(session: Session, absence_id: str, member_id: str | None = None) -> None:
    """Withdraw an absence (of ``member_id`` when given): its row is deleted, the member
    is available again; suggestions already published stay published."""
    session.delete(_find(session, absence_id, member_id))
    session.flush()
