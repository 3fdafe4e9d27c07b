"""The members nameko service: a thin shell over the use cases, the schemas and the kit.

Each route parses and authorizes, calls a use case and renders its result; a refusal of
the domain (``caekit.rules``) becomes its problem in ``caekit.http``.
"""

from __future__ import annotations

from datetime import date

from nameko.timer import timer

from cae_members.adapters.schemas import (
    ActivityIn,
    ActivityList,
    ActivityOut,
    ContractIn,
    ContractOut,
    CooperativeIn,
    CooperativeList,
    CooperativeOut,
    CorrectionIn,
    DatedIn,
    DeadlineList,
    ExitIn,
    FollowUpList,
    HistoryOut,
    InterviewIn,
    MemberIn,
    MemberList,
    MemberOut,
    RenewalIn,
    ScanIn,
    SettingsIn,
    StepIn,
    StepOut,
    VersionList,
    VersionOut,
)
from cae_members.usecases import activities, cooperatives, membership
from caekit import context
from caekit.http import api
from caekit.problems import BadRequest, Forbidden
from caekit.service import ServiceBase

STAFF = {"staff", "admin"}
ANY_MEMBER = {"staff", "admin", "entrepreneur"}


def _plausible(day: date) -> date:
    if not date(1900, 1, 1) <= day <= date(2200, 12, 31):
        raise ValueError("a date between 1900-01-01 and 2200-12-31")
    return day


class MembersService(ServiceBase):
    name = "members"

    # -- cooperatives -----------------------------------------------------------
    @api("POST", "/cooperatives", roles={"network_operator"}, schema=CooperativeIn,
         allow_network_operator=True)
    def register_cooperative(self, request, body):
        cooperative = cooperatives.register_cooperative(self.db, **body)
        self.db.commit()
        return 201, CooperativeOut().dump(cooperative)

    @api("GET", "/cooperatives", roles={"network_operator"}, allow_network_operator=True)
    def list_cooperatives(self, request):
        return CooperativeList().dump({"items": cooperatives.list_cooperatives(self.db)})

    @api("GET", "/cooperatives/<cooperative_id>", roles=ANY_MEMBER | {"network_operator"},
         allow_network_operator=True)
    def get_cooperative(self, request, cooperative_id):
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
         allow_network_operator=True)
    def settings_history(self, request, cooperative_id):
        return VersionList().dump(
            {"items": cooperatives.settings_history(self.db, cooperative_id)})

    # -- members ----------------------------------------------------------------
    @api("POST", "/cooperatives/<cooperative_id>/members", roles=STAFF, schema=MemberIn)
    def register_member(self, request, cooperative_id, body):
        member = membership.register_member(self.db, cooperative_id, **body)
        self.db.commit()
        return 201, MemberOut().dump(member)

    @api("GET", "/cooperatives/<cooperative_id>/members", roles=STAFF)
    def list_members(self, request, cooperative_id):
        return MemberList().dump({"items": membership.list_members(self.db, cooperative_id)})

    @api("GET", "/cooperatives/<cooperative_id>/members/<member_id>", roles=ANY_MEMBER)
    def get_member(self, request, cooperative_id, member_id):
        self._own_record(member_id)
        return MemberOut().dump(membership.find_member(self.db, member_id))

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

    @api("GET", "/cooperatives/<cooperative_id>/members/<member_id>/history", roles=ANY_MEMBER)
    def member_history(self, request, cooperative_id, member_id):
        self._own_record(member_id)
        found = membership.member_history(self.db, member_id)
        return HistoryOut().dump({
            "stage": str(found.stage) if found.stage is not None else None,
            "steps": found.steps,
            "effective": [{"stage": str(e.stage), "on": e.on.isoformat(), "reason": e.reason}
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

    @api("GET", "/cooperatives/<cooperative_id>/members/<member_id>/contracts", roles=ANY_MEMBER)
    def list_contracts(self, request, cooperative_id, member_id):
        self._own_record(member_id)
        return {"items": ContractOut(many=True).dump(membership.member_contracts(self.db,
                                                                                 member_id))}

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

    @api("GET", "/cooperatives/<cooperative_id>/associate-deadlines", roles=STAFF)
    def associate_deadlines(self, request, cooperative_id):
        """Upcoming (and missed) associate deadlines, soonest first; ?within_days=365."""
        try:
            within = int(request.args.get("within_days", "365"))
            today = _plausible(date.fromisoformat(request.args.get("today",
                                                                   date.today().isoformat())))
        except ValueError as exc:
            raise BadRequest(f"within_days is a number of days and today a date: {exc}") from exc
        if not 0 <= within <= 3650:
            raise BadRequest("within_days is between 0 and 3650")
        rows = membership.upcoming_deadlines(self.db, today, within)
        return DeadlineList().dump({"items": rows})

    @api("POST", "/deadline-scans", roles={"network_operator"}, schema=ScanIn,
         allow_network_operator=True)
    def scan_deadlines(self, request, body):
        """Run the associate-deadline scan for a day (the daily timer runs it for today)."""
        published = membership.scan_deadlines(self.db, body["today"], not_after=date.today())
        self.db.commit()
        return {"today": body["today"].isoformat(), "published": published}

    @timer(interval=3600)
    def daily_deadline_scan(self):
        """Hourly tick; the scan publishes each alert once, so repeating it is harmless."""
        membership.scan_deadlines(self.db, date.today())
        self.db.commit()

    # -- activities and follow-up ----------------------------------------------------------
    @api("POST", "/cooperatives/<cooperative_id>/activities", roles=STAFF, schema=ActivityIn)
    def open_activity(self, request, cooperative_id, body):
        """Open an activity (enseigne) for one or more entrepreneurs."""
        activity = activities.open_activity(self.db, cooperative_id, **body)
        self.db.commit()
        return 201, ActivityOut().dump(self._activity_view(activity))

    @api("GET", "/cooperatives/<cooperative_id>/activities", roles=STAFF)
    def list_activities(self, request, cooperative_id):
        return ActivityList().dump({"items": [self._activity_view(a)
                                              for a in activities.list_activities(self.db)]})

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
        activities.record_interview(self.db, person, body["held_on"], body["notes"])
        self.db.commit()
        return 201, {"member_id": member_id, "held_on": body["held_on"].isoformat()}

    @api("GET", "/cooperatives/<cooperative_id>/follow-up-due", roles=STAFF)
    def follow_up_due(self, request, cooperative_id):
        """Entrepreneurs with fewer than two interviews in the last 12 months; ?today=."""
        try:
            today = _plausible(date.fromisoformat(request.args.get("today",
                                                                   date.today().isoformat())))
        except ValueError as exc:
            raise BadRequest(f"today is a date (YYYY-MM-DD): {exc}") from exc
        due = activities.follow_up_due(self.db, today)
        return FollowUpList().dump({"items": [
            {"member_id": p.id, "first_name": p.first_name, "last_name": p.last_name,
             "interviews_in_12_months": n} for p, n in due]})

    def _activity_view(self, activity) -> dict:
        return {**{c: getattr(activity, c) for c in (
            "id", "code", "name", "opened_on", "closed_on", "contribution_rate")},
            "member_ids": activities.members_of(self.db, activity)}

    def _own_record(self, member_id) -> None:
        who = context.caller.get()
        if not who.has_any(STAFF) and who.subject != str(member_id):
            raise Forbidden("an entrepreneur reads only their own record")


# the success response of each endpoint, for the OpenAPI document (caekit.openapi)
RESPONSES = {
    "register_cooperative": (
        201,
        CooperativeOut,
        "The registered cooperative.",
        {409: "A cooperative with this SIREN is already registered."},
    ),
    "list_cooperatives": (200, CooperativeList, "The cooperatives of the network, by name."),
    "get_cooperative": (200, CooperativeOut, "The cooperative."),
    "register_member": (
        201,
        MemberOut,
        "The registered member.",
        {409: "The activity code is already used in this cooperative (`errors.activity_code`)."},
    ),
    "list_members": (200, MemberList, "The cooperative's members, by last then first name."),
    "get_member": (
        200,
        MemberOut,
        "The member.",
        {403: "An entrepreneur reads only their own record."},
    ),
    "change_settings": (201, VersionOut, "The new version of the settings."),
    "settings_history": (200, VersionList, "Every version of the settings, oldest first."),
    "record_step": (201, StepOut, "The recorded step (422 `errors.rule` when a rule refuses it)."),
    "correct_step": (201, StepOut, "The correction; the corrected step stays in the history."),
    "member_history": (200, HistoryOut, "The recorded steps and the history they amount to."),
    "sign_contract": (201, ContractOut, "The signed contract (422 `errors.rule` on a rule)."),
    "list_contracts": (200, None, "The member's contracts."),
    "renew_cape": (200, ContractOut, "The renewed CAPE."),
    "admit_associate": (200, MemberOut, "The member, now an associate."),
    "record_exit": (200, MemberOut, "The member, with the exit date and reason."),
    "associate_deadlines": (200, DeadlineList, "Deadlines to become an associate, soonest first."),
    "scan_deadlines": (200, None, "How many alerts the scan published."),
    "open_activity": (201, ActivityOut, "The opened activity.",
                      {409: "The code is already used in this cooperative."}),
    "list_activities": (200, ActivityList, "The cooperative's activities, by code."),
    "close_activity": (200, ActivityOut, "The closed activity."),
    "record_interview": (201, None, "The interview was recorded."),
    "follow_up_due": (200, FollowUpList, "Entrepreneurs with fewer than two interviews in 12 months."),
}
