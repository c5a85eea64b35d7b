"""Frame pipeline speed: decode-and-cache and cached-read frames/s for a synthetic video in each real layout.

Usage: ``python bench/data.py [--size 128] [--frames 300]``. Writes into a temporary folder; prints a table.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VADBENCH_HOME"] = str(Path(tmp) / "home")
        from vadbench.plugin_host import catalog
        from vadbench_plugins.datasets.synthetic import SyntheticDataset

        size = [args.size, args.size]
        synthetic = SyntheticDataset(size=size, scenes=2, train_videos=1, test_videos=1, frames=args.frames)
        start = time.perf_counter()
        video = synthetic.videos("test")[0]
        synthetic.rendered(video)
        print(f"synthetic generation: {args.frames / (time.perf_counter() - start):,.0f} frames/s "
              f"({size[0]}x{size[1]})")
        print(f"{'layout':<22}{'source':<34}{'decode+cache f/s':>18}{'cached read f/s':>17}")
        for format, layout, split, plugin, settings in (
                ("avenue", "videos", "test", "avenue", {}), ("avenue", "frames", "test", "avenue", {"gt": "intervals"}),
                ("stc", None, "train", "stc", {}), ("stc", None, "test", "stc", {}),
                ("ubnormal", None, "test", "ubnormal", {})):
            root = Path(tmp) / f"{format}-{layout}"
            synthetic.write_layout(format, root, layout)
            dataset = catalog("dataset").get(plugin).build(root=str(root), size=size, **settings)
            video = dataset.videos(split)[0]
            start = time.perf_counter()
            count = len(dataset.frames(video))
            decode = count / (time.perf_counter() - start)
            start, reads = time.perf_counter(), 0
            while time.perf_counter() - start < 1.0:
                reads += len(np.ascontiguousarray(dataset.frames(video)))
            read = reads / (time.perf_counter() - start)
            source = Path(video.source).relative_to(root)
            print(f"{format + ('-' + layout if layout else ''):<22}{str(source)[:33]:<34}{decode:>18,.0f}{read:>17,.0f}")


if __name__ == "__main__":
    main()
