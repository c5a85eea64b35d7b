# Conv-AE (Hasan et al., "Learning Temporal Regularity in Video Sequences", CVPR 2016) under its paper's protocol,
# stated through vadbench's own settings, with a `tiny` CPU recipe on the synthetic dataset at 32x32 (the test set
# of configs/synthetic32.py). docs/models.md ("Classic methods") has the table this config produced.
#
#   vadbench run --config configs/convae.py && vadbench report --dataset synthetic --no-reported
#
# The paper's network (10 gray 227x227 frames, conv 11x11/4 512 -> pool -> 5x5 256 -> pool -> 3x3 128, mirrored)
# and recipe (AdaGrad, batches of 1024 windows; a GPU job) on a real dataset:
#
#   vadbench run --config configs/convae.py --dataset avenue --seed 0 \
#       --cfg-options model.conv-ae.preset=paper model.conv-ae.train_steps=null model.conv-ae.checkpoint_every=1000 \
#       dataset.avenue.size=[227,227]
_base_ = ["./_base_/protocol.py"]

run = dict(
    models=["conv-ae"],
    maskers=["autoencode"],  # no anchors: every frame of a window is reconstructed from the window itself
    scorers=["mse"],         # per-frame reconstruction error (of luma: the model is gray, docs/models.md)
    datasets=["synthetic"],
    seeds=[0, 1, 2],
)
dataset = {"synthetic": dict(size=[32, 32])}
# The paper's score: e(t), the summed squared reconstruction error of frame t, and the regularity
# s(t) = 1 - (e(t) - min e) / max e per video; a monotone flip of the min-max normalised error. Here:
protocol = dict(
    window=10,          # T = 10 frames per cuboid
    stride=1,           # a cuboid at every frame (our choice: a frame's error does not depend on its place in one
                        # cuboid; stride=10 reconstructs each frame once, at a tenth of the cache)
    aggregate="mean",   # a frame's error is the mean over the (up to 10) cuboids that hold it
    sigma=0.0,          # no temporal smoothing
    normalize=True,     # per-video min-max of e(t)
)
# The CPU recipe: the tiny autoencoder (conv 4x4/2 32 -> 3x3 16 -> 3x3 8, gray), Adam 3e-3, weight decay 5e-4,
# 1000 steps of batch 8.
model = {"conv-ae": dict(preset="tiny", train_steps=1000, checkpoint_every=250)}
