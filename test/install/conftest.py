"""pytest setup for test/install: puts test/ on sys.path for ys_testlib."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
