# The two commands of the README's quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SEED_QUESTION := What are the most evidence-backed exercises for a herniated disc with sciatica, in a patient with recent spinal surgery or neurological deficits?

.PHONY: demo test serve install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(BIN)/evidex corpus stats
	$(BIN)/evidex search "slipped disc sciatica exercise" --top-k 5
	$(BIN)/evidex ask "$(SEED_QUESTION)"

serve: install
	$(BIN)/evidex serve

# The browser tests drive Debian's chromium (installed when missing) and inject axe-core from npm.
test: install
	scripts/install_chromium.sh
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache tests/browser/node_modules artifacts
