"""The one record of a metric value, produced by the evaluation and stored, read and reported as it is."""

from __future__ import annotations

from typing import NamedTuple


class MetricRow(NamedTuple):
    """``metric`` on ``scope`` ("dataset", "scene", "video" or "kind") ``scope_id``; ``value`` is NaN where the
    metric is undefined (e.g. the AUC of a single-class video)."""

    scope: str
    scope_id: str
    metric: str
    value: float
