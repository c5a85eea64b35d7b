"""The RaMViD models: ``attention-ramvid`` and ``mamba-ramvid``, one network with the sequence mixer swapped."""

from __future__ import annotations

from vadbench import hookimpl

# null = the preset's value (see vadbench_plugins.models._ramvid.PRESET_TRAINING); the resolved values are
# stored in every checkpoint and in the model's provenance.
SETTINGS = {
    "preset": "full",
    "mixer_options": {},
    "parameterisation": None,
    "anchor_channel": None,
    "train_steps": None,
    "epochs": None,
    "batch_size": None,
    "lr": None,
    "warmup_steps": None,
    "lr_decay": None,
    "weight_decay": 0.0,
    "grad_clip": 1.0,
    "ema": 0.9999,
    "checkpoint_every": 1000,
    "keep_checkpoints": False,
    "checkpointing": False,
    "sampler": None,
    "sampling_steps": None,
    "eta": 0.0,
    "start_step": None,
    "samples": 1,
    "combine": "errors",
    "noise": "window",
    "infer_batch_size": 8,
    "use_ema": True,
}


@hookimpl
def register_models(register):
    register("attention-ramvid", _attention, settings=SETTINGS,
             description="RaMViD video diffusion (3D U-Net) with multi-head self-attention over space-time tokens.")
    register("mamba-ramvid", _mamba, settings=SETTINGS,
             description="RaMViD video diffusion (3D U-Net) with bidirectional Mamba blocks in place of attention.")


def _attention(**settings):
    from vadbench_plugins.models._ramvid import RamvidModel

    return RamvidModel("attention-ramvid", mixer="attention", **settings)


def _mamba(**settings):
    from vadbench_plugins.models._ramvid import RamvidModel

    return RamvidModel("mamba-ramvid", mixer="mamba", **settings)
