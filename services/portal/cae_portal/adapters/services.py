"""The services' HTTP APIs, called with the signed-in person's token (``Gateway``).

The calls of one page run at once (``gather``, a small thread pool: green threads under
eventlet, which the server runs with). A problem+json answer becomes a ``ServiceError``
with the fields it names; a service that does not answer, an ``Unavailable``.
"""

from __future__ import annotations

import http.cookiejar
import os
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from cae_portal.adapters.governance import GovernanceCalls
from cae_portal.adapters.matching import MatchingCalls
from cae_portal.adapters.network import NetworkCalls
from cae_portal.domain.refusals import ServiceError, Unavailable

PAGE = 1000
_POOL = ThreadPoolExecutor(max_workers=64, thread_name_prefix="portal-call")


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie, request):  # the shared session serves every signed-in person
        return False

    def return_ok(self, cookie, request):
        return False


def _shared_session() -> requests.Session:
    """One session for the process: keep-alive connections to each service, reused by every
    page (not a connection a call); no cookie kept; the environment (proxies, CA bundle)
    read once here rather than at each call, unless a proxy is configured."""
    session = requests.Session()
    session.cookies.set_policy(_NoCookies())
    session.mount("http://", HTTPAdapter(pool_connections=8, pool_maxsize=64))
    session.mount("https://", HTTPAdapter(pool_connections=8, pool_maxsize=64))
    if not urllib.request.getproxies():
        session.trust_env = False
        session.verify = (os.environ.get("REQUESTS_CA_BUNDLE")
                          or os.environ.get("CURL_CA_BUNDLE") or True)
    return session


_HTTP = _shared_session()


class HttpGateway(GovernanceCalls, MatchingCalls, NetworkCalls):
    """Members, ledger and payroll here; governance, matching and the network operator's
    calls in their own modules (adapters/governance.py, matching.py, network.py)."""

    def __init__(self, urls: dict[str, str], token: str, *, timeout: float = 10.0,
                 http: requests.Session | None = None, correlation_id: str | None = None):
        self.urls = urls
        self.timeout = timeout
        self.http = http or _HTTP
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

    def _all_pages(self, service: str, path: str, **params) -> list[dict]:
        items, cursor = [], None
        while True:
            page = self._get(service, path, limit=PAGE, cursor=cursor, **params)
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

    def _post(self, service: str, path: str, body: dict, idempotency_key: str):
        return self._call(service, "POST", path, json=body,
                          headers={"Idempotency-Key": idempotency_key})

    def register_member(self, coop: str, body: dict, idempotency_key: str) -> dict:
        return self._post("members", f"/cooperatives/{coop}/members", body, idempotency_key)

    def import_members(self, coop: str, body: dict, idempotency_key: str) -> dict:
        """A CSV file checked (``dry_run``) or imported: the members service's report."""
        return self._post("members", f"/cooperatives/{coop}/imports", body, idempotency_key)

    def history(self, coop: str, member_id: str) -> dict:
        return self._get("members", f"/cooperatives/{coop}/members/{member_id}/history")

    def record_step(self, coop: str, member_id: str, body: dict, idempotency_key: str) -> dict:
        return self._post("members", f"/cooperatives/{coop}/members/{member_id}/steps", body,
                          idempotency_key)

    def sign_contract(self, coop: str, member_id: str, body: dict,
                      idempotency_key: str) -> dict:
        return self._post("members", f"/cooperatives/{coop}/members/{member_id}/contracts",
                          body, idempotency_key)

    def record_interview(self, coop: str, member_id: str, body: dict,
                         idempotency_key: str) -> dict:
        return self._post("members", f"/cooperatives/{coop}/members/{member_id}/interviews",
                          body, idempotency_key)

    def associate_deadlines(self, coop: str, today: str, within_days: int) -> list[dict]:
        return self._all_pages("members", f"/cooperatives/{coop}/associate-deadlines",
                               today=today, within_days=within_days)

    def follow_up_due(self, coop: str, today: str) -> list[dict]:
        return self._all_pages("members", f"/cooperatives/{coop}/follow-up-due", today=today)

    # -- ledger --------------------------------------------------------------------------
    def ledger_activities(self, coop: str) -> list[dict]:
        return self._get("ledger", f"/cooperatives/{coop}/activities")["items"]

    def post_entry(self, coop: str, kind: str, body: dict, idempotency_key: str) -> dict:
        """``kind``: invoices, payments or expenses."""
        return self._post("ledger", f"/cooperatives/{coop}/{kind}", body, idempotency_key)

    def closed_periods(self, coop: str) -> list[dict]:
        return self._get("ledger", f"/cooperatives/{coop}/closed-periods")["items"]

    def close_period(self, coop: str, period: str, idempotency_key: str) -> dict:
        return self._post("ledger", f"/cooperatives/{coop}/closed-periods", {"period": period},
                          idempotency_key)

    def trial_balance(self, coop: str, from_period: str | None, to_period: str | None) -> dict:
        return self._get("ledger", f"/cooperatives/{coop}/trial-balance",
                         **{"from": from_period, "to": to_period})

    def fec(self, coop: str, year: int) -> bytes:
        return self._call("ledger", "GET", f"/cooperatives/{coop}/fec", params={"year": year},
                          raw=True, headers={"Accept": "text/plain"})

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
                      idempotency_key: str, override_reason: str | None = None) -> dict:
        body = {"period": period, "gross_cents": gross_cents}
        if override_reason is not None:
            body["override_reason"] = override_reason
        return self._call("payroll", "POST",
                          f"/cooperatives/{coop}/employees/{member_id}/salary",
                          json=body, headers={"Idempotency-Key": idempotency_key})

    def payslips(self, coop: str, member_id: str) -> list[dict]:
        return self._get("payroll", f"/cooperatives/{coop}/payslips", member=member_id,
                         limit=PAGE)["items"]

    def payslip(self, coop: str, payslip_id: str) -> dict:
        return self._get("payroll", f"/cooperatives/{coop}/payslips/{payslip_id}")

    def runs(self, coop: str) -> list[dict]:
        return self._get("payroll", f"/cooperatives/{coop}/payroll-runs", limit=PAGE)["items"]

    def run(self, coop: str, run_id: str) -> dict:
        return self._get("payroll", f"/cooperatives/{coop}/payroll-runs/{run_id}")

    def start_run(self, coop: str, period: str, idempotency_key: str) -> dict:
        return self._post("payroll", f"/cooperatives/{coop}/payroll-runs", {"period": period},
                          idempotency_key)

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
