# The evaluation protocol of vadbench, stated explicitly (these are also the built-in defaults).
protocol = dict(
    window=30,           # L: frames per window
    stride=15,           # S: windows start every S frames, plus one flush with the video's end
    aggregate="max",     # a frame's error over the windows in which it is masked (never its anchor appearances)
    unscored="exclude",  # frames masked in no window: excluded and counted ("nearest" fills them)
    sigma=3.0,           # per-video Gaussian smoothing, in frames (0 = none)
    smoothing_boundary="renormalise",  # beyond a video's ends: nothing ("reflect": mirrored, "constant": zeros)
    normalize=False,     # per-video min-max normalisation
    macro_rule="pad",    # single-class videos in macro AUC: "pad" (official UBnormal script) or "skip"
)
