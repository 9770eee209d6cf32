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


_executed: dict[Path, tuple] = {}  # each notebook runs once per test session


def execute(path: Path):
    """The executed notebook (nbformat), and the seconds it took."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    if path in _executed:
        return _executed[path]
    notebook = jupytext.read(path)
    client = nbclient.NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    start = time.perf_counter()
    with pytest.MonkeyPatch.context() as env:
        # the kernel is a child process: it inherits this environment
        path_now = os.environ.get("PYTHONPATH", "")
        env.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), path_now])))
        env.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as error:
            plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # no terminal colours
            pytest.fail(f"{path.name}: a cell failed\n{plain}", pytrace=False)
        except nbclient.exceptions.CellTimeoutError as error:
            pytest.fail(f"{path.name}: a cell ran over {CELL_TIMEOUT} s\n{error}",
                        pytrace=False)
    _executed[path] = notebook, time.perf_counter() - start
    return _executed[path]


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
def test_notebook_runs_in_a_real_kernel(path):
    notebook, seconds = execute(path)
    errors = [out for out in outputs(notebook) if out.get("output_type") == "error"]
    assert not errors
    assert seconds < 90, f"{path.name} took {seconds:.0f} s (meant: under a minute)"


def cell_outputs(notebook, marker: str) -> list[dict]:
    """The outputs of the code cell whose source contains ``marker``."""
    cells = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, marker
    return cells[0].outputs


def test_pictures_show_inline_in_a_fresh_kernel():
    """The MLP, the graph and the backward player of notebook 5, the curves of
    notebooks 4 and 6 and lr_find's plot in notebook 7 are displayed as pictures,
    with no magic command in any notebook."""
    mlp, _ = execute(ROOT / "notebooks" / "05_mlp_and_backprop.py")
    for marker in ("viz.draw_mlp(model)", "viz.draw_graph(loss"):
        assert any("image/svg+xml" in out.get("data", {})
                   for out in cell_outputs(mlp, marker))
    player = [out["data"] for out in cell_outputs(mlp, "viz.animate_backward(")
              if "text/html" in out.get("data", {})]
    assert len(player) == 1 and player[0]["text/html"].startswith("<iframe srcdoc=")
    for name, marker in [("04_gradient_descent", "viz.plot_history(history)"),
                         ("06_minibatch_training", "viz.plot_history(history)"),
                         ("07_debugging", "finder.plot()")]:
        notebook, _ = execute(ROOT / "notebooks" / f"{name}.py")
        shown = cell_outputs(notebook, marker)
        assert any("image/png" in out.get("data", {}) for out in shown), name
    jupytext = pytest.importorskip("jupytext")
    for path in NOTEBOOKS:  # no magic first (jupytext reads "# %matplotlib" as one)
        code = [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]
        assert not any(line.lstrip().startswith("%") for source in code
                       for line in source.splitlines()), path.name
