"""``appeals routing evaluate|dedup-eval`` on the generated corpus print their figures."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from app.cli.root import cli


def test_evaluate_on_the_demo_corpus_prints_macro_f1() -> None:
    result = CliRunner().invoke(
        cli, ["routing", "evaluate", "--corpus", "demo", "--incidents", "120"]
    )
    assert result.exit_code == 0, result.output
    match = re.search(r"macro-F1: (\d\.\d+)", result.output)
    assert match and float(match.group(1)) > 0.5
    assert "accuracy:" in result.output


def test_dedup_eval_prints_precision_and_recall() -> None:
    result = CliRunner().invoke(cli, ["routing", "dedup-eval", "--incidents", "150", "--seed", "4"])
    assert result.exit_code == 0, result.output
    match = re.search(r"auto-merge: precision (\d\.\d+), recall (\d\.\d+)", result.output)
    assert match and float(match.group(1)) >= 0.9 and float(match.group(2)) >= 0.7
