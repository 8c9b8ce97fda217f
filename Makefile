# Kanava: the commands of the contract (README, "Quick start").
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# `make run` serves clients directly, with no proxy in front: no X-Forwarded-* header is
# trusted (PROXY_HOPS=0) unless the environment or .env says how many proxies there are.
RUN_PROXY_HOPS := $(or $(PROXY_HOPS),$(shell sed -n 's/^PROXY_HOPS=//p' .env 2>/dev/null | tail -n 1),0)
# The test cluster lives under /tmp: the postgres user must be able to reach it.
ifndef PG_DIR
PG_DIR := $(shell mktemp -u -d /tmp/kanava-test-pg.XXXXXX)
endif
export FLASK_APP := wsgi

.PHONY: run test bench fuzz lint typecheck translations venv clean

$(VENV)/.installed: requirements.txt
	@# Debian's own python3 needs python3-venv for `-m venv`; install it when we can.
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || [ "$$(id -u)" != 0 ] || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

## make run: the web service and the clock on http://127.0.0.1:$(PORT)
run: $(VENV)/.installed
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/flask dev init
	@# Other commands of this checkout (flask jobs tick ...) link to the address served here.
	@instance=$${KANAVA_INSTANCE_PATH:-instance}; mkdir -p "$$instance" && \
	  echo "http://127.0.0.1:$(PORT)" > "$$instance/local_url"
	@PORT=$(PORT) $(PY) scripts/banner.py
	@trap 'kill 0' EXIT INT TERM; export PROXY_HOPS=$(RUN_PROXY_HOPS); \
	  $(VENV)/bin/flask scheduler run & \
	  $(VENV)/bin/gunicorn wsgi:app -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) \
	    --log-level warning & \
	  wait

## make test: lint, types, the layers, and the whole suite on SQLite and PostgreSQL
test: $(VENV)/.installed-dev
	scripts/ensure-chromium.sh
	$(VENV)/bin/ruff check app tests scripts bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	@set -e; \
	  url=$$(scripts/test-postgres.sh start $(PG_DIR)); \
	  trap 'scripts/test-postgres.sh stop $(PG_DIR)' EXIT; \
	  KANAVA_TEST_POSTGRES_URL=$$url $(VENV)/bin/python -m pytest -q -p no:cacheprovider

## make bench: throughput, latency and memory against the targets (README, "Benchmarks")
bench: $(VENV)/.installed-dev
	scripts/ensure-wrk.sh
	$(PY) bench/run.py $(BENCH_ARGS)

## make fuzz: random SMS, calls and web forms against a server on PostgreSQL (README, "Fuzzing")
## Sizes and seed: FUZZ_SMS, FUZZ_VOICE, FUZZ_WEB, FUZZ_GETS, FUZZ_THREADS, FUZZ_SEED.
fuzz: $(VENV)/.installed
	$(PY) scripts/fuzz/main.py

translations: $(VENV)/.installed-dev
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l --sort-output -o app/translations/messages.pot --no-location .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d app/translations

clean:
	rm -rf $(VENV) .tmp .pytest_cache .mypy_cache .ruff_cache
