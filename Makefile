# The two commands of the README's quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SEED_QUESTION := What are the most evidence-backed exercises for a herniated disc with sciatica, in a patient with recent spinal surgery or neurological deficits?

LATEST := .venv-latest
EXTRAS := test,bench,postgres,scale
PARALLEL := -n auto --dist loadfile

.PHONY: demo test test-latest check-install bench-smoke serve install lock clean

install: $(VENV)/.installed

# The tested versions of every dependency, from requirements.lock (refresh it with `make lock`).
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Re-resolve requirements.lock to the newest versions pyproject.toml allows (then run `make test`).
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 --generate-hashes --upgrade --quiet -o requirements.lock

demo: install
	$(BIN)/evidex corpus stats
	$(BIN)/evidex search "slipped disc sciatica exercise" --top-k 5
	$(BIN)/evidex ask "$(SEED_QUESTION)"

serve: install
	$(BIN)/evidex serve

# The browser tests drive Debian's chromium (installed when missing) and inject axe-core from npm.
# Tests run in parallel, one worker per core, a test file per worker (pytest-xdist; a file shares its
# fixtures): 425 s instead of 613 s on two cores.
test: install
	scripts/install_chromium.sh
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	$(BIN)/python -m pytest -q $(PARALLEL)

# The suite again on the newest versions pyproject.toml allows, so that a new release of a
# dependency that breaks evidex fails here before it reaches a user.  It runs the test files that
# meet a dependency at its interface (the web service, PostgreSQL and pgvector, Ray, PubMed's XML
# and HTTP, the embedding engines, the sentence splitter, the LLM client …), not the tests marked
# slow (kill -9 runs, Ray and PostgreSQL end to end, the built-in corpus in PostgreSQL) nor LATEST_SKIPS, to keep CI under 20 minutes.
# The price: an answer that a new release of pysbd, pyspellchecker or onnxruntime changes is caught
# only when the lock is refreshed (test_answer runs on the lock); check-install runs the CLI on the
# newest versions, but its exit codes are checked on the lock (test_cli); embedding runs are slow;
# the review workflow's libraries (SQLAlchemy, alembic, argon2) are met by test_api, not test_publish;
# and the browser tests (test_web) meet Playwright and Chromium, which are tools of the tests, not
# dependencies of evidex.
LATEST_SKIPS := test_answer test_cli test_embedding_runs test_publish test_web
# uv, not pip, builds this environment: it resolves the same newest versions in seconds, not minutes.
test-latest: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv venv --quiet --clear --python $(PYTHON) $(LATEST)
	VIRTUAL_ENV=$(LATEST) $(BIN)/uv pip install --quiet --upgrade -e '.[$(EXTRAS)]'
	VIRTUAL_ENV=$(LATEST) $(BIN)/uv pip freeze > $(LATEST)/versions.txt
	$(LATEST)/bin/python -m pytest -q -p no:cacheprovider -m "not slow" $(PARALLEL) $(LATEST_SKIPS:%=--ignore=tests/%.py)

# The built wheel in a clean venv with no extras: evidex --help, corpus stats, ask, db upgrade, serve.
check-install: install
	scripts/check_install.sh

# Every benchmarks/*.py script once on a tiny sample (--limit 2): a missing dependency or a renamed
# API fails here; the figures mean nothing (scripts/smoke_benchmarks.sh says which scripts count).
bench-smoke: install
	scripts/smoke_benchmarks.sh

clean:
	rm -rf $(VENV) $(LATEST) .pytest_cache tests/browser/node_modules artifacts
