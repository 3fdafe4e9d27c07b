"""The HTTP API of certifications, calls for tenders, proposed teams and their answers,
absences and replacements, and professional groups: a mixin of the matching service
(``class MatchingService(CallsApi, ServiceBase)``), which gives it ``self.db``,
``self._commit(status, body)`` and ``self._blocking(function, ...)``.

Who may do what: staff (``staff``, ``admin``) write the cooperative's certifications,
calls, proposals and groups, which every member of the cooperative reads; a member of a
proposed team answers it for themselves, whichever cooperative proposed it (the URL names
the member's own cooperative); a member declares their absences and reads their
proposals, and the staff of their cooperative may do it for them. Another cooperative's
records are 404 (the session's tenant filter hides them), as is an id that is not one.

Proposing runs the solver (native code, blocking) in a real thread while the request's
green thread waits: the database is read before and written after, in the green thread
only; the session never crosses threads.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from cae_matching.adapters import solver
from cae_matching.adapters.call_schemas import (
    AbsenceIn,
    AbsenceList,
    AbsenceOut,
    AnswerIn,
    AnswerOut,
    CallIn,
    CallList,
    CallOut,
    CallsQuery,
    CertificationIn,
    CertificationList,
    CertificationOut,
    CertificationsQuery,
    DeclaredAbsenceOut,
    GroupIn,
    GroupList,
    GroupOut,
    GroupsQuery,
    MemberProposalList,
    MemberProposalsQuery,
    ProposalList,
    ProposalOut,
    ProposalsQuery,
    ProposeIn,
    ProposeOut,
)
from cae_matching.adapters.store import Person
from cae_matching.usecases import calls, certifications, groups, replacements
from caekit import context
from caekit.fields import encode_cursor
from caekit.http import api
from caekit.problems import Forbidden
from caekit.rules import UnknownRecord

STAFF = {"staff", "admin"}
MEMBERS = STAFF | {"entrepreneur"}
STAFF_WRITE = {"roles": STAFF, "idempotency_required": True}
MEMBER_WRITE = {"roles": MEMBERS, "idempotency_required": True}

COOP = "/cooperatives/<cooperative_id>"
CERTIFICATION = COOP + "/certifications/<certification_id>"
CALL = COOP + "/calls/<call_id>"
MEMBER = COOP + "/members/<member_id>"
ABSENCE = MEMBER + "/absences/<absence_id>"
GROUP = COOP + "/groups/<group_id>"


def _now() -> datetime:
    return datetime.now(UTC)


def _id(value, rule: str, what: str, field: str) -> str:
    """A path's id as stored (a UUID, lower case); any other text names no record: 404."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise UnknownRecord(rule, f"no such {what} in this cooperative", (field,)) from None


def _certification(body: dict) -> certifications.CertificationInput:
    return certifications.CertificationInput(
        kind=body["kind"], name=body["name"], valid_from=body["valid_from"],
        valid_until=body["valid_until"], scope=body["scope"], number=body["number"],
        all_activities=body["all_activities"],
        activity_ids=tuple(str(a) for a in body["activity_ids"]))


def _call(body: dict) -> calls.CallInput:
    return calls.CallInput(
        title=body["title"], starts_on=body["starts_on"], ends_on=body["ends_on"],
        requirements=[calls.RequirementInput(**r) for r in body["requirements"]],
        description=body["description"], buyer=body["buyer"], commune=body["commune"],
        latitude=body["latitude"], longitude=body["longitude"], deadline=body["deadline"],
        budget_cents=body["budget_cents"], certifications=tuple(body["certifications"]),
        objective=body["objective"], scope=body["scope"])


class CallsApi:
    """The @api endpoints of certifications, calls, proposals, answers, absences and groups."""

    # -- who is calling ---------------------------------------------------------------------
    @staticmethod
    def _the_member_or_staff(member_id: str, what: str) -> None:
        who = context.caller.get()
        if not who.has_any(STAFF) and who.subject != str(member_id):
            raise Forbidden(f"a member {what} themselves (or the staff for them)")

    def _person(self, member_id) -> str:
        """The member's id, when they are (or were) a member of the cooperative; else 404."""
        member_id = _id(member_id, "member.unknown", "member", "member_id")
        found = self.db.scalar(select(Person.member_id).where(Person.member_id == member_id,
                                                              Person.erased.is_(False)))
        if found is None:
            raise UnknownRecord("member.unknown", "no such member in this cooperative",
                                ("member_id",))
        return found

    # -- certifications ---------------------------------------------------------------------
    @api("GET", COOP + "/certifications", roles=MEMBERS, query=CertificationsQuery)
    def list_certifications(self, request, cooperative_id, query):
        """The cooperative's certifications (Qualiopi, RGE...), of a kind, valid on a day."""
        return CertificationList().dump({"items": certifications.list_certifications(
            self.db, kind=query.get("kind"), valid_on=query.get("valid_on"))})

    @api("POST", COOP + "/certifications", schema=CertificationIn, **STAFF_WRITE)
    def create_certification(self, request, cooperative_id, body):
        """Record a certification of the cooperative and the activities that may use it."""
        row = certifications.create_certification(self.db, cooperative_id,
                                                  _certification(body))
        return self._commit(201, CertificationOut().dump(row))

    @api("GET", CERTIFICATION, roles=MEMBERS)
    def get_certification(self, request, cooperative_id, certification_id):
        certification_id = _id(certification_id, "certification.unknown", "certification",
                               "certification_id")
        return CertificationOut().dump(certifications.get_certification(self.db,
                                                                        certification_id))

    @api("PUT", CERTIFICATION, schema=CertificationIn, **STAFF_WRITE)
    def replace_certification(self, request, cooperative_id, certification_id, body):
        """Replace every field of a certification and the activities that may use it."""
        certification_id = _id(certification_id, "certification.unknown", "certification",
                               "certification_id")
        row = certifications.update_certification(self.db, certification_id,
                                                  _certification(body))
        return self._commit(200, CertificationOut().dump(row))

    @api("DELETE", CERTIFICATION, **STAFF_WRITE)
    def delete_certification(self, request, cooperative_id, certification_id):
        """Delete a certification (calls keep the kinds they require)."""
        certification_id = _id(certification_id, "certification.unknown", "certification",
                               "certification_id")
        certifications.delete_certification(self.db, certification_id)
        return self._commit(204, "")

    # -- calls for tenders ------------------------------------------------------------------
    @api("GET", COOP + "/calls", roles=MEMBERS, query=CallsQuery)
    def list_calls(self, request, cooperative_id, query):
        """The cooperative's calls for tenders, the newest first, a page at a time."""
        page = calls.list_calls(self.db, status=query.get("status"), limit=query["limit"],
                                after=query["after"])
        return CallList().dump({"items": page["items"],
                                "next_cursor": encode_cursor(page["next_after"])})

    @api("POST", COOP + "/calls", schema=CallIn, **STAFF_WRITE)
    def create_call(self, request, cooperative_id, body):
        """Write a call for tenders: a draft until it is published."""
        who = context.caller.get().subject
        row = calls.create_call(self.db, cooperative_id, _call(body), who, _now())
        return self._commit(201, CallOut().dump(row))

    @api("GET", CALL, roles=MEMBERS)
    def get_call(self, request, cooperative_id, call_id):
        call_id = _id(call_id, "call.unknown", "call", "call_id")
        return CallOut().dump(calls.get_call(self.db, call_id))

    @api("PUT", CALL, schema=CallIn, **STAFF_WRITE)
    def replace_call(self, request, cooperative_id, call_id, body):
        """Rewrite a draft call: every field and its requirements."""
        call_id = _id(call_id, "call.unknown", "call", "call_id")
        return self._commit(200, CallOut().dump(calls.update_call(self.db, call_id,
                                                                  _call(body))))

    @api("POST", CALL + "/publication", **STAFF_WRITE)
    def publish_call(self, request, cooperative_id, call_id):
        """Publish a draft call (before its deadline): teams may then be proposed."""
        call_id = _id(call_id, "call.unknown", "call", "call_id")
        return self._commit(200, CallOut().dump(calls.publish_call(self.db, call_id, _now())))

    @api("POST", CALL + "/closing", **STAFF_WRITE)
    def close_call(self, request, cooperative_id, call_id):
        """Close a call; the proposals still waiting are superseded."""
        call_id = _id(call_id, "call.unknown", "call", "call_id")
        return self._commit(200, CallOut().dump(calls.close_call(self.db, call_id, _now())))

    # -- proposals ----------------------------------------------------------------------------
    @api("POST", CALL + "/proposals", schema=ProposeIn, **STAFF_WRITE)
    def propose_teams(self, request, cooperative_id, call_id, body):
        """Propose the best teams for a published call, ranked by cost.

        The earlier proposals still waiting are superseded. Each solve takes at most
        ``time_limit_seconds``; past it, the best team found is proposed with the greedy's
        guarantee. The members of each team are asked to answer it."""
        call_id = _id(call_id, "call.unknown", "call", "call_id")

        def solve(model, **options):  # the solver alone in a real thread: no session there
            return self._blocking(solver.propose, model, **options)

        result = calls.propose(self.db, call_id, _now(), time_limit=body["time_limit_seconds"],
                               alternatives=body["alternatives"], solve=solve)
        return self._commit(201, ProposeOut().dump(result))

    @api("GET", CALL + "/proposals", roles=MEMBERS, query=ProposalsQuery)
    def list_proposals(self, request, cooperative_id, call_id, query):
        """The call's proposals, the latest first, then by rank."""
        call_id = _id(call_id, "call.unknown", "call", "call_id")
        return ProposalList().dump({"items": calls.list_proposals(
            self.db, call_id, include_superseded=query["include_superseded"])})

    @api("GET", COOP + "/proposals/<proposal_id>", roles=MEMBERS)
    def get_proposal(self, request, cooperative_id, proposal_id):
        """A proposal of the cooperative, its members as the cooperative may see them."""
        proposal_id = _id(proposal_id, "proposal.unknown", "proposal", "proposal_id")
        return ProposalOut().dump(calls.get_proposal(self.db, proposal_id))

    # -- the members' answers ------------------------------------------------------------------
    @api("POST", MEMBER + "/proposals/<proposal_id>/answer", schema=AnswerIn, **MEMBER_WRITE)
    def answer_proposal(self, request, cooperative_id, member_id, proposal_id, body):
        """The member accepts or declines a proposed team, whichever cooperative proposed it.

        The same answer again changes nothing; another answer is a 409. When every member
        has accepted, the call is staffed."""
        if context.caller.get().subject != str(member_id):
            raise Forbidden("a member answers a proposal for themselves")
        proposal_id = _id(proposal_id, "proposal.unknown", "proposal", "proposal_id")
        result = calls.answer(self.db, proposal_id, str(member_id), body["accept"], _now())
        return self._commit(200, AnswerOut().dump(result))

    @api("GET", MEMBER + "/proposals", roles=MEMBERS, query=MemberProposalsQuery)
    def list_member_proposals(self, request, cooperative_id, member_id, query):
        """The proposals naming the member, whichever cooperative made them."""
        self._the_member_or_staff(member_id, "reads the proposals of")
        member_id = self._person(member_id)
        status = None if query["status"] == "all" else query["status"]
        return MemberProposalList().dump({"items": calls.member_proposals(
            self.db, member_id, status=status)})

    # -- absences and replacements ---------------------------------------------------------------
    @api("POST", MEMBER + "/absences", schema=AbsenceIn, **MEMBER_WRITE)
    def declare_absence(self, request, cooperative_id, member_id, body):
        """Declare an absence: who could take over the member's engagements is suggested."""
        self._the_member_or_staff(member_id, "declares the absences of")
        member_id = _id(member_id, "member.unknown", "member", "member_id")
        result = replacements.declare_absence(self.db, member_id, body["starts_on"],
                                              body["ends_on"], body["reason"], _now())
        return self._commit(201, DeclaredAbsenceOut().dump(result))

    @api("GET", MEMBER + "/absences", roles=MEMBERS)
    def list_absences(self, request, cooperative_id, member_id):
        """The member's absences, the latest first, with the suggestions made."""
        self._the_member_or_staff(member_id, "reads the absences of")
        member_id = self._person(member_id)
        return AbsenceList().dump({"items": replacements.list_absences(self.db, member_id)})

    @api("GET", ABSENCE, roles=MEMBERS)
    def get_absence(self, request, cooperative_id, member_id, absence_id):
        self._the_member_or_staff(member_id, "reads the absences of")
        member_id = _id(member_id, "member.unknown", "member", "member_id")
        absence_id = _id(absence_id, "absence.unknown", "absence", "absence_id")
        return AbsenceOut().dump(replacements.get_absence(self.db, absence_id, member_id))

    @api("DELETE", ABSENCE, **MEMBER_WRITE)
    def cancel_absence(self, request, cooperative_id, member_id, absence_id):
        """Withdraw an absence: the member is available again."""
        self._the_member_or_staff(member_id, "withdraws the absences of")
        member_id = _id(member_id, "member.unknown", "member", "member_id")
        absence_id = _id(absence_id, "absence.unknown", "absence", "absence_id")
        replacements.cancel_absence(self.db, absence_id, member_id)
        return self._commit(204, "")

    # -- professional groups ----------------------------------------------------------------------
    @api("GET", COOP + "/groups", roles=MEMBERS, query=GroupsQuery)
    def list_groups(self, request, cooperative_id, query):
        """The cooperative's professional groups by name (those of a member, when asked)."""
        member_id = query.get("member_id")
        return GroupList().dump({"items": groups.list_groups(
            self.db, member_id=None if member_id is None else str(member_id))})

    @api("POST", COOP + "/groups", schema=GroupIn, **STAFF_WRITE)
    def create_group(self, request, cooperative_id, body):
        return self._commit(201, GroupOut().dump(groups.create_group(
            self.db, cooperative_id, body["name"], body["topic"], _now(),
            body["description"])))

    @api("GET", GROUP, roles=MEMBERS)
    def get_group(self, request, cooperative_id, group_id):
        group_id = _id(group_id, "group.unknown", "group", "group_id")
        return GroupOut().dump(groups.get_group(self.db, group_id))

    @api("PUT", GROUP, schema=GroupIn, **STAFF_WRITE)
    def replace_group(self, request, cooperative_id, group_id, body):
        """Rename a group, change its topic and description."""
        group_id = _id(group_id, "group.unknown", "group", "group_id")
        return self._commit(200, GroupOut().dump(groups.update_group(
            self.db, group_id, body["name"], body["topic"], body["description"])))

    @api("DELETE", GROUP, **STAFF_WRITE)
    def delete_group(self, request, cooperative_id, group_id):
        """Delete a group and its memberships."""
        group_id = _id(group_id, "group.unknown", "group", "group_id")
        groups.delete_group(self.db, group_id)
        return self._commit(204, "")

    @api("PUT", GROUP + "/members/<member_id>", **STAFF_WRITE)
    def add_group_member(self, request, cooperative_id, group_id, member_id):
        """Add a member of the cooperative to the group (again: nothing changes)."""
        group_id = _id(group_id, "group.unknown", "group", "group_id")
        member_id = _id(member_id, "member.unknown", "member", "member_id")
        return self._commit(200, GroupOut().dump(groups.add_member(self.db, group_id,
                                                                   member_id)))

    @api("DELETE", GROUP + "/members/<member_id>", **STAFF_WRITE)
    def remove_group_member(self, request, cooperative_id, group_id, member_id):
        """Remove a member from the group; returns the group."""
        group_id = _id(group_id, "group.unknown", "group", "group_id")
        member_id = _id(member_id, "member.unknown", "member", "member_id")
        return self._commit(200, GroupOut().dump(groups.remove_member(self.db, group_id,
                                                                      member_id)))


# -- the responses of each endpoint, for the OpenAPI document (caekit.openapi) -------------
# Beside the kit's own problems (401, 403, 404 on a path with ids, 400/413/415/422 on a body,
# 422 on a query string, 409 of a reused Idempotency-Key, 411, 428, 500, 503), each
# operation declares every other status it can return. caekit.openapi reads RESPONSES from
# the service class's module: service.py merges these into its own.
_RULE = "A rule refuses it (`errors.rule` names it and `errors` each field)"
_CERTIFICATION = "No such certification in this cooperative (`certification.unknown`)."
_CALL = "No such call in this cooperative (`call.unknown`)."
_MEMBER = "No such member in this cooperative (`member.unknown`)."
_GROUP = "No such group in this cooperative (`group.unknown`)."
_ABSENCE = "No such absence of this member (`absence.unknown`), or no such member."
_CERTIFICATION_RULES = (_RULE + ": certification.kind, certification.name, "
                        "certification.validity, certification.activities, date.out_of_range.")
_CALL_RULES = (_RULE + ": call.title, call.place, call.requirements, requirement.duplicate, "
               "requirement.label (a concept not in the taxonomy needs a label), "
               "requirement.skill, requirement.level, requirement.people, "
               "call.certification, date.out_of_range, period.order.")
RESPONSES = {
    "list_certifications": (200, CertificationList, "The certifications.", {
        422: _RULE + ": certification.kind, date.out_of_range."}),
    "create_certification": (201, CertificationOut, "The certification recorded.", {
        404: "An activity listed is not the cooperative's (`activity.unknown`).",
        422: _CERTIFICATION_RULES}),
    "get_certification": (200, CertificationOut, "The certification.", {404: _CERTIFICATION}),
    "replace_certification": (200, CertificationOut, "The certification now.", {
        404: _CERTIFICATION + " Or an activity listed is not the cooperative's "
             "(`activity.unknown`).", 422: _CERTIFICATION_RULES}),
    "delete_certification": (204, None, "Deleted.", {404: _CERTIFICATION}),
    "list_calls": (200, CallList, "A page of calls, the newest first.", {
        422: _RULE + ": call.status, page.limit; or the cursor is not one of this listing."}),
    "create_call": (201, CallOut, "The draft call.", {422: _CALL_RULES}),
    "get_call": (200, CallOut, "The call and its requirements.", {404: _CALL}),
    "replace_call": (200, CallOut, "The call rewritten.", {
        404: _CALL, 409: "The call is no longer a draft (`call.not_draft`).",
        422: _CALL_RULES}),
    "publish_call": (200, CallOut, "The call, published.", {
        404: _CALL, 409: "The call is not a draft (`call.not_draft`).",
        422: _RULE + ": call.deadline_passed (change the deadline first)."}),
    "close_call": (200, CallOut, "The call, closed.", {
        404: _CALL, 409: "The call is closed already (`call.closed`)."}),
    "propose_teams": (201, ProposeOut, "The teams proposed (none when a requirement cannot be "
                      "covered: `uncovered` names it), the people left out and why.", {
                          404: _CALL,
                          409: "The call is not open: a draft, staffed or closed "
                               "(`call.not_open`).",
                          422: _RULE + ": proposal.alternatives, proposal.time_limit."}),
    "list_proposals": (200, ProposalList, "The call's proposals.", {404: _CALL}),
    "get_proposal": (200, ProposalOut, "The proposal.", {
        404: "No such proposal in this cooperative (`proposal.unknown`)."}),
    "answer_proposal": (200, AnswerOut, "The answer recorded (or the same answer again), the "
                        "proposal and the call's status.", {
                            403: "The caller is not the member named in the path: a member "
                                 "answers for themselves.",
                            404: "No such proposal naming this member (`proposal.unknown`).",
                            409: "Answered otherwise already (`proposal.answered`), the "
                                 "proposal takes no more answers (`proposal.not_open`), or "
                                 "the member is in an accepted team of an overlapping call "
                                 "(`proposal.engaged`)."}),
    "list_member_proposals": (200, MemberProposalList, "The member's proposals.", {
        403: "An entrepreneur reads only their own proposals.", 404: _MEMBER}),
    "declare_absence": (201, DeclaredAbsenceOut, "The absence, the engagements it overlaps "
                        "and who could take over.", {
                            403: "An entrepreneur declares only their own absences.",
                            404: _MEMBER,
                            422: _RULE + ": period.order, date.out_of_range, absence.reason."}),
    "list_absences": (200, AbsenceList, "The member's absences.", {
        403: "An entrepreneur reads only their own absences.", 404: _MEMBER}),
    "get_absence": (200, AbsenceOut, "The absence and the suggestions made.", {
        403: "An entrepreneur reads only their own absences.", 404: _ABSENCE}),
    "cancel_absence": (204, None, "Withdrawn.", {
        403: "An entrepreneur withdraws only their own absences.", 404: _ABSENCE}),
    "list_groups": (200, GroupList, "The groups, with their members.", {}),
    "create_group": (201, GroupOut, "The group.", {
        409: "The cooperative has a group of this name (`group.name_taken`).",
        422: _RULE + ": group.name, group.topic, group.description."}),
    "get_group": (200, GroupOut, "The group and its members.", {404: _GROUP}),
    "replace_group": (200, GroupOut, "The group now.", {
        404: _GROUP, 409: "The cooperative has another group of this name "
                          "(`group.name_taken`).",
        422: _RULE + ": group.name, group.topic, group.description."}),
    "delete_group": (204, None, "Deleted, with its memberships.", {404: _GROUP}),
    "add_group_member": (200, GroupOut, "The group, with the member.", {
        404: _GROUP + " Or no such member who has not left (`member.unknown`)."}),
    "remove_group_member": (200, GroupOut, "The group, without the member.", {
        404: _GROUP + " Or the member is not in it (`group.not_member`)."}),
}
