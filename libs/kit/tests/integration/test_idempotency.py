"""Idempotency keys on writes, against a real database (caekit.idempotency)."""

from __future__ import annotations

import pytest

from caekit.testing import bearer, count_rows
from libs.kit.tests.integration.probe import ProbeService, Switches

COOP = "5d0c9a3e-8f6b-4c1e-9a7d-2b3c4d5e6f70"


@pytest.fixture
def probe(start_service):
    yield start_service(ProbeService)
    Switches.database_down = False


def things(probe) -> tuple[int, int]:
    url = probe.settings.database_url
    return count_rows(url, "things"), count_rows(url, "outbox")


def post(http, probe, token, body, key=None, subject="alice", coop=COOP):
    headers = bearer(token(subject, "staff", coop))
    if key is not None:
        headers["Idempotency-Key"] = key
    return http.post(f"{probe.url}/cooperatives/{coop}/things", json=body, headers=headers)


def test_the_same_request_twice_writes_once_and_replays_the_response(http, probe, token):
    first = post(http, probe, token, {"label": "a", "size": 1}, key="k-1")
    assert first.status_code == 201
    again = post(http, probe, token, {"label": "a", "size": 1}, key="k-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert things(probe) == (1, 1)


def test_a_key_reused_for_another_request_is_409_and_writes_nothing(http, probe, token):
    assert post(http, probe, token, {"label": "a", "size": 1}, key="k-2").status_code == 201
    other = post(http, probe, token, {"label": "b", "size": 2}, key="k-2")
    assert other.status_code == 409 and "another request" in other.json()["detail"]
    assert things(probe) == (1, 1)


def test_keys_belong_to_their_caller_and_writes_without_a_key_are_not_deduplicated(
        http, probe, token):
    post(http, probe, token, {"label": "a", "size": 1}, key="k-3")
    assert post(http, probe, token, {"label": "a", "size": 1}, key="k-3",
                subject="bob").status_code == 201
    post(http, probe, token, {"label": "a", "size": 1})
    post(http, probe, token, {"label": "a", "size": 1})
    assert things(probe) == (4, 4)


def test_keys_belong_to_a_cooperative_too(http, probe, token):
    other = "6e1d0b4f-9a7c-4d2f-8b8e-3c4d5e6f7081"
    assert post(http, probe, token, {"label": "a", "size": 1}, key="k-5").status_code == 201
    # the same person (a network's staff member) sends the same key for another cooperative
    elsewhere = post(http, probe, token, {"label": "a", "size": 1}, key="k-5", coop=other)
    assert elsewhere.status_code == 201 and "Idempotent-Replayed" not in elsewhere.headers
    assert things(probe) == (2, 2)


def test_a_failed_write_leaves_its_key_free_for_a_retry(http, probe, token):
    Switches.database_down = True
    assert post(http, probe, token, {"label": "a", "size": 1}, key="k-4").status_code == 503
    Switches.database_down = False
    assert post(http, probe, token, {"label": "a", "size": 1}, key="k-4").status_code == 201
    assert things(probe) == (1, 1)


def test_a_malformed_key_is_400(http, probe, token):
    response = post(http, probe, token, {"label": "a", "size": 1}, key="not a key!")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]
    assert things(probe) == (0, 0)


def test_an_endpoint_can_require_the_key(http, probe, token):
    headers = bearer(token("alice", "staff", COOP))
    url = f"{probe.url}/cooperatives/{COOP}/things"
    missing = http.put(url, json={"label": "a", "size": 1}, headers=headers)
    assert missing.status_code == 428 and "Idempotency-Key" in missing.json()["detail"]
    assert things(probe) == (0, 0)
    ok = http.put(url, json={"label": "a", "size": 1}, headers={**headers, "Idempotency-Key": "p-1"})
    assert ok.status_code == 201
    assert things(probe) == (1, 1)


def test_an_unrecorded_endpoint_refuses_a_key_and_records_nothing(http, probe, token):
    """A secret ballot's operation: its request and response are kept nowhere, so an
    Idempotency-Key (whose record would hold the caller, the response and the request's
    hash) is refused, and a write without one leaves no idempotency row."""
    headers = bearer(token("alice", "staff", COOP))
    url = f"{probe.url}/cooperatives/{COOP}/things"
    refused = http.patch(url, json={"label": "a", "size": 1},
                         headers={**headers, "Idempotency-Key": "u-1"})
    assert refused.status_code == 400 and "keeps no record" in refused.json()["detail"]
    assert things(probe) == (0, 0)
    assert http.patch(url, json={"label": "a", "size": 1}, headers=headers).status_code == 201
    assert things(probe) == (1, 1)
    assert count_rows(probe.settings.database_url, "idempotency_keys") == 0
