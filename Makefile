# The targets README.md names. GNU make.

VENV := .venv
# Re-install only when the lock file changes.
VENV_STAMP := $(VENV)/.requirements.lock.installed
# The Nu HTML checker that tests/test_html_valid.py runs (with Java): the npm registry's
# package, pinned by version and checksum, kept in .cache (32 MB, too big for the repository).
VNU_VERSION := 26.9.27
VNU_SHA256 := 5970d3ffca91a627cf0965e5d91bb2e4242307c29292998de0b419d6a901b2b7
VNU_JAR := .cache/vnu-$(VNU_VERSION).jar

# Django 6.1 needs Python 3.12+; the machine's default python3 may be older, so take the first
# candidate that runs and is new enough (a pyenv shim for a missing version fails to run).
# Override with PYTHON=/path/to/python3.12.
IS_NEW_ENOUGH := -c 'import sys; sys.exit(sys.version_info < (3, 12))'
PYTHON_CANDIDATES = python3.13 python3.12 \
	$$(ls -d $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3
PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	"$$p" $(IS_NEW_ENOUGH) 2>/dev/null && command -v "$$p" && break; done)

.PHONY: run test check lint types layers fast-tests lock clean python .venv bench vnu

run: $(VENV_STAMP)
	@$(VENV)/bin/python -m devtools.launcher

# The tests marked `postgres` run a second time on PostgreSQL where one answers (CI has one).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
POSTGRES_ANSWERS = $(VENV)/bin/python -c 'import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()'

# Tests run side by side (pytest-xdist), each process with its own Redis and test database.
# Two processes a core: the slow tests mostly wait (on renders, polls, a browser), and an idle
# process takes the next test from a busy one (worksteal). The slowest ten are printed at the end.
TEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc 2>/dev/null || echo 2) )))
TEST_ARGS ?= -n $(TEST_WORKERS) --dist worksteal --durations=10
test: $(VENV_STAMP) $(VNU_JAR)
	VNU_JAR=$(VNU_JAR) $(VENV)/bin/python -m pytest $(TEST_ARGS)
	@if $(POSTGRES_ANSWERS) '$(TEST_POSTGRES_URL)' 2>/dev/null; then \
		echo "== the pipeline tests again, on PostgreSQL ($(TEST_POSTGRES_URL))"; \
		DATABASE_URL='$(TEST_POSTGRES_URL)' $(VENV)/bin/python -m pytest -m postgres $(TEST_ARGS); \
	else \
		echo "== no PostgreSQL answers at $(TEST_POSTGRES_URL): its pass is skipped (set TEST_POSTGRES_URL)"; \
		test -z "$(REQUIRE_POSTGRES)"; \
	fi

# The inner loop: lint, types, import layers and the tests that need no browser, worker
# process or PostgreSQL.
check: lint types layers fast-tests

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy's Django plugin loads the settings, which want DEBUG (or a SECRET_KEY) to load.
types: $(VENV_STAMP)
	DEBUG=1 $(VENV)/bin/mypy studio devtools

layers: $(VENV_STAMP)
	$(VENV)/bin/lint-imports

fast-tests: $(VENV_STAMP) $(VNU_JAR)
	VNU_JAR=$(VNU_JAR) $(VENV)/bin/python -m pytest -n auto -m "not integration and not e2e" -q

# Regenerates requirements.lock from pyproject.toml: the newest releases that satisfy the
# project's dependencies and its dev group, installed into a scratch venv and frozen.
lock:
	@$(MAKE) --no-print-directory -s python >/dev/null
	rm -rf .lock-venv && "$(PYTHON)" -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
	.lock-venv/bin/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))\
		["project"]["dependencies"], sep="\n")' > .lock-venv/requirements.in
	.lock-venv/bin/python -m pip install -q --disable-pip-version-check \
		-r .lock-venv/requirements.in --group dev
	{ sed -n '/^#/p' requirements.lock; .lock-venv/bin/python -m pip freeze --exclude-editable \
		| sort -f; } > .lock-venv/requirements.lock
	mv .lock-venv/requirements.lock requirements.lock
	rm -rf .lock-venv

# Polling against the gateway simulator, measured; figures and method in BENCHMARKS.md.
# About 25 minutes on 2 cores (PostgreSQL for the last two); options: make bench BENCH_ARGS="--help".
bench: $(VENV_STAMP)
	$(VENV)/bin/python -m bench $(BENCH_ARGS)
	$(VENV)/bin/python -m bench.export
	$(VENV)/bin/python -m bench.storyboard
	$(VENV)/bin/python -m bench.live_load --database-url '$(TEST_POSTGRES_URL)'
	$(VENV)/bin/python -m bench.machines --database-url '$(TEST_POSTGRES_URL)'

# Prints the interpreter the venv is made with, or stops with what to do.
python:
	@test -n "$(PYTHON)" && "$(PYTHON)" $(IS_NEW_ENOUGH) || { \
		echo "needs Python 3.12 or newer; install it or set PYTHON=/path/to/python3.12" >&2; \
		exit 1; }
	@"$(PYTHON)" -c 'import sys; print(sys.executable, sys.version.split()[0])'

.venv: $(VENV_STAMP)

# An existing venv is kept; one missing or made by an older Python is rebuilt. pip's whole
# output goes to $(VENV)/install.log: one line on screen, and the log's end when it fails.
$(VENV_STAMP): requirements.lock
	@$(VENV)/bin/python $(IS_NEW_ENOUGH) 2>/dev/null || { \
		$(MAKE) --no-print-directory -s python >/dev/null && "$(PYTHON)" -m venv --clear $(VENV); }
	@printf 'Installing the Python packages into $(VENV) (log: $(VENV)/install.log)... '
	@$(VENV)/bin/python -m pip install --disable-pip-version-check --progress-bar off \
		-r requirements.lock >$(VENV)/install.log 2>&1 || { \
		echo 'failed:'; grep -vE '^ *(Requirement already satisfied|Collecting|Downloading|Using cached)' \
			$(VENV)/install.log; \
		exit 1; }
	@echo done
	@touch $@

# The Nu HTML checker, fetched once.
vnu: $(VNU_JAR)
$(VNU_JAR):
	@mkdir -p .cache
	@echo 'Fetching the Nu HTML checker $(VNU_VERSION) from the npm registry'
	@curl -fsSL --retry 3 -o .cache/vnu.tgz \
		https://registry.npmjs.org/vnu-jar/-/vnu-jar-$(VNU_VERSION).tgz
	@echo '$(VNU_SHA256)  .cache/vnu.tgz' | sha256sum --check --quiet
	@tar -xzf .cache/vnu.tgz -C .cache package/build/dist/vnu.jar
	@mv .cache/package/build/dist/vnu.jar $@
	@rm -rf .cache/package .cache/vnu.tgz

# Leaves var/ alone: it holds the development database and media.
clean:
	rm -rf $(VENV) .lock-venv staticfiles test-results .pytest_cache .ruff_cache .mypy_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
