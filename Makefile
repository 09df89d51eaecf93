# CivicGrid — two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
UV_VERSION := 0.13.8
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?= -n auto
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Byte-compile dependencies at install: every manage.py call then starts ~1.5 s faster, even where
# PYTHONDONTWRITEBYTECODE is set.
export UV_COMPILE_BYTECODE := 1

.PHONY: install demo serve test lint verify-audit messages bench clean

$(VENV)/.installed: pyproject.toml uv.lock Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(PY) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen --quiet
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

# Install, migrate, load the demo city and its users (once), then serve.
demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createcachetable
	$(PY) manage.py seed_calendar
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py load_demo --url http://$(HOST):$(PORT)/
	@# The background worker (tasks + periodic jobs) runs beside the server and stops with it.
	$(PY) manage.py worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

serve: install
	$(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite; browser tests are skipped (and reported) where /usr/bin/chromium is absent.
# pytest's exit status 5 ("no tests collected") is not a failure of the suite.
test: install
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then exit 0; fi; exit $$rc

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

verify-audit: install
	$(PY) manage.py verify_audit

messages: install
	$(PY) manage.py makemessages -l en --ignore=node_modules --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=node_modules --ignore=.venv

clean:
	rm -rf $(VENV) node_modules var/static
