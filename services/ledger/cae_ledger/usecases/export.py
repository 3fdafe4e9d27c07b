"""Reading the books: FEC export and statements (queries on the maintained balances)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cae_ledger.adapters.store import AccountBalance, Entry, LedgerAccount
from cae_ledger.domain.entries import JOURNALS, general_account_of
from cae_ledger.domain.fec import FecEntry, FecLine

# enDI's treasury view of an activity: groups of accounts by prefix ("-" excludes)
TREASURY_GROUPS = (
    ("cash", "5"),
    ("taxes_and_contributions", "42,-421,-425,43,44"),
    ("suppliers", "40"),
    ("salaries_to_pay", "421"),
    ("customers", "41"),
    ("expense_reports", "425"),
)


def in_group(account: str, prefixes: str) -> bool:
    general = general_account_of(account)
    included = [p for p in prefixes.split(",") if not p.startswith("-")]
    excluded = [p[1:] for p in prefixes.split(",") if p.startswith("-")]
    return any(general.startswith(p) for p in included) and not any(
        general.startswith(p) for p in excluded)


def labels(session: Session) -> dict[str, str]:
    return dict(session.execute(select(LedgerAccount.number, LedgerAccount.label)).all())


def fec_entries(session: Session, year: int, chunk: int = 1000) -> Iterator[FecEntry]:
    """The fiscal year's entries in posting order, numbered 1, 2, 3... (EcritureNum).

    Entries are never deleted and a new one gets a higher ``seq``, so the numbers of a
    closed year never change; a year still open is numbered provisionally.
    """
    names = labels(session)
    number, after = 0, 0
    while True:
        entries = session.scalars(select(Entry).where(Entry.fiscal_year == year, Entry.seq > after)
                                  .order_by(Entry.seq).limit(chunk)).all()
        if not entries:
            return
        for entry in entries:
            number += 1
            lines = []
            for line in entry.lines:
                auxiliary = line.account if line.account != line.general_account else None
                lines.append(FecLine(line.general_account, names.get(line.general_account, line.general_account),
                                     auxiliary, names.get(auxiliary) if auxiliary else None,
                                     line.debit_cents, line.credit_cents))
            yield FecEntry(entry.journal, JOURNALS[entry.journal], number, entry.entry_date,
                           entry.piece_ref, entry.piece_date, entry.label, entry.posted_at.date(),
                           tuple(lines))
        after = entries[-1].seq
        session.expunge_all()


def account_totals(session: Session, *conditions) -> list[tuple[str, int, int]]:
    """(account, debit, credit) summed over the maintained monthly balance rows."""
    rows = session.execute(
        select(AccountBalance.account, func.sum(AccountBalance.debit_cents),
               func.sum(AccountBalance.credit_cents))
        .where(*conditions).group_by(AccountBalance.account).order_by(AccountBalance.account)).all()
    return [(account, int(debit), int(credit)) for account, debit, credit in rows]
