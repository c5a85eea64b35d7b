from __future__ import annotations

import pytest
from postgres_server import PostgresServer

from vadbench.store import open_store


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL server for the session."""
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """Every store test runs on SQLite and on a real PostgreSQL server (a fresh database each)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'results.db'}"
    return request.getfixturevalue("postgres").database()


@pytest.fixture
def store(url):
    with open_store(url) as opened:
        yield opened
