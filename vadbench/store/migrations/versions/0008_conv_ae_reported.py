"""Conv-AE's published numbers (Hasan et al., CVPR 2016) as ``source = 'reported'`` jobs, stored as 0002 stores
reported rows: values in % as printed, kept on the 0-1 scale, frame-level micro AUC, with the citation and a note
that says what was checked and how.

- avenue 70.2: the paper's own number (its Table 3, CUHK Avenue frame-level AUC). Not confirmed here: the copies of
  the paper the project's reference library holds show only its abstract and introduction.
- stc 60.85: Hasan et al. did not evaluate on ShanghaiTech; the number is Conv-AE as quoted by Liu et al., CVPR 2018
  (FFP), Table 2. Confirmed secondary: later papers' comparison tables quote Conv-AE at 60.85 on ShanghaiTech beside
  80.00 on Avenue, and 80% is FFP Table 2's Avenue entry for Conv-AE, so the 60.85 and that table go together.
  FFP's own table was not read here. Its Avenue 80.0 comes from that re-implementation and is not stored: the
  Avenue row is the paper's 70.2.

This data is frozen with the migration: a correction is a new migration, never an edit here. Downgrading removes
exactly these rows (and their metrics).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MODEL = "Conv-AE (CVPR'16)"
PAPER = "Hasan et al., Learning Temporal Regularity in Video Sequences, CVPR 2016"

# dataset -> (citation, evidence, frame-level micro AUC in % as printed, note)
REPORTED = {
    "avenue": (f"{PAPER}, Table 3 [not verified]", "unverified", 70.2,
               "the paper's own CUHK Avenue frame-level AUC (its Table 3); not confirmed against the paper here: the "
               "reference library's copies of it show only its abstract and introduction"),
    "stc": (f"{PAPER}; as quoted by Liu et al., Future Frame Prediction, CVPR 2018, Table 2 [secondary]", "secondary",
            60.85,
            "not evaluated by Hasan et al.: Conv-AE re-run on ShanghaiTech as quoted by Liu et al. (FFP) Table 2; "
            "confirmed only as the value later papers' tables quote for Conv-AE on ShanghaiTech (beside 80.0 on "
            "Avenue, FFP's Table 2 entry for Conv-AE), FFP's table itself not read"),
}

jobs = sa.table(
    "jobs", sa.column("id", sa.Integer), sa.column("source", sa.String), sa.column("citation", sa.Text),
    sa.column("dataset", sa.String), sa.column("model", sa.String), sa.column("settings", sa.JSON),
    sa.column("status", sa.String), sa.column("provenance", sa.JSON), sa.column("note", sa.Text),
)
metrics = sa.table(
    "metrics", sa.column("job_id", sa.Integer), sa.column("scope", sa.String), sa.column("scope_id", sa.String),
    sa.column("metric", sa.String), sa.column("value", sa.Float),
)


def upgrade() -> None:
    connection = op.get_bind()
    for dataset, (citation, evidence, auc, note) in REPORTED.items():
        job_id = connection.execute(jobs.insert().values(
            source="reported", citation=citation, dataset=dataset, model=MODEL, settings={}, status="done",
            provenance={"evidence": evidence, "unit_as_printed": "%"}, note=note,
        ).returning(jobs.c.id)).scalar_one()
        connection.execute(metrics.insert().values(job_id=job_id, scope="dataset", scope_id=dataset,
                                                   metric="auc_micro", value=auc / 100))


def downgrade() -> None:
    connection = op.get_bind()
    ours = sa.select(jobs.c.id).where(jobs.c.source == "reported", jobs.c.model == MODEL)
    connection.execute(metrics.delete().where(metrics.c.job_id.in_(ours)))
    connection.execute(jobs.delete().where(jobs.c.source == "reported", jobs.c.model == MODEL))
