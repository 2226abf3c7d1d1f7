#!/usr/bin/env python3
"""Append DuckDB's 512-byte extension metadata footer to a built shared library.

DuckDB reads the end of a `.duckdb_extension` file: a 22-byte WebAssembly custom-section
header naming `duckdb_signature`, then a 512-byte payload of eight 32-byte NUL-padded ASCII
fields and 256 bytes where a signature would go (zeros: the extension is unsigned). The fields are stored in reverse of
the order DuckDB documents them: three unused ones, then ABI type, extension version,
DuckDB (or C API) version, platform, and the magic value "4".

Usage: append_footer.py INPUT OUTPUT --abi C_STRUCT_UNSTABLE --duckdb-version v1.5.5
       --extension-version v0.1.0 --platform linux_amd64
"""
import argparse
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--abi", default="C_STRUCT_UNSTABLE")
    parser.add_argument("--duckdb-version", default="v1.5.5")
    parser.add_argument("--extension-version", default="v0.1.0")
    parser.add_argument("--platform", default="linux_amd64")
    args = parser.parse_args()

    tail = footer(args.abi, args.extension_version, args.duckdb_version, args.platform)
    if len(tail) != 22 + 8 * FIELD + SIGNATURE:
        sys.exit(f"internal error: footer is {len(tail)} bytes")
    with open(args.input, "rb") as src:
        library = src.read()
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as dst:
        dst.write(library)
        dst.write(tail)
    os.replace(tmp, args.output)


if __name__ == "__main__":
    main()
