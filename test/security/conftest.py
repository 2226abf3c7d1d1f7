"""pytest setup for test/security: puts test/ on sys.path for ys_testlib (the extension under
test and a connection that loads it)."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
