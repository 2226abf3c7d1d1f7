# For DuckDB's extension tooling (its build system and its own sqllogictest runner, as used
# by DuckDB's extension CI): declares the extension and its tests in test/sql. The project's
# own build does not use CMake: `make` builds with cargo (see the README).
duckdb_extension_load(yamlsecrets
    SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}
    LOAD_TESTS
)
