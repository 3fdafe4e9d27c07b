"""An associate admitted by the general assembly (cae.governance.associate_admitted.v1),
through the real broker: the member becomes an associate and members publishes
member_became_associate; a redelivery or a second admission of the same person admits
nothing more; an admission the rules refuse (an unknown member, one who left...) is parked
at once with its rule, never retried."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import text

from cae_contracts import build_event
from cae_members.entrypoints.service import MembersService
from caekit import dlq, topology
from caekit.cli import load_service
from caekit.config import Settings
from caekit.db import make_engine
from caekit.handlers import declare_consumer_queues
from caekit.testing import bearer, count_rows, eventually, message_count, publish_raw, queue_info

ADMITTED = "cae.governance.associate_admitted.v1"
QUEUE = "members--cae.governance.associate_admitted.v1"


@pytest.fixture
def members(start_service):
    return start_service(MembersService)


def register(http, members, token, name="Coopaname", siren="732829320") -> str:
    response = http.post(f"{members.url}/cooperatives", headers=bearer(token("ops", "network_operator")),
                         json={"name": name, "siren": siren, "legal_form": "SCOP-SA"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def coop(http, members, token):
    return register(http, members, token)


@pytest.fixture
def staff(token, coop):
    return bearer(token("alice", "staff", coop))


def join(http, members, coop, staff, *, cesa_on: str | None = "2025-01-01",
         last_name="Martin") -> str:
    """A person who joined on 2025-01-01 and, unless ``cesa_on`` is None, signed a CESA
    (the admission rule needs one): the associate deadline is three years later."""
    response = http.post(f"{members.url}/cooperatives/{coop}/members", headers=staff, json={
        "first_name": "Léa", "last_name": last_name, "email": "lea@example.org",
        "joined_on": "2025-01-01"})
    assert response.status_code == 201, response.text
    member = response.json()["id"]
    if cesa_on is not None:
        signed = http.post(f"{members.url}/cooperatives/{coop}/members/{member}/contracts",
                           headers=staff, json={"kind": "CESA", "signed_on": cesa_on})
        assert signed.status_code == 201, signed.text
    return member


def admitted(coop: str, member: str, on: str = "2026-06-20") -> dict:
    return build_event(ADMITTED, {
        "resolution_id": str(uuid.uuid4()), "assembly_id": str(uuid.uuid4()),
        "cooperative_id": coop, "member_id": member, "associate_on": on},
        tenant_id=coop, correlation_id="ag-2026")


def record(http, members, coop, staff, member) -> dict:
    response = http.get(f"{members.url}/cooperatives/{coop}/members/{member}", headers=staff)
    assert response.status_code == 200, response.text
    return response.json()


def became_associate(members) -> list[dict]:
    """The member_became_associate events in the members outbox (whole envelopes)."""
    engine = make_engine(members.settings.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq"),
                            {"t": "cae.members.member_became_associate.v1"}).scalars().all()
    engine.dispose()
    return [json.loads(r) for r in rows]


def associate_steps(members, member: str) -> int:
    return count_rows(members.settings.database_url, "member_steps",
                      f"WHERE member_id = '{member}' AND stage = 'associate'")


def handled(members, *events) -> None:
    """Wait until members has claimed every one of ``events`` in its inbox."""
    ids = ", ".join(f"'{event['id']}'" for event in events)
    eventually(lambda: count_rows(members.settings.database_url, "inbox",
                                  f"WHERE event_id IN ({ids})") == len(events))


def test_migrate_declares_the_queue_bound_to_the_governance_exchange(amqp_uri):
    # what `cae migrate members` does once the store is migrated
    settings = replace(Settings(service="members", database_url="sqlite://", amqp_uri=amqp_uri),
                       retry_delays=(1, 2))
    queues = declare_consumer_queues(load_service("members"), settings)
    assert QUEUE in queues
    assert topology.consumer_queue("members", ADMITTED) == QUEUE
    for name in (QUEUE, f"{QUEUE}--dead", f"{QUEUE}--retry-1s", f"{QUEUE}--retry-2s"):
        assert queue_info(amqp_uri, name) is not None, name
    # an event published before members ever ran waits in its queue
    publish_raw(amqp_uri, admitted(str(uuid.uuid4()), str(uuid.uuid4())))
    eventually(lambda: message_count(amqp_uri, QUEUE) == 1)


def test_the_assembly_admits_an_associate(http, members, coop, staff):
    member = join(http, members, coop, staff)
    assert record(http, members, coop, staff, member)["associate_on"] is None
    event = admitted(coop, member)
    publish_raw(members.settings.amqp_uri, event)
    eventually(lambda: record(http, members, coop, staff, member)["associate_on"] == "2026-06-20")
    person = record(http, members, coop, staff, member)
    assert person["associate_deadline"] == "2028-01-01"
    [published] = became_associate(members)
    assert published["data"] == {"member_id": member, "cooperative_id": coop,
                                 "associate_on": "2026-06-20",
                                 "associate_deadline": "2028-01-01"}
    assert published["tenantid"] == coop
    assert published["causationid"] == event["id"]  # caused by the assembly's event
    assert published["correlationid"] == "ag-2026"
    history = http.get(f"{members.url}/cooperatives/{coop}/members/{member}/history",
                       headers=staff).json()
    assert history["stage"] == "associate"
    assert associate_steps(members, member) == 1
    assert message_count(members.settings.amqp_uri, f"{QUEUE}--dead") == 0


def test_the_same_admission_twice_admits_once(http, members, coop, staff):
    amqp = members.settings.amqp_uri
    member = join(http, members, coop, staff)
    first = admitted(coop, member)
    publish_raw(amqp, first)
    publish_raw(amqp, first)  # delivered twice: the inbox skips it
    handled(members, first)
    eventually(lambda: record(http, members, coop, staff, member)["associate_on"] == "2026-06-20")
    # another admission event for the same person, the same day or another: nothing more, and
    # not parked either (the person is an associate, as the assembly wanted)
    same_day, other_day = admitted(coop, member), admitted(coop, member, on="2026-09-01")
    for event in (first, same_day, other_day, first):
        publish_raw(amqp, event)
    handled(members, first, same_day, other_day)
    assert record(http, members, coop, staff, member)["associate_on"] == "2026-06-20"
    assert len(became_associate(members)) == 1
    assert associate_steps(members, member) == 1
    assert count_rows(members.settings.database_url, "inbox") == 3
    assert message_count(amqp, f"{QUEUE}--dead") == 0


def test_an_admission_the_rules_refuse_is_parked_at_once_and_changes_nothing(
        http, members, coop, staff, token):
    amqp = members.settings.amqp_uri
    other_coop = register(http, members, token, name="Oxalis", siren="552100554")
    elsewhere = join(http, members, other_coop, bearer(token("bob", "staff", other_coop)))
    gone = join(http, members, coop, staff, last_name="Durand")
    exit_ = http.post(f"{members.url}/cooperatives/{coop}/members/{gone}/exit", headers=staff,
                      json={"on": "2026-03-31", "reason": "a salaried job"})
    assert exit_.status_code == 200, exit_.text
    no_cesa = join(http, members, coop, staff, cesa_on=None, last_name="Bernard")
    ready = join(http, members, coop, staff, last_name="Petit")
    refused = [  # (the rule that refuses it, the event)
        ("member.unknown", admitted(coop, str(uuid.uuid4()))),
        ("member.unknown", admitted(coop, elsewhere)),  # another cooperative's member
        ("stage.after_exit", admitted(coop, gone)),
        ("associate.needs_cesa", admitted(coop, no_cesa)),
        ("dates.out_of_order", admitted(coop, ready, on="2024-12-31")),  # before the CESA
    ]
    for _, event in refused:
        publish_raw(amqp, event)
    eventually(lambda: message_count(amqp, f"{QUEUE}--dead") == len(refused))
    parked = {p.event_id: p for p in dlq.list_parked(amqp, QUEUE)}
    for rule, event in refused:
        assert parked[event["id"]].attempts == 1  # parked at the first attempt, never retried
        assert parked[event["id"]].error.startswith(f"[{rule}] "), parked[event["id"]]
    # nothing written: no inbox claim, no step, no event; the queue and its delay queues empty
    assert count_rows(members.settings.database_url, "inbox") == 0
    assert became_associate(members) == []
    time.sleep(2.5)  # past both retry delays (1 s, 2 s): a retry would have come back by now
    assert message_count(amqp, f"{QUEUE}--dead") == len(refused)
    for name in (QUEUE, f"{QUEUE}--retry-1s", f"{QUEUE}--retry-2s"):
        assert message_count(amqp, name) == 0, name
    for member in (elsewhere, gone, no_cesa, ready):
        assert associate_steps(members, member) == 0
    # the one who could be admitted, on a valid day, still is
    publish_raw(amqp, admitted(coop, ready, on="2026-06-20"))
    eventually(lambda: len(became_associate(members)) == 1)
