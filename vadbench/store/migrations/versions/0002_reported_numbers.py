"""Published numbers as ``source = 'reported'`` jobs, each with its citation and the metric it really is.

Values are given here in %, as printed, and stored on the 0-1 scale of measured rows. AUCs are frame-level micro
AUCs unless stored as ``auc_macro``; RBDC/TBDC are ``rbdc``/``tbdc``. The thesis's own numbers (85 / 60 / 54)
are best-threshold frame accuracies (``accuracy_oracle``), although its README prints them beside AUCs.
Sources: research/datasets-and-evaluation.md section 6 and research/ramvid-and-mamba.md section 3.3.
This data is frozen with the migration: a correction is a new migration, never an edit here.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PYANOMALY = "PyAnomaly docs/model_zoo.md, numbers 'proposed in the original papers' [secondary]"
UBNORMAL_README = "github.com/lilygeorgescu/UBnormal README [verified]"
OBJECT_LEVEL = "object-level method: uses pre-computed object detections"

# (model, citation, evidence, {dataset: {metric: value in %}}, {dataset: note}, Avenue ground-truth variant)
REPORTED = [
    ("Mamba-RaMViD (Capobianco 2025)",
     "Capobianco, Video Anomaly Detection with Mamba Video Diffusion, MSc thesis, Sapienza 2025; README table "
     "'Ours' of github.com/CapobiancoR/VAD_Diffusion_Mamba",
     "verified",
     {"avenue": {"accuracy_oracle": 85.0}, "stc": {"accuracy_oracle": 60.0}, "ubnormal": {"accuracy_oracle": 54.0}},
     {name: "best-threshold frame accuracy (oracle threshold), not an AUC: the code computes no AUC, and the "
            "README prints it beside other methods' AUCs" for name in ("avenue", "stc", "ubnormal")},
     None),
    ("MA-PDM (AAAI'25)", "MA-PDM, AAAI 2025, arXiv:2412.09026; wizwand.com page for the paper [secondary]",
     "secondary",
     {"avenue": {"auc_micro": 91.3}, "stc": {"auc_micro": 79.2}, "ubnormal": {"auc_micro": 63.4}},
     {"ubnormal": "AUC over the abnormal test videos' labels only"},
     "A"),
    ("FFP (CVPR'18)", f"Liu et al., Future Frame Prediction, CVPR 2018; {PYANOMALY}", "secondary",
     {"avenue": {"auc_micro": 85.1}, "stc": {"auc_micro": 72.8}}, {}, "A"),
    ("MemAE (ICCV'19)", f"Gong et al., MemAE, ICCV 2019; {PYANOMALY}", "secondary",
     {"avenue": {"auc_micro": 83.3}, "stc": {"auc_micro": 71.2}}, {}, None),
    ("MNAD pred (CVPR'20)", "Park et al., MNAD, CVPR 2020; wizwand.com page for the paper [secondary]", "secondary",
     {"avenue": {"auc_micro": 88.5}, "stc": {"auc_micro": 70.5}}, {}, "A"),
    ("VEC (ACM MM'20)", "Yu et al., VEC, ACM MM 2020; github.com/yuguangnudt/VEC_VAD README [verified]", "verified",
     {"avenue": {"auc_micro": 90.2}, "stc": {"auc_micro": 74.8}}, {}, "B"),
    ("HF2-VAD (ICCV'21)", "Liu et al., HF2-VAD, ICCV 2021; github.com/LiUzHiAn/hf2vad README [verified]", "verified",
     {"avenue": {"auc_micro": 91.1}, "stc": {"auc_micro": 76.2}}, {}, "B"),
    ("SSMTL (CVPR'21)", "Georgescu et al., SSMTL, CVPR 2021; github.com/lilygeorgescu/AED-SSMTL README [verified]",
     "verified",
     {"avenue": {"auc_micro": 91.5, "auc_macro": 91.9, "rbdc": 57.0, "tbdc": 58.3},
      "stc": {"auc_micro": 82.4, "auc_macro": 89.3, "rbdc": 42.8, "tbdc": 83.9}},
     {"avenue": OBJECT_LEVEL, "stc": OBJECT_LEVEL}, None),
    ("Georgescu et al. (TPAMI'21)", f"Georgescu et al., TPAMI 2021, trained with UBnormal anomalies; {UBNORMAL_README}",
     "verified", {"ubnormal": {"auc_micro": 61.3, "auc_macro": 85.6, "rbdc": 25.430, "tbdc": 56.272}}, {}, None),
    ("Sultani et al. (fine-tuned)", f"Sultani et al., CVPR 2018, fine-tuned on UBnormal; {UBNORMAL_README}",
     "verified", {"ubnormal": {"auc_micro": 50.3, "auc_macro": 76.8, "rbdc": 0.002, "tbdc": 0.001}}, {}, None),
    ("TimeSformer (fine-tuned)", f"TimeSformer at 1/32 frame rate, fine-tuned on UBnormal; {UBNORMAL_README}",
     "verified", {"ubnormal": {"auc_micro": 68.5, "auc_macro": 80.3, "rbdc": 0.041, "tbdc": 0.053}}, {}, None),
    ("Jigsaw-VAD (ECCV'22)", "Wang et al., Jigsaw-VAD, ECCV 2022, arXiv:2207.10172; wizwand.com page [secondary]",
     "secondary", {"avenue": {"auc_micro": 92.2}, "stc": {"auc_micro": 84.3}, "ubnormal": {"auc_micro": 56.4}},
     {"ubnormal": "listed by the secondary source; origin unclear"}, "B"),
    ("STATE (ICDM'22)", "Wang et al., Making Reconstruction-based Method Great Again, ICDM 2022; as quoted in the "
     "Capobianco thesis [not verified]", "unverified",
     {"avenue": {"auc_micro": 90.3}, "stc": {"auc_micro": 77.8}}, {}, "B"),
    ("LGN-Net", "Zhao et al., LGN-Net; github.com/Myzhao1999/LGN-Net README [verified]", "verified",
     {"avenue": {"auc_micro": 89.3}, "stc": {"auc_micro": 73.0}}, {}, "A"),
    ("Reiss & Hoshen (TMLR)", "Reiss and Hoshen, Attribute-based Representations for Accurate and Interpretable "
     "VAD, TMLR; github.com/talreiss/Accurate-Interpretable-VAD README [verified]", "verified",
     {"avenue": {"auc_micro": 93.7}, "stc": {"auc_micro": 85.9}},
     {"avenue": "Gaussian smoothing sigma = 3/7 as stated in the README",
      "stc": "Gaussian smoothing sigma = 3/7 as stated in the README"}, "B"),
    ("STG-NF (ICCV'23)", "Hirschorn and Avidan, STG-NF, ICCV 2023; checkpoint names in github.com/orhir/STG-NF "
     "README [verified]", "verified", {"stc": {"auc_micro": 85.9}, "ubnormal": {"auc_micro": 71.8}},
     {"stc": "pose-based", "ubnormal": "pose-based, unsupervised"}, None),
    ("STG-NF (ICCV'23), supervised", "Hirschorn and Avidan, STG-NF, ICCV 2023; checkpoint names in "
     "github.com/orhir/STG-NF README [verified]", "verified", {"ubnormal": {"auc_micro": 79.2}},
     {"ubnormal": "pose-based, supervised with UBnormal's abnormal training videos"}, None),
    ("AED-MAE (CVPR'24)", "Ristea et al., Self-Distilled Masked Auto-Encoders, CVPR 2024, arXiv:2306.12041; "
     "hyper.ai / wizwand pages [secondary]", "secondary",
     {"avenue": {"auc_micro": 91.3, "rbdc": 46.77, "tbdc": 66.58}, "stc": {"auc_micro": 79.1}}, {}, None),
]

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
    for model, citation, evidence, per_dataset, notes, avenue_gt in REPORTED:
        for dataset, values in per_dataset.items():
            provenance = {"evidence": evidence, "unit_as_printed": "%"}
            if dataset == "avenue" and avenue_gt:
                provenance["avenue_ground_truth"] = avenue_gt
            job_id = connection.execute(jobs.insert().values(
                source="reported", citation=citation, dataset=dataset, model=model, settings={}, status="done",
                provenance=provenance, note=notes.get(dataset),
            ).returning(jobs.c.id)).scalar_one()
            connection.execute(metrics.insert(), [
                {"job_id": job_id, "scope": "dataset", "scope_id": dataset, "metric": metric, "value": value / 100}
                for metric, value in values.items()
            ])


def downgrade() -> None:
    connection = op.get_bind()
    reported = sa.select(jobs.c.id).where(jobs.c.source == "reported")
    connection.execute(metrics.delete().where(metrics.c.job_id.in_(reported)))
    connection.execute(jobs.delete().where(jobs.c.source == "reported"))
