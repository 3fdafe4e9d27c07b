"""The network operator's reading of a month: every cooperative's runs of the month, a page
at a time, with whom each leaves out (in-memory SQLite: no service, no broker)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from cae_payroll.adapters.schemas import NetworkRunQuery
from cae_payroll.adapters.store import Base, Run, RunMember
from cae_payroll.usecases import runs
from caekit.fields import encode_cursor

JAN, FEB = 202501, 202502


@pytest.fixture
def session():
    store = create_engine("sqlite://")
    Base.metadata.create_all(store)
    with Session(store) as session:
        yield session
    store.dispose()


def _run(session, coop: str, period: int, status: str = "running", left_out=()) -> str:
    run_id = str(uuid.uuid4())
    session.add(Run(id=run_id, cooperative_id=coop, period=period, status=status, expected=2,
                    issued=1, started_at=datetime.now(UTC), started_by="ops",
                    cancel_key=run_id if status == "cancelled" else ""))
    session.add_all(RunMember(cooperative_id=coop, run_id=run_id, member_id=member,
                              left_out=rule) for member, rule in left_out)
    return run_id


def test_a_network_month_lists_every_cooperative_s_runs_of_the_month_a_page_at_a_time(session):
    coops = sorted(str(uuid.uuid4()) for _ in range(3))
    ids = {coop: _run(session, coop, JAN) for coop in coops}
    _run(session, coops[0], FEB)  # another month: not listed
    cancelled = _run(session, coops[1], JAN, "cancelled")  # cancelled, then run again
    session.commit()
    first, after = runs.network_runs(session, JAN, limit=2)
    assert len(first) == 2 and after == (first[-1].cooperative_id, first[-1].id)
    rest, last = runs.network_runs(session, JAN, limit=2, after=after)
    assert len(rest) == 2 and last is None  # the last page
    seen = [(run.cooperative_id, run.id) for run in first + rest]
    assert seen == sorted(seen)  # by cooperative, then run id
    assert sorted(run_id for _, run_id in seen) == sorted([*ids.values(), cancelled])
    assert runs.network_runs(session, 202503)[0] == []


def test_the_network_reading_crosses_cooperatives_only_when_it_says_so(session):
    a, b = sorted(str(uuid.uuid4()) for _ in range(2))
    run_a = _run(session, a, JAN, left_out=[("m-1", "salary.none")])
    run_b = _run(session, b, JAN, left_out=[("m-2", "salary.below_smic"),
                                            ("m-3", "salary.none")])
    session.commit()
    session.info["tenant_id"] = a  # a session scoped to one cooperative
    assert [r.id for r in runs.list_runs(session, JAN)] == [run_a]  # the staff's reading
    found, _ = runs.network_runs(session, JAN)  # the operator's: explicitly every cooperative
    assert {r.id for r in found} == {run_a, run_b}
    assert runs.left_out(session, [run_a, run_b])[run_b] == []  # tenant-filtered by default
    assert runs.left_out(session, [run_a, run_b], all_tenants=True) == {
        run_a: [("m-1", "salary.none")],
        run_b: [("m-2", "salary.below_smic"), ("m-3", "salary.none")]}


def test_the_network_query_needs_a_month_and_a_cursor_of_its_own():
    loaded = NetworkRunQuery().load({"period": "2025-01"})
    assert loaded == {"period": "2025-01", "limit": 100, "after": None}
    cursor = encode_cursor(("coop", "run"))
    assert NetworkRunQuery().load({"period": "2025-01", "cursor": cursor})["after"] == (
        "coop", "run")
    for wrong, field in (({}, "period"), ({"period": "2025-13"}, "period"),
                         ({"period": "2025-1"}, "period"),
                         ({"period": "2025-01", "limit": "0"}, "limit"),
                         ({"period": "2025-01", "cursor": encode_cursor((1,))}, "cursor"),
                         ({"period": "2025-01", "cursor": "!"}, "cursor"),
                         ({"period": "2025-01", "cooperative": "x"}, "cooperative")):
        with pytest.raises(ValidationError) as refused:
            NetworkRunQuery().load(wrong)
        assert field in refused.value.messages, (wrong, refused.value.messages)
