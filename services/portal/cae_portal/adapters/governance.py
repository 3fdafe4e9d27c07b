"""The governance service's HTTP API, as methods of ``HttpGateway`` (``self._get``,
``self._post``, ``self._call``, ``self._all_pages``).

A ballot (a vote) is sent without an Idempotency-Key: the service records neither its
request nor its answer (ADR 0013) and refuses the header; a retry is refused as a second
vote (``vote.twice``)."""

from __future__ import annotations

SERVICE = "governance"
SHEET_PAGE = 1000  # lines of the attendance sheet a call


class GovernanceCalls:
    def _assembly_path(self, coop: str, assembly_id: str) -> str:
        return f"/cooperatives/{coop}/assemblies/{assembly_id}"

    def governance_settings(self, coop: str) -> dict:
        return self._get(SERVICE, f"/cooperatives/{coop}/governance-settings")

    def associates(self, coop: str, on: str | None = None) -> list[dict]:
        return self._get(SERVICE, f"/cooperatives/{coop}/associates", on=on)["items"]

    def assemblies(self, coop: str) -> list[dict]:
        return self._get(SERVICE, f"/cooperatives/{coop}/assemblies", limit=1000)["items"]

    def assembly(self, coop: str, assembly_id: str) -> dict:
        return self._get(SERVICE, self._assembly_path(coop, assembly_id))

    def attendance_sheet(self, coop: str, assembly_id: str) -> dict:
        """The attendance sheet with every line (its pages followed), its figures and
        quorum as the first page gave them."""
        path = f"{self._assembly_path(coop, assembly_id)}/sign-ins"
        sheet = self._get(SERVICE, path, limit=SHEET_PAGE)
        items, cursor = list(sheet["items"]), sheet.get("next_cursor")
        while cursor:
            page = self._get(SERVICE, path, limit=SHEET_PAGE, cursor=cursor)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
        return {**sheet, "items": items, "next_cursor": None}

    def convene(self, coop: str, body: dict, idempotency_key: str) -> dict:
        return self._post(SERVICE, f"/cooperatives/{coop}/assemblies", body, idempotency_key)

    def assembly_document(self, coop: str, assembly_id: str, document_id: str) -> bytes:
        return self._call(SERVICE, "GET",
                          f"{self._assembly_path(coop, assembly_id)}/documents/{document_id}",
                          raw=True, headers={"Accept": "*/*"})

    def proxies(self, coop: str, assembly_id: str) -> dict:
        return self._get(SERVICE, f"{self._assembly_path(coop, assembly_id)}/proxies")

    def give_proxy(self, coop: str, assembly_id: str, body: dict, idempotency_key: str) -> dict:
        return self._post(SERVICE, f"{self._assembly_path(coop, assembly_id)}/proxies", body,
                          idempotency_key)

    def revoke_proxy(self, coop: str, assembly_id: str, body: dict,
                     idempotency_key: str) -> dict:
        return self._post(SERVICE, f"{self._assembly_path(coop, assembly_id)}/proxies/revocation",
                          body, idempotency_key)

    def sign_in_associate(self, coop: str, assembly_id: str, body: dict,
                          idempotency_key: str) -> dict:
        return self._post(SERVICE, f"{self._assembly_path(coop, assembly_id)}/sign-ins", body,
                          idempotency_key)

    def open_assembly(self, coop: str, assembly_id: str, body: dict,
                      idempotency_key: str) -> dict:
        return self._post(SERVICE, f"{self._assembly_path(coop, assembly_id)}/opening", body,
                          idempotency_key)

    def vote(self, coop: str, assembly_id: str, resolution_id: str, body: dict) -> dict:
        return self._call(SERVICE, "POST", f"{self._assembly_path(coop, assembly_id)}"
                          f"/resolutions/{resolution_id}/votes", json=body)

    def close_poll(self, coop: str, assembly_id: str, resolution_id: str,
                   idempotency_key: str) -> dict:
        return self._post(SERVICE, f"{self._assembly_path(coop, assembly_id)}"
                          f"/resolutions/{resolution_id}/close", {}, idempotency_key)

    def ballots(self, coop: str, assembly_id: str, resolution_id: str) -> dict:
        return self._get(SERVICE, f"{self._assembly_path(coop, assembly_id)}"
                         f"/resolutions/{resolution_id}/ballots")

    def voters(self, coop: str, assembly_id: str, resolution_id: str) -> list[dict]:
        return self._get(SERVICE, f"{self._assembly_path(coop, assembly_id)}"
                         f"/resolutions/{resolution_id}/voters")["items"]

    def close_assembly(self, coop: str, assembly_id: str, body: dict,
                       idempotency_key: str) -> dict:
        return self._post(SERVICE, f"{self._assembly_path(coop, assembly_id)}/closing", body,
                          idempotency_key)

    def minutes(self, coop: str, assembly_id: str, fmt: str) -> bytes:
        """The minutes as the service drew them: ``html`` or ``pdf``."""
        return self._call(SERVICE, "GET", f"{self._assembly_path(coop, assembly_id)}/minutes",
                          params={"format": fmt}, raw=True,
                          headers={"Accept": "application/pdf" if fmt == "pdf" else "text/html"})
