"""A running governance service with a cooperative whose associates come from members'
events (published on the real broker)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from cae_contracts import build_event
from cae_governance.entrypoints.service import GovernanceService
from caekit.testing import CooperativeClient, bearer, count_rows, eventually, publish_raw

ASSOCIATE_SINCE = "2024-01-15"


@dataclass
class Governance(CooperativeClient):
    """Helpers over a started governance service and one cooperative."""

    associates: list | None = None

    def register(self, profile: str = "scop-sarl", legal_form: str = "SCOP-SARL") -> None:
        publish_raw(self.amqp_uri, build_event("cae.members.cooperative_registered.v1", {
            "cooperative_id": self.coop, "name": "Coopérative Les Ateliers", "siren": "732829320",
            "legal_form": legal_form, "registered_at": "2020-01-01T00:00:00+00:00",
            "statute_profile": profile, "default_contribution_rate": "0.1000",
            "staff_size_bracket": "11_to_49"}, tenant_id=self.coop))
        eventually(lambda: count_rows(self.db, "cooperatives",
                                      f"WHERE cooperative_id = '{self.coop}'"))

    def join(self, count: int, associate: bool = True, first: str = "Associé") -> list[str]:
        """``count`` people joined (and became associates), by members' events."""
        ids = []
        for n in range(count):
            member = str(uuid.uuid4())
            ids.append(member)
            events = [build_event("cae.members.member_joined.v2", {
                "member_id": member, "cooperative_id": self.coop, "first_name": f"{first}{n:03}",
                "last_name": "Martin", "joined_on": "2023-01-02"}, tenant_id=self.coop)]
            if associate:
                events.append(build_event("cae.members.member_became_associate.v1", {
                    "member_id": member, "cooperative_id": self.coop,
                    "associate_on": ASSOCIATE_SINCE}, tenant_id=self.coop))
            for event in events:
                publish_raw(self.amqp_uri, event)
        wanted = len(ids)
        where = "AND associate_on IS NOT NULL" if associate else ""
        eventually(lambda: count_rows(self.db, "people", f"WHERE cooperative_id = '{self.coop}' "
                                      f"AND member_id IN ({', '.join(repr(i) for i in ids)}) "
                                      f"{where}") == wanted, timeout=60)
        return ids

    def seed(self, count: int, profile: str = "scop-sarl", legal_form: str = "SCOP-SARL") -> list[str]:
        self.register(profile, legal_form)
        self.associates = self.join(count)
        return self.associates

    def member(self, member: str) -> dict:
        return bearer(self.token(member, "entrepreneur", self.coop))

    def convene(self, resolutions: list[dict], expect: int = 201, **fields) -> dict:
        body = {"title": "Assemblée générale ordinaire annuelle", "kind": "ordinary",
                "held_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                "place": "Salle du conseil, 12 rue des Tanneurs, Lyon",
                "convened_on": (date.today() - timedelta(days=20)).isoformat(),
                "resolutions": resolutions, **fields}
        return self.post("assemblies", body, expect=expect)

    def act(self, assembly: str, path: str, body: dict | None = None, who: str | None = None,
            expect: int = 201) -> dict:
        return self.post(f"assemblies/{assembly}/{path}", body or {},
                         headers=None if who is None else self.member(who), expect=expect)

    def ballot(self, assembly: str, path: str, body: dict, who: str, expect: int) -> dict:
        """POST a ballot (a vote, a postal form): without Idempotency-Key, which a ballot's
        operation refuses (nothing of it is recorded, ADR 0013)."""
        response = self.http.post(f"{self.url}/assemblies/{assembly}/{path}", json=body,
                                  headers=self.member(who))
        assert response.status_code == expect, response.text
        return response.json()

    def vote(self, assembly: str, resolution: str, who: str, expect: int = 201, **body) -> dict:
        return self.ballot(assembly, f"resolutions/{resolution}/votes", body, who, expect)

    def close_poll(self, assembly: str, resolution: str, expect: int = 200) -> dict:
        return self.act(assembly, f"resolutions/{resolution}/close", expect=expect)

    def get(self, path: str, who: str | None = None, expect: int = 200, **params):
        response = self.http.get(f"{self.url}/{path}", params=params,
                                 headers=self.staff() if who is None else self.member(who))
        assert response.status_code == expect, response.text
        return response

    # -- added helpers (rules over HTTP, secrecy) ---------------------------------------------
    def put(self, path: str, body: dict, expect: int = 200, headers: dict | None = None) -> dict:
        """PUT ``body`` under the cooperative's URL (staff unless ``headers``), with a key."""
        response = self.http.put(f"{self.url}/{path}", json=body, headers={
            **(headers or self.staff()), "Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == expect, response.text
        return response.json()

    def configure(self, expect: int = 200, **body) -> dict:
        """PUT governance-settings: ``overrides``, ``colleges``, ``non_associates_attend``."""
        return self.put("governance-settings", body, expect=expect)

    def set_college(self, member: str, college: str | None, expect: int = 200) -> dict:
        return self.put(f"associates/{member}/college", {"college": college}, expect=expect)

    def convene_as(self, who: str | None, resolutions: list[dict], expect: int = 201,
                   **fields) -> dict:
        """``convene`` with ``who``'s entrepreneur token (None: staff)."""
        body = {"title": "Assemblée générale ordinaire annuelle", "kind": "ordinary",
                "held_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                "place": "Salle du conseil, 12 rue des Tanneurs, Lyon",
                "convened_on": (date.today() - timedelta(days=20)).isoformat(),
                "resolutions": resolutions, **fields}
        return self.post("assemblies", body, expect=expect,
                         headers=None if who is None else self.member(who))

    def sign_in(self, assembly: str, *people: str, mode: str = "in_person") -> None:
        """Staff sign ``people`` in."""
        for person in people:
            self.act(assembly, "sign-ins", {"member_id": person, "mode": mode})

    def open(self, assembly: str, expect: int = 200) -> dict:
        return self.act(assembly, "opening", {"chair": "Camille Martin",
                                              "secretary": "Lou Bernard"}, expect=expect)

    def postal(self, assembly: str, who: str, choices: dict, expect: int = 201) -> dict:
        """``who`` sends a postal form: ``choices`` maps a resolution id to its choice."""
        return self.ballot(assembly, "postal-votes", {"choices": [
            {"resolution_id": r, "choice": c} for r, c in choices.items()]}, who, expect)

    def another_cooperative(self) -> Governance:
        """The same running service seen by another cooperative."""
        return Governance(self.service, self.http, self.token, self.amqp_uri, str(uuid.uuid4()))


def rule_of(problem: dict) -> str:
    """The rule code of a problem+json refusal."""
    return problem["errors"]["rule"][0]


def motion(title: str = "Approbation des comptes", kind: str = "ordinary", **fields) -> dict:
    return {"title": title, "text": f"L'assemblée générale décide : {title}.", "kind": kind,
            **fields}


@pytest.fixture
def governance(start_service, amqp_uri, http, token):
    return Governance(start_service(GovernanceService), http, token, amqp_uri, str(uuid.uuid4()))
