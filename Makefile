# TIMB: two entry points for people, `make demo` and `make test`. Everything else is plumbing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_PACKAGES := tor libotr5 libotr5-dev prosody openssl tmux obfs4proxy snowflake-client ngircd mat2
# the Ricochet Refresh test peer's runtime (../shared/peers/ricochet/runtime-packages.txt)
APT_PACKAGES += libprotobuf32 libqt5core5a libqt5gui5 libqt5network5 libqt5qml5 libssl3 libstdc++6 libgcc-s1
# The Qt GUI's runtime (PySide6's wheel bundles Qt, not these; the tests use Qt's offscreen platform)
APT_PACKAGES += libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3 libx11-6 fonts-dejavu-core
export TIMB_OFFLINE := 1

.PHONY: help demo test lint typecheck pytest fuzz bench chaos deps apt-deps

help:
	@echo "make demo   run TIMB on a private Tor network on this machine"
	@echo "make test   install what is missing, then lint, type-check and run the tests"

demo: deps
	$(BIN)/timb demo$(if $(BRIDGE), --bridge $(BRIDGE))

test: deps lint typecheck pytest

lint: deps
	$(BIN)/ruff check $(wildcard src tests bench fuzz)
	$(BIN)/ruff format --check $(wildcard src tests bench fuzz)
	$(BIN)/lint-imports --no-cache

typecheck: deps
	$(BIN)/mypy

pytest: deps
	bash tests/run_split.sh $(BIN)

fuzz: deps
	$(BIN)/python fuzz/run_all.py

bench: deps
	$(BIN)/python bench/tor_bench.py
	$(BIN)/python bench/otr_bench.py
	$(BIN)/python bench/xmpp_bench.py
	$(BIN)/python bench/onion_bench.py

# The fault campaign (issue 14; not part of `make test`): make chaos CHAOS_ARGS="--seed 7 --cycles 20"
CHAOS_ARGS ?= --cycles 100
chaos: deps
	nice -n 10 $(BIN)/python -m timb.devnet.chaos $(CHAOS_ARGS)

deps: apt-deps $(STAMP)

# Debian packages, installed only when missing. policy-rc.d forbids the packages' services from
# starting: a system tor would contact the public Tor network, and a system Prosody would listen
# on all interfaces.
apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  created=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' | $$SUDO tee /usr/sbin/policy-rc.d >/dev/null; \
	    $$SUDO chmod 755 /usr/sbin/policy-rc.d; created=1; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  rc=$$?; [ -n "$$created" ] && $$SUDO rm -f /usr/sbin/policy-rc.d; exit $$rc; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,gui]'
	@# python-potr pins pycrypto, which does not build on Python >= 3.10; the tests run it on
	@# pycryptodome through a small shim (tests/interop/potr_shim.py), so install it without deps.
	$(BIN)/python -m pip install -q --no-deps python-potr==1.0.2
	@touch $(STAMP)
