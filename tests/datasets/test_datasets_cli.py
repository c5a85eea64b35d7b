"""``vadbench datasets``: check and prepare (core commands) and synth (added by the dataset plugin's
``register_commands``)."""

from typer.testing import CliRunner

from vadbench.cli.app import build_app

runner = CliRunner()


def datasets(*args):
    return runner.invoke(build_app(), ["datasets", *args])


def test_synth_check_prepare(tmp_path):
    assert "synth" in datasets("--help").output
    options = ["-o", "size=[24,24]", "-o", "frames=60", "-o", "train_videos=1", "-o", "test_videos=2"]
    result = datasets("synth", "--format", "ubnormal", "--out", str(tmp_path / "ub"), *options)
    assert result.exit_code == 0, result.output
    result = datasets("check", "ubnormal", "--root", str(tmp_path / "ub"), "-o", "size=[24,24]")
    assert result.exit_code == 0 and "abnormal test frames" in result.output and "ok" in result.output
    result = datasets("prepare", "ubnormal", "--root", str(tmp_path / "ub"), "-o", "size=[24,24]")
    assert result.exit_code == 0 and "6 videos, 360 frames cached" in result.output.replace("\n", " ")


def test_check_bad_root_names_it_and_fails(tmp_path):
    result = datasets("check", "stc", "--root", str(tmp_path / "missing"))
    assert result.exit_code == 1 and "no ShanghaiTech Campus dataset" in result.output
