import numpy as np
import pytest

from vadbench.errors import ConfigError
from vadbench.evaluation.windows import window_starts


@pytest.mark.parametrize(
    ("num_frames", "expected"),
    [
        (100, [0, 15, 30, 45, 60, 70]),  # 60 + 30 < 100: one more window flush with the end
        (90, [0, 15, 30, 45, 60]),  # 60 + 30 = 90 already ends at the video's end
        (31, [0, 1]),
        (30, [0]),
        (29, []),  # shorter than one window: no window, every frame unscored
        (0, []),
    ],
)
def test_default_windows(num_frames, expected):
    starts = window_starts(num_frames, 30, 15)
    assert starts.dtype == np.int64
    assert starts.tolist() == expected


def test_every_window_fits_and_the_last_ends_at_the_end():
    for num_frames in range(30, 200):
        starts = window_starts(num_frames, 30, 7)
        assert (np.diff(starts) > 0).all()
        assert starts[0] == 0 and starts[-1] + 30 == num_frames
        assert (np.diff(starts)[:-1] == 7).all()


@pytest.mark.parametrize(("length", "stride"), [(0, 15), (30, 0), (-1, 1)])
def test_bad_window_settings(length, stride):
    with pytest.raises(ConfigError, match="length and stride"):
        window_starts(100, length, stride)
