"""The ``avenue`` dataset plugin: CUHK Avenue in its official layout or the ano_pred frames variant."""

from vadbench import hookimpl


@hookimpl
def register_datasets(register):
    register("avenue", _avenue,
             settings={"root": "data/avenue", "size": [128, 128], "gt": "masks", "layout": "auto", "trim": False},
             description="CUHK Avenue: 16 train / 21 test videos. gt=masks (official volLabel, default) or "
                         "intervals (ano_pred avenue.mat).")


def _avenue(**settings):
    from vadbench_plugins.datasets._avenue import AvenueDataset

    return AvenueDataset(**settings)
