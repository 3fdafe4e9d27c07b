"""`cae members import`: a dry run names every bad line, a failing import writes nothing,
a re-import writes nothing (real database, through the command line)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cae_members.entrypoints.service import MembersService
from caekit.testing import bearer, count_rows
from services.members.tests.integration.import_files import BAD, GOOD, HEADER


@pytest.fixture
def members(start_service):
    return start_service(MembersService)


@pytest.fixture
def coop(http, members, token):
    return http.post(f"{members.url}/cooperatives", headers=bearer(token("ops", "network_operator")),
                     json={"name": "Coopaname", "siren": "732829320", "legal_form": "SCOP-SA"}
                     ).json()["id"]


def cae_import(members, coop, tmp_path, text, *extra):
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "CAE_DATABASE_URL": members.settings.database_url}
    return subprocess.run([sys.executable, "-m", "caekit.cli", "members", "import", str(path),
                           "--cooperative", coop, *extra],
                          capture_output=True, text=True, env=env, timeout=120)


def state(members) -> tuple[int, ...]:
    url = members.settings.database_url
    return tuple(count_rows(url, t) for t in ("members", "contracts", "member_steps", "activities",
                                              "outbox"))


def test_a_dry_run_then_an_import_then_a_reimport(members, coop, tmp_path, http, token):
    before = state(members)
    dry = cae_import(members, coop, tmp_path, GOOD, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would create 3" in dry.stdout
    assert state(members) == before
    real = cae_import(members, coop, tmp_path, GOOD)
    assert real.returncode == 0, real.stdout + real.stderr
    assert "created 3, skipped 0" in real.stdout
    after = state(members)
    # steps: candidate + CAPE + CESA, candidate + CESA + associate, candidate + CAPE + exit
    assert after[:4] == (before[0] + 3, before[1] + 4, before[2] + 9, before[3] + 1)
    again = cae_import(members, coop, tmp_path, GOOD)
    assert "created 0, skipped 3" in again.stdout
    assert state(members) == after, "a re-import changes nothing"
    staff = bearer(token("alice", "staff", coop))
    people = {m["last_name"]: m for m in http.get(f"{members.url}/cooperatives/{coop}/members",
                                                  headers=staff).json()["items"]}
    assert people["Martin"]["associate_deadline"] == "2028-01-01"  # CAPE of 10 months, then CESA
    assert people["Benali"]["associate_on"] == "2025-06-30"
    assert people["Moreau"]["left_on"] == "2024-08-31"


def test_a_bad_file_names_each_bad_line_and_writes_nothing(members, coop, tmp_path):
    before = state(members)
    for extra in (("--dry-run",), ()):
        result = cae_import(members, coop, tmp_path, BAD, *extra)
        assert result.returncode == 1
        out = result.stdout
        assert "line 2, joined_on: Not a valid date." in out
        assert "line 3, email:" in out
        assert "line 4, cape.too_long:" in out and "L127-1" in out
        assert "line 5, person_ref: P-3 is already on line 4" in out
        assert "line 6, activity_code:" in out
        assert state(members) == before
    assert "nothing was written" in result.stdout


def test_a_file_without_the_required_columns_is_refused(members, coop, tmp_path):
    result = cae_import(members, coop, tmp_path, "name,email\nLéa,l@example.org\n", "--dry-run")
    assert result.returncode == 1
    assert "line 1, person_ref, first_name, last_name, joined_on: missing column" in result.stdout


def test_the_help_of_the_command_documents_every_column(tmp_path):
    from cae_members.adapters.schemas import ImportRow

    result = subprocess.run([sys.executable, "-m", "caekit.cli", "members", "import", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name, column in ImportRow().fields.items():
        line = next(line for line in result.stdout.splitlines()
                    if line.strip().startswith(name + " "))
        assert ("required" if column.required else "optional") in line
        assert f"e.g. {column.metadata['example']}" in line
    assert "YYYY-MM-DD" in result.stdout and "UTF-8" in result.stdout


HOSTILE = HEADER + (
    "P-1;Lé\x00a;Martin;lea@example.org;2025-01-01;;;;;;;;\n"          # line 2: a NUL
    'P-2;Karim;Benali;karim@example.org;2023-02-01;;;;;;;"A\nB";\n'     # lines 3-4: a break
    "P-3;Inès;Moreau;ines@example.org;0001-01-01;;;;;;;;\n"            # line 5: out of range
    "P-4;Jo;Petit;jo@example.org;2024-03-01;;;;;;;;\x1b[31mred\n"       # line 6: an escape
    "P-5;Al;Blanc;al@example.org;2024-03-01;;;;;;;;" + "x" * 201 + "\n"  # line 7: too long
)


def test_a_hostile_file_names_each_bad_line_and_writes_nothing(members, coop, tmp_path):
    """Regression: a NUL in a cell failed the import with a traceback on PostgreSQL."""
    before = state(members)
    for extra in (("--dry-run",), ()):
        result = cae_import(members, coop, tmp_path, HOSTILE, *extra)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        out = result.stdout
        assert "line 2, first_name: one line of text" in out
        assert "activity_code:" in out
        assert "joined_on: a date between 1900-01-01 and 2200-12-31" in out
        assert "line 6, activity_name:" in out
        assert "line 7, activity_name:" in out
        assert state(members) == before


@pytest.mark.parametrize("cooperative", ["not-a-uuid", "\x01", "00000000-0000-4000-8000-"
                                                               "000000000000"])
def test_an_unknown_cooperative_is_one_clean_error(members, coop, tmp_path, cooperative):
    result = cae_import(members, cooperative, tmp_path, GOOD, "--dry-run")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "line 0, cooperative: unknown cooperative" in result.stdout


def test_a_missing_file_is_one_clean_error(members, coop, tmp_path):
    env = {**os.environ, "CAE_DATABASE_URL": members.settings.database_url}
    result = subprocess.run([sys.executable, "-m", "caekit.cli", "members", "import",
                             str(tmp_path / "nowhere.csv"), "--cooperative", coop],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "line 0, -: cannot read" in result.stdout
