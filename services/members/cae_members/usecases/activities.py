"""Use cases of activities (enseignes) and follow-up interviews. The caller commits."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from cae_members.adapters.store import Activity, ActivityMember, Contract, FollowUpInterview, Member
from cae_members.domain import lifecycle
from cae_members.domain.activities import check_closing, check_opening, is_code
from cae_members.usecases import cooperatives, events, paging
from cae_members.usecases.paging import Page
from caekit import context, outbox
from caekit.rules import ConflictingState, UnknownRecord

ACTIVITY_ORDER = (Activity.code,)
FOLLOW_UP_ORDER = (Member.last_name, Member.first_name, Member.id)


def find_activity(session: Session, code: str) -> Activity:
    found = (session.scalar(select(Activity).where(Activity.code == code))
             if is_code(code) else None)
    if found is None:
        raise UnknownRecord("activity.unknown", f"no activity {code} in this cooperative",
                            fields={"code": "no such activity in this cooperative"})
    return found


def members_of(session: Session, activity: Activity) -> list[str]:
    return list(session.scalars(select(ActivityMember.member_id)
                                .where(ActivityMember.activity_id == activity.id)
                                .order_by(ActivityMember.member_id)))


def members_of_each(session: Session, found: list[Activity]) -> dict[str, list[str]]:
    """activity id -> the ids of its entrepreneurs, sorted, for many activities at once."""
    out: dict[str, list[str]] = {a.id: [] for a in found}
    if found:
        for activity_id, member_id in session.execute(
                select(ActivityMember.activity_id, ActivityMember.member_id)
                .where(ActivityMember.activity_id.in_(list(out)))
                .order_by(ActivityMember.activity_id, ActivityMember.member_id)):
            out[activity_id].append(member_id)
    return out


def list_activities(session: Session, *, limit: int | None = None,
                    after: tuple | None = None) -> list[Activity]:
    """The cooperative's activities, by code (``limit`` of them after position ``after``)."""
    return list(session.scalars(paging.keyset(select(Activity), ACTIVITY_ORDER, after)
                                .limit(limit)))


def activities_page(session: Session, cooperative_id: str, limit: int,
                    after: tuple | None = None) -> Page:
    """A page of a known cooperative's activities, by code."""
    cooperatives.find_cooperative(session, cooperative_id)
    return paging.page(list_activities(session, limit=limit + 1, after=after), limit,
                       lambda a: (a.code,))


def code_is_used(session: Session, code: str) -> bool:
    return session.scalar(select(Activity.id).where(Activity.code == code)) is not None


def open_activity(session: Session, cooperative_id: str, *, code: str, name: str, opened_on: date,
                  member_ids: list, contribution_rate=None) -> Activity:
    """Open an activity for one or more entrepreneurs of this cooperative."""
    if code_is_used(session, code):
        raise ConflictingState("activity.code_used",
                               f"activity code {code} is already used in this cooperative",
                               fields={"code": "already used in this cooperative"})
    ids = sorted({str(m) for m in member_ids})
    people = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ids)))}
    unknown = [m for m in ids if m not in people]
    if unknown:
        raise UnknownRecord("member.unknown", f"no member {', '.join(unknown)} in this cooperative")
    check_opening(opened_on, {person.id: person.left_on for person in people.values()})
    activity = Activity(id=str(uuid.uuid4()), cooperative_id=cooperative_id, code=code, name=name,
                        opened_on=opened_on, contribution_rate=contribution_rate,
                        created_at=datetime.now(UTC), created_by=context.caller.get().subject)
    session.add(activity)
    session.add_all(ActivityMember(activity_id=activity.id, member_id=m,
                                   cooperative_id=cooperative_id) for m in ids)
    outbox.publish(session, events.ACTIVITY_OPENED, {
        "activity_id": activity.id, "cooperative_id": cooperative_id, "code": code,
        "name": name, "opened_on": opened_on, "member_ids": ids,
        "contribution_rate": contribution_rate})
    return activity


def close_activity(session: Session, code: str, on: date) -> Activity:
    activity = find_activity(session, code)
    check_closing(code, activity.opened_on, activity.closed_on, on)
    activity.closed_on = on
    outbox.publish(session, events.ACTIVITY_CLOSED, {
        "activity_id": activity.id, "cooperative_id": activity.cooperative_id, "code": code,
        "closed_on": on})
    return activity


def record_interview(session: Session, person: Member, held_on: date, notes: str | None):
    lifecycle.check_interview(held_on, person.joined_on)
    interview = FollowUpInterview(cooperative_id=person.cooperative_id, member_id=person.id,
                                  held_on=held_on, notes=notes, recorded_at=datetime.now(UTC),
                                  recorded_by=context.caller.get().subject)
    session.add(interview)
    return interview


def follow_up_due(session: Session, today: date, *, limit: int | None = None,
                  after: tuple | None = None) -> list[tuple[Member, int]]:
    """Entrepreneurs (a running CAPE or CESA) with fewer than two interviews in the 12 months
    up to ``today`` (décret 2015-1363), with how many they had, by last then first name
    (``limit`` of them after position ``after``).

    The window and the minimum are the domain's (``lifecycle.follow_up_window_start``,
    ``FOLLOW_UP_MIN_INTERVIEWS``); the database counts, so that a page reads its rows only.
    """
    running = select(Contract.member_id).where(
        Contract.signed_on <= today,
        or_(Contract.ended_on > today,
            and_(Contract.ended_on.is_(None),
                 or_(Contract.ends_on.is_(None), Contract.ends_on > today))))
    since = lifecycle.follow_up_window_start(today)
    held = (select(FollowUpInterview.member_id, func.count().label("n"))
            .where(FollowUpInterview.held_on > since, FollowUpInterview.held_on <= today)
            .group_by(FollowUpInterview.member_id).subquery())
    count = func.coalesce(held.c.n, 0)
    statement = (select(Member, count)
                 .outerjoin(held, held.c.member_id == Member.id)
                 .where(Member.id.in_(running), count < lifecycle.FOLLOW_UP_MIN_INTERVIEWS))
    return [(person, n) for person, n in session.execute(
        paging.keyset(statement, FOLLOW_UP_ORDER, after).limit(limit))]


def follow_up_page(session: Session, cooperative_id: str, today: date, limit: int,
                   after: tuple | None = None) -> Page:
    """A page of a known cooperative's entrepreneurs due a follow-up interview."""
    cooperatives.find_cooperative(session, cooperative_id)
    return paging.page(follow_up_due(session, today, limit=limit + 1, after=after), limit,
                       lambda row: (row[0].last_name, row[0].first_name, row[0].id))
