# The two commands of the quick start: `make run` and `make test`.
# Both do every set-up step themselves on a fresh Debian machine.
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DB ?= instance/demo.sqlite3
export REVIEWFLOW_TEST_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: run test lint setup system-deps clean translations catalogues

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed catalogues

# Compile the gettext catalogues (web/translations/*/LC_MESSAGES/messages.po -> .mo).
catalogues: $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -d web/translations

# After wrapping new strings in _(): extract them, merge them into the da and sv catalogues
# (then translate the new empty entries), compile, and list what is still missing.
translations: $(VENV)/.installed
	$(PY) -m web.catalogues update
	$(VENV)/bin/pybabel -q compile -d web/translations
	$(PY) -m web.catalogues check

# Debian packages the tests need: Chromium for browser tests, Graphviz for diagrams.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v dot >/dev/null; then \
		apt-get update -q && apt-get install -y -q chromium graphviz; \
	fi

run: setup system-deps
	$(PY) -m web.demo --db $(DEMO_DB) --fresh
	$(VENV)/bin/reviewflow --db sqlite:///$(DEMO_DB) serve --host 127.0.0.1 --port 5000

test: setup system-deps
	$(PY) -m pytest -n 2 -q

lint: setup
	$(VENV)/bin/ruff check engine web tests bench

clean:
	rm -rf $(VENV) instance .pytest_cache
