# One entry point for a fresh machine: `make run` (the virtual rig), `make test` (what CI runs).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
APT_PKGS := socat mbpoll

.PHONY: help venv apt run test test-fast lint typecheck bench hil build docs clean

help:
	@echo "make run        the virtual rig (plant + firmware, Modbus TCP 127.0.0.1:5020 and RTU on a pty)"
	@echo "make test       everything CI runs: lint, type check, firmware gates, unit, HIL (sil + mpy)"
	@echo "make bench      speed and memory figures"
	@echo "make hil        all shipped scenarios -> build/hil/report.html"
	@echo "make lint       ruff"

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Debian packages for the independent Modbus masters and virtual serial ports.
apt:
	@missing=""; for p in $(APT_PKGS); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || { echo "apt-get could not install$$missing: the mbpoll/socat tests will fail"; exit 1; }; \
	  else \
	    echo "missing Debian packages:$$missing -- run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

run: venv apt
	$(BIN)/rig run $(ARGS)

test: venv apt
	$(BIN)/ruff check .
	$(BIN)/python tools/typecheck_firmware.py
	$(BIN)/python -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

test-fast: venv
	$(BIN)/python -m pytest -q -x $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/python tools/typecheck_firmware.py

bench: venv
	$(BIN)/python tools/bench.py

hil: venv
	$(BIN)/rig hil --out build/hil

build: venv
	$(BIN)/rig build

docs: venv
	$(BIN)/python tools/gen_registers_doc.py

clean:
	rm -rf build .pytest_cache
