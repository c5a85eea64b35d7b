from __future__ import annotations

import pytest
from report_helpers import fill

from vadbench.store import open_store


@pytest.fixture
def filled(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'results.db'}") as store:
        yield store, fill(store)
