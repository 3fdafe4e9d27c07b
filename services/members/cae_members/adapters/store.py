"""The members store: SQLAlchemy models (migrations in ./migrations)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from caekit.db import TenantScoped, UtcDateTime


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
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    registered_by: Mapped[str] = mapped_column(String(200))

    @property
    def cooperative_id(self) -> str:
        return self.id


class Member(TenantScoped, Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "activity_code", name="uq_members_activity"),
        UniqueConstraint("cooperative_id", "external_ref", name="uq_members_external_ref"),
        # the listing's order, so that each page of it is a range of this index
        Index("ix_members_listing", "cooperative_id", "last_name", "first_name", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    joined_on: Mapped[date] = mapped_column(Date)
    activity_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    activity_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    correlation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # the identifier an imported person had in the cooperative's previous tool
    external_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # the three-year rule (Code du travail L7331-3), set when the CESA is signed
    associate_deadline: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    associate_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    left_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Contract(TenantScoped, Base):
    """A CAPE or a CESA. Never deleted; an ended contract records when and why."""

    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(4))
    signed_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    renewals: Mapped[int] = mapped_column(default=0)
    trial_ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(200))


class DeadlineAlert(TenantScoped, Base):
    """An associate-deadline alert already published: the daily scan sends each once."""

    __tablename__ = "deadline_alerts"
    __table_args__ = (UniqueConstraint("member_id", "kind", "deadline", name="uq_deadline_alerts"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(20))
    deadline: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date] = mapped_column(Date)


class FollowUpInterview(TenantScoped, Base):
    """An individual follow-up interview (décret 2015-1363: at least two a year)."""

    __tablename__ = "follow_up_interviews"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))


class Activity(TenantScoped, Base):
    """An activity (enseigne): one or more entrepreneurs, an analytic code unique in the
    cooperative, and optionally its own contribution rate."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("cooperative_id", "code", name="uq_activities_code"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    contribution_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(200))


class ActivityMember(TenantScoped, Base):
    __tablename__ = "activity_members"

    activity_id: Mapped[str] = mapped_column(ForeignKey("activities.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)


class MemberStep(TenantScoped, Base):
    """One dated step of a person's history (candidate, diagnostic, CAPE, CESA, associate,
    exited). Never updated: a mistake is fixed by a later row that ``corrects`` it."""

    __tablename__ = "member_steps"
    __table_args__ = (UniqueConstraint("member_id", "seq", name="uq_member_steps_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    seq: Mapped[int] = mapped_column()
    stage: Mapped[str] = mapped_column(String(12))
    on: Mapped[date] = mapped_column(Date)
    corrects: Mapped[int | None] = mapped_column(nullable=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))


class CooperativeVersion(Base):
    """A cooperative's settings from a date on. Versions are kept; the one in force on a day
    is the latest with ``effective_on`` on or before it."""

    __tablename__ = "cooperative_versions"
    __table_args__ = (UniqueConstraint("cooperative_id", "effective_on", "recorded_at",
                                       name="uq_cooperative_versions"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    legal_form: Mapped[str] = mapped_column(String(20))
    statute_profile: Mapped[str] = mapped_column(String(20))
    default_contribution_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    staff_size_bracket: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))
