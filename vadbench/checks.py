"""Type checks shared by every validation of settings: what counts as a whole number and as a number."""

from __future__ import annotations

from typing import Any

import numpy as np


def is_int(value: Any) -> bool:
    """A whole number (Python or numpy integer), never a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """An integer or a float (Python or numpy), never a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
