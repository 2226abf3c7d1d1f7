#!/usr/bin/env python3
"""Append DuckDB's 512-byte extension metadata footer to a built shared library.

DuckDB reads the end of a `.duckdb_extension` file: a 22-byte WebAssembly custom-section
header naming `duckdb_signature`, then a 512-byte payload of eight 32-byte NUL-padded ASCII
fields and 256 bytes where a signature would go (zeros: the extension is unsigned). The fields are stored in reverse of
the order DuckDB documents them: three unused ones, then ABI type, extension version,
DuckDB (or C API) version, platform, and the magic value "4".

The ABI and C API version are not arguments: they are read from the build marker the code
embeds (src/lib.rs), so a footer always says what the code was compiled against. `--abi` and
`--duckdb-version`, when given, only assert it.

Usage: append_footer.py INPUT OUTPUT [--extension-version v0.1.0] [--platform linux_amd64]
"""
import argparse
import os
import re
import sys

HEADER = bytes([0x00, 0x93, 0x04, 0x10]) + b"duckdb_signature" + bytes([0x80, 0x04])
FIELD = 32
SIGNATURE = 256


def field(text: str) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > FIELD:
        sys.exit(f"footer field too long ({len(raw)} > {FIELD} bytes): {text!r}")
    return raw.ljust(FIELD, b"\0")


def footer(abi: str, extension_version: str, duckdb_version: str, platform: str) -> bytes:
    fields = ["", "", "", abi, extension_version, duckdb_version, platform, "4"]
    out = HEADER + b"".join(field(f) for f in fields) + bytes(SIGNATURE)
    return out


MARKER = re.compile(rb"yamlsecrets-build:abi=([A-Z_]+);c_api=(v[0-9.]+);bindings=([0-9.]+);end")


def compiled_against(library: bytes) -> tuple[str, str, str]:
    """The ABI, C API and bindings version the code was compiled against (src/lib.rs embeds
    them, build.rs chose them from Cargo.lock and versions.toml)."""
    found = set(MARKER.findall(library))
    if len(found) != 1:
        sys.exit(f"append_footer: the library holds {len(found)} build markers, want exactly one")
    abi, c_api, bindings = (part.decode("ascii") for part in found.pop())
    return abi, c_api, bindings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--abi", help="refuse unless the code was compiled for this ABI")
    parser.add_argument("--duckdb-version", help="refuse unless the code was compiled against this C API")
    parser.add_argument("--extension-version", default="v0.1.0")
    parser.add_argument("--platform", default="linux_amd64")
    args = parser.parse_args()

    with open(args.input, "rb") as src:
        library = src.read()
    abi, c_api, bindings = compiled_against(library)
    for asked, actual, what in [(args.abi, abi, "ABI"), (args.duckdb_version, c_api, "C API version")]:
        if asked is not None and asked != actual:
            sys.exit(f"append_footer: refusing a footer with {what} {asked}: {args.input} was compiled "
                     f"against {abi} {c_api} (libduckdb-sys {bindings}); build it with `make BUILD=<name>`"
                     " (see versions.toml)")
    tail = footer(abi, args.extension_version, c_api, args.platform)
    if len(tail) != 22 + 8 * FIELD + SIGNATURE:
        sys.exit(f"internal error: footer is {len(tail)} bytes")
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as dst:
        dst.write(library)
        dst.write(tail)
    os.replace(tmp, args.output)
    print(f"{args.output}: {abi} {c_api} (libduckdb-sys {bindings}), {args.platform}")


if __name__ == "__main__":
    main()
