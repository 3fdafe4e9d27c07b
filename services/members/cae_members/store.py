"""The members store: SQLAlchemy models (migrations in ./migrations)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from caekit.db import TenantScoped


class Base(DeclarativeBase):
    pass


class Cooperative(Base):
    """A tenant of the platform. Its own id is the tenant id."""

    __tablename__ = "cooperatives"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    siren: Mapped[str] = mapped_column(String(9), unique=True)
    legal_form: Mapped[str] = mapped_column(String(20))
    statute_profile: Mapped[str] = mapped_column(String(20), server_default="scop-sarl")
    default_contribution_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4), server_default="0.1")
    staff_size_bracket: Mapped[str] = mapped_column(String(20), server_default="under_11")
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_by: Mapped[str] = mapped_column(String(200))

    @property
    def cooperative_id(self) -> str:
        return self.id


class Member(TenantScoped, Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("cooperative_id", "activity_code", name="uq_members_activity"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    joined_on: Mapped[date] = mapped_column(Date)
    activity_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    activity_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    correlation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
