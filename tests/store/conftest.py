from __future__ import annotations

import pytest

from vadbench.store import open_store


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'results.db'}"


@pytest.fixture
def store(url):
    with open_store(url) as opened:
        yield opened
