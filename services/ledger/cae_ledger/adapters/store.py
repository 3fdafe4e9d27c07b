"""The ledger store: SQLAlchemy models (migrations in ./migrations).

Entries and their lines are never updated or deleted: the migrations add
triggers that refuse it in the database itself. Balances are kept current in
``account_balances`` (per account, analytic code and month) and
``activity_balances`` (one row per activity), so that no query sums lines.

Every timestamp is stored and read back in UTC, with its offset (:class:`UtcDateTime`):
SQLite keeps no offset, and PostgreSQL answers in the session's time zone.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cae_ledger.domain.contribution import Band, Schedule
from caekit.db import TenantScoped, UtcDateTime

# a 64-bit key that SQLite still treats as its ROWID (autoincrement)
BigKey = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    pass


class LedgerAccount(TenantScoped, Base):
    """An account of a cooperative's chart: a general account, or an activity's auxiliary one."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("cooperative_id", "number", name="uq_accounts_number"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    general_account: Mapped[str] = mapped_column(String(8))
    activity_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Activity(TenantScoped, Base):
    """An activity (enseigne): the unit of analytic accounting, keyed by its code."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("cooperative_id", "code", name="uq_activities_code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    member_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_by_event: Mapped[str] = mapped_column(String(36))


class Cooperative(TenantScoped, Base):
    """What the ledger knows of a cooperative: its SIREN (FEC file name) and its settings."""

    __tablename__ = "cooperatives"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    contribution_basis: Mapped[str] = mapped_column(String(10), default="payment")


class Entry(TenantScoped, Base):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "reverses", name="uq_entries_reversed_once"),
        Index("ix_entries_year_seq", "cooperative_id", "fiscal_year", "seq"),
        Index("ix_entries_piece", "cooperative_id", "activity_code", "piece_ref"),
        Index("ix_entries_payroll_run", "cooperative_id", "payroll_run_id"),
    )

    seq: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    journal: Mapped[str] = mapped_column(String(4))
    entry_date: Mapped[date] = mapped_column(Date)
    period: Mapped[int] = mapped_column(Integer)  # yyyymm
    fiscal_year: Mapped[int] = mapped_column(Integer)
    piece_ref: Mapped[str] = mapped_column(String(60))
    piece_date: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    activity_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    revenue_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # the revenue this entry added to its year's contribution bands: its revenue if its
    # kind was the cooperative's contribution basis when posted, else None (a reversal
    # takes back exactly this, whatever the basis is by then)
    contribution_base_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    reverses: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # the entry this one derives from (a contribution: the payment it was charged on)
    origin_entry: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    posted_by: Mapped[str] = mapped_column(String(100))
    caused_by_event: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # a salary (and its reversal): the payroll run of its payslip, to reverse the run's
    # salaries when it is cancelled
    payroll_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)

    lines: Mapped[list[EntryLine]] = relationship(order_by="EntryLine.id", lazy="selectin")


class EntryLine(TenantScoped, Base):
    __tablename__ = "entry_lines"
    __table_args__ = (
        CheckConstraint("debit_cents >= 0 AND credit_cents >= 0 AND "
                        "(debit_cents = 0) <> (credit_cents = 0)", name="ck_entry_lines_one_side"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    entry_seq: Mapped[int] = mapped_column(ForeignKey("entries.seq"), index=True)
    account: Mapped[str] = mapped_column(String(40))
    general_account: Mapped[str] = mapped_column(String(8))
    activity_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    debit_cents: Mapped[int] = mapped_column(BigInteger)
    credit_cents: Mapped[int] = mapped_column(BigInteger)


class AccountBalance(TenantScoped, Base):
    """Debit and credit totals of an account on an analytic code ('' = shared) in a month."""

    __tablename__ = "account_balances"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account: Mapped[str] = mapped_column(String(40), primary_key=True)
    analytic: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    debit_cents: Mapped[int] = mapped_column(BigInteger)
    credit_cents: Mapped[int] = mapped_column(BigInteger)


class ActivityBalance(TenantScoped, Base):
    """An activity's budget components, kept current (see cae_ledger.domain.entries.Budget)."""

    __tablename__ = "activity_balances"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    activity_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    cash_received_cents: Mapped[int] = mapped_column(BigInteger)
    contribution_cents: Mapped[int] = mapped_column(BigInteger)
    expenses_cents: Mapped[int] = mapped_column(BigInteger)
    salary_costs_cents: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ActivityYear(TenantScoped, Base):
    """The revenue HT an activity's contribution was charged on so far in a year (band base)."""

    __tablename__ = "activity_years"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    activity_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    revenue_cents: Mapped[int] = mapped_column(BigInteger)


class ContributionSchedule(TenantScoped, Base):
    """A version of a contribution schedule, in force from ``effective_on``.

    ``activity_code`` '' is the cooperative's schedule; a code is that activity's override.
    """

    __tablename__ = "contribution_schedules"
    __table_args__ = (UniqueConstraint("cooperative_id", "activity_code", "effective_on",
                                       name="uq_contribution_schedules_version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    activity_code: Mapped[str] = mapped_column(String(20), default="")
    effective_on: Mapped[date] = mapped_column(Date)
    bands: Mapped[str] = mapped_column(Text)  # JSON [[threshold_cents, "rate"], ...]
    monthly_minimum_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))

    @property
    def schedule(self) -> Schedule:
        """The version as the domain's schedule."""
        return Schedule(self.effective_on, tuple(Band(int(threshold), Decimal(rate))
                                                 for threshold, rate in json.loads(self.bands)),
                        self.monthly_minimum_cents)

    @staticmethod
    def stored_bands(schedule: Schedule) -> str:
        """A schedule's bands as the ``bands`` column keeps them."""
        return json.dumps([[band.threshold_cents, str(band.rate)] for band in schedule.bands])


class ClosedPeriod(TenantScoped, Base):
    __tablename__ = "closed_periods"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_by: Mapped[str] = mapped_column(String(100))


class PayrollRun(TenantScoped, Base):
    """A payroll run the ledger heard of: by its first payslip, or by its cancellation.

    Its row is what a payslip of the run and the run's cancellation serialize on: a payslip
    reads it with a shared lock (payslips of a run are posted side by side), a cancellation
    writes it (and so waits for the payslips being posted, then reverses them; a payslip
    arriving after it reads ``cancelled_on`` and posts nothing)."""

    __tablename__ = "payroll_runs"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[int] = mapped_column(Integer)  # yyyymm
    cancelled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
