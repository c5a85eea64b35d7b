# FFP (Liu et al., "Future Frame Prediction for Anomaly Detection -- A New Baseline", CVPR 2018) under its paper's
# protocol, stated through vadbench's own settings, with a `tiny` CPU recipe on the synthetic dataset at 32x32 (the
# test set of configs/synthetic32.py). docs/models.md ("Classic methods") has the table this config produced.
#
#   vadbench run --config configs/ffp.py && vadbench report --dataset synthetic --no-reported
#
# The paper's network and recipe (U-Net 64-128-256-512 at 256x256, the PatchGAN discriminator, 80k steps of batch 4;
# a GPU job) on a real dataset:
#
#   vadbench run --config configs/ffp.py --dataset avenue --seed 0 \
#       --cfg-options model.ffp.preset=paper model.ffp.train_steps=null model.ffp.checkpoint_every=1000 \
#       dataset.avenue.size=[256,256]
#
# Not reproduced: the optical-flow loss (it needs pretrained FlowNet2 weights; model setting flow_loss stays false).
_base_ = ["./_base_/protocol.py"]

run = dict(
    models=["ffp"],
    maskers=["predict"],   # the last frame of each window is predicted, the 4 before it are its (real) context
    scorers=["psnr"],      # the psnr scorer gives -PSNR, so larger = more anomalous (FFP's score is PSNR)
    datasets=["synthetic"],
    seeds=[0, 1, 2],
)
dataset = {"synthetic": dict(size=[32, 32])}
# FFP's evaluation (ano_pred_cvpr2018 Codes/evaluate.py): per-frame PSNR of the predicted frame, min-max
# normalised per video, no smoothing; the first 4 frames of a video cannot be predicted and are dropped. Here:
protocol = dict(
    window=5,             # 4 context frames + the predicted one
    stride=1,             # every frame from the 5th on is predicted once
    sigma=0.0,            # no temporal smoothing
    normalize=True,       # per-video min-max (of -PSNR: 1 - FFP's regularity score, the same AUC)
    unscored="exclude",   # the first 4 frames of each video are masked in no window: dropped and counted
)
# The CPU recipe: the tiny U-Net (8-16-32-64), intensity + gradient losses (no discriminator), Adam 1e-3,
# 1000 steps of batch 4.
model = {"ffp": dict(preset="tiny", train_steps=1000, checkpoint_every=250)}
