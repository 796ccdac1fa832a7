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

# The whole suite but the heavier steps .ci/run takes one by one afterwards:
# fuzz, real worker processes and the browser.
test: install prepare-model
	$(BIN)/python -m pytest -m "not fuzz and not workers and not browser"

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

# llama-cpp-python compiles llama.cpp for the CPU it is built on (-march=native).
# Some virtual machines list AMX in CPUID but stop a process that runs an AMX
# instruction (SIGILL in the first matrix product, seen with llama-cpp-python
# 0.3.36), so on x86-64 the AMX kernels are left out and the AVX-512 ones stay.
LLAMA_CFLAGS := $(if $(filter x86_64,$(shell uname -m)),-mno-amx-tile -mno-amx-int8 -mno-amx-bf16)

$(VENV)/.installed: requirements.txt
	./scripts/system-packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	CFLAGS="$(LLAMA_CFLAGS)" CXXFLAGS="$(LLAMA_CFLAGS)" \
		$(BIN)/pip install --quiet $$(grep -i '^llama[-_]cpp[-_]python==' requirements.txt)
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

# Stream latency, decode and concurrency against raw llama-cpp-python; serves daphne
# on 127.0.0.1 and writes its stories to a temporary SQLite file.
.PHONY: bench-streaming
bench-streaming: install prepare-model
	$(BIN)/python bench/streaming.py

.PHONY: test-browser screenshots bench-pages

# Playwright drives Debian's chromium (scripts/browser-packages.sh installs it as
# root; without it the tests skip and say why). Playwright's own browsers are never
# downloaded. The tests start their own server on 127.0.0.1 and use the real model.
test-browser: install prepare-model
	./scripts/browser-packages.sh
	$(BIN)/python -m pytest -m browser tests/browser -p no:cacheprovider

# The same tests, saving the page screenshots the READMEs show into docs/screenshots/.
screenshots: install prepare-model
	./scripts/browser-packages.sh
	STORYENGINE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -m browser tests/browser -p no:cacheprovider

# Library, reading and compose pages of a writer with 1,000 stories; needs PostgreSQL
# at BENCH_DATABASE_URL's server, as bench-api does.
bench-pages: install
	$(BIN)/python bench/pages.py

.PHONY: messages

# Refresh the Telugu catalog of the pages from the code and templates, then
# compile it. The compiled .mo is committed, so `make run` needs no gettext tools;
# tests/pages/test_translations.py fails while a string lacks its Telugu or the
# .mo is older than the .po. Needs GNU gettext (apt-get install gettext).
messages: install
	$(BIN)/python manage.py makemessages --locale te --add-location file --no-obsolete \
		--ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'static/*' --ignore 'tests/*' \
		--ignore 'bench/*' --ignore 'scripts/*'
	msgfmt --check -o locale/te/LC_MESSAGES/django.mo locale/te/LC_MESSAGES/django.po

.PHONY: run-distributed test-workers

# Distributed mode on this machine: daphne, one Celery worker (concurrency 1,
# prefetch 1) and celery beat, on PostgreSQL (DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/storyengine) and Redis (REDIS_URL, default
# redis://127.0.0.1:6379/0). Ctrl+C stops all three.
run-distributed: install prepare-model
	HOST=$(HOST) PORT=$(PORT) ./scripts/run-distributed.sh

# Real Celery worker processes on the PostgreSQL and Redis of DATABASE_URL and
# REDIS_URL: killed workers, the stale-job finder, concurrent requests on one
# model and fifty jobs in one worker. Without both variables the tests skip.
test-workers: install prepare-model
	$(BIN)/python -m pytest -m workers tests/workers -p no:cacheprovider

clean:
	rm -rf $(VENV) .cache staticfiles
