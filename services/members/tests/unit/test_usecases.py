"""Use cases on an in-memory SQLite session built here (no broker, no server): what a
registration publishes, one event per fact, and the domain refusals the use cases raise."""

from __future__ import annotations

import json
import re
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


# --------------------------------------------------------------------------- pages, ids, instants


def register(session, coop, last, first, joined_on=date(2026, 1, 5), **extra):
    return membership.register_member(session, coop, first_name=first, last_name=last,
                                      email="x@example.org", joined_on=joined_on, **extra)


def every_page(fetch, limit):
    """The items of every page of a listing, following next_after, and the pages' sizes."""
    items, sizes, after = [], [], None
    while True:
        page = fetch(limit, after)
        items.extend(page.items)
        sizes.append(len(page.items))
        if page.next_after is None:
            return items, sizes
        after = page.next_after


def test_the_members_come_in_pages_each_starting_after_the_last(sessions, coop):
    names = [("Martin", "Léa"), ("Martin", "Léa"), ("Martin", "Ana"), ("Benali", "Karim"),
             ("Moreau", "Inès"), ("Zola", "Émile"), ("Abel", "Zoé")]
    with acting_session(sessions, coop, "alice") as session:
        for last, first in names:
            register(session, coop, last, first)
        session.commit()
        everyone = membership.list_members(session, coop)
        for limit in (1, 2, 3, 7, 1000):
            got, sizes = every_page(
                lambda n, after: membership.members_page(session, coop, n, after), limit)
            assert [p.id for p in got] == [p.id for p in everyone], limit
            assert all(size == limit for size in sizes[:-1]) and sizes[-1] <= limit
        assert [(p.last_name, p.first_name) for p in everyone] == sorted(names)


def test_a_page_after_a_removed_or_unknown_position_goes_on_from_there(sessions, coop):
    with acting_session(sessions, coop, "alice") as session:
        for last in ("A", "C", "E"):
            register(session, coop, last, "x")
        session.commit()
        page = membership.members_page(session, coop, 10, ("B", "", ""))
        assert [p.last_name for p in page.items] == ["C", "E"] and page.next_after is None


def test_every_listing_pages_the_same_way(sessions, coop):
    with acting_session(sessions, coop, "alice") as session:
        people = [register(session, coop, f"P{n}", "x", joined_on=date(2020, 1, 1),
                           activity_code=f"A{n}") for n in range(5)]
        session.flush()
        for n, person in enumerate(people):
            membership.sign_contract(session, person, kind="CAPE", signed_on=date(2020, 1, 1),
                                     ends_on=date(2020, 3 + n, 1))
            membership.sign_contract(session, person, kind="CESA", signed_on=date(2020, 6, 1))
        session.commit()
        listings = {
            "activities": (lambda n, a: activities.activities_page(session, coop, n, a), 5),
            "deadlines": (lambda n, a: membership.deadlines_page(
                session, coop, date(2022, 1, 1), 3650, n, a), 5),
            "follow-up": (lambda n, a: activities.follow_up_page(
                session, coop, date(2021, 1, 1), n, a), 5),
            "contracts": (lambda n, a: membership.member_contracts(session, people[0].id, n, a),
                          2),
        }
        for name, (fetch, total) in listings.items():
            whole = fetch(1000, None).items
            assert len(whole) == total, name
            for limit in (1, 2):
                got, _ = every_page(fetch, limit)
                assert got == whole, name
    with acting_session(sessions, None, "ops", roles=("network_operator",)) as session:
        cooperatives.register_cooperative(session, name="Alpha", siren="552100554",
                                          legal_form="SCOP-SA",
                                          default_contribution_rate=Decimal("0.1000"),
                                          staff_size_bracket="under_11")
        cooperatives.change_settings(session, coop, date(2099, 1, 1), {"name": "Later"})
        session.commit()
        got, _ = every_page(lambda n, a: cooperatives.cooperatives_page(session, n, a), 1)
        assert [c.name for c in got] == ["Alpha", "Coopaname"]
        got, _ = every_page(lambda n, a: cooperatives.settings_history(session, coop, n, a), 1)
        assert [v.name for v in got] == ["Coopaname", "Later"]


def test_follow_up_is_counted_over_the_12_months_up_to_today(sessions, coop):
    with acting_session(sessions, coop, "alice") as session:
        seen_twice, seen_once, not_running = (register(session, coop, last, "x",
                                                       joined_on=date(2025, 1, 1))
                                              for last in ("Twice", "Once", "Gone"))
        session.flush()
        for person in (seen_twice, seen_once):
            membership.sign_contract(session, person, kind="CESA", signed_on=date(2025, 1, 1))
        for held_on in (date(2025, 3, 15), date(2026, 1, 10)):  # 2025-03-15: 12 months ago
            activities.record_interview(session, seen_twice, held_on, None)
        activities.record_interview(session, seen_twice, date(2025, 9, 1), None)
        activities.record_interview(session, seen_once, date(2026, 1, 10), None)
        session.commit()
        due = activities.follow_up_due(session, date(2026, 3, 15))
        assert [(p.last_name, n) for p, n in due] == [("Once", 1)]
        assert [(p.last_name, n) for p, n in activities.follow_up_due(
            session, date(2026, 9, 2))] == [("Once", 1), ("Twice", 1)]


@pytest.mark.parametrize("bad", ["42", "\x00", "x" * 5000, "", "A" * 36,
                                 "00000000-0000-4000-8000-00000000000\x00"])
def test_an_id_that_is_not_one_of_ours_names_no_record(sessions, coop, bad):
    with acting_session(sessions, coop, "alice") as session:
        with pytest.raises(UnknownRecord) as unknown:
            membership.find_member(session, bad)
        assert unknown.value.fields == {"member_id": "no such member in this cooperative"}
        with pytest.raises(UnknownRecord):
            cooperatives.find_cooperative(session, bad)
        with pytest.raises(UnknownRecord):
            activities.find_activity(session, bad)
        with pytest.raises(UnknownRecord):
            activities.find_activity(session, "LEA\n")


def test_instants_are_read_back_in_utc_with_their_offset(sessions, coop):
    with acting_session(sessions, coop, "alice") as session:
        person = register(session, coop, "Martin", "Léa")
        session.commit()
    with acting_session(sessions, coop, "alice") as session:  # read back, not the objects kept
        again = membership.find_member(session, person.id)
        step = membership.history(session, person.id)[0]
        found = cooperatives.find_cooperative(session, coop)
        for instant in (again.created_at, step.recorded_at, found.registered_at):
            assert instant.utcoffset() is not None and instant.utcoffset().total_seconds() == 0


def test_an_instant_in_another_zone_is_stored_in_utc(sessions, coop):
    from datetime import datetime, timedelta, timezone

    paris = datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    with acting_session(sessions, coop, "alice") as session:
        person = register(session, coop, "Martin", "Léa")
        person.created_at = paris
        session.commit()
    with acting_session(sessions, coop, "alice") as session:
        again = membership.find_member(session, person.id).created_at
        assert again == paris and again.isoformat() == "2026-03-01T09:30:00+00:00"


# --------------------------------------------------------------------------- the import's help


def test_the_import_help_describes_every_column_from_the_import_schema():
    from cae_members.adapters.schemas import ImportRow
    from cae_members.usecases import importer

    text = importer.help_text()
    for name, column in ImportRow().fields.items():
        line = next(line for line in text.splitlines() if line.strip().startswith(name + " "))
        assert ("required" if column.required else "optional") in line, line
        assert "e.g. " + column.metadata["example"] in line, line
        ImportRow().load({**{n: ImportRow().fields[n].metadata["example"]
                             for n in importer.REQUIRED}, name: column.metadata["example"]})
    assert importer.REQUIRED == ("person_ref", "first_name", "last_name", "email", "joined_on")
    assert "1900-01-01 to 2200-12-31" in text and "at most 64 characters" in text
    assert '"," or ";"' in text and "UTF-8" in text


def test_cae_members_import_help_is_that_text(capsys):
    from cae_members.entrypoints import cli
    from cae_members.usecases import importer

    with pytest.raises(SystemExit) as done:
        cli.main(["import", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert importer.help_text() in out
    assert "--dry-run" in out and "--cooperative" in out


def test_the_readme_names_the_import_columns_of_the_schema():
    from pathlib import Path

    from cae_members.adapters.schemas import ImportRow

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    section = readme[readme.index("`cae members import` reads"):readme.index("Benchmark:")]
    named = re.findall(r"`([a-z_]+)`", section.split("They are", 1)[1])
    assert named == list(ImportRow().fields)


def test_an_id_given_as_a_uuid_finds_its_record(sessions, coop):
    import uuid

    with acting_session(sessions, coop, "alice") as session:
        person = register(session, coop, "Martin", "Léa")
        session.commit()
        assert membership.find_member(session, uuid.UUID(person.id)) is person
        assert cooperatives.find_cooperative(session, uuid.UUID(coop)).id == coop
