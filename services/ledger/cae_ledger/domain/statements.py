"""Statements read from account totals (pure): the trial balance, an activity's income
statement and the treasury groups of the entrepreneur's statement (décret 2015-1363).

Totals come as ``(account, debit_cents, credit_cents)``, summed over the periods asked;
a row's balance is debit - credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cae_ledger.domain.entries import general_account_of
from caekit.period import Period

Totals = Iterable[tuple[str, int, int]]

# enDI's treasury view of an activity: groups of accounts by prefix ("-" excludes)
TREASURY_GROUPS = (
    ("cash", "5"),
    ("taxes_and_contributions", "42,-421,-425,43,44"),
    ("suppliers", "40"),
    ("salaries_to_pay", "421"),
    ("customers", "41"),
    ("expense_reports", "425"),
)


@dataclass(frozen=True)
class BalanceRow:
    account: str
    label: str
    debit_cents: int
    credit_cents: int

    @property
    def balance_cents(self) -> int:
        return self.debit_cents - self.credit_cents


def balance_rows(totals: Totals, labels: Mapping[str, str]) -> list[BalanceRow]:
    """One row per account, labelled from the chart (the number when it has no label)."""
    return [BalanceRow(account, labels.get(account, account), debit, credit)
            for account, debit, credit in totals]


@dataclass(frozen=True)
class TrialBalance:
    """Every account's totals from ``start`` to ``end``; debits and credits are equal."""

    start: Period
    end: Period
    items: list[BalanceRow]

    @property
    def debit_cents(self) -> int:
        return sum(row.debit_cents for row in self.items)

    @property
    def credit_cents(self) -> int:
        return sum(row.credit_cents for row in self.items)


def trial_balance(start: Period, end: Period, totals: Totals,
                  labels: Mapping[str, str]) -> TrialBalance:
    return TrialBalance(start, end, balance_rows(totals, labels))


@dataclass(frozen=True)
class IncomeStatement:
    """An activity's revenue (class 7) and charges (class 6) in a year."""

    activity_code: str
    year: int
    revenue: list[BalanceRow]
    charges: list[BalanceRow]

    @property
    def revenue_cents(self) -> int:
        return -sum(row.balance_cents for row in self.revenue)

    @property
    def charges_cents(self) -> int:
        return sum(row.balance_cents for row in self.charges)

    @property
    def result_cents(self) -> int:
        return self.revenue_cents - self.charges_cents


def income_statement(activity_code: str, year: int, totals: Totals,
                     labels: Mapping[str, str]) -> IncomeStatement:
    rows = balance_rows(totals, labels)
    return IncomeStatement(activity_code, year, [r for r in rows if r.account.startswith("7")],
                           [r for r in rows if r.account.startswith("6")])


def in_group(account: str, prefixes: str) -> bool:
    """Whether an account (its general account) falls in a group of prefixes ("-" excludes)."""
    general = general_account_of(account)
    included = [p for p in prefixes.split(",") if not p.startswith("-")]
    excluded = [p[1:] for p in prefixes.split(",") if p.startswith("-")]
    return any(general.startswith(p) for p in included) and not any(
        general.startswith(p) for p in excluded)


@dataclass(frozen=True)
class TreasuryGroup:
    name: str
    prefixes: str
    balance_cents: int


def treasury_groups(totals: Totals) -> list[TreasuryGroup]:
    """The balance (debit - credit) of each of :data:`TREASURY_GROUPS`."""
    totals = list(totals)
    return [TreasuryGroup(name, prefixes, sum(debit - credit for account, debit, credit in totals
                                              if in_group(account, prefixes)))
            for name, prefixes in TREASURY_GROUPS]
