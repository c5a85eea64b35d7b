"""The built-in masker plugin: ``selective`` (the thesis's fixed anchors), ``random`` (RaMViD's training rule),
``predict`` (the last frames of a window masked) and ``autoencode`` (no anchors)."""

from vadbench import hookimpl


@hookimpl
def register_maskers(register):
    register("selective", "vadbench_plugins.maskers.selective:SelectiveMasker",
             description="Fixed anchors: first two frames, every offset 0 or 1 mod 10, last two; train = test.")
    register("random", "vadbench_plugins.maskers.random:RandomMasker",
             description="RaMViD: per clip, no anchors with probability p_uncond, else 1..max_anchors random "
                         "anchors; the selective anchors at inference.")
    register("predict", "vadbench_plugins.maskers.predict:PredictMasker",
             description="Future-frame prediction: the last `frames` (default 1) frames of a window are masked, the "
                         "earlier ones are anchors; train = test.")
    register("autoencode", "vadbench_plugins.maskers.autoencode:AutoencodeMasker",
             description="No anchors: every frame of a window is reconstructed from the window itself; "
                         "train = test.")
