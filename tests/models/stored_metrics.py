"""Read back what a ``vadbench run`` stored in a test's results.db."""

from __future__ import annotations

import json
import sqlite3


def dataset_metrics(db, model: str) -> dict[str, float]:
    """The dataset-scope metrics of ``model``'s done measured job (the last one stored, if several)."""
    with sqlite3.connect(db) as connection:
        return dict(connection.execute(
            "select m.metric, m.value from metrics m join jobs j on m.job_id = j.id where j.model = ? and "
            "j.source = 'measured' and j.status = 'done' and m.scope = 'dataset' order by j.id", (model,)).fetchall())


def job_column(db, model: str, column: str) -> dict:
    """A JSON column (``settings``, ``provenance``) of ``model``'s first stored job."""
    with sqlite3.connect(db) as connection:
        (value,) = connection.execute(f"select {column} from jobs where model = ? order by id", (model,)).fetchone()
    return json.loads(value)
