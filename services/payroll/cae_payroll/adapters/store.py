"""The payroll store: SQLAlchemy models (migrations in ./migrations).

Read models fed by other services' events: ``employees`` (members' contracts and
activities), ``employer_names`` (members' cooperative registered and updated) and
``budgets`` (the ledger's ``activity_balance_changed``). A live payslip is unique per
member and month: whatever the workers do, it exists once. A cancelled run and its
payslips are kept: their ``cancel_key`` (empty while live, the run's id once
cancelled) takes them out of the month's uniqueness, so the month can be run again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from caekit.db import TenantScoped


class Base(DeclarativeBase):
    pass


class PayrollSettings(TenantScoped, Base):
    """A cooperative's payroll settings: headcount (decides some rates) and accident rate,
    and the establishment its payslips name (Code du travail R3243-1)."""

    __tablename__ = "payroll_settings"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    staff: Mapped[int] = mapped_column(Integer, default=1)
    at_rate: Mapped[str] = mapped_column(String(12), default="0.007")
    run_day: Mapped[int | None] = mapped_column(Integer, nullable=True)  # automatic run's day
    payment_day: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: last day
    siret: Mapped[str | None] = mapped_column(String(14), nullable=True)
    ape_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    urssaf_body: Mapped[str | None] = mapped_column(String(100), nullable=True)
    urssaf_number: Mapped[str | None] = mapped_column(String(30), nullable=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)  # lines: \n
    convention_idcc: Mapped[str | None] = mapped_column(String(4), nullable=True)
    convention_title: Mapped[str | None] = mapped_column(String(200), nullable=True)


class EmployerName(TenantScoped, Base):
    """The cooperative's name from a date (members' registered and updated events): a
    payslip shows the one in force in its month."""

    __tablename__ = "employer_names"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    effective_on: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class DocumentKey(TenantScoped, Base):
    """The cooperative's key for signed document links (domain.documents), made on the
    first link: every payroll process verifies the links another made."""

    __tablename__ = "document_keys"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))  # 32 random bytes, hex
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    # what the payslip says of them, from the payroll terms staff set
    job_title: Mapped[str | None] = mapped_column(String(100), nullable=True)
    classification: Mapped[str | None] = mapped_column(String(100), nullable=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # the contract's monthly hours in hundredths (None: full time, 151.67 h)
    monthly_hours_x100: Mapped[int | None] = mapped_column(Integer, nullable=True)


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
    __table_args__ = (UniqueConstraint("cooperative_id", "period", "cancel_key",
                                       name="uq_runs_live_period"),)

    cooperative_id: Mapped[str] = mapped_column(String(36))  # indexed by uq_runs_live_period
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # running | completed | cancelled
    expected: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_by: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # the cooperative's terms when the run started (None: a run started before 0004 for a
    # cooperative that had set none, paid on the defaults)
    staff: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at_rate: Mapped[str | None] = mapped_column(String(12), nullable=True)
    # when its salaries are paid (None: a run started before 0006, the month's last day)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # "" while live; the run's own id once cancelled (out of uq_runs_live_period)
    cancel_key: Mapped[str] = mapped_column(String(36), default="", server_default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class RunMember(TenantScoped, Base):
    """Who a run pays and on what terms, fixed when it starts: a resumed run asks for the
    same ones, and a change made meanwhile (a salary, a contract) is next month's. A CESA
    holder it leaves out is here too, with the rule that leaves them out."""

    __tablename__ = "run_members"

    cooperative_id: Mapped[str] = mapped_column(String(36))
    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    activity_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cadre: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    withholding_rate: Mapped[str | None] = mapped_column(String(12), nullable=True)
    gross_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the salary in force
    monthly_hours_x100: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: full
    left_out: Mapped[str | None] = mapped_column(String(40), nullable=True)  # None: paid


class Payslip(TenantScoped, Base):
    __tablename__ = "payslips"
    __table_args__ = (UniqueConstraint("cooperative_id", "member_id", "period", "cancel_key",
                                       name="uq_payslips_live_member_period"),)

    # indexed by uq_payslips_live_member_period: one index less to keep up at 100,000 payslips
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
    monthly_hours_x100: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: full
    # "" while live; its run's id once the run is cancelled (out of the month's uniqueness)
    cancel_key: Mapped[str] = mapped_column(String(36), default="", server_default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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
