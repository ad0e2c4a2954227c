# CityPilot: `make demo` and `make test` set up a fresh Debian 12 machine by themselves.
#   bootstrap  Debian packages (only the missing ones) + .venv with the project installed
#   test       bootstrap, lint, the test suite
#   demo       bootstrap, private servers, schema, the Dijon demo city; prints where everything is
#   bench      bootstrap, private servers, every benchmarks/bench_*.py
#   lint / clean / distclean

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# System packages the project runs on (later issues add chromium, python3-qgis, xvfb).
DEB_PACKAGES := postgresql-15-postgis-3 mosquitto mosquitto-clients gdal-bin

SYSTEM_PYTHON := /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
CITYPILOT := $(VENV)/bin/citypilot
STAMP := $(VENV)/.installed
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help bootstrap system-packages venv test lint demo bench clean distclean

help:
	@sed -n 's/^#   //p' Makefile

bootstrap: system-packages venv

system-packages:
	@missing=""; \
	for pkg in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(STAMP)

$(PY):
	$(SYSTEM_PYTHON) -m venv $(VENV)

# Reinstalled only when the packaging metadata changed since the last install.
$(STAMP): setup.cfg pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

lint: venv
	$(VENV)/bin/ruff check .

test: bootstrap
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

demo: bootstrap
	$(CITYPILOT) services up
	$(CITYPILOT) db upgrade
	$(CITYPILOT) demo load
	$(CITYPILOT) services status

bench: bootstrap
	$(CITYPILOT) services up
	@for bench in benchmarks/bench_*.py; do \
	  [ -e "$$bench" ] || continue; \
	  echo "== $$bench"; \
	  $(PY) "$$bench"; \
	done

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

# Also stops the private servers and deletes their data and the venv.
distclean: clean
	if [ -x $(CITYPILOT) ]; then $(CITYPILOT) services down --purge; fi
	rm -rf $(VENV) var
