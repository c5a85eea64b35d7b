"""Data-parallel training under torchrun (2 CPU processes, gloo): every rank trains, rank 0 alone stores."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

OPTIONS = ["dataset.synthetic.size=[16, 16]", "dataset.synthetic.scenes=1", "dataset.synthetic.frames=60",
           "preset=tiny", "train_steps=4", "sampling_steps=2"]


@pytest.mark.slow
def test_torchrun_trains_on_two_ranks_and_stores_one_job(tmp_path):
    vadbench = Path(sys.executable).with_name("vadbench")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--no-python", str(vadbench),
               "run", "--model", "attention-ramvid", "--scorer", "mse",
               *[arg for option in OPTIONS for arg in ("--cfg-options", option)]]
    env = {**os.environ, "COLUMNS": "200", "OMP_NUM_THREADS": "1", "VADBENCH_HOME": str(tmp_path / "home")}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("1 jobs on cpu") == 1  # only rank 0 reports
    assert "Grad strides do not match" not in result.stderr
    with sqlite3.connect(tmp_path / "results.db") as connection:
        jobs = connection.execute("select status from jobs where source = 'measured'").fetchall()
        runs = connection.execute("select status from runs").fetchall()
    assert jobs == [("done",)] and runs == [("done",)]
    (checkpoint,) = (tmp_path / "home").rglob("ckpt-*.pt")
    assert checkpoint.name == "ckpt-00000004.pt"
