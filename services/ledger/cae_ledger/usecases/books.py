"""The ledger's writes: a cooperative's :class:`Books` on the session of the transaction.

Each public method of ``Books`` is one operation (post an entry, receive a payment,
reverse, close a month, open an activity, record a schedule...): it applies the
domain's rules (:mod:`cae_ledger.domain`), writes the rows, publishes the events
through the outbox, and raises a ``caekit.rules.RuleViolation`` when a rule refuses;
the caller commits. Everything here runs inside the caller's transaction (an HTTP request or a batch
of events). Balance changes are accumulated in the session and written once, at
``before_commit``, sorted by key: one upsert per balance row and batch instead of
one per line, and every transaction takes its row locks in the same order (no
deadlock between two batches in flight). The activity rows whose budget moved
get one ``ledger.activity_balance_changed`` event per transaction, carrying the
committed values.

Locks and ordering: the rows locked before commit are an activity's year row
(``activity_years``, the base of the contribution's revenue bands), taken by the
upsert that adds a payment's revenue (the kit applies a batch's events sorted by
cooperative then subject, the activity, so those locks are also ordered), and a payroll
run's row (``payroll_runs``): shared by the payslips of the run being posted, exclusive
for the run's cancellation, which so waits for them and then reverses them, or makes
them post nothing when it commits first.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session, aliased

from cae_ledger.adapters.store import (
    AccountBalance,
    Activity,
    ActivityBalance,
    ActivityYear,
    ClosedPeriod,
    ContributionSchedule,
    Cooperative,
    Entry,
    EntryLine,
    LedgerAccount,
    PayrollRun,
)
from cae_ledger.domain import entries as domain
from cae_ledger.domain.contribution import Schedule, contribution_for
from cae_ledger.domain.entries import Budget, EntryDraft, Line, Payslip
from cae_ledger.domain.money import exact_cents
from cae_ledger.domain.schedules import build_schedule, schedule_in_force
from caekit import context, outbox
from caekit.bounds import check_day
from caekit.db import dialect_insert, get_or_insert
from caekit.period import Period
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord

_PENDING = "ledger_pending"


@dataclass
class _Pending:
    """What one transaction changes in the balances, written at commit."""

    balances: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    budgets: dict = field(default_factory=dict)  # (cooperative, activity) -> Budget
    years: dict = field(default_factory=dict)  # (cooperative, activity, year) -> [locked, added]
    last_entry: dict = field(default_factory=dict)  # (cooperative, activity) -> entry id
    known_accounts: set = field(default_factory=set)  # (cooperative, number)
    activities: dict = field(default_factory=dict)  # (cooperative, code) -> Activity
    settings: dict = field(default_factory=dict)  # cooperative -> its Cooperative row
    schedules: dict = field(default_factory=dict)  # cooperative -> its schedule rows
    closed: dict = field(default_factory=dict)  # cooperative -> set of closed periods
    runs: dict = field(default_factory=dict)  # (cooperative, run) -> cancelled (row locked)


def _pending(session: Session) -> _Pending:
    """The transaction's balance changes, written when it commits."""
    return outbox.transaction_work(session, _PENDING, _Pending, _write_balances)


def _write_balances(session: Session, pending: _Pending) -> None:
    if not (pending.balances or pending.budgets or pending.years):
        return
    now = datetime.now(UTC)
    years = [{"cooperative_id": c, "activity_code": a, "year": y, "revenue_cents": added}
             for (c, a, y), (_, added) in sorted(pending.years.items()) if added]
    if years:
        session.execute(_upsert(session, ActivityYear, ("revenue_cents",)), years)
    if pending.balances:
        rows = [{"cooperative_id": c, "account": a, "analytic": n, "period": p,
                 "debit_cents": d, "credit_cents": k}
                for (c, a, n, p), (d, k) in sorted(pending.balances.items())]
        session.execute(_upsert(session, AccountBalance, ("debit_cents", "credit_cents")), rows)
    columns = ("cash_received_cents", "contribution_cents", "expenses_cents", "salary_costs_cents")
    statement = _upsert(session, ActivityBalance, columns, now=now).returning(
        *ActivityBalance.__table__.c)
    for (cooperative, activity), budget in sorted(pending.budgets.items()):
        row = session.execute(statement, {
            "cooperative_id": cooperative, "activity_code": activity, "updated_at": now,
            **{column: getattr(budget, column) for column in columns}}).one()
        outbox.publish(session, "cae.ledger.activity_balance_changed.v1", {
            "cooperative_id": cooperative, "activity_code": activity,
            "available_cents": _budget_of(row).available_cents,
            **{column: getattr(row, column) for column in columns},
            "as_of": row.updated_at.isoformat(),
            "last_entry_id": pending.last_entry[(cooperative, activity)],
        }, tenant_id=cooperative)


def _upsert(session, model, increments, now=None):
    """INSERT ... ON CONFLICT (primary key) DO UPDATE adding ``increments`` to the row."""
    table = model.__table__
    statement = dialect_insert(session)(table)
    changes = {column: table.c[column] + statement.excluded[column] for column in increments}
    if now is not None:
        changes["updated_at"] = statement.excluded.updated_at
        if session.get_bind().dialect.name == "postgresql":
            # A budget's as_of orders its versions for the readers (payroll keeps the latest
            # as_of): strictly after the row's last change. ``now`` was read before the row's
            # lock was waited for, so a writer that committed meanwhile may hold a later one
            # (the e2e suite met it). SQLite has one writer at a time.
            changes["updated_at"] = func.greatest(
                table.c.updated_at + literal_column("interval '1 microsecond'"),
                statement.excluded.updated_at)
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns], set_=changes)


def _budget_of(row) -> Budget:
    return Budget(exact_cents(row.cash_received_cents), exact_cents(row.contribution_cents),
                  exact_cents(row.expenses_cents), exact_cents(row.salary_costs_cents))


def draft_of(entry: Entry) -> EntryDraft:
    return EntryDraft(entry.journal, entry.entry_date, entry.piece_ref, entry.label,
                      tuple(Line(line.account, line.debit_cents, line.credit_cents, line.activity_code)
                            for line in entry.lines),
                      kind=entry.kind, revenue_cents=entry.revenue_cents,
                      piece_date=entry.piece_date, reverses=entry.reverses,
                      activity_code=entry.activity_code)


class Books:
    """A cooperative's books, on the session of the current transaction."""

    def __init__(self, session: Session, cooperative_id: str) -> None:
        self.db = session
        self.cooperative_id = str(cooperative_id)

    # -- posting ----------------------------------------------------------------------------
    def post(self, draft: EntryDraft, *, origin: str | None = None,
             contribution_base: int | None = None, payroll_run: str | None = None) -> Entry:
        """Post a balanced entry: refused in a closed period or on an unknown account."""
        total = domain.check_entry(draft, self._closed_periods())
        if draft.activity_code is not None:
            self.activity(draft.activity_code)
        for line in draft.lines:
            if line.activity_code is not None and line.activity_code != draft.activity_code:
                self.activity(line.activity_code)
            self._require_account(line.account)
        who = context.caller.get()
        entry = Entry(
            cooperative_id=self.cooperative_id, id=str(uuid.uuid4()), journal=draft.journal,
            entry_date=draft.entry_date, period=int(Period.of(draft.entry_date)),
            fiscal_year=draft.entry_date.year,
            piece_ref=draft.piece_ref, piece_date=draft.piece_date or draft.entry_date,
            label=draft.label, kind=draft.kind, activity_code=draft.activity_code,
            revenue_cents=draft.revenue_cents, contribution_base_cents=contribution_base,
            total_cents=total, reverses=draft.reverses,
            origin_entry=origin, posted_at=datetime.now(UTC), posted_by=who.subject[:100],
            caused_by_event=context.causation_id.get(), payroll_run_id=payroll_run,
            lines=[EntryLine(cooperative_id=self.cooperative_id, account=line.account,
                             general_account=line.general_account, activity_code=line.activity_code,
                             debit_cents=line.debit_cents, credit_cents=line.credit_cents)
                   for line in draft.lines])
        self.db.add(entry)
        self._account_for(entry, draft)
        outbox.publish(self.db, "cae.ledger.entry_posted.v1", entry_posted(entry, draft),
                       tenant_id=self.cooperative_id)
        return entry

    def _account_for(self, entry: Entry, draft: EntryDraft) -> None:
        pending = _pending(self.db)
        for line in draft.lines:
            sides = pending.balances[(self.cooperative_id, line.account, line.activity_code or "",
                                      entry.period)]
            sides[0] += line.debit_cents
            sides[1] += line.credit_cents
        effects = domain.budget_effects(draft.kind, draft.revenue_cents, draft.lines,
                                        draft.activity_code)
        for activity, effect in effects.items():
            key = (self.cooperative_id, activity)
            pending.budgets.setdefault(key, Budget()).add(effect)
            pending.last_entry[key] = entry.id

    def receive(self, draft: EntryDraft) -> tuple[Entry, Entry | None]:
        """Post an invoice or a payment, and charge the contribution on it when the
        cooperative charges on that kind of operation (payment by default)."""
        if draft.kind != self.settings().contribution_basis:
            return self.post(draft), None
        entry = self.post(draft, contribution_base=draft.revenue_cents)
        return entry, self._charge(entry, draft.activity_code, draft.revenue_cents, draft.entry_date)

    def receive_payment(self, activity: str, on: date, piece_ref: str, label: str | None,
                        amount_cents: int, vat_cents: int | None,
                        invoice_ref: str | None) -> tuple[Entry, Entry | None]:
        """Post a payment received (labelled after its reference when it has no label) and
        charge the contribution on it."""
        return self.receive(self.payment(activity, on, piece_ref, label or f"Encaissement {piece_ref}",
                                         amount_cents, vat_cents, invoice_ref))

    def payment(self, activity: str, on: date, piece_ref: str, label: str, amount_cents: int,
                vat_cents: int | None, invoice_ref: str | None) -> EntryDraft:
        """A payment received; without its VAT, the VAT in proportion to the invoice it
        names (0 if none)."""
        if vat_cents is None:
            vat_cents = 0
            if invoice_ref:
                invoice = self.db.scalar(select(Entry).where(
                    Entry.kind == "invoice", Entry.activity_code == activity,
                    Entry.piece_ref == invoice_ref, Entry.reverses.is_(None)))
                if invoice is not None:
                    vat_cents = domain.vat_share(amount_cents, invoice.total_cents,
                                                 invoice.total_cents - invoice.revenue_cents)
        return domain.payment(activity, on, piece_ref, label, amount_cents, vat_cents)

    def post_salary(self, activity: str, paid_on: date, period: str, slip: Payslip,
                    run_id: str | None = None) -> Entry | None:
        """Post the salary of a payslip of ``period`` (``YYYY-MM``) of the payroll run
        ``run_id``; nothing (None) when that run was cancelled (its cancellation arrived
        first: events of different queues are not ordered)."""
        period = Period.parse(period)
        draft = domain.salary(activity, paid_on, f"PAIE-{period.text}-{activity}"[:60],
                              f"Salaire {period.text}", slip)
        if run_id is not None and self._run_cancelled(str(run_id), period):
            return None
        return self.post(draft, payroll_run=None if run_id is None else str(run_id))

    def _run_cancelled(self, run_id: str, period: Period) -> bool:
        """Whether the run is cancelled; its row is created if missing and read with a shared
        lock kept until commit, so that a cancellation waits for this transaction."""
        runs = _pending(self.db).runs
        key = (self.cooperative_id, run_id)
        if key not in runs:
            with self.db.no_autoflush:
                self.db.execute(dialect_insert(self.db)(PayrollRun).values(
                    cooperative_id=self.cooperative_id, run_id=run_id, period=int(period))
                    .on_conflict_do_nothing())
                runs[key] = self.db.execute(
                    select(PayrollRun.cancelled_on).where(
                        PayrollRun.cooperative_id == self.cooperative_id,
                        PayrollRun.run_id == run_id)
                    .with_for_update(read=True)).scalar_one() is not None
        return runs[key]

    def cancel_payroll_run(self, run_id: str, period: str, cancelled_on: date, reason: str,
                           cancelled_by: str) -> list[Entry]:
        """Reverse every salary posted for the payroll run ``run_id`` and remember the run as
        cancelled, so that a payslip of it arriving later posts nothing.

        Each reversal is dated by :func:`cae_ledger.domain.entries.cancellation_day`: the
        day the run was cancelled (the first cancellation's, if it is announced again), not
        before the salary, and on the first open day when the books are closed on it. A
        salary already reversed (by hand) is left as it is; the same cancellation again
        reverses nothing more. Returns the reversals posted."""
        period = Period.parse(period)
        check_day(cancelled_on, "cancelled_on")
        run_id = str(run_id)
        table = PayrollRun.__table__
        statement = dialect_insert(self.db)(table).values(
            cooperative_id=self.cooperative_id, run_id=run_id, period=int(period),
            cancelled_on=cancelled_on, cancelled_by=cancelled_by[:100], cancel_reason=reason[:500],
            cancelled_at=datetime.now(UTC))
        keep_first = {column: func.coalesce(table.c[column], statement.excluded[column])
                      for column in ("cancelled_on", "cancelled_by", "cancel_reason",
                                     "cancelled_at")}
        with self.db.no_autoflush:  # the exclusive lock: waits for the payslips being posted
            cancelled_on = self.db.execute(statement.on_conflict_do_update(
                index_elements=["cooperative_id", "run_id"], set_=keep_first)
                .returning(table.c.cancelled_on)).scalar_one()
        _pending(self.db).runs[(self.cooperative_id, run_id)] = True
        salary, reversal = aliased(Entry), aliased(Entry)
        found = self.db.execute(
            select(salary, reversal.id).outerjoin(reversal, reversal.reverses == salary.id)
            .where(salary.cooperative_id == self.cooperative_id, salary.payroll_run_id == run_id,
                   salary.kind == "salary", salary.reverses.is_(None)).order_by(salary.seq)).all()
        posted = []
        for entry, reversed_by in found:
            if reversed_by is not None:
                continue
            draft = draft_of(entry)
            on = domain.cancellation_day(cancelled_on, entry.entry_date, self._closed_periods())
            domain.check_reversal(draft, entry.id, on, derived_from=entry.origin_entry,
                                  already_reversed=False)
            posted.append(self.post(domain.reversal_of(
                draft, entry.id, on, f"Annulation de la paie {period.text}: {entry.label}"[:200]),
                payroll_run=run_id))
        return posted

    def _charge(self, origin: Entry, activity: str, base_cents: int, on: date) -> Entry | None:
        schedule = self.schedule(activity, on)
        before = self._add_revenue(activity, on.year, base_cents)
        amount = contribution_for(schedule, before, base_cents)
        if amount == 0:
            return None
        entry = self.post(domain.contribution(
            activity, on, origin.piece_ref, f"Contribution coopérative sur {origin.piece_ref}"[:200],
            amount), origin=origin.id)
        outbox.publish(self.db, "cae.ledger.contribution_charged.v1", {
            "cooperative_id": self.cooperative_id, "activity_code": activity, "entry_id": entry.id,
            "origin_entry_id": origin.id, "reason": "revenue", "charged_on": on.isoformat(),
            "base_cents": base_cents, "amount_cents": amount, "year_revenue_before_cents": before,
            "schedule_effective_on": schedule.effective_on.isoformat(),
        }, tenant_id=self.cooperative_id)
        return entry

    def _add_revenue(self, activity: str, year: int, cents: int) -> int:
        """Add to the year's revenue the contribution bands are read on; returns it before.

        The year's row is locked (and created) by its first use in the transaction, which
        then keeps the running total; the change is written at commit.
        """
        key = (self.cooperative_id, activity, year)
        years = _pending(self.db).years
        if key not in years:
            statement = _upsert(self.db, ActivityYear, ("revenue_cents",)).returning(
                ActivityYear.revenue_cents)
            with self.db.no_autoflush:  # the entries pending in the session do not matter here
                years[key] = [self.db.execute(statement, {
                    "cooperative_id": self.cooperative_id, "activity_code": activity,
                    "year": year, "revenue_cents": 0}).scalar_one(), 0]
        running = years[key]
        before = running[0] + running[1]
        running[1] += cents
        return before

    def reverse(self, entry_id: str, on: date, label: str | None = None) -> Entry:
        """Post the reversing entry of ``entry_id`` (and of the contribution charged on it)."""
        original = self.entry(entry_id)
        draft = draft_of(original)
        domain.check_reversal(draft, original.id, on, derived_from=original.origin_entry,
                              already_reversed=self.db.scalar(
                                  select(Entry.id).where(Entry.reverses == original.id)) is not None)
        reversal = self.post(domain.reversal_of(draft, original.id, on, label))
        for derived in self.db.scalars(select(Entry).where(Entry.origin_entry == original.id)):
            self.post(domain.reversal_of(draft_of(derived), derived.id, on), origin=reversal.id)
        if original.contribution_base_cents:  # what it added to its year, not today's basis
            self._add_revenue(original.activity_code, original.entry_date.year,
                              -original.contribution_base_cents)
        return reversal

    # -- periods -------------------------------------------------------------------------------
    def close_period(self, period: int, today: date) -> tuple[ClosedPeriod, list[Entry]]:
        """Charge the monthly minimum contributions of ``period``, then close it."""
        period = Period(period)
        closed = self._closed_periods()
        domain.check_closable(period, today, closed,
                              None if closed else self._first_period_with_entries())
        end = period.last_day
        top_ups = []
        for activity in self.db.scalars(select(Activity).order_by(Activity.code)):
            if activity.opened_at.date() > end:
                continue
            schedule = self.schedule(activity.code, end)
            draft = domain.minimum_contribution(activity.code, period, schedule, self._balance(
                domain.CONTRIBUTION_ACCOUNT, activity.code, period))
            if draft is not None:
                entry = self.post(draft)
                top_ups.append(entry)
                outbox.publish(self.db, "cae.ledger.contribution_charged.v1", {
                    "cooperative_id": self.cooperative_id, "activity_code": activity.code,
                    "entry_id": entry.id, "origin_entry_id": None, "reason": "monthly_minimum",
                    "charged_on": end.isoformat(), "base_cents": 0, "amount_cents": entry.total_cents,
                    "year_revenue_before_cents": None,
                    "schedule_effective_on": schedule.effective_on.isoformat(),
                }, tenant_id=self.cooperative_id)
        closed_at = datetime.now(UTC)
        closed = ClosedPeriod(cooperative_id=self.cooperative_id, period=int(period),
                              closed_at=closed_at, closed_by=context.caller.get().subject[:100])
        self.db.add(closed)
        self._closed_periods().add(int(period))
        outbox.publish(self.db, "cae.ledger.period_closed.v1", {
            "cooperative_id": self.cooperative_id, "period": period.text,
            "closed_at": closed_at.isoformat(), "minimum_contributions": len(top_ups),
            "minimum_contributions_cents": sum(e.total_cents for e in top_ups),
        }, tenant_id=self.cooperative_id)
        return closed, top_ups

    def _balance(self, account: str, activity: str, period: int) -> int:
        """Debit - credit of an account on an analytic code in a month, pending changes included."""
        row = self.db.execute(select(AccountBalance.debit_cents, AccountBalance.credit_cents).where(
            AccountBalance.account == account, AccountBalance.analytic == activity,
            AccountBalance.period == int(period))).first()
        pending = _pending(self.db).balances.get(
            (self.cooperative_id, account, activity, int(period)), (0, 0))
        return (row[0] - row[1] if row else 0) + pending[0] - pending[1]

    def _first_period_with_entries(self) -> int | None:
        """The earliest month holding entries (its balance rows), pending ones included."""
        committed = self.db.scalar(select(func.min(AccountBalance.period)).where(
            AccountBalance.cooperative_id == self.cooperative_id))
        pending = [period for (cooperative, _, _, period) in _pending(self.db).balances
                   if cooperative == self.cooperative_id]
        return min((p for p in (committed, *pending) if p is not None), default=None)

    def _closed_periods(self) -> set:
        closed = _pending(self.db).closed
        if self.cooperative_id not in closed:
            closed[self.cooperative_id] = set(self.db.scalars(select(ClosedPeriod.period)))
        return closed[self.cooperative_id]

    # -- reference data ---------------------------------------------------------------------
    def ensure_chart(self) -> None:
        """Seed the cooperative's chart from the PCG accounts, once."""
        if self.db.scalar(select(LedgerAccount.id).where(LedgerAccount.activity_code.is_(None)).limit(1)):
            return
        now, known = datetime.now(UTC), _pending(self.db).known_accounts
        for number, (label, type_) in domain.CHART_OF_ACCOUNTS.items():
            known.add((self.cooperative_id, number))
            self.db.add(LedgerAccount(cooperative_id=self.cooperative_id, number=number, label=label,
                                      type=type_, general_account=number, opened_at=now))

    def register_cooperative(self, name: str, siren: str, registered_at: datetime,
                             contribution_rate: Decimal | None) -> None:
        """What the ledger keeps of a registered cooperative: its chart, its name and SIREN (the
        FEC's file name) and its contribution rate, from the start of its first year."""
        check_day(registered_at.date(), "registered_at")
        self.ensure_chart()
        settings = self.settings()
        settings.name, settings.siren = name, siren
        if contribution_rate is not None:
            start = registered_at.date().replace(month=1, day=1)
            self.record_schedule(build_schedule(start, [{"from_cents": 0, "rate": contribution_rate}],
                                                0), None)

    def open_activity(self, code: str, name: str | None, member_id: str, event_id: str,
                      opened_on: date) -> None:
        """Open an activity's auxiliary accounts (``event_id``: the activity_opened event).

        A code opens once: members opens each activity once and the inbox drops a
        redelivered event, so another event opening a code already open is a fault upstream,
        refused (``activity.exists``) for an operator to look at, and changes nothing.
        """
        check_day(opened_on, "opened_on")
        existing = self.db.scalar(select(Activity).where(Activity.code == code))
        if existing is not None:
            raise ConflictingState("activity.exists", f"activity {code} is already open in this "
                                   f"cooperative (opened by event {existing.opened_by_event})",
                                   ("code",))
        self.ensure_chart()
        now = datetime.now(UTC)
        activity = Activity(cooperative_id=self.cooperative_id, code=code, member_id=member_id,
                            name=name, opened_by_event=event_id,
                            opened_at=datetime(opened_on.year, opened_on.month, opened_on.day,
                                               tzinfo=UTC))
        self.db.add(activity)
        pending = _pending(self.db)
        pending.activities[(self.cooperative_id, code)] = activity
        accounts = domain.activity_accounts(code)
        for number, label, type_, general in accounts:
            pending.known_accounts.add((self.cooperative_id, number))
            self.db.add(LedgerAccount(cooperative_id=self.cooperative_id, number=number,
                                      label=label, type=type_, general_account=general,
                                      activity_code=code, opened_at=now))
        outbox.publish(self.db, "cae.ledger.activity_accounts_opened.v1", {
            "cooperative_id": self.cooperative_id, "activity_code": code,
            "member_id": member_id, "accounts": [number for number, *_ in accounts],
        }, tenant_id=self.cooperative_id)

    def _require_account(self, number: str) -> None:
        known = _pending(self.db).known_accounts
        if (self.cooperative_id, number) in known:
            return
        with self.db.no_autoflush:  # accounts opened in this transaction are in `known`
            found = self.db.scalar(select(LedgerAccount.id).where(LedgerAccount.number == number))
        if found is None:
            raise RuleViolation("entry.unknown_account", f"no account {number} in this cooperative's "
                                "chart")
        known.add((self.cooperative_id, number))

    def activity(self, code: str) -> Activity:
        known = _pending(self.db).activities
        found = known.get((self.cooperative_id, code))
        if found is None:
            if not domain.is_activity_code(code):
                raise RuleViolation("activity.unknown", f"no activity {code[:40]!r} in this "
                                    "cooperative (an activity code is 1-20 of A-Z 0-9 _ -)")
            with self.db.no_autoflush:  # activities opened in this transaction are in `known`
                found = self.db.scalar(select(Activity).where(Activity.code == code))
            if found is None:
                raise RuleViolation("activity.unknown", f"no activity {code} in this cooperative")
            known[(self.cooperative_id, code)] = found
        return found

    def entry(self, entry_id: str) -> Entry:
        try:
            uuid.UUID(str(entry_id))
        except ValueError:
            raise UnknownRecord("entry.unknown", f"no entry {entry_id}") from None
        found = self.db.scalar(select(Entry).where(Entry.id == str(entry_id)))
        if found is None:
            raise UnknownRecord("entry.unknown", f"no entry {entry_id} in this cooperative")
        return found

    def settings(self) -> Cooperative:
        known = _pending(self.db).settings
        if self.cooperative_id not in known:
            known[self.cooperative_id] = get_or_insert(
                self.db, Cooperative, self.cooperative_id, cooperative_id=self.cooperative_id,
                contribution_basis="payment")
        return known[self.cooperative_id]

    def change_contribution_basis(self, basis: str) -> Cooperative:
        """Charge the contribution on payments received (``payment``) or on invoices."""
        settings = self.settings()
        settings.contribution_basis = basis
        return settings

    def schedule(self, activity: str, on: date) -> Schedule:
        cache = _pending(self.db).schedules
        if self.cooperative_id not in cache:
            cache[self.cooperative_id] = [(row.activity_code, row.schedule) for row in
                                          self.db.scalars(select(ContributionSchedule))]
        return schedule_in_force(cache[self.cooperative_id], activity, on)

    def record_schedule(self, schedule: Schedule, activity: str | None) -> ContributionSchedule:
        """A schedule version announced by an event: the same version again (another event
        announcing it) changes nothing."""
        return self.add_schedule(schedule, activity, same_again_is_fine=True)

    def add_schedule(self, schedule: Schedule, activity: str | None, *,
                     same_again_is_fine: bool = False) -> ContributionSchedule:
        """Record a schedule version; another version on the same date is refused (the same
        version again too, unless ``same_again_is_fine``: an event announcing it twice)."""
        if activity:
            self.activity(activity)
        code = activity or ""
        existing = self.db.scalar(select(ContributionSchedule).where(
            ContributionSchedule.activity_code == code,
            ContributionSchedule.effective_on == schedule.effective_on))
        if existing is not None:
            if same_again_is_fine and existing.schedule == schedule:
                return existing
            raise RuleViolation("schedule.exists", "a schedule version already takes effect on "
                                f"{schedule.effective_on.isoformat()}"
                                + (f" for {activity}" if activity else ""))
        row = ContributionSchedule(
            cooperative_id=self.cooperative_id, activity_code=code,
            effective_on=schedule.effective_on, monthly_minimum_cents=schedule.monthly_minimum_cents,
            bands=ContributionSchedule.stored_bands(schedule),
            recorded_at=datetime.now(UTC), recorded_by=context.caller.get().subject[:100])
        self.db.add(row)
        _pending(self.db).schedules.pop(self.cooperative_id, None)
        return row

    def budget(self, activity: str) -> Budget:
        self.activity(activity)
        row = self.db.scalar(select(ActivityBalance).where(ActivityBalance.activity_code == activity))
        return _budget_of(row) if row is not None else Budget()


def entry_posted(entry: Entry, draft: EntryDraft) -> dict:
    return {
        "cooperative_id": entry.cooperative_id, "entry_id": entry.id, "journal": entry.journal,
        "entry_date": entry.entry_date.isoformat(), "piece_ref": entry.piece_ref,
        "label": entry.label, "kind": entry.kind, "activity_code": entry.activity_code,
        "reverses": entry.reverses, "total_cents": entry.total_cents,
        "lines": [{"account": line.account, "activity_code": line.activity_code,
                   "debit_cents": line.debit_cents, "credit_cents": line.credit_cents}
                  for line in draft.lines],
    }
