"""The test oracle: mamba-ssm's own ``selective_scan_ref`` and ``Mamba`` module, reached on a CPU-only install.

mamba-ssm is installed without its CUDA kernels, and its package ``__init__`` imports the compiled
``selective_scan_cuda`` and more (transformers, ...). A placeholder kernel module and a bare package module
(its ``__path__`` the installed package directory, its ``__init__`` never run) let the pure-PyTorch parts
import; both are removed again at the end of the session.

The oracle is part of the test install (``make install`` puts it in the venv), so its absence is a failure that
says how to install it, never a skip: a skip would let the comparisons against the upstream code silently stop
running while the suite stays green. (The portable scan itself is vadbench's own code and needs no mamba-ssm.)
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

import pytest


@pytest.fixture(scope="session")
def mamba_oracle():
    """mamba-ssm's ``selective_scan_interface`` and ``mamba_simple`` modules (their CUDA kernels absent)."""
    spec = importlib.util.find_spec("mamba_ssm")
    if spec is None:
        pytest.fail("mamba-ssm, the test oracle of the portable scan and of BiMamba, is not installed: `make install` "
                    "installs it (without its CUDA kernels, see the Makefile)", pytrace=False)
    before = set(sys.modules)
    sys.modules.setdefault("selective_scan_cuda", types.ModuleType("selective_scan_cuda"))
    if "mamba_ssm" not in sys.modules:
        sys.modules["mamba_ssm"] = importlib.util.module_from_spec(spec)
    interface = importlib.import_module("mamba_ssm.ops.selective_scan_interface")
    mamba_simple = importlib.import_module("mamba_ssm.modules.mamba_simple")
    yield types.SimpleNamespace(selective_scan_ref=interface.selective_scan_ref, mamba_simple=mamba_simple)
    for name in set(sys.modules) - before:
        if name == "selective_scan_cuda" or name.split(".")[0] == "mamba_ssm":
            del sys.modules[name]
