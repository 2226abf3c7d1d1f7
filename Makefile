# yamlsecrets — build, run the example, test.
#   make            release build: build/release/yamlsecrets.duckdb_extension
#   make debug      debug build:   build/debug/yamlsecrets.duckdb_extension
#   make run        build, then load examples/secrets.yaml in the DuckDB CLI
#   make test       install the test tools (idempotent), then run every test
#   make bench      benchmarks (see BENCHMARKS.md)

EXTENSION_NAME    := yamlsecrets
ABI               ?= C_STRUCT_UNSTABLE
DUCKDB_VERSION    ?= v1.5.5
PLATFORM          ?= linux_amd64
EXTENSION_VERSION ?= v0.1.0
CARGO_TARGET_DIR  ?= $(CURDIR)/target
export CARGO_TARGET_DIR

LIB_NAME := lib$(EXTENSION_NAME).so
FOOTER   := python3 tools/footer/append_footer.py --abi $(ABI) --duckdb-version $(DUCKDB_VERSION) \
            --extension-version $(EXTENSION_VERSION) --platform $(PLATFORM)

.PHONY: all release debug run test test-unit test-sql test-e2e lint bench clean

all: release

release:
	cargo build --release --lib
	@mkdir -p build/release
	$(FOOTER) $(CARGO_TARGET_DIR)/release/$(LIB_NAME) build/release/$(EXTENSION_NAME).duckdb_extension

debug:
	cargo build --lib
	@mkdir -p build/debug
	$(FOOTER) $(CARGO_TARGET_DIR)/debug/$(LIB_NAME) build/debug/$(EXTENSION_NAME).duckdb_extension

# The quick start's first command: build, then load the example file in the DuckDB CLI.
run: release
	@scripts/test-env.sh --cli
	@scripts/run-example.sh

test:
	@scripts/test-env.sh
	@scripts/run-tests.sh

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
