# Two commands on a fresh machine with Python 3.11+ and make:
#   make run   - set up .venv, migrate, import the catalogue if empty, serve http://127.0.0.1:8000 (SQLite)
#   make test  - set up .venv and run the whole test suite (DATABASE_URL picks PostgreSQL)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1:8000

.PHONY: setup run test lint migrate catalogue worker messages bench clean load

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(BIN)/python manage.py migrate --noinput

# Only into an empty catalogue, so a restart never undoes editors' work; to update it from the
# files run `manage.py import_projects` (edited facts are kept and conflicts listed in the admin).
catalogue: migrate
	$(BIN)/python manage.py import_projects --if-empty

# The tasks worker (evidence files' public copies, e-mails) runs beside the dev server and stops with
# it, with the sweep that re-queues a file whose worker died and the reminders to invited companies,
# and once a day the alert digests (send_alert_digests, which also deletes unconfirmed subscriptions).
# Its output, with every e-mail sent (printed, unless EMAIL_URL says otherwise), is appended to var/worker.log.
# HOST=0.0.0.0:8000 serves the local network too (try the site from a phone on the same Wi-Fi).
run: catalogue
	@echo "Serving on http://$(HOST)/ (Ctrl-C to stop); e-mails are written to var/worker.log"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py db_worker --interval 2 >>var/worker.log 2>&1 & \
	(while sleep 300; do $(BIN)/python manage.py sweep_evidence; $(BIN)/python manage.py send_reply_reminders; done) >>var/worker.log 2>&1 & \
	(while sleep 86400; do $(BIN)/python manage.py send_alert_digests; done) >>var/worker.log 2>&1 & \
	$(BIN)/python manage.py runserver $(HOST)

worker: setup
	$(BIN)/python manage.py db_worker

# The browser tests (tests/e2e) drive Debian's Chromium; install it only when it is missing.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# WeasyPrint (the letters to authorities) needs Pango from the system; install it only when it is missing.
# No font package: the letters embed the DejaVu font shipped in static/vendor/fonts (Cyrillic and Kazakh).
pdf-libs:
	@ldconfig -p | grep -q libpangoft2-1.0 || (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0)

# One test process per core (pytest-xdist), each module's tests in one of them; PYTEST_WORKERS= runs one.
PYTEST_WORKERS ?= -n 2 --dist loadfile
test: setup browser pdf-libs
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null || \
		(echo "Models and migrations differ: run manage.py makemigrations" && exit 1)
	$(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The public pages through gunicorn (production settings, 2 workers) under wrk, at 1,000 and 100,000
# synthetic reports, both served at once and measured in turn, against issue 16's goals; exit status
# 1 when one is missed. About 9 minutes. Needs PostgreSQL (creates and drops kzcn_bench_1000 and
# kzcn_bench_100000) and Redis (flushes dbs 7 and 8) on 127.0.0.1; installs wrk.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kzcn_bench
BENCH_CACHE_URL ?= redis://127.0.0.1:6379/7
# Then the near-duplicate photo lookup at 100,000 files (bench/fingerprints.py, about a minute); the
# run fails if either missed a goal, after both have printed their figures.
bench: setup
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_CACHE_URL=$(BENCH_CACHE_URL) \
		$(BIN)/python bench/public_pages.py $(BENCH_ARGS); pages=$$?; \
	$(BIN)/python bench/fingerprints.py; photos=$$?; \
	exit $$(( pages || photos ))

# Load test: gunicorn + PostgreSQL (database kzcn_h, recreated) + Redis db 5 on 127.0.0.1, 20 clients,
# 200 reports with files; about 3 minutes. Needs PostgreSQL and Redis running locally.
load: setup
	$(BIN)/python bench/load_test.py $(LOAD_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var
