# MNAD (Park et al., CVPR 2020), prediction variant, on the synthetic benchmark at 32x32 (the test set of
# configs/synthetic32.py) with the `tiny` CPU network, 3 training seeds. docs/models.md has what it measured.
#
#   vadbench run --config configs/mnad.py && vadbench report --dataset synthetic --no-reported
#
# MNAD's own protocol (Evaluate.py): the score is per-video min-max of PSNR and of the feature distance, combined
# with alpha = 0.6, inside the model; the first 4 frames of each video are not predicted (NaN here: excluded from
# every metric and counted as unscored); no smoothing; micro AUC. A scores model has no masker and no scorer, so
# window, stride and aggregate play no part in its scores (window still keys the fit stage, as for every learned
# model).
# The paper's network and budget: --cfg-options preset=paper (256x256 frames: dataset.<name>.size=[256, 256]).
_base_ = ["./_base_/protocol.py"]

run = dict(models=["mnad"], datasets=["synthetic"], seeds=[0, 1, 2])
dataset = {"synthetic": dict(size=[32, 32])}
protocol = dict(
    sigma=0.0,         # MNAD smooths nothing
    normalize=False,   # on top of MNAD's score this would min-max each video's combined score once more (its
                       # extremes are not 0 and 1: PSNR and distance peak on different frames); MNAD does not
    unscored="exclude",  # the first 4 frames of each video: dropped, as MNAD's label slice drops them
)
# The tiny preset: widths 16-32-64-64, 10 items of 64-d, 600 steps of batch 8, Adam 2e-3 with cosine decay (about
# 30 s of one CPU core per fit), with the paper's loss weights, alpha and update threshold.
model = {"mnad": dict(preset="tiny")}
