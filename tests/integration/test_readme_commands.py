"""Every command of the README's "Using it" block, then every command `make demo` prints, run
as written against a running demo (only the <placeholders> replaced by real values), each in
a fresh process from a directory laid out as a checkout (``.venv``, ``var/demo``) whose
environment carries no CAE_* variable: the command line finds the demo by itself."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from caekit.cli import read_environment_file
from caekit.testing import eventually, free_ports, management, message_count, publish_raw

ROOT = Path(__file__).resolve().parents[2]
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DLQ_QUEUE = "ledger--cae.members.activity_opened.v1"
pytestmark = pytest.mark.timeout(420)  # the demo starts in about a minute, the commands take one


# -- reading the commands ---------------------------------------------------------------------
def readme_commands() -> list[str]:
    """The ``.venv/bin/cae`` lines of the first ``sh`` block of the README's "Using it"."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n## Using it\n"):]
    section = section[:section.index("\n## ", 5)]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.startswith(".venv/bin/cae")]


def expand(line: str, values: dict[str, str]) -> list[str]:
    """A README line as the commands it stands for: its comment dropped, ``a|b`` one command
    each, ``[...]`` parts all left out then all put in, each ``<placeholder>`` replaced."""
    line = re.sub(r"\s+#\s.*$", "", line).strip()
    variants = [re.sub(r"\s*\[[^\]]*\]", "", line), re.sub(r"\[([^\]]*)\]", r"\1", line)]
    commands = []
    for variant in dict.fromkeys(variants):
        words = variant.split()
        choice = next((i for i, w in enumerate(words) if "|" in w), None)
        alternatives = words[choice].split("|") if choice is not None else [None]
        for alternative in alternatives:
            if alternative is not None:
                words[choice] = alternative
            command = " ".join(words)
            for name in re.findall(r"<([^>]+)>", command):
                assert name in values, f"the README has a placeholder <{name}> this test lacks"
                command = command.replace(f"<{name}>", shlex.quote(values[name]))
            commands.append(command)
    return commands


def printed_sections(output: str) -> dict[str, list[str]]:
    """The demo's output: the cooperatives, the shell lines of its "Try:" block and of its
    "Governance:" part (each continued line joined) and its ``.venv/bin/cae`` lines."""
    cooperatives = re.findall(rf"^  (\S.*?)\s+({UUID})\s+March run ({UUID})$", output, re.M)
    try_block = output[output.index("\nTry:\n"):output.index("\nGovernance:")]
    governance = output[output.index("\nGovernance:"):output.index("\nThe command line")]
    shell, pending = [], ""
    for line in try_block.splitlines()[2:] + [
            line for line in governance.splitlines() if line.startswith("  curl ")]:
        if not line.strip():
            continue
        pending += line.strip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        shell.append(pending)
        pending = ""
    exports = re.findall(r"^  (export \w+=\S+)$", output, re.M)
    cae = [line.strip() for line in output[output.index("\nThe command line"):].splitlines()
           if line.startswith("  .venv/bin/cae")]
    return {"cooperatives": cooperatives, "curl": shell, "exports": exports, "cae": cae,
            "governance": governance}


# -- the demo ---------------------------------------------------------------------------------------
@dataclass
class Demo:
    checkout: Path  # the directory the commands run in: .venv and var/demo, like a checkout
    directory: Path
    output: str
    settings: dict[str, str]

    @property
    def amqp_uri(self) -> str:
        return self.settings["CAE_AMQP_URI"]

    @property
    def http_port(self) -> int:
        """Where a `cae run` or `cae relay` of a second shell listens."""
        return int(self.settings["CAE_HTTP_PORT"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    checkout = tmp_path_factory.mktemp("checkout")
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    directory = checkout / "var" / "demo"
    # the port a `cae run` or `cae relay` of a second shell takes (demo.env's CAE_HTTP_PORT,
    # 8000 for `make demo`): a free one, so that test runs side by side do not meet
    vhost = f"cae_test_readme_{uuid.uuid4().hex[:8]}"  # make test removes cae_test_* leftovers
    env = {**os.environ, "CAE_DEMO_DIR": str(directory), "CAE_DEMO_VHOST": vhost,
           **dict(zip(("CAE_DEMO_MEMBERS_PORT", "CAE_DEMO_LEDGER_PORT", "CAE_DEMO_PAYROLL_PORT",
                       "CAE_DEMO_GOVERNANCE_PORT", "CAE_DEMO_MATCHING_PORT",
                       "CAE_DEMO_HTTP_PORT"),
                      map(str, free_ports(6)), strict=True)),
           "CAE_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)  # its own group: stopped whole
    lines, ready = [], threading.Event()

    def read():
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C stops it" in line:
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        ready.wait(240)
        output = "".join(lines)
        assert process.poll() is None and "Ctrl-C stops it" in output, output[-4000:]
        yield Demo(checkout, directory, output,
                   read_environment_file(str(directory / "demo.env")))
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the demo, its services: its whole group
            process.wait(30)
        except ProcessLookupError:
            pass  # it stopped on its own (it failed to start)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        try:
            management("DELETE", f"vhosts/{vhost}")
        except OSError:
            pass  # not created: the demo failed first


def _environment() -> dict[str, str]:
    """A new shell's: none of the demo's variables, nor any CAE_* one."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CAE_")}


def _run(demo: Demo, command: str, timeout: float = 120,
         attempts: int = 1) -> subprocess.CompletedProcess:
    """Run ``command`` as a new shell would; ``attempts``: for what another service does
    after an event (the ledger opens NORA's accounts a moment after members registers her)."""
    started = time.monotonic()
    for _ in range(attempts):
        result = subprocess.run(["bash", "-c", command], cwd=demo.checkout, env=_environment(),
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode == 0:
            break
        time.sleep(0.5)
    assert result.returncode == 0, (f"{command}\nexit {result.returncode} after "
                                    f"{time.monotonic() - started:.1f}s\n{result.stdout[-2000:]}"
                                    f"\n{result.stderr[-3000:]}")
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as reply:
            return reply.status == 200 and json.load(reply)["status"] == "ok"
    except (OSError, ValueError):
        return False


def _run_until_ready(demo: Demo, command: str, ready_key: str) -> str:
    """Start a long-running command, wait for its start line and /health/ready, stop it
    (SIGTERM, as Ctrl-C or Kubernetes would): it must exit 0."""
    process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=demo.checkout,
                               env=_environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        first = process.stderr.readline()  # the JSON line a started service or relay prints
        assert ready_key in first, f"{command}: {first}{process.stderr.read()[-3000:]}"
        eventually(lambda: _ready(demo.http_port), timeout=30, interval=0.2,
                   message=f"{command}: not ready on {demo.http_port}")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, f"{command}: exit {process.returncode}"
    return first


def _park_a_poison_event(demo: Demo, cooperative: str) -> str:
    """An activity_opened the ledger cannot read: parked at once in the README's queue."""
    event_id = str(uuid.uuid4())
    publish_raw(demo.amqp_uri, {
        "specversion": "1.0", "id": event_id, "source": "test_readme_commands",
        "type": "cae.members.activity_opened.v1", "tenantid": cooperative,
        "time": "2026-04-01T00:00:00Z", "datacontenttype": "application/json",
        "data": {"not": "an activity"}})
    eventually(lambda: message_count(demo.amqp_uri, f"{DLQ_QUEUE}--dead") == 1, timeout=30)
    return event_id


# -- the tests ----------------------------------------------------------------------------------------
def test_the_demo_writes_its_settings_and_prints_real_ids(demo):
    assert {"CAE_AMQP_URI", "CAE_MEMBERS_DATABASE_URL", "CAE_LEDGER_DATABASE_URL",
            "CAE_PAYROLL_DATABASE_URL", "CAE_GOVERNANCE_DATABASE_URL", "CAE_JWT_SECRET",
            "CAE_DEMO_MEMBERS_PORT", "CAE_DEMO_GOVERNANCE_PORT"} <= set(demo.settings)
    assert demo.settings["CAE_AMQP_URI"].endswith("/" + demo.settings["CAE_DEMO_VHOST"])
    # no service's own port: a `cae run` of another shell takes CAE_HTTP_PORT, not the demo's
    assert [name for name in demo.settings if name.endswith("_HTTP_PORT")] == ["CAE_HTTP_PORT"]
    assert demo.settings["CAE_HTTP_PORT"] not in (
        demo.settings[f"CAE_DEMO_{s}_PORT"] for s in ("MEMBERS", "LEDGER", "PAYROLL",
                                                      "GOVERNANCE"))
    for service in ("members", "ledger", "payroll", "governance"):  # absolute: from anywhere
        assert demo.settings[f"CAE_{service.upper()}_DATABASE_URL"] == (
            f"sqlite:///{demo.directory / service}.db")
    printed = printed_sections(demo.output)
    assert len(printed["cooperatives"]) == 3
    assert printed["cae"] and not any("<" in line for line in printed["cae"])
    assert (demo.directory / "people.csv").is_file()
    assert (demo.directory / "pv-assemblee.pdf").read_bytes().startswith(b"%PDF-")


def test_every_readme_command_works_as_written_in_a_second_shell(demo):
    printed = printed_sections(demo.output)
    _, cooperative, march_run = printed["cooperatives"][1]  # the demo's own lines use the first
    event_id = _park_a_poison_event(demo, cooperative)
    output_dir = demo.checkout / "fec"
    output_dir.mkdir()
    values = {"cooperative id": cooperative, "id": cooperative, "run id": march_run,
              "queue": DLQ_QUEUE, "event id": event_id, "dir": str(output_dir)}
    lines = readme_commands()
    assert len(lines) >= 14, lines
    _require_free(demo.http_port)
    ran = []
    for line in lines:
        for command in expand(line, values):
            words = command.split()
            if words[1:2] in (["run"], ["relay"]):
                key = '"service"' if words[1] == "run" else '"relay"'
                started = json.loads(_run_until_ready(demo, command, key))
                assert str(demo.http_port) in str(started["http"]), started
                ran.append(command)
                continue
            if words[1:4] == ["dlq", "purge", DLQ_QUEUE]:
                # the replayed poison event is parked again at once; purge it then
                eventually(lambda: message_count(demo.amqp_uri, f"{DLQ_QUEUE}--dead") == 1,
                           timeout=30)
            result = _run(demo, command)
            ran.append(command)
            _check(command, result, demo, values)
    assert len(ran) >= 17, ran  # 14 lines: fec without and with its options, show|replay|purge
    # no store was made anywhere but by the demo's `cae migrate`
    assert sorted(p.relative_to(demo.checkout).as_posix() for p in demo.checkout.rglob("*.db")) == [
        "var/demo/governance.db", "var/demo/ledger.db", "var/demo/matching.db",
        "var/demo/members.db", "var/demo/payroll.db"]


def test_every_command_the_demo_prints_works_as_written(demo):
    printed = printed_sections(demo.output)
    exports = "; ".join(printed["exports"])
    assert len(printed["exports"]) == 4
    assert sum("/assemblies/" in line for line in printed["curl"]) == 4, printed["governance"]
    for line in printed["curl"]:
        command = re.sub(r"\s+#\s.*$", "", line)
        # the line the demo prints to show a refusal says so in its comment ("# 403: ..."):
        # an id may hold the digits 403 too
        refused = re.search(r"#\s*403\b", line) is not None
        result = _run(demo, f"{exports}; {command} --fail-with-body" if not refused
                      else f"{exports}; {command}", attempts=20 if " -X POST " not in line else 1)
        if " -o " in command:
            target = command.split(" -o ")[1].split()[0]
            path = Path(target) if os.path.isabs(target) else demo.checkout / target
            assert path.read_bytes().startswith(b"%PDF"), command
            continue
        if "/fec?" in command:  # the FEC itself, as text
            assert result.stdout.startswith("JournalCode|JournalLib|"), result.stdout[:200]
            continue
        if "/minutes " in command:  # the minutes as HTML
            assert "<html" in result.stdout and "Procès-verbal" in result.stdout, result.stdout
            continue
        body = json.loads(result.stdout)
        if refused:
            assert body["status"] == 403, body
        if "/ballots " in command:  # the secret election's ballots: the printed receipt in them
            receipt = re.search(r"receipt: (\S+)$", line).group(1)
            assert receipt in {item["receipt"] for item in body["items"]}, body
        elif "/assemblies/" in command:
            assert body["status"] == "closed" and body["minutes_sha256"] in printed[
                "governance"], body
    for command in printed["cae"]:  # printed after the curl lines
        result = _run(demo, command)
        assert result.stdout.strip() or result.stderr.strip(), command


def _check(command: str, result, demo: Demo, values: dict) -> None:
    """What each README command should say."""
    out, err = result.stdout, result.stderr
    words = command.split()
    what = " ".join(words[1:3])
    if words[1] == "--help":
        assert all(f"    {name}" in out for name in ("members", "ledger", "payroll")), out
    elif what.startswith("token"):
        token = out.strip()
        port = demo.settings["CAE_DEMO_MEMBERS_PORT"]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/cooperatives/{values['id']}/members",
            headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as reply:  # the demo accepts it
            assert reply.status == 200
    elif what == "migrate ledger":
        assert "ledger: migrated to head" in err
    elif what == "prune ledger":
        assert out.startswith("ledger: pruned ")
    elif what == "members import":
        expected = "would create 3" if "--dry-run" in words else "created 3"
        assert f"3 rows: {expected}, skipped 0 already imported, 0 error(s)" in out, out
    elif what == "ledger fec":
        name, lines = re.match(r"^(\S+): (\d+) lines$", out.strip()).groups()
        assert name.endswith("FEC20261231.txt") and int(lines) > 10
        path = Path(name) if os.path.isabs(name) else demo.checkout / name
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("JournalCode" + ("\t" if "tab" in words else "|"))
    elif what in ("payroll run", "payroll resume"):
        assert re.fullmatch(UUID, out.strip()), out
        assert "payslips to issue" in err or "payslips asked again" in err, err
    elif what == "dlq queues":
        assert f"       1  {DLQ_QUEUE}--dead" in out, out
        # payroll and matching park the same poison in their own queues: at least the ledger's
        assert re.search(r"^[1-3] parked event\(s\) in \d+ parking queue\(s\) of vhost 'cae_test_",
                         out, re.M) and demo.settings["CAE_DEMO_VHOST"] in out, out
    elif what in ("dlq list", "dlq show"):
        assert values["event id"] in out, out
        if what == "dlq show":
            assert json.loads(out)["event"]["id"] == values["event id"]
    elif what == "dlq replay":
        assert out.startswith("replayed 1 message(s)"), out
    elif what == "dlq purge":
        assert out.startswith("purged 1 message(s)"), out
    else:
        raise AssertionError(f"a README command this test does not check: {command}")


def _require_free(port: int) -> None:
    """Fail at once, clearly, when the README's default port is taken on this machine."""
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            pytest.fail(f"port {port} is taken: the README's `cae run members` takes it")
