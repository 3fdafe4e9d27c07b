"""The matching store: SQLAlchemy models (migrations in ./migrations).

Read models fed by members' events: ``cooperatives``, ``people`` (joined, left) and
``activities`` (opened, closed, with their entrepreneurs in ``activity_members``).

What the entrepreneurs write: ``profiles`` (one per member, with the consent to the
network as one boolean per field, ``share_<field>``; every change of it kept in
``consent_changes``), ``profile_skills``, ``availabilities``, ``absences``; the search
index ``search_documents`` (one row per profile and searchable field: the field's text
as written in ``body`` and, for SQLite's FTS5, its normalised stems in ``terms``).

What the cooperative's staff write: ``certifications`` (and the activities that may use
them), ``calls`` for tenders with their ``call_requirements``, the ``proposals`` made for
them and their ``proposal_members``, professional ``groups`` and their members.

The skill taxonomy (``concepts``, ``concept_labels``, ``concept_broader``) is shared by
every cooperative: ESCO concepts keyed by their URI.

Ranges: coordinates in micro-degrees (integers: latitude -90,000,000 to 90,000,000);
amounts in integer cents (0 to 10^12, ``caekit.bounds``); dates within the kit's range.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import BigInteger

from caekit.db import TenantScoped, UtcDateTime

ID = 36


class Base(DeclarativeBase):
    pass


# -- read models of members ---------------------------------------------------------------
class Cooperative(TenantScoped, Base):
    """A cooperative, and its settings (``retention_days``: how long after a member
    leaves their profile is kept before it is erased)."""

    __tablename__ = "cooperatives"

    cooperative_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    retention_days: Mapped[int] = mapped_column(Integer, default=90)


class Person(TenantScoped, Base):
    __tablename__ = "people"
    __table_args__ = (Index("ix_people_left_on", "left_on"),)

    member_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    erased: Mapped[bool] = mapped_column(Boolean, default=False)


class Activity(TenantScoped, Base):
    __tablename__ = "activities"

    activity_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class ActivityMember(TenantScoped, Base):
    __tablename__ = "activity_members"

    activity_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(ID), primary_key=True, index=True)


# -- profiles -----------------------------------------------------------------------------
class Profile(TenantScoped, Base):
    """What a member says of their work. ``share_<field>``: visible to the network."""

    __tablename__ = "profiles"
    __table_args__ = (Index("ix_profiles_place", "latitude_e6", "longitude_e6"),)

    member_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    presentation: Mapped[str | None] = mapped_column(Text, nullable=True)
    trades: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of strings
    languages: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {code, level}
    references: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {title, ...}
    commune: Mapped[str | None] = mapped_column(String(200), nullable=True)
    commune_code: Mapped[str | None] = mapped_column(String(5), nullable=True)  # INSEE
    latitude_e6: Mapped[int | None] = mapped_column(Integer, nullable=True)
    longitude_e6: Mapped[int | None] = mapped_column(Integer, nullable=True)
    travel_radius_km: Mapped[int] = mapped_column(Integer, default=0)
    day_rate_min_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    day_rate_max_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    share_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    share_presentation: Mapped[bool] = mapped_column(Boolean, default=False)
    share_skills: Mapped[bool] = mapped_column(Boolean, default=False)
    share_trades: Mapped[bool] = mapped_column(Boolean, default=False)
    share_languages: Mapped[bool] = mapped_column(Boolean, default=False)
    share_place: Mapped[bool] = mapped_column(Boolean, default=False)
    share_day_rate: Mapped[bool] = mapped_column(Boolean, default=False)
    share_availability: Mapped[bool] = mapped_column(Boolean, default=False)
    share_references: Mapped[bool] = mapped_column(Boolean, default=False)


class ConsentChange(TenantScoped, Base):
    """One change of one field's visibility to the network, dated and kept."""

    __tablename__ = "consent_changes"
    __table_args__ = (Index("ix_consent_changes_member", "member_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(String(ID))
    field: Mapped[str] = mapped_column(String(20))
    network: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    changed_by: Mapped[str] = mapped_column(String(200))


class ProfileSkill(TenantScoped, Base):
    """A skill of a profile: a taxonomy concept (``concept_uri``) or free text mapped to
    none; ``level`` 1 to 4, ``years`` 0 to 60."""

    __tablename__ = "profile_skills"
    __table_args__ = (Index("ix_profile_skills_concept", "concept_uri", "level"),)

    member_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    concept_uri: Mapped[str | None] = mapped_column(String(200), nullable=True)
    label: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    years: Mapped[int] = mapped_column(Integer, default=0)


class Availability(TenantScoped, Base):
    __tablename__ = "availabilities"

    member_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    days_per_week: Mapped[int] = mapped_column(Integer, default=5)


class Absence(TenantScoped, Base):
    """An absence declared by an entrepreneur (illness, leave), for replacements."""

    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_member", "member_id", "starts_on"),)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(ID))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime)
    suggestions: Mapped[str] = mapped_column(Text, default="[]")  # JSON, when declared


class SearchDocument(TenantScoped, Base):
    """One searchable field of one profile: ``body`` as written (PostgreSQL indexes it with
    the ``cae_french`` configuration), ``terms`` its normalised stems (SQLite's FTS5)."""

    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_member", "member_id", "field", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(String(ID))
    field: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text, default="")


# -- the cooperative's certifications, calls and groups -------------------------------------
class Certification(TenantScoped, Base):
    """A certification the cooperative holds (``kind``: qualiopi, rge, ...), with its scope
    and validity; ``all_activities`` or the activities listed may use it."""

    __tablename__ = "certifications"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(Text, nullable=True)
    number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    all_activities: Mapped[bool] = mapped_column(Boolean, default=False)


class CertificationActivity(TenantScoped, Base):
    __tablename__ = "certification_activities"

    certification_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(ID), primary_key=True)


class Call(TenantScoped, Base):
    """A call for tenders the cooperative answers. ``scope``: cooperative (its own members)
    or network (consenting members of every cooperative); ``objective``: smallest team or
    cheapest at day rates; ``status``: draft, published, proposed, staffed, closed."""

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_created", "cooperative_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    buyer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    commune: Mapped[str | None] = mapped_column(String(200), nullable=True)
    latitude_e6: Mapped[int | None] = mapped_column(Integer, nullable=True)
    longitude_e6: Mapped[int | None] = mapped_column(Integer, nullable=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    budget_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    certifications: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of kinds
    objective: Mapped[str] = mapped_column(String(20), default="smallest")
    scope: Mapped[str] = mapped_column(String(20), default="cooperative")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CallRequirement(TenantScoped, Base):
    __tablename__ = "call_requirements"

    call_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    concept_uri: Mapped[str | None] = mapped_column(String(200), nullable=True)
    label: Mapped[str] = mapped_column(String(200))
    min_level: Mapped[int] = mapped_column(Integer, default=1)
    people: Mapped[int] = mapped_column(Integer, default=1)
    certifications: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of kinds


class Proposal(TenantScoped, Base):
    """A team proposed for a call, ranked among its alternatives. ``status``: proposed,
    accepted (every member accepted), declined (a member declined), superseded."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_call", "call_id", "rank"),)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(ID))
    rank: Mapped[int] = mapped_column(Integer)
    cost: Mapped[int] = mapped_column(BigInteger)
    objective: Mapped[str] = mapped_column(String(20))
    proven_optimal: Mapped[bool] = mapped_column(Boolean)
    lower_bound: Mapped[int] = mapped_column(BigInteger)
    gap: Mapped[str] = mapped_column(String(40))  # a fraction, e.g. 1/10
    method: Mapped[str] = mapped_column(String(20))  # exact | greedy
    guarantee: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ProposalMember(TenantScoped, Base):
    """A member of a proposed team (``member_cooperative_id``: theirs, which may be another
    cooperative's on a network call), the requirements they cover, and their answer."""

    __tablename__ = "proposal_members"
    __table_args__ = (Index("ix_proposal_members_member", "member_id"),)

    proposal_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    member_cooperative_id: Mapped[str] = mapped_column(String(ID))
    covers: Mapped[str] = mapped_column(Text)  # JSON list of requirement codes
    day_rate_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    answer: Mapped[str] = mapped_column(String(20), default="pending")  # accepted | declined
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Group(TenantScoped, Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class GroupMember(TenantScoped, Base):
    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(ID), primary_key=True, index=True)


# -- the taxonomy (every cooperative's) ---------------------------------------------------------
class Concept(Base):
    """An ESCO concept: ``kind`` skill or occupation, its preferred label in ``language``."""

    __tablename__ = "concepts"

    uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(5))
    skill_type: Mapped[str | None] = mapped_column(String(60), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(100))  # e.g. "ESCO v1.2.0 (fr), adapted"


class ConceptLabel(Base):
    """Every label of a concept (preferred, alternative, hidden), with its normalised stems
    (``terms``) for looking a free-text skill up."""

    __tablename__ = "concept_labels"
    __table_args__ = (Index("ix_concept_labels_terms", "terms"),)

    uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    label: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # preferred | alt | hidden
    terms: Mapped[str] = mapped_column(String(300))


class ConceptBroader(Base):
    """``uri`` is narrower than ``broader_uri`` (ESCO's broader relations)."""

    __tablename__ = "concept_broader"
    __table_args__ = (Index("ix_concept_broader_broader", "broader_uri"),)

    uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    broader_uri: Mapped[str] = mapped_column(String(200), primary_key=True)


class OccupationSkill(Base):
    """An occupation's essential or optional skill (ESCO's occupation-skill relations)."""

    __tablename__ = "occupation_skills"

    occupation_uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    skill_uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    relation: Mapped[str] = mapped_column(String(20))  # essential | optional
