# `make demo`: the mission's command shape on the embedded synthetic dataset, sized for 2 CPU cores (about 10 min).
# Mamba-RaMViD against attention-RaMViD and the interpolation floor at 32x32: the synthetic benchmark's recipe
# (configs/synthetic32.py) with one seed, 500 training steps per model, and three scorers.
_base_ = ["./synthetic32.py"]

run = dict(scorers=["mse", "l1", "ssim"], seeds=[0])
model = {
    "mamba-ramvid": dict(train_steps=500),
    "attention-ramvid": dict(train_steps=500),
}
