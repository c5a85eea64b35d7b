"""Every renderer on a small store: CSV and JSON parse back to the leaderboard, Markdown and LaTeX hold the rows."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from report_helpers import expected
from rich.console import Console

from vadbench.report.leaderboard import leaderboards
from vadbench.report.render import latex_escape, to_csv, to_json, to_latex, to_markdown, to_rich


@pytest.fixture
def boards(filled):
    store, _ = filled
    return leaderboards(store, datasets=["avenue"], columns=["ap", "accuracy_oracle"])


def test_csv_parses_back(boards):
    rows = list(csv.DictReader(io.StringIO(to_csv(boards))))
    measured = [row for row in rows if row["source"] == "measured"]
    assert [row["rank"] for row in measured] == ["1", "2", "3"] and measured[0]["settings"] == "protocol.sigma=6"
    mean, std = expected("interp", 6, 1)
    assert math.isclose(float(measured[0]["ap"]), mean) and math.isclose(float(measured[0]["ap_std"]), std)
    assert measured[2]["accuracy_oracle"] == "" and measured[2]["n"] == "2"
    thesis = next(row for row in rows if row["model"].startswith("Mamba-RaMViD"))
    assert (thesis["source"], float(thesis["accuracy_oracle"]), thesis["auc_micro"]) == ("reported", 0.85, "")
    assert "Capobianco" in thesis["citation"]


def test_json_parses_back(boards):
    board = json.loads(to_json(boards))["boards"][0]
    assert (board["dataset"], board["metric"], board["higher_is_better"]) == ("avenue", "auc_micro", True)
    first = board["measured"][0]
    mean, std = expected("interp", 6, 0)
    assert math.isclose(first["values"]["auc_micro"]["mean"], mean)
    assert math.isclose(first["values"]["auc_micro"]["std"], std) and first["seeds"] == [0, 1, 2]
    assert first["values"]["accuracy_oracle"] == {"mean": None, "std": None, "n": 0}
    assert {row["source"] for row in board["reported"]} == {"reported"}


def test_markdown_has_measured_then_reported_tables(boards):
    text = to_markdown(boards)
    assert "| 1 | interp | selective | mse | protocol.sigma=6 | 3 | 77.3 ± 2.5 |" in text
    assert text.index("**Measured**") < text.index("| 3 | mamba-ramvid") < text.index("**Reported**")
    assert "| Mamba-RaMViD (Capobianco 2025) | – | – | 85.0 |" in text


def test_latex_escapes_and_separates_reported_rows(boards):
    text = to_latex(boards)
    assert r"interp & selective & mse & protocol.sigma=6 & 3 & 77.3 $\pm$ 2.5" in text
    assert r"\emph{Reiss \& Hoshen (TMLR)}" in text and r"auc\_micro $\uparrow$" in text
    assert text.index("mamba-ramvid") < text.index(r"\emph{Reported") < text.index("Reiss")
    assert latex_escape("a_b & 100% {x} ± ↑") == r"a\_b \& 100\% \{x\} $\pm$ $\uparrow$"
    assert "%" not in text.replace(r"\%", "")


def test_rich_table_shows_both_sections(boards):
    console = Console(record=True, width=200)
    console.print(to_rich(boards))
    text = console.export_text()
    assert "77.3 ± 2.5" in text and "measured" in text and "reported" in text
    assert text.index("mamba-ramvid") < text.index("Reiss & Hoshen")
