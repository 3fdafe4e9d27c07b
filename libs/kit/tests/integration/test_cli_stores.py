"""Only `cae migrate` creates a store, on a real database (PostgreSQL under `make test`):
every other command refuses a database without tables, or one that does not exist, in one
line with exit code 2; after `cae migrate` the same command works."""

import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text

from caekit.testing import PG_ADMIN_URL, backend


def _cae(*args, url: str, cwd) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CAE_ENV_FILE": "",
           "CAE_DATABASE_URL": url, "CAE_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "caekit.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def empty_database(tmp_path):
    """The URL of a database without tables (an empty PostgreSQL database, or an SQLite
    file nothing was written to)."""
    if backend() != "postgresql":
        path = tmp_path / "empty.db"
        path.touch()
        yield f"sqlite:///{path}"
        return
    name = f"cae_t_cli_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    parts = urlsplit(PG_ADMIN_URL)
    yield urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_store_without_tables_is_refused_until_cae_migrate(empty_database, tmp_path):
    refused = _cae("prune", "members", url=empty_database, cwd=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("cae: the members store ")
    assert "has no tables" in refused.stderr and "run cae migrate members" in refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    if "://" in empty_database and "@" in empty_database:
        assert ":***@" in refused.stderr  # never the password
    # a service's own command too (the kit checks the store its engine opens)
    fec = _cae("ledger", "fec", "--cooperative", "c", "--year", "2026", url=empty_database,
               cwd=tmp_path)
    assert fec.returncode == 2 and "the ledger store" in fec.stderr, fec.stderr
    assert "has no tables" in fec.stderr and list(tmp_path.glob("*FEC*")) == []

    assert _cae("migrate", "members", url=empty_database, cwd=tmp_path).returncode == 0
    pruned = _cae("prune", "members", url=empty_database, cwd=tmp_path)
    assert pruned.returncode == 0, pruned.stderr
    assert "members: pruned 0 outbox" in pruned.stdout


@pytest.mark.skipif(backend() != "postgresql", reason="a database server that lacks the database")
def test_a_database_that_does_not_exist_is_refused_in_one_line(tmp_path):
    parts = urlsplit(PG_ADMIN_URL)
    missing = urlunsplit((parts.scheme, parts.netloc, f"/cae_t_missing_{uuid.uuid4().hex[:8]}",
                          "", ""))
    result = _cae("payroll", "progress", "--cooperative", "c", "--run", "r", url=missing,
                  cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("cae: cannot open the payroll store postgresql://")
    assert "does not exist" in result.stderr and result.stderr.count("\n") == 1
