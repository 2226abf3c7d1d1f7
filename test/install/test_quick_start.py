"""The README's quick start (`make run` → scripts/run-example.sh) as a new user sees it: it
succeeds, fits a 120-column terminal, and shows none of the example's values."""
from __future__ import annotations

import subprocess

import pytest

import ys_testlib

VALUES = [line.split("=", 1)[1] for line in (ys_testlib.ROOT / "examples" / "example.env").read_text().splitlines()
          if "=" in line and not line.startswith("#")]


def test_quick_start_fits_the_terminal_and_shows_no_value():
    if not ys_testlib.has_extension_wheels():
        pytest.skip("the quick start runs the primary DuckDB's CLI: checked in the primary run")
    if not (ys_testlib.ROOT / "build" / "release" / ys_testlib.EXTENSION_FILE).is_file():
        pytest.skip("no release build: run make")
    run = subprocess.run(["scripts/run-example.sh"], cwd=ys_testlib.ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert any("github_api" in line and "created" in line for line in lines), run.stdout
    assert max(len(line) for line in lines) <= 120
    assert VALUES and not any(value in run.stdout + run.stderr for value in VALUES)


def test_readme_python_snippet_runs_as_written(tmp_path):
    """The README's Python block (install from build/repository, load, load_secrets_yaml), run
    from the repository root in the DuckDB under test, with a fresh home for INSTALL."""
    import sys

    readme = (ys_testlib.ROOT / "README.md").read_text()
    start = readme.index("```python\n", readme.index("Python (any supported")) + len("```python\n")
    snippet = readme[start:readme.index("```", start)]
    if not (ys_testlib.ROOT / "build" / "repository").is_dir():
        pytest.skip("no build/repository: run make repository")
    env = {k: v for k, v in __import__("os").environ.items() if k != "YAMLSECRETS_FILE"}
    run = subprocess.run([sys.executable, "-c", snippet], cwd=ys_testlib.ROOT, capture_output=True, text=True,
                         timeout=120, env={**env, "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    assert "('github_api', 'created')" in run.stdout
    assert VALUES and not any(value in run.stdout + run.stderr for value in VALUES)
