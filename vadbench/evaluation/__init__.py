"""The evaluation protocol: windows, per-frame aggregation, post-processing and metrics (numpy/scipy/sklearn only).

Import the modules you need (``vadbench.evaluation.protocol`` for ``Protocol`` and ``evaluate``); this package
does not import them itself, so that importing it stays free of scikit-learn's start-up cost.
"""
