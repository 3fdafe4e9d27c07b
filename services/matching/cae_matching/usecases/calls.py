"""Calls for tenders, the teams proposed for them and the members' answers.

Each public function is one operation on the session of the caller's transaction: it
checks the input, reads and writes the rows, publishes the events through the outbox and
raises a ``caekit.rules.RuleViolation`` (``UnknownRecord``, ``ConflictingState``) when a
rule refuses; the caller commits. The clock is given (``now``, an aware datetime).

The life of a call: **draft** (written and rewritten by the staff) -> **published**
(event ``call_published``) -> **proposed** (teams proposed, event ``team_proposed``; a
new proposal supersedes the earlier ones still waiting) -> **staffed** (every member of
one team accepted, event ``team_accepted``; the other proposals superseded) ->
**closed** (at any time; proposals still waiting superseded).

A call: a title, a description, a buyer, a place (a commune and its coordinates in
degrees, or no coordinates: **remote work**; a commune without coordinates is only a
label), a period (``starts_on <= ends_on``, days included), a deadline, a budget in
cents, the certification kinds every member must be allowed to use
(:data:`cae_matching.usecases.certifications.KINDS`), an objective (``smallest`` team or
``cheapest`` at day rates), a scope (``cooperative``: its own members; ``network``: also
the consenting members of every other cooperative) and 1 to 50 requirements: a code
(unique in the call, 1 to 20 characters), a skill (an ESCO ``concept_uri``, and/or a
``label``; a concept not in the taxonomy needs a label, a label alone is a free-text
requirement), a minimum level (1 notions to 4 expert), how many people (1 to 50) and the
certification kinds a person needs to take it.

**Who is a candidate** (:func:`propose`), decisions:

* Members of the call's cooperative who have a profile and have not left (a ``people``
  row with ``left_on`` set, or erased, is nobody's candidate, whatever the date); for a
  ``network`` call also the members of other cooperatives whose profiles share
  ``identity``, ``skills`` and ``availability`` with the network, and ``place`` when the
  call has coordinates, and ``day_rate`` when the call is ``cheapest``. Those profiles
  are read across cooperatives (``all_tenants``), consent applied in the query: a
  non-consenting profile is never read, so never named, not even counted.
* Only people holding at least one requirement's skill at its level are candidates (the
  others are not listed as excluded). A requirement with a concept is met by a skill of
  that concept or of any narrower one (``concept_broader`` read transitively); a
  free-text requirement by a skill whose label has the same stems
  (:func:`cae_matching.adapters.text.terms`). A person's level for a requirement is
  their best matching skill's.
* Available: their availability periods cover every day of the call's period and no
  absence of theirs overlaps it (:func:`cae_matching.domain.profiles.available`), and
  they are not in an **accepted** team of another call overlapping the period. A
  member without availability periods is unavailable.
* In reach: when the call has coordinates, the great-circle distance to the
  candidate's place is at most their travel radius; a candidate **without a place is
  only eligible for a remote call** (reason ``no_place``), since nobody can tell whether
  they would travel.
* Certifications: the kinds their activity may use from **their own** cooperative
  (:func:`cae_matching.usecases.certifications.allowed_by_member`): a network member
  uses only their own cooperative's certifications.
* Day rate: ``day_rate_min_cents``; the team's cost at ``cheapest``.
* Members who **declined** a proposal of this call are left out of the later ones.

The excluded candidates are listed with their reasons: the solver's ``unavailable``
(followed by ``absent``, ``engaged`` or ``no_availability``: why), ``certification``
(with the kinds missing) and ``no_day_rate``; and this module's ``out_of_reach``,
``no_place`` and ``declined``.

Each proposal is stored with its rank, cost (people, or cents), ``proven_optimal``,
``lower_bound``, ``gap`` (a fraction as text: ``"0"``, ``"1/10"``) and ``method``:
``exact`` when the solver proved the team optimal or found it, ``greedy`` when the team
is the greedy's past the time limit, its ``guarantee`` then stated (the greedy's team
proven optimal by the solver is ``exact``).

The solver (:func:`cae_matching.adapters.solver.propose`) is blocking native code called
as a plain function: an HTTP entrypoint runs :func:`propose` in a real thread. It runs
before the call's row is locked (a long solve holds no lock): the call's status is
checked again under the lock before anything is written, and a decline arriving during
the solve is seen by the next proposal only.

**Answers** (:func:`answer`): each member of a proposal answers for themselves (the HTTP
layer checks the caller). A member of another cooperative answers a network proposal:
the proposal is found by the member across cooperatives, the proposing cooperative's
rows written. A member answers once (the same answer again changes nothing). When every
member accepted: the proposal is accepted, the call staffed, the other proposals
superseded, ``team_accepted`` published (for the call's cooperative). A member already
in an accepted team of an overlapping call cannot accept. A decline marks the proposal
declined; the call goes back to ``published`` when no proposal waits any more.

Rule codes: ``call.title``, ``call.description``, ``call.buyer``, ``call.commune``,
``call.place``, ``call.objective``, ``call.scope``, ``call.certification``,
``call.requirements``, ``call.deadline_passed``, ``requirement.code``,
``requirement.duplicate``, ``requirement.skill``, ``requirement.concept``,
``requirement.label``, ``requirement.level``, ``requirement.people``,
``date.out_of_range``, ``period.order``, ``amount.out_of_range`` (budget),
``page.limit``, the solver's ``proposal.alternatives`` and ``proposal.time_limit``;
``call.unknown``, ``proposal.unknown`` (``UnknownRecord``); ``call.not_draft``,
``call.not_open``, ``call.closed``, ``proposal.not_open``, ``proposal.answered``,
``proposal.engaged`` (``ConflictingState``).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, literal, or_, select, tuple_, update
from sqlalchemy.orm import Session

from cae_matching.adapters import solver
from cae_matching.adapters.search import narrower_by_root
from cae_matching.adapters.store import (
    Absence,
    Availability,
    Call,
    CallRequirement,
    Concept,
    Person,
    Profile,
    ProfileSkill,
    Proposal,
    ProposalMember,
)
from cae_matching.adapters.text import terms
from cae_matching.domain.profiles import Period, available, distance_km, visible_fields
from cae_matching.domain.teams import Candidate, Objective, Requirement, build_model
from cae_matching.usecases.certifications import allowed_by_member, check_kind
from caekit import outbox
from caekit.bounds import MAX_LIMIT, check_cents, check_day
from caekit.db import UtcDateTime
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord

__all__ = [
    "OBJECTIVES",
    "SCOPES",
    "CallInput",
    "Found",
    "Need",
    "RequirementInput",
    "answer",
    "close_call",
    "create_call",
    "degrees",
    "find_people",
    "get_call",
    "get_proposal",
    "list_calls",
    "list_proposals",
    "member_proposals",
    "names_for",
    "propose",
    "publish_call",
    "reach",
    "unavailability",
    "update_call",
]

OBJECTIVES = {"smallest": Objective.SIZE, "cheapest": Objective.COST}
SCOPES = ("cooperative", "network")
STATUSES = ("draft", "published", "proposed", "staffed", "closed")
MAX_REQUIREMENTS = 50
MAX_PEOPLE = 50
MIN_LEVEL, MAX_LEVEL = 1, 4
MAX_CODE = 20
MAX_TITLE = 300
MAX_DESCRIPTION = 20_000
MAX_NAME = 200
MAX_URI = 200
_CHUNK = 500


# -- input --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RequirementInput:
    code: str
    label: str | None = None
    concept_uri: str | None = None
    min_level: int = 1
    people: int = 1
    certifications: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class CallInput:
    """A call as the staff writes it; ``requirements`` are :class:`RequirementInput` or
    mappings of the same keys; ``latitude``/``longitude`` in degrees (both or neither:
    none is remote work)."""

    title: str
    starts_on: date
    ends_on: date
    requirements: Sequence[RequirementInput | Mapping]
    description: str | None = None
    buyer: str | None = None
    commune: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    deadline: date | None = None
    budget_cents: int | None = None
    certifications: Sequence[str] = field(default_factory=tuple)
    objective: str = "smallest"
    scope: str = "cooperative"


def _chunks(items: Sequence, size: int = _CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value, field_name: str, limit: int, rule: str, *, required: bool = False
          ) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RuleViolation(rule, f"{field_name} is required (1 to {limit} characters)",
                                (field_name,))
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise RuleViolation(rule, f"{field_name} is a text of at most {limit} characters",
                            (field_name,))
    return value.strip()


def _e6(value, field_name: str, limit: int) -> int:
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not -limit <= value <= limit):
        raise RuleViolation("call.place", f"{field_name} is a number of degrees from -{limit} "
                            f"to {limit}, not {value!r}", (field_name,))
    return round(value * 1_000_000)


def _kinds(values: Iterable[str], where: str) -> list[str]:
    if isinstance(values, str):
        raise RuleViolation("call.certification", "certifications are a list of kinds",
                            (where,))
    kinds: list[str] = []
    for i, value in enumerate(values):
        kind = check_kind(value, f"{where}[{i}]", "call.certification")
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def _requirement(session: Session, item: RequirementInput | Mapping, i: int,
                 seen: set[str]) -> dict:
    where = f"requirements[{i}]"
    if isinstance(item, Mapping):
        try:
            item = RequirementInput(**item)
        except TypeError as exc:
            raise RuleViolation("call.requirements", f"{where}: {exc}", (where,)) from None
    code = item.code.strip() if isinstance(item.code, str) else None
    if not code or len(code) > MAX_CODE:
        raise RuleViolation("requirement.code", f"a requirement has a code of 1 to {MAX_CODE} "
                            "characters", (f"{where}.code",))
    if code in seen:
        raise RuleViolation("requirement.duplicate", f"two requirements have the code {code!r}",
                            (f"{where}.code",))
    seen.add(code)
    concept = _text(item.concept_uri, f"{where}.concept_uri", MAX_URI, "requirement.concept")
    label = _text(item.label, f"{where}.label", MAX_NAME, "requirement.label")
    if concept is None and label is None:
        raise RuleViolation("requirement.skill", f"{code}: a requirement names a skill: its "
                            "concept_uri or its label", (f"{where}.concept_uri",
                                                          f"{where}.label"))
    if concept is not None and label is None:
        label = session.scalar(select(Concept.label).where(Concept.uri == concept))
        if label is None:
            raise RuleViolation("requirement.label", f"{code}: the concept {concept} is not in "
                                "the taxonomy: give the skill's label", (f"{where}.label",))
        label = label[:MAX_NAME]
    if not _is_int(item.min_level) or not MIN_LEVEL <= item.min_level <= MAX_LEVEL:
        raise RuleViolation("requirement.level", f"{code}: the minimum level is from "
                            f"{MIN_LEVEL} (notions) to {MAX_LEVEL} (expert), not "
                            f"{item.min_level!r}", (f"{where}.min_level",))
    if not _is_int(item.people) or not 1 <= item.people <= MAX_PEOPLE:
        raise RuleViolation("requirement.people", f"{code}: a requirement needs from 1 to "
                            f"{MAX_PEOPLE} people, not {item.people!r}", (f"{where}.people",))
    return {"code": code, "concept_uri": concept, "label": label, "min_level": item.min_level,
            "people": item.people,
            "certifications": _kinds(item.certifications or (), f"{where}.certifications")}


def _checked(session: Session, data: CallInput) -> tuple[dict, list[dict]]:
    title = _text(data.title, "title", MAX_TITLE, "call.title", required=True)
    check_day(data.starts_on, "starts_on")
    check_day(data.ends_on, "ends_on")
    if data.ends_on < data.starts_on:
        raise RuleViolation("period.order", "a call ends on or after the day it starts",
                            ("ends_on",))
    if data.deadline is not None:
        check_day(data.deadline, "deadline")
    if data.budget_cents is not None:
        check_cents(data.budget_cents, "budget_cents", minimum=0)
    if (data.latitude is None) != (data.longitude is None):
        raise RuleViolation("call.place", "a place has both a latitude and a longitude (or "
                            "neither: remote work)", ("latitude", "longitude"))
    latitude = None if data.latitude is None else _e6(data.latitude, "latitude", 90)
    longitude = None if data.longitude is None else _e6(data.longitude, "longitude", 180)
    if data.objective not in OBJECTIVES:
        raise RuleViolation("call.objective", f"a team is the smallest or the cheapest, not "
                            f"{data.objective!r}", ("objective",))
    if data.scope not in SCOPES:
        raise RuleViolation("call.scope", f"a call is for the cooperative or the network, not "
                            f"{data.scope!r}", ("scope",))
    items = list(data.requirements or ())
    if not 1 <= len(items) <= MAX_REQUIREMENTS:
        raise RuleViolation("call.requirements", f"a call has from 1 to {MAX_REQUIREMENTS} "
                            "requirements", ("requirements",))
    seen: set[str] = set()
    requirements = [_requirement(session, item, i, seen) for i, item in enumerate(items)]
    values = {
        "title": title,
        "description": _text(data.description, "description", MAX_DESCRIPTION,
                             "call.description"),
        "buyer": _text(data.buyer, "buyer", MAX_NAME, "call.buyer"),
        "commune": _text(data.commune, "commune", MAX_NAME, "call.commune"),
        "latitude_e6": latitude, "longitude_e6": longitude,
        "starts_on": data.starts_on, "ends_on": data.ends_on, "deadline": data.deadline,
        "budget_cents": data.budget_cents,
        "certifications": json.dumps(_kinds(data.certifications or (), "certifications")),
        "objective": data.objective, "scope": data.scope,
    }
    return values, requirements


# -- reading ------------------------------------------------------------------------------
def degrees(e6: int | None) -> float | None:
    return None if e6 is None else e6 / 1_000_000


def _requirement_dict(row: CallRequirement) -> dict:
    return {"code": row.code, "concept_uri": row.concept_uri, "label": row.label,
            "min_level": row.min_level, "people": row.people,
            "certifications": json.loads(row.certifications)}


def _call_dict(call: Call, requirements: Sequence[CallRequirement]) -> dict:
    return {"id": call.id, "cooperative_id": call.cooperative_id, "title": call.title,
            "description": call.description, "buyer": call.buyer, "commune": call.commune,
            "latitude": degrees(call.latitude_e6), "longitude": degrees(call.longitude_e6),
            "starts_on": call.starts_on, "ends_on": call.ends_on, "deadline": call.deadline,
            "budget_cents": call.budget_cents,
            "certifications": json.loads(call.certifications), "objective": call.objective,
            "scope": call.scope, "status": call.status, "created_at": call.created_at,
            "created_by": call.created_by, "published_at": call.published_at,
            "requirements": [_requirement_dict(r) for r in requirements]}


def _find_call(session: Session, call_id: str, *, lock: bool = False) -> Call:
    """The call of the session's cooperative (its row locked FOR UPDATE with ``lock``)."""
    query = select(Call).where(Call.id == str(call_id))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    call = session.scalars(query).first()
    if call is None:
        raise UnknownRecord("call.unknown", "no such call in this cooperative", ("call_id",))
    return call


def _lock_call(session: Session, call: Call) -> Call:
    """The call's row locked FOR UPDATE and read again (whatever the session's tenant)."""
    return session.scalars(select(Call).where(
        Call.id == call.id, Call.cooperative_id == call.cooperative_id).with_for_update()
        .execution_options(all_tenants=True, populate_existing=True)).one()


def _requirements_of(session: Session, calls: Sequence[Call]) -> dict[str, list[CallRequirement]]:
    found: dict[str, list[CallRequirement]] = {c.id: [] for c in calls}
    coops = {c.id: c.cooperative_id for c in calls}
    for chunk in _chunks(list(found)):
        for row in session.scalars(select(CallRequirement).where(
                CallRequirement.call_id.in_(chunk)).order_by(
                CallRequirement.call_id, CallRequirement.position).execution_options(
                all_tenants=True)):
            if coops[row.call_id] == row.cooperative_id:
                found[row.call_id].append(row)
    return found


def get_call(session: Session, call_id: str) -> dict:
    """``{id, cooperative_id, title, description, buyer, commune, latitude, longitude
    (degrees or None), starts_on, ends_on, deadline (dates), budget_cents, certifications
    [kinds], objective, scope, status, created_at, created_by, published_at, requirements:
    [{code, concept_uri, label, min_level, people, certifications}]}``."""
    call = _find_call(session, call_id)
    return _call_dict(call, _requirements_of(session, [call])[call.id])


def list_calls(session: Session, *, status: str | None = None, limit: int = 50,
               after: tuple[datetime, str] | None = None) -> dict:
    """The cooperative's calls, the newest first: ``{"items": [call...], "next_after":
    (created_at, id) of the last one when more follow, else None}``; ``after`` is a
    ``next_after`` (the HTTP layer makes it an opaque cursor)."""
    if not _is_int(limit) or not 1 <= limit <= MAX_LIMIT:
        raise RuleViolation("page.limit", f"a page has 1 to {MAX_LIMIT} rows", ("limit",))
    query = select(Call)
    if status is not None:
        if status not in STATUSES:
            raise RuleViolation("call.status", f"a call's status is one of "
                                f"{', '.join(STATUSES)}", ("status",))
        query = query.where(Call.status == status)
    if after is not None:
        query = query.where(tuple_(Call.created_at, Call.id) < tuple_(
            literal(after[0], UtcDateTime()), literal(str(after[1]))))
    rows = list(session.scalars(query.order_by(Call.created_at.desc(), Call.id.desc())
                                .limit(limit + 1)))
    items = rows[:limit]
    requirements = _requirements_of(session, items)
    return {"items": [_call_dict(c, requirements[c.id]) for c in items],
            "next_after": ((items[-1].created_at, items[-1].id)
                           if len(rows) > limit and items else None)}


# -- writing calls --------------------------------------------------------------------------
def _write_requirements(session: Session, call: Call, requirements: list[dict]) -> list:
    rows = []
    for position, values in enumerate(requirements, 1):
        row = CallRequirement(
            cooperative_id=call.cooperative_id, call_id=call.id, position=position,
            code=values["code"], concept_uri=values["concept_uri"], label=values["label"],
            min_level=values["min_level"], people=values["people"],
            certifications=json.dumps(values["certifications"]))
        session.add(row)
        rows.append(row)
    return rows


def create_call(session: Session, cooperative_id: str, data: CallInput, created_by: str,
                now: datetime) -> dict:
    """A draft call of ``cooperative_id``; returns it as :func:`get_call` does."""
    values, requirements = _checked(session, data)
    call = Call(id=str(uuid.uuid4()), cooperative_id=cooperative_id, status="draft",
                created_at=now, created_by=str(created_by)[:200], **values)
    session.add(call)
    rows = _write_requirements(session, call, requirements)
    session.flush()
    return _call_dict(call, rows)


def update_call(session: Session, call_id: str, data: CallInput) -> dict:
    """Rewrite a draft call (every field and its requirements)."""
    call = _find_call(session, call_id, lock=True)
    if call.status != "draft":
        raise ConflictingState("call.not_draft", f"only a draft call is rewritten (this one is "
                               f"{call.status})", ("call_id",))
    values, requirements = _checked(session, data)
    for name, value in values.items():
        setattr(call, name, value)
    for row in _requirements_of(session, [call])[call.id]:
        session.delete(row)
    session.flush()
    rows = _write_requirements(session, call, requirements)
    session.flush()
    return _call_dict(call, rows)


def publish_call(session: Session, call_id: str, now: datetime) -> dict:
    """Publish a draft call (event ``call_published``); refused once its deadline passed."""
    call = _find_call(session, call_id, lock=True)
    if call.status != "draft":
        raise ConflictingState("call.not_draft", f"only a draft call is published (this one "
                               f"is {call.status})", ("call_id",))
    if call.deadline is not None and call.deadline < now.date():
        raise RuleViolation("call.deadline_passed", "the call's deadline has passed: change "
                            "it before publishing", ("deadline",))
    requirements = _requirements_of(session, [call])[call.id]
    call.status = "published"
    call.published_at = now
    outbox.publish(session, "cae.matching.call_published.v1", {
        "call_id": call.id, "cooperative_id": call.cooperative_id, "title": call.title,
        "starts_on": call.starts_on, "ends_on": call.ends_on, "scope": call.scope,
        "objective": call.objective, "budget_cents": call.budget_cents,
        "certifications": json.loads(call.certifications),
        "requirements": [_requirement_dict(r) for r in requirements],
    }, tenant_id=call.cooperative_id)
    session.flush()
    return _call_dict(call, requirements)


def close_call(session: Session, call_id: str, now: datetime) -> dict:
    """Close a call, whatever its status but closed; the proposals still waiting are
    superseded (an accepted team stays recorded)."""
    call = _find_call(session, call_id, lock=True)
    if call.status == "closed":
        raise ConflictingState("call.closed", "the call is closed already", ("call_id",))
    _supersede(session, call, now)
    call.status = "closed"
    session.flush()
    return _call_dict(call, _requirements_of(session, [call])[call.id])


def _supersede(session: Session, call: Call, now: datetime, *, keep: str | None = None) -> None:
    conditions = [Proposal.cooperative_id == call.cooperative_id, Proposal.call_id == call.id,
                  Proposal.status == "proposed"]
    if keep is not None:
        conditions.append(Proposal.id != keep)
    session.execute(update(Proposal).where(*conditions).values(status="superseded",
                                                               decided_at=now)
                    .execution_options(all_tenants=True, synchronize_session="fetch"))


# -- who could take part -------------------------------------------------------------------
@dataclass(frozen=True)
class Need:
    """A skill wanted: by concept (and its narrower ones), else by the label's stems."""

    key: str
    concept_uri: str | None
    label: str
    min_level: int


@dataclass
class Found:
    """A person holding at least one need's skill at its level, as the home cooperative
    may see them (``day_rate_cents`` None when not visible); ``levels``: their best level
    for each need whose skill they hold (at any level)."""

    member_id: str
    cooperative_id: str
    own: bool
    name: str
    latitude: float | None
    longitude: float | None
    travel_radius_km: int
    day_rate_cents: int | None
    levels: dict[str, int]


def _who(home: str, network: bool, place: bool, day_rate: bool):
    if not network:
        return Profile.cooperative_id == home
    shared = [Profile.share_identity.is_(True), Profile.share_skills.is_(True),
              Profile.share_availability.is_(True)]
    if place:
        shared.append(Profile.share_place.is_(True))
    if day_rate:
        shared.append(Profile.share_day_rate.is_(True))
    return or_(Profile.cooperative_id == home, and_(Profile.cooperative_id != home, *shared))


def find_people(session: Session, home_cooperative_id: str, needs: Sequence[Need], *,
                network: bool, place: bool = False, day_rate: bool = False) -> list[Found]:
    """The people who hold at least one need's skill at its minimum level: members of
    ``home_cooperative_id`` with a profile who have not left, and with ``network`` the
    members of other cooperatives sharing identity, skills and availability (and place,
    and day rate, when asked). Ordered: the home cooperative's first, then by name.

    Concepts are looked up by index (``concept_uri IN`` the closure, 500 at a time); a
    free-text need compares the stems of every visible skill's label, a scan of the
    visible profiles' skills."""
    closures = narrower_by_root(session, [n.concept_uri for n in needs if n.concept_uri])
    stems = {n.key: terms(n.label) for n in needs if not n.concept_uri}
    base = (select(ProfileSkill.member_id, ProfileSkill.cooperative_id, ProfileSkill.concept_uri,
                   ProfileSkill.label, ProfileSkill.level)
            .join(Profile, and_(Profile.member_id == ProfileSkill.member_id,
                                Profile.cooperative_id == ProfileSkill.cooperative_id))
            .join(Person, and_(Person.member_id == ProfileSkill.member_id,
                               Person.cooperative_id == ProfileSkill.cooperative_id))
            .where(Person.left_on.is_(None), Person.erased.is_(False),
                   _who(home_cooperative_id, network, place, day_rate))
            .execution_options(all_tenants=True))
    rows: list = []
    if stems:  # a free-text need: every skill's label is compared
        rows = list(session.execute(base))
    else:
        uris = sorted(set().union(*closures.values())) if closures else []
        for chunk in _chunks(uris):
            rows.extend(session.execute(base.where(ProfileSkill.concept_uri.in_(chunk))))
    levels: dict[tuple[str, str], dict[str, int]] = {}
    label_stems: dict[str, str] = {}
    for member_id, coop, concept_uri, label, level in rows:
        for need in needs:
            if need.concept_uri:
                hit = concept_uri is not None and concept_uri in closures[need.concept_uri]
            else:
                if label not in label_stems:
                    label_stems[label] = terms(label)
                hit = bool(stems[need.key]) and label_stems[label] == stems[need.key]
            if hit:
                mine = levels.setdefault((member_id, coop), {})
                mine[need.key] = max(mine.get(need.key, 0), level)
    wanted = {key: lv for key, lv in levels.items()
              if any(lv.get(n.key, 0) >= n.min_level for n in needs)}
    found: list[Found] = []
    members = sorted({m for m, _ in wanted})
    for chunk in _chunks(members):
        for profile, first, last in session.execute(
                select(Profile, Person.first_name, Person.last_name)
                .join(Person, and_(Person.member_id == Profile.member_id,
                                   Person.cooperative_id == Profile.cooperative_id))
                .where(Profile.member_id.in_(chunk))
                .execution_options(all_tenants=True)):
            key = (profile.member_id, profile.cooperative_id)
            if key not in wanted:
                continue
            own = profile.cooperative_id == home_cooperative_id
            shows_place = own or profile.share_place
            rate = profile.day_rate_min_cents if own or profile.share_day_rate else None
            found.append(Found(
                profile.member_id, profile.cooperative_id, own, f"{first} {last}",
                degrees(profile.latitude_e6) if shows_place else None,
                degrees(profile.longitude_e6) if shows_place else None,
                (profile.travel_radius_km or 0) if shows_place else 0, rate, wanted[key]))
    found.sort(key=lambda f: (not f.own, f.name.casefold(), f.member_id))
    return found


def _engaged(session: Session, member_ids: Sequence[str], starts_on: date, ends_on: date,
             except_call_id: str | None = None) -> set[str]:
    """The members in an accepted team of a call overlapping the period (any cooperative's)."""
    engaged: set[str] = set()
    for chunk in _chunks(sorted(set(member_ids))):
        query = (select(ProposalMember.member_id)
                 .join(Proposal, and_(Proposal.id == ProposalMember.proposal_id,
                                      Proposal.cooperative_id == ProposalMember.cooperative_id))
                 .join(Call, and_(Call.id == Proposal.call_id,
                                  Call.cooperative_id == Proposal.cooperative_id))
                 .where(ProposalMember.member_id.in_(chunk), Proposal.status == "accepted",
                        Call.starts_on <= ends_on, Call.ends_on >= starts_on)
                 .execution_options(all_tenants=True))
        if except_call_id is not None:
            query = query.where(Call.id != except_call_id)
        engaged.update(session.scalars(query))
    return engaged


def unavailability(session: Session, member_ids: Sequence[str], starts_on: date,
                   ends_on: date, *, except_call_id: str | None = None) -> dict[str, str]:
    """Why each member who is not available over the period is not: ``absent`` (an
    absence overlaps it), ``engaged`` (in an accepted team of an overlapping call, other
    than ``except_call_id``), ``no_availability`` (their periods do not cover it). The
    members available are not in the result."""
    ids = sorted(set(member_ids))
    periods: dict[str, list[Period]] = {m: [] for m in ids}
    absences: dict[str, list[Period]] = {m: [] for m in ids}
    for chunk in _chunks(ids):
        for m, first, last, days in session.execute(select(
                Availability.member_id, Availability.starts_on, Availability.ends_on,
                Availability.days_per_week).where(
                Availability.member_id.in_(chunk), Availability.starts_on <= ends_on,
                Availability.ends_on >= starts_on).execution_options(all_tenants=True)):
            periods[m].append(Period(first, last, days))
        for m, first, last in session.execute(select(
                Absence.member_id, Absence.starts_on, Absence.ends_on).where(
                Absence.member_id.in_(chunk), Absence.starts_on <= ends_on,
                Absence.ends_on >= starts_on).execution_options(all_tenants=True)):
            absences[m].append(Period(first, last))
    engaged = _engaged(session, ids, starts_on, ends_on, except_call_id)
    window = Period(starts_on, ends_on)
    reasons: dict[str, str] = {}
    for m in ids:
        if absences[m]:
            reasons[m] = "absent"
        elif m in engaged:
            reasons[m] = "engaged"
        elif not available(periods[m], absences[m], window):
            reasons[m] = "no_availability"
    return reasons


def reach(person: Found, latitude: float | None, longitude: float | None
          ) -> tuple[str | None, int | None]:
    """``(reason or None, distance_km or None)``: a remote call (no coordinates) is in
    everyone's reach; otherwise a person without a place is ``no_place``, one farther
    than their travel radius ``out_of_reach``."""
    if latitude is None or longitude is None:
        return None, None
    if person.latitude is None or person.longitude is None:
        return "no_place", None
    distance = distance_km(latitude, longitude, person.latitude, person.longitude)
    return (None if distance <= person.travel_radius_km else "out_of_reach"), distance


def names_for(session: Session, viewer_cooperative_id: str | None,
              members: Mapping[str, str]) -> dict[str, str | None]:
    """Each member's name (``member_id -> cooperative_id``) as ``viewer_cooperative_id``
    may see it today: their own cooperative's members who have not left, others only
    while they share their identity with the network (None otherwise)."""
    names: dict[str, str | None] = dict.fromkeys(members)
    for chunk in _chunks(sorted(members)):
        for member_id, coop, first, last, left_on, erased, shared in session.execute(
                select(Person.member_id, Person.cooperative_id, Person.first_name,
                       Person.last_name, Person.left_on, Person.erased, Profile.share_identity)
                .outerjoin(Profile, and_(Profile.member_id == Person.member_id,
                                         Profile.cooperative_id == Person.cooperative_id))
                .where(Person.member_id.in_(chunk)).execution_options(all_tenants=True)):
            if members.get(member_id) != coop:
                continue
            fields = visible_fields(coop, viewer_cooperative_id or coop,
                                    left_on is not None or erased,
                                    ("identity",) if shared else ())
            if "identity" in fields:
                names[member_id] = f"{first} {last}"
    return names


# -- proposals ----------------------------------------------------------------------------
def _members_of(session: Session, proposals: Sequence[Proposal]
                ) -> dict[str, list[ProposalMember]]:
    found: dict[str, list[ProposalMember]] = {p.id: [] for p in proposals}
    coops = {p.id: p.cooperative_id for p in proposals}
    for chunk in _chunks(list(found)):
        for row in session.scalars(select(ProposalMember).where(
                ProposalMember.proposal_id.in_(chunk)).order_by(
                ProposalMember.proposal_id, ProposalMember.member_id).execution_options(
                all_tenants=True)):
            if coops[row.proposal_id] == row.cooperative_id:
                found[row.proposal_id].append(row)
    return found


def _proposal_dict(proposal: Proposal, members: Sequence[ProposalMember],
                   requirements: Sequence[CallRequirement], names: Mapping[str, str | None],
                   distances: Mapping[str, int | None] | None = None) -> dict:
    rates = [m.day_rate_cents for m in members]
    covering: dict[str, list[str]] = {r.code: [] for r in requirements}
    shown = []
    for m in members:
        covers = json.loads(m.covers)
        for code in covers:
            covering.setdefault(code, []).append(m.member_id)
        shown.append({"member_id": m.member_id, "cooperative_id": m.member_cooperative_id,
                      "name": names.get(m.member_id), "covers": covers,
                      "day_rate_cents": m.day_rate_cents,
                      "distance_km": (distances or {}).get(m.member_id),
                      "answer": m.answer, "answered_at": m.answered_at})
    return {"proposal_id": proposal.id, "call_id": proposal.call_id, "rank": proposal.rank,
            "status": proposal.status, "objective": proposal.objective, "cost": proposal.cost,
            "day_rate_total_cents": (None if not rates or any(r is None for r in rates)
                                     else sum(rates)),
            "proven_optimal": proposal.proven_optimal, "lower_bound": proposal.lower_bound,
            "gap": proposal.gap, "method": proposal.method, "guarantee": proposal.guarantee,
            "created_at": proposal.created_at, "decided_at": proposal.decided_at,
            "members": shown,
            "requirements": [{"code": r.code, "label": r.label,
                              "members": covering.get(r.code, [])} for r in requirements]}


def _decliners(session: Session, call: Call) -> set[str]:
    return set(session.scalars(
        select(ProposalMember.member_id)
        .join(Proposal, and_(Proposal.id == ProposalMember.proposal_id,
                             Proposal.cooperative_id == ProposalMember.cooperative_id))
        .where(Proposal.cooperative_id == call.cooperative_id, Proposal.call_id == call.id,
               ProposalMember.answer == "declined")
        .execution_options(all_tenants=True)))


def _team_member(m: ProposalMember) -> dict:
    return {"member_id": m.member_id, "cooperative_id": m.member_cooperative_id,
            "covers": json.loads(m.covers)}


def propose(session: Session, call_id: str, now: datetime, *, time_limit: float = 5.0,
            alternatives: int = 3, solve=solver.propose) -> dict:
    """Propose up to ``alternatives`` teams for a published (or already proposed) call,
    ranked by cost, each solve within ``time_limit`` seconds (``solve``: the solver's
    ``propose(model, alternatives=, time_limit=)``). Earlier proposals still waiting are
    superseded; event ``team_proposed``. Returns::

        {"call_id", "status" (the call's: proposed, or published when no team),
         "objective", "proposals": [proposal (as get_proposal, with distance_km)],
         "excluded": [{member_id, cooperative_id, name, reasons, missing_certifications,
                       distance_km}],
         "uncovered": [{code, label, concept_uri, min_level, people, qualified,
                        left_out}],   # qualified: eligible people qualifying;
                                      # left_out: excluded people holding the skill
         "greedy": {"cost", "members", "guarantee"} or None}
    """
    call = _find_call(session, call_id)
    if call.status not in ("published", "proposed"):
        raise ConflictingState("call.not_open", f"teams are proposed for a published call "
                               f"(this one is {call.status})", ("call_id",))
    requirements = _requirements_of(session, [call])[call.id]
    objective = OBJECTIVES[call.objective]
    latitude, longitude = degrees(call.latitude_e6), degrees(call.longitude_e6)
    needs = [Need(r.code, r.concept_uri, r.label, r.min_level) for r in requirements]
    found = find_people(session, call.cooperative_id, needs, network=call.scope == "network",
                        place=latitude is not None, day_rate=objective is Objective.COST)
    ids = [f.member_id for f in found]
    away = unavailability(session, ids, call.starts_on, call.ends_on, except_call_id=call.id)
    allowed = allowed_by_member(session, {f.member_id: f.cooperative_id for f in found},
                                call.starts_on, call.ends_on)
    declined = _decliners(session, call)
    required = json.loads(call.certifications)
    wanted = [Requirement(r.code, r.code, r.min_level, r.people,
                          frozenset(json.loads(r.certifications))) for r in requirements]

    candidates: list[Candidate] = []
    ours: dict[str, list[str]] = {}
    distances: dict[str, int | None] = {}
    for person in found:
        reasons = ["declined"] if person.member_id in declined else []
        why, distances[person.member_id] = reach(person, latitude, longitude)
        if why:
            reasons.append(why)
        ours[person.member_id] = reasons
        candidates.append(Candidate(
            person.member_id, person.cooperative_id, dict(person.levels),
            day_rate=person.day_rate_cents, available=person.member_id not in away,
            certifications=allowed.get(person.member_id, frozenset())))
    everyone = build_model(wanted, candidates, objective=objective, certifications=required)
    refused = {e.member_id: e for e in everyone.excluded}
    kept = [c for c in candidates if c.member_id not in refused and not ours[c.member_id]]
    model = build_model(wanted, kept, objective=objective, certifications=required)
    result = solve(model, alternatives=alternatives, time_limit=time_limit)

    by_id = {f.member_id: f for f in found}
    excluded = []
    for person in found:
        reasons = list(ours[person.member_id])
        missing: tuple[str, ...] = ()
        refusal = refused.get(person.member_id)
        if refusal is not None:
            for reason in refusal.reasons:
                reasons.append(reason)
                if reason == "unavailable":
                    reasons.append(away[person.member_id])
            missing = refusal.missing_certifications
        if reasons:
            excluded.append({"member_id": person.member_id,
                             "cooperative_id": person.cooperative_id, "name": person.name,
                             "reasons": reasons, "missing_certifications": list(missing),
                             "distance_km": distances[person.member_id]})
    left_out = {e["member_id"] for e in excluded}
    label_of = {r.code: r for r in requirements}
    uncovered = [{"code": s.requirement, "label": label_of[s.requirement].label,
                  "concept_uri": label_of[s.requirement].concept_uri,
                  "min_level": s.min_level, "people": s.needed, "qualified": s.eligible,
                  "left_out": sum(1 for m in left_out
                                  if by_id[m].levels.get(s.requirement, 0) >= s.min_level)}
                 for s in result.uncovered]

    call = _lock_call(session, call)  # the solve held no lock: check the status again
    if call.status not in ("published", "proposed"):
        raise ConflictingState("call.not_open", f"the call became {call.status} while the "
                               "teams were computed", ("call_id",))
    _supersede(session, call, now)
    stored: list[tuple[Proposal, list[ProposalMember]]] = []
    for team in result.teams:
        proposal = Proposal(
            id=str(uuid.uuid4()), cooperative_id=call.cooperative_id, call_id=call.id,
            rank=team.rank, cost=team.cost, objective=call.objective,
            proven_optimal=team.proven_optimal, lower_bound=team.lower_bound,
            gap=str(team.gap),
            method="exact" if team.proven_optimal or team.source == "highs" else "greedy",
            guarantee=team.guarantee, status="proposed", created_at=now)
        session.add(proposal)
        members = []
        for member_id in team.members:
            person = by_id[member_id]
            row = ProposalMember(
                cooperative_id=call.cooperative_id, proposal_id=proposal.id,
                member_id=member_id, member_cooperative_id=person.cooperative_id,
                covers=json.dumps(list(team.team.by_member.get(member_id, ()))),
                day_rate_cents=person.day_rate_cents, answer="pending")
            session.add(row)
            members.append(row)
        stored.append((proposal, members))
    call.status = "proposed" if stored else "published"
    outbox.publish(session, "cae.matching.team_proposed.v1", {
        "call_id": call.id, "cooperative_id": call.cooperative_id, "objective": call.objective,
        "proposals": [{"proposal_id": p.id, "rank": p.rank, "cost": p.cost,
                       "proven_optimal": p.proven_optimal, "method": p.method,
                       "members": [_team_member(m) for m in members]}
                      for p, members in stored],
        "uncovered": [u["code"] for u in uncovered],
    }, tenant_id=call.cooperative_id)
    session.flush()
    names = {f.member_id: f.name for f in found}
    greedy = result.greedy
    return {
        "call_id": call.id, "status": call.status, "objective": call.objective,
        "proposals": [_proposal_dict(p, members, requirements, names, distances)
                      for p, members in stored],
        "excluded": excluded,
        "uncovered": uncovered,
        "greedy": None if greedy is None else {
            "cost": greedy.team.cost, "members": list(greedy.team.members),
            "guarantee": greedy.guarantee},
    }


def list_proposals(session: Session, call_id: str, *, include_superseded: bool = False
                   ) -> list[dict]:
    """The call's proposals, the latest first then by rank (as :func:`get_proposal`)."""
    call = _find_call(session, call_id)
    query = select(Proposal).where(Proposal.cooperative_id == call.cooperative_id,
                                   Proposal.call_id == call.id)
    if not include_superseded:
        query = query.where(Proposal.status != "superseded")
    proposals = list(session.scalars(query.order_by(Proposal.created_at.desc(), Proposal.rank)))
    members = _members_of(session, proposals)
    requirements = _requirements_of(session, [call])[call.id]
    names = names_for(session, call.cooperative_id, {
        m.member_id: m.member_cooperative_id for rows in members.values() for m in rows})
    return [_proposal_dict(p, members[p.id], requirements, names) for p in proposals]


def get_proposal(session: Session, proposal_id: str) -> dict:
    """A proposal of the session's cooperative: ``{proposal_id, call_id, rank, status
    (proposed, accepted, declined, superseded), objective, cost, day_rate_total_cents,
    proven_optimal, lower_bound, gap ("0", "1/10"), method (exact|greedy), guarantee,
    created_at, decided_at, members: [{member_id, cooperative_id, name (None when not
    visible), covers [codes], day_rate_cents, distance_km (propose only), answer
    (pending|accepted|declined), answered_at}], requirements: [{code, label, members}]}``."""
    proposal = session.scalars(select(Proposal).where(Proposal.id == str(proposal_id))).first()
    if proposal is None:
        raise UnknownRecord("proposal.unknown", "no such proposal in this cooperative",
                            ("proposal_id",))
    call = session.scalars(select(Call).where(Call.id == proposal.call_id, Call.cooperative_id
                                              == proposal.cooperative_id)).one()
    members = _members_of(session, [proposal])[proposal.id]
    names = names_for(session, proposal.cooperative_id,
                      {m.member_id: m.member_cooperative_id for m in members})
    return _proposal_dict(proposal, members, _requirements_of(session, [call])[call.id], names)


def member_proposals(session: Session, member_id: str, *, status: str | None = "proposed"
                     ) -> list[dict]:
    """The proposals naming ``member_id``, whatever cooperative proposed them (``status``:
    only those of that status; None: all), the latest first: ``[{proposal_id, call_id,
    cooperative_id (the call's), title, buyer, commune, starts_on, ends_on, rank, status,
    covers, answer}]``. The other members are not shown here."""
    query = (select(ProposalMember, Proposal, Call)
             .join(Proposal, and_(Proposal.id == ProposalMember.proposal_id,
                                  Proposal.cooperative_id == ProposalMember.cooperative_id))
             .join(Call, and_(Call.id == Proposal.call_id,
                              Call.cooperative_id == Proposal.cooperative_id))
             .where(ProposalMember.member_id == str(member_id))
             .order_by(Proposal.created_at.desc(), Proposal.rank)
             .execution_options(all_tenants=True))
    if status is not None:
        query = query.where(Proposal.status == status)
    return [{"proposal_id": p.id, "call_id": c.id, "cooperative_id": c.cooperative_id,
             "title": c.title, "buyer": c.buyer, "commune": c.commune,
             "starts_on": c.starts_on, "ends_on": c.ends_on, "rank": p.rank,
             "status": p.status, "covers": json.loads(m.covers), "answer": m.answer}
            for m, p, c in session.execute(query)]


def answer(session: Session, proposal_id: str, member_id: str, accept: bool,
           now: datetime) -> dict:
    """``member_id``'s answer to a proposal naming them (the caller must be that member).
    Returns ``{"proposal": proposal (names as the member's cooperative sees them),
    "call_status", "team_accepted": bool}``."""
    def member_row() -> ProposalMember | None:
        return session.scalars(select(ProposalMember).where(
            ProposalMember.proposal_id == str(proposal_id),
            ProposalMember.member_id == str(member_id)).execution_options(
            all_tenants=True, populate_existing=True)).first()

    mine = member_row()
    if mine is None:
        raise UnknownRecord("proposal.unknown", "no such proposal naming this member",
                            ("proposal_id",))
    proposal = session.scalars(select(Proposal).where(
        Proposal.id == mine.proposal_id, Proposal.cooperative_id == mine.cooperative_id)
        .execution_options(all_tenants=True)).one()
    call = session.scalars(select(Call).where(
        Call.id == proposal.call_id, Call.cooperative_id == proposal.cooperative_id)
        .execution_options(all_tenants=True)).one()
    call = _lock_call(session, call)  # the call first, as propose and close do
    proposal = session.scalars(select(Proposal).where(
        Proposal.id == proposal.id, Proposal.cooperative_id == proposal.cooperative_id)
        .with_for_update().execution_options(all_tenants=True, populate_existing=True)).one()
    mine = member_row()
    wanted = "accepted" if accept else "declined"

    def result(team_accepted: bool = False) -> dict:
        members = _members_of(session, [proposal])[proposal.id]
        names = names_for(session, mine.member_cooperative_id,
                          {m.member_id: m.member_cooperative_id for m in members})
        requirements = _requirements_of(session, [call])[call.id]
        return {"proposal": _proposal_dict(proposal, members, requirements, names),
                "call_status": call.status, "team_accepted": team_accepted}

    if mine.answer == wanted:
        return result()  # the same answer again
    if proposal.status != "proposed":
        raise ConflictingState("proposal.not_open", f"this proposal is {proposal.status}: it "
                               "takes no more answers", ("proposal_id",))
    if mine.answer != "pending":
        raise ConflictingState("proposal.answered", f"{member_id} already {mine.answer} this "
                               "proposal", ("accept",))
    if accept and _engaged(session, [mine.member_id], call.starts_on, call.ends_on, call.id):
        raise ConflictingState("proposal.engaged", "this member is already in an accepted team "
                               "of a call overlapping this one", ("member_id",))
    mine.answer = wanted
    mine.answered_at = now
    if not accept:
        proposal.status = "declined"
        proposal.decided_at = now
        session.flush()
        waiting = session.scalar(select(Proposal.id).where(
            Proposal.cooperative_id == call.cooperative_id, Proposal.call_id == call.id,
            Proposal.status == "proposed").execution_options(all_tenants=True).limit(1))
        if waiting is None and call.status == "proposed":
            call.status = "published"
        session.flush()
        return result()
    session.flush()
    members = _members_of(session, [proposal])[proposal.id]
    if any(m.answer != "accepted" for m in members):
        return result()
    proposal.status = "accepted"
    proposal.decided_at = now
    call.status = "staffed"
    _supersede(session, call, now, keep=proposal.id)
    outbox.publish(session, "cae.matching.team_accepted.v1", {
        "call_id": call.id, "proposal_id": proposal.id, "cooperative_id": call.cooperative_id,
        "accepted_at": now, "members": [_team_member(m) for m in members],
    }, tenant_id=call.cooperative_id)
    session.flush()
    return result(True)
