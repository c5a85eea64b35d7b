"""Experiment trackers: the log_metrics hook during training and at each job's end, and the TensorBoard writer."""

from __future__ import annotations

import json
import sqlite3

import pytest

OPTIONS = ["dataset.synthetic.size=[16, 16]", "dataset.synthetic.scenes=1", "dataset.synthetic.train_videos=1",
           "dataset.synthetic.test_videos=2", "dataset.synthetic.frames=60", "preset=tiny", "train_steps=3",
           "sampling_steps=2", "protocol.localise=false"]
SMALL = [arg for option in OPTIONS for arg in ("--cfg-options", option)]

RECORDER = '''
import json
import os

from vadbench import hookimpl


@hookimpl
def log_metrics(run, job, step, values):
    """Append every call to $TRACK_FILE; fail on purpose when $TRACKER_FAILS is set."""
    if "recorder" not in run["log"]:
        return
    with open(os.environ["TRACK_FILE"], "a") as handle:
        handle.write(json.dumps({"run": run, "job": job, "step": step, "values": values}) + "\\n")
    if os.environ.get("TRACKER_FAILS"):
        raise RuntimeError("tracker down")
'''


def dataset_metric(db, model, metric):
    with sqlite3.connect(db) as connection:
        return connection.execute("select m.value from metrics m join jobs j on m.job_id = j.id where j.model = ? "
                                  "and m.scope = 'dataset' and m.metric = ?", (model, metric)).fetchone()[0]


@pytest.fixture
def recorder(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "recorder.py").write_text(RECORDER)
    (tmp_path / "registry.yaml").write_text("plugins:\n  - recorder\n")
    return {"PYTHONPATH": str(plugins), "TRACK_FILE": str(tmp_path / "track.jsonl"),
            "VADBENCH_HOME": str(tmp_path / "home")}


@pytest.mark.slow
def test_a_tracker_plugin_sees_each_training_step_and_each_jobs_metrics(tmp_path, vadbench_process, recorder):
    result = vadbench_process("run", "--model", "attention-ramvid,interp", "--dataset", "synthetic", "--log",
                              "recorder", *SMALL, cwd=tmp_path, env_extra=recorder)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = [json.loads(line) for line in (tmp_path / "track.jsonl").read_text().splitlines()]
    training = [call for call in calls if call["step"] is not None]
    assert [call["step"] for call in training] == [1, 2, 3]
    assert all(call["job"]["model"] == "attention-ramvid" and call["values"]["loss"] > 0 for call in training)
    finals = {call["job"]["model"]: call for call in calls if call["step"] is None}
    assert finals.keys() == {"attention-ramvid", "interp"}
    for model, call in finals.items():
        assert call["job"]["id"] and call["run"]["log"] == ["recorder"] and call["run"]["home"]
        assert call["values"]["auc_micro"] == dataset_metric(tmp_path / "results.db", model, "auc_micro")


def test_a_failing_tracker_is_reported_and_the_run_goes_on(tmp_path, vadbench_process, recorder):
    result = vadbench_process("run", "--model", "interp", "--dataset", "synthetic", "--log", "recorder",
                              "--cfg-options", "dataset.synthetic.size=[16, 16]", "protocol.localise=false",
                              cwd=tmp_path, env_extra={**recorder, "TRACKER_FAILS": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "results.db") as connection:
        ((status, provenance),) = connection.execute("select status, provenance from jobs where source = "
                                                     "'measured'").fetchall()
    assert status == "done"
    assert json.loads(provenance)["hook_failures"] == ["recorder: RuntimeError: tracker down (recorder.py:16)"]


@pytest.mark.slow
def test_log_tensorboard_writes_the_training_curve_and_the_metrics(tmp_path, vadbench):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    home = tmp_path / "home"
    result = vadbench("run", "--model", "attention-ramvid", "--dataset", "synthetic", "--log", "tensorboard", *SMALL,
                      cwd=tmp_path, env_extra={"VADBENCH_HOME": str(home)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tensorboard --logdir" in result.stdout
    (folder,) = [path for path in (home / "tensorboard").glob("*/*") if path.is_dir()]
    events = EventAccumulator(str(folder))
    events.Reload()
    assert [event.step for event in events.Scalars("train/loss")] == [1, 2, 3]
    (auc,) = events.Scalars("metrics/auc_micro")
    assert auc.value == pytest.approx(dataset_metric(tmp_path / "results.db", "attention-ramvid", "auc_micro"),
                                      rel=1e-6)  # event files hold float32
