"""The ledger's reads: pages of entries, the chart and the activities, the schedules and
closed months, and the statements computed from the maintained balances (no query sums
lines)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cae_ledger.adapters.store import (
    AccountBalance,
    Activity,
    ClosedPeriod,
    ContributionSchedule,
    Entry,
    LedgerAccount,
)
from cae_ledger.domain.entries import Budget, is_activity_code
from cae_ledger.domain.money import exact_cents
from cae_ledger.domain.statements import (
    IncomeStatement,
    TreasuryGroup,
    TrialBalance,
    income_statement,
    treasury_groups,
    trial_balance,
)
from cae_ledger.usecases.books import Books
from caekit.period import Period
from caekit.rules import UnknownRecord


def entries_page(session: Session, activity: str | None, after: int,
                 limit: int) -> tuple[list[Entry], int | None]:
    """Entries in posting order after ``after`` (a ``seq``), ``limit`` at most, of one activity
    or all; and the ``after`` of the next page (None on the last)."""
    query = select(Entry).where(Entry.seq > after).order_by(Entry.seq).limit(limit)
    if activity is not None:
        query = query.where(Entry.activity_code == activity)
    rows = session.scalars(query).all()
    return rows, rows[-1].seq if rows and len(rows) == limit else None


def activity(session: Session, code: str) -> Activity:
    """The activity ``code``; unknown (``activity.unknown``) if the cooperative has none."""
    found = session.scalar(select(Activity).where(Activity.code == code)) \
        if is_activity_code(code) else None
    if found is None:
        raise UnknownRecord("activity.unknown", f"no activity {code[:40]} in this cooperative")
    return found


def accounts_of(session: Session, code: str) -> list[LedgerAccount]:
    """An activity's auxiliary accounts, by number."""
    return session.scalars(select(LedgerAccount).where(LedgerAccount.activity_code == code)
                           .order_by(LedgerAccount.number)).all()


def activities(session: Session) -> list[tuple[Activity, list[LedgerAccount]]]:
    """Every activity, by code, with its auxiliary accounts (one query for all the accounts)."""
    by_activity: dict[str, list[LedgerAccount]] = {}
    for account in session.scalars(select(LedgerAccount).where(
            LedgerAccount.activity_code.is_not(None)).order_by(LedgerAccount.number)):
        by_activity.setdefault(account.activity_code, []).append(account)
    return [(row, by_activity.get(row.code, []))
            for row in session.scalars(select(Activity).order_by(Activity.code))]


def accounts(session: Session) -> list[LedgerAccount]:
    """The cooperative's chart, by number."""
    return session.scalars(select(LedgerAccount).order_by(LedgerAccount.number)).all()


def schedules(session: Session) -> list[ContributionSchedule]:
    """Every version of every schedule: the cooperative's, then each override, by date."""
    return session.scalars(select(ContributionSchedule).order_by(
        ContributionSchedule.activity_code, ContributionSchedule.effective_on)).all()


def closed_periods(session: Session) -> list[ClosedPeriod]:
    return session.scalars(select(ClosedPeriod).order_by(ClosedPeriod.period)).all()


def labels(session: Session) -> dict[str, str]:
    """Every account's label, by number."""
    return dict(session.execute(select(LedgerAccount.number, LedgerAccount.label)).all())


def account_totals(session: Session, *conditions) -> list[tuple[str, int, int]]:
    """(account, debit, credit) summed over the maintained monthly balance rows."""
    rows = session.execute(
        select(AccountBalance.account, func.sum(AccountBalance.debit_cents),
               func.sum(AccountBalance.credit_cents))
        .where(*conditions).group_by(AccountBalance.account).order_by(AccountBalance.account)).all()
    return [(account, exact_cents(debit), exact_cents(credit)) for account, debit, credit in rows]


def account_balances(session: Session, start: Period, end: Period) -> TrialBalance:
    """The trial balance: every account's debit and credit from ``start`` to ``end``."""
    return trial_balance(start, end, account_totals(
        session, AccountBalance.period.between(int(start), int(end))), labels(session))


def activity_income_statement(session: Session, code: str, year: int) -> IncomeStatement:
    """Revenue (class 7) and charges (class 6) of the activity's analytic in ``year``."""
    return income_statement(code, year, account_totals(
        session, AccountBalance.analytic == code,
        AccountBalance.period.between(year * 100 + 1, year * 100 + 12)), labels(session))


def treasury_statement(session: Session, cooperative_id: str, code: str,
                       end: Period) -> tuple[Budget, list[TreasuryGroup]]:
    """The entrepreneur's statement: the activity's budget now, and the treasury groups of
    its accounts at the end of ``end``."""
    groups = treasury_groups(account_totals(session, AccountBalance.analytic == code,
                                            AccountBalance.period <= int(end)))
    return Books(session, cooperative_id).budget(code), groups
