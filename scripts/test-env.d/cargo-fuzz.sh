#!/usr/bin/env bash
# cargo-fuzz, for the short fuzzing run of the test command (crates.io; built once).
set -euo pipefail
if cargo fuzz --version >/dev/null 2>&1; then
  echo "test-env: cargo-fuzz ok"
else
  cargo install --quiet --locked cargo-fuzz@0.13.2
  echo "test-env: cargo-fuzz installed"
fi
