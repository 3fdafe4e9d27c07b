"""FEC writer: the Fichier des Écritures Comptables (pure code: standard library only).

Rules followed (Livre des procédures fiscales, article A47 A-1):

* 18 columns, in this exact order: JournalCode, JournalLib, EcritureNum,
  EcritureDate, CompteNum, CompteLib, CompAuxNum, CompAuxLib, PieceRef,
  PieceDate, EcritureLib, Debit, Credit, EcritureLet, DateLet, ValidDate,
  Montantdevise, Idevise; the first line is a header holding those names.
* One field separator for the whole file: ``|`` (the default) or a tab.
* Dates are written ``AAAAMMJJ`` (e.g. ``20260115``).
* Amounts are written with a decimal comma, no thousands separator and two
  decimals (``1234,50``, ``0,00``). They come in as ``int`` cents: floats and
  bools are refused (TypeError), negative amounts too (ValueError).
* A line carries either a debit or a credit, the other being ``0,00``; a line
  with both non-zero is refused (ValueError).
* Entries are numbered in a continuous sequence (EcritureNum): the writer takes
  the numbers it is given and refuses (ValueError) any sequence that is not
  1, 2, …, n in order. Every entry must be balanced (sum of debits == sum of
  credits) and hold at least one line, else ValueError.
* JournalCode, JournalLib, PieceRef, EcritureLib, CompteNum and CompteLib must
  not be blank (ValueError).
* No field may contain the separator, CR or LF: each is replaced by a space.
* EcritureLet and DateLet (lettering) are left empty; Montantdevise and Idevise
  are left empty because every amount is in euros. ValidDate is the entry's
  validation date.
* Lines end with a bare ``"\\n"`` (LF, no CR), header included. Open the target
  with ``newline=""`` so that the platform does not translate it.
* The file is encoded in UTF-8, which the tax administration accepts: open the
  target with ``encoding="utf-8"``.
* The file is named ``<SIREN>FEC<AAAAMMJJ>.txt``, the date being the closing
  date of the fiscal year (:func:`fec_filename`).

:func:`write_fec` streams: it checks an entry completely before writing its
lines, and writes entry by entry. When it raises, the entries before the faulty
one have already been written, so write to a temporary file and discard it on
error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TextIO

__all__ = ["FEC_COLUMNS", "FecEntry", "FecLine", "fec_filename", "format_amount", "write_fec"]

FEC_COLUMNS: tuple[str, ...] = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)
SEPARATORS = ("|", "\t")
_SIREN = re.compile(r"\d{9}")


@dataclass(frozen=True)
class FecLine:
    """One line of an entry: an account (and optional auxiliary account) debited or credited."""

    account_number: str
    account_label: str
    aux_number: str | None
    aux_label: str | None
    debit_cents: int
    credit_cents: int


@dataclass(frozen=True)
class FecEntry:
    """One balanced entry (écriture) of a journal, numbered in the file's sequence."""

    journal_code: str
    journal_label: str
    number: int
    entry_date: date
    piece_ref: str
    piece_date: date
    label: str
    validated_on: date
    lines: tuple[FecLine, ...]


def _cents(value: object) -> int:
    # bool is a subclass of int; True is not an amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an FEC amount must be an int number of cents, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"an FEC amount cannot be negative: {value}")
    return value


def format_amount(cents: int) -> str:
    """``123450`` -> ``"1234,50"``: decimal comma, no thousands separator, two decimals."""
    units, rest = divmod(_cents(cents), 100)
    return f"{units},{rest:02d}"


def _date(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def fec_filename(siren: str, closing_date: date) -> str:
    """``"<SIREN>FEC<AAAAMMJJ>.txt"``, dated with the closing date of the fiscal year."""
    if not _SIREN.fullmatch(siren):
        raise ValueError(f"a SIREN is 9 digits, not {siren!r}")
    return f"{siren}FEC{_date(closing_date)}.txt"


def _check(entry: FecEntry, expected_number: int) -> None:
    number = entry.number
    if isinstance(number, bool) or not isinstance(number, int) or number != expected_number:
        raise ValueError(f"entry numbers must run 1..n in order: expected {expected_number}, "
                         f"got {number!r}")
    if not entry.lines:
        raise ValueError(f"entry {number} has no line")
    required = {"journal_code": entry.journal_code, "journal_label": entry.journal_label,
                "piece_ref": entry.piece_ref, "label": entry.label}
    for line in entry.lines:
        required |= {"account_number": line.account_number, "account_label": line.account_label}
        for name, value in required.items():
            if not value or not value.strip():
                raise ValueError(f"entry {number}: {name} must not be blank")
        debit, credit = _cents(line.debit_cents), _cents(line.credit_cents)
        if debit and credit:
            raise ValueError(f"entry {number}: a line carries a debit or a credit, not both "
                             f"({line.account_number})")
    debits = sum(line.debit_cents for line in entry.lines)
    credits = sum(line.credit_cents for line in entry.lines)
    if debits != credits:
        raise ValueError(f"entry {number} is unbalanced: debit {format_amount(debits)} "
                         f"!= credit {format_amount(credits)}")


def write_fec(entries: Iterable[FecEntry], out: TextIO, separator: str = "|") -> int:
    """Write the header then every entry's lines to ``out``; return the number of lines
    written, header excluded. Entries are consumed one at a time (never all held)."""
    if separator not in SEPARATORS:
        raise ValueError(f"the FEC separator is '|' or a tab, not {separator!r}")

    def clean(value: str | None) -> str:
        value = value or ""
        for char in (separator, "\r", "\n"):
            value = value.replace(char, " ")
        return value

    def row(fields: Iterable[str | None]) -> str:
        return separator.join(clean(field) for field in fields) + "\n"

    out.write(row(FEC_COLUMNS))
    written = 0
    for expected_number, entry in enumerate(entries, start=1):
        _check(entry, expected_number)
        head = (entry.journal_code, entry.journal_label, str(entry.number),
                _date(entry.entry_date))
        piece = (entry.piece_ref, _date(entry.piece_date), entry.label)
        for line in entry.lines:
            out.write(row((*head, line.account_number, line.account_label, line.aux_number,
                           line.aux_label, *piece, format_amount(line.debit_cents),
                           format_amount(line.credit_cents), "", "",
                           _date(entry.validated_on), "", "")))
            written += 1
    return written
