# 城市管理综合执法平台 — the commands. `make run` and `make test` work on a fresh machine with
# Python 3.11, Java 17 and Maven: everything else is installed by these targets.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KAFKA_LIB := .cache/kafka/lib
OFD_SEALER := .cache/ofd-sealer/build/ofd-sealer.jar
KEYCLOAK_VERSION := $(shell sed -n 's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' deploy/keycloak/pom.xml)
KEYCLOAK_BUILT := .cache/keycloak/keycloak-$(KEYCLOAK_VERSION)/.built
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: simulate-devices help install lint lint-types run up down status test test-unit test-integration test-faults test-stack bench token open311-key contracts docs kafka-jars keycloak ofd-sealer browser gateway clean

help:
	@echo "make run        whole product in one process on http://127.0.0.1:8000 (embedded PostgreSQL, in-memory bus)"
	@echo "make test       install everything and run the whole suite (real PostgreSQL and Apache Kafka)"
	@echo "make up / down  distributed stack: gateway :8000 (pages, 城管通 /field, APIs), PostgreSQL, Kafka :9092, Keycloak :8080, OFD sealer :8095, intake :8001 ... reporting :8005"
	@echo "make bench      benchmark on the distributed stack"
	@echo "make simulate-devices [TAGS=3000] [MONITORS=1000] [MINUTES=180]   dog tags and fume monitors streamed into make run or make up"
	@echo "make lint       the formatter, the rules, the types and the layers (what CI runs first)"
	@echo "make docs       regenerate docs/asyncapi.yaml, docs/schemas/ and docs/settings.md from the code"
	@echo "make test-unit | test-integration | test-stack | test-faults   one part of the suite"
	@echo "make token ROLE=<role> [SUBJECT=<id>] [SQUAD=<id>] [SCOPE=<scope>]   a bearer token the running stack accepts"
	@echo "make open311-key NAME=<app>   issue an Open311 api_key the running stack (or make run) accepts"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	PYTHONWARNINGS=ignore $(PY) -m pip install -q -c constraints.txt -e '.[test]'  # setuptools' notice on editable installs
	touch $(STAMP)

install: $(STAMP)

# What CI runs before the tests, and .pre-commit-config.yaml before each commit: the formatter and
# the rules (ruff), the types of common and of every service's domain, handlers, queries and
# adapters (mypy), and the layers (import-linter: pyproject.toml [tool.importlinter]).
MYPY_PACKAGES := -p common $(foreach s,intake dispatch cases ledger reporting,$(foreach l,domain handlers queries,-p $(s).$(l))) \
	-p intake.adapters -p dispatch.adapters -p cases.adapters -p ledger.adapters -p reporting.adapters
lint: $(STAMP)
	$(VENV)/bin/ruff format --check services libs tests bench
	$(VENV)/bin/ruff check services libs tests bench
	$(VENV)/bin/mypy $(MYPY_PACKAGES)
	$(VENV)/bin/lint-imports
	.ci/commit-subjects

lint-types: $(STAMP)
	$(VENV)/bin/mypy $(MYPY_PACKAGES)

$(KAFKA_LIB)/.fetched: deploy/kafka/pom.xml
	mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/$(KAFKA_LIB) -DincludeScope=runtime
	touch $@

kafka-jars: $(KAFKA_LIB)/.fetched

# The OFD sealing sidecar (deploy/ofd-sealer): ofdrw and Bouncy Castle from Maven Central, our small
# server around them, built once; make up and the tests start it (devstack.ofd_sealer).
$(OFD_SEALER): deploy/ofd-sealer/pom.xml $(shell find deploy/ofd-sealer/src -name '*.java')
	mvn -q -B -f deploy/ofd-sealer/pom.xml package dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/.cache/ofd-sealer/lib -DincludeScope=runtime
	touch $@

ofd-sealer: $(OFD_SEALER)

# Keycloak's server distribution from Maven Central (org.keycloak:keycloak-quarkus-dist), unpacked
# and built once for this machine: the identity provider of `make up` and of the sign-in tests.
$(KEYCLOAK_BUILT): deploy/keycloak/pom.xml | $(STAMP)
	$(PY) -m devstack keycloak-dist

keycloak: $(KEYCLOAK_BUILT)

run: $(STAMP)
	$(PY) -m monolith

up: $(STAMP) kafka-jars ofd-sealer keycloak gateway
	$(PY) -m devstack up

down: $(STAMP)
	$(PY) -m devstack down

status: $(STAMP)
	$(PY) -m devstack status

# Realistic readings of smart dog tags and fume monitors into the running platform (devstack.simulate_devices).
TAGS ?= 3000
MONITORS ?= 1000
MINUTES ?= 180
URL ?= http://127.0.0.1:8000
simulate-devices: $(STAMP)
	$(PY) -m devstack.simulate_devices --url "$(URL)" --tags $(TAGS) --monitors $(MONITORS) --minutes $(MINUTES)

token: $(STAMP)
	@$(PY) -m devstack token --role "$(ROLE)" $(if $(SUBJECT),--subject "$(SUBJECT)") $(if $(SQUAD),--squad "$(SQUAD)") $(foreach s,$(SCOPE),--scope "$(s)")

open311-key: $(STAMP)
	@$(PY) -m devstack open311-key --name "$(NAME)"

contracts: $(STAMP)
	$(PY) -m devstack.contracts --write

docs: contracts
	$(PY) -m devstack.settings_doc --write

# Debian's Chromium for the browser tests (Playwright drives it; no browser is downloaded).
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q . || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; }

# Debian's nginx for make up's gateway (devstack.gateway): installed, never started as a system
# service (policy-rc.d says no while the package installs); the stack starts its own.
gateway:
	@command -v nginx >/dev/null 2>&1 || { apt-get update -qq && printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; status=$$?; rm -f /usr/sbin/policy-rc.d; exit $$status; }

# Two lanes at once, each a pytest of its own with its own PostgreSQL, Kafka and ports (the
# fixtures are per process): most integration tests; and the unit and browser tests, the two
# longest integration modules (the whole stack of make up, seed 004's year), then the fault
# suite. Serially the suite left the two cores two thirds idle (waiting on brokers, databases and
# pages) and took over 22 minutes. The first lane's output is printed whole when it ends.
LANE_B = tests/integration/test_stack.py tests/integration/test_reporting_year.py
test: $(STAMP) kafka-jars ofd-sealer keycloak browser gateway
	@mkdir -p .data; \
	$(PY) -m pytest -p no:cacheprovider -q -m "not faults" tests/integration $(LANE_B:%=--ignore=%) \
	  > .data/test-integration.log 2>&1 & lane=$$!; \
	$(PY) -m pytest -p no:cacheprovider -q -m "not faults" tests/unit tests/browser $(LANE_B) \
	  && $(PY) -m pytest -p no:cacheprovider -q -s -m faults tests/faults; other=$$?; \
	wait $$lane; integration=$$?; \
	echo "--- the first lane (exit $$integration) ---"; cat .data/test-integration.log; \
	test $$integration -eq 0 && test $$other -eq 0

test-faults: $(STAMP) kafka-jars ofd-sealer gateway
	$(PY) -m pytest -p no:cacheprovider -q -s -m faults tests/faults

test-unit: $(STAMP)
	$(PY) -m pytest -p no:cacheprovider -q -m "not integration and not stack and not faults"

test-integration: $(STAMP) kafka-jars ofd-sealer keycloak browser gateway
	$(PY) -m pytest -p no:cacheprovider -q -m "integration and not stack and not faults" tests

test-stack: $(STAMP) kafka-jars ofd-sealer keycloak gateway
	$(PY) -m pytest -p no:cacheprovider -q -m stack tests

bench: $(STAMP) kafka-jars ofd-sealer browser gateway
	$(PY) -m bench

clean:
	rm -rf $(VENV) .cache .data
