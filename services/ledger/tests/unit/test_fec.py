"""The FEC writer, checked by a validator written from LPF article A47 A-1 alone.

The validator parses the text back by itself: it uses nothing from cae_ledger.fec.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime

import pytest

from cae_ledger.domain.fec import (
    FEC_COLUMNS,
    FecEntry,
    FecLine,
    fec_filename,
    format_amount,
    write_fec,
)

# --- the independent validator -------------------------------------------------------------

HEADER = ("JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|"
          "CompAuxLib|PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|"
          "ValidDate|Montantdevise|Idevise").split("|")
AMOUNT = re.compile(r"^\d+,\d{2}$")
DATE = re.compile(r"^\d{8}$")
REQUIRED = ("JournalCode", "JournalLib", "EcritureNum", "CompteNum", "CompteLib", "PieceRef",
            "EcritureLib")


def _date_problem(value: str) -> str | None:
    if not DATE.match(value):
        return f"{value!r} is not AAAAMMJJ"
    try:
        datetime.strptime(value, "%Y%m%d")
    except ValueError:
        return f"{value!r} is not a real date"
    return None


def _cents(value: str) -> int:
    units, decimals = value.split(",")
    return int(units) * 100 + int(decimals)


def validate_fec(text: str) -> list[str]:
    """Every problem found in an FEC text; an empty list means the text is valid."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines[-1] == "":
        lines.pop()  # the last line's end
    if not lines:
        return ["empty file: no header"]
    head = lines[0]
    sep = "|" if "|" in head else "\t"
    if head.split(sep) != HEADER:
        return [f"header: not the 18 columns in order with one separator ('|' or tab): {head!r}"]
    if sep == "|" and "\t" in head:
        return ["header: mixes '|' and tab"]
    problems: list[str] = []
    balance: dict[int, int] = {}
    entry_dates: dict[int, str] = {}
    seen: set[int] = set()
    current: int | None = None
    for n, line in enumerate(lines[1:], start=2):
        fields = line.split(sep)
        if len(fields) != 18:
            problems.append(f"line {n}: {len(fields)} fields, 18 expected")
            continue
        row = dict(zip(HEADER, fields, strict=True))
        for name in REQUIRED:
            if not row[name].strip():
                problems.append(f"line {n}: {name} is empty")
        for name in ("EcritureDate", "PieceDate", "ValidDate"):
            if (problem := _date_problem(row[name])) is not None:
                problems.append(f"line {n}: {name} {problem}")
        if row["DateLet"] and (problem := _date_problem(row["DateLet"])) is not None:
            problems.append(f"line {n}: DateLet {problem}")
        amounts_ok = True
        for name in ("Debit", "Credit"):
            if not AMOUNT.match(row[name]):
                problems.append(f"line {n}: {name} {row[name]!r} is not an amount like 1234,50")
                amounts_ok = False
        if row["Montantdevise"] and not AMOUNT.match(row["Montantdevise"]):
            problems.append(f"line {n}: Montantdevise {row['Montantdevise']!r} is not an amount")
        if bool(row["Montantdevise"]) != bool(row["Idevise"]):
            problems.append(f"line {n}: Montantdevise and Idevise go together")
        if not row["EcritureNum"].isdigit():
            problems.append(f"line {n}: EcritureNum {row['EcritureNum']!r} is not a number")
            continue
        num = int(row["EcritureNum"])
        if num != current:
            expected = 1 if current is None else current + 1
            if num in seen:
                problems.append(f"line {n}: entry {num} is not contiguous")
            elif num != expected:
                problems.append(f"line {n}: numbering not continuous: {num} after {current}")
            seen.add(num)
            current = num
        if entry_dates.setdefault(num, row["EcritureDate"]) != row["EcritureDate"]:
            problems.append(f"line {n}: entry {num} has more than one EcritureDate")
        if amounts_ok:
            debit, credit = _cents(row["Debit"]), _cents(row["Credit"])
            if debit and credit:
                problems.append(f"line {n}: both a debit and a credit")
            balance[num] = balance.get(num, 0) + debit - credit
    problems += [f"entry {num} is unbalanced by {gap} cents"
                 for num, gap in balance.items() if gap]
    return problems


# --- a demo fiscal year ----------------------------------------------------------------------

def L(account: str, label: str, debit: int = 0, credit: int = 0, aux: str | None = None,
      aux_label: str | None = None) -> FecLine:
    return FecLine(account, label, aux, aux_label, debit, credit)


def E(number: int, journal: tuple[str, str], day: date, piece: str, label: str,
      *lines: FecLine) -> FecEntry:
    return FecEntry(journal[0], journal[1], number, day, piece, day, label, day, lines)


VT, BQ, AC, PA = ("VT", "Ventes"), ("BQ", "Banque"), ("AC", "Achats"), ("PA", "Paie")


def demo_year() -> list[FecEntry]:
    return [
        E(1, VT, date(2026, 1, 15), "F2026-001", "Facture Boulange",
          L("411", "Clients", 120000, aux="411-BOULANGE", aux_label="Clients - BOULANGE"),
          L("706", "Prestations de services", credit=100000),
          L("44571", "TVA collectée", credit=20000)),
        E(2, BQ, date(2026, 2, 10), "REL-2026-02", "Règlement Boulange",
          L("512", "Banque", 120000),
          L("411", "Clients", credit=120000, aux="411-BOULANGE",
            aux_label="Clients - BOULANGE")),
        E(3, AC, date(2026, 3, 5), "FA-PAP-77", "Fournitures Papeterie",
          L("606", "Achats non stockés", 50000),
          L("44566", "TVA déductible", 10000),
          L("401", "Fournisseurs", credit=60000, aux="401-PAPETERIE",
            aux_label="Fournisseurs - PAPETERIE")),
        E(4, PA, date(2026, 3, 31), "PAIE-2026-03", "Salaire mars Martin",
          L("641", "Rémunérations du personnel", 200000),
          L("645", "Charges de sécurité sociale", 84000),
          L("421", "Personnel - rémunérations dues", credit=156000, aux="421-MARTIN",
            aux_label="Personnel - MARTIN"),
          L("431", "Sécurité sociale", credit=110000),
          L("437", "Autres organismes sociaux", credit=18000)),
        E(5, VT, date(2026, 4, 2), "F2026-002", "Facture Dupont",
          L("411", "Clients", 1481480, aux="411-DUPONT", aux_label="Clients - DUPONT"),
          L("706", "Prestations de services", credit=1234567),
          L("44571", "TVA collectée", credit=246913)),
    ]


def fec_text(entries: list[FecEntry], separator: str = "|") -> str:
    out = io.StringIO()
    write_fec(entries, out, separator)
    return out.getvalue()


FIRST_LINE = ["VT", "Ventes", "1", "20260115", "411", "Clients", "411-BOULANGE",
              "Clients - BOULANGE", "F2026-001", "20260115", "Facture Boulange", "1200,00", "0,00",
              "", "", "20260115", "", ""]


@pytest.mark.parametrize("separator", ["|", "\t"])
def test_the_demo_year_is_a_valid_fec(separator):
    out = io.StringIO()
    assert write_fec(demo_year(), out, separator) == 16
    text = out.getvalue()
    assert validate_fec(text) == []
    lines = text.split("\n")
    assert lines[0] == separator.join(FEC_COLUMNS) and lines[-1] == "" and "\r" not in text
    assert lines[1] == separator.join(FIRST_LINE)
    assert lines[1:4] == [separator.join(row) for row in (
        FIRST_LINE,
        ["VT", "Ventes", "1", "20260115", "706", "Prestations de services", "", "", "F2026-001",
         "20260115", "Facture Boulange", "0,00", "1000,00", "", "", "20260115", "", ""],
        ["VT", "Ventes", "1", "20260115", "44571", "TVA collectée", "", "", "F2026-001",
         "20260115", "Facture Boulange", "0,00", "200,00", "", "", "20260115", "", ""])]
    assert separator.join(["12345,67", "0,00"]) not in text  # a credit: debit column 0,00
    assert f"{separator}0,00{separator}12345,67{separator}" in text


def test_the_pipe_line_reads_literally():
    text = fec_text(demo_year())
    assert text.splitlines()[1] == ("VT|Ventes|1|20260115|411|Clients|411-BOULANGE|"
                                    "Clients - BOULANGE|F2026-001|20260115|Facture Boulange|"
                                    "1200,00|0,00|||20260115||")
    assert text.startswith("JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|")


def test_no_entries_gives_a_header_only_file():
    out = io.StringIO()
    assert write_fec([], out) == 0
    assert out.getvalue() == "|".join(FEC_COLUMNS) + "\n"
    assert validate_fec(out.getvalue()) == []


def test_the_writer_streams_entry_by_entry():
    out = io.StringIO()

    def entries() -> Iterator[FecEntry]:
        first, second, *_ = demo_year()
        yield first
        assert "Facture Boulange" in out.getvalue()  # written before the next one is asked for
        yield second

    assert write_fec(entries(), out) == 5


# --- the validator catches each defect --------------------------------------------------------

Rows = list[list[str]]


def edit(change: Callable[[Rows], object]) -> str:
    rows = [line.split("|") for line in fec_text(demo_year()).splitlines()]
    change(rows)
    return "".join("|".join(row) + "\n" for row in rows)


def swap(row: list[str], a: int, b: int) -> None:
    row[a], row[b] = row[b], row[a]


def test_the_validator_catches_each_defect():
    D, C = 11, 12  # Debit, Credit columns

    def header_swapped(rows: Rows) -> None:
        swap(rows[0], 4, 5)

    def row_columns_swapped(rows: Rows) -> None:
        swap(rows[1], 3, 4)  # EcritureDate <-> CompteNum

    def dot_decimal(rows: Rows) -> None:
        rows[1][D] = "1200.00"

    def thousands_space(rows: Rows) -> None:
        rows[1][D] = "1 200,00"

    def thousands_dot(rows: Rows) -> None:
        rows[1][D] = "1.200,00"

    def one_decimal(rows: Rows) -> None:
        rows[1][D] = "1200,0"

    def gap(rows: Rows) -> None:
        rows[:] = [row for row in rows if row[2] != "2"]

    def starts_at_two(rows: Rows) -> None:
        rows[:] = [row for row in rows if row[2] != "1"]

    def unbalanced(rows: Rows) -> None:
        rows[1][D] = "1200,01"

    def bad_date(rows: Rows) -> None:
        rows[1][9] = "20260230"

    def short_date(rows: Rows) -> None:
        rows[1][15] = "2026-01-15"

    def bad_date_let(rows: Rows) -> None:
        rows[1][14] = "15012026"

    def two_dates(rows: Rows) -> None:
        rows[2][3] = "20260116"

    def interleaved(rows: Rows) -> None:
        rows.insert(2, rows.pop(4))  # a line of entry 2 inside entry 1

    def debit_and_credit(rows: Rows) -> None:
        rows[1][D], rows[1][C] = "1300,00", "100,00"

    def empty_account(rows: Rows) -> None:
        rows[1][4] = ""

    def empty_label(rows: Rows) -> None:
        rows[1][10] = ""

    def missing_field(rows: Rows) -> None:
        del rows[1][17]

    def other_separator(rows: Rows) -> None:
        rows[1] = ["\t".join(rows[1])]

    defects = [(header_swapped, "header"), (row_columns_swapped, "EcritureDate"),
               (dot_decimal, "Debit"), (thousands_space, "Debit"), (thousands_dot, "Debit"),
               (one_decimal, "Debit"), (gap, "continuous"), (starts_at_two, "continuous"),
               (unbalanced, "unbalanced"), (bad_date, "PieceDate"), (short_date, "ValidDate"),
               (bad_date_let, "DateLet"), (two_dates, "EcritureDate"),
               (interleaved, "contiguous"), (debit_and_credit, "both"),
               (empty_account, "CompteNum"), (empty_label, "EcritureLib"),
               (missing_field, "fields"), (other_separator, "fields")]
    assert validate_fec(edit(lambda rows: None)) == []
    for change, expected in defects:
        problems = validate_fec(edit(change))
        assert any(expected in problem for problem in problems), (change.__name__, problems)
    assert validate_fec("") != []


# --- the writer refuses what the FEC cannot hold ----------------------------------------------

def renumbered(numbers: list[int]) -> list[FecEntry]:
    return [replace(entry, number=number)
            for entry, number in zip(demo_year(), numbers, strict=False)]


@pytest.mark.parametrize("numbers", [[1, 3], [2, 3], [2, 1], [0, 1], [1, 1], [True, 2]])
def test_the_writer_refuses_a_non_continuous_sequence(numbers):
    with pytest.raises(ValueError, match="1..n"):
        write_fec(renumbered(numbers), io.StringIO())


def test_the_writer_refuses_an_unbalanced_entry_and_writes_nothing_of_it():
    unbalanced = E(2, BQ, date(2026, 2, 10), "X", "Règlement",
                   L("512", "Banque", 120000), L("411", "Clients", credit=119999))
    out = io.StringIO()
    with pytest.raises(ValueError, match="unbalanced"):
        write_fec([demo_year()[0], unbalanced], out)
    assert len(out.getvalue().splitlines()) == 4  # header + entry 1


@pytest.mark.parametrize(("debit", "credit", "error"), [
    (1200.0, 0, TypeError), (0, 12.5, TypeError), (True, 0, TypeError), ("100", 0, TypeError),
    (-100, 0, ValueError), (0, -100, ValueError), (100, 100, ValueError)])
def test_the_writer_refuses_bad_amounts(debit, credit, error):
    entry = E(1, BQ, date(2026, 1, 2), "X", "Y", L("512", "Banque", debit, credit),
              L("411", "Clients", credit, debit))
    with pytest.raises(error):
        write_fec([entry], io.StringIO())


def test_the_writer_refuses_an_empty_entry_or_blank_required_fields():
    with pytest.raises(ValueError, match="no line"):
        write_fec([E(1, BQ, date(2026, 1, 2), "X", "Y")], io.StringIO())
    with pytest.raises(ValueError, match="account_number"):
        write_fec([E(1, BQ, date(2026, 1, 2), "X", "Y", L(" ", "Banque"))], io.StringIO())
    with pytest.raises(ValueError, match="piece_ref"):
        write_fec([E(1, BQ, date(2026, 1, 2), "", "Y", L("512", "Banque"))], io.StringIO())


@pytest.mark.parametrize("separator", [";", ",", "||", "", " "])
def test_the_writer_refuses_another_separator(separator):
    with pytest.raises(ValueError, match="separator"):
        write_fec(demo_year(), io.StringIO(), separator)


@pytest.mark.parametrize("separator", ["|", "\t"])
def test_a_separator_or_newline_inside_a_field_becomes_a_space(separator):
    entry = E(1, VT, date(2026, 1, 15), f"F{separator}1", f"Facture{separator}Boulange\r\nsuite",
              L("411", "Clients\n", 100, aux=f"411{separator}B", aux_label="a\rb"),
              L("706", "Prestations", credit=100))
    text = fec_text([entry], separator)
    assert validate_fec(text) == []
    fields = text.split("\n")[1].split(separator)
    assert fields[5:11] == ["Clients ", "411 B", "a b", "F 1", "20260115",
                            "Facture Boulange  suite"]


def test_format_amount():
    assert format_amount(0) == "0,00"
    assert format_amount(5) == "0,05"
    assert format_amount(100) == "1,00"
    assert format_amount(123450) == "1234,50"
    assert format_amount(123456789) == "1234567,89"
    with pytest.raises(ValueError):
        format_amount(-1)
    with pytest.raises(TypeError):
        format_amount(1.5)  # type: ignore[arg-type]


def test_fec_filename():
    assert fec_filename("552100554", date(2026, 12, 31)) == "552100554FEC20261231.txt"
    with pytest.raises(ValueError):
        fec_filename("55210055", date(2026, 12, 31))


@pytest.mark.parametrize("year", ["0", "1899", "2201", "10000", "２０２６", "-1"])
def test_the_fec_command_refuses_a_year_out_of_range_before_touching_a_store(year, capsys):
    from cae_ledger.entrypoints import cli

    with pytest.raises(SystemExit) as exited:  # was a traceback (date(0, 12, 31))
        cli.main(["fec", "--cooperative", "x", "--year", year])
    assert exited.value.code == 2
    assert "a year from 1900 to 2200" in capsys.readouterr().err
