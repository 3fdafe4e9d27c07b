"""What governance shows: settings, associates, assemblies, proxies, ballots, minutes."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import Session

from cae_governance.adapters.store import (
    Assembly,
    Document,
    Elector,
    MinutesRecord,
    PollVoter,
    ProxyRecord,
    PublishedBallot,
    Resolution,
    SignIn,
    Vote,
)
from cae_governance.domain.profiles import fraction_text
from cae_governance.usecases import assemblies
from cae_governance.usecases import electorate as people
from caekit.db import UtcDateTime
from caekit.rules import ConflictingState, UnknownRecord


def settings(session: Session, cooperative_id: str) -> dict:
    coop = people.cooperative(session, cooperative_id)
    stored = people.settings_of(coop)
    profile = people.build_profile(people.profile_code(coop), stored)
    return {
        "profile": people.profile_code(coop), **stored,
        **{name: getattr(profile, name) for name in (
            "convocation_days", "count_abstentions", "blank_proxies", "remote_participation",
            "postal_votes", "secret_ballot_for_elections")},
        "rules": [{"kind": r.kind.value, "convocation": r.convocation.value,
                   "quorum": None if r.quorum is None else fraction_text(r.quorum),
                   "majority": r.majority.text, "source": r.source} for r in profile.rules],
        "notes": list(profile.notes)}


def associates(session: Session, on: date) -> list[dict]:
    return [{"member_id": p.member_id, "name": people.person_name(p, p.member_id),
             "associate_on": p.associate_on, "college": p.college,
             "manager": assemblies.is_manager(session, p.member_id, on)}
            for p in people.associates(session, on)]


def is_elector(session: Session, assembly_id: str, member: str) -> bool:
    return session.get(Elector, (str(assembly_id), member)) is not None


def assemblies_list(session: Session, year: int | None, limit: int) -> list[Assembly]:
    """The assemblies (held in ``year``), latest first."""
    query = select(Assembly).order_by(Assembly.held_at.desc(), Assembly.id).limit(limit)
    if year is not None:
        query = query.where(Assembly.held_at >= datetime(year, 1, 1, tzinfo=UTC),
                            Assembly.held_at < datetime(year + 1, 1, 1, tzinfo=UTC))
    return list(session.scalars(query))


def resolution_out(row: Resolution) -> dict:
    return {"id": row.id, "code": row.code, "title": row.title, "text": row.text,
            "kind": row.kind, "from_managers": row.from_managers, "secret": row.secret,
            "effect": {"type": row.effect, **json.loads(row.effect_data)},
            "proposed_by": json.loads(row.proposed_by), "status": row.status,
            "result": json.loads(row.result) if row.result else None,
            "decided_at": row.decided_at}


def assembly(session: Session, assembly_id: str) -> dict:
    loaded = assemblies.load(session, assembly_id)
    row = loaded.row
    first, last = loaded.profile.agenda_window
    held = row.held_at.date()
    minutes = session.get(MinutesRecord, row.id)
    return {
        **{c.key: getattr(row, c.key) for c in Assembly.__table__.columns
           if c.key not in ("profile", "attendance", "quorum", "cooperative_id")},
        "profile": json.loads(row.profile)["code"], "electorate": loaded.electorate.size,
        "agenda_window": {"from": (held - timedelta(days=first)).isoformat(),
                          "to": (held - timedelta(days=last)).isoformat()},
        "attendance": json.loads(row.attendance) if row.attendance else None,
        "quorum": json.loads(row.quorum or "[]"),
        "resolutions": [resolution_out(r) for r in assemblies.resolutions_of(session, row.id)],
        "documents": list(session.scalars(select(Document).where(
            Document.assembly_id == row.id).order_by(Document.position))),
        "minutes_sha256": minutes.sha256 if minutes else None}


def document(session: Session, assembly_id: str, document_id: str) -> Document:
    row = session.scalars(select(Document).where(Document.id == str(document_id),
                                                 Document.assembly_id == str(assembly_id))).first()
    if row is None:
        raise UnknownRecord("document.unknown", "no such document in this assembly",
                            ("document_id",))
    return row


def proxies(session: Session, assembly_id: str, member: str | None) -> dict:
    loaded = assemblies.load(session, assembly_id)
    query = select(ProxyRecord).where(ProxyRecord.assembly_id == loaded.row.id)
    if member is not None:
        query = query.where((ProxyRecord.giver == member) | (ProxyRecord.holder == member))
    limit = loaded.profile.proxy_limit
    return {"items": list(session.scalars(query.order_by(ProxyRecord.id))),
            "cap": limit.cap(loaded.electorate.size),
            "cap_rule": limit.text(loaded.electorate.size)}


def attendance_sheet(session: Session, assembly_id: str, limit: int,
                     after: tuple[datetime, str] | None) -> dict:
    """Who has signed the attendance sheet, in the order they signed (a page of ``limit``
    lines after the position ``after``, a ``next_after`` when more follow), with the
    proxies each holds, and the whole attendance's figures and quorum of each kind on the
    agenda: before the opening, as the opening would fix them now (the domain's
    attendance and quorum rules, :func:`assemblies.attendance_if_opened_now`); once
    opened, as fixed then (the assembly's ``attendance`` and ``quorum``)."""
    loaded = assemblies.load(session, assembly_id)
    row = loaded.row
    fixed = row.status != "convened"
    active = assemblies.active_proxies(session, row.id)
    if fixed:
        summary = json.loads(row.attendance or "{}")
        quorum = json.loads(row.quorum or "[]")
    else:
        attendance = assemblies.attendance_if_opened_now(session, loaded)
        summary = assemblies.attendance_summary(attendance)
        quorum = list(assemblies.quorum_of(attendance, loaded, {
            r.kind for r in assemblies.resolutions_of(session, row.id)}).values())
    counts = {name: int(summary.get(name, 0)) for name in ("in_person", "remote", "postal",
                                                           "represented", "blank_proxies")}
    query = select(SignIn).where(SignIn.cooperative_id == row.cooperative_id,
                                 SignIn.assembly_id == row.id)
    if after is not None:
        query = query.where(tuple_(SignIn.signed_at, SignIn.member_id) > tuple_(
            literal(after[0], UtcDateTime()), literal(str(after[1]))))
    lines = list(session.scalars(query.order_by(SignIn.signed_at, SignIn.member_id)
                                 .limit(limit + 1)))
    page = lines[:limit]
    held: dict[str, list[str]] = {}
    for proxy in active:
        if proxy.holder is not None:
            held.setdefault(proxy.holder, []).append(proxy.giver)
    shown = {line.member_id for line in page}
    shown |= {giver for line in page for giver in held.get(line.member_id, ())}
    # a name the service knows (members' events), else None
    names = {member: name for member, name in session.execute(
        select(Elector.member_id, Elector.name).where(
            Elector.cooperative_id == row.cooperative_id, Elector.assembly_id == row.id,
            Elector.member_id.in_(sorted(shown)))).all() if name != member} if shown else {}
    signed = session.scalar(select(func.count()).select_from(SignIn).where(
        SignIn.cooperative_id == row.cooperative_id, SignIn.assembly_id == row.id))
    return {
        "assembly_id": row.id, "status": row.status, "fixed": fixed,
        "electorate": loaded.electorate.size, "signed_in": signed,
        "proxies": len(active), **counts,
        "taking_part": counts["in_person"] + counts["remote"] + counts["postal"]
        + counts["represented"],
        "text": summary.get("text", ""), "quorum": quorum,
        "items": [{"member_id": line.member_id, "name": names.get(line.member_id),
                   "mode": line.mode, "signed_at": line.signed_at,
                   "proxies_held": [{"giver": giver, "name": names.get(giver)}
                                    for giver in sorted(held.get(line.member_id, ()))]}
                  for line in page],
        "next_after": ((page[-1].signed_at, page[-1].member_id)
                       if len(lines) > limit and page else None)}


def _resolution(session: Session, assembly_id: str, resolution_id: str) -> Resolution:
    row = session.scalars(select(Resolution).where(
        Resolution.id == str(resolution_id), Resolution.assembly_id == str(assembly_id))).first()
    if row is None:
        raise UnknownRecord("resolution.unknown", "no such resolution in this assembly",
                            ("resolution_id",))
    return row


def ballots(session: Session, assembly_id: str, resolution_id: str) -> dict:
    """A closed secret poll's ballots in receipt order, and the list recounted."""
    row = _resolution(session, assembly_id, resolution_id)
    if not row.secret or row.status not in ("adopted", "rejected"):
        raise ConflictingState("ballots.not_published", "ballots are published when a secret "
                               "poll closes", ("resolution_id",))
    items = list(session.scalars(select(PublishedBallot).where(
        PublishedBallot.resolution_id == row.id).order_by(PublishedBallot.receipt)))
    counts = Counter()
    for ballot in items:
        for choice in ballot.choice.split(","):
            counts[choice] += 1
    return {"resolution_id": row.id, "items": items, "counts": dict(sorted(counts.items()))}


def voters(session: Session, assembly_id: str, resolution_id: str) -> list[dict]:
    row = _resolution(session, assembly_id, resolution_id)
    table = PollVoter if row.secret else Vote
    names = {e.member_id: e.name for e in session.scalars(select(Elector).where(
        Elector.assembly_id == row.assembly_id))}
    return [{"voter": v.voter, "name": names.get(v.voter, v.voter), "cast_by": v.cast_by,
             "postal": v.postal} for v in session.scalars(
                 select(table).where(table.resolution_id == row.id).order_by(table.voter))]


def minutes(session: Session, assembly_id: str) -> MinutesRecord:
    record = session.get(MinutesRecord, str(assembly_id))
    if record is None:
        assemblies.load(session, assembly_id)  # assembly.unknown first
        raise UnknownRecord("minutes.unknown", "the minutes are drawn when the assembly closes",
                            ("assembly_id",))
    return record

