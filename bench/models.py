"""The classic methods' cost on this machine: per method (conv-ae, ffp and mnad where registered), the training step
time (median over the steps of a short fit, from its ``train_log.jsonl``) and the inference time per test frame under
the method's shipped config (``configs/<method>.py``: its paper protocol and masker), with the ``tiny`` preset at
32x32 and, where it fits in ``--paper-budget`` seconds, the ``paper`` preset at its input size (batch
``--paper-batch``). Every model is built through the catalog by name, as a run builds it.

    python bench/models.py
    python bench/models.py --steps 50 --paper-budget 120
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from vadbench import plugin_host
from vadbench.components import FitContext, model_shape
from vadbench.config import load_config
from vadbench.evaluation.protocol import Protocol
from vadbench.evaluation.windows import window_starts
from vadbench.training_log import LOG_NAME, read_log

METHODS = {"conv-ae": "convae", "ffp": "ffp", "mnad": "mnad"}  # model -> its shipped config
PAPER_SIZES = {"conv-ae": 227, "ffp": 256, "mnad": 256}
WINDOWS_PER_CALL = 16  # as the infer stage (vadbench.runner.shapes)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20, help="training steps timed per method (tiny preset)")
    parser.add_argument("--paper-steps", type=int, default=3, help="training steps timed with the paper preset")
    parser.add_argument("--paper-batch", type=int, default=1, help="batch of the paper-preset steps")
    parser.add_argument("--paper-budget", type=float, default=180.0, help="seconds per paper-preset measurement")
    return parser.parse_args()


class _Task:
    def advance(self, n: int = 1) -> None: ...

    def update(self, **fields) -> None: ...


@contextmanager
def quiet(description: str, total: int):
    yield _Task()


def measure(method: str, preset: str, size: int, steps: int, batch: int | None) -> dict[str, float]:
    """Fit ``method`` for ``steps`` steps on a small synthetic set at ``size`` px, then infer on its test video:
    {"parameters", "step_ms", "frame_ms"}."""
    plugin_host.reset()
    config = load_config(Path(METHODS[method]))
    protocol = Protocol.from_dict({**Protocol().as_dict(), **config.get("protocol", {})})
    catalog = plugin_host.catalog
    entry = catalog("model").get(method)
    recipe = config.get("model", {}).get(method, {}) if preset == "tiny" else {}  # the config's is a tiny recipe
    settings = {**recipe, "preset": preset, "train_steps": steps, "checkpoint_every": steps,
                **({"batch_size": batch} if batch is not None else {})}
    model = entry.build(**{key: value for key, value in settings.items() if key in entry.settings})
    dataset = catalog("dataset").get("synthetic").build(size=[size, size], scenes=1, train_videos=1, test_videos=1,
                                                        frames=60)
    shape = model_shape(model)
    masker = catalog("masker").get(config["run"]["maskers"][0]).build() if shape == "reconstruction" else None
    with tempfile.TemporaryDirectory() as workdir:
        ctx = FitContext(workdir=Path(workdir), seed=0, device="cpu", window=protocol.window, progress=quiet)
        model.fit(dataset, masker, ctx)
        rates = [record["steps_per_s"] for record in read_log(Path(workdir) / LOG_NAME)]
    video = dataset.videos("test")[0]
    frames = np.asarray(dataset.frames(video))  # generated and cached before the clock starts
    start = time.perf_counter()
    if shape == "scores":
        model.score_video(dataset, video)
    else:
        reconstruct_video(model, frames, protocol, masker.inference_anchors(protocol.window))
    frame_ms = 1000 * (time.perf_counter() - start) / video.num_frames
    return {"parameters": model.provenance().get("parameters"), "batch": getattr(model.settings, "batch_size", None),
            "step_ms": 1000 / statistics.median(rates), "frame_ms": frame_ms}


@torch.no_grad()
def reconstruct_video(model, frames: np.ndarray, protocol: Protocol, anchors: np.ndarray) -> None:
    """What the infer stage asks of a reconstruction model for one video: every window, 16 at a time."""
    starts = window_starts(len(frames), protocol.window, protocol.stride)
    for first in range(0, len(starts), WINDOWS_PER_CALL):
        clips = np.stack([frames[s:s + protocol.window] for s in starts[first:first + WINDOWS_PER_CALL]])
        model.reconstruct(torch.from_numpy(clips).permute(0, 1, 4, 2, 3).float().div_(255), torch.from_numpy(anchors))


def _child(queue, *arguments) -> None:
    queue.put(json.dumps(measure(*arguments)))


def within(budget: float, *arguments) -> dict[str, float] | None:
    """``measure(*arguments)`` in a child process, or None when it takes longer than ``budget`` seconds."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue, *arguments))
    child.start()
    child.join(budget)
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    return json.loads(queue.get()) if child.exitcode == 0 else None


def row(method: str, preset: str, size: int, steps: int, result: dict[str, float] | None) -> str:
    if result is None:
        return f"| {method} | {preset} | {size} | | | over the budget | |"
    params = f"{result['parameters']:,}" if result["parameters"] else "?"
    return (f"| {method} | {preset} | {size} | {params} | {result['batch'] or '?'} | {result['step_ms']:.0f} "
            f"(median of {steps}) | {result['frame_ms']:.1f} |")


def main() -> None:
    args = parse()
    registered = plugin_host.catalog("model").names()
    methods = [method for method in METHODS if method in registered]
    print(f"CPU, {torch.get_num_threads()} threads; float32; each method under its shipped config's protocol\n")
    print("| method | preset | px | parameters | batch | ms / train step | ms / test frame |")
    print("|---|---|---|---|---|---|---|")
    for method in methods:
        print(row(method, "tiny", 32, args.steps, measure(method, "tiny", 32, args.steps, None)), flush=True)
        size = PAPER_SIZES[method]
        paper = within(args.paper_budget, method, "paper", size, args.paper_steps, args.paper_batch)
        print(row(method, "paper", size, args.paper_steps, paper), flush=True)
    skipped = [method for method in METHODS if method not in registered]
    if skipped:
        print(f"\nnot registered, skipped: {', '.join(skipped)}")


if __name__ == "__main__":
    main()
