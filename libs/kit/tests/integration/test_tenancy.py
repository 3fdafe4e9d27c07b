"""Tenancy enforced in one place (caekit.db), on a real database; and a reliable handler's
batch that mixes cooperatives still commits once."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select, update

from cae_contracts import build_event
from caekit.db import CrossTenantWrite, make_engine, make_session_factory
from caekit.handlers import DeliveryBatch
from libs.kit.tests.integration.probe import Base, Effect, Thing

A, B = "0a0a0a0a-0000-4000-8000-00000000000a", "0b0b0b0b-0000-4000-8000-00000000000b"


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url("probe", Base.metadata))
    factory = make_session_factory(engine)
    with factory() as setup, setup.begin():
        setup.add_all([Thing(cooperative_id=A, label="a1", size=1),
                       Thing(cooperative_id=B, label="b1", size=2),
                       Thing(cooperative_id=B, label="b2", size=3)])
    yield factory
    engine.dispose()


def scoped(factory, tenant):
    session = factory()
    session.info["tenant_id"] = tenant
    return session


def test_queries_see_only_the_tenants_rows(sessions):
    with scoped(sessions, A) as session:
        assert [t.label for t in session.scalars(select(Thing))] == ["a1"]
        assert session.scalar(select(func.count()).select_from(Thing)) == 1
    with scoped(sessions, None) as session:  # system work without a tenant sees all
        assert session.scalar(select(func.count()).select_from(Thing)) == 3


def test_bulk_updates_touch_only_the_tenants_rows(sessions):
    with scoped(sessions, A) as session:
        session.execute(update(Thing).values(size=99))
        session.commit()
    with scoped(sessions, None) as session:
        assert sorted(session.scalars(select(Thing.size))) == [2, 3, 99]


def test_adding_a_row_of_another_cooperative_is_refused(sessions):
    with scoped(sessions, A) as session:
        session.add(Thing(cooperative_id=B, label="intruder", size=0))
        with pytest.raises(CrossTenantWrite):
            session.flush()


def test_moving_a_row_to_another_cooperative_is_refused(sessions):
    with scoped(sessions, A) as session:
        thing = session.scalar(select(Thing))
        thing.cooperative_id = B
        with pytest.raises(CrossTenantWrite):
            session.flush()


def _member_joined(tenant: str, name: str) -> SimpleNamespace:
    body = build_event("cae.members.member_joined.v1", {
        "member_id": str(uuid.uuid4()), "cooperative_id": str(uuid.uuid4()), "first_name": name,
        "last_name": "X", "joined_on": "2026-01-05"}, tenant_id=tenant)
    return SimpleNamespace(body=json.dumps(body).encode(), properties={})


def test_a_batch_mixing_cooperatives_commits_once(sessions):
    session = sessions()
    commits = []
    event.listen(session, "after_commit", lambda s: commits.append(1))

    def handler(service, evt):
        # a query between events autoflushes the previous event's rows, under this tenant
        service.db.scalar(select(func.count()).select_from(Effect))
        service.db.add(Effect(cooperative_id=evt.tenant_id, event_id=evt.id,
                              first_name=evt.data["first_name"]))

    messages = [_member_joined(tenant, f"P{i}") for i, tenant in enumerate([A, B, A, B])]
    batch = DeliveryBatch("probe", "db", messages)
    outcomes = batch.run(SimpleNamespace(db=session), handler)
    assert [o.status for o in outcomes] == ["handled"] * 4
    assert len(commits) == 1, "the batch fell back to one transaction per event"
    with scoped(sessions, B) as check:
        assert check.scalar(select(func.count()).select_from(Effect)) == 2
    session.close()
