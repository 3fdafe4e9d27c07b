"""Import an existing CAE's people, contracts and activities from a CSV file.

    cae members import people.csv --cooperative <id> [--dry-run]

The file's format and its columns are described once, by ``ImportRow`` (the columns,
their validators and metadata) and ``FILE_FORMAT`` here: ``help_text()`` writes them for
``cae members import --help``.

Every row goes through the same rules as the API. A dry run reports every error
by line and column and writes nothing; a real import writes everything or, at
the first error found, nothing. A person already imported (same person_ref) is
skipped, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from marshmallow import ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from cae_members.adapters.schemas import ACTIVITY_CODE, ONE_LINE, ImportRow
from cae_members.adapters.store import Member
from cae_members.domain.activities import CODE_TEXT
from cae_members.usecases import cooperatives, membership
from caekit.bounds import FIRST_DAY, LAST_DAY
from caekit.rules import RuleViolation, UnknownRecord

COLUMNS = ImportRow().fields
REQUIRED = tuple(name for name, column in COLUMNS.items() if column.required)
MAX_ROWS = 200_000

FILE_FORMAT = f"""\
The file: CSV, fields separated by "," or ";", UTF-8 with or without a BOM, a first
line naming the columns (in any order; unknown columns are ignored), then one line
per person, at most {MAX_ROWS:,} lines. A blank cell is an absent value. Every line
goes through the same rules as the API; a dry run prints every error as
"line N, column: message" and writes nothing; an import writes every line or, if one
fails, nothing; a person already imported (same person_ref) is skipped, so importing
a file twice changes nothing."""


def column_format(column: fields.Field) -> str:
    """How a column is written, from its field and validators."""
    if isinstance(column, fields.Email):
        return "an e-mail address"
    if isinstance(column, fields.Date):
        return f"a date YYYY-MM-DD, {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
    if ACTIVITY_CODE in column.validators:
        return CODE_TEXT.removeprefix("an activity code is ")
    kind = "one line of text" if ONE_LINE in column.validators else "text"
    lengths = [v for v in column.validators if isinstance(v, validate.Length)]
    return kind + (f", at most {lengths[0].max} characters" if lengths else "")


def help_text() -> str:
    """The format of the file and of each column: name, required or not, format, example."""
    rows = [(name, "required" if column.required else "optional", column_format(column),
             column.metadata.get("example", ""), column.metadata.get("description", ""))
            for name, column in COLUMNS.items()]
    width = max(len(name) for name, *_ in rows)
    lines = [FILE_FORMAT, "", "Columns:"]
    for name, required, written, example, meaning in rows:
        lines.append(f"  {name:<{width}}  {required:<8}  {written}; e.g. {example}")
        if meaning:
            lines.append(f"  {'':<{width}}  {meaning}")
    return "\n".join(lines)


@dataclass
class Line:
    """What one line of the file creates: ``outcome`` is created, skipped or refused."""

    line: int
    person_ref: str | None
    first_name: str | None
    last_name: str | None
    outcome: str
    contracts: list[str] = field(default_factory=list)  # CAPE, CESA


@dataclass
class Report:
    rows: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)
    contracts: int = 0
    outcomes: list[Line] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"line {line}, {column}: {message}" for line, column, message in self.errors]


def read(text: str) -> tuple[list[str], list[tuple[int, dict]]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    return list(reader.fieldnames or []), [(reader.line_num, row) for row in reader]


def _apply(session: Session, cooperative_id: str, row: dict) -> None:
    person = membership.register_member(
        session, cooperative_id, first_name=row["first_name"], last_name=row["last_name"],
        email=row["email"], joined_on=row["joined_on"], activity_code=row["activity_code"],
        activity_name=row["activity_name"], external_ref=row["person_ref"])
    if row["cape_signed_on"]:
        membership.sign_contract(session, person, kind="CAPE", signed_on=row["cape_signed_on"],
                                 ends_on=row["cape_ends_on"])
    if row["cesa_signed_on"]:
        membership.sign_contract(session, person, kind="CESA", signed_on=row["cesa_signed_on"],
                                 trial_ends_on=row["trial_ends_on"])
    if row["associate_on"]:
        membership.admit_associate(session, person, row["associate_on"])
    if row["left_on"]:
        membership.record_exit(session, person, row["left_on"], row["left_reason"] or "imported")


def import_rows(session: Session, cooperative_id: str, header: list[str],
                rows: list[tuple[int, dict]], progress=None) -> Report:
    """Apply the rows in ``session`` (the caller commits or rolls back); report every error."""
    report = Report(rows=len(rows))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append((1, ", ".join(missing), "missing column"))
        return report
    if len(rows) > MAX_ROWS:
        report.errors.append((1, "-", f"more than {MAX_ROWS} rows: split the file"))
        return report
    def outcome(line: int, raw: dict, kind: str, contracts=()) -> None:
        cells = {k: (raw.get(k) or "").strip()[:100] or None
                 for k in ("person_ref", "first_name", "last_name")}
        report.outcomes.append(Line(line, **cells, outcome=kind, contracts=list(contracts)))

    known = set(session.scalars(select(Member.external_ref).where(Member.external_ref.is_not(None))))
    seen: dict[str, int] = {}
    for done, (line, raw) in enumerate(rows, 1):
        if progress:
            progress(done, len(rows))
        try:
            row = ImportRow().load(raw)
        except ValidationError as exc:
            for column, messages in sorted(exc.messages.items()):
                report.errors.append((line, column, " ".join(map(str, messages))))
            outcome(line, raw, "refused")
            continue
        ref = row["person_ref"]
        if ref in seen:
            report.errors.append((line, "person_ref", f"{ref} is already on line {seen[ref]}"))
            outcome(line, raw, "refused")
            continue
        seen[ref] = line
        if ref in known:
            report.skipped += 1
            outcome(line, raw, "skipped")
            continue
        contracts = [kind for kind in ("CAPE", "CESA") if row[f"{kind.lower()}_signed_on"]]
        try:
            _apply(session, cooperative_id, row)
            session.flush()
            report.created += 1
            report.contracts += len(contracts)
            outcome(line, raw, "created", contracts)
        except RuleViolation as exc:  # named by the fields it is about, else by its rule
            report.errors.append((line, ", ".join(exc.fields) or exc.rule, exc.message))
            outcome(line, raw, "refused")
        except (ValueError, OverflowError) as exc:  # a value no rule foresaw: report, go on
            report.errors.append((line, "-", str(exc)[:300]))
            outcome(line, raw, "refused")
    return report


def run(session: Session, cooperative_id: str, text: str, *, dry_run: bool,
        progress=None) -> Report:
    try:
        cooperatives.find_cooperative(session, cooperative_id)
    except UnknownRecord as exc:
        return Report(errors=[(0, "cooperative", exc.message)])
    session.info["tenant_id"] = cooperative_id
    try:
        header, rows = read(text)
    except csv.Error as exc:
        return Report(errors=[(0, "-", f"the file is not readable CSV: {exc}")])
    report = import_rows(session, cooperative_id, header, rows, progress)
    if dry_run or report.errors:
        session.rollback()  # all or nothing
        if not dry_run:
            report.created = report.contracts = 0
    else:
        session.commit()
    return report


def import_file(session: Session, cooperative_id: str, text: str, *, dry_run: bool,
                max_rows: int) -> Report:
    """The import of the HTTP API: ``run``, but an unknown cooperative, a file that is not
    CSV or has more than ``max_rows`` people lines is refused as a whole (``RuleViolation``
    naming ``csv``) rather than reported. The caller answers a report with errors of a real
    import as a refusal: nothing was written."""
    cooperatives.find_cooperative(session, cooperative_id)  # UnknownRecord: a 404
    try:
        _, rows = read(text)
    except csv.Error as exc:
        raise RuleViolation("import.not_csv", f"the file is not readable CSV: {exc}",
                            ["csv"]) from exc
    if len(rows) > max_rows:
        raise RuleViolation("import.too_many_rows",
                            f"the file has {len(rows):,} people lines; at most {max_rows:,} "
                            f"are imported at once: split the file", ["csv"])
    return run(session, cooperative_id, text, dry_run=dry_run)
