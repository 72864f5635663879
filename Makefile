# Jigi: `make run` starts everything on embedded defaults; `make test` runs the test suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PHONE ?= +22376123456
URL ?= http://127.0.0.1:8000

FUZZ_FACTOR ?= 10

.PHONY: run test fuzz lint browser pg-client locales ussd at-server orange-server android-server at-voice-server twiml-server dhis2-server bench screenshots clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

locales: $(VENV)/.runtime
	$(PY) -c "from service.i18n import compile_catalogs; [print('compiled', p) for p in compile_catalogs()]"

run: $(VENV)/.runtime locales
	$(PY) -m service.devserver

test: $(VENV)/.dev locales browser pg-client
	$(PY) -m pytest $(PYTEST_ARGS)

# The property tests (every callback, API operation, console form and query, USSD input; schemathesis over
# the OpenAPI document with every check) with FUZZ_FACTOR times their everyday examples.
fuzz: $(VENV)/.dev locales
	JIGI_FUZZ_FACTOR=$(FUZZ_FACTOR) $(PY) -m pytest -q tests/test_bad_input.py \
	  tests/test_console_forms_fuzz.py tests/test_ussd_fuzz.py tests/test_api_openapi.py

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

browser:
	bash tools/ensure-chromium.sh

pg-client:
	bash tools/ensure-pg-client.sh

ussd: $(VENV)/.runtime
	$(PY) -m service.devtools.ussd_phone --phone "$(PHONE)" --url "$(URL)"

at-server: $(VENV)/.runtime
	$(PY) -m service.devtools.at_server

orange-server: $(VENV)/.runtime
	$(PY) -m service.devtools.orange_server

android-server: $(VENV)/.runtime
	$(PY) -m service.devtools.android_server

at-voice-server: $(VENV)/.runtime
	$(PY) -m service.devtools.at_voice_server

twiml-server: $(VENV)/.runtime
	$(PY) -m service.devtools.twiml_server

dhis2-server: $(VENV)/.runtime
	$(PY) -m service.devtools.dhis2_server

screenshots: $(VENV)/.dev locales browser
	JIGI_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/browser -q

bench: $(VENV)/.dev locales
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) instance
