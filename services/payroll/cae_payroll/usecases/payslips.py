"""Issuing a run's payslips (the workers' share of a run), and reading them.

A payslip is unique per member and month, and the kit's inbox records each work
item with its payslips, so a killed worker's items, redelivered to another, are
issued once. What a transaction issues is written at commit, a statement per table
for all its payslips, without the ORM's unit of work (``_write_issued``); a run's
issued count is added once per transaction, and the transaction that reaches the
expected count completes the run.

A run cancelled while its work items are in flight issues nothing more: a worker
loading the run finds it cancelled and leaves its items; one that loaded it before
the cancellation locks the run's row first when it writes, finds it cancelled then,
and rolls back (its items are retried, and left).
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import NamedTuple

import orjson
from sqlalchemy import String, and_, any_, bindparam, select, text, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from cae_contracts.ids import new_id
from cae_payroll.adapters.lines import lines_json, lines_of
from cae_payroll.adapters.store import (
    DocumentKey,
    Employee,
    PayrollSettings,
    Payslip,
    Run,
    RunMember,
    YearToDate,
)
from cae_payroll.domain import documents, engine
from cae_payroll.domain.runs import (
    engine_terms,
    fixed_terms,
    not_paid_by,
    refuse_foreign_item,
    unknown_run,
    year_to_date,
    year_twice,
)
from cae_payroll.usecases.employees import employer_name, settings
from cae_payroll.usecases.runs import run_completed
from caekit import outbox
from caekit.db import get_or_insert, insert_rows
from caekit.period import Period
from caekit.rules import UnknownRecord

logger = logging.getLogger("cae_payroll")
_ISSUED = "payroll_issued"
_WORK = "payroll_run_work"


# -- issuing ------------------------------------------------------------------------------------

def issue_work_item(session: Session, tenant_id: str | None, cooperative_id: str, run_id: str,
                    member_ids: list[str], period: int) -> None:
    """A ``cae.payroll.payslip_requested.v1`` work item of cooperative ``tenant_id``: its
    members' payslips."""
    refuse_foreign_item(tenant_id, cooperative_id)
    issue_payslips(session, cooperative_id, run_id, member_ids, period)


def issue_payslips(session: Session, cooperative_id: str, run_id: str, member_ids: list[str],
                   period: int) -> None:
    """A work item: its members' payslips (what they need loaded in one query)."""
    period = int(period)  # a plain int on the way to the rows, the events and their caches
    work = _run_work(session, cooperative_id, run_id, period, member_ids)
    if work.cancelled:
        logger.info("run %s is cancelled: %d payslips not issued", run_id, len(member_ids))
        return
    for member_id in member_ids:
        _issue(session, work, cooperative_id, run_id, member_id, period)


def issue_payslip(session: Session, cooperative_id: str, run_id: str, member_id: str,
                  period: int) -> dict | None:
    """A worker's share of a run: one payslip, its year to date, its event."""
    period = int(period)
    work = _run_work(session, cooperative_id, run_id, period, [member_id])
    if work.cancelled:
        return None
    return _issue(session, work, cooperative_id, run_id, member_id, period)


def _issue(session: Session, work: _RunWork, cooperative_id: str, run_id: str, member_id: str,
           period: int) -> dict | None:
    member = work.members.get(member_id)
    if member is None or member.activity_code is None or member.gross_cents is None:
        raise not_paid_by(member_id, run_id)
    pending = outbox.transaction_work(session, _ISSUED, _Issued, _write_issued)
    paid_in = pending.periods.get((member_id, period // 100))  # by this transaction
    if member.issued or paid_in == period:
        return None  # issued already (by this run, redelivered, or an earlier run of the month)
    if paid_in is not None:  # two months of a year: one at a time
        raise year_twice(member_id, period // 100)
    kind = (member.cadre, member.withholding_rate, member.monthly_hours_x100)
    terms = work.terms.get(kind)
    if terms is None:
        terms = work.terms[kind] = engine_terms(work, member)
    slip = engine.payslip(work.month, member.gross_cents, terms,
                          year_to_date(member.year_to_date, period))
    row = dict(
        id=new_id(), cooperative_id=cooperative_id, run_id=run_id, member_id=member_id,
        activity_code=member.activity_code, period=period, cadre=member.cadre,
        gross_cents=slip.gross_cents, employee_contributions_cents=slip.employee_contributions_cents,
        employer_contributions_cents=slip.employer_contributions_cents,
        net_social_cents=slip.net_social_cents, net_taxable_cents=slip.net_taxable_cents,
        net_before_tax_cents=slip.net_before_tax_cents, withholding_rate=member.withholding_rate,
        withholding_tax_cents=slip.withholding_tax_cents, net_paid_cents=slip.net_paid_cents,
        employer_cost_cents=slip.employer_cost_cents, urssaf_cents=slip.urssaf_cents,
        other_bodies_cents=slip.other_bodies_cents,
        reduction_coefficient=str(slip.reduction_coefficient), lines=lines_json(slip),
        year_gross_cents=slip.year_to_date.gross_cents, issued_at=datetime.now(UTC),
        monthly_hours_x100=member.monthly_hours_x100)
    after = slip.year_to_date  # the year to date after this month
    pending.periods[member_id, period // 100] = period
    pending.payslips.append(row)
    # the year's first payslip inserts the member's year to date (COPY: a row another
    # transaction inserted meanwhile is a conflict that rolls back and retries, not an
    # overwrite), a later one updates it
    ytd = {"cooperative_id": cooperative_id, "member_id": member_id, "year": period // 100,
        "last_period": period, "gross_cents": after.gross_cents, "smic": str(after.smic),
        "reduction_cents": after.reduction_cents}
    if member.year_to_date:  # updated only if still what this payslip was computed from
        pending.year_to_date.append({**ytd, "previous_period": member.year_to_date.last_period})
    else:
        pending.new_year_to_date.append(ytd)
    pending.runs[run_id] = pending.runs.get(run_id, 0) + 1
    outbox.publish(session, "cae.payroll.payslip_issued.v1", payslip_issued(row, work.paid_on),
                   tenant_id=cooperative_id)
    return row


@functools.lru_cache(maxsize=64)
def _month_texts(period: int) -> tuple[str, str]:
    """A period as an event carries it, and its last day (when its salary is paid unless
    the run fixed another payment date)."""
    month = Period(period)
    return month.text, month.last_day.isoformat()


def payslip_issued(row: dict, paid_on: str | None = None) -> dict:
    """The ``cae.payroll.payslip_issued.v1`` data of a payslip row, paid on ``paid_on``
    (ISO; by default the month's last day)."""
    period, last_day = _month_texts(row["period"])
    paid_on = paid_on or last_day
    return {
        "payslip_id": row["id"], "run_id": row["run_id"], "cooperative_id": row["cooperative_id"],
        "member_id": row["member_id"], "activity_code": row["activity_code"],
        "period": period, "paid_on": paid_on,
        **{name: row[name] for name in (
            "gross_cents", "employee_contributions_cents", "employer_contributions_cents",
            "withholding_tax_cents", "net_paid_cents", "urssaf_cents", "other_bodies_cents")},
    }


@dataclass
class _Issued:
    """What a transaction issued, written at commit."""

    payslips: list = field(default_factory=list)
    new_year_to_date: list = field(default_factory=list)  # rows to insert
    year_to_date: list = field(default_factory=list)  # rows to update
    runs: dict = field(default_factory=dict)  # run id -> payslips issued
    periods: dict = field(default_factory=dict)  # (member id, year) -> the month paid


@dataclass
class _RunWork:
    """What a transaction needs to issue a run's payslips, loaded in one query."""

    staff: int  # the terms the run fixed
    at_rate: str
    month: date  # the run's month, as the engine takes it (its first day)
    members: dict  # member id -> _Member, of those asked for that the run pays
    paid_on: str | None = None  # ISO, the payment date the run fixed (None: the month's last day)
    cancelled: bool = False  # the run was cancelled: nothing more is issued
    asked: set = field(default_factory=set)  # member ids loaded (or known not to be paid)
    terms: dict = field(default_factory=dict)  # (cadre, withholding rate, hours) -> engine.Employee


class _YearToDateRow(NamedTuple):
    last_period: int
    gross_cents: int
    smic: str
    reduction_cents: int


class _Member(NamedTuple):
    activity_code: str | None
    cadre: bool
    withholding_rate: str
    gross_cents: int | None  # the salary in force
    year_to_date: _YearToDateRow | None
    issued: bool  # a payslip of the month exists (the year to date's last month is it)
    monthly_hours_x100: int | None  # the contract's hours the run fixed (None: full time)


def _run_work(session: Session, cooperative_id: str, run_id: str, period: int,
              member_ids: list[str]) -> _RunWork:
    """The run's work for ``member_ids``, loaded once a transaction (a work item's members
    in one query: a cooperative of 2,000 would cost each item its whole run)."""
    runs = outbox.transaction_work(session, _WORK, dict)
    work = runs.get(run_id)
    missing = member_ids if work is None else [m for m in member_ids if m not in work.asked]
    if not missing:
        return work
    query = _RUN_WORK[session.get_bind().dialect.name == "postgresql"]
    rows = session.connection().execute(query, {  # Core, as in _write_issued
        "cooperative_id": cooperative_id, "run_id": run_id, "period": period,
        "year": period // 100, "members": missing}).all()
    if not rows:
        raise unknown_run(run_id, period)
    if work is None:
        staff, at_rate, status, paid_on = rows[0][:4]
        staff, at_rate = fixed_terms(staff, at_rate)
        work = runs[run_id] = _RunWork(staff, at_rate, Period(period).first_day, {},
                                       paid_on=None if paid_on is None else paid_on.isoformat(),
                                       cancelled=status == "cancelled")
    work.asked.update(missing)
    for (_staff, _at_rate, _status, _paid_on, member_id, activity, cadre, withholding, gross,
         hours, last_period, year_gross, smic, reduction) in rows:  # unpacked: a Row's
        if member_id is not None:                                  # attributes cost ~1 us each
            work.members[member_id] = _Member(
                activity, bool(cadre), withholding or "0", gross,
                None if last_period is None else _YearToDateRow(
                    last_period, year_gross, smic, reduction),
                # the year to date is written with each payslip, in its transaction
                last_period == period, hours)
    return work


def _run_work_query(postgresql: bool):
    """A run with the terms it fixed and, a row each, the members asked for with theirs
    and their year to date (whose last month tells whether this one is paid already):
    one round trip for a work item. Built once (building it costs more than running
    it); every table is filtered by the run's cooperative, so the tenant filter's
    criteria would only cost."""
    cooperative = bindparam("cooperative_id")
    member = RunMember.member_id
    ytd = YearToDate.__table__
    of_member = and_(ytd.c.cooperative_id == cooperative, ytd.c.member_id == member,
                     ytd.c.year == bindparam("year"))
    if postgresql:  # looked up member by member: a lateral subquery behind a fence (OFFSET),
        # or the planner, misled by a new table's statistics, scans all the cooperative's
        # rows for each member (quadratic in its size; 40% of the query at 100 members)
        ytd = select(ytd).where(of_member).offset(0).lateral()
        of_member = true()
    return (
        select(Run.staff, Run.at_rate, Run.status, Run.paid_on, member, RunMember.activity_code,
               RunMember.cadre, RunMember.withholding_rate, RunMember.gross_cents,
               RunMember.monthly_hours_x100,
               ytd.c.last_period, ytd.c.gross_cents.label("year_gross_cents"),
               ytd.c.smic, ytd.c.reduction_cents)
        .select_from(Run)
        .outerjoin(RunMember, and_(RunMember.cooperative_id == cooperative,
                                   RunMember.run_id == Run.id,
                                   RunMember.left_out.is_(None),  # a member left out is not paid
                                   # on PostgreSQL one array parameter, not one a member
                                   member == any_(bindparam("members", type_=ARRAY(String)))
                                   if postgresql else
                                   member.in_(bindparam("members", expanding=True))))
        .outerjoin(ytd, of_member)
        .where(Run.cooperative_id == cooperative, Run.id == bindparam("run_id"),
               Run.period == bindparam("period"))
        .execution_options(all_tenants=True))


_RUN_WORK = {True: _run_work_query(True), False: _run_work_query(False)}


class RunCancelledMeanwhile(RuntimeError):
    """The run was cancelled after this transaction loaded it: rolled back and retried
    (the retry finds it cancelled and issues nothing)."""


def _write_issued(session: Session, issued: _Issued) -> None:
    """The transaction's payslips, year to date and run counters, written at commit.

    The runs' rows first: their lock orders this transaction with a cancellation
    (``usecases.runs.cancel_run`` locks the run first too), and a run cancelled
    meanwhile rolls it back."""
    session.flush()
    connection = session.connection()  # Core: the ORM's execution path only costs
    completed = []
    for run_id, n in sorted(issued.runs.items()):
        counted = connection.execute(_ADD_ISSUED, {"run": run_id, "n": n}).first()
        if counted is None:
            raise RunCancelledMeanwhile(f"run {run_id} was cancelled: its payslips are not issued")
        done, expected, cooperative, period = counted
        if done >= expected:
            completed.append((run_id, cooperative, period, done))
    insert_rows(session, Payslip, issued.payslips)  # COPY on PostgreSQL
    insert_rows(session, YearToDate, issued.new_year_to_date)
    _update_year_to_date(session, issued.year_to_date)
    for run_id, cooperative, period, done in completed:
        if connection.execute(_COMPLETE, {"run": run_id, "at": datetime.now(UTC)}).first():
            run_completed(session, run_id, cooperative, period, done)  # not by an earlier one


# Core statements, built once: the ORM's bulk update path costs ~0.5 ms a statement
_runs = Run.__table__
_ADD_ISSUED = (update(_runs).where(_runs.c.id == bindparam("run"), _runs.c.status != "cancelled")
               .values(issued=_runs.c.issued + bindparam("n"))
               .returning(_runs.c.issued, _runs.c.expected, _runs.c.cooperative_id, _runs.c.period))
_COMPLETE = (update(_runs).where(_runs.c.id == bindparam("run"), _runs.c.status == "running")
             .values(status="completed", completed_at=bindparam("at")).returning(_runs.c.id))

# the rows as one JSON parameter: dumped far faster than 7 arrays by psycopg, and an
# UPDATE costs PostgreSQL less than INSERT ... ON CONFLICT DO UPDATE (~17 us a row)
_UPDATE_YTD_POSTGRESQL = text(
    "UPDATE year_to_date AS y SET last_period = r.last_period, gross_cents = r.gross_cents, "
    "smic = r.smic, reduction_cents = r.reduction_cents "
    "FROM json_to_recordset(CAST(:rows AS json)) AS r(cooperative_id varchar, "
    "member_id varchar, year integer, last_period integer, gross_cents bigint, smic varchar, "
    "reduction_cents bigint, previous_period integer) "
    "WHERE y.cooperative_id = r.cooperative_id AND y.member_id = r.member_id "
    "AND y.year = r.year AND y.last_period = r.previous_period")


def _update_year_to_date(session: Session, rows: list[dict]) -> None:
    """The members' year to date replaced (in one statement on PostgreSQL), each only if
    it is still the one its payslip was computed from."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        updated = connection.execute(_UPDATE_YTD_POSTGRESQL,
                                     {"rows": orjson.dumps(rows).decode()}).rowcount
    else:  # row by row, with the same guard (SQLite: tests and the demo)
        updated = connection.execute(_UPDATE_YTD, [{f"new_{k}": v for k, v in row.items()}
                                                   for row in rows]).rowcount
    if updated != len(rows):  # another transaction paid a month meanwhile: retried
        raise RuntimeError(f"{len(rows) - updated} year-to-date rows changed meanwhile")


_ytd = YearToDate.__table__
_UPDATE_YTD = (update(_ytd).where(  # bound as new_<key> of the rows: a column's own name is taken
    _ytd.c.cooperative_id == bindparam("new_cooperative_id"),
    _ytd.c.member_id == bindparam("new_member_id"), _ytd.c.year == bindparam("new_year"),
    _ytd.c.last_period == bindparam("new_previous_period"))
    .values(**{name: bindparam(f"new_{name}")
               for name in ("last_period", "gross_cents", "smic", "reduction_cents")}))


# -- reading ------------------------------------------------------------------------------------

def payslips(session: Session, member_id: str | None = None, period: int | None = None,
             limit: int = 100, status: str | None = None) -> list[Payslip]:
    """The cooperative's payslips by period and member, of ``member_id``, ``period`` and
    ``status`` (issued, cancelled) if given."""
    query = select(Payslip).order_by(Payslip.period, Payslip.member_id, Payslip.issued_at)
    if member_id is not None:
        query = query.where(Payslip.member_id == member_id)
    if period is not None:
        query = query.where(Payslip.period == int(period))
    if status == "issued":
        query = query.where(Payslip.cancel_key == "")
    elif status == "cancelled":
        query = query.where(Payslip.cancel_key != "")
    return list(session.scalars(query.limit(limit)))


def get_payslip(session: Session, payslip_id: str) -> Payslip:
    """The cooperative's payslip ``payslip_id``."""
    row = session.scalar(select(Payslip).where(Payslip.id == str(payslip_id)))
    if row is None:
        raise UnknownRecord("payslip.unknown", f"no payslip {payslip_id} in this cooperative")
    return row


@dataclass(frozen=True)
class Bulletin:
    """What a bulletin de paie shows (``adapters.document``)."""

    payslip: Payslip
    lines: list  # its lines, with their labels (adapters.lines)
    employer: PayrollSettings  # the establishment
    employer_name: str | None  # the cooperative's name in force in the month
    employee: Employee | None  # name, job, classification, address, CESA's start
    paid_on: date  # the payment date its run fixed


def bulletin(session: Session, cooperative_id: str, row: Payslip) -> Bulletin:
    """What a bulletin de paie shows: the payslip, its lines, its employer and employee."""
    month = Period(row.period)
    run = session.get(Run, row.run_id)
    paid_on = run.paid_on if run is not None and run.paid_on is not None else month.last_day
    return Bulletin(row, lines_of(row), settings(session, cooperative_id),
                    employer_name(session, cooperative_id, month.last_day),
                    session.get(Employee, (cooperative_id, row.member_id)), paid_on)


# -- signed links to a payslip's document ---------------------------------------------------------

def document_link(session: Session, cooperative_id: str, payslip_id: str,
                  now: float | None = None) -> tuple[int, str]:
    """(expiry, signature) of a link opening ``payslip_id``'s document for
    ``documents.LINK_SECONDS`` (the cooperative's key made on its first link)."""
    expires = int(time.time() if now is None else now) + documents.LINK_SECONDS
    return expires, documents.signature(_key(session, cooperative_id), cooperative_id,
                                        str(payslip_id), expires)


def linked_payslip(session: Session, cooperative_id: str, payslip_id: str, expires: int,
                   signed: str, now: float | None = None) -> Payslip:
    """The payslip a signed link opens (``documents.LinkRefused`` for a forged, altered or
    expired one)."""
    key = session.get(DocumentKey, cooperative_id)
    if key is None:  # no link was ever made for the cooperative: none is ours
        raise documents.LinkRefused("link.invalid", documents.INVALID)
    documents.check_link(bytes.fromhex(key.secret), cooperative_id, str(payslip_id), expires,
                         signed, int(time.time() if now is None else now))
    return get_payslip(session, payslip_id)


def _key(session: Session, cooperative_id: str) -> bytes:
    """The cooperative's link key, made (32 random bytes) on its first link."""
    row = get_or_insert(session, DocumentKey, cooperative_id, cooperative_id=cooperative_id,
                        secret=secrets.token_hex(32), created_at=datetime.now(UTC))
    return bytes.fromhex(row.secret)
