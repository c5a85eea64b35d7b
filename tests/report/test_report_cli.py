"""The report, show and compare commands on a small store, and that they never import torch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
from report_helpers import fill
from typer.testing import CliRunner

from vadbench.cli.results import register
from vadbench.errors import StoreError
from vadbench.store import JobRecord, open_store


@pytest.fixture
def app():
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'results.db'}"
    with open_store(url) as store:
        first = fill(store)
        second = store.start_run(command="vadbench run --cfg-options protocol.sigma=8", config={}, config_hash="g",
                                 versions={"vadbench": "0.1.0"}, git_commit="def", device="cpu", host="test")
        for seed, auc in enumerate((0.70, 0.72)):
            store.save_job(second, JobRecord(dataset="avenue", model="mamba-ramvid", masker="selective",
                                             scorer="mse", seed=seed, settings={"protocol": {"sigma": 8}},
                                             eval_key=f"second-{seed}"), [("dataset", "avenue", "auc_micro", auc)])
        store.save_job(second, JobRecord(dataset="stc", model="mamba-ramvid", status="failed",
                                         error="RuntimeError: CUDA out of memory"))
    return url, first, second


def test_report_json_and_file_output(app, db, tmp_path):
    url, first, _ = db
    result = CliRunner().invoke(app, ["report", "--db", url, "--format", "json", "--run", first[:5],
                                      "--dataset", "avenue", "--columns", "ap", "--no-reported"])
    assert result.exit_code == 0, result.output
    board = json.loads(result.output)["boards"][0]
    assert board["columns"] == ["ap"] and board["reported"] == [] and len(board["measured"]) == 3
    out = tmp_path / "board.tex"
    assert CliRunner().invoke(app, ["report", "--db", url, "-f", "latex", "--output", str(out)]).exit_code == 0
    assert r"\begin{tabular}" in out.read_text()


def test_show_lists_provenance_jobs_errors_and_metrics(app, db):
    url, _, second = db
    result = CliRunner().invoke(app, ["show", second, "--db", url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("protocol.sigma=8", "CUDA out of memory", "failed", "avenue: dataset-level metrics", "70.0", "72.0"):
        assert text in result.output


def test_compare_shows_what_changed_and_the_differences(app, db):
    url, first, second = db
    result = CliRunner().invoke(app, ["compare", first, second, "--db", url, "--metric", "auc_micro"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "settings: protocol.sigma" in result.output and "4, 6" in result.output and "8" in result.output
    assert "65.0 ± 1.4 (n=2)" in result.output and "71.0 ± 1.4 (n=2)" in result.output and "+6.0" in result.output


def test_unknown_run_is_a_store_error(app, db):
    url, _, _ = db
    result = CliRunner().invoke(app, ["show", "nope", "--db", url])
    assert isinstance(result.exception, StoreError) and "recent runs" in str(result.exception)


def test_report_does_not_import_torch(db):
    url, _, _ = db
    code = ("import sys, typer; from vadbench.cli.results import register; app = typer.Typer(); register(app); "
            f"app(['report', '--db', {url!r}, '-f', 'csv'], standalone_mode=False); "
            "print('torch' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "False" and done.stdout.startswith("dataset,source,rank")


def test_report_filters_take_comma_lists_like_run(app, db):
    url, *_ = db

    def boards(*filters):
        result = CliRunner().invoke(app, ["report", "--db", url, "--format", "json", *filters])
        assert result.exit_code == 0, result.output
        return [(board["dataset"], sorted({row["model"] for row in board["measured"] + board["reported"]}))
                for board in json.loads(result.output)["boards"]]

    assert boards("--dataset", "avenue,stc") == boards("--dataset", "avenue", "--dataset", "stc")
    assert [dataset for dataset, _ in boards("--dataset", "avenue,stc")] == ["avenue", "stc"]
    assert {model for _, models in boards("--model", "mamba-ramvid,interp") for model in models} <= {"mamba-ramvid",
                                                                                                      "interp"}
