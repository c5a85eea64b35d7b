"""vadbench installed from its wheel into a fresh venv, run outside the checkout: the shipped configs by name."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
PACKAGED = ("pyproject.toml", "README.md", "vadbench", "plugins", "configs")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv holding only the vadbench wheel; its dependencies come from this interpreter's site-packages through
    a ``.pth`` line (whose own ``.pth`` files, this checkout's editable install among them, are not processed)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # built from a copy: setuptools leaves build/ and *.egg-info beside the sources
    source.mkdir()
    for part in PACKAGED:
        if (CHECKOUT / part).is_dir():
            shutil.copytree(CHECKOUT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(CHECKOUT / part, source / part)
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(root / "dist"),
                    str(source)], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next((root / "dist").glob("vadbench-*.whl"))
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", str(wheel)], check=True,
                   capture_output=True)
    return root


@pytest.mark.slow
def test_config_demo_by_name_from_the_wheel(installed, tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VADBENCH_HOME")}
    vadbench = installed / "venv" / "bin" / "vadbench"
    where = subprocess.run([str(installed / "venv" / "bin" / "python"), "-c",
                            "import vadbench, vadbench_configs; print(vadbench.__file__, vadbench_configs.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert str(CHECKOUT) not in where and site.getsitepackages()[0] not in where  # the wheel's copy, not the checkout
    result = subprocess.run([str(vadbench), "run", "--config", "demo", "--dry-run"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9 jobs" in result.stdout and "mamba-ramvid" in result.stdout
    unknown = subprocess.run([str(vadbench), "run", "--config", "nope", "--dry-run"], cwd=tmp_path, env=env,
                             capture_output=True, text=True)
    assert unknown.returncode == 1 and "shipped: convae, demo, ffp, mnad, synthetic32" in unknown.stderr
