"""The network operator's calls (members' cooperatives, payroll's network run and its
month's runs, each service's health), as methods of ``HttpGateway`` (``self._get``, ``self._post``,
``self._call``)."""

from __future__ import annotations

import time

import requests


class NetworkCalls:
    def register_cooperative(self, body: dict, idempotency_key: str) -> dict:
        """A new cooperative of the network (members' ``POST /cooperatives``)."""
        return self._post("members", "/cooperatives", body, idempotency_key)

    def start_network_runs(self, period: str, idempotency_key: str) -> dict:
        """The month's run of every cooperative that has none yet (payroll's network start):
        the runs started, and the cooperatives skipped with their rule."""
        return self._post("payroll", "/payroll-runs", {"period": period}, idempotency_key)

    def network_runs(self, period: str) -> list[dict]:
        """Every cooperative's runs of ``period`` with their progress (payroll's network
        reading, every page of it)."""
        return self._all_pages("payroll", "/payroll-runs", period=period)

    def health(self, service: str, which: str) -> dict:
        """``/health/<which>`` (live or ready) of ``service``, without the token: its HTTP
        status, its JSON body and its answer time in milliseconds; ``status`` None when it
        does not answer (down, timed out)."""
        started = time.perf_counter()
        try:
            response = self.http.get(f"{self.urls[service]}/health/{which}",
                                     headers={"Accept": "application/json",
                                              "X-Correlation-ID": self.headers.get(
                                                  "X-Correlation-ID", "")},
                                     timeout=min(self.timeout, 5.0))
        except requests.RequestException as exc:
            return {"status": None, "body": {}, "error": exc.__class__.__name__,
                    "ms": round((time.perf_counter() - started) * 1000)}
        try:
            body = response.json()
        except ValueError:
            body = {}
        return {"status": response.status_code, "body": body if isinstance(body, dict) else {},
                "ms": round((time.perf_counter() - started) * 1000)}
