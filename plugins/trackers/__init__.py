"""The built-in experiment tracker: TensorBoard event files of a run given ``--log tensorboard``.

It implements the ``log_metrics`` hook like any tracker plugin (an MLflow or W&B one is a few lines: see
``docs/plugins.md``) and writes only for runs that name it. ``torch.utils.tensorboard`` needs the ``tensorboard``
package (``pip install vadbench[tensorboard]``); ``vadbench run --log tensorboard`` says so before any job runs.
"""

from vadbench import hookimpl

NAME = "tensorboard"


@hookimpl
def log_metrics(run, job, step, values):
    if NAME in run.get("log", ()):
        from vadbench_plugins.trackers.tensorboard import write

        write(run, job, step, values)
