"""The Slurm executor through submitit: its local executor runs the grid as array jobs (the Slurm path without a
Slurm cluster) with the local executor's stored metrics, and the sbatch script carries the settings."""

from __future__ import annotations

import os

import pytest

from executor_helpers import assert_same_metrics, interp_grid, stored_metrics
from vadbench.errors import ConfigError
from vadbench.runner.executors.slurm import SlurmExecutor, SlurmSettings, sbatch_script
from vadbench.runner.run import execute
from vadbench.store.db import open_store

pytest.importorskip("submitit")


def test_submitit_runs_the_interp_grid_in_waves_with_the_local_executors_metrics(tmp_path, monkeypatch):
    stores = {}
    for name in ("local", "slurm"):
        (tmp_path / name).mkdir()
        monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / name / "home"))
        stores[name] = open_store(f"sqlite:///{tmp_path / name / 'results.db'}")
        executor = SlurmExecutor(SlurmSettings(cluster="local")) if name == "slurm" else None
        run_id, outcomes = execute(interp_grid(stores[name]), stores[name], executor=executor)
        assert [o.status for o in outcomes] == ["done"] * 6
    assert_same_metrics(stored_metrics(stores["local"]), stored_metrics(stores["slurm"]))
    executor = stores["slurm"].get_run(run_id).executor
    assert executor["name"] == "slurm" and executor["cluster"] == "local"
    assert set(executor["jobs"]) == {"infer", "evaluate"}  # interp fits nothing: no fit wave
    assert len(executor["jobs"]["infer"]) == 3 and len(executor["jobs"]["evaluate"]) == 6  # one inference per seed
    logs = tmp_path / "slurm" / "home" / "runs" / run_id / "slurm"
    assert all(list((logs / wave).glob(f"{job}_*_log.err")) for wave, ids in executor["jobs"].items() for job in ids)


def test_the_sbatch_script_carries_the_slurm_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path))
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "srun").write_text("#!/bin/sh\nexit 0\n")  # submitit looks for srun; nothing runs it
    (tmp_path / "bin" / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    settings = SlurmSettings.of({"partition": "gpu-a100", "timeout_min": 90, "gpus_per_node": 2, "cpus_per_task": 6,
                                 "mem_gb": 48, "array_parallelism": 8, "account": "vad-lab", "qos": "high",
                                 "setup": ["module load cuda/12.4", "source ~/venv/bin/activate"]})
    script = sbatch_script(settings, "0123456789ab", "fit", gpus=settings.gpus_per_node)
    for line in ("#SBATCH --partition=gpu-a100", "#SBATCH --time=90", "#SBATCH --gpus-per-node=2",
                 "#SBATCH --cpus-per-task=6", "#SBATCH --mem=48GB", "#SBATCH --account=vad-lab", "#SBATCH --qos=high",
                 "#SBATCH --job-name=vadbench-0123456789ab-fit", "module load cuda/12.4", "source ~/venv/bin/activate",
                 f"#SBATCH --output={tmp_path.resolve()}/runs/0123456789ab/slurm/fit/%j_0_log.out"):
        assert line in script.splitlines(), (line, script)
    cpu_wave = sbatch_script(settings, "0123456789ab", "evaluate", gpus=0)
    assert "#SBATCH --gpus-per-node=0" in cpu_wave.splitlines()


@pytest.mark.parametrize("section, named", [({"partion": "gpu"}, "partion"), ({"cluster": "pbs"}, "cluster"),
                                            ({"timeout_min": 0}, "timeout_min"), ({"gpus_per_node": -1}, "gpus")])
def test_bad_slurm_settings_are_one_clear_error(section, named):
    with pytest.raises(ConfigError, match=named):
        SlurmSettings.of(section)
