# The two commands of the README: `make demo` and `make test`. Everything else helps them.
.PHONY: install infra demo test test-unit lint format asyncapi openapi image bench bench-kit bench-members bench-ledger bench-payroll bench-governance bench-matching bench-portal

install:            ## the locked virtual environment (.venv), installing uv if needed
	bash scripts/bootstrap.sh

infra: install      ## install and start RabbitMQ (with management) and PostgreSQL
	bash scripts/ensure-infra.sh

demo:               ## the platform on this machine, SQLite stores, seeded demo network
	bash scripts/demo.sh

test:               ## lint and every test, against real RabbitMQ and PostgreSQL
	bash scripts/test.sh

test-unit: install  ## every unit test (tests/unit/ folders): no broker, no database
	CAE_TEST_UNIT=1 .venv/bin/python -m pytest $$(find libs services tests -type d -path '*tests/unit' | sort)

lint: install       ## ruff, and import-linter's contracts on the rooms of every service
	.venv/bin/ruff check .
	.venv/bin/lint-imports

format: install
	.venv/bin/ruff format libs services tests bench

asyncapi: install   ## regenerate docs/asyncapi.yaml from the event contracts
	.venv/bin/python -m cae_contracts.asyncapi --write docs/asyncapi.yaml

openapi: install    ## regenerate docs/openapi/<service>.yaml from the HTTP entrypoints
	.venv/bin/python -m caekit.openapi --write docs/openapi

IMAGE_TAG ?= dev
image:              ## the container image cae-platform:$(IMAGE_TAG) from the root Dockerfile (docker, else podman)
	@engine=; for e in docker podman; do \
	  if command -v $$e >/dev/null 2>&1 && $$e info >/dev/null 2>&1; then engine=$$e; break; fi; \
	done; \
	if [ -z "$$engine" ]; then \
	  echo "make image: no container engine answers (\`docker info\` and \`podman info\` fail or are not installed): start the Docker daemon, or install podman" >&2; \
	  exit 1; \
	fi; \
	echo "make image: $$engine build -t cae-platform:$(IMAGE_TAG) ."; \
	DOCKER_BUILDKIT=1 $$engine build -t cae-platform:$(IMAGE_TAG) .

bench: bench-kit bench-members bench-ledger bench-payroll bench-governance bench-matching bench-portal  ## every benchmark under bench/

bench-kit: install infra   ## kit throughput: broker limit vs naive consumer vs outbox->relay->handler
	.venv/bin/python bench/bench_kit.py

bench-members: install infra  ## deadline scan and member listings at 10k and 100k members
	.venv/bin/python bench/bench_members.py

bench-ledger: install infra   ## balance query at 10k/1M entries; payments: broker vs naive vs service
	.venv/bin/python bench/bench_ledger.py

bench-payroll: install infra  ## engine vs OpenFisca on 10k payslips; a 100k-payslip run, 1 and 2 workers
	.venv/bin/python bench/bench_payroll.py

bench-governance: install infra  ## 100k votes by API vs a bare endpoint; a poll's close at 1k/10k voters
	.venv/bin/python bench/bench_governance.py

bench-matching: install infra  ## search p50/p95 at 10k and 100k profiles; a team's optimum vs the greedy
	.venv/bin/python bench/bench_matching.py

bench-portal: install infra  ## the entrepreneur's home page, 50 sessions: portal p95 vs its API calls made directly
	.venv/bin/python bench/bench_portal.py
