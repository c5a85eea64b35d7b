"""The third-party example package, installed for real into a temporary folder, runs through the CLI (in its own
process: the package is found through ``PYTHONPATH`` and its entry points, as a user's would be)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vadbench-example"


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    """``pip install`` the example (no deps, no build isolation) into a folder put on PYTHONPATH."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(EXAMPLE)], check=True)
    return target


@pytest.mark.slow
def test_example_plugin_runs_through_run_and_report(installed_example, tmp_path, vadbench_process):
    env = {"PYTHONPATH": str(installed_example), "COLUMNS": "200"}
    listed = vadbench_process("plugins", cwd=tmp_path, env_extra=env)
    assert listed.returncode == 0, listed.stderr
    assert "vadbench-example" in listed.stdout and "mean-anchor" in listed.stdout and "patch-max" in listed.stdout

    db = f"sqlite:///{tmp_path / 'results.db'}"
    run = vadbench_process("run", "--model", "mean-anchor,interp", "--scorer", "patch-max,mse", "--dataset",
                           "synthetic", "--cfg-options", "dataset.synthetic.size=[32, 32]", "--db", db, cwd=tmp_path,
                           env_extra=env)
    assert run.returncode == 0, run.stdout + run.stderr

    report = vadbench_process("report", "--dataset", "synthetic", "--format", "json", "--db", db, cwd=tmp_path,
                              env_extra=env)
    assert report.returncode == 0, report.stderr
    rows = json.loads(report.stdout)
    text = json.dumps(rows)
    assert "mean-anchor" in text and "patch-max" in text and "interp" in text
