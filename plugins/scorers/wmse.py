"""Built-in blob-weighted scorer: ``wmse`` (the thesis's WMSE / Blob-Loss)."""

from __future__ import annotations

from vadbench import hookimpl


@hookimpl
def register_scorers(register):
    register("wmse", _wmse, settings={"tau": 0.04, "min_area": 5, "weight": "area", "variant": "thesis"},
             description="Blob-weighted MSE: error inside 8-connected blobs of grey discrepancy >= tau "
                         "with at least min_area pixels, weighted by blob area.")


def _wmse(**settings):
    from vadbench_plugins.scorers._wmse import WMSEScorer

    return WMSEScorer(**settings)
