"""The matching service's HTTP API, as methods of ``HttpGateway`` (``self._get``,
``self._post``, ``self._call``, ``self._all_pages``)."""

from __future__ import annotations

SERVICE = "matching"


class MatchingCalls:
    """Profiles and consents, the directory, the taxonomy, calls for tenders, proposals and
    their answers, professional groups (``usecases.matching.MatchingGateway``)."""

    # -- profiles and consents -----------------------------------------------------------
    def profile(self, coop: str, member_id: str) -> dict:
        return self._get(SERVICE, f"/cooperatives/{coop}/profiles/{member_id}")

    def put_profile(self, coop: str, member_id: str, body: dict, idempotency_key: str) -> dict:
        return self._call(SERVICE, "PUT", f"/cooperatives/{coop}/profiles/{member_id}",
                          json=body, headers={"Idempotency-Key": idempotency_key})

    def consent(self, coop: str, member_id: str) -> dict:
        return self._get(SERVICE, f"/cooperatives/{coop}/profiles/{member_id}/consent")

    def put_consent(self, coop: str, member_id: str, body: dict, idempotency_key: str) -> dict:
        return self._call(SERVICE, "PUT", f"/cooperatives/{coop}/profiles/{member_id}/consent",
                          json=body, headers={"Idempotency-Key": idempotency_key})

    # -- the directory and the taxonomy ----------------------------------------------------
    def directory(self, coop: str, **criteria) -> dict:
        """A page of profiles found (``items``, ``next_cursor``)."""
        return self._get(SERVICE, f"/cooperatives/{coop}/directory", **criteria)

    def directory_profile(self, coop: str, member_id: str) -> dict:
        return self._get(SERVICE, f"/cooperatives/{coop}/directory/{member_id}")

    def concepts(self, text: str, kind: str | None = "skill", limit: int = 10) -> list[dict]:
        return self._get(SERVICE, "/concepts", q=text, kind=kind, limit=limit)["items"]

    # -- calls for tenders -------------------------------------------------------------------
    def calls(self, coop: str, status: str | None = None) -> list[dict]:
        items, cursor = [], None
        while True:
            page = self._get(SERVICE, f"/cooperatives/{coop}/calls", status=status, limit=200,
                             cursor=cursor)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor or not page["items"]:
                return items

    def call(self, coop: str, call_id: str) -> dict:
        return self._get(SERVICE, f"/cooperatives/{coop}/calls/{call_id}")

    def create_call(self, coop: str, body: dict, idempotency_key: str) -> dict:
        return self._post(SERVICE, f"/cooperatives/{coop}/calls", body, idempotency_key)

    def update_call(self, coop: str, call_id: str, body: dict, idempotency_key: str) -> dict:
        return self._call(SERVICE, "PUT", f"/cooperatives/{coop}/calls/{call_id}", json=body,
                          headers={"Idempotency-Key": idempotency_key})

    def publish_call(self, coop: str, call_id: str, idempotency_key: str) -> dict:
        return self._post(SERVICE, f"/cooperatives/{coop}/calls/{call_id}/publication", {},
                          idempotency_key)

    def close_call(self, coop: str, call_id: str, idempotency_key: str) -> dict:
        return self._post(SERVICE, f"/cooperatives/{coop}/calls/{call_id}/closing", {},
                          idempotency_key)

    def propose_teams(self, coop: str, call_id: str, body: dict, idempotency_key: str) -> dict:
        return self._post(SERVICE, f"/cooperatives/{coop}/calls/{call_id}/proposals", body,
                          idempotency_key)

    def proposals(self, coop: str, call_id: str) -> list[dict]:
        return self._get(SERVICE, f"/cooperatives/{coop}/calls/{call_id}/proposals",
                         include_superseded="true")["items"]

    def member_proposals(self, coop: str, member_id: str, status: str = "all") -> list[dict]:
        return self._get(SERVICE, f"/cooperatives/{coop}/members/{member_id}/proposals",
                         status=status)["items"]

    def answer_proposal(self, coop: str, member_id: str, proposal_id: str, accept: bool,
                        idempotency_key: str) -> dict:
        return self._post(SERVICE, f"/cooperatives/{coop}/members/{member_id}/proposals/"
                                   f"{proposal_id}/answer", {"accept": accept}, idempotency_key)

    # -- professional groups ------------------------------------------------------------------
    def groups(self, coop: str) -> list[dict]:
        return self._get(SERVICE, f"/cooperatives/{coop}/groups")["items"]

    def group(self, coop: str, group_id: str) -> dict:
        return self._get(SERVICE, f"/cooperatives/{coop}/groups/{group_id}")

    def create_group(self, coop: str, body: dict, idempotency_key: str) -> dict:
        return self._post(SERVICE, f"/cooperatives/{coop}/groups", body, idempotency_key)

    def add_group_member(self, coop: str, group_id: str, member_id: str,
                         idempotency_key: str) -> dict:
        return self._call(SERVICE, "PUT", f"/cooperatives/{coop}/groups/{group_id}/members/"
                                          f"{member_id}",
                          headers={"Idempotency-Key": idempotency_key})

    def remove_group_member(self, coop: str, group_id: str, member_id: str,
                            idempotency_key: str) -> dict:
        return self._call(SERVICE, "DELETE", f"/cooperatives/{coop}/groups/{group_id}/members/"
                                             f"{member_id}",
                          headers={"Idempotency-Key": idempotency_key})
