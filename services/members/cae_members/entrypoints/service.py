"""The members nameko service: a thin shell over the use cases, the schemas and the kit.

Each route parses and authorizes, calls a use case and renders its result; a refusal of
the domain (``caekit.rules``) becomes its problem in ``caekit.http``. Query strings are
loaded by the kit with each route's query schema (``query=``); listings come in pages.
Events from other services come through the kit's reliable handlers (``caekit.handlers``).
"""

from __future__ import annotations

import logging
from datetime import date

from nameko.timer import timer

from cae_contracts import Event
from cae_members.adapters.schemas import (
    MAX_IMPORT_ROWS,
    ActivitiesQuery,
    ActivityIn,
    ActivityList,
    ActivityOut,
    ContractIn,
    ContractList,
    ContractOut,
    ContractsQuery,
    CooperativeIn,
    CooperativeList,
    CooperativeOut,
    CooperativesQuery,
    CorrectionIn,
    DatedIn,
    DeadlineList,
    DeadlinesQuery,
    ExitIn,
    FollowUpList,
    FollowUpQuery,
    HistoryOut,
    ImportIn,
    ImportReportOut,
    InterviewIn,
    InterviewOut,
    MemberIn,
    MemberList,
    MemberOut,
    MembersQuery,
    NoQuery,
    RenewalIn,
    ScanIn,
    ScanOut,
    SettingsIn,
    StepIn,
    StepOut,
    VersionList,
    VersionOut,
    VersionsQuery,
    import_problem_errors,
    listing,
)
from cae_members.usecases import activities, cooperatives, importer, membership
from caekit import context
from caekit.handlers import reliable_handler
from caekit.http import api
from caekit.logs import log
from caekit.openapi import Reply
from caekit.problems import Forbidden, Unprocessable
from caekit.rules import RuleViolation
from caekit.service import ServiceBase

STAFF = {"staff", "admin"}
ANY_MEMBER = {"staff", "admin", "entrepreneur"}

logger = logging.getLogger("cae_members")


class MembersService(ServiceBase):
    name = "members"

    # -- cooperatives -----------------------------------------------------------
    @api("POST", "/cooperatives", roles={"network_operator"}, schema=CooperativeIn,
         allow_network_operator=True)
    def register_cooperative(self, request, body):
        cooperative = cooperatives.register_cooperative(self.db, **body)
        self.db.commit()
        return 201, CooperativeOut().dump(cooperative)

    @api("GET", "/cooperatives", roles={"network_operator"}, query=CooperativesQuery,
         allow_network_operator=True)
    def list_cooperatives(self, request, query):
        """The network's cooperatives, by name, a page at a time."""
        return CooperativeList().dump(listing(cooperatives.cooperatives_page(
            self.db, query["limit"], query["after"])))

    @api("GET", "/cooperatives/<cooperative_id>", roles=ANY_MEMBER | {"network_operator"},
         query=NoQuery, allow_network_operator=True)
    def get_cooperative(self, request, cooperative_id, query):
        """The cooperative with the settings in force today."""
        return CooperativeOut().dump(cooperatives.as_of(self.db, cooperative_id, date.today()))

    @api("POST", "/cooperatives/<cooperative_id>/settings", roles={"admin", "network_operator"},
         schema=SettingsIn, allow_network_operator=True)
    def change_settings(self, request, cooperative_id, body):
        """Change settings from a date (the general assembly's new contribution rate...)."""
        effective_on = body.pop("effective_on")
        version = cooperatives.change_settings(self.db, cooperative_id, effective_on, body)
        self.db.commit()
        return 201, VersionOut().dump(version)

    @api("GET", "/cooperatives/<cooperative_id>/settings", roles=ANY_MEMBER | {"network_operator"},
         query=VersionsQuery, allow_network_operator=True)
    def settings_history(self, request, cooperative_id, query):
        """Every version of the settings, oldest first, a page at a time."""
        return VersionList().dump(listing(cooperatives.settings_history(
            self.db, cooperative_id, query["limit"], query["after"])))

    # -- members ----------------------------------------------------------------
    @api("POST", "/cooperatives/<cooperative_id>/members", roles=STAFF, schema=MemberIn)
    def register_member(self, request, cooperative_id, body):
        member = membership.register_member(self.db, cooperative_id, **body)
        self.db.commit()
        return 201, MemberOut().dump(member)

    @api("GET", "/cooperatives/<cooperative_id>/members", roles=STAFF, query=MembersQuery)
    def list_members(self, request, cooperative_id, query):
        """The members, by last then first name, a page at a time."""
        return MemberList().dump(listing(membership.members_page(
            self.db, cooperative_id, query["limit"], query["after"])))

    @api("GET", "/cooperatives/<cooperative_id>/members/<member_id>", roles=ANY_MEMBER,
         query=NoQuery)
    def get_member(self, request, cooperative_id, member_id, query):
        self._own_record(member_id)
        return MemberOut().dump(membership.find_member(self.db, member_id))

    @api("POST", "/cooperatives/<cooperative_id>/imports", roles=STAFF, schema=ImportIn,
         idempotency_required=True)
    def import_members(self, request, cooperative_id, body):
        """Import people and their contracts from a CSV file, or check it (a dry run)."""
        report = importer.import_file(self.db, cooperative_id, body["csv"],
                                      dry_run=body["dry_run"], max_rows=MAX_IMPORT_ROWS)
        if report.errors and not body["dry_run"]:
            raise Unprocessable(
                f"{len(report.errors)} error(s) in the file; nothing was imported: "
                + "; ".join(report.lines()[:5]), errors=import_problem_errors(report.errors))
        return (200 if body["dry_run"] else 201), ImportReportOut().dump({
            "dry_run": body["dry_run"], "rows": report.rows, "people": report.created,
            "contracts": report.contracts, "skipped": report.skipped, "lines": report.outcomes,
            "errors": [{"line": n, "column": c, "message": m} for n, c, m in report.errors]})

    # -- history ------------------------------------------------------------------------------
    @api("POST", "/cooperatives/<cooperative_id>/members/<member_id>/steps", roles=STAFF,
         schema=StepIn)
    def record_step(self, request, cooperative_id, member_id, body):
        """Record a dated step (diagnostic); the other stages come with their own operations."""
        row = membership.record_step(self.db, membership.find_member(self.db, member_id),
                                     body["stage"], body["on"])
        self.db.commit()
        return 201, StepOut().dump(row)

    @api("POST", "/cooperatives/<cooperative_id>/members/<member_id>/steps/<int:seq>/corrections",
         roles=STAFF, schema=CorrectionIn)
    def correct_step(self, request, cooperative_id, member_id, seq, body):
        """Correct a recorded step by a dated correction; the history keeps both."""
        row = membership.correct_step(self.db, membership.find_member(self.db, member_id), seq,
                                      **body)
        self.db.commit()
        return 201, StepOut().dump(row)

    @api("GET", "/cooperatives/<cooperative_id>/members/<member_id>/history", roles=ANY_MEMBER,
         query=NoQuery)
    def member_history(self, request, cooperative_id, member_id, query):
        self._own_record(member_id)
        found = membership.member_history(self.db, member_id)
        return HistoryOut().dump({
            "stage": str(found.stage) if found.stage is not None else None,
            "steps": found.steps,
            "effective": [{"stage": str(e.stage), "on": e.on, "reason": e.reason}
                          for e in found.effective]})

    # -- contracts and the three-year rule -----------------------------------------------
    @api("POST", "/cooperatives/<cooperative_id>/members/<member_id>/contracts", roles=STAFF,
         schema=ContractIn)
    def sign_contract(self, request, cooperative_id, member_id, body):
        """Sign a CAPE or the CESA (which sets the associate deadline)."""
        contract = membership.sign_contract(self.db, membership.find_member(self.db, member_id),
                                            **body)
        self.db.commit()
        return 201, ContractOut().dump(contract)

    @api("GET", "/cooperatives/<cooperative_id>/members/<member_id>/contracts", roles=ANY_MEMBER,
         query=ContractsQuery)
    def list_contracts(self, request, cooperative_id, member_id, query):
        """The member's contracts, by signature, a page at a time."""
        self._own_record(member_id)
        return ContractList().dump(listing(membership.member_contracts(
            self.db, member_id, query["limit"], query["after"])))

    @api("POST", "/cooperatives/<cooperative_id>/members/<member_id>/contracts/<contract_id>/renewals",
         roles=STAFF, schema=RenewalIn)
    def renew_cape(self, request, cooperative_id, member_id, contract_id, body):
        """Renew a CAPE (twice at most, 12 months each)."""
        contract = membership.renew_cape(self.db, membership.find_member(self.db, member_id),
                                         contract_id, body["ends_on"])
        self.db.commit()
        return ContractOut().dump(contract)

    @api("POST", "/cooperatives/<cooperative_id>/members/<member_id>/associate", roles=STAFF,
         schema=DatedIn)
    def admit_associate(self, request, cooperative_id, member_id, body):
        """Record that a CESA holder became an associate."""
        person = membership.admit_associate(self.db, membership.find_member(self.db, member_id),
                                            body["on"])
        self.db.commit()
        return MemberOut().dump(person)

    @api("POST", "/cooperatives/<cooperative_id>/members/<member_id>/exit", roles=STAFF,
         schema=ExitIn)
    def record_exit(self, request, cooperative_id, member_id, body):
        """Record an exit and its reason; running contracts end that day."""
        person = membership.record_exit(self.db, membership.find_member(self.db, member_id),
                                        body["on"], body["reason"])
        self.db.commit()
        return MemberOut().dump(person)

    @api("GET", "/cooperatives/<cooperative_id>/associate-deadlines", roles=STAFF,
         query=DeadlinesQuery)
    def associate_deadlines(self, request, cooperative_id, query):
        """Upcoming (and missed) associate deadlines, soonest first, a page at a time."""
        return DeadlineList().dump(listing(membership.deadlines_page(
            self.db, cooperative_id, query["today"], query["within_days"], query["limit"],
            query["after"])))

    @api("POST", "/deadline-scans", roles={"network_operator"}, schema=ScanIn,
         allow_network_operator=True)
    def scan_deadlines(self, request, body):
        """Run the associate-deadline scan for a day (the daily timer runs it for today)."""
        published = membership.scan_deadlines(self.db, body["today"], not_after=date.today())
        self.db.commit()
        return ScanOut().dump({"today": body["today"], "published": published})

    @timer(interval=3600)
    def daily_deadline_scan(self):
        """Hourly tick; the scan publishes each alert once, so repeating it is harmless."""
        membership.scan_deadlines(self.db, date.today())
        self.db.commit()

    # -- events from governance ---------------------------------------------------------------
    # a member unknown in the cooperative (member.unknown), one who left (stage.after_exit) or
    # any other rule of the admission is parked at once, its rule in the error: retrying
    # cannot change the answer. The kit's inbox skips a redelivery of the same event.
    @reliable_handler("cae.governance.associate_admitted.v1", refusals=(RuleViolation,))
    def on_associate_admitted(self, event: Event):
        """The general assembly admitted an entrepreneur: record it as the staff's route does,
        publishing member_became_associate. Someone already an associate, on any date (a
        second admission event for the same person), is left as recorded, and logged."""
        data = event.data
        person = membership.find_member(self.db, str(data["member_id"]))
        if person.associate_on is not None:
            log(logger, logging.INFO if person.associate_on == data["associate_on"]
                else logging.WARNING, "already an associate: admission event ignored",
                event_id=event.id, member_id=person.id, associate_on=str(person.associate_on),
                admitted_on=str(data["associate_on"]), resolution_id=str(data["resolution_id"]))
            return
        membership.admit_associate(self.db, person, data["associate_on"])

    # -- activities and follow-up ----------------------------------------------------------
    @api("POST", "/cooperatives/<cooperative_id>/activities", roles=STAFF, schema=ActivityIn)
    def open_activity(self, request, cooperative_id, body):
        """Open an activity (enseigne) for one or more entrepreneurs."""
        activity = activities.open_activity(self.db, cooperative_id, **body)
        self.db.commit()
        return 201, ActivityOut().dump(self._activity_view(activity))

    @api("GET", "/cooperatives/<cooperative_id>/activities", roles=STAFF, query=ActivitiesQuery)
    def list_activities(self, request, cooperative_id, query):
        """The activities, by code, a page at a time."""
        page = activities.activities_page(self.db, cooperative_id, query["limit"],
                                          query["after"])
        members = activities.members_of_each(self.db, page.items)
        return ActivityList().dump(listing(page, [self._activity_view(a, members[a.id])
                                                  for a in page.items]))

    @api("POST", "/cooperatives/<cooperative_id>/activities/<code>/close", roles=STAFF,
         schema=DatedIn)
    def close_activity(self, request, cooperative_id, code, body):
        activity = activities.close_activity(self.db, code, body["on"])
        self.db.commit()
        return ActivityOut().dump(self._activity_view(activity))

    @api("POST", "/cooperatives/<cooperative_id>/members/<member_id>/interviews", roles=STAFF,
         schema=InterviewIn)
    def record_interview(self, request, cooperative_id, member_id, body):
        """Record a follow-up interview (décret 2015-1363)."""
        person = membership.find_member(self.db, member_id)
        interview = activities.record_interview(self.db, person, body["held_on"], body["notes"])
        self.db.commit()
        return 201, InterviewOut().dump(interview)

    @api("GET", "/cooperatives/<cooperative_id>/follow-up-due", roles=STAFF, query=FollowUpQuery)
    def follow_up_due(self, request, cooperative_id, query):
        """Entrepreneurs with fewer than two interviews in the 12 months up to `today`."""
        page = activities.follow_up_page(self.db, cooperative_id, query["today"],
                                         query["limit"], query["after"])
        return FollowUpList().dump(listing(page, [
            {"member_id": p.id, "first_name": p.first_name, "last_name": p.last_name,
             "interviews_in_12_months": n} for p, n in page.items]))

    def _activity_view(self, activity, member_ids: list[str] | None = None) -> dict:
        return {**{c: getattr(activity, c) for c in (
            "id", "code", "name", "opened_on", "closed_on", "contribution_rate")},
            "member_ids": (activities.members_of(self.db, activity) if member_ids is None
                           else member_ids)}

    def _own_record(self, member_id) -> None:
        who = context.caller.get()
        if not who.has_any(STAFF) and who.subject != str(member_id):
            raise Forbidden("an entrepreneur reads only their own record")


# -- the responses of each endpoint, for the OpenAPI document (caekit.openapi) -------------
# Beside the kit's own problems (401, 403, 404 on a path with ids, 400/413/415/422 on a body,
# 422 on a query string, 409 of a reused Idempotency-Key, 411, 500, 503), each operation
# declares every other status it can return: (status, schema, description, problems).
UNKNOWN_COOPERATIVE = "No such cooperative (`errors.rule` is `cooperative.unknown`)."
UNKNOWN_MEMBER = ("No such member in this cooperative, or no such cooperative "
                  "(`errors.rule`: `member.unknown`, `cooperative.unknown`).")
RULE = "A rule refuses it: `errors.rule` names the rule, and `errors` each field concerned."
OWN_RECORD = "An entrepreneur reads only their own record."


RESPONSES = {
    "register_cooperative": (201, CooperativeOut, "The registered cooperative.", {
        409: "A cooperative with this SIREN is already registered "
                      "(`cooperative.siren_registered`)."}),
    "list_cooperatives": (200, CooperativeList, "A page of the network's cooperatives, "
                                                      "by name.", {}),
    "get_cooperative": (200, CooperativeOut, "The cooperative.",
                              {404: UNKNOWN_COOPERATIVE}),
    "change_settings": (201, VersionOut, "The new version of the settings.", {
        404: UNKNOWN_COOPERATIVE,
        422: RULE + " `dates.out_of_order`: before the cooperative's registration."}),
    "settings_history": (200, VersionList, "A page of the versions of the settings, "
                                                 "oldest first.",
                               {404: UNKNOWN_COOPERATIVE}),
    "register_member": (201, MemberOut, "The registered member.", {
        404: UNKNOWN_COOPERATIVE,
        409: "The activity code is already used in this cooperative (`errors.activity_code`)."}),
    "list_members": (200, MemberList, "A page of the cooperative's members, by last then "
                                            "first name.", {404: UNKNOWN_COOPERATIVE}),
    "import_members": (
        Reply(200, ImportReportOut, "The dry run's report: what each line would create, and "
                                    "every error by line and column; nothing is written."),
        Reply(201, ImportReportOut, "The import's report: the people and contracts created "
                                    "(with their events); people already imported (same "
                                    "person_ref) are skipped."),
        {404: UNKNOWN_COOPERATIVE,
         422: "A line is wrong, and nothing was imported: `errors.csv` maps each line number "
              "to its columns and their messages (`errors.rule`: `import.rows_refused`); or "
              "the file is refused as a whole, `errors.csv` saying why "
              f"(`import.not_csv`, `import.too_many_rows`: more than {MAX_IMPORT_ROWS:,} "
              "people lines), or a field of the body is invalid."}),
    "get_member": (200, MemberOut, "The member.",
                         {403: OWN_RECORD, 404: UNKNOWN_MEMBER}),
    "record_step": (201, StepOut, "The recorded step.",
                          {404: UNKNOWN_MEMBER, 422: RULE}),
    "correct_step": (201, StepOut, "The correction; the corrected step stays in the "
                                         "history.",
                           {404: UNKNOWN_MEMBER, 422: RULE}),
    "member_history": (200, HistoryOut, "The recorded steps and the history they amount "
                                              "to.",
                             {403: OWN_RECORD, 404: UNKNOWN_MEMBER}),
    "sign_contract": (201, ContractOut, "The signed contract.",
                            {404: UNKNOWN_MEMBER, 422: RULE}),
    "list_contracts": (200, ContractList, "A page of the member's contracts, by "
                                                "signature.",
                             {403: OWN_RECORD, 404: UNKNOWN_MEMBER}),
    "renew_cape": (200, ContractOut, "The renewed CAPE.", {
        404: UNKNOWN_MEMBER + " Or no such CAPE of this member (`contract.unknown`).",
        422: RULE}),
    "admit_associate": (200, MemberOut, "The member, now an associate.",
                              {404: UNKNOWN_MEMBER, 422: RULE}),
    "record_exit": (200, MemberOut, "The member, with the exit date and reason.",
                          {404: UNKNOWN_MEMBER, 422: RULE}),
    "associate_deadlines": (200, DeadlineList, "A page of the deadlines to become an "
                                                     "associate, soonest first.",
                                  {404: UNKNOWN_COOPERATIVE}),
    "scan_deadlines": (200, ScanOut, "How many alerts the scan published.", {
        422: RULE + " `scan.future`: a day still to come."}),
    "open_activity": (201, ActivityOut, "The opened activity.", {
        404: "No such member in this cooperative (`member.unknown`), or no such "
                      "cooperative.",
        409: "The code is already used in this cooperative (`activity.code_used`).", 422: RULE}),
    "list_activities": (200, ActivityList, "A page of the cooperative's activities, by "
                                                 "code.", {404: UNKNOWN_COOPERATIVE}),
    "close_activity": (200, ActivityOut, "The closed activity.", {
        404: "No such activity in this cooperative (`activity.unknown`).", 422: RULE}),
    "record_interview": (201, InterviewOut, "The recorded interview.",
                               {404: UNKNOWN_MEMBER, 422: RULE}),
    "follow_up_due": (200, FollowUpList, "A page of the entrepreneurs with fewer than two "
                                               "interviews in 12 months, by name.",
                            {404: UNKNOWN_COOPERATIVE}),
}
