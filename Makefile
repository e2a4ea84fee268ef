# Two commands on a fresh machine: `make run` and `make test`. Nothing prompts.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.requirements-installed
DEV_STAMP := $(VENV)/.requirements-dev-installed

.PHONY: run test setup setup-dev migrate lint bench bench-stack bench-profile bench-bcrypt stack clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Tests and tools on top: reinstalled when requirements-dev.txt or requirements.txt changes.
$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

# Runtime only (what production installs); setup-dev adds requirements-dev.txt.
setup: $(STAMP)

setup-dev: $(DEV_STAMP)

migrate: setup
	$(BIN)/python manage.py migrate --noinput

# The demo keys are kept in .demo-keys.json (git-ignored, 0600), so every run prints the same ones.
run: migrate
	$(BIN)/python manage.py ensure_demo --keys-file .demo-keys.json
	$(BIN)/python manage.py runserver --noreload 127.0.0.1:$(PORT)

test: setup-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/request_path.py

# The production topology (gunicorn, a Celery worker, a PostgreSQL database and Redis db of its own)
# under wrk, beside django-phone-verify (docs/benchmarks.md). Needs wrk (apt-get install -y wrk).
# BENCH_ARGS: e.g. "--scale" (1k/100k/1M sessions), "--seconds 30", "--record", "--no-peer".
bench-stack: setup
	$(BIN)/python bench/stack.py $(BENCH_ARGS)

# CPU per request of each kind in one process, production settings (docs/benchmarks.md, "Profile").
# BENCH_ARGS: e.g. "--tree send" for its call tree (needs pyinstrument).
bench-profile: setup
	$(BIN)/python bench/profile.py $(BENCH_ARGS)

# Cost of OTP_BCRYPT_ROUNDS vs verifications/s and brute-force time (docs/security.md).
bench-bcrypt: setup
	$(BIN)/python bench/bcrypt_costs.py $(BENCH_ARGS)

lint: setup-dev
	$(BIN)/ruff check .

# Full stack against DATABASE_URL and REDIS_URL: gunicorn, a worker for every queue, and beat.
stack: setup
	@test -n "$$DATABASE_URL" || (echo "Set DATABASE_URL (postgres://…)"; exit 1)
	@test -n "$$REDIS_URL" || (echo "Set REDIS_URL (redis://…)"; exit 1)
	DJANGO_SETTINGS_MODULE=otpservice.settings.production $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=otpservice.settings.production $(BIN)/python manage.py collectstatic --noinput
	scripts/stack.sh

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
