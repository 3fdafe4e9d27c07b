"""`make demo` from this checkout: seeds the demo network and checks its scenario (--smoke)."""

import os
import subprocess

from caekit.testing import free_port


def test_make_demo_seeds_and_serves_the_network(tmp_path):
    env = {**os.environ, "CAE_DEMO_DIR": str(tmp_path / "demo"), "CAE_DEMO_VHOST": "cae_demo_test",
           "CAE_DEMO_MEMBERS_PORT": str(free_port()), "CAE_DEMO_LEDGER_PORT": str(free_port()),
           "CAE_DEMO_PAYROLL_PORT": str(free_port()),
           "CAE_LOG_LEVEL": "WARNING"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run(["bash", "scripts/demo.sh", "--smoke"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "demo smoke: OK" in result.stdout
    assert "curl -s" in result.stdout and "export STAFF=" in result.stdout
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", "cae_demo_test"], capture_output=True)
