"""The ``ubnormal`` dataset plugin: UBnormal with its official split lists, object maps and tracks."""

from vadbench import hookimpl


@hookimpl
def register_datasets(register):
    register("ubnormal", _ubnormal,
             settings={"root": "data/ubnormal", "size": [128, 128], "splits": "", "train": "normal", "trim": False},
             description="UBnormal: 268 / 64 / 211 videos in 29 scenes; labels from _tracks.txt, masks from the "
                         "object maps, tracks for RBDC/TBDC.")


def _ubnormal(**settings):
    from vadbench_plugins.datasets._ubnormal import UBnormalDataset

    return UBnormalDataset(**settings)
