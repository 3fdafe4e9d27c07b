#!/usr/bin/env bash
# Installs (apt) and starts what the services and tests need, on a machine with or without
# systemd: RabbitMQ with its management plugin, and (unless --rabbitmq-only) PostgreSQL
# with a password role `cae` that may create databases (used by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_POSTGRES=1
[ "${1:-}" = "--rabbitmq-only" ] && WITH_POSTGRES=0

apt_install() {
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 "$seconds"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "ensure-infra: $what did not come up in ${seconds}s" >&2; return 1
}

# -- RabbitMQ ----------------------------------------------------------------------
command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
# pdftotext and pdftoppm: the payslip PDF's text is read back by the tests
command -v pdftotext >/dev/null || apt_install poppler-utils
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
  service rabbitmq-server start >/dev/null 2>&1 || rabbitmq-server -detached
  wait_for 90 "RabbitMQ" rabbitmqctl -q status
fi
rabbitmqctl await_startup >/dev/null
if ! rabbitmq-plugins -q list -e rabbitmq_management | grep -q rabbitmq_management; then
  rabbitmq-plugins enable rabbitmq_management >/dev/null
fi
wait_for 60 "RabbitMQ management API" python3 -c '
import base64, urllib.request
r = urllib.request.Request("http://127.0.0.1:15672/api/overview")
r.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
urllib.request.urlopen(r, timeout=2)'
echo "ensure-infra: RabbitMQ ready (amqp 127.0.0.1:5672, management 127.0.0.1:15672)"

[ "$WITH_POSTGRES" = 1 ] || exit 0

# -- PostgreSQL --------------------------------------------------------------------
command -v pg_ctlcluster >/dev/null || apt_install postgresql
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || pg_ctlcluster "$version" main start
  wait_for 60 "PostgreSQL" pg_isready -q -h 127.0.0.1 -p 5432
fi
su postgres -c "psql -q -v ON_ERROR_STOP=1 -d postgres" <<'SQL' >/dev/null
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cae') THEN
    CREATE ROLE cae LOGIN CREATEDB PASSWORD 'cae';
  END IF;
END $$;
SQL
echo "ensure-infra: PostgreSQL ready (127.0.0.1:5432, role cae)"
