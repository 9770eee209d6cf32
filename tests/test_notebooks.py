"""Every notebook in notebooks/ runs top to bottom in a real Jupyter kernel.

The notebooks are jupytext percent-format ``.py`` files (see notebooks/README.md);
each is converted with jupytext, executed by nbclient with the ``python3`` kernel
of ipykernel (cwd = the repository root, this checkout first on PYTHONPATH), and a
failing cell fails the test with its source and the error. The notebooks assert
their own claims (``assert acc == 1.0``), so running them checks them.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
CELL_TIMEOUT = 120  # seconds per cell; a whole notebook is meant to take < 60 s


def execute(path: Path, monkeypatch: pytest.MonkeyPatch):
    """The executed notebook (nbformat), and the seconds it took."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    # the kernel is a child process: it inherits this environment
    path_now = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT),
                                                                   path_now])))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = jupytext.read(path)
    client = nbclient.NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # no terminal colours
        pytest.fail(f"{path.name}: a cell failed\n{plain}", pytrace=False)
    except nbclient.exceptions.CellTimeoutError as error:
        pytest.fail(f"{path.name}: a cell ran over {CELL_TIMEOUT} s\n{error}",
                    pytrace=False)
    return notebook, time.perf_counter() - start


def outputs(notebook) -> list[dict]:
    return [out for cell in notebook.cells if cell.cell_type == "code"
            for out in cell.get("outputs", [])]


def test_there_is_one_notebook_per_lecture_part():
    names = [p.stem for p in NOTEBOOKS]
    assert names == [
        "01_regression_and_lasso", "02_perceptron_and_logic_gates", "03_activations",
        "04_gradient_descent", "05_mlp_and_backprop", "06_minibatch_training",
        "07_debugging",
    ]
    assert not list((ROOT / "notebooks").glob("*.ipynb"))  # text only in git


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_a_real_kernel(path, monkeypatch):
    notebook, seconds = execute(path, monkeypatch)
    errors = [out for out in outputs(notebook) if out.get("output_type") == "error"]
    assert not errors
    assert seconds < 90, f"{path.name} took {seconds:.0f} s (meant: under a minute)"


def test_pictures_show_inline_in_a_fresh_kernel(monkeypatch):
    """The curves, the graph, the MLP and the backward player of notebook 5 and the
    curves of notebook 6 are displayed as pictures, with no magic command."""
    notebook, _ = execute(ROOT / "notebooks" / "05_mlp_and_backprop.py", monkeypatch)
    kinds = [set(out.get("data", {})) for out in outputs(notebook)]
    assert sum("image/svg+xml" in k for k in kinds) >= 2  # draw_mlp, draw_graph
    player = [out["data"]["text/html"] for out in outputs(notebook)
              if "text/html" in out.get("data", {})
              and "BackwardPlayer" in out["data"].get("text/plain", "")]
    assert len(player) == 1 and player[0].startswith("<iframe srcdoc=")
    source = "\n".join(cell.source for cell in notebook.cells)
    assert "%matplotlib" not in source
    notebook, _ = execute(ROOT / "notebooks" / "06_minibatch_training.py", monkeypatch)
    last = notebook.cells[-1].outputs
    assert any("image/png" in out.get("data", {}) for out in last)
