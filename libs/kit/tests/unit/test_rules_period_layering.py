"""The kit's standard-library pieces every domain shares (rules, period), how the HTTP layer
answers a refusal, commit-time work declared on a session, and the import-linter contract
that keeps a domain free of anything but the standard library."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from caekit import outbox
from caekit.db import make_engine, make_session_factory
from caekit.http import problem_of_refusal
from caekit.period import Period
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord

ROOT = Path(__file__).resolve().parents[4]


# -- rules ------------------------------------------------------------------------------
def test_a_refusal_names_its_rule_message_and_fields():
    refusal = RuleViolation("cape.too_long", "a CAPE lasts at most 12 months", ("ends_on",))
    assert (refusal.rule, refusal.message) == ("cape.too_long", "a CAPE lasts at most 12 months")
    assert refusal.fields == {"ends_on": "a CAPE lasts at most 12 months"}
    assert str(refusal) == "cape.too_long: a CAPE lasts at most 12 months"
    named = ConflictingState("activity.code_used", "LEA is used",
                             {"code": "already used in this cooperative"})
    assert named.fields == {"code": "already used in this cooperative"}


@pytest.mark.parametrize(("refusal", "status"), [
    (RuleViolation("stage.after_exit", "left on 2026-01-01"), 422),
    (UnknownRecord("member.unknown", "no member 42 in this cooperative"), 404),
    (ConflictingState("activity.code_used", "LEA is used", {"code": "already used"}), 409),
])
def test_the_http_layer_answers_each_kind_of_refusal_in_one_place(refusal, status):
    problem = problem_of_refusal(refusal)
    assert problem.status == status
    assert problem.detail == refusal.message
    assert problem.errors["rule"] == [refusal.rule]
    assert all(problem.errors[name] == [text] for name, text in refusal.fields.items())


# -- period -----------------------------------------------------------------------------
def test_a_period_is_a_month_written_yyyy_mm_and_stored_as_yyyymm():
    march = Period.parse("2026-03")
    assert march == 202603 and isinstance(march, int)
    assert march.text == "2026-03" and (march.year, march.month) == (2026, 3)
    assert (march.first_day, march.last_day) == (date(2026, 3, 1), date(2026, 3, 31))
    assert Period.of(date(2024, 2, 10)).last_day == date(2024, 2, 29)  # leap year
    assert Period(202612).next() == 202701 and Period(202701).previous() == 202612
    assert sorted([Period(202701), Period(202612)]) == [202612, 202701]


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-3", "26-03", "2026-03-01", "", "٢٠٢٦-٠٣",
                                  "1899-12", "2201-01", None, 202603])
def test_anything_but_a_month_of_the_platform_s_years_is_refused(text):
    with pytest.raises(RuleViolation) as refused:
        Period.parse(text)
    assert refused.value.rule == "period.invalid" and "period" in refused.value.fields


# -- commit-time work -------------------------------------------------------------------
def test_commit_time_work_is_declared_on_the_session_and_forgotten_with_its_transaction():
    sessions = make_session_factory(make_engine("sqlite://"))
    written = []

    def write(session: Session, state: list) -> None:
        written.append(list(state))

    with sessions() as session:
        outbox.transaction_work(session, "probe", list, write).append(1)
        outbox.transaction_work(session, "probe", list, write).append(2)  # the same state
        session.commit()
        assert written == [[1, 2]]
        outbox.transaction_work(session, "probe", list, write).append(3)
        session.rollback()  # forgotten: never written
        session.commit()
        assert written == [[1, 2]]
    with sessions() as other:  # another session of the process: nothing declared on it
        other.commit()
    assert written == [[1, 2]]


# -- the domain contract ----------------------------------------------------------------
def _lint(tmp_path: Path, domain_source: str) -> subprocess.CompletedProcess:
    package = tmp_path / "cae_probe"
    (package / "domain").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "domain" / "__init__.py").write_text("")
    (package / "domain" / "rules.py").write_text(textwrap.dedent(domain_source))
    config = tmp_path / "contracts.toml"
    config.write_text(textwrap.dedent("""
        [tool.importlinter]
        root_packages = ["cae_probe", "caekit"]
        include_external_packages = true
        contract_types = ["standard_library_only: caekit.layering.StandardLibraryOnlyContract"]

        [[tool.importlinter.contracts]]
        name = "domain"
        type = "standard_library_only"
        source_modules = ["cae_probe.domain"]
        allowed_modules = ["caekit.rules", "caekit.period"]
    """))
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), str(config), "--no-cache"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "300", "PYTHONPATH": f"{tmp_path}:{ROOT / 'libs/kit'}"})


def test_a_domain_importing_the_standard_library_and_the_kit_s_rules_keeps_the_contract(tmp_path):
    kept = _lint(tmp_path, """
        from datetime import date
        from caekit.period import Period
        from caekit.rules import RuleViolation
    """)
    assert kept.returncode == 0, kept.stdout + kept.stderr


@pytest.mark.parametrize("line", ["import sqlalchemy", "from caekit.db import make_engine",
                                  "from marshmallow import Schema"])
def test_a_domain_importing_anything_else_breaks_the_contract(tmp_path, line):
    broken = _lint(tmp_path, f"from datetime import date\n{line}\n")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "BROKEN" in broken.stdout and line in broken.stdout
