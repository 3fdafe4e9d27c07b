"""The matching nameko service: a thin shell over the use cases and the kit.

Who may do what: an entrepreneur writes their own profile and gives or withdraws their
own consents (nobody else does it for them); every member of a cooperative reads its
directory, in which another cooperative's members appear only with the fields they
shared with the network; staff (roles ``staff``, ``admin``) manage the cooperative's
certifications, calls for tenders, proposals and groups; the members of a proposed team
answer it for themselves, whichever cooperative they belong to.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from eventlet import tpool
from nameko.timer import timer

from cae_contracts import Event
from cae_matching.adapters.schemas import (
    ConceptList,
    ConceptOut,
    ConceptQuery,
    ConceptsQuery,
    ConsentIn,
    ConsentOut,
    DirectoryPage,
    DirectoryQuery,
    ProfileIn,
    ProfileOut,
    SettingsIn,
    SettingsOut,
)
from cae_matching.entrypoints.calls_api import MEMBERS, STAFF, CallsApi
from cae_matching.entrypoints.calls_api import RESPONSES as CALLS_RESPONSES
from cae_matching.usecases import profiles, search, taxonomy
from caekit import context
from caekit.handlers import reliable_handler
from caekit.http import api
from caekit.problems import Forbidden
from caekit.rules import RuleViolation, UnknownRecord
from caekit.service import ServiceBase

PROFILE = "/cooperatives/<cooperative_id>/profiles/<member_id>"


def _now() -> datetime:
    return datetime.now(UTC)


class MatchingService(CallsApi, ServiceBase):
    name = "matching"

    # -- the read model of members ------------------------------------------------------
    @reliable_handler("cae.members.cooperative_registered.v1")
    def on_cooperative_registered(self, event: Event):
        profiles.register_cooperative(self.db, str(event.data["cooperative_id"]),
                                      event.data["name"])

    @reliable_handler("cae.members.cooperative_updated.v1")
    def on_cooperative_updated(self, event: Event):
        profiles.register_cooperative(self.db, str(event.data["cooperative_id"]),
                                      event.data["name"])

    @reliable_handler("cae.members.member_joined.v2")
    def on_member_joined(self, event: Event):
        data = event.data
        profiles.person_joined(self.db, str(data["cooperative_id"]), str(data["member_id"]),
                               data["first_name"], data["last_name"], data["joined_on"])

    @reliable_handler("cae.members.member_left.v1")
    def on_member_left(self, event: Event):
        data = event.data
        profiles.person_left(self.db, str(data["cooperative_id"]), str(data["member_id"]),
                             data["left_on"])

    @reliable_handler("cae.members.activity_opened.v1")
    def on_activity_opened(self, event: Event):
        data = event.data
        profiles.activity_opened(self.db, str(data["cooperative_id"]), str(data["activity_id"]),
                                 data["code"], data["name"], data["opened_on"],
                                 [str(m) for m in data["member_ids"]])

    @reliable_handler("cae.members.activity_closed.v1")
    def on_activity_closed(self, event: Event):
        data = event.data
        profiles.activity_closed(self.db, str(data["cooperative_id"]), str(data["activity_id"]),
                                 data["closed_on"])

    @timer(interval=3600)
    def erase_expired(self):
        """Hourly: erase the profiles of members gone longer than the retention delay."""
        profiles.erase_expired(self.db, date.today())
        self.db.commit()

    # -- who is calling --------------------------------------------------------------------
    @staticmethod
    def _self_only(member_id: str, what: str) -> str:
        who = context.caller.get()
        if who.subject != str(member_id):
            raise Forbidden(f"an entrepreneur {what} themselves")
        return who.subject

    def _commit(self, status, body):
        self.db.commit()
        return status, body

    @staticmethod
    def _blocking(function, *args, **kwargs):
        """Run native, blocking work (the solver) in a real thread: the hub keeps serving."""
        return tpool.execute(function, *args, **kwargs)

    # -- settings ---------------------------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/matching-settings", roles=STAFF)
    def get_settings(self, request, cooperative_id):
        return SettingsOut().dump(profiles.settings(self.db, cooperative_id))

    @api("PUT", "/cooperatives/<cooperative_id>/matching-settings", schema=SettingsIn,
         roles=STAFF, idempotency_required=True)
    def put_settings(self, request, cooperative_id, body):
        return self._commit(200, SettingsOut().dump(
            profiles.put_settings(self.db, cooperative_id, body["retention_days"])))

    # -- profiles and consent ------------------------------------------------------------------
    @api("GET", PROFILE, roles=MEMBERS)
    def get_profile(self, request, cooperative_id, member_id):
        return ProfileOut().dump(profiles.get_profile(self.db, cooperative_id, str(member_id),
                                                      cooperative_id))

    @api("PUT", PROFILE, schema=ProfileIn, roles=MEMBERS, idempotency_required=True)
    def put_profile(self, request, cooperative_id, member_id, body):
        self._self_only(member_id, "writes the profile of")
        data = profiles.ProfileIn(**{**body, "skills": [profiles.SkillIn(**s)
                                                         for s in body["skills"]]})
        return self._commit(200, ProfileOut().dump(
            profiles.put_profile(self.db, cooperative_id, str(member_id), data, _now())))

    @api("GET", PROFILE + "/consent", roles=MEMBERS)
    def get_consent(self, request, cooperative_id, member_id):
        who = context.caller.get()
        if not who.has_any(STAFF):
            self._self_only(member_id, "reads the consents of")
        return ConsentOut().dump(profiles.consent(self.db, cooperative_id, str(member_id)))

    @api("PUT", PROFILE + "/consent", schema=ConsentIn, roles=MEMBERS, idempotency_required=True)
    def put_consent(self, request, cooperative_id, member_id, body):
        who = self._self_only(member_id, "gives or withdraws the consents of")
        return self._commit(200, ConsentOut().dump(profiles.change_consent(
            self.db, cooperative_id, str(member_id), body, who, _now())))

    # -- the directory and the taxonomy ------------------------------------------------------
    @api("GET", "/cooperatives/<cooperative_id>/directory", roles=MEMBERS, query=DirectoryQuery)
    def directory(self, request, cooperative_id, query):
        """Profiles ranked by the criteria, each with why it matched; another cooperative's
        members only with the fields they shared with the network."""
        place = window = None
        if "radius_km" in query:
            place = search.Place(query["latitude"], query["longitude"], query["radius_km"],
                                 query.get("place_label"))
        if "starts_on" in query:
            window = search.Window(query["starts_on"], query["ends_on"])
        page = search.search(self.db, cooperative_id, search.Criteria(
            scope=query["scope"], concept_uris=(query["concept"],) if "concept" in query else (),
            text=query.get("q"), place=place, window=window, min_level=query["min_level"],
            limit=query["limit"], cursor=query.get("cursor")))
        return DirectoryPage().dump({"items": [vars(hit) for hit in page.hits],
                                     "next_cursor": page.next_cursor})

    @api("GET", "/cooperatives/<cooperative_id>/directory/<member_id>", roles=MEMBERS)
    def directory_profile(self, request, cooperative_id, member_id):
        """A profile of any cooperative, as this cooperative may see it (404 otherwise)."""
        found = search.views(self.db, [str(member_id)], cooperative_id).get(str(member_id))
        if not found:
            raise UnknownRecord("member.unknown", "no such profile visible to your "
                                         "cooperative", ("member_id",))
        return ProfileOut().dump(found)

    @api("GET", "/concepts", roles=MEMBERS, query=ConceptsQuery)
    def concepts(self, request, query):
        """The taxonomy's concepts for an autocomplete (ESCO, French labels)."""
        return ConceptList().dump({"items": taxonomy.search_concepts(
            self.db, query["q"], query.get("kind"), query["limit"])})

    @api("GET", "/concept", roles=MEMBERS, query=ConceptQuery)
    def concept(self, request, query):
        """One concept: its labels, broader and narrower concepts, an occupation's skills."""
        try:
            found = taxonomy.concept(self.db, query["uri"], field="uri")
        except UnknownRecord as unknown:  # a query names it, not the path: 422
            raise RuleViolation(unknown.rule, unknown.message, unknown.fields) from None
        return ConceptOut().dump(found)


# OpenAPI document (caekit.openapi)
_DB = {503: "The matching database is unavailable; retry later."}
_RULE = "A rule refuses it (errors.rule names it)"
_MEMBER = {404: "No such member in this cooperative, or one who left (member.unknown).", **_DB}
RESPONSES = {
    **CALLS_RESPONSES,
    "get_settings": (200, SettingsOut, "The cooperative's matching settings.", {
        404: "Matching does not know the cooperative (cooperative.unknown).", **_DB}),
    "put_settings": (200, SettingsOut, "The settings now.", {
        404: "Matching does not know the cooperative (cooperative.unknown).",
        422: _RULE + ": settings.retention_days.", **_DB}),
    "get_profile": (200, ProfileOut, "The member's profile, every field.", _MEMBER),
    "put_profile": (200, ProfileOut, "The profile as written.", {
        404: "No such member (member.unknown), or a skill's concept is not in the taxonomy "
             "(concept.unknown).", 422: _RULE + ": skill.level, skill.years, skill.label, "
        "skill.duplicate, place.*, day_rate.order, amount.out_of_range, period.order, "
        "availability.days_per_week, date.out_of_range.", **_DB}),
    "get_consent": (200, ConsentOut, "What the network sees, and every change of it.", _MEMBER),
    "put_consent": (200, ConsentOut, "The consents now, with their history.", {
        **_MEMBER, 422: _RULE + ": consent.field, consent.no_profile (write the profile "
                           "first)."}),
    "directory": (200, DirectoryPage, "The profiles found, ranked, with why each matched.", {
        422: _RULE + ": search.*, a cursor of another search.", **_DB}),
    "directory_profile": (200, ProfileOut, "The profile, with the fields this cooperative "
                          "may see.", {404: "No such profile visible to this cooperative "
                                            "(member.unknown).", **_DB}),
    "concepts": (200, ConceptList, "Concepts whose labels start with the text.", {
        422: _RULE + ": concept.kind, concept.query.", **_DB}),
    "concept": (200, ConceptOut, "The concept.", {
        422: "No such concept in the taxonomy (concept.unknown).", **_DB}),
}
