"""The FEC of a fiscal year (LPF A47 A-1), read from the store for the HTTP endpoint and
``cae ledger fec``; the format itself is :mod:`cae_ledger.domain.fec`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from cae_ledger.adapters.store import Cooperative, Entry
from cae_ledger.domain.entries import JOURNALS
from cae_ledger.domain.fec import FecEntry, FecLine, fec_filename, write_fec
from cae_ledger.usecases.reading import labels


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


def write_year(session: Session, year: int, out: TextIO, separator: str = "|") -> int:
    """Write the FEC of ``year`` to ``out``; returns the number of lines written."""
    return write_fec(fec_entries(session, year), out, separator)


def file_name(session: Session, cooperative_id: str, year: int,
              unknown_siren: str | None = None) -> str:
    """``<SIREN>FEC<year>1231.txt``; without a SIREN known, ``unknown_siren`` in its place, or
    ``FEC<year>1231.txt`` when that is None too."""
    cooperative = session.get(Cooperative, cooperative_id)
    siren = cooperative.siren if cooperative and cooperative.siren else unknown_siren
    return fec_filename(siren, date(year, 12, 31)) if siren else f"FEC{year}1231.txt"
