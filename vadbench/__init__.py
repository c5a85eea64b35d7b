"""vadbench: train and evaluate video anomaly detection methods under one explicit protocol."""

from vadbench.hookspecs import hookimpl as hookimpl

__version__ = "0.1.0"
