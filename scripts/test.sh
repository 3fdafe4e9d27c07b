#!/usr/bin/env bash
# `make test`: install and start what the tests need, then lint and run every test on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-infra.sh
bash scripts/ensure-browser.sh   # Debian's Chromium, for the portal's browser tests

export CAE_TEST_DB=${CAE_TEST_DB:-postgresql}
export CAE_TEST_PG_URL=${CAE_TEST_PG_URL:-postgresql://cae:cae@127.0.0.1:5432/postgres}

# leftovers of killed runs (stack.md pitfall 2): test vhosts and test databases
for vhost in $(rabbitmqctl -q list_vhosts name | grep '^cae_test_' || true); do
  rabbitmqctl -q delete_vhost "$vhost" >/dev/null || true
done
su postgres -c "psql -Atq -d postgres -c \"SELECT datname FROM pg_database WHERE datname LIKE 'cae\\_t\\_%' OR datname LIKE 'cae\\_tpl\\_%'\"" \
  | while read -r db; do su postgres -c "psql -q -d postgres -c 'DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)'"; done

.venv/bin/ruff check .
.venv/bin/lint-imports
.venv/bin/python -m pytest "$@"
