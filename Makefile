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

# Debian packages the tests need: Chromium for browser tests, Graphviz for diagrams, Pango
# and a font for WeasyPrint's PDFs (the review packet).
SYSTEM_PACKAGES := chromium graphviz libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v dot >/dev/null \
		|| ! dpkg -s $(filter-out chromium graphviz,$(SYSTEM_PACKAGES)) >/dev/null 2>&1; then \
		apt-get update -q && apt-get install -y -q $(SYSTEM_PACKAGES); \
	fi

# The demo: the web app, a worker (timers and mail every 10 s) and a local SMTP server that
# keeps every mail as a file under instance/mail/ (all three stop together on Ctrl-C).
DEMO_MAIL ?= instance/mail
DEMO_SMTP_PORT ?= 8025
run: setup system-deps
	$(PY) -m web.demo --db $(DEMO_DB) --fresh
	$(VENV)/bin/reviewflow --db sqlite:///$(DEMO_DB) db upgrade
	@echo "mail: every message the demo sends is kept in $(CURDIR)/$(DEMO_MAIL)/ (.eml and .txt)"
	@trap 'kill $$mailbox $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) -m web.demo.mailbox --port $(DEMO_SMTP_PORT) --dir $(DEMO_MAIL) & mailbox=$$!; \
	REVIEWFLOW_SMTP_URL=smtp://127.0.0.1:$(DEMO_SMTP_PORT) REVIEWFLOW_MAIL_FROM=reviewflow@demo.test \
	REVIEWFLOW_BASE_URL=http://127.0.0.1:5000 \
	$(VENV)/bin/reviewflow --db sqlite:///$(DEMO_DB) worker --interval 10 & worker=$$!; \
	$(VENV)/bin/reviewflow --db sqlite:///$(DEMO_DB) serve --host 127.0.0.1 --port 5000

test: setup system-deps
	$(PY) -m pytest -n 2 -q

lint: setup
	$(VENV)/bin/ruff check engine web tests bench

clean:
	rm -rf $(VENV) instance .pytest_cache
