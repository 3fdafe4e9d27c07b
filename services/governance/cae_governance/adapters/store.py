"""The governance store: SQLAlchemy models (migrations in ./migrations).

Read models fed by members' events: ``cooperatives`` (name, form, statute profile) and
``people`` (who joined, became an associate, left). Everything else is the assemblies'
own record: the electorate fixed at each assembly's record date (``electors``), the
agenda (``resolutions``, ``documents``), the proxy book, the sign-in sheet, postal
forms, the votes, and the minutes.

Secret ballots (docs/adr/0013-sealed-ballots.md) are kept in three tables that never
hold a voter and a choice on one row in the clear:

* ``poll_voters``: who voted on a secret resolution (the émargement), without receipt or
  choice;
* ``sealed_ballots``: during the poll, each ballot sealed (AES-GCM) under the poll's key,
  itself stored only wrapped under the service's ballot key (not in the database); the
  row holds a random nonce and the ciphertext, no voter, no time, no sequence;
* ``ballots``: at the poll's close, the ballots opened, stripped of the voter and written
  at once, ordered by their random receipt code; the sealed rows and the poll key are
  then deleted. A published ballot holds its poll, receipt, college and choice only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from caekit.db import TenantScoped, UtcDateTime


class Base(DeclarativeBase):
    pass


class Cooperative(TenantScoped, Base):
    """A cooperative as governance knows it: its profile, and its own settings over it
    (``settings``: JSON of the overrides, the SCIC colleges, who may attend)."""

    __tablename__ = "cooperatives"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    legal_form: Mapped[str | None] = mapped_column(String(20), nullable=True)
    statute_profile: Mapped[str | None] = mapped_column(String(20), nullable=True)
    settings: Mapped[str] = mapped_column(Text, default="{}")


class Person(TenantScoped, Base):
    """A member of the cooperative, and the dates they became and stopped being an associate."""

    __tablename__ = "people"

    cooperative_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    joined_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    associate_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    college: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Assembly(TenantScoped, Base):
    __tablename__ = "assemblies"
    __table_args__ = (Index("ix_assemblies_held_at", "cooperative_id", "held_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # ordinary | extraordinary | combined
    convocation: Mapped[int] = mapped_column(Integer)  # 1 or 2
    first_assembly_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    held_at: Mapped[datetime] = mapped_column(UtcDateTime)
    place: Mapped[str | None] = mapped_column(String(300), nullable=True)
    video_link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    convened_on: Mapped[date] = mapped_column(Date)
    convened_by: Mapped[str] = mapped_column(String(200))
    record_date: Mapped[date] = mapped_column(Date)
    # convened | open | closed | quorum_lacking
    status: Mapped[str] = mapped_column(String(20), default="convened")
    profile: Mapped[str] = mapped_column(Text)  # the profile and settings fixed at convocation
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    chair: Mapped[str | None] = mapped_column(String(200), nullable=True)
    secretary: Mapped[str | None] = mapped_column(String(200), nullable=True)
    debate_summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    attendance: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, at opening
    quorum: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, at opening


class Elector(TenantScoped, Base):
    """An associate of the electorate fixed at the assembly's record date."""

    __tablename__ = "electors"

    assembly_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(201))
    college: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Document(TenantScoped, Base):
    """A document put at the associates' disposal with the convocation."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    assembly_id: Mapped[str] = mapped_column(String(36), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class Resolution(TenantScoped, Base):
    __tablename__ = "resolutions"
    __table_args__ = (Index("ix_resolutions_assembly", "assembly_id", "position"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    assembly_id: Mapped[str] = mapped_column(String(36))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # ordinary | extraordinary | election
    from_managers: Mapped[bool] = mapped_column(Boolean)
    secret: Mapped[bool] = mapped_column(Boolean)
    effect: Mapped[str] = mapped_column(String(30))
    effect_data: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    proposed_by: Mapped[str] = mapped_column(Text)  # JSON list of associates, [] = convener
    # pending | open | adopted | rejected | not_deliberated
    status: Mapped[str] = mapped_column(String(20), default="pending")
    result: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    poll_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # wrapped


class ProxyRecord(TenantScoped, Base):
    """A proxy given for an assembly; a revoked one is kept with its revocation."""

    __tablename__ = "proxies"
    __table_args__ = (Index("ix_proxies_assembly", "assembly_id", "giver"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assembly_id: Mapped[str] = mapped_column(String(36))
    giver: Mapped[str] = mapped_column(String(36))
    holder: Mapped[str | None] = mapped_column(String(36), nullable=True)  # None: blank
    given_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SignIn(TenantScoped, Base):
    """A line of the attendance sheet: in person or remote."""

    __tablename__ = "sign_ins"

    assembly_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mode: Mapped[str] = mapped_column(String(20))  # in_person | remote
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PostalForm(TenantScoped, Base):
    """A postal voting form received before the assembly (its votes are in ``votes`` or
    sealed with ``postal`` set)."""

    __tablename__ = "postal_forms"

    assembly_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Participant(TenantScoped, Base):
    """Who takes part, fixed when the assembly opens: in person, remote, by post, or
    represented (``holder``: their proxy holder, None for a blank proxy)."""

    __tablename__ = "participants"

    assembly_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mode: Mapped[str] = mapped_column(String(20))  # in_person | remote | postal | represented
    holder: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Vote(TenantScoped, Base):
    """An open ballot: who, cast by whom, what (``choice``: for, against, abstain, blank,
    or for an election the candidates chosen, comma-separated)."""

    __tablename__ = "votes"

    resolution_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    voter: Mapped[str] = mapped_column(String(36), primary_key=True)
    cast_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    choice: Mapped[str] = mapped_column(Text)
    postal: Mapped[bool] = mapped_column(Boolean, default=False)


class PollVoter(TenantScoped, Base):
    """Who voted on a secret resolution (the émargement): no receipt, no choice."""

    __tablename__ = "poll_voters"

    resolution_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    voter: Mapped[str] = mapped_column(String(36), primary_key=True)
    cast_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    postal: Mapped[bool] = mapped_column(Boolean, default=False)


class SealedBallot(TenantScoped, Base):
    """A secret ballot during its poll, sealed under the poll's key: nothing in the clear."""

    __tablename__ = "sealed_ballots"

    resolution_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(24), primary_key=True)  # random, hex
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class PublishedBallot(TenantScoped, Base):
    """A secret ballot after its poll: receipt code, college, choice; no voter."""

    __tablename__ = "ballots"

    resolution_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    receipt: Mapped[str] = mapped_column(String(32), primary_key=True)
    college: Mapped[str | None] = mapped_column(String(40), nullable=True)
    choice: Mapped[str] = mapped_column(Text)


class Mandate(TenantScoped, Base):
    """An office held by an associate from an election (managers or board)."""

    __tablename__ = "mandates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    office: Mapped[str] = mapped_column(String(20))
    from_date: Mapped[date] = mapped_column(Date)
    until_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    resolution_id: Mapped[str] = mapped_column(String(36))


class MinutesRecord(TenantScoped, Base):
    """The minutes of a closed assembly, as published (the PDF's SHA-256 in the event)."""

    __tablename__ = "minutes"

    assembly_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    html: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
