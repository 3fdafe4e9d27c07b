"""Use cases of the membership lifecycle: contracts, the three-year rule, exit.

The rules themselves are in ``domain.lifecycle`` (pure); this layer loads and
stores through a SQLAlchemy session and adds the events to the same transaction
(outbox, types in ``events``). The caller commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cae_members.adapters.store import Contract, DeadlineAlert, Member, MemberStep
from cae_members.domain import lifecycle
from cae_members.usecases import activities, cooperatives, events, paging
from cae_members.usecases.paging import Page
from caekit import context, outbox
from caekit.rules import ConflictingState, UnknownRecord


def register_member(session: Session, cooperative_id: str, *, first_name: str, last_name: str,
                    email: str, joined_on: date, activity_code: str | None = None,
                    activity_name: str | None = None, external_ref: str | None = None) -> Member:
    """A person joins a known cooperative as a candidate; one who starts with an activity
    opens it too. Publishes ``events.ON_JOINING``: member_joined.v2 and, with an activity,
    activity_opened.v1."""
    cooperatives.find_cooperative(session, cooperative_id)
    if activity_code and activities.code_is_used(session, activity_code):
        raise ConflictingState("activity.code_used",
                               f"activity code {activity_code} is already used in this cooperative",
                               fields={"activity_code": "already used in this cooperative"})
    person = Member(id=str(uuid.uuid4()), cooperative_id=cooperative_id, first_name=first_name,
                    last_name=last_name, email=email, joined_on=joined_on,
                    activity_code=activity_code, activity_name=activity_name,
                    external_ref=external_ref, created_at=datetime.now(UTC),
                    created_by=context.caller.get().subject,
                    correlation_id=context.correlation_id.get())
    session.add(person)
    record_step(session, person, "candidate", joined_on)
    outbox.publish(session, events.MEMBER_JOINED, {
        "member_id": person.id, "cooperative_id": cooperative_id, "first_name": first_name,
        "last_name": last_name, "joined_on": joined_on})
    if activity_code:
        session.flush()
        activities.open_activity(session, cooperative_id, code=activity_code, opened_on=joined_on,
                                 name=activity_name or f"{first_name} {last_name}"[:200],
                                 member_ids=[person.id])
    return person


MEMBER_ORDER = (Member.last_name, Member.first_name, Member.id)
DEADLINE_ORDER = (Member.associate_deadline, Member.last_name, Member.id)
CONTRACT_ORDER = (Contract.signed_on, Contract.created_at, Contract.id)


def list_members(session: Session, cooperative_id: str, *, limit: int | None = None,
                 after: tuple | None = None) -> list[Member]:
    """The members of a known cooperative, by last then first name (``limit`` of them after
    position ``after``)."""
    cooperatives.find_cooperative(session, cooperative_id)
    return list(session.scalars(paging.keyset(select(Member), MEMBER_ORDER, after).limit(limit)))


def members_page(session: Session, cooperative_id: str, limit: int,
                 after: tuple | None = None) -> Page:
    """A page of the members of a known cooperative, by last then first name."""
    return paging.page(list_members(session, cooperative_id, limit=limit + 1, after=after),
                       limit, lambda m: (m.last_name, m.first_name, m.id))


def find_member(session: Session, member_id: str) -> Member:
    key = paging.record_id(member_id)
    found = session.scalar(select(Member).where(Member.id == key)) if key else None
    if found is None:
        raise UnknownRecord("member.unknown", f"no member {member_id} in this cooperative",
                            fields={"member_id": "no such member in this cooperative"})
    return found


def history(session: Session, member_id: str) -> list[MemberStep]:
    return list(session.scalars(select(MemberStep).where(MemberStep.member_id == str(member_id))
                                .order_by(MemberStep.seq)))


@dataclass(frozen=True)
class History:
    """A person's history: the steps as recorded (corrections included), the steps they
    amount to, and the stage the person is at (None before any step)."""

    steps: list[MemberStep]
    effective: list[lifecycle.Step]
    stage: lifecycle.Stage | None


def member_history(session: Session, member_id: str) -> History:
    find_member(session, member_id)
    rows = history(session, member_id)
    steps = _as_steps(rows)
    return History(rows, lifecycle.effective_history(steps), lifecycle.current_stage(steps))


def _as_steps(rows: list[MemberStep]) -> list[lifecycle.Step]:
    return [lifecycle.Step(r.stage, r.on, corrects=r.corrects, reason=r.reason) for r in rows]


def _append(session: Session, person: Member, rows: list[MemberStep],
            step: lifecycle.Step) -> MemberStep:
    row = MemberStep(cooperative_id=person.cooperative_id, member_id=person.id, seq=len(rows),
                     stage=str(step.stage), on=step.on, corrects=step.corrects,
                     reason=step.reason, recorded_at=datetime.now(UTC),
                     recorded_by=context.caller.get().subject)
    session.add(row)
    return row


def record_step(session: Session, person: Member, stage: str, on: date,
                reason: str = "") -> MemberStep:
    """Move a person to ``stage`` on ``on`` (the lifecycle's transition rules apply)."""
    rows = history(session, person.id)
    return _append(session, person, rows,
                   lifecycle.next_step(_as_steps(rows), lifecycle.Stage(stage), on, reason=reason))


def correct_step(session: Session, person: Member, seq: int, *, reason: str,
                 stage: str | None = None, on: date | None = None) -> MemberStep:
    """Correct a recorded step by a new, dated one; the mistaken row stays.

    Contract, admission and exit steps carry dates that other records (the contract,
    the associate deadline) depend on: they are not corrected here.
    """
    rows = history(session, person.id)
    lifecycle.check_correctable(rows[seq].stage if 0 <= seq < len(rows) else None, stage)
    return _append(session, person, rows, lifecycle.correct_step(
        _as_steps(rows), seq, reason=reason,
        stage=lifecycle.Stage(stage) if stage else None, on=on))


def contracts_of(session: Session, member_id: str, *, limit: int | None = None,
                 after: tuple | None = None) -> list[Contract]:
    """A member's contracts, by signature (``limit`` of them after position ``after``)."""
    return list(session.scalars(paging.keyset(
        select(Contract).where(Contract.member_id == str(member_id)), CONTRACT_ORDER, after)
        .limit(limit)))


def member_contracts(session: Session, member_id: str, limit: int,
                     after: tuple | None = None) -> Page:
    """A page of a known member's contracts, by signature."""
    find_member(session, member_id)
    return paging.page(contracts_of(session, member_id, limit=limit + 1, after=after), limit,
                       lambda c: (c.signed_on, c.created_at, c.id))


def _signed(session: Session, contract: Contract, deadline: date | None = None) -> None:
    outbox.publish(session, events.CONTRACT_SIGNED, {
        "contract_id": contract.id, "member_id": contract.member_id,
        "cooperative_id": contract.cooperative_id, "kind": contract.kind,
        "signed_on": contract.signed_on, "ends_on": contract.ends_on,
        "renewals": contract.renewals, "trial_ends_on": contract.trial_ends_on,
        "associate_deadline": deadline})


def _end(session: Session, contract: Contract, on: date, reason: str) -> None:
    contract.ended_on, contract.end_reason = on, reason
    outbox.publish(session, events.CONTRACT_ENDED, {
        "contract_id": contract.id, "member_id": contract.member_id,
        "cooperative_id": contract.cooperative_id, "kind": contract.kind,
        "ended_on": on, "reason": reason})


def sign_contract(session: Session, person: Member, *, kind: str, signed_on: date,
                  ends_on: date | None = None, trial_ends_on: date | None = None) -> Contract:
    """Sign a CAPE (12 months at most) or the CESA (open-ended, with the associate deadline)."""
    lifecycle.check_still_member(person.left_on)
    lifecycle.check_not_before(signed_on, person.joined_on, "the date the person joined")
    existing = contracts_of(session, person.id)
    open_capes = [c for c in existing if c.kind == "CAPE" and c.ended_on is None]
    lifecycle.check_new_contract(kind, ends_on, has_cesa=any(c.kind == "CESA" for c in existing),
                                 cape_running=bool(open_capes))
    contract = Contract(id=str(uuid.uuid4()), cooperative_id=person.cooperative_id,
                        member_id=person.id, kind=kind, signed_on=signed_on, renewals=0,
                        created_at=datetime.now(UTC), created_by=context.caller.get().subject)
    if kind == "CAPE":
        lifecycle.validate_cape(signed_on, ends_on)
        record_step(session, person, "cape", signed_on)
        contract.ends_on = ends_on
        session.add(contract)
        _signed(session, contract)
        return contract
    for cape in open_capes:  # a CESA takes over from the running CAPE
        lifecycle.check_not_before(signed_on, cape.signed_on, "the running CAPE's start")
        _end(session, cape, lifecycle.ends_with(signed_on, cape.ends_on), "CESA signed")
    earlier = lifecycle.earlier_capes((c.signed_on, c.ended_on or c.ends_on)
                                      for c in existing if c.kind == "CAPE")
    if trial_ends_on is not None:
        lifecycle.validate_trial(signed_on, trial_ends_on, earlier)
    record_step(session, person, "cesa", signed_on)
    contract.trial_ends_on = trial_ends_on
    person.associate_deadline = lifecycle.associate_deadline(signed_on, earlier)
    session.add(contract)
    _signed(session, contract, person.associate_deadline)
    return contract


def renew_cape(session: Session, person: Member, contract_id: str, new_end: date) -> Contract:
    lifecycle.check_still_member(person.left_on)
    contract = next((c for c in contracts_of(session, person.id) if c.id == contract_id), None)
    if contract is None or contract.kind != "CAPE":
        raise UnknownRecord("contract.unknown", f"no CAPE {contract_id} for this member")
    lifecycle.check_cape_running(contract.ended_on)
    renewed = lifecycle.renew_cape(
        lifecycle.Cape(contract.signed_on, contract.ends_on, contract.renewals), new_end)
    contract.ends_on, contract.renewals = renewed.end, renewed.renewals
    _signed(session, contract)
    return contract


def admit_associate(session: Session, person: Member, on: date) -> Member:
    lifecycle.check_still_member(person.left_on)
    cesa = next((c for c in contracts_of(session, person.id) if c.kind == "CESA"), None)
    lifecycle.check_admission(on, cesa_signed_on=cesa.signed_on if cesa else None,
                              associate_on=person.associate_on,
                              deadline=person.associate_deadline)
    record_step(session, person, "associate", on)
    person.associate_on = on
    outbox.publish(session, events.MEMBER_BECAME_ASSOCIATE, {
        "member_id": person.id, "cooperative_id": person.cooperative_id,
        "associate_on": on, "associate_deadline": person.associate_deadline})
    return person


def record_exit(session: Session, person: Member, on: date, reason: str) -> Member:
    lifecycle.check_still_member(person.left_on)
    lifecycle.check_not_before(on, person.joined_on, "the date the person joined")
    record_step(session, person, "exited", on, reason)
    for contract in contracts_of(session, person.id):
        if contract.ended_on is None:
            lifecycle.check_not_before(on, contract.signed_on, f"the {contract.kind}'s signature")
            # a CAPE that already ran out ended on its own date
            _end(session, contract, lifecycle.ends_with(on, contract.ends_on),
                 f"exit: {reason}"[:500])
    person.left_on, person.left_reason = on, reason
    outbox.publish(session, events.MEMBER_LEFT, {
        "member_id": person.id, "cooperative_id": person.cooperative_id,
        "left_on": on, "reason": reason})
    return person


def upcoming_deadlines(session: Session, today: date, within_days: int, *,
                       limit: int | None = None, after: tuple | None = None) -> list[Member]:
    """Entrepreneurs still to become associates, soonest deadline first (missed ones
    included), up to ``within_days`` after ``today`` (``limit`` of them after ``after``)."""
    return list(session.scalars(paging.keyset(
        select(Member)
        .where(Member.associate_deadline.is_not(None), Member.associate_on.is_(None),
               Member.left_on.is_(None),
               Member.associate_deadline <= today + timedelta(days=within_days)),
        DEADLINE_ORDER, after).limit(limit)))


def deadlines_page(session: Session, cooperative_id: str, today: date, within_days: int,
                   limit: int, after: tuple | None = None) -> Page:
    """A page of a known cooperative's associate deadlines, soonest first."""
    cooperatives.find_cooperative(session, cooperative_id)
    return paging.page(upcoming_deadlines(session, today, within_days, limit=limit + 1,
                                          after=after), limit,
                       lambda m: (m.associate_deadline, m.last_name, m.id))


def scan_deadlines(session: Session, today: date, *, not_after: date | None = None) -> int:
    """The daily scan, across every cooperative: publish the alerts due today, once each.

    Runs without a tenant (system work); each event carries its member's cooperative.
    A second run on the same day finds the alerts recorded and publishes nothing.
    ``not_after``: the real date, when a person asks for the scan of ``today``
    (``scan.future`` refuses a day still to come).
    """
    if not_after is not None:
        lifecycle.check_scan_day(today, not_after)
    horizon = lifecycle.alert_horizon(today)
    concerned = (Member.associate_deadline.is_not(None), Member.associate_deadline <= horizon,
                 (Member.associate_on.is_(None)) | (Member.associate_on > today),
                 (Member.left_on.is_(None)) | (Member.left_on > today))
    candidates = session.scalars(
        select(Member).where(*concerned)
        .order_by(Member.cooperative_id, Member.associate_deadline)
        .execution_options(all_tenants=True)).all()
    sent: dict[tuple[str, date], set[str]] = {}
    for alert in session.scalars(
            select(DeadlineAlert)
            .where(DeadlineAlert.member_id.in_(select(Member.id).where(*concerned)))
            .execution_options(all_tenants=True)):
        sent.setdefault((alert.member_id, alert.deadline), set()).add(alert.kind)
    published = 0
    for person in candidates:
        due = lifecycle.alerts_due(today, person.associate_deadline,
                                   associate_on=person.associate_on, exited_on=person.left_on,
                                   already_sent=sent.get((person.id, person.associate_deadline),
                                                         set()))
        for kind in due:
            session.add(DeadlineAlert(cooperative_id=person.cooperative_id, member_id=person.id,
                                      kind=kind, deadline=person.associate_deadline,
                                      sent_on=today))
            data = {"member_id": person.id, "cooperative_id": person.cooperative_id,
                    "associate_deadline": person.associate_deadline}
            if kind == lifecycle.ALERT_MISSED:
                outbox.publish(session, events.DEADLINE_MISSED, data,
                               tenant_id=person.cooperative_id)
            else:
                outbox.publish(session, events.DEADLINE_APPROACHING, {
                    **data, "alert": kind,
                    "days_left": (person.associate_deadline - today).days},
                    tenant_id=person.cooperative_id)
            published += 1
    return published
