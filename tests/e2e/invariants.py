"""What must hold after the load and its faults, read from the stores themselves (and the
broker's queues), not from the APIs that could hide a difference."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from urllib.parse import quote, urlsplit

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from cae_governance.entrypoints.service import GovernanceService
from cae_ledger.domain.entries import Line, budget_effects
from cae_ledger.entrypoints.service import LedgerService
from cae_matching.entrypoints.service import MatchingService
from cae_members.entrypoints.service import MembersService
from cae_payroll.entrypoints.service import PayrollService
from caekit import topology
from caekit.handlers import ReliableHandler
from caekit.testing import management
from caekit.testing import query_rows as rows

SERVICE_CLASSES = (MembersService, LedgerService, PayrollService, GovernanceService,
                   MatchingService)


def subscriptions() -> dict[str, set[str]]:
    """service -> the event types its reliable handlers consume (from the classes)."""
    found: dict[str, set[str]] = defaultdict(set)
    for cls in SERVICE_CLASSES:
        for attribute in dir(cls):
            for entrypoint in getattr(getattr(cls, attribute), ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(entrypoint, ReliableHandler):
                    found[cls.name].add(entrypoint.event_type)
    return found


def vhost_queues(amqp_uri: str) -> dict[str, dict]:
    vhost = quote(urlsplit(amqp_uri).path[1:], safe="")
    return {q["name"]: q for q in management("GET", f"queues/{vhost}")}


def quiet(databases: dict, amqp_uri: str) -> str | None:
    """None once every outbox is published and every queue drained, else what is pending."""
    for service, url in databases.items():
        pending = rows(url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0]
        if pending:
            return f"{service}: {pending} outbox rows not published"
    busy = {name: q.get("messages", 0) for name, q in vhost_queues(amqp_uri).items()
            if q.get("messages", 0) and not name.endswith("--dead")
            and not name.endswith("--archive")}
    return f"queues not drained: {busy}" if busy else None


def check_events(databases: dict, amqp_uri: str) -> dict:
    """Every outbox row published; every published event handled exactly once by every
    service that consumes its type; no parked message. Returns the counts."""
    published: dict[str, dict[str, set]] = {}  # type -> producer -> ids
    counts = Counter()
    for service, url in databases.items():
        unsent = rows(url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0]
        assert unsent == 0, f"{service}: {unsent} outbox rows never published"
        for event_type, body in rows(url, "SELECT event_type, body FROM outbox"):
            # a row holds one event, or a CloudEvents JSON batch of a contract's events
            events = json.loads(body)
            for event in events if isinstance(events, list) else [events]:
                published.setdefault(event_type, {}).setdefault(service, set()).add(event["id"])
                counts["events published"] += 1
    for service, types in subscriptions().items():
        url = databases[service]
        for event_type in sorted(types):
            queue = topology.consumer_queue(service, event_type)
            # the inbox's key is (consuming service, event id)
            handled = rows(url, "SELECT event_id, count(*) FROM inbox WHERE consumer = :s "
                                "AND event_type = :t GROUP BY event_id", s=service, t=event_type)
            twice = [event_id for event_id, n in handled if n != 1]
            assert not twice, f"{queue}: handled more than once: {twice[:5]}"
            ids = {event_id for event_id, _ in handled}
            sent = set().union(*published.get(event_type, {}).values())
            assert sent <= ids, (f"{queue}: {len(sent - ids)} of {len(sent)} published events "
                                 f"never handled, e.g. {sorted(sent - ids)[:3]}")
            assert ids <= sent, f"{queue}: handled events nobody published: {sorted(ids - sent)[:3]}"
            counts["events handled"] += len(ids)
    parked = {name: q.get("messages", 0) for name, q in vhost_queues(amqp_uri).items()
              if name.endswith("--dead") and q.get("messages", 0)}
    assert not parked, f"parked messages: {parked}"
    return dict(counts)


def check_ledger(url: str) -> dict:
    """Each entry balanced; the maintained account and activity balances equal their
    recomputation from the entries' lines."""
    unbalanced = rows(url, "SELECT entry_seq FROM entry_lines GROUP BY entry_seq "
                           "HAVING SUM(debit_cents) <> SUM(credit_cents)")
    assert not unbalanced, f"unbalanced entries: {unbalanced[:5]}"
    per_coop = rows(url, "SELECT cooperative_id, SUM(debit_cents), SUM(credit_cents) "
                         "FROM entry_lines GROUP BY cooperative_id")
    assert all(debit == credit for _, debit, credit in per_coop), per_coop
    recomputed = Counter()
    for coop, account, analytic, period, debit, credit in rows(url, """
            SELECT l.cooperative_id, l.account, COALESCE(l.activity_code, ''), e.period,
                   SUM(l.debit_cents), SUM(l.credit_cents)
            FROM entry_lines l JOIN entries e ON e.seq = l.entry_seq
            GROUP BY l.cooperative_id, l.account, COALESCE(l.activity_code, ''), e.period"""):
        recomputed[(coop, account, analytic, period)] = (int(debit), int(credit))
    stored = {(c, a, n, p): (int(d), int(k)) for c, a, n, p, d, k in rows(
        url, "SELECT cooperative_id, account, analytic, period, debit_cents, credit_cents "
             "FROM account_balances") if d or k}
    assert stored == {k: v for k, v in recomputed.items() if v != (0, 0)}, \
        "account balances differ from the lines"

    budgets = defaultdict(lambda: [0, 0, 0, 0])
    lines = defaultdict(list)
    for seq, account, activity, debit, credit in rows(
            url, "SELECT entry_seq, account, activity_code, debit_cents, credit_cents "
                 "FROM entry_lines"):
        lines[seq].append(Line(account, int(debit), int(credit), activity))
    for seq, coop, kind, revenue, activity in rows(
            url, "SELECT seq, cooperative_id, kind, revenue_cents, activity_code FROM entries"):
        for code, effect in budget_effects(kind, int(revenue), lines[seq], activity).items():
            total = budgets[(coop, code)]
            total[0] += effect.cash_received_cents
            total[1] += effect.contribution_cents
            total[2] += effect.expenses_cents
            total[3] += effect.salary_costs_cents
    maintained = {(c, a): [int(x), int(y), int(z), int(w)] for c, a, x, y, z, w in rows(
        url, "SELECT cooperative_id, activity_code, cash_received_cents, contribution_cents, "
             "expenses_cents, salary_costs_cents FROM activity_balances")}
    for key, value in budgets.items():
        assert maintained.get(key, [0, 0, 0, 0]) == value, (key, maintained.get(key), value)
    return {"entries": rows(url, "SELECT count(*) FROM entries")[0][0],
            "budgets": {key: v[0] - v[1] - v[2] - v[3] for key, v in budgets.items()}}


def check_payroll(payroll_url: str, ledger_url: str, people: int, months: int,
                  ledger_budgets: dict) -> int:
    """One payslip per person and month; the ledger's salary entries equal the payslips to
    the cent; the budgets payroll reads equal the ledger's."""
    slips = rows(payroll_url, "SELECT cooperative_id, member_id, period, count(*) FROM payslips "
                              "WHERE cancelled_at IS NULL GROUP BY cooperative_id, member_id, period")
    assert all(n == 1 for *_, n in slips), [s for s in slips if s[3] != 1][:5]
    assert len(slips) == people * months, f"{len(slips)} payslips, not {people} x {months}"
    per_person = Counter((c, m) for c, m, _, _ in slips)
    assert set(per_person.values()) == {months}, per_person

    totals = defaultdict(lambda: [0] * 6)
    for coop, activity, *amounts in rows(payroll_url, """
            SELECT cooperative_id, activity_code, gross_cents, employer_contributions_cents,
                   net_paid_cents, urssaf_cents, other_bodies_cents, withholding_tax_cents
            FROM payslips WHERE cancelled_at IS NULL"""):
        for i, amount in enumerate(amounts):
            totals[(coop, activity)][i] += int(amount)
    posted = defaultdict(dict)
    for coop, activity, account, debit, credit in rows(ledger_url, """
            SELECT l.cooperative_id, l.activity_code, l.general_account,
                   SUM(l.debit_cents), SUM(l.credit_cents)
            FROM entry_lines l JOIN entries e ON e.seq = l.entry_seq
            WHERE e.kind = 'salary' GROUP BY l.cooperative_id, l.activity_code,
                  l.general_account"""):
        posted[(coop, activity)][account] = int(debit) - int(credit)
    salary_entries = rows(ledger_url, "SELECT count(*) FROM entries WHERE kind = 'salary'")[0][0]
    assert salary_entries == len(slips), f"{salary_entries} salary entries, {len(slips)} payslips"
    for key, (gross, employer, net_paid, urssaf, other, tax) in totals.items():
        accounts = posted[key]
        assert accounts.get("641") == gross and accounts.get("645", 0) == employer, key
        assert accounts.get("421") == -net_paid and accounts.get("431") == -urssaf, key
        assert accounts.get("437", 0) == -other and accounts.get("4421", 0) == -tax, key

    read = {(c, a): int(v) for c, a, v in rows(
        payroll_url, "SELECT cooperative_id, activity_code, available_cents FROM budgets")}
    differ = {k: (read.get(k), v) for k, v in ledger_budgets.items() if read.get(k) != v}
    assert not differ, f"payroll's budgets differ from the ledger's: {list(differ.items())[:5]}"
    return len(slips)


def budget_trail(databases: dict, cooperative_id: str, code: str) -> list:
    """An activity's budget versions in the ledger's outbox, and whether payroll handled
    each, then the budget payroll holds: what a disagreement is explained by."""
    trail = []
    for seq, sent_at, body in rows(databases["ledger"], """
            SELECT seq, sent_at, body FROM outbox
            WHERE event_type = 'cae.ledger.activity_balance_changed.v1'
              AND tenant_id = :c ORDER BY seq""", c=cooperative_id):
        events = json.loads(body)
        for event in events if isinstance(events, list) else [events]:
            if event["data"]["activity_code"] != code:
                continue
            handled = rows(databases["payroll"], "SELECT handled_at FROM inbox WHERE "
                           "consumer = 'payroll' AND event_id = :e", e=event["id"])
            trail.append((seq, str(sent_at), event["id"], event["data"]["as_of"],
                          event["data"]["available_cents"], handled[0][0] if handled else None))
    trail.append(rows(databases["payroll"], "SELECT available_cents, as_of FROM budgets "
                      "WHERE cooperative_id = :c AND activity_code = :a", c=cooperative_id,
                      a=code))
    return trail
