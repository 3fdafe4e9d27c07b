"""The certifications a cooperative holds and shares with its activities (Qualiopi, RGE...).

Each public function is one operation on the session of the caller's transaction (a
session bound to the cooperative by ``caekit.db.acting_session`` or a request): it checks
the input, writes the rows and raises a ``caekit.rules.RuleViolation`` (or its
``UnknownRecord`` / ``ConflictingState``) when a rule refuses; the caller commits.

A certification has a **kind**, a lower-case code from :data:`KINDS` (the kinds a call
may require): ``qualiopi`` (training funded by public money), ``rge`` (energy
renovation, "reconnu garant de l'environnement"), ``qualibat`` (building trades),
``qualifelec`` (electrical work), ``opqibi`` (engineering), ``opqtecc`` (building
economists), ``iso_9001`` (quality management) and ``other``; a name, a scope (free text:
what it covers), its number, its validity (``valid_from`` <= ``valid_until``, both days
included), and who may use it: every activity of the cooperative (``all_activities``) or
the activities listed (of this cooperative; none listed: nobody yet).

Decisions:

* A member **uses** a certification through an activity of theirs: the certification is
  valid over the whole period (``valid_from <= starts_on`` and ``ends_on <=
  valid_until``), and one of the member's activities is open over the whole period
  (opened on or before ``starts_on``, not closed before ``ends_on``) and is listed, or
  the certification is for all activities. A member without an open activity uses none.
* A member uses only **their own cooperative's** certifications: a member of another
  cooperative of the network answering a call keeps their own (:func:`allowed_kinds`
  is given the member's cooperative; the queries read across cooperatives with
  ``all_tenants`` and filter on that cooperative themselves).
* An expired certification (or one not yet valid) counts for nothing over the period.
* Updating replaces every field and the activities listed; deleting removes the row
  and its activities (calls keep the kinds they require: kinds, not certifications).

Rule codes: ``certification.kind``, ``certification.name``, ``certification.number``,
``certification.scope``, ``certification.validity`` (valid_until before valid_from),
``certification.activities`` (all activities and a list), ``date.out_of_range``,
``period.order`` (a period asked of :func:`allowed_kinds`), ``activity.unknown`` and
``certification.unknown`` (``UnknownRecord``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from cae_matching.adapters.store import (
    Activity,
    ActivityMember,
    Certification,
    CertificationActivity,
)
from cae_matching.domain.profiles import check_period
from caekit.bounds import check_day
from caekit.rules import RuleViolation, UnknownRecord

__all__ = [
    "KINDS",
    "CertificationInput",
    "allowed_by_member",
    "allowed_kinds",
    "check_kind",
    "create_certification",
    "delete_certification",
    "get_certification",
    "list_certifications",
    "update_certification",
]

KINDS = ("qualiopi", "rge", "qualibat", "qualifelec", "opqibi", "opqtecc", "iso_9001", "other")
"""The kinds of certification a cooperative records and a call may require."""

MAX_NAME = 200
MAX_NUMBER = 100
MAX_SCOPE = 5000
_CHUNK = 500


@dataclass(frozen=True)
class CertificationInput:
    """A certification as the staff writes it (``activity_ids``: the activities that may
    use it, when not ``all_activities``)."""

    kind: str
    name: str
    valid_from: date
    valid_until: date
    scope: str | None = None
    number: str | None = None
    all_activities: bool = False
    activity_ids: Sequence[str] = field(default_factory=tuple)


def _chunks(items: Sequence, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def check_kind(kind: object, field_name: str = "kind", rule: str = "certification.kind") -> str:
    """``kind`` as stored: one of :data:`KINDS` (lower case, spaces around removed)."""
    if isinstance(kind, str):
        code = kind.strip().lower()
        if code in KINDS:
            return code
    raise RuleViolation(rule, f"a certification kind is one of {', '.join(KINDS)}, "
                        f"not {kind!r}", (field_name,))


def _optional_text(value: str | None, field_name: str, limit: int, rule: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise RuleViolation(rule, f"{field_name} is a text of at most {limit} characters",
                            (field_name,))
    return value.strip() or None


def _checked(session: Session, cooperative_id: str, data: CertificationInput) -> dict:
    kind = check_kind(data.kind)
    if not isinstance(data.name, str) or not data.name.strip() or len(data.name) > MAX_NAME:
        raise RuleViolation("certification.name", f"a certification has a name of 1 to "
                            f"{MAX_NAME} characters", ("name",))
    check_day(data.valid_from, "valid_from")
    check_day(data.valid_until, "valid_until")
    if data.valid_until < data.valid_from:
        raise RuleViolation("certification.validity", "a certification is valid until a day "
                            "on or after the day it is valid from", ("valid_until",))
    activity_ids = list(dict.fromkeys(str(a) for a in data.activity_ids or ()))
    if data.all_activities and activity_ids:
        raise RuleViolation("certification.activities", "a certification is for all the "
                            "cooperative's activities or for the activities listed, not both",
                            ("activity_ids",))
    known: set[str] = set()
    for chunk in _chunks(activity_ids):
        known.update(session.scalars(select(Activity.activity_id).where(
            Activity.cooperative_id == cooperative_id, Activity.activity_id.in_(chunk))))
    for i, activity_id in enumerate(activity_ids):
        if activity_id not in known:
            raise UnknownRecord("activity.unknown", f"no activity {activity_id} in this "
                                "cooperative", (f"activity_ids[{i}]",))
    return {"kind": kind, "name": data.name.strip(),
            "scope": _optional_text(data.scope, "scope", MAX_SCOPE, "certification.scope"),
            "number": _optional_text(data.number, "number", MAX_NUMBER,
                                     "certification.number"),
            "valid_from": data.valid_from, "valid_until": data.valid_until,
            "all_activities": bool(data.all_activities), "activity_ids": activity_ids}


def _as_dict(row: Certification, activity_ids: Iterable[str]) -> dict:
    return {"id": row.id, "cooperative_id": row.cooperative_id, "kind": row.kind,
            "name": row.name, "scope": row.scope, "number": row.number,
            "valid_from": row.valid_from, "valid_until": row.valid_until,
            "all_activities": row.all_activities, "activity_ids": sorted(activity_ids)}


def _activities_of(session: Session, ids: Sequence[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {i: [] for i in ids}
    for chunk in _chunks(list(ids)):
        for cert, activity in session.execute(select(
                CertificationActivity.certification_id, CertificationActivity.activity_id)
                .where(CertificationActivity.certification_id.in_(chunk))):
            found[cert].append(activity)
    return found


def _find(session: Session, certification_id: str) -> Certification:
    row = session.scalars(select(Certification).where(
        Certification.id == str(certification_id))).first()
    if row is None:
        raise UnknownRecord("certification.unknown", "no such certification in this "
                            "cooperative", ("certification_id",))
    return row


def create_certification(session: Session, cooperative_id: str,
                         data: CertificationInput) -> dict:
    """Record a certification of ``cooperative_id``; returns it (see :func:`get_certification`)."""
    values = _checked(session, cooperative_id, data)
    activity_ids = values.pop("activity_ids")
    row = Certification(id=str(uuid.uuid4()), cooperative_id=cooperative_id, **values)
    session.add(row)
    for activity_id in activity_ids:
        session.add(CertificationActivity(cooperative_id=cooperative_id,
                                          certification_id=row.id, activity_id=activity_id))
    session.flush()
    return _as_dict(row, activity_ids)


def update_certification(session: Session, certification_id: str,
                         data: CertificationInput) -> dict:
    """Replace every field of a certification and the activities that may use it."""
    row = _find(session, certification_id)
    values = _checked(session, row.cooperative_id, data)
    activity_ids = values.pop("activity_ids")
    for name, value in values.items():
        setattr(row, name, value)
    session.execute(delete(CertificationActivity).where(
        CertificationActivity.cooperative_id == row.cooperative_id,
        CertificationActivity.certification_id == row.id))
    for activity_id in activity_ids:
        session.add(CertificationActivity(cooperative_id=row.cooperative_id,
                                          certification_id=row.id, activity_id=activity_id))
    session.flush()
    return _as_dict(row, activity_ids)


def get_certification(session: Session, certification_id: str) -> dict:
    """``{id, cooperative_id, kind, name, scope, number, valid_from, valid_until (dates),
    all_activities, activity_ids}``."""
    row = _find(session, certification_id)
    return _as_dict(row, _activities_of(session, [row.id])[row.id])


def list_certifications(session: Session, *, kind: str | None = None,
                        valid_on: date | None = None) -> list[dict]:
    """The cooperative's certifications (of ``kind``; valid on ``valid_on``), by kind,
    then validity's end, then name."""
    query = select(Certification)
    if kind is not None:
        query = query.where(Certification.kind == check_kind(kind))
    if valid_on is not None:
        check_day(valid_on, "valid_on")
        query = query.where(Certification.valid_from <= valid_on,
                            Certification.valid_until >= valid_on)
    rows = list(session.scalars(query.order_by(Certification.kind, Certification.valid_until,
                                               Certification.name, Certification.id)))
    activities = _activities_of(session, [r.id for r in rows])
    return [_as_dict(r, activities[r.id]) for r in rows]


def delete_certification(session: Session, certification_id: str) -> None:
    row = _find(session, certification_id)
    session.execute(delete(CertificationActivity).where(
        CertificationActivity.cooperative_id == row.cooperative_id,
        CertificationActivity.certification_id == row.id))
    session.delete(row)
    session.flush()


def allowed_by_member(session: Session, members: Mapping[str, str], starts_on: date,
                      ends_on: date) -> dict[str, frozenset[str]]:
    """For each member (``member_id -> their cooperative_id``), the kinds they may use over
    the whole period (the decisions above), in a few queries whatever their number. Reads
    across cooperatives (``all_tenants``), each member's own cooperative only."""
    result: dict[str, set[str]] = {m: set() for m in members}
    if not members:
        return {}
    coops = sorted(set(members.values()))
    certs: list[Certification] = []
    for chunk in _chunks(coops):
        certs.extend(session.scalars(select(Certification).where(
            Certification.cooperative_id.in_(chunk), Certification.valid_from <= starts_on,
            Certification.valid_until >= ends_on).execution_options(all_tenants=True)))
    if not certs:
        return {m: frozenset() for m in members}
    by_id = {c.id: c for c in certs}
    open_over = and_(Activity.opened_on <= starts_on,
                     or_(Activity.closed_on.is_(None), Activity.closed_on >= ends_on))
    # the members' activities open over the period
    open_activities: dict[str, set[tuple[str, str]]] = {}
    ids = sorted(members)
    for chunk in _chunks(ids):
        for member_id, coop, activity_id in session.execute(
                select(ActivityMember.member_id, ActivityMember.cooperative_id,
                       ActivityMember.activity_id)
                .join(Activity, and_(Activity.activity_id == ActivityMember.activity_id,
                                     Activity.cooperative_id == ActivityMember.cooperative_id))
                .where(ActivityMember.member_id.in_(chunk), open_over)
                .execution_options(all_tenants=True)):
            if members.get(member_id) == coop:
                open_activities.setdefault(member_id, set()).add((coop, activity_id))
    listed: dict[tuple[str, str], set[str]] = {}  # (coop, activity) -> certification ids
    listed_ids = sorted(c.id for c in certs if not c.all_activities)
    for chunk in _chunks(listed_ids):
        for cert_id, coop, activity_id in session.execute(
                select(CertificationActivity.certification_id,
                       CertificationActivity.cooperative_id, CertificationActivity.activity_id)
                .where(CertificationActivity.certification_id.in_(chunk))
                .execution_options(all_tenants=True)):
            if by_id[cert_id].cooperative_id == coop:
                listed.setdefault((coop, activity_id), set()).add(cert_id)
    for_all: dict[str, set[str]] = {}
    for cert in certs:
        if cert.all_activities:
            for_all.setdefault(cert.cooperative_id, set()).add(cert.kind)
    for member_id, coop in members.items():
        activities = open_activities.get(member_id)
        if not activities:
            continue
        result[member_id].update(for_all.get(coop, ()))
        for key in activities:
            result[member_id].update(by_id[c].kind for c in listed.get(key, ()))
    return {m: frozenset(kinds) for m, kinds in result.items()}


def allowed_kinds(session: Session, member_id: str, cooperative_id: str, starts_on: date,
                  ends_on: date) -> set[str]:
    """The kinds of certification ``member_id`` (of ``cooperative_id``) may use over the
    whole period from ``starts_on`` to ``ends_on``."""
    check_day(starts_on, "starts_on")
    check_day(ends_on, "ends_on")
    check_period(starts_on, ends_on)
    found = allowed_by_member(session, {str(member_id): str(cooperative_id)}, starts_on,
                              ends_on)
    return set(found.get(str(member_id), ()))
