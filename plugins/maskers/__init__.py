"""The built-in masker plugin: ``selective`` (the thesis's fixed anchors) and ``random`` (RaMViD's training rule)."""

from vadbench import hookimpl


@hookimpl
def register_maskers(register):
    register("selective", "vadbench_plugins.maskers.selective:SelectiveMasker",
             description="Fixed anchors: first two frames, every offset 0 or 1 mod 10, last two; train = test.")
    register("random", "vadbench_plugins.maskers.random:RandomMasker",
             description="RaMViD: per clip, no anchors with probability p_uncond, else 1..max_anchors random "
                         "anchors; the selective anchors at inference.")
