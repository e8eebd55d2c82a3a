"""``appeals routing evaluate|model-eval|dedup-eval`` print their figures."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from app.cli.root import cli

CORPUS = """
- {text: "Яма на дороге возле школы", department: roads}
- {text: "В подъезде не горит свет", department: zhkh}
- {text: "Не вывозят мусор из контейнеров", department: blago}
- {text: "Ребёнка не берут в детский сад", department: education}
- {text: "Непонятно, кому писать", department: zhkh}
"""


def test_evaluate_prints_accuracy_departments_and_misses(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.yaml"
    corpus.write_text(CORPUS, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["routing", "evaluate", "--corpus", str(corpus), "--hold-out", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "accuracy: 0.800 (4/5)" in result.output
    assert "held out:    0.000 (0/1)" in result.output
    assert re.search(r"^zhkh\s+2\s+1\s+1\s+1\.000\s+0\.500$", result.output, re.M)
    assert re.search(r"^press\s+0\s+1\s+0\s+0\.000\s+0\.000$", result.output, re.M)
    assert "#5 (held out) zhkh → press" in result.output
    hidden = CliRunner().invoke(
        cli, ["routing", "evaluate", "--corpus", str(corpus), "--misses", "tuning"]
    )
    assert "#5" not in hidden.output and "misses (0 shown)" in hidden.output


def test_evaluate_refuses_an_unknown_department(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.yaml"
    corpus.write_text("- {text: Яма, department: atlantis}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["routing", "evaluate", "--corpus", str(corpus)])
    assert result.exit_code == 1 and "atlantis" in result.output


def test_model_eval_on_the_demo_corpus_prints_macro_f1() -> None:
    result = CliRunner().invoke(
        cli, ["routing", "model-eval", "--corpus", "demo", "--incidents", "120"]
    )
    assert result.exit_code == 0, result.output
    match = re.search(r"macro-F1: (\d\.\d+)", result.output)
    assert match and float(match.group(1)) > 0.5
    assert "accuracy:" in result.output


def test_dedup_eval_prints_precision_and_recall() -> None:
    result = CliRunner().invoke(
        cli, ["routing", "dedup-eval", "--generated", "--incidents", "150", "--seed", "4"]
    )
    assert result.exit_code == 0, result.output
    match = re.search(r"auto-merge: precision (\d\.\d+), recall (\d\.\d+)", result.output)
    assert match and float(match.group(1)) >= 0.9 and float(match.group(2)) >= 0.7


def test_dedup_eval_reports_the_labelled_pairs_held_out_figures_and_misses() -> None:
    result = CliRunner().invoke(cli, ["routing", "dedup-eval"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "dedup_corpus.yaml" in out and "hard negatives" in out
    merge = re.search(r"^auto-merge: precision (\d\.\d+), recall (\d\.\d+)", out, re.M)
    flagged = re.search(r"^merge or suggest: precision (\d\.\d+), recall (\d\.\d+)", out, re.M)
    assert merge and float(merge.group(1)) >= 0.95 and float(merge.group(2)) >= 0.6, out
    assert flagged and float(flagged.group(1)) >= 0.8 and float(flagged.group(2)) >= 0.9, out
    assert "held-out third" in out and "misses (" in out


def test_dedup_eval_on_a_missing_corpus_is_a_usage_error(tmp_path) -> None:
    result = CliRunner().invoke(
        cli, ["routing", "dedup-eval", "--corpus", str(tmp_path / "none.yaml")]
    )
    assert result.exit_code == 2 and "no corpus" in result.output
