# CityPilot: `make demo` and `make test` set up a fresh Debian 12 machine by themselves.
#   bootstrap  Debian packages (only the missing ones) + .venv with the project installed
#   test       bootstrap, lint, the test suite
#   demo       bootstrap, private servers, schema, the Dijon demo city, ingest + simulator + web in the background;
#              prints the URLs and a demo account per role
#   demo-stop  stops what demo runs in the background
#   bench      bootstrap, private servers, every benchmarks/bench_*.py
#   qgis-plugin  the QGIS plugin's installable zip (plugins/qgis/dist)
#   lint / clean / distclean

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# System packages the project runs on; libatomic1 is what the Playwright driver's bundled node needs.
DEB_PACKAGES := postgresql-15-postgis-3 mosquitto mosquitto-clients gdal-bin curl chromium libatomic1
# The QGIS plugin: Debian's QGIS 3.22 for /usr/bin/python3 (tests, headless), lrelease for its translations.
DEB_PACKAGES += python3-qgis qgis-providers qgis-common qttools5-dev-tools
# The desktop (PyQt6 + QtWebEngine, offscreen): the libraries Qt loads on a fresh Debian 12.
DEB_PACKAGES += libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libbrotli1 libnss3 libasound2 \
  libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1 libgbm1

SYSTEM_PYTHON := /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
CITYPILOT := $(VENV)/bin/citypilot
RUN_DIR := $(or $(CITYPILOT_HOME),var)
WEB_PORT ?= 8000
# The crew tablet: HTTPS on every address of this machine (service workers, camera and geolocation need it).
TLS_PORT ?= 8443
OSMAND_PORT ?= 5055
STAMP := $(VENV)/.installed
OGC_VENV := .venv-ogc
OGC_STAMP := $(OGC_VENV)/.installed
PYGEOAPI_VENV := .venv-bench-pygeoapi
QGIS_VENV := .venv-qgis
QGIS_STAMP := $(QGIS_VENV)/.installed
QGIS_PLUGIN := plugins/qgis
PYGEOAPI_STAMP := $(PYGEOAPI_VENV)/.installed
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help bootstrap system-packages venv test lint demo demo-stop translations bench clean distclean qgis-plugin

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

venv: $(STAMP) $(OGC_STAMP) $(QGIS_STAMP)

$(PY):
	$(SYSTEM_PYTHON) -m venv $(VENV)

# Reinstalled only when the packaging metadata changed since the last install.
$(STAMP): setup.cfg pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev,desktop]'
	touch $@

# The OGC's conformance verifier pins pytest 8 (the project runs 9): a virtual environment of its own,
# with the version pinned in setup.cfg (extra `conformance`).
$(OGC_STAMP): setup.cfg
	$(SYSTEM_PYTHON) -m venv $(OGC_VENV)
	$(OGC_VENV)/bin/python -m pip install -q $$(sed -n 's/^ *\(ogctests==[0-9.]*\) *$$/\1/p' setup.cfg)
	touch $@

# pygeoapi, which benchmarks/bench_ogc.py measures CityPilot's OGC API against: a virtual environment of
# its own, made by `make bench` only, with the versions pinned in setup.cfg (extra `bench-pygeoapi`).
$(PYGEOAPI_STAMP): setup.cfg
	$(SYSTEM_PYTHON) -m venv $(PYGEOAPI_VENV)
	$(PYGEOAPI_VENV)/bin/python -m pip install -q $$(sed -n '/^bench-pygeoapi =/,/^[^ ]/s/^ \{4\}\([A-Za-z0-9_.-]*==[0-9.]*\) *$$/\1/p' setup.cfg)
	touch $@

# The QGIS plugin's tools and tests run under Debian's QGIS, i.e. /usr/bin/python3 with its site packages:
# a virtual environment of its own (QGIS's PyQt5 must never meet the desktop's PyQt6), pins in setup.cfg
# (extra `qgis-plugin`).
$(QGIS_STAMP): setup.cfg
	$(SYSTEM_PYTHON) -m venv --system-site-packages $(QGIS_VENV)
	$(QGIS_VENV)/bin/python -m pip install -q $$(sed -n '/^qgis-plugin =/,/^[^ ]/s/^ \{4\}\([A-Za-z0-9_.-]*==[0-9.]*\) *$$/\1/p' setup.cfg)
	touch $@

# The installable zip (dist/citypilot_qgis-<version>.zip): translations compiled, qgis-plugin-tools vendored.
qgis-plugin: bootstrap
	lrelease -silent $(QGIS_PLUGIN)/citypilot_qgis/i18n/*.ts
	cd $(QGIS_PLUGIN) && PYTHONPATH=. ../../$(QGIS_VENV)/bin/qgis-plugin-dev-tools build
	@ls -1 $(QGIS_PLUGIN)/dist/*.zip

lint: venv
	$(VENV)/bin/ruff check .

test: bootstrap
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q
	cd $(QGIS_PLUGIN) && QT_QPA_PLATFORM=offscreen PYTHONPATH=. ../../$(QGIS_VENV)/bin/python -m pytest -q

demo: bootstrap
	$(CITYPILOT) services up
	$(CITYPILOT) db upgrade
	$(CITYPILOT) demo load
	$(CITYPILOT) devices provision
	$(CITYPILOT) demo fieldservice  # example SLA policies, crews, maintenance plans, open and closed orders
	$(CITYPILOT) demo tablet  # a few open orders for demo-crew's crew (the simulated crews leave it alone)
	$(CITYPILOT) demo history --months 12  # contract: a year of meter readings, outages and their orders, heartbeats (~1 min)
	@$(MAKE) --no-print-directory demo-stop
	@mkdir -p $(RUN_DIR)/logs
	nohup $(CITYPILOT) ingest --osmand-port $(OSMAND_PORT) >> $(RUN_DIR)/logs/ingest.log 2>&1 & echo $$! > $(RUN_DIR)/ingest.pid
	nohup $(CITYPILOT) commands run >> $(RUN_DIR)/logs/commands.log 2>&1 & echo $$! > $(RUN_DIR)/commands.pid
	nohup $(CITYPILOT) serve --port $(WEB_PORT) >> $(RUN_DIR)/logs/serve.log 2>&1 & echo $$! > $(RUN_DIR)/serve.pid
	$(CITYPILOT) tls --port $(TLS_PORT) > $(RUN_DIR)/logs/tls.log && cat $(RUN_DIR)/logs/tls.log  # the crew tablet's certificate (its authority is kept)
	nohup $(CITYPILOT) serve --host 0.0.0.0 --port $(TLS_PORT) --cert $(RUN_DIR)/tls/server.pem --key $(RUN_DIR)/tls/server-key.pem >> $(RUN_DIR)/logs/serve-tls.log 2>&1 & echo $$! > $(RUN_DIR)/serve-tls.pid
	@sleep 2  # the ingest subscribes first: what the simulator sends before is not for it
	$(CITYPILOT) simulate --burst >> $(RUN_DIR)/logs/simulate.log 2>&1  # every device reports once: the city is live at once
	nohup $(CITYPILOT) simulate --osmand-url http://127.0.0.1:$(OSMAND_PORT)/ >> $(RUN_DIR)/logs/simulate.log 2>&1 & echo $$! > $(RUN_DIR)/simulate.pid
	nohup $(CITYPILOT) modbus poll >> $(RUN_DIR)/logs/modbus.log 2>&1 & echo $$! > $(RUN_DIR)/modbus.pid
	nohup $(CITYPILOT) alarms run >> $(RUN_DIR)/logs/alarms.log 2>&1 & echo $$! > $(RUN_DIR)/alarms.pid
	nohup $(CITYPILOT) escalations run --every 60 >> $(RUN_DIR)/logs/escalations.log 2>&1 & echo $$! > $(RUN_DIR)/escalations.pid
	nohup $(CITYPILOT) plans run --every 3600 >> $(RUN_DIR)/logs/plans.log 2>&1 & echo $$! > $(RUN_DIR)/plans.pid
	nohup $(CITYPILOT) orders sync-alarms --every 10 >> $(RUN_DIR)/logs/orders.log 2>&1 & echo $$! > $(RUN_DIR)/orders.pid
	nohup $(CITYPILOT) simulate crews --every 20 >> $(RUN_DIR)/logs/crews.log 2>&1 & echo $$! > $(RUN_DIR)/crews.pid
	nohup $(CITYPILOT) orders visits --every 30 >> $(RUN_DIR)/logs/visits.log 2>&1 & echo $$! > $(RUN_DIR)/visits.pid
	nohup $(CITYPILOT) heartbeat --every 60 --web-url http://127.0.0.1:$(WEB_PORT)/healthz >> $(RUN_DIR)/logs/heartbeat.log 2>&1 & echo $$! > $(RUN_DIR)/heartbeat.pid  # contract: IT availability
	@for _ in $$(seq 60); do curl -fsS -o /dev/null http://127.0.0.1:$(WEB_PORT)/healthz && break; sleep 0.5; done
	@$(CITYPILOT) services status
	@echo
	@echo "CityPilot runs: web http://127.0.0.1:$(WEB_PORT)/  (API http://127.0.0.1:$(WEB_PORT)/api/v1/openapi.json)"
	@echo "control room: http://127.0.0.1:$(WEB_PORT)/control-room  (sign in as demo-supervisor or demo-operator)"
	@echo "crew tablet (HTTPS, sign in as demo-crew): $$(sed -n 's/^crew tablet: //p' $(RUN_DIR)/logs/tls.log)  (install $(RUN_DIR)/tls/ca.pem on the tablets once)"
	@echo "ingest, simulator, Modbus poller, alarm engine, command worker, work orders from alarms, escalations, plans, simulated crews, vehicle visits and web server run in the background;"
	@echo "logs in $(RUN_DIR)/logs; 'make demo-stop' stops them"
	@echo "demo accounts (sign in on the web page):"
	@$(CITYPILOT) demo accounts

# Stops what `make demo` started in the background (the private servers keep running: citypilot services down).
demo-stop:
	@for name in simulate modbus alarms commands ingest serve serve-tls escalations plans orders crews visits heartbeat; do \
	  pidfile=$(RUN_DIR)/$$name.pid; pid=$$(cat $$pidfile 2>/dev/null || true); \
	  if [ -n "$$pid" ] && grep -qs citypilot /proc/$$pid/cmdline; then \
	    kill -TERM $$pid; for _ in $$(seq 100); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
	    echo "stopped $$name ($$pid)"; fi; rm -f $$pidfile; done

# Refresh the French translation catalogue after changing interface texts.
translations: venv
	$(VENV)/bin/pybabel extract -F resources/translations/babel.cfg -k lazy_gettext -o resources/translations/messages.pot app/web
	$(VENV)/bin/pybabel update -i resources/translations/messages.pot -d resources/translations
	$(VENV)/bin/pybabel compile -d resources/translations

bench: bootstrap $(PYGEOAPI_STAMP)
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
distclean: clean demo-stop
	if [ -x $(CITYPILOT) ]; then $(CITYPILOT) services down --purge; fi
	rm -rf $(VENV) $(OGC_VENV) $(PYGEOAPI_VENV) $(QGIS_VENV) var
