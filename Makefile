# Two commands do all the set-up: `make run` (the main job) and `make test` (every test).
# Both create or reuse .venv and install what is missing, system packages included.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.listwatch-installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml .ci/bootstrap
	.ci/bootstrap
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/listwatch run --diagrams out/run

lint: $(STAMP)
	$(BIN)/ruff check engine tests benchmarks examples
	$(BIN)/ruff format --check engine tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The web view's browser tests need Debian's chromium (the bootstrap installs it): they may not skip.
# The docker backend's tests need a Docker Engine: `.ci/dockerd run` starts the project's own (and
# stops it after), imports busybox into it, starts its registry mirror (.ci/registry), requires the
# docker tests (no skips), and fails the run if listwatch left a container behind. The features then
# run again on the docker backend, six scenarios at a time (each its own cluster; their waits are
# real seconds). Last, they run on the cluster backend against `listwatch serve` (`.ci/served run`:
# the server on a free port, stopped by its PID after, and the run fails if it left anything in the
# cluster), six at a time too (each in a namespace of its own; the real clock).
test: lint
	LISTWATCH_REQUIRE_CHROMIUM=1 .ci/dockerd run sh -c '$(BIN)/python -m pytest && $(BIN)/python -m pytest --backend docker tests/bdd -n 6 --dist worksteal'
	.ci/served run sh -c '$(BIN)/python -m pytest --backend cluster --kubeconfig "$$KUBECONFIG" tests/bdd -n 6 --dist worksteal -rs'

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_lifecycle.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
