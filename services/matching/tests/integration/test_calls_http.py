"""Certifications, calls for tenders, proposed teams and answers, absences and replacements,
and professional groups through the HTTP API of the running matching service (real
broker, real database: ``CAE_TEST_DB``). The people come from members' events; their
profiles and consents are written over HTTP with their own tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from cae_contracts import build_event
from cae_matching.adapters import call_schemas
from cae_matching.entrypoints.calls_api import RESPONSES
from cae_matching.entrypoints.service import MatchingService
from cae_matching.usecases import calls, certifications
from caekit.openapi import document
from caekit.testing import CooperativeClient, bearer, count_rows, eventually, publish_raw

TODAY = date.today()
LYON = {"commune": "Lyon", "latitude": "45.764043", "longitude": "4.835659",
        "travel_radius_km": 30}
VILLEURBANNE = {"commune": "Villeurbanne", "latitude": "45.771944", "longitude": "4.890171",
                "travel_radius_km": 30}
PARIS = {"commune": "Paris", "latitude": "48.856614", "longitude": "2.352222",
         "travel_radius_km": 20}


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def rule_of(problem: dict) -> str:
    return problem["errors"]["rule"][0]


@dataclass
class Matching(CooperativeClient):
    """The running service seen by one cooperative, with members' events to seed it."""

    def register(self, name: str, siren: str = "732829320") -> Matching:
        publish_raw(self.amqp_uri, build_event("cae.members.cooperative_registered.v1", {
            "cooperative_id": self.coop, "name": name, "siren": siren,
            "legal_form": "SCOP-SARL", "registered_at": "2020-01-01T00:00:00+00:00"},
            tenant_id=self.coop))
        eventually(lambda: count_rows(self.db, "cooperatives",
                                      f"WHERE cooperative_id = '{self.coop}'"), timeout=60)
        return self

    def join(self, *first_names: str) -> list[str]:
        ids = [str(uuid.uuid4()) for _ in first_names]
        for member, first in zip(ids, first_names, strict=True):
            publish_raw(self.amqp_uri, build_event("cae.members.member_joined.v2", {
                "member_id": member, "cooperative_id": self.coop, "first_name": first,
                "last_name": "Martin", "joined_on": "2023-01-02"}, tenant_id=self.coop))
        listed = ", ".join(f"'{i}'" for i in ids)
        eventually(lambda: count_rows(self.db, "people", f"WHERE member_id IN ({listed})")
                   == len(ids), timeout=60)
        return ids

    def open_activity(self, code: str, *members: str) -> str:
        activity = str(uuid.uuid4())
        publish_raw(self.amqp_uri, build_event("cae.members.activity_opened.v1", {
            "activity_id": activity, "cooperative_id": self.coop, "code": code,
            "name": f"Activité {code}", "opened_on": "2024-01-02",
            "member_ids": list(members)}, tenant_id=self.coop))
        eventually(lambda: count_rows(self.db, "activity_members",
                                      f"WHERE activity_id = '{activity}'") == len(members),
                   timeout=60)
        return activity

    def member(self, member_id: str) -> dict:
        return bearer(self.token(member_id, "entrepreneur", self.coop))

    def send(self, method: str, path: str, body: dict | None = None, *, who: str | None = None,
             expect: int = 200, headers: dict | None = None, key: bool = True, **params):
        """``method`` on the cooperative's ``path``: as staff, or as the member ``who``; a
        write carries a fresh Idempotency-Key unless ``key`` is false."""
        sent = dict(headers or (self.staff() if who is None else self.member(who)))
        if method in ("POST", "PUT", "DELETE") and key:
            sent["Idempotency-Key"] = uuid.uuid4().hex
        response = self.http.request(method, f"{self.url}/{path}", json=body, params=params,
                                     headers=sent)
        assert response.status_code == expect, response.text
        return response.json() if response.content else None

    def profile(self, member_id: str, skills: list[tuple[str, int]], place: dict | None,
                available: tuple[int, int] = (0, 365)) -> dict:
        return self.send("PUT", f"profiles/{member_id}", {
            "skills": [{"label": label, "level": level} for label, level in skills],
            "place": place,
            "availability": [{"starts_on": day(available[0]), "ends_on": day(available[1])}],
        }, who=member_id)

    def another_cooperative(self) -> Matching:
        return Matching(self.service, self.http, self.token, self.amqp_uri, str(uuid.uuid4()))


@pytest.fixture
def oxalis(start_service, amqp_uri, http, token) -> Matching:
    running = start_service(MatchingService)
    return Matching(running, http, token, amqp_uri, str(uuid.uuid4())).register("Oxalis")


def a_call(**fields) -> dict:
    return {"title": "Rénovation énergétique du groupe scolaire Jean-Macé",
            "description": "Isolation des combles et remplacement des menuiseries.",
            "buyer": "Ville de Lyon", "commune": "Lyon", "latitude": 45.764043,
            "longitude": 4.835659, "starts_on": day(60), "ends_on": day(69),
            "deadline": day(30), "budget_cents": 8_000_000, "certifications": ["rge"],
            "requirements": [
                {"code": "menuiserie", "label": "Menuiserie", "min_level": 2},
                {"code": "isolation", "label": "Isolation thermique", "min_level": 2}],
            **fields}


# -- the whole way: a certification, a call, a team, its answers, an absence ----------------------
def test_a_call_is_staffed_by_the_answers_and_an_absence_gets_replacements(oxalis):
    camille, lou, sacha, dominique, eden = oxalis.join("Camille", "Lou", "Sacha", "Dominique",
                                                       "Eden")
    oxalis.open_activity("RENOV", camille, lou, dominique)
    oxalis.open_activity("ISOL", eden)
    oxalis.profile(camille, [("Menuiserie", 3)], LYON)
    oxalis.profile(lou, [("Isolation thermique", 3)], VILLEURBANNE)
    oxalis.profile(sacha, [("Menuiserie", 2)], LYON)  # no activity: no certification
    oxalis.profile(dominique, [("Isolation thermique", 4)], PARIS)  # too far

    # the cooperative's RGE, for every activity; another one written, replaced, deleted
    rge = oxalis.send("POST", "certifications", {
        "kind": "rge", "name": "RGE Qualibat", "number": "E-E123456", "valid_from": day(-30),
        "valid_until": day(400), "all_activities": True}, expect=201)
    assert (rge["kind"], rge["all_activities"], rge["activity_ids"]) == ("rge", True, [])
    other = oxalis.send("POST", "certifications", {
        "kind": "qualiopi", "name": "Qualiopi", "valid_from": day(-30), "valid_until": day(30)},
        expect=201)
    replaced = oxalis.send("PUT", f"certifications/{other['id']}", {
        "kind": "qualiopi", "name": "Qualiopi — actions de formation", "valid_from": day(-30),
        "valid_until": day(60), "scope": "Actions de formation"})
    assert (replaced["name"], replaced["valid_until"]) == ("Qualiopi — actions de formation",
                                                          day(60))
    listed = oxalis.send("GET", "certifications", who=camille, valid_on=day(45))
    assert [c["kind"] for c in listed["items"]] == ["qualiopi", "rge"]
    assert [c["id"] for c in oxalis.send("GET", "certifications", kind="rge")["items"]] == [
        rge["id"]]
    assert oxalis.send("DELETE", f"certifications/{other['id']}", expect=204) is None
    oxalis.send("GET", f"certifications/{other['id']}", expect=404)

    # a draft call, rewritten, published
    draft = oxalis.send("POST", "calls", a_call(budget_cents=None), expect=201)
    assert (draft["status"], draft["created_by"], draft["latitude"]) == ("draft", "alice",
                                                                         45.764043)
    call = oxalis.send("PUT", f"calls/{draft['id']}", a_call())
    assert call["budget_cents"] == 8_000_000
    assert [r["code"] for r in call["requirements"]] == ["menuiserie", "isolation"]
    published = oxalis.send("POST", f"calls/{call['id']}/publication")
    assert published["status"] == "published" and published["published_at"]
    refused = oxalis.send("PUT", f"calls/{call['id']}", a_call(), expect=409)
    assert rule_of(refused) == "call.not_draft"
    page = oxalis.send("GET", "calls", who=lou, status="published")
    assert [c["id"] for c in page["items"]] == [call["id"]] and page["next_cursor"] is None

    # the team: Camille for the joinery, Lou for the insulation; Sacha and Dominique left out
    result = oxalis.send("POST", f"calls/{call['id']}/proposals",
                         {"time_limit_seconds": 5, "alternatives": 3}, expect=201)
    assert result["status"] == "proposed" and result["uncovered"] == []
    (team,) = result["proposals"]
    assert (team["rank"], team["cost"], team["method"], team["proven_optimal"]) == (
        1, 2, "exact", True)
    assert {m["member_id"]: m["covers"] for m in team["members"]} == {
        camille: ["menuiserie"], lou: ["isolation"]}
    assert {m["member_id"]: m["name"] for m in team["members"]} == {
        camille: "Camille Martin", lou: "Lou Martin"}
    assert {r["code"]: r["members"] for r in team["requirements"]} == {
        "menuiserie": [camille], "isolation": [lou]}
    excluded = {e["member_id"]: e for e in result["excluded"]}
    assert set(excluded) == {sacha, dominique}
    assert "certification" in excluded[sacha]["reasons"]
    assert excluded[sacha]["missing_certifications"] == ["rge"]
    assert excluded[dominique]["reasons"] == ["out_of_reach"]
    assert excluded[dominique]["distance_km"] > 300
    proposal = team["proposal_id"]
    assert oxalis.send("GET", f"proposals/{proposal}", who=sacha)["status"] == "proposed"
    assert [p["proposal_id"] for p in oxalis.send("GET", f"calls/{call['id']}/proposals")[
        "items"]] == [proposal]

    # the answers: each member for themselves, once
    waiting = oxalis.send("GET", f"members/{lou}/proposals", who=lou)["items"]
    assert [(p["proposal_id"], p["covers"], p["answer"]) for p in waiting] == [
        (proposal, ["isolation"], "pending")]
    answer = f"members/{camille}/proposals/{proposal}/answer"
    forbidden = oxalis.send("POST", answer, {"accept": True}, who=lou, expect=403)
    assert "themselves" in forbidden["detail"]
    first = oxalis.send("POST", answer, {"accept": True}, who=camille)
    assert (first["team_accepted"], first["call_status"]) == (False, "proposed")
    again = oxalis.send("POST", answer, {"accept": True}, who=camille)  # the same answer
    assert again["proposal"]["status"] == "proposed"
    refused = oxalis.send("POST", answer, {"accept": False}, who=camille, expect=409)
    assert rule_of(refused) == "proposal.answered"
    done = oxalis.send("POST", f"members/{lou}/proposals/{proposal}/answer", {"accept": True},
                       who=lou)
    assert done["team_accepted"] and done["call_status"] == "staffed"
    assert {m["answer"] for m in done["proposal"]["members"]} == {"accepted"}
    assert oxalis.send("GET", f"calls/{call['id']}")["status"] == "staffed"
    assert oxalis.send("GET", f"members/{lou}/proposals", status="accepted")["items"][0][
        "status"] == "accepted"
    refused = oxalis.send("POST", f"calls/{call['id']}/proposals", {}, expect=409)
    assert rule_of(refused) == "call.not_open"

    # Lou is away during the work: Eden (newly profiled) could take over the insulation
    oxalis.profile(eden, [("Isolation thermique", 2)], LYON)
    absence = oxalis.send("POST", f"members/{lou}/absences", {
        "starts_on": day(62), "ends_on": day(65), "reason": "Congé maladie"}, who=lou,
        expect=201)
    assert [(e["call_id"], e["covers"]) for e in absence["engagements"]] == [
        (call["id"], ["isolation"])]
    suggested = [(s["member_id"], s["requirement"], s["call_id"], s["name"])
                 for s in absence["suggestions"]]
    assert suggested == [(eden, "isolation", call["id"], "Eden Martin")]
    absences = oxalis.send("GET", f"members/{lou}/absences")["items"]  # staff read them
    assert [a["id"] for a in absences] == [absence["id"]]
    path = f"members/{lou}/absences/{absence['id']}"
    assert oxalis.send("GET", path, who=lou)["suggestions"][0]["member_id"] == eden
    oxalis.send("GET", path, who=camille, expect=403)
    assert oxalis.send("DELETE", path, who=lou, expect=204) is None
    oxalis.send("GET", path, who=lou, expect=404)
    by_staff = oxalis.send("POST", f"members/{sacha}/absences", {  # no engagement: by skills
        "starts_on": day(10), "ends_on": day(12)}, expect=201)
    assert by_staff["engagements"] == [] and {s["member_id"] for s in by_staff[
        "suggestions"]} == {camille}
    assert by_staff["suggestions"][0]["call_id"] is None


def test_refusals_name_the_field_the_role_or_the_record(oxalis):
    (camille,) = oxalis.join("Camille")
    oxalis.profile(camille, [("Menuiserie", 3)], LYON)

    forbidden = oxalis.send("POST", "calls", a_call(), who=camille, expect=403)
    assert "staff" in forbidden["detail"]
    oxalis.send("POST", "certifications", {"kind": "rge", "name": "RGE", "valid_from": day(0),
                                           "valid_until": day(1)}, who=camille, expect=403)
    oxalis.send("POST", "calls", a_call(), key=False, expect=428)

    bad = a_call(requirements=[{"code": "menuiserie", "label": "Menuiserie", "min_level": 5}])
    invalid = oxalis.send("POST", "calls", bad, expect=422)
    assert list(invalid["errors"]) == ["requirements"]
    assert list(invalid["errors"]["requirements"]["0"]) == ["min_level"]
    invalid = oxalis.send("POST", "calls", a_call(starts_on=day(10), ends_on=day(9)),
                          expect=422)
    assert list(invalid["errors"]) == ["ends_on"]
    invalid = oxalis.send("POST", "calls", a_call(latitude=None), expect=422)
    assert list(invalid["errors"]) == ["latitude"]
    invalid = oxalis.send("POST", "calls", a_call(requirements=[
        {"code": "a", "label": "Menuiserie"}, {"code": "a", "label": "Plâtrerie"}]), expect=422)
    assert rule_of(invalid) == "requirement.duplicate" and "requirements[1].code" in invalid[
        "errors"]
    invalid = oxalis.send("POST", f"members/{camille}/absences", {
        "starts_on": day(5), "ends_on": day(4)}, who=camille, expect=422)
    assert list(invalid["errors"]) == ["ends_on"]
    invalid = oxalis.send("POST", "certifications", {
        "kind": "iso", "name": "ISO", "valid_from": day(0), "valid_until": day(1)}, expect=422)
    assert list(invalid["errors"]) == ["kind"]
    assert list(oxalis.send("GET", "calls", cursor="bm90LWEtY3Vyc29y", expect=422)[
        "errors"]) == ["cursor"]
    assert list(oxalis.send("GET", "calls", limit=0, expect=422)["errors"]) == ["limit"]
    call = oxalis.send("POST", "calls", a_call(), expect=201)
    invalid = oxalis.send("POST", f"calls/{call['id']}/proposals", {"time_limit_seconds": 31,
                                                                   "alternatives": 6},
                          expect=422)
    assert set(invalid["errors"]) == {"time_limit_seconds", "alternatives"}
    invalid = oxalis.send("POST", f"members/{camille}/proposals/{uuid.uuid4()}/answer",
                          {"accept": "yes"}, who=camille, expect=422)
    assert list(invalid["errors"]) == ["accept"]
    refused = oxalis.send("POST", f"calls/{call['id']}/proposals", {}, expect=409)
    assert rule_of(refused) == "call.not_open"  # a draft
    oxalis.send("POST", f"calls/{call['id']}/closing")
    assert rule_of(oxalis.send("POST", f"calls/{call['id']}/closing", expect=409)) == \
        "call.closed"

    # another cooperative's records do not exist for it; nor does an id that is not one
    other = oxalis.another_cooperative().register("Coopaname", "443061841")
    assert rule_of(other.send("GET", f"calls/{call['id']}", expect=404)) == "call.unknown"
    other.send("POST", f"calls/{call['id']}/publication", expect=404)
    other.send("GET", f"members/{camille}/proposals", expect=404)
    other.send("POST", f"members/{camille}/absences", {"starts_on": day(1), "ends_on": day(2)},
               expect=404)
    oxalis.send("GET", "calls/not-a-call", expect=404)
    oxalis.send("GET", f"proposals/{uuid.uuid4()}", expect=404)
    response = oxalis.http.get(f"{other.url}/calls", headers=oxalis.staff())
    assert response.status_code == 403  # the token is another cooperative's


def test_a_network_member_answers_from_their_cooperative_and_groups(oxalis):
    coopaname = oxalis.another_cooperative().register("Coopaname", "443061841")
    (paul,) = oxalis.join("Paul")
    (rita,) = coopaname.join("Rita")
    oxalis.profile(paul, [("Menuiserie", 3)], LYON)
    coopaname.profile(rita, [("Plâtrerie", 3)], VILLEURBANNE)
    coopaname.send("PUT", f"profiles/{rita}/consent", {
        "identity": True, "skills": True, "availability": True, "place": True}, who=rita)

    call = oxalis.send("POST", "calls", a_call(certifications=[], scope="network",
                                               requirements=[
        {"code": "menuiserie", "label": "Menuiserie", "min_level": 2},
        {"code": "platre", "label": "Plâtrerie", "min_level": 2, "people": 1}]), expect=201)
    oxalis.send("POST", f"calls/{call['id']}/publication")
    result = oxalis.send("POST", f"calls/{call['id']}/proposals",
                         {"time_limit_seconds": 2.5, "alternatives": 1}, expect=201)
    (team,) = result["proposals"]
    assert {(m["member_id"], m["cooperative_id"], tuple(m["covers"]))
            for m in team["members"]} == {(paul, oxalis.coop, ("menuiserie",)),
                                          (rita, coopaname.coop, ("platre",))}
    proposal = team["proposal_id"]

    # Rita reads and answers it from her own cooperative; Oxalis' staff cannot for her
    (mine,) = coopaname.send("GET", f"members/{rita}/proposals", who=rita, status="all")[
        "items"]
    assert (mine["proposal_id"], mine["cooperative_id"]) == (proposal, oxalis.coop)
    assert coopaname.send("GET", f"members/{rita}/proposals")["items"] == [mine]  # her staff
    oxalis.send("GET", f"proposals/{proposal}", headers=coopaname.staff(), expect=403)
    coopaname.send("GET", f"proposals/{proposal}", expect=404)  # Oxalis' proposal
    oxalis.send("POST", f"members/{rita}/proposals/{proposal}/answer", {"accept": True},
                expect=403)
    oxalis.send("POST", f"members/{paul}/proposals/{proposal}/answer", {"accept": True},
                who=paul)
    done = coopaname.send("POST", f"members/{rita}/proposals/{proposal}/answer",
                          {"accept": True}, who=rita)
    assert done["team_accepted"] and done["call_status"] == "staffed"
    names = {m["member_id"]: m["name"] for m in done["proposal"]["members"]}
    assert names == {paul: None, rita: "Rita Martin"}  # as Coopaname sees them

    # a decline: the proposal is declined, the call waits for another team
    call2 = oxalis.send("POST", "calls", a_call(
        certifications=[], latitude=None, longitude=None, starts_on=day(100),
        ends_on=day(104), requirements=[{"code": "menuiserie", "label": "Menuiserie"}]),
        expect=201)
    oxalis.send("POST", f"calls/{call2['id']}/publication")
    (team2,) = oxalis.send("POST", f"calls/{call2['id']}/proposals", {}, expect=201)[
        "proposals"]
    declined = oxalis.send("POST", f"members/{paul}/proposals/{team2['proposal_id']}/answer",
                           {"accept": False}, who=paul)
    assert declined["proposal"]["status"] == "declined"
    assert declined["call_status"] == "published"
    refused = oxalis.send("POST", f"members/{paul}/proposals/{team2['proposal_id']}/answer",
                          {"accept": True}, who=paul, expect=409)
    assert rule_of(refused) == "proposal.not_open"
    assert [p["answer"] for p in oxalis.send("GET", f"members/{paul}/proposals", who=paul,
                                             status="declined")["items"]] == ["declined"]
    again = oxalis.send("POST", f"calls/{call2['id']}/proposals", {}, expect=201)
    assert again["proposals"] == [] and again["excluded"][0]["reasons"] == ["declined"]
    history = oxalis.send("GET", f"calls/{call2['id']}/proposals", include_superseded="true")
    assert [p["status"] for p in history["items"]] == ["declined"]

    # a professional group
    group = oxalis.send("POST", "groups", {"name": "Experts bois", "topic": "Menuiserie et "
                                           "charpente"}, expect=201)
    path = f"groups/{group['id']}"
    with_paul = oxalis.send("PUT", f"{path}/members/{paul}")
    assert with_paul["members"] == [{"member_id": paul, "name": "Paul Martin"}]
    assert oxalis.send("PUT", f"{path}/members/{rita}", expect=404)["errors"]["rule"] == [
        "member.unknown"]  # Coopaname's
    assert [g["id"] for g in oxalis.send("GET", "groups", who=paul, member_id=paul)[
        "items"]] == [group["id"]]
    assert oxalis.send("GET", "groups", member_id=str(uuid.uuid4()))["items"] == []
    renamed = oxalis.send("PUT", path, {"name": "Experts du bois", "topic": "Menuiserie",
                                        "description": "Charpente, ossature, agencement."})
    assert (renamed["name"], renamed["member_count"]) == ("Experts du bois", 1)
    taken = oxalis.send("POST", "groups", {"name": "experts du bois", "topic": "Autre"},
                        expect=409)
    assert rule_of(taken) == "group.name_taken"
    assert oxalis.send("DELETE", f"{path}/members/{paul}")["member_count"] == 0
    oxalis.send("PUT", path, {"name": "Bois", "topic": "Bois"}, who=paul, expect=403)
    assert oxalis.send("DELETE", path, expect=204) is None
    oxalis.send("GET", path, expect=404)
    assert coopaname.send("GET", "groups")["items"] == []


def test_every_operation_documents_its_responses():
    """Each operation of the mixin is in the OpenAPI document with its success response's
    schema and the problems it can return."""
    paths = document(MatchingService)["paths"]
    operations = {op["operationId"]: op for item in paths.values() for op in item.values()}
    for name, spec in RESPONSES.items():
        status, schema = spec[0], spec[1]
        responses = operations[name]["responses"]
        assert str(status) in responses, name
        if schema is not None:
            assert responses[str(status)]["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{schema.__name__}"}, name
        for problem in spec[3] if len(spec) > 3 else {}:
            assert str(problem) in responses, (name, problem)


def test_the_schemas_offer_what_the_use_cases_accept():
    assert call_schemas.KINDS == certifications.KINDS
    assert call_schemas.CALL_STATUSES == calls.STATUSES
    assert call_schemas.OBJECTIVES == tuple(calls.OBJECTIVES)
    assert call_schemas.SCOPES == calls.SCOPES
