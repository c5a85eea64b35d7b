# `make demo`: the mission's command shape on the embedded synthetic dataset, sized for 2 CPU cores.
# Mamba-RaMViD against attention-RaMViD and the interpolation floor, scored by MSE and the blob-weighted WMSE.
# The tiny preset trains 300 steps (batch 2) and samples with 10 DDIM steps; frames are 16x16 so that both
# diffusion models train and infer in a few minutes on a CPU (see docs/models.md for the figures).
_base_ = ["./_base_/protocol.py"]

run = dict(
    models=["mamba-ramvid", "attention-ramvid", "interp"],
    maskers=["selective"],
    scorers=["mse", "wmse"],
    datasets=["synthetic"],
    seeds=[0],
)
dataset = {"synthetic": dict(size=[16, 16])}
model = {
    "mamba-ramvid": dict(preset="tiny"),
    "attention-ramvid": dict(preset="tiny"),
}
