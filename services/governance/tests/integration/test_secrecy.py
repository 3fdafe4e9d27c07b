"""The secrecy of a secret ballot, read from the database itself.

A SCOP-SA (postal votes by law) holds an assembly of 15 associates whose first
resolution is voted by secret ballot: 10 vote in person, 2 are represented by proxy
holders who vote for them, 2 vote by post, one sent a postal form and then came in
person (their form is set aside), one is absent: 14 ballots counted. Every voter (or
their holder) keeps the receipt code the service returns. While the poll is open the
sealed ballots are read; after it closes (and the assembly closes, its minutes drawn),
every table the catalog lists is read, with PostgreSQL's ``ctid`` and ``xmin`` of
``ballots`` (on SQLite, the ``rowid``), and searched for what would link a voter to
their ballot.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock

import pytest
from sqlalchemy import text

from caekit.db import make_engine
from caekit.idempotency import request_hash
from caekit.testing import backend

from .conftest import motion, rule_of

POSTGRES = backend() == "postgresql"
RECEIPT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# what a ballot sealed in the clear would show (JSON keys and choices, quoted)
CLEAR = (b'"voter"', b'"choice"', b'"receipt"', b'"for"', b'"against"', b'"abstain"',
         b'"blank"', b'"postal"', b'"cast_by"')
SEALED_COLUMNS = {"cooperative_id", "resolution_id", "nonce", "sealed"}
BALLOT_COLUMNS = {"cooperative_id", "resolution_id", "receipt", "college", "choice"}


@dataclass
class Poll:
    """A secret poll held through the API, and what each side kept of it."""

    assembly: str
    secret: str  # the secret resolution
    open_ballot: str  # an open-ballot resolution of the same agenda
    associates: list[str]
    choices: dict[str, str]  # voter -> their choice on the secret resolution (counted)
    receipts: dict[str, str]  # voter -> the receipt of their counted ballot
    set_aside: str | None  # the receipt of the postal form set aside by its voter's presence
    arrival: list[str]  # the receipts, in the order the ballots arrived
    cast_by: dict[str, str | None]  # voter -> holder who cast it
    postal: set[str]
    votes: list[tuple[str, str, bytes]] = field(default_factory=list)  # (caller, path, body)
    sealed_during: list[dict] = field(default_factory=list)
    poll_key_during: bytes | None = None
    result: dict | None = None


def _engine(governance):
    return make_engine(governance.db)


def _rows(conn, query: str) -> list[dict]:
    return [dict(row._mapping) for row in conn.execute(text(query))]


def _tables(conn) -> list[str]:
    """Every table of the service's database, from the catalog."""
    if POSTGRES:
        query = ("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                 "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")
    else:
        query = ("SELECT name AS table_name FROM sqlite_master WHERE type = 'table' "
                 "AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return [row["table_name"] for row in _rows(conn, query)]


def _everything(governance) -> dict[str, list[dict]]:
    """Every row of every table; ``ballots`` with its physical position and inserting
    transaction (PostgreSQL: ``ctid``, ``xmin``; SQLite: ``rowid``), in physical order."""
    engine = _engine(governance)
    try:
        with engine.connect() as conn:
            tables = _tables(conn)
            found = {}
            for table in tables:
                if table == "ballots":
                    system = ("ctid::text AS row_ctid, xmin::text AS row_xmin, " if POSTGRES
                              else "rowid AS row_ctid, ")
                    order = f'"{table}".ctid' if POSTGRES else "rowid"
                    found[table] = _rows(conn, f'SELECT {system}* FROM "{table}" '
                                               f"ORDER BY {order}")
                else:
                    found[table] = _rows(conn, f'SELECT * FROM "{table}"')
            return found
    finally:
        engine.dispose()


def _texts(value) -> list[str]:
    """What a cell can be searched as: its text, and bytes as Latin-1 and hex."""
    if value is None:
        return []
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return [value.decode("latin-1"), value.hex()]
    return [str(value)]


def _forms(member: str) -> list[str]:
    return [member, member.replace("-", ""), uuid.UUID(member).bytes.decode("latin-1")]


def _holds(value, needles: list[str]) -> bool:
    texts = [t.lower() for t in _texts(value)]
    return any(n.lower() in t for t in texts for n in needles)


def _is_time(value) -> bool:
    if isinstance(value, datetime | date | clock):
        return True
    return any(TIMESTAMP.search(t) for t in _texts(value))


def hold_secret_poll(governance, postal: bool = True) -> Poll:
    """The assembly held; ``postal=False``: the postal voters come in person instead,
    and nobody's form is set aside."""
    people = governance.seed(15, profile="scop-sa", legal_form="SCOP-SA")
    present, givers, holders = people[:9], people[9:11], people[:2]
    by_post, came_after_all, absent = people[11:13], people[13], people[14]
    assembly = governance.convene([
        motion("Exclusion d'un associé", secret=True),
        motion("Approbation des comptes")])
    a = assembly["id"]
    secret, open_ballot = (r["id"] for r in assembly["resolutions"])
    assert [r["secret"] for r in assembly["resolutions"]] == [True, False]
    poll = Poll(a, secret, open_ballot, people, {}, {}, None, [], {},
                set(by_post) if postal else set())

    # before the opening: proxies, postal forms, and a form whose author then comes
    for giver, holder in zip(givers, holders, strict=True):
        governance.act(a, "proxies", {"holder": holder}, who=giver)
    ballots = []  # (caller, giver, choice) cast in the room
    for voter, choice in zip(by_post, ("for", "against"), strict=True):
        if not postal:
            ballots.append((voter, None, choice))
            continue
        form = governance.postal(a, voter, {secret: choice, open_ballot: "for"})
        [receipt] = [r["receipt"] for r in form["receipts"] if r["resolution_id"] == secret]
        assert RECEIPT.match(receipt), receipt
        poll.receipts[voter], poll.choices[voter], poll.cast_by[voter] = receipt, choice, None
        poll.arrival.append(receipt)
    if postal:
        form = governance.postal(a, came_after_all, {secret: "against",
                                                     open_ballot: "against"})
        poll.set_aside = next(r["receipt"] for r in form["receipts"]
                              if r["resolution_id"] == secret)
        poll.arrival.append(poll.set_aside)
    in_the_room = [*present, came_after_all, *([] if postal else by_post)]
    governance.sign_in(a, *in_the_room)
    opened = governance.open(a)
    assert opened["attendance"]["in_person"] == len(in_the_room)
    assert opened["attendance"]["postal"] == len(poll.postal)
    assert opened["attendance"]["represented"] == 2

    # the meeting: the voters in an order of their own, holders voting for their givers
    ballots += [(p, None, c) for p, c in zip(
        [*present, came_after_all], ("for", "against", "for", "abstain", "for", "blank",
                                     "for", "against", "for", "for"), strict=True)]
    ballots += [(holder, giver, c) for holder, giver, c in zip(
        holders, givers, ("against", "for"), strict=True)]
    order = [5, 10, 0, 3, 8, 1, 11, 9, 2, 6, 4, 7, 12, 13][:len(ballots)]
    for caller, giver, choice in (ballots[i] for i in order):
        body = {"choice": choice} if giver is None else {"choice": choice,
                                                          "on_behalf_of": giver}
        cast = governance.vote(a, secret, caller, **body)
        voter = giver or caller
        assert cast["voter"] == voter and cast["secret"] is True and RECEIPT.match(
            cast["receipt"])
        path = f"/cooperatives/{governance.coop}/assemblies/{a}/resolutions/{secret}/votes"
        poll.votes.append((caller, path, json.dumps(body).encode()))
        poll.receipts[voter], poll.choices[voter] = cast["receipt"], choice
        poll.cast_by[voter] = None if giver is None else caller
        poll.arrival.append(cast["receipt"])
    assert absent not in poll.receipts and len(poll.receipts) == 14
    for person in in_the_room:
        governance.vote(a, open_ballot, person, choice="for")
    for giver, holder in zip(givers, holders, strict=True):
        governance.vote(a, open_ballot, holder, choice="for", on_behalf_of=giver)

    # the sealed ballots while the poll is open
    engine = _engine(governance)
    try:
        with engine.connect() as conn:
            poll.sealed_during = _rows(conn, "SELECT * FROM sealed_ballots")
            poll.poll_key_during = conn.execute(text(
                "SELECT poll_key FROM resolutions WHERE id = :id"), {"id": secret}).scalar_one()
    finally:
        engine.dispose()
    refused = governance.get(f"assemblies/{a}/resolutions/{secret}/ballots", expect=409).json()
    assert rule_of(refused) == "ballots.not_published"

    poll.result = governance.close_poll(a, secret)
    governance.close_poll(a, open_ballot)
    closed = governance.act(a, "closing", {"debate_summary": "Débat à huis clos."}, expect=200)
    assert closed["status"] == "closed"
    return poll


def _counted_receipts(poll: Poll) -> list[str]:
    return sorted(poll.receipts.values())


def _every_receipt(poll: Poll) -> list[str]:
    return [*poll.receipts.values(), *([poll.set_aside] if poll.set_aside else [])]


# -- the tests ------------------------------------------------------------------------------
@pytest.mark.parametrize("postal", [
    True, False],
    ids=["with_postal_voters", "all_in_the_room"])
def test_a_secret_poll_keeps_voters_and_ballots_apart(governance, postal):
    poll = hold_secret_poll(governance, postal)
    voters = set(poll.receipts)
    every_receipt = _every_receipt(poll)
    assert len(voters) == 14

    # during the poll: sealed, nothing in the clear, all of one size, no voter or time
    sealed = len(every_receipt)  # 14 counted (+ the form set aside)
    assert len(poll.sealed_during) == sealed
    assert poll.poll_key_during is not None
    sizes = {len(bytes(row["sealed"])) for row in poll.sealed_during}
    assert len(sizes) == 1, sizes
    assert len({row["nonce"] for row in poll.sealed_during}) == sealed
    for row in poll.sealed_during:
        assert set(row) == SEALED_COLUMNS, set(row)
        sealed = bytes(row["sealed"])
        for member in poll.associates:
            assert not _holds(sealed, _forms(member)), "a voter id in a sealed ballot"
        for clear in CLEAR:
            assert clear not in sealed, clear
        for receipt in every_receipt:
            assert receipt.encode() not in sealed
        assert not any(_holds(row[c], _forms(m)) for c in row for m in poll.associates)

    # after the close
    tables = _everything(governance)
    assert tables["sealed_ballots"] == []
    assert {r["id"]: r["poll_key"] for r in tables["resolutions"]} == {
        poll.secret: None, poll.open_ballot: None}

    # the published ballots: one transaction, in receipt order, not in arrival order
    ballots = tables["ballots"]
    physical = [row["receipt"] for row in ballots]
    assert physical == _counted_receipts(poll)
    arrived = [r for r in poll.arrival if r != poll.set_aside]
    assert sorted(arrived) == physical and physical != arrived
    if POSTGRES:
        assert len({row["row_xmin"] for row in ballots}) == 1
    for row in ballots:
        assert set(row) - {"row_ctid", "row_xmin"} == BALLOT_COLUMNS
        assert row["college"] is None
    assert {row["receipt"]: row["choice"] for row in ballots} == {
        poll.receipts[v]: poll.choices[v] for v in voters}

    # the émargement: who voted, cast by whom, by post or not; never what
    poll_voters = {row["voter"]: row for row in tables["poll_voters"]
                   if row["resolution_id"] == poll.secret}
    assert set(poll_voters) == voters
    assert {v: row["cast_by"] for v, row in poll_voters.items()} == poll.cast_by
    assert {v for v, row in poll_voters.items() if row["postal"]} == poll.postal
    assert set(tables["poll_voters"][0]) == {"cooperative_id", "resolution_id", "voter",
                                             "cast_by", "postal"}
    listed = governance.get(f"assemblies/{poll.assembly}/resolutions/{poll.secret}/voters")
    assert {v["voter"] for v in listed.json()["items"]} == voters
    assert not any(receipt in listed.text for receipt in every_receipt)

    # the published list: every voter finds their receipt; it recounts to the result
    published = governance.get(f"assemblies/{poll.assembly}/resolutions/{poll.secret}/"
                               "ballots").json()
    receipts = [item["receipt"] for item in published["items"]]
    assert receipts == _counted_receipts(poll)  # in receipt order
    for voter in voters:
        assert poll.receipts[voter] in receipts
    if poll.set_aside:
        assert poll.set_aside not in receipts  # the form of a voter who came in person
    counts = poll.result["result"]["counts"]
    recount = {"for": counts["for_votes"], "against": counts["against"],
               "abstain": counts["abstain"], "blank": counts["blank"]}
    assert published["counts"] == {k: v for k, v in recount.items() if v}
    assert recount == {"for": 8, "against": 4, "abstain": 1, "blank": 1}
    assert counts["not_voted"] == 0 and poll.result["status"] == "adopted"  # 8/12 cast

    # the events published: no receipt
    for row in tables["outbox"]:
        assert not _holds(row["body"], every_receipt), row["event_type"]
    # the minutes: no receipt either
    for row in tables["minutes"]:
        assert not _holds(row["html"], every_receipt)


def test_no_table_links_a_voter_to_their_secret_ballot(governance):
    """Every row of every table, after the close: no cell holds both a voter id and a
    receipt code; no row holding a receipt holds a voter id or a time; no row holding a
    voter id holds the hash of their ballot's request (which a reader recomputes for
    each choice)."""
    poll = hold_secret_poll(governance, postal=True)
    tables = _everything(governance)
    assert "ballots" in tables and "idempotency_keys" in tables
    receipts = _every_receipt(poll)
    voter_forms = {m: _forms(m) for m in poll.associates}
    hashes = {}  # the request hash of each vote, and of the same vote for another choice
    for caller, path, body in poll.votes:
        for choice in ("for", "against", "abstain", "blank"):
            guess = json.loads(body) | {"choice": choice}
            hashes[request_hash("POST", path, json.dumps(guess).encode())] = caller
    links = []
    for table, rows in tables.items():
        for row in rows:
            who = {m for m, forms in voter_forms.items()
                   if any(_holds(v, forms) for v in row.values())}
            for column, value in row.items():
                if _holds(value, receipts) and any(_holds(value, voter_forms[m])
                                                   for m in who):
                    links.append(f"{table}.{column}: a voter id and a receipt in one cell")
            if any(_holds(v, receipts) for v in row.values()):
                if who:
                    links.append(f"{table}: a row with a receipt names a voter")
                times = [c for c, v in row.items() if c not in ("row_ctid", "row_xmin")
                         and _is_time(v)]
                if times:
                    links.append(f"{table}: a row with a receipt holds a time ({times})")
            if who and any(str(v) in hashes for v in row.values()):
                links.append(f"{table}: a row naming a voter holds their ballot's "
                             "request hash (the choice, by trying each)")
    assert links == [], sorted(set(links))


def test_the_ballots_are_published_only_for_a_closed_secret_poll(governance):
    people = governance.seed(3)
    a = governance.convene([motion("Exclusion", secret=True), motion("Comptes")])
    secret, open_ballot = (r["id"] for r in a["resolutions"])
    governance.sign_in(a["id"], *people)
    governance.open(a["id"])
    for resolution in (secret, open_ballot):
        governance.vote(a["id"], resolution, people[0], choice="for")
        path = f"assemblies/{a['id']}/resolutions/{resolution}/ballots"
        before = governance.get(path, expect=409).json()
        assert rule_of(before) == "ballots.not_published"
        governance.get(path, who=people[1], expect=409)
        governance.close_poll(a["id"], resolution)
    after = governance.get(f"assemblies/{a['id']}/resolutions/{open_ballot}/ballots",
                           expect=409).json()
    assert rule_of(after) == "ballots.not_published"  # an open ballot has none to publish
    published = governance.get(f"assemblies/{a['id']}/resolutions/{secret}/ballots",
                               who=people[2]).json()
    assert [item["choice"] for item in published["items"]] == ["for"]
    unknown = governance.get(f"assemblies/{a['id']}/resolutions/{uuid.uuid4()}/ballots",
                             expect=404).json()
    assert rule_of(unknown) == "resolution.unknown"


def test_a_blank_proxy_in_a_secret_poll_is_in_the_recount(governance):
    present, absent = governance.seed(2)
    a = governance.convene([motion("Quitus", secret=True, from_managers=True)])
    [r] = [item["id"] for item in a["resolutions"]]
    governance.act(a["id"], "proxies", {"holder": None}, who=absent)
    governance.sign_in(a["id"], present)
    governance.open(a["id"])
    governance.vote(a["id"], r, present, choice="against")
    result = governance.close_poll(a["id"], r)
    counts = result["result"]["counts"]
    assert (counts["for_votes"], counts["against"]) == (1, 1)  # the blank proxy: for
    published = governance.get(f"assemblies/{a['id']}/resolutions/{r}/ballots").json()
    assert published["counts"] == {"for": 1, "against": 1}


def test_postal_ballots_of_a_secret_poll_are_opened_at_its_close(governance):
    by_post, present = governance.seed(2, profile="scop-sa", legal_form="SCOP-SA")
    a = governance.convene([motion("Exclusion", secret=True)])
    [r] = [item["id"] for item in a["resolutions"]]
    receipt = governance.postal(a["id"], by_post, {r: "for"})["receipts"][0]["receipt"]
    governance.sign_in(a["id"], present)
    governance.open(a["id"])
    governance.vote(a["id"], r, present, choice="for")
    result = governance.close_poll(a["id"], r)
    assert result["result"]["counts"]["for_votes"] == 2 and result["status"] == "adopted"
    published = governance.get(f"assemblies/{a['id']}/resolutions/{r}/ballots").json()
    assert receipt in [item["receipt"] for item in published["items"]]
