"""The hooks other than register_* through the real CLI: a plugin adds a command, and hears about finished jobs."""

from __future__ import annotations

import json

from test_run_cli import SMALL

PLUGIN = '''
import json
import os

import typer

from vadbench import hookimpl


@hookimpl
def register_commands(cli):
    @cli.command("hello")
    def hello(name: str = typer.Argument("world")):
        """Say hello."""
        print(f"hello {name}")


@hookimpl
def job_finished(job, metrics):
    with open(os.environ["FINISHED_LOG"], "a") as log:
        log.write(json.dumps({"model": job["model"], "status": job["status"], "metrics": len(metrics)}) + "\\n")
'''


def test_register_commands_and_job_finished(tmp_path, vadbench):
    (tmp_path / "hooked_plugin.py").write_text(PLUGIN)
    (tmp_path / "registry.yaml").write_text("plugins:\n  - hooked_plugin\n")
    env = {"PYTHONPATH": str(tmp_path), "FINISHED_LOG": str(tmp_path / "finished.jsonl")}

    hello = vadbench("hello", "vadbench", cwd=tmp_path, env_extra=env)
    assert hello.returncode == 0 and hello.stdout.strip() == "hello vadbench", hello.stderr

    run = vadbench("run", "--model", "interp", "--scorer", "mse", *SMALL, cwd=tmp_path, env_extra=env)
    assert run.returncode == 0, run.stderr
    (event,) = [json.loads(line) for line in (tmp_path / "finished.jsonl").read_text().splitlines()]
    assert event["model"] == "interp" and event["status"] == "done" and event["metrics"] > 10


BROKEN = '''
from vadbench import hookimpl


@hookimpl
def register_commands(cli):
    raise RuntimeError("no commands today")


@hookimpl
def job_finished(job, metrics):
    raise ValueError("tracker down")
'''


def test_raising_hooks_break_nothing_and_are_recorded(tmp_path, vadbench):
    (tmp_path / "broken_hooks.py").write_text(BROKEN)
    (tmp_path / "registry.yaml").write_text("plugins:\n  - broken_hooks\n")
    env = {"PYTHONPATH": str(tmp_path)}
    run = vadbench("run", "--model", "interp", "--scorer", "mse,l1", *SMALL, cwd=tmp_path, env_extra=env)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    report = vadbench("report", cwd=tmp_path, env_extra=env)
    assert report.returncode == 0 and "interp" in report.stdout, report.stderr
    listed = vadbench("plugins", cwd=tmp_path, env_extra=env)
    assert "no commands today" in listed.stdout + listed.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "results.db") as connection:
        provenances = [json.loads(row[0]) for row in connection.execute(
            "select provenance from jobs where source = 'measured'")]
    assert len(provenances) == 2
    assert all(p["hook_failures"] == ["broken_hooks: ValueError: tracker down (broken_hooks.py:12)"]
               for p in provenances)
