#!/usr/bin/env bash
# Installs what the project needs to build on a fresh Debian/Ubuntu machine (as root):
# python3 with venv, uv (from PyPI), then the locked virtual environment in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "bootstrap: need root to apt-get install $*" >&2; exit 1; fi
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v python3 >/dev/null || apt_install python3 python3-venv
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv

UV=$(command -v uv || true)
if [ -z "$UV" ]; then
  if [ ! -x var/tools/bin/uv ]; then
    python3 -m venv var/tools
    var/tools/bin/pip install -q "uv==0.13.9"
  fi
  UV=var/tools/bin/uv
fi
# never download interpreters: use the machine's Python
export UV_PYTHON_DOWNLOADS=never
"$UV" sync --frozen --quiet
# checkov (deploy/ tests) conflicts with the payroll oracle's pins: its own
# environment, from the same lock file (pyproject.toml, group "checkov")
UV_PROJECT_ENVIRONMENT=var/checkov "$UV" sync --frozen --quiet --only-group checkov
echo "bootstrap: .venv ready ($(.venv/bin/python --version))"
