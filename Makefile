# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The platform sandboxes: SANDBOX_PORT and the five ports after it. A second install (or a
# test run beside `make run`) picks other ones: make run PORT=8010 SANDBOX_PORT=8711
SANDBOX_PORT ?= 8701

.PHONY: run test lint format messages clean chromium nginx bench bench-faults bench-phone screenshots

# Re-installs when the project's dependencies change.
$(BIN)/.installed: pyproject.toml tools/make_venv.py
	test -x $(BIN)/python || $(PYTHON) tools/make_venv.py $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The web server, the task worker (reminders, publish jobs) and the platform sandboxes the
# demo's channels post to, together; Ctrl-C stops them all.
run: $(BIN)/.installed
	SIARAN_DEBUG=$${SIARAN_DEBUG:-1} $(BIN)/siaran migrate --noinput
	SIARAN_DEBUG=$${SIARAN_DEBUG:-1} SIARAN_SANDBOX_URL=http://127.0.0.1:$(SANDBOX_PORT) \
	  $(BIN)/siaran demo
	export SIARAN_DEBUG=$${SIARAN_DEBUG:-1} SIARAN_SANDBOX_URL=http://127.0.0.1:$(SANDBOX_PORT); \
	  $(BIN)/siaran db_worker & worker=$$!; \
	  $(BIN)/siaran sandbox --port $(SANDBOX_PORT) & sandbox=$$!; \
	  trap 'kill $$worker $$sandbox 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/siaran runserver $(HOST):$(PORT)

test: $(BIN)/.installed chromium nginx
	$(BIN)/pytest

# The guides' pictures in docs/img/, taken by the browser tests as they walk the pages.
screenshots: $(BIN)/.installed chromium
	SIARAN_GUIDE_SCREENSHOTS=1 $(BIN)/pytest -q tests/test_browser.py tests/test_browser_review.py \
	  tests/test_browser_reports.py tests/test_browser_signin.py

# The browser test drives Debian's Chromium; install it where this user can.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "Chromium is missing, so the browser test is skipped: sudo apt-get install chromium"

# The production browser test puts deploy/nginx/siaran.conf in front of `siaran serve`.
nginx:
	@command -v nginx >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; } || \
	  echo "nginx is missing, so the production browser test is skipped: sudo apt-get install nginx"

# Transitions per second, SQL statements per transition, inbox latency and the monitoring
# report, each beside a baseline from the same run; results in bench/results/.
# BENCH_ARGS=--quick for a short run, BENCH_ARGS="--only monitoring" for the report alone.
bench: $(BIN)/.installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Publishing while 200 workers are killed: duplicates and lost posts, target 0 and 0.
# FAULTS_ARGS="--kills 20 --jobs 6" for a short run; see bench/README.md.
bench-faults: $(BIN)/.installed
	$(BIN)/python bench/publish_faults.py $(FAULTS_ARGS)

# The case page of a review step with a 10 MB poster and a 100 MB video, on a phone under
# Slow 4G: bytes and LCP beside the page with no attachment; results in bench/results/.
# PHONE_ARGS=--quick for one run per page; see bench/README.md.
bench-phone: $(BIN)/.installed chromium
	$(BIN)/python bench/phone.py $(PHONE_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the Indonesian catalogue after changing a translatable string.
messages: $(BIN)/.installed
	cd siaran && ../$(BIN)/siaran makemessages -l id --no-obsolete --no-location
	cd siaran && ../$(BIN)/siaran compilemessages -l id

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
