"""Professional groups of a cooperative (e.g. the energy-renovation experts) and their
members.

Each public function is one operation on the session of the caller's transaction (bound
to the cooperative); the caller commits.

Decisions: a group's name is unique in its cooperative, compared without case and
spaces around (checked here: the store has no unique index on it, so two concurrent
creations of one name could both pass); its topic is required (1 to 300 characters).
Members are people of the cooperative who have not left; adding a member twice changes
nothing. A member who left stays in the rows but is no longer listed nor counted.
Deleting a group deletes its memberships.

Rule codes: ``group.name``, ``group.topic``, ``group.description``; ``group.unknown``,
``member.unknown``, ``group.not_member`` (``UnknownRecord``); ``group.name_taken``
(``ConflictingState``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cae_matching.adapters.store import Group, GroupMember, Person
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord

__all__ = ["add_member", "create_group", "delete_group", "get_group", "list_groups",
           "remove_member", "update_group"]

MAX_NAME = 200
MAX_TOPIC = 300
MAX_DESCRIPTION = 5000


def _text(value, field: str, limit: int, rule: str, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RuleViolation(rule, f"{field} is required (1 to {limit} characters)",
                                (field,))
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise RuleViolation(rule, f"{field} is a text of at most {limit} characters", (field,))
    return value.strip()


def _find(session: Session, group_id: str) -> Group:
    group = session.scalars(select(Group).where(Group.id == str(group_id))).first()
    if group is None:
        raise UnknownRecord("group.unknown", "no such group in this cooperative",
                            ("group_id",))
    return group


def _unique_name(session: Session, cooperative_id: str, name: str,
                 group_id: str | None = None) -> None:
    # compared here, not by SQL lower() (SQLite's folds ASCII only: "Énergie" != "énergie")
    wanted = name.casefold()
    for other_id, other in session.execute(select(Group.id, Group.name).where(
            Group.cooperative_id == cooperative_id)):
        if other_id != group_id and other.strip().casefold() == wanted:
            raise ConflictingState("group.name_taken", f"the cooperative has a group named "
                                   f"{name!r} already", ("name",))


def _members(session: Session, groups: list[Group]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {g.id: [] for g in groups}
    if not groups:
        return found
    coop = {g.id: g.cooperative_id for g in groups}
    rows = session.execute(
        select(GroupMember.group_id, GroupMember.cooperative_id, Person.member_id,
               Person.first_name, Person.last_name)
        .join(Person, (Person.member_id == GroupMember.member_id)
              & (Person.cooperative_id == GroupMember.cooperative_id))
        .where(GroupMember.group_id.in_(list(found)), Person.left_on.is_(None),
               Person.erased.is_(False))
        .order_by(Person.last_name, Person.first_name, Person.member_id))
    for group_id, cooperative_id, member_id, first, last in rows:
        if coop[group_id] == cooperative_id:
            found[group_id].append({"member_id": member_id, "name": f"{first} {last}"})
    return found


def _as_dict(group: Group, members: list[dict]) -> dict:
    return {"id": group.id, "cooperative_id": group.cooperative_id, "name": group.name,
            "topic": group.topic, "description": group.description,
            "created_at": group.created_at, "member_count": len(members),
            "members": members}


def create_group(session: Session, cooperative_id: str, name: str, topic: str,
                 now: datetime, description: str | None = None) -> dict:
    """A new group of ``cooperative_id``; returns it as :func:`get_group` does."""
    name = _text(name, "name", MAX_NAME, "group.name", required=True)
    topic = _text(topic, "topic", MAX_TOPIC, "group.topic", required=True)
    description = _text(description, "description", MAX_DESCRIPTION, "group.description",
                        required=False)
    _unique_name(session, cooperative_id, name)
    group = Group(id=str(uuid.uuid4()), cooperative_id=cooperative_id, name=name, topic=topic,
                  description=description, created_at=now)
    session.add(group)
    session.flush()
    return _as_dict(group, [])


def update_group(session: Session, group_id: str, name: str, topic: str,
                 description: str | None = None) -> dict:
    """Rename a group, change its topic and description (all three replaced)."""
    group = _find(session, group_id)
    name = _text(name, "name", MAX_NAME, "group.name", required=True)
    topic = _text(topic, "topic", MAX_TOPIC, "group.topic", required=True)
    description = _text(description, "description", MAX_DESCRIPTION, "group.description",
                        required=False)
    _unique_name(session, group.cooperative_id, name, group.id)
    group.name, group.topic, group.description = name, topic, description
    session.flush()
    return _as_dict(group, _members(session, [group])[group.id])


def delete_group(session: Session, group_id: str) -> None:
    group = _find(session, group_id)
    session.execute(delete(GroupMember).where(GroupMember.cooperative_id == group.cooperative_id,
                                              GroupMember.group_id == group.id))
    session.delete(group)
    session.flush()


def add_member(session: Session, group_id: str, member_id: str) -> dict:
    """Add a member of the group's cooperative (who has not left); returns the group."""
    group = _find(session, group_id)
    member_id = str(member_id)
    person = session.scalars(select(Person).where(Person.cooperative_id == group.cooperative_id,
                                                  Person.member_id == member_id)).first()
    if person is None or person.left_on is not None or person.erased:
        raise UnknownRecord("member.unknown", "no such member in this cooperative",
                            ("member_id",))
    present = session.scalar(select(GroupMember.member_id).where(
        GroupMember.cooperative_id == group.cooperative_id, GroupMember.group_id == group.id,
        GroupMember.member_id == member_id))
    if present is None:
        session.add(GroupMember(cooperative_id=group.cooperative_id, group_id=group.id,
                                member_id=member_id))
        session.flush()
    return _as_dict(group, _members(session, [group])[group.id])


def remove_member(session: Session, group_id: str, member_id: str) -> dict:
    """Remove a member from the group; returns the group."""
    group = _find(session, group_id)
    row = session.scalars(select(GroupMember).where(
        GroupMember.cooperative_id == group.cooperative_id, GroupMember.group_id == group.id,
        GroupMember.member_id == str(member_id))).first()
    if row is None:
        raise UnknownRecord("group.not_member", "this member is not in the group",
                            ("member_id",))
    session.delete(row)
    session.flush()
    return _as_dict(group, _members(session, [group])[group.id])


def get_group(session: Session, group_id: str) -> dict:
    """``{id, cooperative_id, name, topic, description, created_at, member_count,
    members: [{member_id, name}]}``."""
    group = _find(session, group_id)
    return _as_dict(group, _members(session, [group])[group.id])


def list_groups(session: Session, *, member_id: str | None = None) -> list[dict]:
    """The cooperative's groups by name, with their members (of which ``member_id`` is
    one, when given)."""
    query = select(Group)
    if member_id is not None:
        query = query.where(Group.id.in_(select(GroupMember.group_id).where(
            GroupMember.member_id == str(member_id))))
    groups = sorted(session.scalars(query), key=lambda g: (g.name.casefold(), g.id))
    members = _members(session, groups)
    return [_as_dict(g, members[g.id]) for g in groups]
