# Atlas: `make demo` runs Atlas on the demo brand; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: install demo serve cycle brief test bench lint lock clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# The commands after `make demo` (`.venv/bin/python manage.py ...`, `make cycle`) read the same settings
# as the served demo: a local .env with DEBUG on and the links in e-mails pointing at the console.
# Written once; an existing .env is never touched.
.env:
	@printf '%s\n' "# Written by make demo for a local try-out (see .env.example for every variable)." \
		"DEBUG=true" "ATLAS_SITE_URL=http://$(HOST)" > $@
	@echo "Wrote .env: DEBUG=true, ATLAS_SITE_URL=http://$(HOST)"

# The demo runs with DEBUG on unless the environment or .env says otherwise.
demo: export DEBUG ?= true
demo: export ATLAS_SITE_URL ?= http://$(HOST)
demo: install .env
	@mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py atlas_demo
	$(BIN)/python manage.py atlas_demo_past
	$(BIN)/python manage.py atlas_memory add --as owner --kind preference --key brand:max_discount_percent \
		--value '{"max_discount_percent": 30}' \
		--text "No discount or markdown deeper than 30% this quarter: we protect our price position."
	$(BIN)/python manage.py atlas_run --sync
	$(BIN)/python manage.py atlas_schedules
	@$(MAKE) --no-print-directory serve

# The console and a qcluster beside it. The qcluster runs in its own session so that Ctrl-C reaches
# it once, from the trap (a second signal while django-q2 stops its workers makes it recurse).
serve: export DEBUG ?= true
serve: export ATLAS_SITE_URL ?= http://$(HOST)
serve: install .env
	@echo "Atlas console: http://$(HOST)/admin/  (Ctrl-C stops the server and the qcluster)"
	@setsid $(BIN)/python manage.py qcluster & qcluster=$$!; \
		trap 'trap - INT TERM EXIT; kill -TERM $$qcluster 2>/dev/null; wait $$qcluster' INT TERM EXIT; \
		$(BIN)/python manage.py runserver --noreload $(HOST)

# The common next steps after `make demo`: the morning cycle in-process, then its briefing.
cycle: install .env
	$(BIN)/python manage.py atlas_run --sync

brief: install .env
	$(BIN)/python manage.py atlas_brief

# pytest exits 5 when it collected no test; that is a failure of the suite, not a pass.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Atlas measured at ten times the demo brand (README "Benchmarks"); the table on stdout, every sample in var/bench.json.
bench: export DEBUG ?= true
bench: install
	@mkdir -p var
	$(BIN)/python manage.py atlas_bench --scale standard --json var/bench.json

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Re-resolve the locked versions from pyproject.toml's ranges (needs the registry).
lock:
	rm -rf /tmp/atlas-lock && $(PYTHON) -m venv /tmp/atlas-lock
	/tmp/atlas-lock/bin/pip install --quiet --upgrade pip
	/tmp/atlas-lock/bin/pip install --quiet -e '.[test]'
	/tmp/atlas-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) var/*.sqlite3* var/mail var/demo
