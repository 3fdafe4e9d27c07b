"""The governance nameko service: a thin shell over the assemblies' use cases and the kit.

Who may do what: staff (roles ``staff``, ``admin``) and the cooperative's managers in
office (elected through this service) convene and run assemblies; the associates of an
assembly's electorate read it, give proxies, send postal forms and vote; entrepreneurs
who are not associates read the assemblies only where the cooperative's settings let
them attend (``non_associates_attend``); nobody reads another cooperative's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from cae_contracts import Event
from cae_governance.adapters import sealing
from cae_governance.adapters.schemas import (
    DOCUMENT_TYPES,
    AddedResolutionIn,
    AssembliesQuery,
    AssemblyList,
    AssemblyOut,
    AssociateList,
    AssociatesQuery,
    AttendanceSheetOut,
    BallotList,
    CloseIn,
    CollegeOfIn,
    CollegeOut,
    ConveneIn,
    MinutesQuery,
    OpenIn,
    PostalIn,
    PostalOut,
    ProxyIn,
    ProxyList,
    ProxyOut,
    ResolutionOut,
    RevokeIn,
    SecondConvocationIn,
    SettingsIn,
    SettingsOut,
    SignInIn,
    SignInOut,
    SignInsQuery,
    VoteIn,
    VoteOut,
    VoterList,
)
from cae_governance.usecases import assemblies, minutes, reading
from cae_governance.usecases import electorate as people
from caekit import context
from caekit.config import settings_of
from caekit.fields import encode_cursor
from caekit.handlers import reliable_handler
from caekit.http import api
from caekit.openapi import Reply
from caekit.problems import Forbidden
from caekit.service import ServiceBase

STAFF = {"staff", "admin"}
MEMBERS = STAFF | {"entrepreneur"}
WRITE = {"roles": MEMBERS, "idempotency_required": True}
ASSEMBLY = "/cooperatives/<cooperative_id>/assemblies/<assembly_id>"
RESOLUTION = ASSEMBLY + "/resolutions/<resolution_id>"


class BallotKey(DependencyProvider):
    """The service's ballot key (``CAE_GOVERNANCE_BALLOT_KEY``), checked when the service
    starts: a production service without one refuses to start."""

    def setup(self):
        self.key = sealing.ballot_key(settings_of(self.container).production)

    def get_dependency(self, worker_ctx):
        return self.key


def _now() -> datetime:
    return datetime.now(UTC)


class GovernanceService(ServiceBase):
    name = "governance"
    ballot_key = BallotKey()

    # -- the read model of members ------------------------------------------------------
    @reliable_handler("cae.members.cooperative_registered.v1")
    def on_cooperative_registered(self, event: Event):
        data = event.data
        people.register_cooperative(self.db, str(data["cooperative_id"]), data["name"],
                                    data["siren"], data["legal_form"], data["statute_profile"])

    @reliable_handler("cae.members.cooperative_updated.v1")
    def on_cooperative_updated(self, event: Event):
        data = event.data
        row = self.db.get(people.Cooperative, str(data["cooperative_id"]))
        people.register_cooperative(self.db, str(data["cooperative_id"]), data["name"],
                                    row.siren if row else None, data["legal_form"],
                                    data["statute_profile"])

    @reliable_handler("cae.members.member_joined.v2")
    def on_member_joined(self, event: Event):
        data = event.data
        people.person_joined(self.db, str(data["cooperative_id"]), str(data["member_id"]),
                             data["first_name"], data["last_name"], data["joined_on"])

    @reliable_handler("cae.members.member_became_associate.v1")
    def on_member_became_associate(self, event: Event):
        data = event.data
        people.became_associate(self.db, str(data["cooperative_id"]), str(data["member_id"]),
                                data["associate_on"])

    @reliable_handler("cae.members.member_left.v1")
    def on_member_left(self, event: Event):
        data = event.data
        people.person_left(self.db, str(data["cooperative_id"]), str(data["member_id"]),
                           data["left_on"])

    # -- who is calling --------------------------------------------------------------------
    def _subject(self) -> str:
        return context.caller.get().subject

    def _runs(self) -> str:
        """The caller, when they may convene and run assemblies: staff or a manager."""
        who = context.caller.get()
        if who.has_any(STAFF) or assemblies.is_manager(self.db, who.subject, date.today()):
            return who.subject
        raise Forbidden("staff or the cooperative's managers convene and run assemblies")

    def _reads(self, cooperative_id, assembly_id=None) -> bool:
        """May the caller read (the assembly)? True for staff and managers."""
        who = context.caller.get()
        if who.has_any(STAFF) or assemblies.is_manager(self.db, who.subject, date.today()):
            return True
        if assembly_id is not None and reading.is_elector(self.db, assembly_id, who.subject):
            return False
        if people.is_associate(self.db, cooperative_id, who.subject, date.today()):
            return False
        coop = self.db.get(people.Cooperative, cooperative_id)
        if coop is not None and people.settings_of(coop)["non_associates_attend"]:
            return False
        raise Forbidden("the assemblies are read by the cooperative's associates"
                        + ("" if coop is None else " (its statutes do not let others attend)"))

    def _acting_for(self, member) -> str:
        """``member`` when staff act for them (a paper proxy or form), else the caller."""
        who = context.caller.get()
        if member is None or str(member) == who.subject:
            return who.subject
        if not who.has_any(STAFF):
            raise Forbidden("only staff record a proxy, a form or a signature for someone else")
        return str(member)

    def _commit(self, status, body):
        self.db.commit()
        return status, body

    # -- settings and associates ---------------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/governance-settings", roles=MEMBERS)
    def get_settings(self, request, cooperative_id):
        self._reads(cooperative_id)
        return SettingsOut().dump(reading.settings(self.db, cooperative_id))

    @api("PUT", "/cooperatives/<cooperative_id>/governance-settings", schema=SettingsIn,
         roles=STAFF, idempotency_required=True)
    def change_settings(self, request, cooperative_id, body):
        people.change_settings(self.db, cooperative_id, body["overrides"], body["colleges"],
                               body["non_associates_attend"], body["head_office"])
        return self._commit(200, SettingsOut().dump(reading.settings(self.db, cooperative_id)))

    @api("GET", "/cooperatives/<cooperative_id>/associates", roles=MEMBERS,
         query=AssociatesQuery)
    def list_associates(self, request, cooperative_id, query):
        self._reads(cooperative_id)
        on = query.get("on") or date.today()
        return AssociateList().dump({"on": on, "items": reading.associates(self.db, on)})

    @api("PUT", "/cooperatives/<cooperative_id>/associates/<member_id>/college",
         schema=CollegeOfIn, roles=STAFF, idempotency_required=True)
    def set_college(self, request, cooperative_id, member_id, body):
        people.set_college(self.db, cooperative_id, member_id, body["college"])
        return self._commit(200, CollegeOut().dump({"member_id": member_id,
                                                    "college": body["college"]}))

    # -- convening ------------------------------------------------------------------------------
    @api("POST", "/cooperatives/<cooperative_id>/assemblies", schema=ConveneIn, **WRITE)
    def convene(self, request, cooperative_id, body):
        row = assemblies.convene(self.db, cooperative_id, body, self._runs(), date.today())
        return self._commit(201, self._assembly(row.id))

    @api("GET", "/cooperatives/<cooperative_id>/assemblies", roles=MEMBERS, query=AssembliesQuery)
    def list_assemblies(self, request, cooperative_id, query):
        self._reads(cooperative_id)
        return AssemblyList().dump({"items": reading.assemblies_list(self.db, query.get("year"),
                                                                 query["limit"])})

    @api("GET", ASSEMBLY, roles=MEMBERS)
    def get_assembly(self, request, cooperative_id, assembly_id):
        self._reads(cooperative_id, assembly_id)
        return self._assembly(assembly_id)

    def _assembly(self, assembly_id) -> dict:
        return AssemblyOut().dump(reading.assembly(self.db, assembly_id))

    @api("POST", ASSEMBLY + "/second-convocation", schema=SecondConvocationIn, **WRITE)
    def second_convocation(self, request, cooperative_id, assembly_id, body):
        row = assemblies.second_convocation(self.db, cooperative_id, assembly_id, body,
                                            self._runs(), date.today())
        return self._commit(201, self._assembly(row.id))

    @api("POST", ASSEMBLY + "/resolutions", schema=AddedResolutionIn, **WRITE)
    def add_resolution(self, request, cooperative_id, assembly_id, body):
        """Associates holding the statutes' share of the votes add a resolution."""
        requesters = [str(r) for r in body.pop("requesters")]
        who = context.caller.get()
        if not who.has_any(STAFF) and who.subject not in requesters:
            raise Forbidden("an associate adds a resolution they ask for themselves")
        row = assemblies.add_resolution(self.db, cooperative_id, assembly_id, body, requesters,
                                        date.today())
        self.db.flush()
        return self._commit(201, ResolutionOut().dump(reading.resolution_out(row)))

    @api("GET", ASSEMBLY + "/documents/<document_id>", roles=MEMBERS)
    def get_document(self, request, cooperative_id, assembly_id, document_id):
        self._reads(cooperative_id, assembly_id)
        document = reading.document(self.db, assembly_id, document_id)
        return Response(document.content, mimetype=document.media_type, headers={
            "Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"})

    # -- proxies, postal forms, sign-ins ------------------------------------------------------
    @api("GET", ASSEMBLY + "/proxies", roles=MEMBERS)
    def list_proxies(self, request, cooperative_id, assembly_id):
        """Every proxy (staff), or those the caller gave or holds."""
        staff = self._reads(cooperative_id, assembly_id)
        return ProxyList().dump(reading.proxies(self.db, assembly_id,
                                                None if staff else self._subject()))

    @api("POST", ASSEMBLY + "/proxies", schema=ProxyIn, **WRITE)
    def give_proxy(self, request, cooperative_id, assembly_id, body):
        giver = self._acting_for(body["giver"])
        holder = None if body["holder"] is None else str(body["holder"])
        record = assemblies.give_proxy(self.db, assembly_id, giver, holder, self._subject(),
                                       _now())
        return self._commit(201, ProxyOut().dump(record))

    @api("POST", ASSEMBLY + "/proxies/revocation", schema=RevokeIn, **WRITE)
    def revoke_proxy(self, request, cooperative_id, assembly_id, body):
        record = assemblies.revoke_proxy(self.db, assembly_id, self._acting_for(body["giver"]),
                                         _now())
        return self._commit(200, ProxyOut().dump(record))

    # a ballot's request and response are never recorded (ADR 0013): no Idempotency-Key; a
    # retry is refused as a second vote (attendance.twice, vote.twice)
    @api("POST", ASSEMBLY + "/postal-votes", schema=PostalIn, roles=MEMBERS, unrecorded=True)
    def postal_vote(self, request, cooperative_id, assembly_id, body):
        member = self._acting_for(body["member_id"])
        receipts = assemblies.postal_vote(self.db, assembly_id, member, body["choices"],
                                          self.ballot_key, _now())
        return self._commit(201, PostalOut().dump({"member_id": member, "receipts": [
            {"resolution_id": k, "receipt": v} for k, v in receipts.items()]}))

    @api("POST", ASSEMBLY + "/sign-ins", schema=SignInIn, **WRITE)
    def sign_in(self, request, cooperative_id, assembly_id, body):
        """Staff sign associates in; an associate signs themselves in remotely."""
        member = self._acting_for(body["member_id"])
        who = context.caller.get()
        if not who.has_any(STAFF) and body["mode"] != "remote":
            raise Forbidden("staff sign in the associates present in person")
        row = assemblies.sign_in(self.db, assembly_id, member, body["mode"], _now())
        return self._commit(201, SignInOut().dump(row))

    @api("GET", ASSEMBLY + "/sign-ins", roles=STAFF, query=SignInsQuery)
    def attendance_sheet(self, request, cooperative_id, assembly_id, query):
        """The attendance sheet (who signed in, how, when, the proxies each holds), a page
        at a time, with the postal forms, the proxies and the quorum of each kind: live
        before the opening, as fixed at it afterwards."""
        sheet = reading.attendance_sheet(self.db, assembly_id, query["limit"], query["after"])
        sheet["next_cursor"] = encode_cursor(sheet.pop("next_after"))
        return AttendanceSheetOut().dump(sheet)

    # -- the assembly held -------------------------------------------------------------------------
    @api("POST", ASSEMBLY + "/opening", schema=OpenIn, **WRITE)
    def open_assembly(self, request, cooperative_id, assembly_id, body):
        self._runs()
        assemblies.open_assembly(self.db, assembly_id, body["chair"], body["secretary"],
                                 self.ballot_key, _now())
        return self._commit(200, self._assembly(assembly_id))

    @api("POST", RESOLUTION + "/votes", schema=VoteIn, roles=MEMBERS, unrecorded=True)
    def vote(self, request, cooperative_id, assembly_id, resolution_id, body):
        on_behalf = None if body["on_behalf_of"] is None else str(body["on_behalf_of"])
        voter, receipt = assemblies.cast(self.db, assembly_id, resolution_id, self._subject(),
                                         on_behalf, body, self.ballot_key)
        return self._commit(201, VoteOut().dump({"resolution_id": resolution_id, "voter": voter,
                                                 "secret": receipt is not None,
                                                 "receipt": receipt}))

    @api("POST", RESOLUTION + "/close", roles=MEMBERS, idempotency_required=True)
    def close_poll(self, request, cooperative_id, assembly_id, resolution_id):
        self._runs()
        row = assemblies.close_poll(self.db, assembly_id, resolution_id, self.ballot_key, _now())
        return self._commit(200, ResolutionOut().dump(reading.resolution_out(row)))

    @api("GET", RESOLUTION + "/ballots", roles=MEMBERS)
    def published_ballots(self, request, cooperative_id, assembly_id, resolution_id):
        """A closed secret poll's ballots: each voter finds their receipt; anyone recounts."""
        self._reads(cooperative_id, assembly_id)
        return BallotList().dump(reading.ballots(self.db, assembly_id, resolution_id))

    @api("GET", RESOLUTION + "/voters", roles=MEMBERS)
    def voters(self, request, cooperative_id, assembly_id, resolution_id):
        """Who voted (the émargement), never what."""
        self._reads(cooperative_id, assembly_id)
        return VoterList().dump({"items": reading.voters(self.db, assembly_id, resolution_id)})

    @api("POST", ASSEMBLY + "/closing", schema=CloseIn, **WRITE)
    def close_assembly(self, request, cooperative_id, assembly_id, body):
        self._runs()
        assemblies.close_assembly(self.db, assembly_id, body["debate_summary"], _now(),
                                  minutes.render)
        return self._commit(200, self._assembly(assembly_id))

    @api("GET", ASSEMBLY + "/minutes", roles=MEMBERS, query=MinutesQuery)
    def get_minutes(self, request, cooperative_id, assembly_id, query):
        """The minutes as HTML, or PDF with ?format=pdf or Accept: application/pdf."""
        self._reads(cooperative_id, assembly_id)
        record = reading.minutes(self.db, assembly_id)
        wants_pdf = query.get("format") == "pdf" or (
            "format" not in query and request.accept_mimetypes.best_match(
                ["text/html", "application/pdf"]) == "application/pdf")
        headers = {"X-Minutes-SHA256": record.sha256}
        if wants_pdf:
            return Response(record.pdf, mimetype="application/pdf", headers={
                **headers, "Content-Disposition": f'inline; filename="pv-{assembly_id}.pdf"'})
        return Response(record.html, mimetype="text/html", headers=headers)


# the replies of each endpoint and the problems it can return besides the kit's, for the
# OpenAPI document (caekit.openapi)
_DB = {503: "The governance database is unavailable; retry later."}
_RULE = "A rule refuses it (errors.rule names it, with the law where there is one)"
_UNKNOWN = {404: "No such assembly in this cooperative (assembly.unknown).", **_DB}
_MINUTES = "The minutes (procès-verbal), in French."
RESPONSES = {
    "get_settings": (200, SettingsOut, "The cooperative's statute profile and settings.", _DB),
    "change_settings": (200, SettingsOut, "The settings now.", {
        404: "Governance does not know the cooperative (cooperative.unknown).",
        422: _RULE + ": profile.convocation_days, profile.postal_votes_required, college.*.",
        **_DB}),
    "list_associates": (200, AssociateList, "The associates on the day, by name.", _DB),
    "set_college": (200, CollegeOut, "The associate's college.", {
        404: "No such member (member.unknown).", 422: _RULE + ": college.unknown.", **_DB}),
    "convene": (201, AssemblyOut, "The assembly convened.", {
        404: "Governance does not know the cooperative (cooperative.unknown).",
        422: _RULE + ": convocation.too_late (fewer days than the statutes' delay), "
             "convocation.future, record_date.out_of_range, electorate.empty, "
             "resolution.kind, resolution.effect_kind, resolution.secret_ballot_required, "
             "effect.*, election.*, assembly.where, attendance.remote_not_allowed.", **_DB}),
    "list_assemblies": (200, AssemblyList, "The cooperative's assemblies, latest first.", _DB),
    "get_assembly": (200, AssemblyOut, "The assembly: agenda, attendance, quorum, results.",
                     _UNKNOWN),
    "second_convocation": (201, AssemblyOut, "The second convocation, with the resolutions "
                           "not deliberated.", {
                               **_UNKNOWN, 409: "assembly.not_held, assembly.not_second, "
                               "assembly.nothing_left, assembly.second_exists.",
                               422: _RULE + ": convocation.too_late."}),
    "add_resolution": (201, ResolutionOut, "The resolution added to the agenda.", {
        **_UNKNOWN, 409: "The assembly has opened (agenda.closed).",
        422: _RULE + ": agenda.outside_window, agenda.too_few_votes, agenda.not_associate."}),
    "get_document": (*(Reply(200, None, "The document, in the media type it was sent with.",
                             media) for media in DOCUMENT_TYPES),
                     {404: "No such document (document.unknown).", **_DB}),
    "list_proxies": (200, ProxyList, "The proxies, with the cap per holder.", _UNKNOWN),
    "give_proxy": (201, ProxyOut, "The proxy recorded.", {
        **_UNKNOWN, 422: _RULE + " (loi 78-763 art. 14): proxy.holder_not_associate, "
        "proxy.giver_not_associate, proxy.to_self, proxy.blank_not_allowed, "
        "proxy.already_given, proxy.chain, proxy.cap_exceeded, proxy.assembly_open, "
        "proxy.giver_takes_part."}),
    "revoke_proxy": (200, ProxyOut, "The proxy, revoked.", {
        **_UNKNOWN, 422: _RULE + ": proxy.unknown, proxy.assembly_open."}),
    "postal_vote": (201, PostalOut, "The form recorded, with a receipt per secret ballot.", {
        **_UNKNOWN, 409: "attendance.twice, postal.closed.",
        422: _RULE + ": attendance.postal_not_allowed, attendance.not_associate, "
        "postal.incomplete, postal.unknown_resolution, vote.choice, election.*."}),
    "sign_in": (201, SignInOut, "The signature on the attendance sheet.", {
        **_UNKNOWN, 409: "attendance.twice, attendance.closed.",
        422: _RULE + ": attendance.not_associate, attendance.remote_not_allowed."}),
    "attendance_sheet": (200, AttendanceSheetOut, "A page of the attendance sheet, the "
                         "proxies, the postal forms and the quorum (live before the opening, "
                         "fixed at it).", _UNKNOWN),
    "open_assembly": (200, AssemblyOut, "The assembly open, with its attendance and quorum.", {
        **_UNKNOWN, 409: "The assembly was already opened (assembly.opened).",
        422: _RULE + ": assembly.too_early."}),
    "vote": (201, VoteOut, "The ballot recorded (a secret one with its receipt code).", {
        404: "No such resolution in this assembly (resolution.unknown).",
        409: "poll.closed, vote.twice.",
        422: _RULE + ": vote.not_participating, vote.not_represented, vote.blank_proxy, "
        "vote.postal_form, vote.choice, election.too_many_choices, "
        "election.unknown_candidate, election.abstain_with_choices.", **_DB}),
    "close_poll": (200, ResolutionOut, "The resolution with its result.", {
        404: "No such resolution in this assembly (resolution.unknown).",
        409: "The poll is not open (poll.closed).", **_DB}),
    "published_ballots": (200, BallotList, "The published ballots.", {
        404: "No such resolution (resolution.unknown).",
        409: "Not a secret poll, or not closed yet (ballots.not_published).", **_DB}),
    "voters": (200, VoterList, "Who voted on the resolution.", {
        404: "No such resolution (resolution.unknown).", **_DB}),
    "close_assembly": (200, AssemblyOut, "The assembly closed; its minutes published.", {
        **_UNKNOWN, 409: "assembly.not_open, assembly.polls_open."}),
    "get_minutes": (Reply(200, None, _MINUTES, "text/html"),
                    Reply(200, None, _MINUTES, "application/pdf"),
                    {404: "No minutes yet (minutes.unknown) or no such assembly.", **_DB}),
}
