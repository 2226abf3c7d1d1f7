# For DuckDB's CMake build, which includes an extension's extension_config.cmake when DuckDB
# is built with it (DUCKDB_EXTENSION_CONFIGS; the C++ extension template's EXT_CONFIG). This
# project does not build that way: cargo builds the extension (see the README, "Building"),
# and DuckDB's C API extension tooling (extension-ci-tools' c_api_extensions makefiles) does
# not read this file either. It states what is true of the cargo build, and
# `tools/versions.py check` fails when it no longer does:
#   yamlsecrets        the crate's [lib] name, hence the file and its init symbol
#   TEST_DIR           the sqllogictest files the project runs (scripts/run-tests.sh)
#   EXTENSION_VERSION  "v" + Cargo.toml's version, the version the footer carries
#   DONT_LINK          a C API extension is only ever loaded, never linked into DuckDB
duckdb_extension_load(yamlsecrets
    SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}
    TEST_DIR ${CMAKE_CURRENT_LIST_DIR}/test/sql
    EXTENSION_VERSION v0.1.0
    DONT_LINK
    LOAD_TESTS
)
