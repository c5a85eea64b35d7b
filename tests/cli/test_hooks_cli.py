"""The non-registry hooks through the real CLI: a plugin adds a command, and hears about finished jobs."""

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
