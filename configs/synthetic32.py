# The synthetic benchmark at 32x32 (generator version 1, its default 2 scenes, 5 anomaly kinds): both RaMViD mixers
# against the interpolation floor, with every scorer that is defined at 32 px (ms-ssim and cw-ssim need larger
# frames), 3 training seeds. docs/models.md has the table this config produced and the curves behind its choices.
#
#   vadbench run --config configs/synthetic32.py && vadbench report --dataset synthetic --no-reported
_base_ = ["./_base_/protocol.py"]

run = dict(
    models=["attention-ramvid", "mamba-ramvid", "interp"],
    maskers=["selective"],
    scorers=["mse", "l1", "psnr", "ssim", "wmse"],
    datasets=["synthetic"],
    seeds=[0, 1, 2],
)
dataset = {"synthetic": dict(size=[32, 32])}
# The CPU recipe on the tiny network: predict the clean frames (x0), see which frames are anchors (an input
# channel), warm up for 100 steps then decay the learning rate on a cosine to zero, EMA 0.999; 1000 steps of
# batch 2 (about 5 min for attention and 10 min for Mamba on 2 idle CPU cores). Inference: 5 DDIM steps from
# noise shared by every window; with this recipe the draw barely matters (docs/models.md).
_recipe = dict(preset="tiny", parameterisation="x0", anchor_channel=True, lr=2e-3, warmup_steps=100,
              lr_decay="cosine", ema=0.999, train_steps=1000, checkpoint_every=250, keep_checkpoints=True,
              sampling_steps=5, noise="common")
model = {"attention-ramvid": _recipe, "mamba-ramvid": _recipe}
