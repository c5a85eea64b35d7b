"""export, plot and cache on a finished run's cached stage outputs."""

from __future__ import annotations

import csv
import sqlite3

import numpy as np

from test_run_cli import SMALL


def run_id(db_path):
    with sqlite3.connect(db_path) as connection:
        return connection.execute("select id from runs order by created_at desc").fetchone()[0]


def test_export_plot_and_cache_of_a_run(tmp_path, vadbench):
    home = {"VADBENCH_HOME": str(tmp_path / "home")}  # its own cache, so `cache remove` touches nothing shared
    result = vadbench("run", "--model", "interp", "--scorer", "mse", "--dataset", "synthetic", *SMALL,
                      cwd=tmp_path, env_extra=home)
    assert result.returncode == 0, result.stderr
    run = run_id(tmp_path / "results.db")

    exported = vadbench("export", run[:6], "--out", "out", cwd=tmp_path, env_extra=home)
    assert exported.returncode == 0, exported.stderr
    (table,) = (tmp_path / "out").glob("*.csv")
    rows = list(csv.DictReader(table.open()))
    assert {"video", "frame", "score", "label"} == set(rows[0])
    assert {row["label"] for row in rows} == {"0", "1"}
    assert any(row["score"] == "" for row in rows)  # frames masked in no window are exported as unscored
    npz = vadbench("export", run, "--out", "out", "--format", "npz", cwd=tmp_path, env_extra=home)
    assert npz.returncode == 0 and np.load(next((tmp_path / "out").glob("*.npz"))).files

    plotted = vadbench("plot", run, "--out", "plots", "--top", "2", cwd=tmp_path, env_extra=home)
    assert plotted.returncode == 0, plotted.stderr
    names = sorted(path.name for path in (tmp_path / "plots").glob("*.png"))
    assert any("_scores0" in name for name in names) and any("_reconstructions" in name for name in names)

    listed = vadbench("cache", "list", cwd=tmp_path, env_extra=home)
    assert listed.returncode == 0 and run in listed.stdout and "infer" in listed.stdout

    removed = vadbench("cache", "remove", "--run", run, cwd=tmp_path, env_extra=home)
    assert removed.returncode == 0 and "removed evaluate/" in removed.stdout
    gone = vadbench("export", run, "--out", "out2", cwd=tmp_path, env_extra=home)
    assert gone.returncode == 1 and "not in the cache" in gone.stderr and "--overwrite" in gone.stderr


def test_plot_and_export_find_the_runs_cache_from_another_folder(tmp_path, vadbench):
    import sqlite3

    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    result = vadbench("run", "--model", "interp", "--dataset", "synthetic", "--cfg-options",
                      "dataset.synthetic.size=[32, 32]", cwd=work, env_extra={"VADBENCH_HOME": ".cache"})
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(work / "results.db") as connection:
        ((run, home),) = connection.execute("select id, home from runs").fetchall()
    assert home == str((work / ".cache").resolve())
    db = f"--db=sqlite:///{work / 'results.db'}"
    for command in (["export", run, "--out", "exported"], ["plot", run, "--out", "plots"]):
        done = vadbench(*command, db, cwd=elsewhere, env_extra={"VADBENCH_HOME": ".cache"})
        assert done.returncode == 0, done.stdout + done.stderr
    assert list((elsewhere / "exported").glob("*.csv")) and list((elsewhere / "plots").glob("*.png"))
    assert not (elsewhere / ".cache").exists()  # nothing recomputed or cached here
    shown = vadbench("show", run, db, cwd=elsewhere)
    assert str(work / ".cache") in shown.stdout.replace("\n", "")
