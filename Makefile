# Two commands for a new user: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: install run test lint format clean bench

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Development server: SQLite in var/, a filesystem broker, mail and texts to var/.
# A development-only Twilio token lets `manage.py sms_sign` sign requests to the SMS
# webhooks (README, "Text messages: replies and the webhook"); texts still go to files,
# as only TWILIO_ACCOUNT_SID switches sending to Twilio.
DEV_TWILIO_AUTH_TOKEN ?= dev-only-twilio-token
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	TWILIO_AUTH_TOKEN="$${TWILIO_AUTH_TOKEN:-$(DEV_TWILIO_AUTH_TOKEN)}" \
		$(BIN)/python manage.py devserver --port $(PORT)

# pytest-django runs the tests themselves with DEBUG off.
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# Benchmark at clinic-chain scale (docs/PERFORMANCE.md): needs PostgreSQL, and Redis for
# the follow-up throughput. Seeds 100,000 patients / 1,000,000 visits once (a few minutes).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clinic_bench
BENCH_BROKER_URL ?= redis://127.0.0.1:6379/0
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk; } || \
		{ echo "wrk is needed: apt-get install -y wrk"; exit 1; }
	$(BIN)/python -c "import psycopg2, sys; u = sys.argv[1]; c = psycopg2.connect(u.rsplit('/', 1)[0] + '/postgres'); \
		c.autocommit = True; cur = c.cursor(); cur.execute('SELECT 1 FROM pg_database WHERE datname = %s', [u.rsplit('/', 1)[1]]); \
		cur.fetchone() or cur.execute('CREATE DATABASE \"%s\"' % u.rsplit('/', 1)[1])" "$(BENCH_DATABASE_URL)"
	DATABASE_URL=$(BENCH_DATABASE_URL) CELERY_BROKER_URL=$(BENCH_BROKER_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) CELERY_BROKER_URL=$(BENCH_BROKER_URL) BENCH=1 $(BIN)/python manage.py bench --write-docs $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/ *.egg-info
