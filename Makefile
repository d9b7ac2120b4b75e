# The two commands a newcomer needs: `make run` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run lint test bench mutation clean package

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,export]'
	touch $(STAMP)

run: setup
	$(BIN)/hwr-desktop

# ruff's rules are in pyproject.toml; the import rules (layers, no cycles) are tests/test_architecture.py.
lint: setup
	$(BIN)/ruff check hwr_desktop tests

test: setup lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: setup
	$(BIN)/hwr-desktop bench

# Mutation testing of core's pure modules (not in `test` or CI): score per module and the surviving
# mutants; at most 45 minutes. MODULE=ctc runs one module. See CONTRIBUTING.md.
mutation: setup
	$(BIN)/python -m hwr_desktop.devtools.mutation $(if $(MODULE),--module $(MODULE))

# Standalone one-folder app (dist/hwr-desktop/) plus a .tar.gz of it and the archive's SHA-256.
PACKAGE_NAME = hwr-desktop-$(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' hwr_desktop/__init__.py)-$(shell uname -s | tr A-Z a-z)-$(shell uname -m)

package: setup
	rm -rf build/build dist/hwr-desktop dist/$(PACKAGE_NAME).tar.gz dist/$(PACKAGE_NAME).tar.gz.sha256
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN build.spec
	tar -C dist -czf dist/$(PACKAGE_NAME).tar.gz hwr-desktop
	cd dist && sha256sum $(PACKAGE_NAME).tar.gz > $(PACKAGE_NAME).tar.gz.sha256
	@du -sh dist/hwr-desktop dist/$(PACKAGE_NAME).tar.gz

clean:
	rm -rf build dist .pytest_cache
