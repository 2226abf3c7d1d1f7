# yamlsecrets — build, run the example, test.
#   make                 release build for the primary DuckDB: build/release/yamlsecrets.duckdb_extension
#   make debug           debug build:   build/debug/yamlsecrets.duckdb_extension
#   make build-NAME      release build NAME of versions.toml: build/NAME/yamlsecrets.duckdb_extension
#   make all-versions    every build of versions.toml
#   make repository      an extension repository for every supported DuckDB: build/repository/
#   make run             build, then load examples/secrets.yaml in the DuckDB CLI
#   make test            install the test tools (idempotent), then run every test on every version
#   make bench           benchmarks (see BENCHMARKS.md)
#
# The DuckDB versions live in versions.toml only. The footer is written from what the code was
# compiled against (build.rs and tools/footer/append_footer.py), never from a Makefile variable.

EXTENSION_NAME    := yamlsecrets
PLATFORM          ?= linux_amd64
EXTENSION_VERSION ?= v0.1.0
CARGO_TARGET_DIR  ?= $(CURDIR)/target
export CARGO_TARGET_DIR

VERSIONS      := python3 tools/versions.py
PRIMARY_BUILD := $(shell $(VERSIONS) primary-build)
BUILDS        := $(shell $(VERSIONS) builds)
LIB_NAME      := lib$(EXTENSION_NAME).so
FOOTER        := python3 tools/footer/append_footer.py --extension-version $(EXTENSION_VERSION) --platform $(PLATFORM)

.PHONY: all release debug all-versions repository run test lint bench clean versions-check

all: release

release:
	cargo build --release --lib
	@mkdir -p build/release
	$(FOOTER) $(CARGO_TARGET_DIR)/release/$(LIB_NAME) build/release/$(EXTENSION_NAME).duckdb_extension

debug:
	cargo build --lib
	@mkdir -p build/debug
	$(FOOTER) $(CARGO_TARGET_DIR)/debug/$(LIB_NAME) build/debug/$(EXTENSION_NAME).duckdb_extension

# The primary build is `release`; every other build compiles the same sources against its own
# bindings, from a manifest generated out of Cargo.toml (its Cargo.lock is kept in locks/).
OTHER_BUILDS  := $(filter-out $(PRIMARY_BUILD),$(BUILDS))
$(addprefix build-,$(OTHER_BUILDS)): build-%:
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/variants/$* cargo build --release --lib \
	    --manifest-path $$($(VERSIONS) manifest $*)
	@$(VERSIONS) save-lock $*
	@mkdir -p build/$*
	$(FOOTER) $(CARGO_TARGET_DIR)/variants/$*/release/$(LIB_NAME) build/$*/$(EXTENSION_NAME).duckdb_extension

all-versions: release $(addprefix build-,$(OTHER_BUILDS))

repository: all-versions
	@rm -rf build/repository
	$(VERSIONS) repository build/repository

# The quick start's first command: build, then load the example file in the DuckDB CLI.
run: release
	@scripts/test-env.sh --cli
	@scripts/run-example.sh

test:
	@scripts/test-env.sh
	@scripts/run-tests.sh

versions-check:
	@$(VERSIONS) check

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --no-default-features --all-targets -- -D warnings

bench: release
	@scripts/test-env.sh
	@bench/run.sh

clean:
	rm -rf build
	cargo clean
