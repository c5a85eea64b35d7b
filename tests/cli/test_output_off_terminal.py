"""Off a terminal (a pipe, a log file) tables stay whole and progress prints plain lines."""

from __future__ import annotations

import os
import subprocess
import sys

from test_run_cli import SMALL


def piped(*args, cwd, **env):
    """The CLI with stdout and stderr captured (no terminal) and no $COLUMNS."""
    environment = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    environment.update(VADBENCH_HOME=str(cwd / "home"), **env)
    return subprocess.run([sys.executable, "-c", "from vadbench.cli import main; main()", *args], cwd=cwd,
                          env=environment, capture_output=True, text=True)


def test_tables_stay_whole_and_progress_prints_lines_off_a_terminal(tmp_path):
    ran = piped("run", "--model", "interp,attention-ramvid", "--scorer", "mse", *SMALL,
                "--cfg-options", "preset=tiny", "--cfg-options", "train_steps=3", "--cfg-options",
                "sampling_steps=1", cwd=tmp_path, VADBENCH_PROGRESS_INTERVAL="0")
    assert ran.returncode == 0, ran.stderr
    assert "…" not in ran.stdout and "attention-ramvid" in ran.stdout and "auc_micro" in ran.stdout
    lines = ran.stderr.splitlines()
    assert "training attention-ramvid (tiny): 1/3 (33%)" in "\n".join(lines)
    assert any(line.startswith("training attention-ramvid (tiny): 3/3 (100%)") and "done in" in line
               for line in lines)
    report = piped("report", "--no-reported", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "…" not in report.stdout
    assert all(column in report.stdout for column in ("accuracy_oracle", "auc_macro", "attention-ramvid"))
