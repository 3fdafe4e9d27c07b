"""The ledger store: SQLAlchemy models (migrations in ./migrations)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from caekit.db import TenantScoped


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
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Activity(TenantScoped, Base):
    """An activity (enseigne): the unit of analytic accounting, keyed by its code."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("cooperative_id", "code", name="uq_activities_code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    member_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by_event: Mapped[str] = mapped_column(String(36))
