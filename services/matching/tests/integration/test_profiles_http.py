"""Profiles, consent and the directory over HTTP, on a running matching service whose read
model comes from members' events published on the real broker (``CAE_TEST_DB`` chooses
SQLite or PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from cae_contracts import build_event
from cae_matching.entrypoints.service import MatchingService
from cae_matching.usecases import profiles
from caekit.db import acting_session, make_engine, make_session_factory
from caekit.testing import bearer, count_rows, eventually, publish_raw

WEB_PROGRAMMING = "http://data.europa.eu/esco/skill/69bbd53f-fbb0-4476-b4b2-ef7844464e28"


class Network:
    """Two cooperatives on one running service, each with three entrepreneurs."""

    def __init__(self, service, http, token, amqp_uri):
        self.service, self.http, self.token, self.amqp = service, http, token, amqp_uri
        self.coops = [str(uuid.uuid4()), str(uuid.uuid4())]
        self.people: dict[str, list[str]] = {}
        for n, coop in enumerate(self.coops):
            self._publish("cae.members.cooperative_registered.v1", coop, {
                "cooperative_id": coop, "name": ("Oxalis", "Coopaname")[n], "siren": "732829320",
                "legal_form": "SCOP-SA", "registered_at": "2020-01-01T00:00:00+00:00",
                "statute_profile": "scop-sa", "default_contribution_rate": "0.1000",
                "staff_size_bracket": "11_to_49"})
            self.people[coop] = []
            for first in ("Léa", "Hugo", "Inès"):
                member = str(uuid.uuid4())
                self.people[coop].append(member)
                self._publish("cae.members.member_joined.v2", coop, {
                    "member_id": member, "cooperative_id": coop, "first_name": first,
                    "last_name": ("Martin", "Durand")[n], "joined_on": "2024-01-02"})
        eventually(lambda: count_rows(self.db, "people") == 6, timeout=60)

    @property
    def db(self) -> str:
        return self.service.settings.database_url

    def _publish(self, type_: str, coop: str, data: dict) -> None:
        publish_raw(self.amqp, build_event(type_, data, tenant_id=coop))

    def as_member(self, coop: str, member: str) -> dict:
        return bearer(self.token(member, "entrepreneur", coop))

    def staff(self, coop: str) -> dict:
        return bearer(self.token("alice", "staff", coop))

    def url(self, coop: str, path: str) -> str:
        return f"{self.service.url}/cooperatives/{coop}/{path}"

    def put(self, coop: str, path: str, body: dict, headers: dict, expect: int = 200) -> dict:
        response = self.http.put(self.url(coop, path), json=body, headers={
            **headers, "Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == expect, response.text
        return response.json()

    def get(self, coop: str, path: str, headers: dict | None = None, expect: int = 200,
            **params) -> dict:
        response = self.http.get(self.url(coop, path), params=params,
                                 headers=headers or self.staff(coop))
        assert response.status_code == expect, response.text
        return response.json()

    def write_profile(self, coop: str, member: str, expect: int = 200, **body) -> dict:
        return self.put(coop, f"profiles/{member}", body, self.as_member(coop, member), expect)

    def consent(self, coop: str, member: str, expect: int = 200, **changes) -> dict:
        return self.put(coop, f"profiles/{member}/consent", changes,
                        self.as_member(coop, member), expect)

    def found(self, coop: str, **params) -> list[str]:
        return [hit["member_id"] for hit in self.get(coop, "directory", **params)["items"]]


@pytest.fixture
def network(start_service, http, token, amqp_uri) -> Network:
    return Network(start_service(MatchingService), http, token, amqp_uri)


WEB = {"presentation": "Je conçois des sites accessibles pour les associations.",
       "skills": [{"label": "Développement Web", "level": 3, "years": 6}],
       "trades": ["Intégratrice"], "languages": [{"code": "en", "level": "C1"}],
       "place": {"commune": "Lyon", "commune_code": "69123", "latitude": "45.764043",
                 "longitude": "4.835659", "travel_radius_km": 40},
       "day_rate": {"min_cents": 40000, "max_cents": 55000},
       "availability": [{"starts_on": "2027-01-04", "ends_on": "2027-06-30",
                         "days_per_week": 4}],
       "references": [{"title": "Site de la Maison des Solidarités", "client": "Ville de Lyon",
                       "year": 2025}]}


def test_an_entrepreneur_writes_their_profile_and_the_directory_finds_it_in_french(network):
    coop, (lea, hugo, _) = network.coops[0], network.people[network.coops[0]]
    written = network.write_profile(coop, lea, **WEB)
    assert written["identity"] == {"first_name": "Léa", "last_name": "Martin"}
    assert written["skills"] == [{"concept_uri": None, "label": "Développement Web",
                                  "level": 3, "years": 6}]
    assert written["place"]["latitude"] == "45.764043"
    network.write_profile(coop, hugo, skills=[
        {"label": "Programmation Web", "level": 2},  # an ESCO label: mapped to its concept
        {"label": "menuiserie d'agencement", "level": 4}])
    hugo_skills = network.get(coop, f"profiles/{hugo}")["skills"]
    assert hugo_skills[0]["concept_uri"] == WEB_PROGRAMMING
    assert hugo_skills[1]["concept_uri"] is None  # free text, no concept of that label

    page = network.get(coop, "directory", q="développeuse web")
    assert [hit["member_id"] for hit in page["items"]] == [lea]
    assert {"criterion": "text", "field": "skills"}.items() <= page["items"][0]["reasons"][0].items()
    assert network.found(coop, q="menuiseries") == [hugo]  # a plural, no accent needed
    assert network.found(coop, concept=WEB_PROGRAMMING) == [hugo]
    assert network.found(coop, q="anglais") == [lea]
    near = network.found(coop, latitude="45.771944", longitude="4.890171", radius_km=10,
                         place_label="Villeurbanne")
    assert near == [lea]
    assert network.found(coop, latitude="48.856614", longitude="2.352222", radius_km=50) == []
    assert network.found(coop, starts_on="2027-02-01", ends_on="2027-02-28") == [lea]

    with acting_session(make_session_factory(make_engine(network.db)), None, "t") as session:
        from caekit.tables import outbox_table
        types = [row.event_type for row in session.execute(outbox_table.select())]
    assert types.count("cae.matching.profile_updated.v1") == 2


def test_only_the_entrepreneur_writes_their_profile_and_consent(network):
    coop, (lea, hugo, _) = network.coops[0], network.people[network.coops[0]]
    network.put(coop, f"profiles/{lea}", WEB, network.staff(coop), expect=403)
    network.put(coop, f"profiles/{lea}", WEB, network.as_member(coop, hugo), expect=403)
    network.consent(coop, lea, expect=422, identity=True)  # no profile yet
    network.write_profile(coop, lea, **WEB)
    network.put(coop, f"profiles/{lea}/consent", {"identity": True}, network.staff(coop),
                expect=403)
    other = network.coops[1]
    response = network.http.get(network.url(coop, f"profiles/{lea}"), headers=network.staff(other))
    assert response.status_code == 403  # another cooperative's URL


@pytest.mark.parametrize(("body", "field"), [
    ({"skills": [{"label": "Web", "level": 5}]}, "level"),
    ({"skills": [{"level": 2}]}, "label"),
    ({"skills": [{"concept_uri": "http://data.europa.eu/esco/skill/none", "level": 2}]},
     "concept_uri"),
    ({"place": {"commune": "Lyon", "latitude": "91", "longitude": "4"}}, "latitude"),
    ({"day_rate": {"min_cents": 60000, "max_cents": 50000}}, "max_cents"),
    ({"availability": [{"starts_on": "2027-02-01", "ends_on": "2027-01-01"}]}, "ends_on"),
    ({"shoe_size": 42}, "shoe_size"),
])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(network, body, field):
    coop, lea = network.coops[0], network.people[network.coops[0]][0]
    problem = network.write_profile(coop, lea, expect=404 if field == "concept_uri" else 422,
                                    **body)
    assert field in str(problem["errors"]), problem
    assert count_rows(network.db, "profiles") == 0


def test_another_cooperative_sees_only_what_was_shared_and_a_leaver_vanishes(network):
    coop, other = network.coops
    lea = network.people[coop][0]
    network.write_profile(coop, lea, **WEB)
    assert network.found(other, scope="network", q="développeuse web") == []
    network.get(other, f"directory/{lea}", expect=404)

    consent = network.consent(coop, lea, identity=True, skills=True)
    assert consent["network"]["skills"] and not consent["network"]["day_rate"]
    assert [(c["field"], c["network"]) for c in consent["history"]] == [
        ("skills", True), ("identity", True)] or [(c["field"], c["network"]) for c in
                                                  consent["history"]] == [("identity", True),
                                                                          ("skills", True)]
    network.consent(coop, lea, skills=True)  # unchanged: not recorded again
    assert len(network.get(coop, f"profiles/{lea}/consent",
                           network.as_member(coop, lea))["history"]) == 2

    assert network.found(other, scope="network", q="développeuse web") == [lea]
    assert network.found(other, q="développeuse web") == []  # scope cooperative: its own
    seen = network.get(other, f"directory/{lea}")
    assert set(seen) >= {"identity", "skills"}
    assert not {"presentation", "day_rate", "place", "availability", "references"} & set(seen)
    # a hidden field's words and criteria never make the profile appear
    assert network.found(other, scope="network", q="associations") == []
    assert network.found(other, scope="network", latitude="45.764043", longitude="4.835659",
                         radius_km=10) == []
    assert network.found(coop, q="associations") == [lea]

    network._publish("cae.members.member_left.v1", coop, {
        "member_id": lea, "cooperative_id": coop, "left_on": date.today().isoformat(),
        "reason": "fin du contrat"})
    eventually(lambda: network.found(coop, q="développeuse web") == [], timeout=30)
    assert network.found(other, scope="network", q="développeuse web") == []
    network.get(coop, f"profiles/{lea}", expect=404)

    engine = make_engine(network.db)
    with acting_session(make_session_factory(engine), None, "test") as session:
        assert profiles.erase_expired(session, date.today()) == 0  # 90 days by default
        session.commit()
    network.put(coop, "matching-settings", {"retention_days": 0}, network.staff(coop))
    with acting_session(make_session_factory(engine), None, "test") as session:
        assert profiles.erase_expired(session, date.today()) == 1
        session.commit()
    engine.dispose()
    assert count_rows(network.db, "profiles") == 0
    assert count_rows(network.db, "consent_changes") == 0
    assert count_rows(network.db, "people",
                      f"WHERE member_id = '{lea}' AND erased AND first_name = ''") == 1


def test_the_taxonomy_answers_an_autocomplete(network):
    coop = network.coops[0]
    headers = network.as_member(coop, network.people[coop][0])
    response = network.http.get(f"{network.service.url}/concepts",
                                params={"q": "programmation w"}, headers=headers)
    assert response.status_code == 200, response.text
    assert WEB_PROGRAMMING in [c["uri"] for c in response.json()["items"]]
    response = network.http.get(f"{network.service.url}/concept",
                                params={"uri": WEB_PROGRAMMING}, headers=headers)
    assert response.status_code == 200 and response.json()["label"] == "programmation web"
