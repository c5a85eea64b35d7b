"""Bad input is one clear line that names the value and the fix, found before any stage runs; nothing stored is
lost and read commands never create a database."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from vadbench.cli.app import build_app
from vadbench.errors import ConfigError, StoreError
from vadbench.runner.run import RunRequest, plan
from vadbench.store.db import open_store

TINY = [("dataset.synthetic.size", [16, 16]), ("dataset.synthetic.scenes", 1), ("dataset.synthetic.frames", 60)]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    return open_store(f"sqlite:///{tmp_path / 'results.db'}")


def test_a_bad_sigma_fails_at_planning(store):
    with pytest.raises(ConfigError, match="protocol.sigma must be a number of frames >= 0"):
        plan(RunRequest(models=["interp"], datasets=["synthetic"], sigmas=[3.0, -1.0], cfg_options=TINY), store)


def test_a_window_longer_than_the_videos_names_them(store):
    options = [*TINY, ("protocol.window", 100), ("protocol.stride", 50)]
    with pytest.raises(ConfigError, match=r"protocol.window=100 is longer than 4 test videos .*"
                                          r"01_test_001 \(60 frames\).*choose protocol.window <= 60"):
        plan(RunRequest(models=["interp"], datasets=["synthetic"], cfg_options=options), store)


def test_a_checkpoint_for_a_model_that_learns_nothing_is_refused(store, tmp_path):
    (tmp_path / "ckpt.pt").write_bytes(b"x")
    with pytest.raises(ConfigError, match="model interp learns nothing"):
        plan(RunRequest(models=["interp"], datasets=["synthetic"], cfg_options=TINY,
                        checkpoint=tmp_path / "ckpt.pt"), store)


def test_a_two_column_scores_file_is_refused(store, tmp_path):
    folder = tmp_path / "scores"
    folder.mkdir()
    from vadbench import plugin_host

    dataset = plugin_host.catalog("dataset").get("synthetic").build(size=[16, 16], scenes=1, frames=60)
    video = dataset.videos("test")[0]
    np.save(folder / f"{video.id}.npy", np.zeros((60, 2)))
    model = plugin_host.catalog("model").get("scores").build(path=str(folder))
    with pytest.raises(ConfigError, match=r"expected 60 scores .* found shape \(60, 2\)"):
        model.score_video(dataset, video)


def cli(*args, cwd, monkeypatch):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(build_app(), list(args), catch_exceptions=True)


def test_config_file_strings_are_one_value_not_characters(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    (tmp_path / "one.py").write_text('run = dict(models="interp", seeds="12", scorers="mse,l1")\n'
                                     'dataset = {"synthetic": dict(size=[16, 16], scenes=1, frames=60)}\n')
    result = cli("run", "--config", "one.py", "--dry-run", cwd=tmp_path, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert "2 jobs" in result.output and " 12 " in result.output and "l1" in result.output


def test_read_commands_never_create_a_database(tmp_path, monkeypatch):
    result = cli("report", "--db", f"sqlite:///{tmp_path / 'typo.db'}", cwd=tmp_path, monkeypatch=monkeypatch)
    assert isinstance(result.exception, StoreError) and "there is no results store at" in str(result.exception)
    assert not (tmp_path / "typo.db").exists()


def test_a_file_that_is_not_sqlite_and_a_newer_schema_are_one_line_errors(tmp_path):
    (tmp_path / "notes.db").write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="is not a SQLite database"):
        open_store(f"sqlite:///{tmp_path / 'notes.db'}")
    assert (tmp_path / "notes.db").read_text().startswith("these are my notes")
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    with open_store(url) as store:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError, match="revision '0099', newer than this vadbench knows"):
        open_store(url)


def test_errors_and_help_keep_their_brackets(tmp_path, vadbench):
    bad = vadbench("run", "--model", "interp", "--cfg-options", "dataset.synthetic.size=abc", "--dry-run",
                   cwd=tmp_path)
    assert bad.returncode == 1 and "must be [height, width], got 'abc'" in bad.stderr, bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    helped = vadbench("run", "--help", cwd=tmp_path)
    assert "[default: selective]" in helped.stdout


def test_cfg_options_take_several_pairs_as_in_mmengine(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    db = f"sqlite:///{tmp_path / 'results.db'}"
    several = cli("run", "--model", "interp", "--db", db, "--cfg-options", "dataset.synthetic.scenes=1",
                  "dataset.synthetic.test_videos=1", "dataset.synthetic.size=[16, 16]", cwd=tmp_path,
                  monkeypatch=monkeypatch)
    assert several.exit_code == 0, several.output
    (job,) = open_store(db).jobs(open_store(db).runs()[0].id)
    settings = job.settings["dataset"]["settings"]
    assert (settings["scenes"], settings["test_videos"], settings["size"]) == (1, 1, [16, 16])
    stray = cli("run", "--model", "interp", "--db", db, "--cfg-options", "dataset.synthetic.scenes=1", "oops",
                cwd=tmp_path, monkeypatch=monkeypatch)
    assert isinstance(stray.exception, ConfigError) and "unexpected argument 'oops'" in str(stray.exception)


@pytest.mark.parametrize("arguments, message", [
    (["--executor", "pbs"], "--executor 'pbs' is unknown; choose one of local, ray, slurm"),
    (["--executor", "slurm", "--cfg-options", "executor.slurm.partion=gpu"],
     "executor.slurm: unknown setting(s) partion"),
    (["--cfg-options", "executor.workers=2"], "executor options are executor.name, executor.ray.<setting>"),
])
def test_a_bad_executor_is_one_line_before_any_job_runs(vadbench, tmp_path, arguments, message):
    result = vadbench("run", "--model", "interp", "--db", f"sqlite:///{tmp_path / 'results.db'}", *arguments,
                      cwd=tmp_path, env_extra={"VADBENCH_HOME": str(tmp_path / "home")})
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "results.db").exists()


def test_a_remote_executor_without_its_package_names_the_extra(monkeypatch):
    import importlib.util

    from vadbench.runner.executors import ExecutorSettings, make_executor

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *rest: None)
    with pytest.raises(ConfigError, match=r"--executor ray needs the ray package: pip install 'vadbench\[scale\]'"):
        make_executor(ExecutorSettings(name="ray"))
