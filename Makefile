# The two commands of a fresh clone: `make run`, then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test smoke fuzz admin install system-packages prepare-model migrate bench bench-api clean

run: install prepare-model migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C stops)"
	$(BIN)/daphne -b $(HOST) -p $(PORT) storyengine.asgi:application

test: install prepare-model
	$(BIN)/python -m pytest -m "not fuzz"

# The embedded default (SQLite, in-memory channel layer, in-process jobs) on a
# few end-to-end tests; .ci/run calls it after the full suite.
smoke: install prepare-model
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m pytest -m smoke

# Schemathesis against the OpenAPI document on a live test server: every
# operation but the generation ones, 25 valid and 25 invalid requests each.
# `timeout` ends a run that hangs; the run takes about 1 to 3 minutes on 2 cores.
fuzz: install prepare-model
	timeout --signal=INT --kill-after=30 600 $(BIN)/python -m pytest -m fuzz tests/fuzz

# Without DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD it asks for them.
admin: install migrate
	DJANGO_SUPERUSER_USERNAME=$${DJANGO_SUPERUSER_USERNAME:-admin} \
	$(BIN)/python manage.py createsuperuser $(if $(DJANGO_SUPERUSER_EMAIL),--noinput,)

install: $(VENV)/.installed .env

$(VENV)/.installed: requirements.txt
	./scripts/system-packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

.env: | $(VENV)/.installed
	./scripts/ensure-env.sh

prepare-model: install
	$(BIN)/python manage.py prepare_model

migrate: install
	$(BIN)/python manage.py migrate --noinput

bench: install prepare-model
	$(BIN)/python bench/generation.py

# Needs PostgreSQL at BENCH_DATABASE_URL's server and Debian's wrk (apt-get install wrk).
bench-api: install
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) .cache staticfiles
