"""`make demo` from this checkout: seeds the demo network, holds a general assembly of one of
its cooperatives, has entrepreneurs write their profiles for matching and a call for tenders
staffed across the network, and checks the scenario (--smoke), writes its settings for the
command line and prints the commands to try with real ids.
(tests/integration/test_readme_commands.py runs those commands against a running demo.)"""

import os
import re
import subprocess
import uuid

from caekit.cli import read_environment_file
from caekit.testing import free_ports, management


def test_make_demo_seeds_and_serves_the_network(tmp_path):
    demo_dir = tmp_path / "demo"
    vhost = f"cae_test_demo_{uuid.uuid4().hex[:8]}"  # its own: tests may run side by side
    env = {**os.environ, "CAE_DEMO_DIR": str(demo_dir), "CAE_DEMO_VHOST": vhost,
           **dict(zip(("CAE_DEMO_MEMBERS_PORT", "CAE_DEMO_LEDGER_PORT", "CAE_DEMO_PAYROLL_PORT",
                       "CAE_DEMO_GOVERNANCE_PORT", "CAE_DEMO_MATCHING_PORT",
                       "CAE_DEMO_PORTAL_PORT"),
                      map(str, free_ports(6)), strict=True)),
           "CAE_LOG_LEVEL": "WARNING"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        result = subprocess.run(["bash", "scripts/demo.sh", "--smoke"], cwd=root, env=env,
                                capture_output=True, text=True, timeout=300)
    finally:
        try:
            management("DELETE", f"vhosts/{vhost}")
        except OSError:
            pass  # not created: the demo failed first
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "demo smoke: OK" in out
    # matching: another cooperative finds Oxalis's web developer in the network; a team
    assert re.search(r"^demo smoke: matching OK \(Coopaname finds Chloé Fontaine of Oxalis in "
                     r"the network; a team of [1-9] proposed\)$", out, re.M), out[-3000:]
    assert "curl -s" in out and "export STAFF=" in out
    # the portal's address and who to sign in as
    portal = f"http://127.0.0.1:{env['CAE_DEMO_PORTAL_PORT']}"
    assert f"  portal     {portal}/connexion" in out
    assert re.search(r"^  Oxalis\s+Marc Petit, Inès Moreau, .*Sarah Lambert$", out, re.M), out
    assert "demo smoke: portal OK" in out

    uuid_ = r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"
    # the settings the command line reads by itself, with absolute store paths
    settings = read_environment_file(str(demo_dir / "demo.env"))
    assert settings["CAE_AMQP_URI"] == f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    assert settings["CAE_LEDGER_DATABASE_URL"] == f"sqlite:///{demo_dir}/ledger.db"
    assert settings["CAE_GOVERNANCE_DATABASE_URL"] == f"sqlite:///{demo_dir}/governance.db"
    assert settings["CAE_MATCHING_DATABASE_URL"] == f"sqlite:///{demo_dir}/matching.db"
    assert settings["CAE_DEMO_MEMBERS_PORT"] == env["CAE_DEMO_MEMBERS_PORT"]
    assert settings["CAE_DEMO_GOVERNANCE_PORT"] == env["CAE_DEMO_GOVERNANCE_PORT"]
    assert settings["CAE_DEMO_MATCHING_PORT"] == env["CAE_DEMO_MATCHING_PORT"]
    assert "CAE_JWT_SECRET" in settings
    assert settings["CAE_HTTP_PORT"] == "8000"  # a `cae run` of another shell; no demo service's
    assert (demo_dir / "people.csv").is_file()
    # the assembly's minutes, saved where the guide says
    assert (demo_dir / "pv-assemblee.pdf").read_bytes().startswith(b"%PDF-")
    governance = f"http://127.0.0.1:{env['CAE_DEMO_GOVERNANCE_PORT']}"
    assert f"  governance {governance}   (API documentation: {governance}/docs)" in out
    assert f"  minutes    {demo_dir}/pv-assemblee.pdf   (sha256 " in out
    assert re.search(rf"^  assembly   {uuid_}$", out, re.M), out
    matching = f"http://127.0.0.1:{env['CAE_DEMO_MATCHING_PORT']}"
    assert f"  matching   {matching}   (API documentation: {matching}/docs)" in out
    assert "matching.log" in out and (demo_dir / "matching.log").is_file()
    assert re.search(rf"^  proposal   {uuid_}$", out, re.M), out
    assert f'curl -s -G {matching}/cooperatives/' in out and '"q=développeuse web"' in out

    # the commands to try, with real ids; outside var/demo, how the CLI finds the file
    assert len(re.findall(rf"^  \S.*\s{uuid_}\s+March run {uuid_}$", out, re.M)) == 3
    commands = [line.strip() for line in out.splitlines() if line.startswith("  .venv/bin/cae ")]
    assert any(re.fullmatch(rf".venv/bin/cae payroll resume --cooperative {uuid_} --run {uuid_}",
                            c) for c in commands), commands
    assert not any("<" in c for c in commands), commands
    assert f"export CAE_ENV_FILE={demo_dir}/demo.env" in out
    assert f"vhost {vhost}" in out
