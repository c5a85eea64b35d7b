"""Classic video anomaly detection methods, registered as a third-party plugin would register them.

Each model's settings and their defaults live with its class (a ``settings_type`` dataclass); the classes, and
torch with them, are imported only when a model is built.
"""

from vadbench import hookimpl


@hookimpl
def register_models(register):
    register("conv-ae", "vadbench_plugins.classic.convae:ConvAE", reported_as="Conv-AE (CVPR'16)",
             description="Conv-AE (Hasan et al., CVPR 2016): a convolutional autoencoder over a stack of frames; "
                         "reconstructs every frame of the window.")
    register("ffp", "vadbench_plugins.classic.ffp:FutureFramePrediction", reported_as="FFP (CVPR'18)",
             description="FFP (Liu et al., CVPR 2018): a U-Net predicts each masked frame from the real frames "
                         "before it (intensity, gradient and optional adversarial losses; no flow loss).")
    register("mnad", "vadbench_plugins.classic.mnad:Mnad", reported_as="MNAD pred (CVPR'20)",
             description="MNAD (Park et al., CVPR 2020), prediction: a U-Net predicts each frame from the 4 before "
                         "it through a memory of normal prototypes, and scores PSNR with feature distance itself.")
