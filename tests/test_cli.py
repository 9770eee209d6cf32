"""The command line: ``python -m tinygrad_edu demo --quick`` runs end to end and writes
every file it promises (pictures where Graphviz / matplotlib are installed)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu import cli

HAS_DOT = shutil.which("dot") is not None
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
ROOT = Path(__file__).resolve().parents[1]


def promised_files(out: Path, dot: bool, matplotlib: bool) -> list[Path]:
    files = [out / "computation_graph.dot", out / "mlp.dot",
             out / "backward" / "frame_000.dot"]
    if dot:
        files += [out / "computation_graph.svg", out / "mlp.svg",
                  out / "backward" / "frame_000.svg"]
    files.append(out / ("training_curves.png" if matplotlib else "training_curves.csv"))
    return files


def test_demo_quick_end_to_end(tmp_path):
    out = tmp_path / "demo output"  # a space in the path, too
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "demo", "--quick", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    assert "XOR solved" in text
    for gate in ("and", "or", "nand"):
        assert f"{gate}: " in text
    assert "xor: " in text and "FAILS" in text and "no line separates XOR" in text
    assert "step  300/300" in text  # the progress display (plain lines off a terminal)
    for path in promised_files(out, HAS_DOT, HAS_MATPLOTLIB):
        assert path.is_file() and path.stat().st_size > 0, path
        assert str(path.parent) in text  # the demo names where it wrote
    frames = sorted((out / "backward").glob("frame_*.dot"))
    assert len(frames) >= 5
    if HAS_DOT:
        assert len(list((out / "backward").glob("frame_*.svg"))) == len(frames)
        assert (out / "computation_graph.svg").read_text().startswith("<?xml")
    graph = (out / "computation_graph.dot").read_text()
    assert "layers.0.weight" in graph and "binary_cross_entropy" in graph


def test_demo_without_graphviz_writes_dot_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli.main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "only .dot files" in text and "apt-get install graphviz" in text
    for path in promised_files(tmp_path, False, HAS_MATPLOTLIB):
        assert path.is_file(), path
    assert not list(tmp_path.rglob("*.svg"))


def test_demo_without_matplotlib_writes_csv(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert cli.main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    csv = (tmp_path / "training_curves.csv").read_text().splitlines()
    assert csv[0] == "step,loss,accuracy" and len(csv) == 301
    assert "pip install tinygrad-edu[plot]" in capsys.readouterr().out


def test_demo_fails_when_xor_is_not_solved(tmp_path, capsys):
    assert cli.main(["demo", "--steps", "2", "--out", str(tmp_path)]) == 1
    assert "XOR NOT solved" in capsys.readouterr().out


def test_help_everywhere():
    for args in (["--help"], ["demo", "--help"]):
        result = subprocess.run([sys.executable, "-m", "tinygrad_edu", *args],
                                capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert result.returncode == 0 and "usage: tinygrad-edu" in result.stdout
    assert cli.main([]) == 0


@pytest.mark.parametrize("argv", [["demo", "--steps", "many"], ["fly"]])
def test_bad_arguments_exit_with_usage(argv):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--steps", "0"], "--steps: must be at least 1"),
        (["--steps", "-5"], "--steps: must be at least 1"),
        (["--lr", "-1"], "--lr: must be a positive number"),
        (["--lr", "0"], "--lr: must be a positive number"),
        (["--lr", "nan"], "--lr: must be a positive number"),
        (["--lr", "inf"], "--lr: must be a positive number"),
        (["--seed", "-1"], "--seed: must be 0 or more"),
    ],
)
def test_bad_values_are_refused_before_the_demo_runs(argv, message, tmp_path, capsys):
    # these used to run the perceptron tour and then end in a traceback (exit 1)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["demo", *argv, "--out", str(out)])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert not out.exists()  # nothing ran


def test_an_unusable_out_path_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    for out, message in [
        (blocker, "exists and is not a folder"),
        (blocker / "inside", "cannot create the folder"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "tinygrad_edu", "demo", "--quick", "--out",
             str(out)],
            capture_output=True, text=True, timeout=60, cwd=ROOT,
        )
        assert result.returncode == 2 and result.stdout == ""
        assert "Traceback" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]  # after the usage lines
        assert last.startswith("tinygrad-edu demo: error: argument --out: ")
        assert message in last
    assert blocker.read_text() == "not a folder"


def test_help_is_plain_text_and_states_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    text = capsys.readouterr().out
    assert "``" not in text and "demo is the short tour" in text
    assert "1 when it does not" in " ".join(text.split())  # XOR not solved: exit 1
