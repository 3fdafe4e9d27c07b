"""The assemblies (governance service) as the portal shows them: what each page needs and
what each form sends, for the entrepreneur who is an associate (convocations, proxies,
votes, published ballots, minutes) and for the support staff of the cooperative (convene,
attendance and quorum, opening, polls, results, closing, minutes).

Pure of HTTP and Flask: the gateway is typed by ``GovernanceGateway`` below (the HTTP
adapter's ``GovernanceCalls`` implements it; a fake does in the unit tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cae_portal.usecases.forms import refused
from cae_portal.usecases.forms import write as _write
from cae_portal.usecases.gateway import FieldErrors, NotYours, ServiceError, Viewer
from cae_portal.usecases.staff import own_cooperative


class GovernanceGateway(Protocol):
    """The governance service's API with the signed-in person's token."""

    def gather(self, calls: dict[str, Callable[[], Any]]) -> dict[str, Any]: ...
    def governance_settings(self, coop: str) -> dict: ...
    def associates(self, coop: str, on: str | None = None) -> list[dict]: ...
    def assemblies(self, coop: str) -> list[dict]: ...
    def assembly(self, coop: str, assembly_id: str) -> dict: ...
    def attendance_sheet(self, coop: str, assembly_id: str) -> dict: ...
    def convene(self, coop: str, body: dict, idempotency_key: str) -> dict: ...
    def assembly_document(self, coop: str, assembly_id: str, document_id: str) -> bytes: ...
    def proxies(self, coop: str, assembly_id: str) -> dict: ...
    def give_proxy(self, coop: str, assembly_id: str, body: dict,
                   idempotency_key: str) -> dict: ...
    def revoke_proxy(self, coop: str, assembly_id: str, body: dict,
                     idempotency_key: str) -> dict: ...
    def sign_in_associate(self, coop: str, assembly_id: str, body: dict,
                          idempotency_key: str) -> dict: ...
    def open_assembly(self, coop: str, assembly_id: str, body: dict,
                      idempotency_key: str) -> dict: ...
    def vote(self, coop: str, assembly_id: str, resolution_id: str, body: dict) -> dict: ...
    def close_poll(self, coop: str, assembly_id: str, resolution_id: str,
                   idempotency_key: str) -> dict: ...
    def ballots(self, coop: str, assembly_id: str, resolution_id: str) -> dict: ...
    def voters(self, coop: str, assembly_id: str, resolution_id: str) -> list[dict]: ...
    def close_assembly(self, coop: str, assembly_id: str, body: dict,
                       idempotency_key: str) -> dict: ...
    def minutes(self, coop: str, assembly_id: str, fmt: str) -> bytes: ...


class NotAnAssociate(NotYours):
    """The assemblies are the associates' (and the staff's): the 403 page."""


def _own_cooperative(viewer: Viewer) -> str:
    if not viewer.is_entrepreneur or not viewer.cooperative_id:
        raise NotAnAssociate(viewer.subject)
    return viewer.cooperative_id


def _named(mapping: dict[str, str]) -> Callable[[str], str | None]:
    return mapping.get


# -- what is shown -------------------------------------------------------------------------

@dataclass(frozen=True)
class Presence:
    """The attendance and the quorum of each kind on the agenda, as the governance service
    counts them from its attendance sheet (whoever signed the associates in, wherever):
    live before the opening (``fixed`` False: as the opening would fix them now), as fixed
    at the opening afterwards."""

    fixed: bool
    electorate: int
    present: int  # in person or remote
    represented: int
    postal: int
    taking_part: int
    quorum: tuple[dict, ...]  # {kind, required, needed, reached}
    signed: dict[str, str] = field(default_factory=dict)  # member -> in_person | remote

    def as_json(self) -> dict:
        return {"fixed": self.fixed, "electorate": self.electorate, "present": self.present,
                "represented": self.represented, "postal": self.postal,
                "taking_part": self.taking_part,
                "quorum": [dict(q) for q in self.quorum], "signed": dict(self.signed)}


def presence(sheet: dict) -> Presence:
    """The service's attendance sheet (``GET .../sign-ins``, every page) as the page shows
    it; the quorum is the service's (its statutes' rule, counted by its domain)."""
    quorum = tuple({"kind": q["kind"], "required": q.get("required"),
                    "needed": int(q["needed"]), "reached": bool(q["reached"])}
                   for q in sheet.get("quorum", ()))
    return Presence(bool(sheet["fixed"]), int(sheet["electorate"]),
                    int(sheet["in_person"]) + int(sheet["remote"]), int(sheet["represented"]),
                    int(sheet["postal"]), int(sheet["taking_part"]), quorum,
                    {line["member_id"]: line["mode"] for line in sheet.get("items", ())})


# -- the entrepreneur's pages ----------------------------------------------------------------

@dataclass(frozen=True)
class Assemblies:
    items: list[dict]
    readable: bool  # False: the viewer is not an associate (the statutes let only them read)


def assemblies(gateway: GovernanceGateway, viewer: Viewer) -> Assemblies:
    """The cooperative's assemblies, next first then the past ones, latest first."""
    coop = _own_cooperative(viewer)
    try:
        items = gateway.assemblies(coop)
    except ServiceError as error:
        if error.status == 403:
            return Assemblies([], False)
        raise
    return Assemblies(sorted(items, key=lambda a: a["held_at"], reverse=True), True)


@dataclass(frozen=True)
class AssemblyPage:
    assembly: dict
    associates: list[dict]  # the others, whom a proxy may go to
    given: dict | None  # the viewer's proxy in force
    held: list[dict]  # the proxies the viewer holds
    voted: frozenset[str]  # the resolutions the viewer has voted on
    names: dict[str, str] = field(default_factory=dict)
    elector: bool = True
    voters: dict[str, frozenset[str]] = field(default_factory=dict)  # open poll -> who voted

    def to_cast(self, resolution_id: str) -> list[dict]:
        """The proxies the viewer holds whose giver has not voted on this poll yet."""
        done = self.voters.get(resolution_id, frozenset())
        return [p for p in self.held if p["giver"] not in done]

    @property
    def open_polls(self) -> list[dict]:
        return [r for r in self.assembly["resolutions"] if r["status"] == "open"]


def assembly_page(gateway: GovernanceGateway, viewer: Viewer, assembly_id: str) -> AssemblyPage:
    """An assembly as its associates see it: the convocation, the agenda and documents,
    their proxy, the open polls (and whether they voted), the results."""
    coop = _own_cooperative(viewer)
    found = gateway.assembly(coop, assembly_id)
    open_ids = [r["id"] for r in found["resolutions"] if r["status"] == "open"]
    calls = {"associates": lambda: gateway.associates(coop, found["record_date"]),
             "proxies": lambda: gateway.proxies(coop, assembly_id)}
    for rid in open_ids:
        calls[rid] = lambda rid=rid: gateway.voters(coop, assembly_id, rid)
    got = gateway.gather(calls)
    me = viewer.subject
    names = {a["member_id"]: a["name"] for a in got["associates"]}
    active = [p for p in got["proxies"]["items"] if not p.get("revoked_at")]
    given = next((p for p in active if p["giver"] == me), None)
    held = [p for p in active if p.get("holder") == me]
    voters = {rid: frozenset(v["voter"] for v in got[rid]) for rid in open_ids}
    voted = frozenset(rid for rid in open_ids if me in voters[rid])
    others = sorted((a for a in got["associates"] if a["member_id"] != me),
                    key=lambda a: a["name"])
    return AssemblyPage(found, others, given, held, voted, names, me in names, voters)


PROXY_RULES = dict.fromkeys((
    "proxy.giver_not_associate", "proxy.holder_not_associate", "proxy.to_self",
    "proxy.blank_not_allowed", "proxy.already_given", "proxy.chain", "proxy.cap_exceeded",
    "proxy.assembly_open", "proxy.giver_takes_part", "proxy.unknown"), "mandataire")


def give_proxy(gateway: GovernanceGateway, viewer: Viewer, assembly_id: str, holder: str,
               idempotency_key: str) -> dict:
    coop = _own_cooperative(viewer)
    if not holder:
        raise FieldErrors({"mandataire": ["Choose the associate who will vote for you."]},
                          {"mandataire": "proxy.holder_missing"})
    return _write(lambda: gateway.give_proxy(coop, assembly_id, {"holder": holder},
                                             idempotency_key),
                  _named({"holder": "mandataire", "giver": "mandataire"}), PROXY_RULES)


def revoke_proxy(gateway: GovernanceGateway, viewer: Viewer, assembly_id: str,
                 idempotency_key: str) -> dict:
    coop = _own_cooperative(viewer)
    return _write(lambda: gateway.revoke_proxy(coop, assembly_id, {}, idempotency_key),
                  _named({"giver": "mandataire"}), PROXY_RULES)


CHOICES = ("for", "against", "abstain", "blank")
VOTE_RULES = dict.fromkeys((
    "poll.closed", "vote.twice", "vote.not_participating", "vote.not_represented",
    "vote.blank_proxy", "vote.postal_form", "vote.choice", "resolution.unknown"), "choix")


@dataclass(frozen=True)
class Voted:
    resolution_id: str
    secret: bool
    receipt: str | None


def vote(gateway: GovernanceGateway, viewer: Viewer, assembly_id: str, resolution_id: str,
         choice: str, on_behalf_of: str | None = None) -> Voted:
    """The viewer's ballot on an open poll, or that of an associate whose proxy they hold
    (``on_behalf_of``); a secret one comes back with its receipt code (shown once: the
    service keeps no link from the voter to it)."""
    coop = _own_cooperative(viewer)
    if choice not in CHOICES:
        raise FieldErrors({"choix": ["Choose for, against, abstain or blank."]},
                          {"choix": "vote.choice_missing"})
    body = {"choice": choice}
    if on_behalf_of:
        body["on_behalf_of"] = on_behalf_of
    cast = _write(lambda: gateway.vote(coop, assembly_id, resolution_id, body),
                  lambda name: "choix", VOTE_RULES)
    return Voted(resolution_id, bool(cast["secret"]), cast.get("receipt"))


@dataclass(frozen=True)
class Ballots:
    assembly: dict
    resolution: dict
    items: list[dict]
    counts: dict
    mine: str | None  # the receipt looked for, when it is in the list

    @property
    def found(self) -> bool:
        return self.mine is not None


def _resolution(assembly: dict, resolution_id: str) -> dict:
    for resolution in assembly["resolutions"]:
        if resolution["id"] == resolution_id:
            return resolution
    raise ServiceError(404, "no such resolution in this assembly", rule="resolution.unknown",
                       service="governance")


def published_ballots(gateway: GovernanceGateway, viewer: Viewer, assembly_id: str,
                      resolution_id: str, receipt: str | None) -> Ballots:
    """A closed secret poll's ballots, in receipt order; ``receipt`` found among them."""
    coop = _own_cooperative(viewer)
    got = gateway.gather({"assembly": lambda: gateway.assembly(coop, assembly_id),
                          "ballots": lambda: gateway.ballots(coop, assembly_id, resolution_id)})
    items = got["ballots"]["items"]
    wanted = (receipt or "").strip().upper()
    mine = wanted if wanted and any(b["receipt"].upper() == wanted for b in items) else None
    return Ballots(got["assembly"], _resolution(got["assembly"], resolution_id), items,
                   got["ballots"]["counts"], mine)


def minutes_page(gateway: GovernanceGateway, viewer: Viewer, assembly_id: str) -> dict:
    """The assembly whose minutes are published (its results, the minutes' SHA-256)."""
    coop = _own_cooperative(viewer)
    return gateway.assembly(coop, assembly_id)


def minutes_document(gateway: GovernanceGateway, viewer: Viewer, assembly_id: str,
                     fmt: str, coop: str | None = None) -> bytes:
    """The minutes drawn by the service, ``html`` or ``pdf`` (the viewer's cooperative, or
    ``coop`` for its staff)."""
    if fmt not in ("html", "pdf"):
        raise ValueError(fmt)
    coop = own_cooperative(viewer, coop) if coop else _own_cooperative(viewer)
    return gateway.minutes(coop, assembly_id, fmt)


def document(gateway: GovernanceGateway, viewer: Viewer, assembly_id: str, document_id: str,
             coop: str | None = None) -> tuple[dict, bytes]:
    """A document of the convocation (its title and media type, and its bytes)."""
    coop = own_cooperative(viewer, coop) if coop else _own_cooperative(viewer)
    got = gateway.gather({
        "assembly": lambda: gateway.assembly(coop, assembly_id),
        "content": lambda: gateway.assembly_document(coop, assembly_id, document_id)})
    described = next((d for d in got["assembly"]["documents"] if d["id"] == document_id), None)
    if described is None:
        raise ServiceError(404, "no such document", rule="document.unknown",
                           service="governance")
    return described, got["content"]


# -- the support staff's pages ---------------------------------------------------------------

def staff_assemblies(gateway: GovernanceGateway, viewer: Viewer, coop: str) -> list[dict]:
    own_cooperative(viewer, coop)
    return sorted(gateway.assemblies(coop), key=lambda a: a["held_at"], reverse=True)


@dataclass
class ConveneForm:
    """The convocation as typed: its resolutions are the lines with a title."""

    title: str
    kind: str
    held_at: str  # ISO date and time with its offset
    place: str
    video_link: str
    convened_on: str
    resolutions: list[dict]  # {title, text, kind, secret}


CONVENE_FIELDS = {"title": "titre", "kind": "type", "held_at": "jour", "place": "lieu",
                  "video_link": "lien", "convened_on": "convoquee_le",
                  "record_date": "convoquee_le", "resolutions": "r1_titre"}
CONVENE_RULES = {"convocation.too_late": "jour", "convocation.future": "convoquee_le",
                 "record_date.out_of_range": "convoquee_le", "assembly.where": "lieu",
                 "attendance.remote_not_allowed": "lien", "electorate.empty": "convoquee_le",
                 "agenda.empty": "r1_titre", "date.out_of_range": "jour"}
RESOLUTION_FIELDS = {"title": "titre", "text": "texte", "kind": "type", "secret": "secret",
                     "effect": "type"}


def convene_field(name: str) -> str | None:
    """The form's field for a service's dotted field name."""
    parts = name.split(".")
    if parts[0] == "resolutions" and len(parts) >= 3 and parts[1].isdigit():
        return f"r{int(parts[1]) + 1}_{RESOLUTION_FIELDS.get(parts[2], 'titre')}"
    return CONVENE_FIELDS.get(name)


def convene(gateway: GovernanceGateway, viewer: Viewer, coop: str, form: ConveneForm,
            idempotency_key: str) -> dict:
    """Convene an assembly; the service checks the statutes' delay, the agenda and the
    electorate; a refusal is shown next to the field it is about."""
    own_cooperative(viewer, coop)
    body = {"title": form.title, "kind": form.kind, "held_at": form.held_at,
            "place": form.place or None, "video_link": form.video_link or None,
            "resolutions": [{"title": r["title"], "text": r["text"] or r["title"],
                             "kind": r["kind"], "secret": bool(r.get("secret")) or None}
                            for r in form.resolutions]}
    if form.convened_on:
        body["convened_on"] = form.convened_on
    try:
        return _write(lambda: gateway.convene(coop, body, idempotency_key), convene_field,
                      CONVENE_RULES)
    except FieldErrors as shown:
        # the delay is about the assembly's date (the service names convened_on for it):
        # the date is what the staff change
        if shown.codes and set(shown.codes.values()) == {"convocation.too_late"}:
            shown.fields = {"jour": [m for ms in shown.fields.values() for m in ms]}
            shown.codes = {"jour": "convocation.too_late"}
        raise


@dataclass(frozen=True)
class StaffAssembly:
    assembly: dict
    associates: list[dict]  # the electorate's names (associates on the record date)
    proxies: list[dict]
    cap_rule: str
    presence: Presence
    voters: dict[str, int]  # resolution id -> ballots cast so far (open polls)

    @property
    def names(self) -> dict[str, str]:
        return {a["member_id"]: a["name"] for a in self.associates}


def staff_assembly(gateway: GovernanceGateway, viewer: Viewer, coop: str,
                   assembly_id: str) -> StaffAssembly:
    """The assembly for its staff: the attendance sheet and the quorum live (as the
    service holds them: every staff member sees the same), the proxies, the polls and
    their results."""
    own_cooperative(viewer, coop)
    found = gateway.assembly(coop, assembly_id)
    open_ids = [r["id"] for r in found["resolutions"] if r["status"] == "open"]
    calls = {"associates": lambda: gateway.associates(coop, found["record_date"]),
             "proxies": lambda: gateway.proxies(coop, assembly_id),
             "sheet": lambda: gateway.attendance_sheet(coop, assembly_id)}
    for rid in open_ids:
        calls[rid] = lambda rid=rid: gateway.voters(coop, assembly_id, rid)
    got = gateway.gather(calls)
    proxies = got["proxies"]["items"]
    return StaffAssembly(
        found, sorted(got["associates"], key=lambda a: a["name"]), proxies,
        got["proxies"].get("cap_rule", ""), presence(got["sheet"]),
        {rid: len(got[rid]) for rid in open_ids})


def live_presence(gateway: GovernanceGateway, viewer: Viewer, coop: str,
                  assembly_id: str) -> Presence:
    """What the staff's assembly page updates by itself: the attendance and the quorum,
    read from the service's attendance sheet."""
    own_cooperative(viewer, coop)
    return presence(gateway.attendance_sheet(coop, assembly_id))


SIGN_IN_RULES = {"attendance.twice": "membre", "attendance.closed": "membre",
                 "attendance.not_associate": "membre", "attendance.remote_not_allowed": "membre"}


def sign_in_associate(gateway: GovernanceGateway, viewer: Viewer, coop: str,
                      assembly_id: str, member_id: str, idempotency_key: str) -> bool:
    """Sign an associate in, present in person. True when signed now, False when they
    already were (the sheet holds them all the same)."""
    own_cooperative(viewer, coop)
    try:
        gateway.sign_in_associate(coop, assembly_id, {"member_id": member_id,
                                                      "mode": "in_person"}, idempotency_key)
    except ServiceError as error:
        if error.status == 409 and error.rule == "attendance.twice":
            return False
        if error.status in (409, 422):
            raise refused(error, lambda name: "membre", SIGN_IN_RULES) from error
        raise
    return True


def associate_name(gateway: GovernanceGateway, viewer: Viewer, coop: str, assembly_id: str,
                   member_id: str) -> str:
    """An associate's name as the service knows it: its attendance sheet's, else its list of
    the associates on the record date (the member's id when neither names them)."""
    own_cooperative(viewer, coop)
    sheet = gateway.attendance_sheet(coop, assembly_id)
    for line in sheet.get("items", ()):
        if line.get("member_id") == member_id and line.get("name"):
            return str(line["name"])
    found = gateway.assembly(coop, assembly_id)
    for associate in gateway.associates(coop, found["record_date"]):
        if associate["member_id"] == member_id and associate.get("name"):
            return str(associate["name"])
    return member_id


def open_assembly(gateway: GovernanceGateway, viewer: Viewer, coop: str, assembly_id: str,
                  chair: str, secretary: str, idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    errors = {name: ["This field is required."] for name, value in
              (("president", chair), ("secretaire", secretary)) if not value.strip()}
    if errors:
        raise FieldErrors(errors, dict.fromkeys(errors, "field.required"))
    return _write(lambda: gateway.open_assembly(coop, assembly_id, {
        "chair": chair.strip(), "secretary": secretary.strip()}, idempotency_key),
        _named({"chair": "president", "secretary": "secretaire"}),
        {"assembly.too_early": "president", "assembly.opened": "president"})


def close_poll(gateway: GovernanceGateway, viewer: Viewer, coop: str, assembly_id: str,
               resolution_id: str, idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    return _write(lambda: gateway.close_poll(coop, assembly_id, resolution_id,
                                             idempotency_key),
                  lambda name: "scrutin", {"poll.closed": "scrutin",
                                           "resolution.unknown": "scrutin"})


def close_assembly(gateway: GovernanceGateway, viewer: Viewer, coop: str, assembly_id: str,
                   summary: str, idempotency_key: str) -> dict:
    own_cooperative(viewer, coop)
    if not summary.strip():
        raise FieldErrors({"debats": ["This field is required."]}, {"debats": "field.required"})
    return _write(lambda: gateway.close_assembly(coop, assembly_id,
                                                 {"debate_summary": summary.strip()},
                                                 idempotency_key),
                  _named({"debate_summary": "debats"}),
                  {"assembly.polls_open": "debats", "assembly.not_open": "debats"})


def staff_minutes_page(gateway: GovernanceGateway, viewer: Viewer, coop: str,
                       assembly_id: str) -> dict:
    own_cooperative(viewer, coop)
    return gateway.assembly(coop, assembly_id)
