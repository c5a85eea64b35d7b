"""``vadbench plot`` on real runs of the interp floor on the synthetic dataset: every figure kind in every format,
the ROC / PR overlay of two runs, the non-maximum suppression of the reconstruction grid, and a bad --format."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import numpy as np

from vadbench import paths, plots, stage_cache
from vadbench.store.db import open_store

SMALL = ["--cfg-options", "dataset.synthetic.size=[32, 32]"]
JOB_FIGURES = ("scores0", "reconstructions", "regions", "rbdc_tbdc")  # interp learns nothing: no training curve


def run_interp(folder, vadbench, *options) -> str:
    """One run of the interp floor on the small synthetic dataset; returns its id."""
    result = vadbench("run", "--model", "interp", "--dataset", "synthetic", *SMALL, *options, cwd=folder,
                      env_extra=home(folder))
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(folder / "results.db") as connection:
        return connection.execute("select id from runs order by created_at desc").fetchone()[0]


def home(folder) -> dict[str, str]:
    return {"VADBENCH_HOME": str(folder / "home")}


def done_jobs(folder, run: str) -> tuple[list, str]:
    """The run's done jobs and its cache folder."""
    store = open_store(f"sqlite:///{folder / 'results.db'}", create=False)
    return [job for job in store.jobs(run) if job.status == "done"], store.get_run(run).home


def job_stem(job) -> str:
    return f"job{job.id}_{job.model}_{job.scorer}_{job.dataset}_seed{job.seed}"


def assert_written(path) -> None:
    """``path`` is a non-empty figure file of the kind its suffix names."""
    assert path.is_file() and path.stat().st_size > 0, path
    head = path.read_bytes()[:4096]
    if path.suffix == ".pdf":
        assert head.startswith(b"%PDF"), path
    if path.suffix == ".svg":
        assert b"<svg" in head, path


def test_every_figure_kind_is_written_in_every_format(tmp_path, vadbench):
    run = run_interp(tmp_path, vadbench, "--scorer", "mse,l1")
    plotted = vadbench("plot", run[:6], "--out", "plots", "--top", "3", "--format", "png,pdf,svg", cwd=tmp_path,
                       env_extra=home(tmp_path))
    assert plotted.returncode == 0, plotted.stdout + plotted.stderr
    jobs, run_home = done_jobs(tmp_path, run)
    assert len(jobs) == 2
    for fmt in plots.FORMATS:
        for job in jobs:
            for kind in JOB_FIGURES:
                assert_written(tmp_path / "plots" / f"{job_stem(job)}_{kind}.{fmt}")
        assert_written(tmp_path / "plots" / f"roc_pr_synthetic_{run[:6]}.{fmt}")
    written = sorted((tmp_path / "plots").iterdir())
    assert plotted.stdout.count("wrote ") == len(written) == 3 * (2 * len(JOB_FIGURES) + 1)

    job = jobs[0]
    with paths.home_of_run(run_home):  # the training curve, through the Python API, from a training log
        logged = dataclasses.replace(job, fit_key="logged")
        log = stage_cache.training_log_file(logged.fit_key)
        log.parent.mkdir(parents=True)
        log.write_text("".join(json.dumps({"step": step, "loss": 1 / step, "lr": 1e-4}) + "\n"
                               for step in range(1, 101)))
        frames_file = stage_cache.frame_scores_file(job.eval_key)
        figures = plots.plot_job(logged, frames_file, tmp_path / "api", top=2, formats=("svg", "pdf", "png"))
        assert {path.name for path in figures} == {f"{job_stem(job)}_{kind}.{fmt}" for fmt in plots.FORMATS
                                                   for kind in (*JOB_FIGURES, "training")}
        for path in figures:
            assert_written(path)
        assert_score_and_grid_figures(job, frames_file)


def assert_score_and_grid_figures(job, frames_file) -> None:
    """The score curves carry each video's AUC, the oracle threshold and the unscored frames; the grid's error
    maps share one colour scale and one colour bar."""
    scores, labels = plots._frame_scores(frames_file)
    videos = list(scores)
    oracle = plots.metrics.accuracy_oracle([scores[v] for v in videos], [labels[v] for v in videos])
    figure = plots._score_curves(job, videos, scores, labels, oracle)
    assert all("AUC" in axis.get_title() for axis in figure.axes[:len(videos)])
    entries = [text.get_text() for text in figure.legends[0].get_texts()]
    assert "ground-truth anomaly" in entries and "unscored (masked in no window)" in entries
    assert any(entry.startswith("oracle threshold") for entry in entries)
    assert figure.get_supylabel() == "anomaly score (after smoothing, sigma 3)"

    grid = plots._reconstruction_grid(job, scores, top=3)
    *panels, colour_bar = grid.axes
    assert len(panels) == 3 * 3 and colour_bar.get_ylabel() == plots.ERROR_LABEL
    assert len({panel.images[0].get_clim() for panel in panels[2::3]}) == 1


def test_two_runs_are_overlaid_in_one_roc_pr_figure(tmp_path, vadbench):
    first = run_interp(tmp_path, vadbench, "--scorer", "mse")
    second = run_interp(tmp_path, vadbench, "--scorer", "l1", "--sigma", "0")
    plotted = vadbench("plot", first[:6], second, "--out", "plots", cwd=tmp_path, env_extra=home(tmp_path))
    assert plotted.returncode == 0, plotted.stdout + plotted.stderr
    assert_written(tmp_path / "plots" / f"roc_pr_synthetic_{'+'.join(sorted([first[:6], second[:6]]))}.png")
    assert len(list((tmp_path / "plots").glob("job*_scores0.png"))) == 2  # each job's own figures too

    pairs = []
    for run in (first, second):
        jobs, run_home = done_jobs(tmp_path, run)
        with paths.home_of_run(run_home):
            pairs += [(job, stage_cache.frame_scores_file(job.eval_key).resolve()) for job in jobs]
    roc, pr = plots._roc_pr(pairs, "overlay").axes
    assert [text.get_text().split(":")[0] for text in roc.get_legend().get_texts()] == [
        "chance", f"interp / mse ({first[:6]})", f"interp / l1 ({second[:6]})"]
    assert all(": AP " in text.get_text() for text in pr.get_legend().get_texts())


def test_the_grid_picks_at_most_one_frame_per_window_of_a_video():
    rng = np.random.default_rng(0)
    scores = {f"video{index}": rng.random(200) for index in range(3)}
    scores["video1"][:40] = np.nan
    picked = plots.pick_frames(scores, top=12, window=30)
    assert len(picked) == 12 and [value for value, _, _ in picked] == sorted((v for v, _, _ in picked), reverse=True)
    assert picked[0][0] == max(np.nanmax(values) for values in scores.values())
    for index, (_, video, frame) in enumerate(picked):
        assert np.isfinite(scores[video][frame])
        assert all(abs(frame - other) > 15 for _, same, other in picked[:index] if same == video)

    ramp = {"short": np.arange(20.0), "peaked": np.array([0.0, 5.0, 30.0, 4.0] + [1.0] * 30)}
    assert plots.pick_frames(ramp, top=5, window=30) == [  # no more than 4 frames lie apart enough
        (30.0, "peaked", 2), (19.0, "short", 19), (3.0, "short", 3), (1.0, "peaked", 18)]
    assert plots.pick_frames(ramp, top=3, window=1) == [(30.0, "peaked", 2), (19.0, "short", 19),
                                                        (18.0, "short", 18)]  # no suppression: the plain top 3


def test_a_bad_format_is_one_clear_error(tmp_path, vadbench):
    result = vadbench("plot", "any-run", "--format", "png,jpg", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "unknown figure format 'jpg': choose one or more of png, pdf, svg" in result.stderr
    assert not (tmp_path / "plots").exists()
