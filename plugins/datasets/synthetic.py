"""The ``synthetic`` dataset plugin: procedural scenes with labelled anomalies, masks and tracks."""

from vadbench import hookimpl


@hookimpl
def register_datasets(register):
    register("synthetic", _synthetic,
             settings={"seed": 0, "size": [128, 128], "scenes": 2, "train_videos": 3, "test_videos": 4,
                       "frames": 120},
             description="Procedural walkers on paths; running, wrong-way, vehicle, thrown-object and "
                         "sudden-appearance anomalies with labels, masks and tracks. Generated in seconds.")


def _synthetic(**settings):
    from vadbench_plugins.datasets._synthetic import SyntheticDataset

    return SyntheticDataset(**settings)
