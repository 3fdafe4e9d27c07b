"""The services' HTTP APIs, called with the signed-in person's token (``Gateway``).

The calls of one page run at once (``gather``, a small thread pool: green threads under
eventlet, which the server runs with). A problem+json answer becomes a ``ServiceError``
with the fields it names; a service that does not answer, an ``Unavailable``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from cae_portal.domain.refusals import ServiceError, Unavailable

PAGE = 1000
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="portal-call")


class HttpGateway:
    def __init__(self, urls: dict[str, str], token: str, *, timeout: float = 10.0,
                 http: requests.Session | None = None, correlation_id: str | None = None):
        self.urls = urls
        self.timeout = timeout
        self.http = http or requests.Session()
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
                        "X-Correlation-ID": correlation_id or uuid.uuid4().hex}

    # -- plumbing ------------------------------------------------------------------------
    def gather(self, calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
        if len(calls) == 1:
            return {name: call() for name, call in calls.items()}
        futures = {name: _POOL.submit(call) for name, call in calls.items()}
        return {name: future.result() for name, future in futures.items()}

    def _call(self, service: str, method: str, path: str, *, params=None, json=None,
              headers=None, raw: bool = False):
        try:
            response = self.http.request(method, f"{self.urls[service]}{path}", params=params,
                                         json=json, headers={**self.headers, **(headers or {})},
                                         timeout=self.timeout)
        except requests.RequestException as exc:
            raise Unavailable(503, f"{service} does not answer ({exc.__class__.__name__})",
                              service=service) from exc
        if response.status_code >= 400:
            raise _refusal(service, response)
        return response.content if raw else response.json()

    def _get(self, service: str, path: str, **params):
        return self._call(service, "GET", path, params={k: v for k, v in params.items()
                                                         if v is not None} or None)

    def _all_pages(self, service: str, path: str) -> list[dict]:
        items, cursor = [], None
        while True:
            page = self._get(service, path, limit=PAGE, cursor=cursor)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    # -- members -------------------------------------------------------------------------
    def cooperatives(self) -> list[dict]:
        return self._all_pages("members", "/cooperatives")

    def cooperative(self, coop: str) -> dict:
        return self._get("members", f"/cooperatives/{coop}")

    def members(self, coop: str) -> list[dict]:
        return self._all_pages("members", f"/cooperatives/{coop}/members")

    def member(self, coop: str, member_id: str) -> dict:
        return self._get("members", f"/cooperatives/{coop}/members/{member_id}")

    def contracts(self, coop: str, member_id: str) -> list[dict]:
        return self._all_pages("members", f"/cooperatives/{coop}/members/{member_id}/contracts")

    # -- ledger --------------------------------------------------------------------------
    def balance(self, coop: str, code: str) -> dict:
        return self._get("ledger", f"/cooperatives/{coop}/activities/{code}/balance")

    def entries(self, coop: str, code: str) -> list[dict]:
        items, after = [], 0
        while True:
            page = self._get("ledger", f"/cooperatives/{coop}/entries", activity=code,
                             after=after, limit=PAGE)
            items.extend(page["items"])
            after = page.get("next_after")
            if after is None or not page["items"]:
                return items

    def treasury_statement(self, coop: str, code: str, to: str | None) -> dict:
        return self._get("ledger", f"/cooperatives/{coop}/activities/{code}/treasury-statement",
                         to=to)

    def income_statement(self, coop: str, code: str, year: int) -> dict:
        return self._get("ledger", f"/cooperatives/{coop}/activities/{code}/income-statement",
                         year=year)

    # -- payroll -------------------------------------------------------------------------
    def simulation(self, coop: str, member_id: str, period: str,
                   gross_cents: int | None) -> dict:
        return self._get("payroll", f"/cooperatives/{coop}/employees/{member_id}/simulation",
                         period=period, gross=gross_cents)

    def choose_salary(self, coop: str, member_id: str, period: str, gross_cents: int,
                      idempotency_key: str) -> dict:
        return self._call("payroll", "POST",
                          f"/cooperatives/{coop}/employees/{member_id}/salary",
                          json={"period": period, "gross_cents": gross_cents},
                          headers={"Idempotency-Key": idempotency_key})

    def payslips(self, coop: str, member_id: str) -> list[dict]:
        return self._get("payroll", f"/cooperatives/{coop}/payslips", member=member_id,
                         limit=PAGE)["items"]

    def payslip(self, coop: str, payslip_id: str) -> dict:
        return self._get("payroll", f"/cooperatives/{coop}/payslips/{payslip_id}")

    def payslip_document(self, coop: str, payslip_id: str, fmt: str) -> bytes:
        return self._call("payroll", "GET",
                          f"/cooperatives/{coop}/payslips/{payslip_id}/document",
                          params={"format": fmt}, raw=True,
                          headers={"Accept": "application/pdf" if fmt == "pdf" else "text/html"})


def _refusal(service: str, response: requests.Response) -> ServiceError:
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    errors = problem.get("errors") if isinstance(problem.get("errors"), dict) else {}
    rule = errors.get("rule")  # caekit.http: ["budget.exceeded"]
    if isinstance(rule, list):
        rule = rule[0] if rule and isinstance(rule[0], str) else None
    elif not isinstance(rule, str):
        rule = None
    return ServiceError(response.status_code, str(problem.get("detail") or response.reason),
                        errors, rule, service)
