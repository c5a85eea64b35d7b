# `make demo`: the mission's command shape on the embedded synthetic dataset, sized for 2 CPU cores.
# Mamba-RaMViD against attention-RaMViD and the interpolation floor, scored by MSE and the blob-weighted WMSE.
_base_ = ["./_base_/protocol.py"]

run = dict(
    models=["mamba-ramvid", "attention-ramvid", "interp"],
    maskers=["selective"],
    scorers=["mse", "wmse"],
    datasets=["synthetic"],
    seeds=[0],
)
dataset = {"synthetic": dict(size=[32, 32])}
model = {
    "mamba-ramvid": dict(preset="tiny"),
    "attention-ramvid": dict(preset="tiny"),
}
