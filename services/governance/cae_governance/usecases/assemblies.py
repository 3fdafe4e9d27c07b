"""General assemblies, from the convocation to the minutes.

Each public function is one operation on the session of the caller's transaction: it
applies the domain's rules (:mod:`cae_governance.domain`), writes the rows, publishes
the events through the outbox and raises a ``caekit.rules.RuleViolation`` when a rule
refuses; the caller commits.

The life of an assembly: **convened** (proxies given and revoked, postal forms received,
associates signing in, associates adding resolutions within the window) -> **open**
(attendance and quorum fixed at the opening; each resolution whose kind has its quorum
is put to the vote, the others are not deliberated) -> **closed** (every poll closed,
the minutes drawn and published). An assembly whose quorum lacks for every kind is
**quorum_lacking**; it is closed the same way (its minutes record the lack), and a
second convocation takes the resolutions not deliberated.

Locks: a vote takes the resolution's row FOR SHARE, the close of its poll FOR UPDATE
(the close waits for the votes in flight, and later votes see the poll closed); the
assembly's writes (proxies, sign-ins, postal forms, opening) take the assembly's row FOR
UPDATE, so that the proxy caps hold under concurrent requests.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from cae_governance.adapters import sealing
from cae_governance.adapters.store import (
    Assembly,
    Cooperative,
    Document,
    Elector,
    Mandate,
    MinutesRecord,
    Participant,
    PollVoter,
    PostalForm,
    ProxyRecord,
    PublishedBallot,
    Resolution,
    SealedBallot,
    SignIn,
    Vote,
)
from cae_governance.domain.attendance import Attendance, Lapsed, Mode, take_attendance
from cae_governance.domain.convocation import check_agenda_request, check_convocation
from cae_governance.domain.elections import Election, ElectionBallot, elect
from cae_governance.domain.electorate import Electorate
from cae_governance.domain.profiles import Convocation, DecisionKind, StatuteProfile
from cae_governance.domain.proxies import Proxy, ProxyBook
from cae_governance.domain.quorum import check_quorum
from cae_governance.domain.tally import Ballot, Choice, tally
from cae_governance.domain.tally import Resolution as Motion
from cae_governance.usecases import electorate as people
from caekit import context, outbox
from caekit.bounds import check_day
from caekit.db import dialect_insert, insert_rows
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord

ASSEMBLY_KINDS = {
    "ordinary": {"ordinary", "election"},
    "extraordinary": {"extraordinary"},
    "combined": {"ordinary", "extraordinary", "election"},
}
EFFECTS = ("none", "contribution_schedule", "associate_admission", "managers_election",
           "accounts_approval")
_EFFECT_KINDS = {"none": {"ordinary", "extraordinary"},
                 "contribution_schedule": {"ordinary", "extraordinary"},
                 "associate_admission": {"ordinary", "extraordinary"},
                 "managers_election": {"election"},
                 "accounts_approval": {"ordinary"}}
CHOICES = ("for", "against", "abstain", "blank")
_MODES = {"in_person": Mode.IN_PERSON, "remote": Mode.REMOTE, "postal": Mode.POSTAL}


# -- the assembly as the domain sees it -----------------------------------------------------
@dataclass
class Loaded:
    row: Assembly
    profile: StatuteProfile
    electorate: Electorate

    @property
    def convocation(self) -> Convocation:
        return Convocation(self.row.convocation)

    def names(self, session: Session) -> dict[str, str]:
        """Each elector's name as the attendance sheet shows it."""
        return dict(session.execute(select(Elector.member_id, Elector.name).where(
            Elector.cooperative_id == self.row.cooperative_id,
            Elector.assembly_id == self.row.id)).all())


def profile_of(row: Assembly) -> StatuteProfile:
    snapshot = json.loads(row.profile)
    return people.build_profile(snapshot["code"], snapshot["settings"])


def load(session: Session, assembly_id: str, *, lock: bool = False,
         electorate: bool = True) -> Loaded:
    """The assembly (its row locked FOR UPDATE with ``lock``), its profile and, unless
    ``electorate`` is False, its electorate (else an empty one: check membership with
    :func:`is_elector`)."""
    query = select(Assembly).where(Assembly.id == str(assembly_id))
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise UnknownRecord("assembly.unknown", "no such assembly in this cooperative",
                            ("assembly_id",))
    # plain rows, not objects: an electorate of 10,000 is read in milliseconds
    college_of = dict(session.execute(select(Elector.member_id, Elector.college).where(
        Elector.cooperative_id == row.cooperative_id, Elector.assembly_id == row.id)).all()
        ) if electorate else {}
    return Loaded(row, profile_of(row), Electorate(row.record_date, college_of))


def _status(loaded: Loaded, *wanted: str, rule: str, message: str, field: str = "assembly_id"):
    if loaded.row.status not in wanted:
        raise ConflictingState(rule, f"{message} (the assembly is {loaded.row.status})", (field,))


def resolutions_of(session: Session, assembly_id: str) -> list[Resolution]:
    return list(session.scalars(select(Resolution).where(Resolution.assembly_id == assembly_id)
                                .order_by(Resolution.position)))


def is_manager(session: Session, member: str, on: date) -> bool:
    return session.scalars(select(Mandate.id).where(
        Mandate.member_id == member, Mandate.office == "managers", Mandate.from_date <= on,
        (Mandate.until_date.is_(None)) | (Mandate.until_date > on))).first() is not None


# -- convening ----------------------------------------------------------------------------
def _secret(kind: str, requested: bool | None, profile: StatuteProfile) -> bool:
    required = kind == "election" and profile.secret_ballot_for_elections
    if requested is False and required:
        raise RuleViolation("resolution.secret_ballot_required",
                            "the statutes require a secret ballot for elections "
                            "(loi 47-1775 art. 8)", ("secret",))
    return required if requested is None else requested


def _check_effect(kind: str, effect: dict, held_on: date, electorate: Electorate,
                  session: Session, cooperative_id: str, where: str) -> dict:
    """The effect's data as stored, checked against the agenda it goes on."""
    name = effect["type"]
    if kind not in _EFFECT_KINDS[name]:
        raise RuleViolation("resolution.effect_kind",
                            f"a {name.replace('_', ' ')} is decided by a resolution of kind "
                            f"{' or '.join(sorted(_EFFECT_KINDS[name]))}, not {kind}",
                            (f"{where}.kind",))
    data = {k: v for k, v in effect.items() if k != "type"}
    if name == "contribution_schedule":
        if data["effective_on"] < held_on:
            raise RuleViolation("effect.before_assembly",
                                "a contribution schedule takes effect on or after the "
                                "assembly's day", (f"{where}.effect.effective_on",))
        froms = [band["from_cents"] for band in data["bands"]]
        if froms[0] != 0 or froms != sorted(set(froms)):
            raise RuleViolation("effect.bands", "bands start from 0 and rise strictly",
                                (f"{where}.effect.bands",))
        data = {"effective_on": data["effective_on"].isoformat(),
                "bands": [{"from_cents": b["from_cents"], "rate": str(b["rate"])}
                          for b in data["bands"]],
                "monthly_minimum_cents": data.get("monthly_minimum_cents", 0),
                "activity_code": data.get("activity_code")}
    elif name == "associate_admission":
        member = str(data["member_id"])
        person = session.get(people.Person, (cooperative_id, member))
        if person is None or person.left_on is not None:
            raise RuleViolation("effect.not_member", "the admitted person must be a member of "
                                "the cooperative who has not left", (f"{where}.effect.member_id",))
        if member in electorate:
            raise RuleViolation("effect.already_associate", "this member is already an "
                                "associate", (f"{where}.effect.member_id",))
        on = data.get("associate_on") or held_on
        if on < held_on:
            raise RuleViolation("effect.before_assembly", "an admission takes effect on or "
                                "after the assembly's day", (f"{where}.effect.associate_on",))
        data = {"member_id": member, "associate_on": on.isoformat()}
    elif name == "managers_election":
        candidates = [str(c) for c in data["candidates"]]
        if len(set(candidates)) != len(candidates):
            raise RuleViolation("election.candidates", "a candidate is listed twice",
                                (f"{where}.effect.candidates",))
        for candidate in candidates:
            if candidate not in electorate:
                raise RuleViolation("election.candidate_not_associate",
                                    f"{candidate} is not an associate of the electorate",
                                    (f"{where}.effect.candidates",))
        data = {"office": data["office"], "seats": data["seats"], "candidates": candidates,
                "effective_on": (data.get("effective_on") or held_on).isoformat()}
    elif name == "accounts_approval":
        data = {"fiscal_year": data["fiscal_year"]}
    else:
        data = {}
    return data


def _add_resolution(session: Session, loaded: Loaded, position: int, body: dict,
                    proposed_by: list[str], where: str) -> Resolution:
    row = loaded.row
    kind = body["kind"]
    if kind not in ASSEMBLY_KINDS[row.kind]:
        raise RuleViolation("resolution.kind", f"an {row.kind} assembly decides "
                            f"{', '.join(sorted(ASSEMBLY_KINDS[row.kind]))} resolutions, "
                            f"not {kind}", (f"{where}.kind",))
    effect = body.get("effect") or {"type": "none"}
    if kind == "election" and effect["type"] != "managers_election":
        raise RuleViolation("resolution.effect_kind", "an election names its office, seats and "
                            "candidates (effect managers_election)", (f"{where}.effect",))
    data = _check_effect(kind, effect, row.held_at.date(), loaded.electorate, session,
                         row.cooperative_id, where)
    resolution = Resolution(
        id=str(uuid.uuid4()), cooperative_id=row.cooperative_id, assembly_id=row.id,
        position=position, code=str(position), title=body["title"], text=body["text"],
        kind=kind, from_managers=body.get("from_managers", False),
        secret=_secret(kind, body.get("secret"), loaded.profile), effect=effect["type"],
        effect_data=json.dumps(data), proposed_by=json.dumps(proposed_by), status="pending")
    session.add(resolution)
    return resolution


def _convened_in_time(convened_on: date, held_on: date, profile: StatuteProfile) -> None:
    """The domain's convocation delay, naming the request's field (``convened_on``)."""
    try:
        check_convocation(convened_on, held_on, profile)
    except RuleViolation as refusal:
        raise RuleViolation(refusal.rule, refusal.message, ("convened_on",)) from None


def convene(session: Session, cooperative_id: str, body: dict, convened_by: str,
            today: date) -> Assembly:
    """Convene an assembly. Refusals: ``convocation.future`` (sent after today),
    ``convocation.too_late`` (fewer days than the profile's delay), ``record_date.*``,
    the electorate's, the resolutions' and their effects'."""
    coop = people.cooperative(session, cooperative_id)
    settings = people.settings_of(coop)
    code = people.profile_code(coop)
    profile = people.build_profile(code, settings)
    convened_on = body.get("convened_on") or today
    held_at = body["held_at"].astimezone(UTC)
    check_day(convened_on, "convened_on")
    check_day(held_at.date(), "held_at")
    if convened_on > today:
        raise RuleViolation("convocation.future", "a convocation is recorded once sent: "
                            "convened_on is after today", ("convened_on",))
    _convened_in_time(convened_on, held_at.date(), profile)
    record_date = body.get("record_date") or convened_on
    if not convened_on - timedelta(days=366) <= record_date <= held_at.date():
        raise RuleViolation("record_date.out_of_range", "the electorate is fixed between a "
                            "year before the convocation and the assembly's day",
                            ("record_date",))
    return _create(session, coop, profile, code, settings, body, held_at, convened_on,
                   record_date, convened_by, 1, None, body["resolutions"])


def _create(session, coop: Cooperative, profile, code, settings, body, held_at, convened_on,
            record_date, convened_by, convocation: int, first: str | None,
            resolutions: list[dict]) -> Assembly:
    associates = people.associates(session, record_date)
    electorate = Electorate.fix(record_date, people.associate_periods(associates), profile)
    if body.get("place") is None and body.get("video_link") is None:
        raise RuleViolation("assembly.where", "give the place or the video link",
                            ("place",))
    if body.get("video_link") and body.get("place") is None and not profile.remote_participation:
        raise RuleViolation("attendance.remote_not_allowed", "the statutes do not allow taking "
                            "part remotely (loi 47-1775 art. 10): give a place",
                            ("video_link",))
    if not resolutions:
        raise RuleViolation("agenda.empty", "an assembly has at least one resolution",
                            ("resolutions",))
    row = Assembly(
        id=str(uuid.uuid4()), cooperative_id=coop.cooperative_id, title=body["title"],
        kind=body["kind"], convocation=convocation, first_assembly_id=first, held_at=held_at,
        place=body.get("place"), video_link=body.get("video_link"), convened_on=convened_on,
        convened_by=convened_by, record_date=record_date, status="convened",
        profile=json.dumps({"code": code, "settings": settings}))
    session.add(row)
    for person in associates:
        if person.member_id in electorate:
            session.add(Elector(cooperative_id=coop.cooperative_id, assembly_id=row.id,
                                member_id=person.member_id,
                                name=people.person_name(person, person.member_id),
                                college=electorate.college_of(person.member_id)))
    loaded = Loaded(row, profile, electorate)
    added = [_add_resolution(session, loaded, position, item, item.get("proposed_by", []),
                             f"resolutions.{position - 1}")
             for position, item in enumerate(resolutions, 1)]
    for position, document in enumerate(body.get("documents", []), 1):
        content = document["content"]
        session.add(Document(id=str(uuid.uuid4()), cooperative_id=coop.cooperative_id,
                             assembly_id=row.id, position=position, title=document["title"],
                             media_type=document["media_type"], content=content,
                             sha256=hashlib.sha256(content).hexdigest()))
    outbox.publish(session, "cae.governance.assembly_convened.v1", {
        "assembly_id": row.id, "cooperative_id": row.cooperative_id, "kind": row.kind,
        "convocation": convocation, "first_assembly_id": first, "held_at": held_at,
        "place": row.place, "video_link": row.video_link, "record_date": record_date,
        "convened_on": convened_on, "electorate": electorate.size,
        "resolutions": [{"resolution_id": r.id, "code": r.code, "title": r.title,
                         "kind": r.kind} for r in added]})
    return row


def second_convocation(session: Session, cooperative_id: str, assembly_id: str, body: dict,
                       convened_by: str, today: date) -> Assembly:
    """Convene again, with the resolutions the first convocation could not deliberate for
    lack of quorum, under the second convocation's rules. Refusals:
    ``assembly.not_second`` (already a second convocation), ``assembly.nothing_left``."""
    first = load(session, assembly_id, lock=True)
    _status(first, "quorum_lacking", "closed", rule="assembly.not_held",
            message="a second convocation follows a first assembly that was held")
    if first.row.convocation != 1:
        raise ConflictingState("assembly.not_second", "this was already the second "
                               "convocation", ("assembly_id",))
    left = [r for r in resolutions_of(session, first.row.id) if r.status == "not_deliberated"]
    if not left:
        raise ConflictingState("assembly.nothing_left", "every resolution of the first "
                               "convocation was deliberated", ("assembly_id",))
    if session.scalars(select(Assembly.id).where(Assembly.first_assembly_id == first.row.id)
                       ).first():
        raise ConflictingState("assembly.second_exists", "the second convocation is already "
                               "convened", ("assembly_id",))
    coop = people.cooperative(session, cooperative_id)
    convened_on = body.get("convened_on") or today
    held_at = body["held_at"].astimezone(UTC)
    if convened_on > today:
        raise RuleViolation("convocation.future", "a convocation is recorded once sent: "
                            "convened_on is after today", ("convened_on",))
    _convened_in_time(convened_on, held_at.date(), first.profile)
    snapshot = json.loads(first.row.profile)
    items = [{"title": r.title, "text": r.text, "kind": r.kind,
              "from_managers": r.from_managers, "secret": r.secret,
              "effect": {"type": r.effect, **_effect_input(r)},
              "proposed_by": json.loads(r.proposed_by)} for r in left]
    where = ({"place": first.row.place, "video_link": first.row.video_link}
             if body.get("place") is None and body.get("video_link") is None else {})
    return _create(session, coop, first.profile, snapshot["code"], snapshot["settings"],
                   {"title": first.row.title, "kind": first.row.kind, **body, **where}, held_at,
                   convened_on, first.row.record_date, convened_by, 2, first.row.id, items)


def _effect_input(row: Resolution) -> dict:
    """A stored effect as the convocation takes it (dates as dates)."""
    data = json.loads(row.effect_data)
    for key in ("effective_on", "associate_on"):
        if key in data:
            data[key] = date.fromisoformat(data[key])
    return data


def add_resolution(session: Session, cooperative_id: str, assembly_id: str, body: dict,
                   requesters: list[str], today: date) -> Resolution:
    """Associates holding the profile's share of the votes add a resolution between its
    window's days (``agenda.*`` refusals)."""
    loaded = load(session, assembly_id, lock=True)
    _status(loaded, "convened", rule="agenda.closed",
            message="resolutions are added before the assembly opens")
    check_agenda_request(today, loaded.row.held_at.date(), requesters, loaded.electorate,
                         loaded.profile)
    position = len(resolutions_of(session, loaded.row.id)) + 1
    return _add_resolution(session, loaded, position, body, sorted(set(requesters)),
                           "resolution")


# -- before the opening: proxies, postal forms, sign-ins ----------------------------------------
def active_proxies(session: Session, assembly_id: str) -> list[ProxyRecord]:
    return list(session.scalars(select(ProxyRecord).where(
        ProxyRecord.assembly_id == assembly_id, ProxyRecord.revoked_at.is_(None))
        .order_by(ProxyRecord.id)))


def _book(session: Session, loaded: Loaded) -> ProxyBook:
    return ProxyBook(loaded.electorate, loaded.profile,
                     [Proxy(p.giver, p.holder) for p in active_proxies(session, loaded.row.id)])


def _not_open(loaded: Loaded, field: str) -> None:
    if loaded.row.status != "convened":
        raise RuleViolation("proxy.assembly_open", "the assembly has opened: proxies can no "
                            "longer change", (field,))


def give_proxy(session: Session, assembly_id: str, giver: str, holder: str | None,
               recorded_by: str, now: datetime) -> ProxyRecord:
    """Loi 78-763 art. 14 (``proxy.*`` refusals). A giver who already signed in or sent a
    postal form takes part themselves: ``proxy.giver_takes_part``."""
    loaded = load(session, assembly_id, lock=True)
    _not_open(loaded, "giver")
    if session.get(SignIn, (loaded.row.id, giver)) or session.get(PostalForm,
                                                                    (loaded.row.id, giver)):
        raise RuleViolation("proxy.giver_takes_part", "this associate has signed in or voted "
                            "by post: they take part themselves", ("giver",))
    _book(session, loaded).give(giver, holder)
    record = ProxyRecord(cooperative_id=loaded.row.cooperative_id, assembly_id=loaded.row.id,
                         giver=giver, holder=holder, given_at=now, recorded_by=recorded_by)
    session.add(record)
    return record


def revoke_proxy(session: Session, assembly_id: str, giver: str, now: datetime) -> ProxyRecord:
    loaded = load(session, assembly_id, lock=True)
    _not_open(loaded, "giver")
    _book(session, loaded).revoke(giver)
    record = next(p for p in active_proxies(session, loaded.row.id) if p.giver == giver)
    record.revoked_at = now
    return record


def sign_in(session: Session, assembly_id: str, member: str, mode: str,
            now: datetime) -> SignIn:
    """An associate signs the attendance sheet, in person or remote (where allowed). Their
    postal form, if any, is set aside; a proxy they gave lapses at the opening: presence
    prevails."""
    loaded = load(session, assembly_id, lock=True, electorate=False)
    _status(loaded, "convened", rule="attendance.closed",
            message="the attendance is fixed when the assembly opens", field="member_id")
    if session.get(Elector, (loaded.row.id, member)) is None:
        raise RuleViolation("attendance.not_associate", f"{member} is not an associate of the "
                            "electorate", ("member_id",))
    if mode == "remote" and not loaded.profile.remote_participation:
        raise RuleViolation("attendance.remote_not_allowed", "the statutes do not allow taking "
                            "part remotely (loi 47-1775 art. 10)", ("mode",))
    if session.get(SignIn, (loaded.row.id, member)):
        raise ConflictingState("attendance.twice", f"{member} has already signed in",
                               ("member_id",))
    if session.get(PostalForm, (loaded.row.id, member)):
        session.execute(delete(PostalForm).where(PostalForm.assembly_id == loaded.row.id,
                                                 PostalForm.member_id == member))
        ids = [r.id for r in resolutions_of(session, loaded.row.id)]
        session.execute(delete(Vote).where(Vote.resolution_id.in_(ids), Vote.voter == member,
                                           Vote.postal.is_(True)))
        # their sealed postal ballots stay sealed; the poll's close discards them
        session.execute(delete(PollVoter).where(PollVoter.resolution_id.in_(ids),
                                                PollVoter.voter == member,
                                                PollVoter.postal.is_(True)))
    row = SignIn(cooperative_id=loaded.row.cooperative_id, assembly_id=loaded.row.id,
                 member_id=member, mode=mode, signed_at=now)
    session.add(row)
    return row


def postal_vote(session: Session, assembly_id: str, member: str, choices: list[dict],
                master_key: bytes, now: datetime) -> dict[str, str | None]:
    """A postal voting form (where the profile allows it): a choice for every resolution
    of the agenda. Returns each resolution's receipt code (secret ones) or None."""
    loaded = load(session, assembly_id, lock=True)
    _status(loaded, "convened", rule="postal.closed",
            message="postal forms are received before the assembly opens", field="member_id")
    if not loaded.profile.postal_votes:
        raise RuleViolation("attendance.postal_not_allowed", "the statutes do not allow postal "
                            "votes", ("member_id",))
    if member not in loaded.electorate:
        raise RuleViolation("attendance.not_associate", f"{member} is not an associate of the "
                            "electorate", ("member_id",))
    if session.get(PostalForm, (loaded.row.id, member)) or session.get(SignIn,
                                                                         (loaded.row.id, member)):
        raise ConflictingState("attendance.twice", f"{member} has already sent a form or "
                               "signed in", ("member_id",))
    agenda = {r.id: r for r in resolutions_of(session, loaded.row.id)}
    given = {str(c["resolution_id"]): c for c in choices}
    if len(given) != len(choices):
        raise RuleViolation("postal.twice", "one choice per resolution", ("choices",))
    unknown = set(given) - set(agenda)
    if unknown:
        raise RuleViolation("postal.unknown_resolution", f"not on this agenda: "
                            f"{', '.join(sorted(unknown))}", ("choices",))
    missing = [r.code for r in agenda.values() if r.id not in given]
    if missing:
        raise RuleViolation("postal.incomplete", "a postal form gives a choice for every "
                            f"resolution; missing: {', '.join(missing)}", ("choices",))
    session.add(PostalForm(cooperative_id=loaded.row.cooperative_id, assembly_id=loaded.row.id,
                           member_id=member, received_at=now))
    receipts = {}
    for resolution_id, item in given.items():
        resolution = agenda[resolution_id]
        choice = _choice_text(resolution, item, f"choices.{resolution.code}")
        receipts[resolution_id] = _record_ballot(session, resolution, member, None, choice, True,
                                                 master_key)
    return receipts


# -- the opening ------------------------------------------------------------------------------
def open_assembly(session: Session, assembly_id: str, chair: str, secretary: str,
                  master_key: bytes, now: datetime) -> Loaded:
    """The attendance and the quorum of each kind on the agenda, fixed now; the resolutions
    whose kind has its quorum are put to the vote, the others are not deliberated."""
    loaded = load(session, assembly_id, lock=True)
    _status(loaded, "convened", rule="assembly.opened", message="the assembly opens once")
    if now < loaded.row.held_at:
        raise RuleViolation("assembly.too_early", f"the assembly is convened for "
                            f"{loaded.row.held_at.isoformat()}: it opens at that time, not "
                            "before (the associates come at the convened time)",
                            ("assembly_id",))
    attendance = _attendance_now(session, loaded, _book(session, loaded).open())
    rows = []
    for member, mode in attendance.modes.items():
        rows.append({"cooperative_id": loaded.row.cooperative_id, "assembly_id": loaded.row.id,
                     "member_id": member, "mode": _mode_name(mode), "holder": None})
    for giver, holder in attendance.represented.items():
        rows.append({"cooperative_id": loaded.row.cooperative_id, "assembly_id": loaded.row.id,
                     "member_id": giver, "mode": "represented", "holder": holder})
    if rows:
        insert_rows(session, Participant.__table__, rows)
    resolutions = resolutions_of(session, loaded.row.id)
    quorum = quorum_of(attendance, loaded, {r.kind for r in resolutions})
    for resolution in resolutions:
        if quorum[resolution.kind]["reached"]:
            resolution.status = "open"
            if resolution.secret and resolution.poll_key is None:  # postal ballots may have one
                resolution.poll_key = sealing.new_poll_key(master_key, resolution.id)
        else:
            resolution.status = "not_deliberated"
    row = loaded.row
    row.status = "open" if any(r.status == "open" for r in resolutions) else "quorum_lacking"
    row.opened_at, row.chair, row.secretary = now, chair, secretary
    counts = {name: attendance.count(mode) for name, mode in _MODES.items()}
    row.attendance = json.dumps(attendance_summary(attendance))
    row.quorum = json.dumps(list(quorum.values()))
    outbox.publish(session, "cae.governance.assembly_opened.v1", {
        "assembly_id": row.id, "cooperative_id": row.cooperative_id, "opened_at": now,
        "electorate": loaded.electorate.size, **counts,
        "represented": len(attendance.represented),
        "quorum": [{k: q[k] for k in ("kind", "required", "reached", "formula")}
                   for q in quorum.values()]})
    return loaded


def _attendance_now(session: Session, loaded: Loaded, proxies) -> Attendance:
    """The domain's attendance from the sheet as it stands: the sign-ins, the postal forms
    received and ``proxies`` (those in force)."""
    sign_ins = session.execute(select(SignIn.member_id, SignIn.mode).where(
        SignIn.cooperative_id == loaded.row.cooperative_id,
        SignIn.assembly_id == loaded.row.id).order_by(SignIn.member_id)).all()
    forms = session.scalars(select(PostalForm.member_id).where(
        PostalForm.cooperative_id == loaded.row.cooperative_id,
        PostalForm.assembly_id == loaded.row.id).order_by(PostalForm.member_id)).all()
    return take_attendance(loaded.electorate, loaded.profile, proxies,
                           [(s.member_id, _MODES[s.mode]) for s in sign_ins], forms)


def attendance_if_opened_now(session: Session, loaded: Loaded) -> Attendance:
    """Before the opening: the attendance the opening would fix if it came now (the
    proxies of a holder not signed in lapse, a giver who signed in takes part
    themselves: the domain's rules, :func:`~cae_governance.domain.attendance.take_attendance`)."""
    return _attendance_now(session, loaded, _book(session, loaded).proxies)


def attendance_summary(attendance: Attendance) -> dict:
    """The attendance's figures as the assembly keeps them (``attendance`` at the opening)."""
    return {**{name: attendance.count(mode) for name, mode in _MODES.items()},
            "represented": len(attendance.represented),
            "blank_proxies": attendance.blank_count, "text": attendance.text(),
            "lapsed": [{"giver": lapse.proxy.giver, "holder": lapse.proxy.holder,
                        "reason": lapse.reason} for lapse in attendance.lapsed]}


def quorum_of(attendance: Attendance, loaded: Loaded, kinds) -> dict[str, dict]:
    """The quorum of each kind of resolution in ``kinds``, by the domain's rule
    (:func:`~cae_governance.domain.quorum.check_quorum`), as the assembly keeps it."""
    quorum = {}
    for kind in sorted(kinds):
        result = check_quorum(attendance, loaded.profile, DecisionKind(kind),
                              loaded.convocation)
        quorum[kind] = {"kind": kind, "required": None if result.required is None
                        else _fraction(result.required), "needed": result.needed,
                        "taking_part": result.taking_part, "associates": result.associates,
                        "reached": result.met, "formula": result.formula}
    return quorum


def _mode_name(mode: Mode) -> str:
    return next(name for name, value in _MODES.items() if value is mode)


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def attendance_of(session: Session, loaded: Loaded) -> Attendance:
    """The attendance fixed at the opening, read back from ``participants``."""
    rows = session.execute(select(Participant.member_id, Participant.mode, Participant.holder)
                           .where(Participant.cooperative_id == loaded.row.cooperative_id,
                                  Participant.assembly_id == loaded.row.id)).all()
    modes = {r.member_id: _MODES[r.mode] for r in rows if r.mode != "represented"}
    represented = {r.member_id: r.holder for r in rows if r.mode == "represented"}
    stored = json.loads(loaded.row.attendance or "{}")
    lapsed = tuple(Lapsed(Proxy(item["giver"], item["holder"]), item["reason"])
                   for item in stored.get("lapsed", ()))
    return Attendance(loaded.electorate, loaded.profile, modes, represented, lapsed, ())


# -- votes ------------------------------------------------------------------------------------
def _choice_text(resolution: Resolution, item: dict, field: str) -> str:
    """A ballot's choice as stored: for, against, abstain, blank; for an election the
    candidates chosen (sorted, comma-separated), ``abstain`` or ``blank``."""
    if resolution.kind == "election":
        data = json.loads(resolution.effect_data)
        chosen = sorted({str(c) for c in item.get("candidates") or ()})
        choice = item.get("choice")
        if choice == "abstain" and chosen:
            raise RuleViolation("election.abstain_with_choices", "an abstention names nobody",
                                (field,))
        if choice not in (None, "abstain", "blank"):
            raise RuleViolation("vote.choice", "an election's ballot names candidates, or "
                                "says abstain or blank", (field,))
        unknown = [c for c in chosen if c not in data["candidates"]]
        if unknown:
            raise RuleViolation("election.unknown_candidate", f"not a candidate: "
                                f"{', '.join(unknown)}", (field,))
        if len(chosen) > data["seats"]:
            raise RuleViolation("election.too_many_choices", f"at most {data['seats']} "
                                "candidates on a ballot", (field,))
        return ",".join(chosen) if chosen else (choice or "blank")
    if item.get("candidates"):
        raise RuleViolation("vote.choice", "only an election's ballot names candidates",
                            (field,))
    if item.get("choice") not in CHOICES:
        raise RuleViolation("vote.choice", f"one of {', '.join(CHOICES)}", (field,))
    return item["choice"]


def _record_ballot(session: Session, resolution, voter: str, cast_by: str | None,
                   choice: str, postal: bool, master_key: bytes) -> str | None:
    """Write one ballot (``resolution``: its row, or a ``Resolution`` before the opening):
    an open vote, or the voter's record and the sealed ballot. The insert itself refuses a
    second ballot of the voter (``vote.twice``), whatever the requests in flight."""
    row = {"cooperative_id": resolution.cooperative_id, "resolution_id": resolution.id,
           "voter": voter, "cast_by": cast_by, "postal": postal}
    table = (PollVoter if resolution.secret else Vote).__table__
    if not resolution.secret:
        row["choice"] = choice
    written = session.execute(_record_statement(session, table), row).first()
    if written is None:
        raise ConflictingState("vote.twice", f"{voter} has already voted on this resolution",
                               ("resolution_id",))
    if not resolution.secret:
        return None
    if resolution.poll_key is None:  # a postal ballot before the opening
        resolution.poll_key = sealing.new_poll_key(master_key, resolution.id)
    key = sealing.unwrap(master_key, resolution.id, resolution.poll_key)
    receipt = sealing.receipt_code()
    nonce, sealed = sealing.seal(key, resolution.id, {
        "voter": voter, "cast_by": cast_by, "postal": postal, "receipt": receipt,
        "choice": choice}, sealing.padded_length(_candidates(resolution)))
    session.execute(insert(SealedBallot.__table__), {
        "cooperative_id": resolution.cooperative_id, "resolution_id": resolution.id,
        "nonce": nonce, "sealed": sealed})
    return receipt


def _candidates(resolution: Resolution) -> int:
    return len(json.loads(resolution.effect_data).get("candidates", ()))


# A vote's one read, built once (the hot path: no statement built or keyed per request):
# the poll, its row shared-locked against its close, and the voter's participation; Core
# tables, not the ORM, so the cooperative is named here (the kit's tenant filter is an ORM
# hook)
_R, _P = Resolution.__table__, Participant.__table__
_BALLOT_CONTEXT = (
    select(_R.c.id, _R.c.cooperative_id, _R.c.status, _R.c.secret, _R.c.kind,
           _R.c.effect_data, _R.c.poll_key, _P.c.mode, _P.c.holder,
           _P.c.member_id.label("participant"))
    .select_from(_R.outerjoin(_P, (_P.c.cooperative_id == _R.c.cooperative_id)
                              & (_P.c.assembly_id == _R.c.assembly_id)
                              & (_P.c.member_id == bindparam("voter"))))
    .where(_R.c.cooperative_id == bindparam("cooperative"), _R.c.id == bindparam("resolution"),
           _R.c.assembly_id == bindparam("assembly"))
    .with_for_update(read=True, of=_R))
_RECORDS: dict[tuple[str, str], object] = {}


def _record_statement(session: Session, table) -> object:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING voter, built once per dialect: the
    insert itself finds a second ballot of the voter."""
    key = (session.get_bind().dialect.name, table.name)
    if key not in _RECORDS:
        _RECORDS[key] = (dialect_insert(session)(table).on_conflict_do_nothing()
                         .returning(table.c.voter))
    return _RECORDS[key]


def _being_voted(resolution) -> None:
    if resolution is None:
        raise UnknownRecord("resolution.unknown", "no such resolution in this assembly",
                            ("resolution_id",))
    if resolution.status != "open":
        raise ConflictingState("poll.closed", f"this resolution is not being voted on (it is "
                               f"{resolution.status})", ("resolution_id",))


def cast(session: Session, assembly_id: str, resolution_id: str, caller: str,
         on_behalf_of: str | None, item: dict, master_key: bytes) -> tuple[str, str | None]:
    """One ballot on an open poll: the caller's own, or that of an associate whose proxy
    they hold. Returns (the voter, the receipt code of a secret ballot). Refusals:
    ``poll.closed``, ``vote.not_participating``, ``vote.postal_form`` (their form already
    voted), ``vote.not_represented``, ``vote.blank_proxy``, ``vote.twice``, ``vote.choice``
    and the election's."""
    voter = on_behalf_of or caller
    row = session.execute(_BALLOT_CONTEXT, {
        "cooperative": context.tenant_id.get(), "resolution": str(resolution_id),
        "assembly": str(assembly_id), "voter": voter}).first()
    _being_voted(row)
    if row.participant is None:
        raise RuleViolation("vote.not_participating", f"{voter} does not take part in the "
                            "assembly (attendance fixed at its opening)", ("on_behalf_of",))
    if voter != caller and (row.mode != "represented" or row.holder != caller):
        raise RuleViolation("vote.not_represented", f"{caller} holds no proxy of {voter} that "
                            "counts", ("on_behalf_of",))
    if row.mode == "represented" and row.holder is None:
        raise RuleViolation("vote.blank_proxy", "a blank proxy votes by the statutes' rule, "
                            "nobody casts it", ("on_behalf_of",))
    if row.mode == "postal":
        raise RuleViolation("vote.postal_form", "this associate voted by post",
                            ("on_behalf_of",))
    resolution = row
    choice = _choice_text(resolution, item, "choice")
    cast_by = caller if voter != caller else None
    return voter, _record_ballot(session, resolution, voter, cast_by, choice, False,
                                 master_key)


# -- the close of a poll ------------------------------------------------------------------------
def close_poll(session: Session, assembly_id: str, resolution_id: str, master_key: bytes,
               now: datetime) -> Resolution:
    """Count the resolution, publish its result and, adopted, carry out its effect. A
    secret poll's ballots are opened, stripped of their voters and published in the
    order of their receipt codes; the sealed ballots and the poll key are deleted."""
    loaded = load(session, assembly_id)
    # exclusive: the close waits for the votes in flight (shared locks), later votes see it
    resolution = session.scalars(select(Resolution).where(
        Resolution.id == str(resolution_id), Resolution.assembly_id == loaded.row.id)
        .with_for_update()).first()
    _being_voted(resolution)
    attendance = attendance_of(session, loaded)
    ballots = (_open_sealed(session, resolution, attendance, master_key) if resolution.secret
               else session.execute(select(Vote.voter, Vote.cast_by, Vote.choice).where(
                   Vote.cooperative_id == resolution.cooperative_id,
                   Vote.resolution_id == resolution.id)).all())
    if resolution.kind == "election":
        data = json.loads(resolution.effect_data)
        result = elect(
            Election(resolution.code, data["seats"], tuple(data["candidates"]),
                     data["office"], resolution.secret),
            attendance, [ElectionBallot(voter, _chosen(choice), choice == "abstain", cast_by)
                         for voter, cast_by, choice in ballots],
            loaded.profile, loaded.convocation)
        adopted = bool(result.elected)
        stored = _election_result(result, loaded.names(session))
    else:
        result = tally(Motion(resolution.code, DecisionKind(resolution.kind),
                              resolution.from_managers, resolution.secret),
                       attendance, [Ballot(voter, Choice(choice), cast_by)
                                    for voter, cast_by, choice in ballots],
                       loaded.profile, loaded.convocation)
        adopted = result.adopted
        stored = _tally_result(result)
    resolution.status = "adopted" if adopted else "rejected"
    resolution.result = json.dumps(stored)
    resolution.decided_at = now
    _publish_result(session, loaded, resolution, stored, now)
    if adopted:
        _carry_out(session, loaded, resolution, stored)
    return resolution


def _chosen(choice: str) -> frozenset[str]:
    return frozenset() if choice in ("abstain", "blank") else frozenset(choice.split(","))


def _open_sealed(session: Session, resolution: Resolution, attendance: Attendance,
                 master_key: bytes) -> list[tuple[str, str | None, str]]:
    """The poll's ballots opened (postal ones of an associate who then signed in set
    aside); published without their voters, in receipt order; the seals deleted."""
    key = sealing.unwrap(master_key, resolution.id, resolution.poll_key)
    opened = [sealing.open_sealed(key, resolution.id, row.nonce, row.sealed)
              for row in session.scalars(select(SealedBallot).where(
                  SealedBallot.resolution_id == resolution.id))]
    kept = [b for b in opened
            if not (b["postal"] and attendance.modes.get(b["voter"]) is not Mode.POSTAL)]
    college = attendance.electorate.college_of
    # a blank proxy's vote is cast by the statutes' rule: published too, under a receipt
    # code nobody holds (marked BLANK-), so that the list recounts to the result
    blank = ("blank" if resolution.kind == "election"
             else "for" if resolution.from_managers else "against")
    rows = [{"receipt": b["receipt"], "college": college(b["voter"]), "choice": b["choice"]}
            for b in kept]
    rows += [{"receipt": f"BLANK-{sealing.receipt_code()}", "college": college(giver),
              "choice": blank}
             for giver, holder in attendance.represented.items() if holder is None]
    insert_rows(session, PublishedBallot.__table__, sorted(
        ({"cooperative_id": resolution.cooperative_id, "resolution_id": resolution.id, **row}
         for row in rows), key=lambda row: row["receipt"]))
    session.execute(delete(SealedBallot).where(SealedBallot.resolution_id == resolution.id))
    resolution.poll_key = None
    return [(b["voter"], b["cast_by"], b["choice"]) for b in kept]


def _counts(count) -> dict:
    return {"for_votes": count.for_, "against": count.against, "abstain": count.abstain,
            "blank": count.blank, "not_voted": count.not_voted}


def _rule(result) -> dict:
    """The majority applied, as data (the minutes say it in French)."""
    majority = result.majority
    return {"threshold": _fraction(majority.threshold), "strict": majority.strict,
            "on_all": majority.base.name == "ALL_ASSOCIATES",
            "count_abstentions": result.count_abstentions}


def _tally_result(result) -> dict:
    return {"counts": _counts(result.count), "base": result.base, "rule": _rule(result),
            "majority": result.majority.text, "formula": result.formula,
            "share_for": None if result.share_for is None else _fraction(result.share_for),
            "tie": result.tie, "adopted": result.adopted, "source": result.source,
            "colleges": [{"college": c.college, "weight": _fraction(c.weight),
                          "counts": _counts(c.count), "base": c.base} for c in result.colleges]}


def _election_result(result, names: dict[str, str]) -> dict:
    votes = sum(c.votes for c in result.candidates)
    return {"counts": {"for_votes": votes, "against": 0, "abstain": result.abstain,
                       "blank": result.blank, "not_voted": result.not_voted},
            "base": result.base, "rule": _rule(result), "majority": result.majority.text,
            "formula": result.formula, "share_for": None, "tie": False, "adopted": bool(result.elected),
            "source": result.source, "colleges": [],
            "candidates": [{"member_id": c.candidate, "name": names.get(c.candidate, c.candidate),
                            "votes": c.votes, "share": None if c.share is None
                            else _fraction(c.share), "reached": c.reached,
                            "elected": c.elected} for c in result.candidates],
            "elected": list(result.elected), "vacant": result.vacant}


def _publish_result(session: Session, loaded: Loaded, resolution: Resolution, stored: dict,
                    now: datetime) -> None:
    effective = _effective_on(resolution)
    outbox.publish(session, f"cae.governance.resolution_{resolution.status}.v1", {
        "resolution_id": resolution.id, "assembly_id": loaded.row.id,
        "cooperative_id": loaded.row.cooperative_id, "code": resolution.code,
        "title": resolution.title, "kind": resolution.kind, "secret": resolution.secret,
        "effect": resolution.effect, "counts": stored["counts"], "base": stored["base"],
        "majority": stored["majority"], "formula": stored["formula"][:4000],
        "decided_at": now, "effective_on": effective})


def _effective_on(resolution: Resolution) -> date | None:
    data = json.loads(resolution.effect_data)
    for key in ("effective_on", "associate_on"):
        if key in data:
            return date.fromisoformat(data[key])
    return None


def _carry_out(session: Session, loaded: Loaded, resolution: Resolution, stored: dict) -> None:
    """An adopted resolution's effect, as events from its effective date."""
    data = json.loads(resolution.effect_data)
    common = {"resolution_id": resolution.id, "cooperative_id": loaded.row.cooperative_id}
    if resolution.effect == "contribution_schedule":
        outbox.publish(session, "cae.governance.contribution_rate_adopted.v1", {
            **common, "effective_on": date.fromisoformat(data["effective_on"]),
            "bands": data["bands"], "monthly_minimum_cents": data["monthly_minimum_cents"],
            "activity_code": data.get("activity_code")})
    elif resolution.effect == "associate_admission":
        outbox.publish(session, "cae.governance.associate_admitted.v1", {
            **common, "assembly_id": loaded.row.id, "member_id": data["member_id"],
            "associate_on": date.fromisoformat(data["associate_on"])})
    elif resolution.effect == "managers_election":
        on = date.fromisoformat(data["effective_on"])
        if data["office"] == "managers":
            for mandate in session.scalars(select(Mandate).where(
                    Mandate.office == "managers", Mandate.until_date.is_(None))):
                mandate.until_date = on
        for member in stored["elected"]:
            session.add(Mandate(cooperative_id=loaded.row.cooperative_id, member_id=member,
                                office=data["office"], from_date=on, resolution_id=resolution.id))
        outbox.publish(session, "cae.governance.managers_elected.v1", {
            **common, "assembly_id": loaded.row.id, "office": data["office"],
            "seats": data["seats"], "elected": stored["elected"], "effective_on": on})


# -- the close of the assembly --------------------------------------------------------------
def close_assembly(session: Session, assembly_id: str, debate_summary: str, now: datetime,
                   render) -> Assembly:
    """Close a held assembly (every poll closed, ``assembly.polls_open`` otherwise), draw its
    minutes with ``render(session, loaded) -> (pdf, html, pages)`` and publish them."""
    loaded = load(session, assembly_id, lock=True)
    _status(loaded, "open", "quorum_lacking", rule="assembly.not_open",
            message="an assembly is closed once it was opened")
    still_open = [r.code for r in resolutions_of(session, loaded.row.id) if r.status == "open"]
    if still_open:
        raise ConflictingState("assembly.polls_open", "close the vote on resolutions "
                               f"{', '.join(still_open)} first", ("assembly_id",))
    row = loaded.row
    row.status, row.closed_at, row.debate_summary = "closed", now, debate_summary
    pdf, html, pages = render(session, loaded)
    digest = hashlib.sha256(pdf).hexdigest()
    session.add(MinutesRecord(cooperative_id=row.cooperative_id, assembly_id=row.id, pdf=pdf,
                              html=html, sha256=digest, pages=pages, published_at=now))
    outbox.publish(session, "cae.governance.minutes_published.v1", {
        "assembly_id": row.id, "cooperative_id": row.cooperative_id, "published_at": now,
        "sha256": digest, "pages": pages})
    return row
