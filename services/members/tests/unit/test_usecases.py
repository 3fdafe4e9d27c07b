"""Use cases on an in-memory SQLite session built here (no broker, no server): what a
registration publishes, one event per fact, and the domain refusals the use cases raise."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.pool import StaticPool

from cae_contracts import CONTRACTS
from cae_members.adapters.store import Base
from cae_members.usecases import activities, cooperatives, events, membership
from caekit.db import acting_session, make_engine, make_session_factory
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord
from caekit.tables import kit_metadata, outbox_table


@pytest.fixture
def sessions():
    engine = make_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    kit_metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def coop(sessions) -> str:
    with acting_session(sessions, None, "ops", roles=("network_operator",)) as session:
        cooperative = cooperatives.register_cooperative(
            session, name="Coopaname", siren="732829320", legal_form="SCOP-SA",
            default_contribution_rate=Decimal("0.1000"), staff_size_bracket="under_11")
        session.commit()
        return cooperative.id


def published(session) -> list[tuple[str, dict]]:
    """(type, data) of every event committed so far, in the order they were added."""
    rows = session.execute(select(outbox_table.c.event_type, outbox_table.c.body)
                           .order_by(outbox_table.c.seq)).all()
    return [(kind, json.loads(body)["data"]) for kind, body in rows]


def joined(sessions, coop, **extra):
    with acting_session(sessions, coop, "alice") as session:
        before = len(published(session))
        person = membership.register_member(
            session, coop, first_name="Léa", last_name="Martin", email="lea@example.org",
            joined_on=date(2026, 1, 5), **extra)
        session.commit()
        return person, published(session)[before:]


def test_every_event_the_service_publishes_is_a_registered_members_contract():
    assert len(set(events.PUBLISHED)) == len(events.PUBLISHED)
    assert set(events.PUBLISHED) | set(events.RETIRED) == {
        t for t in CONTRACTS if t.startswith("cae.members.")}
    assert not set(events.PUBLISHED) & set(events.RETIRED)
    assert set(events.ON_JOINING) <= set(events.PUBLISHED)
    assert all(CONTRACTS[t].deprecated for t in events.RETIRED)
    assert not any(CONTRACTS[t].deprecated for t in events.PUBLISHED)


def test_a_person_with_an_activity_is_two_facts_the_person_and_the_opening(sessions, coop):
    person, out = joined(sessions, coop, activity_code="LEA", activity_name="Boulangerie")
    assert [kind for kind, _ in out] == list(events.ON_JOINING)
    (_, person_joined), (_, opened) = out
    assert person_joined == {"member_id": person.id, "cooperative_id": coop, "first_name": "Léa",
                             "last_name": "Martin", "joined_on": "2026-01-05"}
    assert (opened["code"], opened["name"], opened["member_ids"]) == (
        "LEA", "Boulangerie", [person.id])


def test_a_person_without_an_activity_is_the_person_only(sessions, coop):
    person, out = joined(sessions, coop)
    assert out == [(events.MEMBER_JOINED, {
        "member_id": person.id, "cooperative_id": coop, "first_name": "Léa",
        "last_name": "Martin", "joined_on": "2026-01-05"})]


def test_refusals_are_domain_errors_with_their_rule_and_fields(sessions, coop):
    joined(sessions, coop, activity_code="LEA")
    with acting_session(sessions, coop, "alice") as session:
        with pytest.raises(ConflictingState) as taken:
            membership.register_member(session, coop, first_name="A", last_name="B",
                                       email="a@example.org", joined_on=date(2026, 1, 5),
                                       activity_code="LEA")
        assert taken.value.rule == "activity.code_used"
        assert taken.value.message == "activity code LEA is already used in this cooperative"
        assert taken.value.fields == {"activity_code": "already used in this cooperative"}
        with pytest.raises(ConflictingState) as again:
            activities.open_activity(session, coop, code="LEA", name="X",
                                     opened_on=date(2026, 2, 1), member_ids=[])
        assert again.value.fields == {"code": "already used in this cooperative"}
        with pytest.raises(UnknownRecord, match="^member.unknown: no member 42 in this"):
            membership.find_member(session, "42")
        with pytest.raises(UnknownRecord, match="^activity.unknown: no activity NOPE in this"):
            activities.close_activity(session, "NOPE", date(2026, 2, 1))
        with pytest.raises(UnknownRecord, match="^cooperative.unknown: unknown cooperative 7$"):
            membership.list_members(session, "7")
    with acting_session(sessions, None, "ops", roles=("network_operator",)) as session:
        with pytest.raises(ConflictingState, match="SIREN 732829320 is already registered"):
            cooperatives.register_cooperative(session, name="Again", siren="732829320",
                                              legal_form="SCOP-SA")


def test_a_scan_asked_for_a_day_still_to_come_is_refused(sessions, coop):
    with acting_session(sessions, None, "ops", roles=("network_operator",)) as session:
        with pytest.raises(RuleViolation, match="^scan.future: "):
            membership.scan_deadlines(session, date(2026, 3, 2), not_after=date(2026, 3, 1))
        assert membership.scan_deadlines(session, date(2026, 3, 1),
                                         not_after=date(2026, 3, 1)) == 0
