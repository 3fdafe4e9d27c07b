"""The ``cae`` command line without a broker or a database server: where it finds the demo's
settings and which win, that it never creates a store, its help, its one-line refusals."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys

import pytest

from caekit import cli, dlq
from caekit.db import MissingStore, check_store, existing_stores_only, make_engine

DEMO_ENV = """# written by scripts/demo.sh
CAE_AMQP_URI=amqp://guest:guest@127.0.0.1:5672/cae_demo
CAE_LEDGER_DATABASE_URL=sqlite:////somewhere/ledger.db
export CAE_MEMBERS_DATABASE_URL='sqlite:////with space/members.db'
CAE_JWT_SECRET=a-demo-secret-of-at-least-32-characters   # a comment after a value
CAE_DEMO_VHOST=
"""


@pytest.fixture(autouse=True)
def _no_demo_file(monkeypatch):
    """No test reads a demo file it did not write (`make demo` may run on this machine)."""
    monkeypatch.setenv("CAE_ENV_FILE", "")


@pytest.fixture
def no_cae_variables(monkeypatch):
    """An environment with no CAE_* variable but CAE_ENV_FILE= (no demo file looked for,
    unless a test asks)."""
    for name in [n for n in os.environ if n.startswith("CAE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CAE_ENV_FILE", "")
    return monkeypatch


def _demo(root) -> str:
    path = root / "var" / "demo" / "demo.env"
    path.parent.mkdir(parents=True)
    path.write_text(DEMO_ENV)
    return str(path)


# -- the demo's environment file ------------------------------------------------------------
def test_the_demo_file_is_found_in_the_current_directory_then_in_the_checkout(
        tmp_path, no_cae_variables):
    here, checkout = tmp_path / "here", tmp_path / "checkout"
    here.mkdir()
    no_cae_variables.delenv("CAE_ENV_FILE")
    no_cae_variables.chdir(here)
    no_cae_variables.setattr(cli, "checkout_root", lambda: str(checkout))
    assert cli.environment_file() is None
    in_checkout = _demo(checkout)
    assert cli.environment_file() == in_checkout
    in_here = _demo(here)
    assert os.path.samefile(cli.environment_file(), in_here)
    no_cae_variables.setenv("CAE_ENV_FILE", in_checkout)
    assert cli.environment_file() == in_checkout
    no_cae_variables.setenv("CAE_ENV_FILE", "")
    assert cli.environment_file() is None


def test_the_file_fills_only_the_settings_the_environment_does_not_give(tmp_path):
    path = _demo(tmp_path)
    environ = {"CAE_ENV_FILE": path, "CAE_DATABASE_URL": "postgresql://mine/db",
               "CAE_JWT_SECRET": "mine"}
    found, taken = cli.apply_environment_file(environ)
    assert found == path
    # the shared CAE_DATABASE_URL of the environment means every service: the file's
    # service-specific URLs (which would win over it) are not taken
    assert taken == {"CAE_AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/cae_demo",
                     "CAE_DEMO_VHOST": ""}
    assert environ["CAE_JWT_SECRET"] == "mine" and environ["CAE_DATABASE_URL"] == "postgresql://mine/db"
    assert "CAE_LEDGER_DATABASE_URL" not in environ

    fresh = {"CAE_ENV_FILE": path}
    cli.apply_environment_file(fresh)
    assert fresh["CAE_MEMBERS_DATABASE_URL"] == "sqlite:////with space/members.db"
    assert fresh["CAE_JWT_SECRET"] == "a-demo-secret-of-at-least-32-characters"


def test_settings_read_the_demo_file_through_the_command_line(tmp_path, no_cae_variables):
    from caekit.config import Settings

    environ = {"CAE_ENV_FILE": _demo(tmp_path),
               "CAE_LEDGER_AMQP_URI": "amqp://guest:guest@elsewhere:5672/x"}
    cli.apply_environment_file(environ)
    for name, value in environ.items():
        no_cae_variables.setenv(name, value)  # undone after the test
    assert Settings.from_env("ledger").database_url == "sqlite:////somewhere/ledger.db"
    assert Settings.from_env("ledger").amqp_uri == "amqp://guest:guest@elsewhere:5672/x"
    assert Settings.from_env("payroll").amqp_uri.endswith("/cae_demo")


@pytest.mark.parametrize("line", ["CAE_X=two words", "NOT_CAE=1", "CAE_X", "CAE_X='open"])
def test_a_malformed_line_is_refused_with_its_number(tmp_path, line):
    path = tmp_path / "demo.env"
    path.write_text(f"# fine\n{line}\n")
    with pytest.raises(cli.CommandError, match=r"demo.env, line 2: expected CAE_NAME=value"):
        cli.read_environment_file(str(path))


def test_a_named_file_that_does_not_exist_is_refused(tmp_path, capsys, no_cae_variables):
    no_cae_variables.setenv("CAE_ENV_FILE", str(tmp_path / "nope.env"))
    assert cli.main(["token", "--sub", "a", "--roles", "staff"]) == 2
    assert capsys.readouterr().err == f"cae: CAE_ENV_FILE={tmp_path / 'nope.env'}: no such file\n"


# -- never a store but by `cae migrate` -------------------------------------------------------
def _refused(capsys, argv, *expected) -> str:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("cae: "), err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err
    return err


@pytest.mark.parametrize("argv, service", [
    (["prune", "ledger"], "ledger"),
    (["relay", "members"], "members"),
    (["ledger", "fec", "--cooperative", "c", "--year", "2026"], "ledger"),
    (["payroll", "progress", "--cooperative", "c", "--run", "r"], "payroll"),
])
def test_no_command_but_migrate_creates_a_missing_sqlite_store(argv, service, tmp_path, capsys,
                                                               no_cae_variables):
    no_cae_variables.chdir(tmp_path)
    store = tmp_path / "stores" / f"{service}.db"
    no_cae_variables.setenv("CAE_DATABASE_URL", f"sqlite:///{store}")
    _refused(capsys, argv, f"the {service} store sqlite:///{store} does not exist",
             f"run cae migrate {service}")
    assert list(tmp_path.rglob("*")) == []  # no file, no directory


def test_members_import_refuses_a_missing_store_and_creates_nothing(tmp_path, capsys,
                                                                    no_cae_variables):
    no_cae_variables.chdir(tmp_path)
    (tmp_path / "people.csv").write_text("person_ref,first_name,last_name,email,joined_on\n")
    _refused(capsys, ["members", "import", "people.csv", "--cooperative", "c", "--dry-run"],
             "the members store sqlite:///var/cae-members.db", "run cae migrate members")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["people.csv"]


def test_a_store_without_tables_is_refused_too(tmp_path, capsys, no_cae_variables):
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # a file, no table (a stray file of an older cae)
    no_cae_variables.setenv("CAE_LEDGER_DATABASE_URL", f"sqlite:///{empty}")
    _refused(capsys, ["prune", "ledger"], "has no tables (alembic_version is missing or empty)",
             "run cae migrate ledger")
    with sqlite3.connect(empty) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    _refused(capsys, ["prune", "ledger"], "has no tables")


def test_check_store_passes_a_migrated_store_and_refuses_the_rest(tmp_path):
    store = tmp_path / "x.db"
    with pytest.raises(MissingStore, match="does not exist: run cae migrate <service>"):
        check_store(f"sqlite:///{store}")
    assert not store.exists()
    with pytest.raises(MissingStore, match="in-memory"):
        check_store("sqlite://", "ledger")
    with sqlite3.connect(store) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('head')")
    check_store(f"sqlite:///{store}", "ledger")
    with existing_stores_only("ledger"):
        make_engine(f"sqlite:///{store}").dispose()
        with pytest.raises(MissingStore, match="the ledger store"):
            make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    make_engine(f"sqlite:///{tmp_path / 'other.db'}").dispose()  # outside the CLI: as before


def test_a_store_url_that_is_not_one_is_refused_in_one_line(capsys, no_cae_variables):
    no_cae_variables.setenv("CAE_DATABASE_URL", "not a url")
    _refused(capsys, ["prune", "ledger"], "not a database URL")


def test_the_refusal_is_one_line_and_exit_code_2_end_to_end(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CAE_ENV_FILE": ""}
    result = subprocess.run([sys.executable, "-m", "caekit.cli", "ledger", "fec",
                             "--cooperative", "c", "--year", "2026"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("cae: the ledger store sqlite:///var/cae-ledger.db (")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_a_service_not_installed_is_one_line_too(capsys, no_cae_variables, monkeypatch):
    # installed, without a command line
    _refused(capsys, ["governance", "anything"], "the governance service has no commands")
    # an image built without it
    monkeypatch.setattr(cli, "_installed", lambda module: not module.startswith("cae_governance"))
    _refused(capsys, ["governance", "anything"], "the governance service is not installed here")


def test_a_port_in_use_is_seen():
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli._port_in_use(port)
        with pytest.raises(cli.CommandError, match=f"port {port} is in use"):
            cli._free_port_or_refuse("members", port, "CAE_MEMBERS_HTTP_PORT")
    assert not cli._port_in_use(port)


# -- help --------------------------------------------------------------------------------------
def test_help_lists_every_command_and_the_services_own(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "relay", "migrate", "prune", "token", "dlq", "members", "ledger",
                    "payroll", "governance", "matching"):
        assert f"\n    {command} " in out or f"\n    {command}\n" in out, command
    assert "import people" in out and "FEC" in out and "month's run" in out
    assert ("governance's commands [none yet: cae_governance has no command line]"
            in " ".join(out.split()))
    assert "matching's commands: import the ESCO taxonomy" in " ".join(out.split())
    assert "var/demo/demo.env" in out


@pytest.mark.parametrize("argv, expected", [
    (["run", "--help"], "HTTP API"), (["dlq", "--help"], "vhost the services use"),
    (["migrate", "--help"], "creating it"), (["members", "--help"], "import"),
    (["ledger", "--help"], "fec"), (["payroll", "--help"], "resume"),
    (["payroll", "run", "--help"], "--period"),
])
def test_each_command_has_its_help(argv, expected, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 0
    assert expected in capsys.readouterr().out


# -- dlq ---------------------------------------------------------------------------------------
def test_dlq_needs_a_queue_and_purge_an_id_or_all(capsys, no_cae_variables):
    _refused(capsys, ["dlq", "list"], "name a queue")
    _refused(capsys, ["dlq", "purge", "ledger--x"], "pass --id EVENT_ID or --all")


def test_dlq_works_in_the_services_vhost(no_cae_variables):
    no_cae_variables.setenv("CAE_AMQP_URI", "amqp://guest:secret@rabbit:5672/cae_demo")
    no_cae_variables.setenv("CAE_PAYROLL_AMQP_URI", "amqp://guest:secret@rabbit:5672/pay%2Fvhost")
    assert cli._amqp_uri_of_queue("ledger--cae.members.activity_opened.v1").endswith("/cae_demo")
    assert cli._amqp_uri_of_queue("payroll--cae.x.v1--dead").endswith("/pay%2Fvhost")
    assert dlq.vhost_of("amqp://guest:secret@rabbit:5672/pay%2Fvhost") == "pay/vhost"
    assert dlq.vhost_of("amqp://guest:guest@127.0.0.1:5672/") == "/"
    assert dlq.management_url("amqp://u:p@rabbit:5672/pay%2Fvhost")[1] == "pay%2Fvhost"
    assert dlq.shown("amqp://guest:secret@rabbit:5672/cae_demo") == "amqp://guest@rabbit:5672/cae_demo"


def test_dlq_says_so_when_the_broker_is_unreachable(capsys, no_cae_variables):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # nobody listens there once closed
    no_cae_variables.setenv("CAE_AMQP_URI", f"amqp://guest:guest@127.0.0.1:{port}/cae_demo")
    _refused(capsys, ["dlq", "list", "ledger--x"], "cannot reach vhost 'cae_demo'")
    _refused(capsys, ["dlq", "queues", "--management", f"http://127.0.0.1:{port}"],
             "cannot reach the RabbitMQ management API")


def test_a_command_uses_the_file_and_leaves_the_callers_environment_as_it_was(
        tmp_path, capsys, no_cae_variables):
    import jwt

    no_cae_variables.setenv("CAE_ENV_FILE", _demo(tmp_path))
    assert cli.main(["token", "--sub", "alice", "--roles", "staff", "--coop", "c"]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, "a-demo-secret-of-at-least-32-characters", algorithms=["HS256"],
                        issuer="cae-platform")
    assert claims["sub"] == "alice" and claims["coop"] == "c"
    assert not [name for name in os.environ if name.startswith("CAE_") and name != "CAE_ENV_FILE"]
