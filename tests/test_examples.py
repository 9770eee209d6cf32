"""Every script in ``examples/`` runs in quick mode and states the result it promises.

Each example is run once, as a learner would (``python examples/NN_name.py --quick
--out DIR``, in a subprocess, from a scratch working directory), and must:

* exit with status 0 and end with ``RESULT: ok — ...`` (the script's own checks);
* write its files only into ``--out`` (every ``wrote PATH`` it prints exists there);
* print the numbers below within their stated bounds — parsed from the output, so a
  script that silently stopped checking would still fail here.

All examples together take about 15 s.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("[0-9][0-9]_*.py"))
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None

_runs: dict[str, subprocess.CompletedProcess] = {}


def run_example(name: str, tmp_path_factory) -> tuple[str, Path]:
    """Run ``examples/<name>.py --quick`` once per session; (stdout, out folder)."""
    out = tmp_path_factory.getbasetemp() / "examples_out" / name
    if name not in _runs:
        cwd = tmp_path_factory.mktemp(f"cwd_{name}")
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONIOENCODING": "utf-8"}
        _runs[name] = subprocess.run(
            [
                sys.executable,
                str(EXAMPLES / f"{name}.py"),
                "--quick",
                "--out",
                str(out),
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    proc = _runs[name]
    assert proc.returncode == 0, (
        f"{name} exited with {proc.returncode}\n--- stdout ---\n{proc.stdout[-4000:]}"
        f"\n--- stderr ---\n{proc.stderr[-4000:]}"
    )
    return proc.stdout, out


def number(pattern: str, text: str) -> float:
    """The first capture group of ``pattern`` in ``text``, as a float."""
    match = re.search(pattern, text)
    assert match, f"pattern {pattern!r} not found in the output:\n{text[-3000:]}"
    return float(match.group(1))


# ---- what each example must state -------------------------------------------------


def check_00(out: str) -> None:
    assert number(r"max \|Value − tinygrad_edu\| gradient difference = (\S+)", out) < 1e-6
    neuron = r"^neuron: o = 0\.707107 \(Value\), 0\.707107 \(tinygrad_edu\)$"
    assert re.search(neuron, out, re.MULTILINE)
    assert number(r"chain of (\d+) ops: dy/dx", out) > sys.getrecursionlimit()


def check_01(out: str) -> None:
    assert number(r"max \|GD − closed form\| \(least squares\) = (\S+)", out) < 1e-3
    assert number(r"max \|GD − closed form\| \(ridge\) = (\S+)", out) < 1e-3


def check_02(out: str) -> None:
    rows = re.findall(r"^  (\d\S*) +((?:-?\d+\.\d+ +){8}) *(\d+)$", out, re.MULTILINE)
    assert len(rows) >= 10, out
    zeros = [int(r[2]) for r in rows]
    assert (
        zeros[0] == 0 and zeros[-1] == 8
    )  # none at the smallest λ, all at the largest
    assert zeros == sorted(zeros)  # never fewer zeros as λ grows
    all_noise_zero = number(r"all zero from λ=(\S+),", out)
    relevant_zero = number(r"relevant kept until λ=([0-9.e-]+)", out)
    assert all_noise_zero < relevant_zero


def check_03(out: str) -> None:
    for gate in ("and", "or", "nand"):
        assert re.search(
            rf"^ *{gate}: .*accuracy 1\.00: zero mistakes", out, re.MULTILINE
        ), gate
    assert number(r"XOR accuracy (\d\.\d+)", out) == 1.0  # the circuit line
    assert number(r"xor: .* still (\d+)–\d+ mistakes per epoch", out) >= 1
    assert number(r"best accuracy of any of \d+ lines .*: (\S+)", out) == 0.75


def check_04(out: str) -> None:
    assert number(r"max difference (\S+)", out) < 1e-12
    assert number(r"zero training errors from epoch (\d+)", out) >= 1
    before = number(r"‖w‖ = (\S+) at epoch \d+ →", out)
    after = number(r"‖w‖ = \S+ at epoch \d+ → (\S+) at epoch", out)
    assert after > before
    assert number(r"loss (\S+) \(> 0\)", out) > 0


def check_05(out: str) -> None:
    gaps = [float(g) for g in re.findall(r"max \|autograd − textbook\| = (\S+)", out)]
    assert len(gaps) == 6 and max(gaps) < 1e-12
    assert "Maxout" in out and "ELU" in out and "Leaky ReLU (0.1)" in out


def check_06(out: str) -> None:
    assert re.search(r"lr = 1\.0 +: DIVERGED", out)
    e01 = number(r"lr = 0\.1 +: .*E = (\S+) on all data", out)
    e001 = number(r"lr = 0\.01 +: .*E = (\S+) on all data", out)
    assert e01 < 2 * 0.09 < e001
    sgd = number(r"SGD +: at the end E = (\S+)", out)
    assert number(r"SGD \+ momentum 0\.9 : at the end E = (\S+)", out) < sgd
    assert number(r"SGD \+ Nesterov 0\.9 : at the end E = (\S+)", out) < sgd
    assert re.search(r"SGD +: ends at .* local minimum", out)
    assert re.search(r"momentum 0\.9 +: ends at .* global minimum", out)


def check_07(out: str) -> None:
    assert (
        number(r"max \|hand-written backprop − engine backward\| = (\S+)", out) < 1e-10
    )
    assert number(r"largest difference from autograd: (\S+) ->", out) < 1e-10


def check_08(out: str) -> None:
    assert number(r"XOR: .*accuracy (\S+),", out) == 1.0
    assert "predictions [0, 1, 1, 0]" in out
    assert number(r"moons: .*validation accuracy (\S+)", out) >= 0.95
    assert number(r"spiral: .*training accuracy (\S+)", out) >= 0.9


def check_09(out: str) -> None:
    assert "Should we change the learning rate?  ->  TOO LARGE" in out
    assert "Should we initialise differently?  ->  PROBLEM" in out
    assert "Should we change the architecture?  ->  UNDERFITTING" in out
    assert number(r"fixed with lr \S+: validation accuracy (\S+)", out) >= 0.9
    assert number(r"fixed with Kaiming init: validation accuracy (\S+)", out) >= 0.9
    assert number(r"fixed with a 2-16-1 MLP: validation accuracy (\S+)", out) >= 0.9
    assert number(r"\(linear: (\S+)\)", out) < 0.75
    assert re.search(r"caught: log \(forward\)", out)


def check_10(out: str) -> None:
    lr_auc = number(r"logistic regression: held-out AUC (\S+),", out)
    mlp_auc = number(r"MLP 3-16-16-1: held-out AUC (\S+),", out)
    ceiling = number(r"true suitability: held-out AUC (\S+)", out)
    assert 0.8 <= mlp_auc <= ceiling + 0.05
    assert mlp_auc > lr_auc + 0.05


def check_11(out: str) -> None:
    assert number(r"trained \d+ epochs .* test accuracy (\S+)", out) >= 0.9
    first = number(r"trained \d+ epochs .*: loss (\S+) →", out)
    assert number(r"trained \d+ epochs .*: loss \S+ → (\S+),", out) < 0.5 * first


CHECKS = {
    "00_autograd_from_scratch": check_00,
    "01_linear_regression": check_01,
    "02_lasso_path": check_02,
    "03_perceptron_logic_gates": check_03,
    "04_perceptron_vs_logistic": check_04,
    "05_activations": check_05,
    "06_optimizers": check_06,
    "07_backprop_by_hand": check_07,
    "08_mlp_training": check_08,
    "09_debugging": check_09,
    "10_species_distribution": check_10,
    "11_cnn_digits": check_11,
}


# ---- the tests --------------------------------------------------------------------


def test_every_example_has_checks_and_a_readme_entry():
    names = [s.stem for s in SCRIPTS]
    assert names, "no examples found"
    assert sorted(CHECKS) == names, "add the new example's stated result to CHECKS"
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert f"{name}.py" in readme, f"{name}.py is missing from examples/README.md"


@pytest.mark.parametrize("name", [s.stem for s in SCRIPTS])
def test_example(name, tmp_path_factory):
    stdout, out = run_example(name, tmp_path_factory)
    last = stdout.rstrip().splitlines()[-1]
    assert last.startswith("RESULT: ok — "), last
    assert "check FAIL" not in stdout
    assert str(out.resolve()) in stdout  # it says where its figures go
    written = [Path(p) for p in re.findall(r"^  wrote (\S+)$", stdout, re.MULTILINE)]
    for path in written:
        assert path.exists(), f"{name} says it wrote {path}, which does not exist"
        assert out.resolve() in path.resolve().parents, f"{path} is outside --out"
    if HAS_MATPLOTLIB and name != "07_backprop_by_hand":  # 07 draws graphs only
        assert list(out.glob("*.png")), f"{name} wrote no figure into {out}"
    CHECKS[name](stdout)


def test_a_failed_check_exits_with_status_1(tmp_path):
    code = (
        "import _common\n"
        "_common.check(True, 'fine')\n"
        "_common.check(False, 'XOR accuracy 0.75 < 1.0')\n"
        "_common.done('never printed')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=EXAMPLES,
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 1
    assert proc.stdout.rstrip().splitlines()[-1] == (
        "RESULT: FAILED — XOR accuracy 0.75 < 1.0"
    )
