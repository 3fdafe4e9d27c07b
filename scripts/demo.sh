#!/usr/bin/env bash
# `make demo`: every built service with its in-process relay, SQLite stores under var/demo,
# a RabbitMQ vhost of its own, a seeded demo network of cooperatives. Ctrl-C stops it all.
#   scripts/demo.sh --smoke   seed, check the scenario, stop (used by the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
SMOKE=0; [ "${1:-}" = "--smoke" ] && SMOKE=1

bash scripts/bootstrap.sh
bash scripts/ensure-infra.sh --rabbitmq-only

DEMO_DIR=${CAE_DEMO_DIR:-var/demo}
VHOST=${CAE_DEMO_VHOST:-cae_demo}
MEMBERS_PORT=${CAE_DEMO_MEMBERS_PORT:-8001}
LEDGER_PORT=${CAE_DEMO_LEDGER_PORT:-8002}
PAYROLL_PORT=${CAE_DEMO_PAYROLL_PORT:-8003}

rm -rf "$DEMO_DIR" && mkdir -p "$DEMO_DIR"
rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1 || true
rabbitmqctl -q add_vhost "$VHOST" >/dev/null
rabbitmqctl -q set_permissions -p "$VHOST" guest '.*' '.*' '.*' >/dev/null

export CAE_AMQP_URI="amqp://guest:guest@127.0.0.1:5672/$VHOST"
export CAE_MEMBERS_DATABASE_URL="sqlite:///$DEMO_DIR/members.db"
export CAE_LEDGER_DATABASE_URL="sqlite:///$DEMO_DIR/ledger.db"
export CAE_PAYROLL_DATABASE_URL="sqlite:///$DEMO_DIR/payroll.db"
export CAE_MEMBERS_HTTP_PORT=$MEMBERS_PORT CAE_LEDGER_HTTP_PORT=$LEDGER_PORT
export CAE_PAYROLL_HTTP_PORT=$PAYROLL_PORT
export CAE_LOG_LEVEL=${CAE_LOG_LEVEL:-INFO}

.venv/bin/cae migrate members
.venv/bin/cae migrate ledger
.venv/bin/cae migrate payroll

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

.venv/bin/cae run ledger >"$DEMO_DIR/ledger.log" 2>&1 & pids+=($!)
.venv/bin/cae run members >"$DEMO_DIR/members.log" 2>&1 & pids+=($!)
.venv/bin/cae run payroll >"$DEMO_DIR/payroll.log" 2>&1 & pids+=($!)

.venv/bin/python scripts/demo_seed.py \
  --members "http://127.0.0.1:$MEMBERS_PORT" --ledger "http://127.0.0.1:$LEDGER_PORT" \
  --payroll "http://127.0.0.1:$PAYROLL_PORT" \
  --logs "$DEMO_DIR" $([ "$SMOKE" = 1 ] && echo --smoke)

[ "$SMOKE" = 1 ] && exit 0
echo "The platform runs; logs in $DEMO_DIR/*.log (JSON lines). Ctrl-C stops it."
wait
