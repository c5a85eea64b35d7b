"""``jobs.localise_key``, the cache key of a job's localise stage (regions and pixel summaries cut from its error
maps), and which accuracy rule the thesis's reported 85 / 60 / 54 most likely are.

The thesis code saves two accuracies: the best pooled-threshold frame accuracy (``accuracy_oracle``) and a per-video
average whose threshold is chosen per video (``video_accuracy_per_video_threshold``), which is far higher on the
same scores (0.957 against 0.762 measured on its ``compute_MSE.process_all``). The reported rows stay
``accuracy_oracle``, and their note now says why: under the per-video rule every video scores at least the share
of its majority class, whatever the scores, which averages to 0.840 over UBnormal's 211 test videos (their
official abnormal intervals, research/datasets-and-evaluation.md appendix A3), so 54 cannot be that rule.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

THESIS = "Mamba-RaMViD (Capobianco 2025)"
OLD_NOTE = ("best-threshold frame accuracy (oracle threshold), not an AUC: the code computes no AUC, and the README "
            "prints it beside other methods' AUCs")
NEW_NOTE = ("best pooled-threshold frame accuracy (accuracy_oracle; oracle threshold), not an AUC: the code computes "
            "no AUC, and the README prints it beside other methods' AUCs. Most likely this rule and not the code's "
            "per-video-threshold average (video_accuracy_per_video_threshold), which is at least 0.840 for any "
            "scores on UBnormal's test set (each video scores at least its majority class's share), so could not "
            "give 54")

jobs = sa.table("jobs", sa.column("source", sa.String), sa.column("model", sa.String), sa.column("note", sa.Text))


def _set_note(note: str) -> None:
    op.get_bind().execute(jobs.update().where(jobs.c.source == "reported", jobs.c.model == THESIS).values(note=note))


def upgrade() -> None:
    op.add_column("jobs", sa.Column("localise_key", sa.String(64), nullable=True))
    _set_note(NEW_NOTE)


def downgrade() -> None:
    _set_note(OLD_NOTE)
    # plain DROP COLUMN (SQLite >= 3.35): a batch rebuild would drop ``jobs`` and cascade-delete every metric
    op.execute("ALTER TABLE jobs DROP COLUMN localise_key")
