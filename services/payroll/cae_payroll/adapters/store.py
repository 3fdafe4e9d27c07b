"""The payroll store: SQLAlchemy models (migrations in ./migrations).

Read models fed by other services' events: ``employees`` (members' contracts and
activities) and ``budgets`` (the ledger's ``activity_balance_changed``). A payslip
is unique per member and month: whatever the workers do, it exists once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from caekit.db import TenantScoped


class Base(DeclarativeBase):
    pass


class PayrollSettings(TenantScoped, Base):
    """A cooperative's payroll settings: headcount (decides some rates) and accident rate."""

    __tablename__ = "payroll_settings"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    staff: Mapped[int] = mapped_column(Integer, default=1)
    at_rate: Mapped[str] = mapped_column(String(12), default="0.007")
    run_day: Mapped[int | None] = mapped_column(Integer, nullable=True)  # automatic run's day


class Employee(TenantScoped, Base):
    """An entrepreneur under CESA, from members' events, with their payroll terms."""

    __tablename__ = "employees"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    activity_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    contract_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    cesa_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    cesa_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    cadre: Mapped[bool] = mapped_column(Boolean, default=False)
    withholding_rate: Mapped[str] = mapped_column(String(12), default="0")


class Budget(TenantScoped, Base):
    """An activity's available budget, as the ledger last announced it."""

    __tablename__ = "budgets"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    activity_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    available_cents: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SalaryChoice(TenantScoped, Base):
    """The gross salary chosen from a month on (in force until a later choice)."""

    __tablename__ = "salary_choices"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)  # yyyymm
    gross_cents: Mapped[int] = mapped_column(BigInteger)
    employer_cost_cents: Mapped[int] = mapped_column(BigInteger)
    available_cents: Mapped[int] = mapped_column(BigInteger)
    override_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    chosen_by: Mapped[str] = mapped_column(String(100))
    chosen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Run(TenantScoped, Base):
    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("cooperative_id", "period", name="uq_runs_period"),)

    cooperative_id: Mapped[str] = mapped_column(String(36))  # indexed by uq_runs_period
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # running | completed
    expected: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_by: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # the cooperative's terms when the run started (None: a run started before 0004 for a
    # cooperative that had set none, paid on the defaults)
    staff: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at_rate: Mapped[str | None] = mapped_column(String(12), nullable=True)


class RunMember(TenantScoped, Base):
    """Who a run pays and on what terms, fixed when it starts: a resumed run asks for the
    same ones, and a change made meanwhile (a salary, a contract) is next month's."""

    __tablename__ = "run_members"

    cooperative_id: Mapped[str] = mapped_column(String(36))
    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    activity_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cadre: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    withholding_rate: Mapped[str | None] = mapped_column(String(12), nullable=True)
    gross_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the salary in force


class Payslip(TenantScoped, Base):
    __tablename__ = "payslips"
    __table_args__ = (UniqueConstraint("cooperative_id", "member_id", "period",
                                       name="uq_payslips_member_period"),)

    # indexed by uq_payslips_member_period: one index less to keep up at 100,000 payslips
    cooperative_id: Mapped[str] = mapped_column(String(36))
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36), index=True)
    member_id: Mapped[str] = mapped_column(String(36))
    activity_code: Mapped[str] = mapped_column(String(20))
    period: Mapped[int] = mapped_column(Integer)
    cadre: Mapped[bool] = mapped_column(Boolean)
    gross_cents: Mapped[int] = mapped_column(BigInteger)
    employee_contributions_cents: Mapped[int] = mapped_column(BigInteger)
    employer_contributions_cents: Mapped[int] = mapped_column(BigInteger)
    net_social_cents: Mapped[int] = mapped_column(BigInteger)
    net_taxable_cents: Mapped[int] = mapped_column(BigInteger)
    net_before_tax_cents: Mapped[int] = mapped_column(BigInteger)
    withholding_rate: Mapped[str] = mapped_column(String(12))
    withholding_tax_cents: Mapped[int] = mapped_column(BigInteger)
    net_paid_cents: Mapped[int] = mapped_column(BigInteger)
    employer_cost_cents: Mapped[int] = mapped_column(BigInteger)
    urssaf_cents: Mapped[int] = mapped_column(BigInteger)
    other_bodies_cents: Mapped[int] = mapped_column(BigInteger)
    reduction_coefficient: Mapped[str] = mapped_column(String(12))
    lines: Mapped[str] = mapped_column(Text)  # JSON: every line, base, rates, amounts
    year_gross_cents: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class YearToDate(TenantScoped, Base):
    """A member's pay so far in a year (the general reduction is computed on it)."""

    __tablename__ = "year_to_date"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_period: Mapped[int] = mapped_column(Integer)
    gross_cents: Mapped[int] = mapped_column(BigInteger)
    smic: Mapped[str] = mapped_column(String(30))  # Decimal euros, unrounded
    reduction_cents: Mapped[int] = mapped_column(BigInteger)
