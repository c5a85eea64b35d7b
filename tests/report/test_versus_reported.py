"""``vadbench report --versus-reported``: each model whose plugin declares ``reported_as`` beside that published row,
measured − reported per dataset and metric, "not measured" where it has not run; and the leaderboard's label."""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import textwrap

import pytest
from report_helpers import VALUES, fill

from vadbench import plugin_host
from vadbench.errors import ConfigError
from vadbench.report.leaderboard import leaderboards
from vadbench.report.versus import versus_reported
from vadbench.store import JobRecord, open_store

FFP = "FFP (CVPR'18)"  # reported on avenue (85.1) and stc (72.8) by migration 0002
THESIS = "Mamba-RaMViD (Capobianco 2025)"  # accuracy_oracle 85 / 60 / 54 on avenue, stc, ubnormal
REPORTED_AS = {"ffp": FFP, "mamba-ramvid": THESIS}
FFP_AVENUE = {"mse": [0.812, 0.834, 0.801], "psnr": [0.861, 0.870]}  # auc_micro per seed, per scorer
THESIS_AVENUE = [0.71, 0.77]  # accuracy_oracle of the mamba-ramvid jobs of report_helpers, seeds 0 and 1


def add_measured(store) -> None:
    """ffp on avenue with two scorers, and accuracy_oracle for the mamba-ramvid jobs ``fill`` made (other eval keys,
    same settings group)."""
    run_id = store.start_run(command="vadbench run --model ffp", config={}, config_hash="f", versions={},
                             git_commit=None, device="cpu", host="test")
    for scorer, values in FFP_AVENUE.items():
        for seed, auc in enumerate(values):
            store.save_job(run_id, JobRecord(dataset="avenue", model="ffp", masker="predict", scorer=scorer,
                                             seed=seed, eval_key=f"ffp-{scorer}-{seed}"),
                           [("dataset", "avenue", "auc_micro", auc)])
    for seed, accuracy in enumerate(THESIS_AVENUE):
        store.save_job(run_id, JobRecord(dataset="avenue", model="mamba-ramvid", masker="selective", scorer="mse",
                                         seed=seed, settings={"protocol": {"sigma": 4}}, eval_key=f"acc-{seed}"),
                       [("dataset", "avenue", "accuracy_oracle", accuracy)])
    store.finish_run(run_id, status="done", wall_time=1.0)


@pytest.fixture
def db(tmp_path):
    """The URL of a store with report_helpers' jobs and ``add_measured``'s."""
    url = f"sqlite:///{tmp_path / 'results.db'}"
    with open_store(url) as store:
        fill(store)
        add_measured(store)
    return url


@pytest.fixture
def store(db):
    with open_store(db) as opened:
        yield opened


def _by(versus, dataset, model):
    return [comparison for comparison in versus.comparisons
            if comparison.dataset == dataset and comparison.model == model]


def test_the_difference_is_measured_minus_reported(store):
    versus = versus_reported(store, REPORTED_AS)
    ffp = _by(versus, "avenue", "ffp")
    assert [(c.metric, c.measured.scorer, c.reported.model) for c in ffp] == [
        ("auc_micro", "psnr", FFP), ("auc_micro", "mse", FFP)]  # one per settings group, in leaderboard rank
    for comparison in ffp:
        values = FFP_AVENUE[comparison.measured.scorer]
        assert comparison.measured.n == len(values)
        assert math.isclose(comparison.measured.cells["auc_micro"].mean, statistics.fmean(values), abs_tol=1e-12)
        assert abs(comparison.difference - (statistics.fmean(values) - 0.851)) < 1e-9
    thesis = _by(versus, "avenue", "mamba-ramvid")
    assert [c.metric for c in thesis] == ["accuracy_oracle"]  # the thesis row has no AUC to compare
    assert abs(thesis[0].difference - (statistics.fmean(THESIS_AVENUE) - 0.85)) < 1e-9
    group = thesis[0].measured  # report_helpers' jobs (no accuracy_oracle) and add_measured's: one settings group
    assert (group.cells["accuracy_oracle"].n, group.n) == (2, len(VALUES["mamba-ramvid", 4]) + 2)


def test_reported_rows_without_measured_jobs_say_not_measured(store):
    versus = versus_reported(store, REPORTED_AS)
    missing = {(c.dataset, c.model, c.metric) for c in versus.comparisons if c.measured is None}
    assert missing == {("stc", "ffp", "auc_micro"), ("stc", "mamba-ramvid", "accuracy_oracle"),
                       ("ubnormal", "mamba-ramvid", "accuracy_oracle")}
    assert all(math.isnan(c.difference) for c in versus.comparisons if c.measured is None)
    assert not _by(versus, "ubnormal", "ffp")  # FFP has no reported row on UBnormal: nothing to compare
    assert versus.unmatched == {}


def test_models_without_reported_as_are_absent(store):
    versus = versus_reported(store, REPORTED_AS)
    assert {c.model for c in versus.comparisons} == {"ffp", "mamba-ramvid"}  # interp ran, but reproduces nothing
    assert {c.model for c in versus_reported(store, REPORTED_AS, models=["ffp", "interp"]).comparisons} == {"ffp"}
    with pytest.raises(ConfigError, match="model 'interp' declares the published row.*models that do: ffp"):
        versus_reported(store, REPORTED_AS, models=["interp"])


def test_a_name_that_matches_no_reported_row_is_listed(store):
    versus = versus_reported(store, {**REPORTED_AS, "mine": "FFP (CVPR 2018)"})
    assert versus.unmatched == {"mine": "FFP (CVPR 2018)"}
    with pytest.raises(ConfigError, match="model mine reproduces 'FFP \\(CVPR 2018\\)'.*on avenue, stc, ubnormal"):
        versus_reported(store, {"mine": "FFP (CVPR 2018)"})


def test_the_leaderboard_labels_a_reported_row_where_its_model_was_measured(store):
    boards = {board.dataset: board for board in leaderboards(store, reported_as=REPORTED_AS)}
    labels = {(dataset, row.model): row.measured_as for dataset, board in boards.items() for row in board.reported}
    assert labels["avenue", FFP] == ["ffp"] and labels["avenue", THESIS] == ["mamba-ramvid"]
    assert labels["stc", FFP] == [] and labels["avenue", "MemAE (ICCV'19)"] == []  # not measured there


# -- a third-party plugin --------------------------------------------------------------------------------------

PLUGIN = '''
from vadbench import hookimpl


@hookimpl
def register_models(register):
    register("lab-ffp", "lab_models:Model", reported_as="FFP (CVPR'18)", description="a lab's FFP")
'''


@pytest.fixture
def lab_plugin(tmp_path, monkeypatch):
    """A third-party package installed by its entry point only (no registry.yaml): a dist-info on ``sys.path``."""
    site = tmp_path / "site"
    (site / "lab_vadbench-0.1.dist-info").mkdir(parents=True)
    (site / "lab_vadbench-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: lab-vadbench\n"
                                                                    "Version: 0.1\n")
    (site / "lab_vadbench-0.1.dist-info" / "entry_points.txt").write_text("[vadbench]\nlab = lab_plugin\n")
    (site / "lab_plugin.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.chdir(tmp_path)  # no registry.yaml here
    plugin_host.reset()
    yield site
    plugin_host.reset()
    sys.modules.pop("lab_plugin", None)


def test_a_third_party_models_reported_as_is_read_without_building_it(lab_plugin):
    entry = plugin_host.catalog("model").get("lab-ffp")
    assert (entry.plugin, entry.reported_as) == ("lab_plugin", FFP) and not plugin_host.failures()
    assert "lab_models" not in sys.modules  # its target is never imported


def test_a_third_party_models_rows_sit_beside_the_reported_row(vadbench, lab_plugin, tmp_path):
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    with open_store(url) as store:
        run_id = store.start_run(command="vadbench run --model lab-ffp", config={}, config_hash="l", versions={},
                                 git_commit=None, device="cpu", host="test")
        for seed, auc in enumerate((0.70, 0.74)):
            store.save_job(run_id, JobRecord(dataset="stc", model="lab-ffp", seed=seed, eval_key=f"lab-{seed}"),
                           [("dataset", "stc", "auc_micro", auc)])
    result = vadbench("report", "--versus-reported", "--db", url, "--model", "lab-ffp", "-f", "json",
                      cwd=tmp_path, env_extra={"PYTHONPATH": str(lab_plugin)})
    assert result.returncode == 0, result.stderr
    records = {r["dataset"]: r for r in json.loads(result.stdout)["comparisons"]}
    assert records["avenue"]["status"] == "not measured" and records["stc"]["n"] == 2
    assert abs(records["stc"]["difference"] - (0.72 - 0.728)) < 1e-9


@pytest.mark.parametrize("kind, reported_as, message", [
    ("model", "", "reported_as='' must be the model name of a reported row"),
    ("scorer", FFP, "scorer 'm' .*applies to models only")])
def test_a_reported_as_that_cannot_be_one_is_refused(kind, reported_as, message):
    from vadbench.catalog import Entry

    with pytest.raises(ConfigError, match=message):
        Entry(kind, "m", "a:b", plugin="p", reported_as=reported_as)


# -- the CLI (the built-in mamba-ramvid declares the thesis's row) -------------------------------------------------

def test_cli_rich_and_markdown(vadbench, db, tmp_path):
    mean = statistics.fmean(THESIS_AVENUE)
    rich = vadbench("report", "--versus-reported", "--db", db, cwd=tmp_path)
    assert rich.returncode == 0, rich.stderr
    avenue, stc = rich.stdout.split("stc — measured vs reported")[0], rich.stdout.split("stc — ")[1]
    assert "avenue — measured vs reported" in avenue and "interp" not in rich.stdout
    line = next(line for line in avenue.splitlines() if "mamba-ramvid" in line and "accuracy_oracle" in line)
    assert f"{100 * mean:.1f} ± {100 * statistics.stdev(THESIS_AVENUE):.1f}" in line and "85.0" in line
    assert f"{100 * (mean - 0.85):+.1f}" in line and f"{THESIS} [" in line and " 2 of 4 " in line
    line = next(line for line in stc.splitlines() if "mamba-ramvid" in line and "accuracy_oracle" in line)
    assert "not measured" in line and "60.0" in line
    markdown = vadbench("report", "--versus-reported", "--db", db, "--dataset", "stc", "--model", "mamba-ramvid",
                        "-f", "markdown", cwd=tmp_path)
    assert markdown.returncode == 0, markdown.stderr
    assert "### stc — measured vs reported" in markdown.stdout and "avenue" not in markdown.stdout
    assert f"| mamba-ramvid |  |  |  |  | accuracy_oracle ↑ | not measured | 60.0 |  | {THESIS} [1] |" \
        in markdown.stdout
    assert f"- [1] {THESIS}: Capobianco, Video Anomaly Detection with Mamba Video Diffusion" in markdown.stdout


def test_cli_json_and_csv_hold_the_stored_values(vadbench, db, tmp_path):
    result = vadbench("report", "--versus-reported", "--db", db, "-f", "json", "--model", "mamba-ramvid",
                      cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)["comparisons"]
    assert [(r["dataset"], r["status"]) for r in records] == [("avenue", "measured"), ("stc", "not measured"),
                                                               ("ubnormal", "not measured")]
    assert abs(records[0]["difference"] - (statistics.fmean(THESIS_AVENUE) - 0.85)) < 1e-9
    assert records[1]["difference"] is None and records[1]["reported"] == 0.6
    csv_text = vadbench("report", "--versus-reported", "--db", db, "-f", "csv", cwd=tmp_path).stdout
    assert csv_text.startswith("dataset,model,metric,status,") and "ubnormal,mamba-ramvid,accuracy_oracle," in csv_text


def test_cli_labels_the_reported_row_in_the_leaderboard(vadbench, db, tmp_path):
    result = vadbench("report", "--db", db, "--dataset", "avenue", "-f", "markdown", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    thesis = next(line for line in result.stdout.splitlines() if line.startswith(f"| {THESIS} |"))
    assert thesis.startswith(f"| {THESIS} | – | – | – | 85.0 | [") and thesis.endswith("| = mamba-ramvid |")
    memae = next(line for line in result.stdout.splitlines() if line.startswith("| MemAE"))
    assert memae.endswith("|  |")  # reproduced by no model measured here
    rich = vadbench("report", "--db", db, "--dataset", "stc,avenue", cwd=tmp_path).stdout
    line = next(line for line in rich.split("stc — ")[0].splitlines() if THESIS in line)
    assert line.rstrip(" │").endswith("reported = mamba-ramvid")
    assert not any("= mamba-ramvid" in line for line in rich.split("stc — ")[1].splitlines())  # not measured there


@pytest.mark.parametrize("options, message", [
    (["--scope", "scene"], "drop --scope scene"), (["--no-reported"], "drop --no-reported"),
    (["--floor", "interp"], "--floor judges the leaderboards"), (["-f", "latex"], "not --format latex")])
def test_cli_options_it_cannot_honour_are_one_clear_error(vadbench, db, tmp_path, options, message):
    result = vadbench("report", "--versus-reported", "--db", db, *options, cwd=tmp_path)
    assert result.returncode == 1 and message in result.stderr


def test_off_a_terminal_the_table_stays_whole(db, tmp_path):
    environment = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    done = subprocess.run([sys.executable, "-c", "from vadbench.cli import main; main()", "report",
                           "--versus-reported", "--db", db], cwd=tmp_path, env=environment, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout and "README table 'Ours' of github.com/CapobiancoR/VAD_Diffusion_Mamba" in done.stdout
