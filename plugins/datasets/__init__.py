"""The built-in dataset plugin: CUHK Avenue, ShanghaiTech Campus, UBnormal and the procedural synthetic dataset.

Each dataset's settings and defaults are its class's ``__init__`` parameters; the classes are imported only when a
dataset is built.
"""

from vadbench import hookimpl


@hookimpl
def register_datasets(register):
    register("synthetic", "vadbench_plugins.datasets.synthetic:SyntheticDataset",
             description="Procedural walkers on paths; running, wrong-way, vehicle, thrown-object and "
                         "sudden-appearance anomalies with labels, masks and tracks. Generated in seconds.")
    register("avenue", "vadbench_plugins.datasets.avenue:AvenueDataset",
             description="CUHK Avenue: 16 train / 21 test videos. gt=masks (official volLabel, default) or "
                         "intervals (ano_pred avenue.mat); object tracks from MERL's region files (tracks=DIR).")
    register("stc", "vadbench_plugins.datasets.stc:STCDataset",
             description="ShanghaiTech Campus: 330 train / 107 test videos in 13 scenes; frame and pixel masks; "
                         "object tracks from the AED annotations (tracks=DIR).")
    register("ubnormal", "vadbench_plugins.datasets.ubnormal:UBnormalDataset",
             description="UBnormal: 268 / 64 / 211 videos in 29 scenes; labels from _tracks.txt, masks from the "
                         "object maps, object tracks.")


@hookimpl
def register_commands(cli):
    from vadbench.cli.app import group
    from vadbench_plugins.datasets.synth_command import synth

    group(cli, "datasets").command()(synth)
