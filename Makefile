# Two entry points: `make demo` (install + sample the shipped weights) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The backend tests need JAX and PyTorch CPU builds. This pin is the CPU wheel
# the CI machines carry; elsewhere set TORCH=torch (or a CPU index) as you like.
TORCH  ?= torch==2.13.0
export ZOO_DATA_DIR ?= $(abspath ../shared/datasets)

.PHONY: install demo test test-fast test-slow test-browser browser-deps clean

$(BIN)/gan-zoo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(BIN)/gan-zoo

demo: install
	mkdir -p out
	$(BIN)/gan-zoo list
	$(BIN)/gan-zoo sample dcgan-mnist -n 64 --seed 0 -o out/dcgan-mnist.png --force
	$(BIN)/gan-zoo sample dcgan-fashion-mnist -n 64 --seed 0 -o out/dcgan-fashion-mnist.png --force
	@echo "samples written to out/"

$(VENV)/.backends: $(BIN)/gan-zoo
	$(BIN)/pip install -q "$(TORCH)" -e ".[test,jax,torch]"
	touch $@

test: install $(VENV)/.backends
	$(BIN)/python -m pytest -q

# The default suite without the tests that start subprocesses (CLI end to end, other backends,
# multi-worker training): a quicker check while editing; `make test` stays what CI runs.
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not subprocess and not browser"

test-slow: install $(VENV)/.backends
	$(BIN)/python -m pytest -q -m slow

# The gallery in a real browser (tests/test_site_browser.py, marked `browser`; 36-80 s on two busy cores, more
# with the first install): builds a site, serves it on localhost and drives Debian's headless Chromium with Selenium
# and the system chromedriver (no browser download). Installs chromium, chromium-driver and npm (the site
# build fetches onnxruntime-web with it once, then caches it) with apt when missing; sudo only when not root.
browser-deps:
	@for tool in chromium chromedriver npm; do command -v $$tool >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver npm; \
	fi

$(VENV)/.browser: $(BIN)/gan-zoo
	$(BIN)/pip install -q -e ".[test,browser]"
	touch $@

test-browser: install browser-deps $(VENV)/.browser
	ZOO_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q -m browser

clean:
	rm -rf $(VENV) out .pytest_cache
