"""The ``stc`` dataset plugin: ShanghaiTech Campus as shanghaitech.tar.gz unpacks."""

from vadbench import hookimpl


@hookimpl
def register_datasets(register):
    register("stc", _stc, settings={"root": "data/shanghaitech", "size": [128, 128], "trim": False},
             description="ShanghaiTech Campus: 330 train / 107 test videos in 13 scenes; frame and pixel masks.")


def _stc(**settings):
    from vadbench_plugins.datasets._stc import STCDataset

    return STCDataset(**settings)
