#!/usr/bin/env bash
# `make demo`: every built service with its in-process relay, SQLite stores under var/demo,
# a RabbitMQ vhost of its own, a seeded demo network of cooperatives. Ctrl-C stops it all.
#   scripts/demo.sh --smoke   seed, check the scenario, stop (used by the tests)
#
# It writes var/demo/demo.env, the demo's CAE_* settings (stores, broker and vhost, JWT
# secret, ports), which the `cae` command line reads by itself when it finds it (in the
# current directory's var/demo, then in its checkout's): every command the demo prints
# works as written in another shell. The file stays after the demo stops (the stores
# too); the next `make demo` starts afresh.
#   CAE_DEMO_DIR, CAE_DEMO_VHOST, CAE_DEMO_{MEMBERS,LEDGER,PAYROLL,GOVERNANCE,MATCHING}_PORT
#   (8001 to 8005) and CAE_DEMO_PORTAL_PORT (8080, the web portal) change the defaults;
#   CAE_DEMO_HTTP_PORT (8000) is the port of a `cae run` or `cae relay` of another shell.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SMOKE=0; [ "${1:-}" = "--smoke" ] && SMOKE=1

bash scripts/bootstrap.sh
bash scripts/ensure-infra.sh --rabbitmq-only

DEMO_DIR=${CAE_DEMO_DIR:-var/demo}
VHOST=${CAE_DEMO_VHOST:-cae_demo}
MEMBERS_PORT=${CAE_DEMO_MEMBERS_PORT:-8001}
LEDGER_PORT=${CAE_DEMO_LEDGER_PORT:-8002}
PAYROLL_PORT=${CAE_DEMO_PAYROLL_PORT:-8003}
GOVERNANCE_PORT=${CAE_DEMO_GOVERNANCE_PORT:-8004}
MATCHING_PORT=${CAE_DEMO_MATCHING_PORT:-8005}
PORTAL_PORT=${CAE_DEMO_PORTAL_PORT:-8080}
HTTP_PORT=${CAE_DEMO_HTTP_PORT:-8000}

rm -rf "$DEMO_DIR" && mkdir -p "$DEMO_DIR"
DEMO_DIR=$(cd "$DEMO_DIR" && pwd)  # absolute: the stores' URLs hold from any directory
ENV_FILE=$DEMO_DIR/demo.env
# a vhost of its own, afresh, through the management API (ensure-infra waited for it):
# rabbitmqctl calls running at the same time as others can crash RabbitMQ 3.10's
# management agent (rabbit_net:dist_info), and every test with it
.venv/bin/python - "$VHOST" <<'PY'
import base64, json, sys, time, urllib.error, urllib.request
from urllib.parse import quote

vhost = quote(sys.argv[1], safe="")

def call(method, path, body=None, missing_ok=False):
    request = urllib.request.Request(f"http://127.0.0.1:15672/api/{path}", method=method,
                                     data=json.dumps(body).encode() if body else None)
    request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
    request.add_header("Content-Type", "application/json")
    for _ in range(5):  # a busy broker answers 5xx now and then
        try:
            urllib.request.urlopen(request, timeout=30).close()
            return
        except urllib.error.HTTPError as exc:
            if missing_ok and exc.code == 404:
                return
            error = f"HTTP {exc.code} {exc.read()[:300]!r}"
        except OSError as exc:
            error = str(exc)
        time.sleep(2)
    sys.exit(f"demo: RabbitMQ management API, {method} /api/{path}: {error}")

call("DELETE", f"vhosts/{vhost}", missing_ok=True)
call("PUT", f"vhosts/{vhost}")
call("PUT", f"permissions/{vhost}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
PY

export CAE_ENV=development
export CAE_AMQP_URI="amqp://guest:guest@127.0.0.1:5672/$VHOST"
export CAE_MEMBERS_DATABASE_URL="sqlite:///$DEMO_DIR/members.db"
export CAE_LEDGER_DATABASE_URL="sqlite:///$DEMO_DIR/ledger.db"
export CAE_PAYROLL_DATABASE_URL="sqlite:///$DEMO_DIR/payroll.db"
export CAE_GOVERNANCE_DATABASE_URL="sqlite:///$DEMO_DIR/governance.db"
export CAE_MATCHING_DATABASE_URL="sqlite:///$DEMO_DIR/matching.db"
export CAE_JWT_SECRET=${CAE_JWT_SECRET:-$(.venv/bin/python -c \
  'from caekit.config import DEVELOPMENT_JWT_SECRET as s; print(s)')}
export CAE_LOG_LEVEL=${CAE_LOG_LEVEL:-INFO}
# each demo service has its own port (CAE_<SERVICE>_HTTP_PORT, given to its process only,
# below); demo.env gives CAE_HTTP_PORT, a port none of them takes, to a `cae run` or `cae
# relay` of another shell
export CAE_HTTP_PORT=$HTTP_PORT
export CAE_DEMO_DIR=$DEMO_DIR CAE_DEMO_VHOST=$VHOST CAE_DEMO_MEMBERS_PORT=$MEMBERS_PORT
export CAE_DEMO_LEDGER_PORT=$LEDGER_PORT CAE_DEMO_PAYROLL_PORT=$PAYROLL_PORT
export CAE_DEMO_GOVERNANCE_PORT=$GOVERNANCE_PORT CAE_DEMO_MATCHING_PORT=$MATCHING_PORT

.venv/bin/cae migrate members
.venv/bin/cae migrate ledger
.venv/bin/cae migrate payroll
.venv/bin/cae migrate governance
.venv/bin/cae migrate matching  # also loads the shipped ESCO taxonomy (French) into the store

# the settings, once the stores exist: what `cae` of another shell reads
{
  echo "# The settings of the demo started by scripts/demo.sh (make demo) at $(date -u +%FT%TZ)."
  echo "# The cae command line reads this file by itself, from var/demo/demo.env of the current"
  echo "# directory, else of its checkout (CAE_ENV_FILE=PATH names another, CAE_ENV_FILE= none);"
  echo "# a variable set in the environment wins over the file's. A shell can load it too:"
  echo "#   set -a; . $ENV_FILE; set +a"
  echo "# The demo's services listen on http://127.0.0.1:\$CAE_DEMO_<SERVICE>_PORT; a \`cae run\`"
  echo "# or \`cae relay\` of another shell on CAE_HTTP_PORT (or \`cae run --port\`)."
  for name in CAE_ENV CAE_AMQP_URI CAE_MEMBERS_DATABASE_URL CAE_LEDGER_DATABASE_URL \
              CAE_PAYROLL_DATABASE_URL CAE_GOVERNANCE_DATABASE_URL CAE_MATCHING_DATABASE_URL \
              CAE_JWT_SECRET CAE_HTTP_PORT CAE_DEMO_DIR CAE_DEMO_VHOST CAE_DEMO_MEMBERS_PORT \
              CAE_DEMO_LEDGER_PORT CAE_DEMO_PAYROLL_PORT CAE_DEMO_GOVERNANCE_PORT \
              CAE_DEMO_MATCHING_PORT; do
    printf '%s=%q\n' "$name" "${!name}"
  done
} >"$ENV_FILE.partial"
mv "$ENV_FILE.partial" "$ENV_FILE"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

CAE_LEDGER_HTTP_PORT=$LEDGER_PORT .venv/bin/cae run ledger >"$DEMO_DIR/ledger.log" 2>&1 & pids+=($!)
CAE_MEMBERS_HTTP_PORT=$MEMBERS_PORT .venv/bin/cae run members >"$DEMO_DIR/members.log" 2>&1 & pids+=($!)
CAE_PAYROLL_HTTP_PORT=$PAYROLL_PORT .venv/bin/cae run payroll >"$DEMO_DIR/payroll.log" 2>&1 & pids+=($!)
CAE_GOVERNANCE_HTTP_PORT=$GOVERNANCE_PORT .venv/bin/cae run governance >"$DEMO_DIR/governance.log" 2>&1 & pids+=($!)
CAE_MATCHING_HTTP_PORT=$MATCHING_PORT .venv/bin/cae run matching >"$DEMO_DIR/matching.log" 2>&1 & pids+=($!)
# the web portal, in front of them (its demo sign-in page lists the seeded people)
CAE_PORTAL_HTTP_PORT=$PORTAL_PORT CAE_PORTAL_MEMBERS_URL=http://127.0.0.1:$MEMBERS_PORT \
  CAE_PORTAL_LEDGER_URL=http://127.0.0.1:$LEDGER_PORT CAE_PORTAL_PAYROLL_URL=http://127.0.0.1:$PAYROLL_PORT \
  CAE_PORTAL_GOVERNANCE_URL=http://127.0.0.1:$GOVERNANCE_PORT \
  CAE_PORTAL_MATCHING_URL=http://127.0.0.1:$MATCHING_PORT \
  .venv/bin/cae run portal >"$DEMO_DIR/portal.log" 2>&1 & pids+=($!)

.venv/bin/python scripts/demo_seed.py \
  --members "http://127.0.0.1:$MEMBERS_PORT" --ledger "http://127.0.0.1:$LEDGER_PORT" \
  --payroll "http://127.0.0.1:$PAYROLL_PORT" --governance "http://127.0.0.1:$GOVERNANCE_PORT" \
  --matching "http://127.0.0.1:$MATCHING_PORT" --portal "http://127.0.0.1:$PORTAL_PORT" \
  --dir "$DEMO_DIR" --root "$ROOT" $([ "$SMOKE" = 1 ] && echo --smoke)

[ "$SMOKE" = 1 ] && exit 0
echo "The platform runs; logs in $DEMO_DIR/*.log (JSON lines). Ctrl-C stops it."
wait
