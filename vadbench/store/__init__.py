"""The results store: runs, jobs and long-format metrics in any SQLAlchemy database (SQLite by default)."""

from vadbench.store.db import Store as Store
from vadbench.store.db import open_store as open_store
from vadbench.store.records import JobMetric as JobMetric
from vadbench.store.records import JobRecord as JobRecord
from vadbench.evaluation.records import MetricRow as MetricRow
from vadbench.store.records import RunRecord as RunRecord
from vadbench.store.records import RunSummary as RunSummary
