"""Progress in terminals and Jupyter, silent elsewhere; compact reprs with HTML
tables for notebooks (issue 17)."""

from __future__ import annotations

import io
import os
import sys
import types
from html.parser import HTMLParser

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import debug, nn, optim, progress
from tinygrad_edu.data import DataLoader
from tinygrad_edu.nn import functional as F
from tinygrad_edu.train import History, fit


def _setup(n=64, seed=0):
    tg.manual_seed(seed)
    X = np.random.default_rng(seed).normal(size=(n, 2)).astype(np.float32)
    y = X @ np.array([[1.0], [-2.0]], dtype=np.float32)
    model = nn.MLP([2, 8, 1])
    return model, X, y, DataLoader(X, y, batch_size=16, seed=seed)


# ---- the progress rule ------------------------------------------------------------------


def _fake_kernel(monkeypatch):
    """What a Jupyter kernel looks like to the rule: ipykernel imported and an
    IPython shell with a kernel."""
    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", fake)


def test_the_rule_terminal_or_kernel(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a log
    assert not progress.interactive()
    _fake_kernel(monkeypatch)
    assert progress.in_jupyter_kernel() and progress.interactive()


def test_an_ipython_terminal_shell_is_not_a_kernel(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: types.SimpleNamespace()  # no kernel attribute
    monkeypatch.setitem(sys.modules, "IPython", fake)
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert not progress.in_jupyter_kernel() and not progress.interactive()


def test_fit_shows_progress_in_a_kernel_and_not_when_asked_not_to(monkeypatch):
    stream = io.StringIO()  # a kernel's stderr is not a terminal
    monkeypatch.setattr(sys, "stderr", stream)
    _fake_kernel(monkeypatch)
    model, _, _, loader = _setup()
    fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), loader, 2)
    assert "epoch 2/2" in stream.getvalue()
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    fit(
        model,
        F.mse_loss,
        optim.SGD(model.parameters(), lr=0.05),
        loader,
        2,
        progress=False,
    )
    debug.lr_find(model, F.mse_loss, loader, num_steps=5, progress=False)
    assert quiet.getvalue() == ""


def test_lr_find_and_diagnose_are_silent_off_a_terminal(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    model, X, y, loader = _setup()
    debug.lr_find(model, F.mse_loss, loader, num_steps=5)
    debug.diagnose(model, F.mse_loss, lambda p: optim.SGD(p, lr=0.05), (X, y), budget=8)
    assert stream.getvalue() == ""


def test_no_tqdm_means_no_bar_and_no_error(monkeypatch):
    _fake_kernel(monkeypatch)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    assert progress.progress_bar(3) is None
    model, _, _, loader = _setup()
    fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), loader, 1)


def test_tqdm_is_imported_lazily():
    import subprocess

    code = (
        "import sys, tinygrad_edu.train, tinygrad_edu.debug, tinygrad_edu.cli; "
        "print('tqdm' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert out.stdout.strip() == "False", out.stderr


def test_fit_in_a_real_jupyter_kernel_shows_a_bar_and_an_html_history():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\n"
            "from tinygrad_edu import nn, optim\n"
            "from tinygrad_edu.data import DataLoader\n"
            "from tinygrad_edu.train import fit\n"
            "import tinygrad_edu.nn.functional as F\n"
            "X = np.ones((8, 2), np.float32); y = np.ones((8, 1), np.float32)\n"
            "m = nn.Linear(2, 1)\n"
            "fit(m, F.mse_loss, optim.SGD(m.parameters(), lr=0.1), "
            "DataLoader(X, y, batch_size=4), 3)"
        )
    ]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": root}}
    )
    client.execute()
    outputs = nb.cells[0].outputs
    bar = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    widget = any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs
    )
    assert "epoch 3/3" in bar or widget  # the text fallback without ipywidgets
    result = [o for o in outputs if o["output_type"] == "execute_result"][0]
    assert "<table>" in result["data"]["text/html"]


# ---- compact reprs ----------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.ok, self.tables = [], True, 0

    def handle_starttag(self, tag, attrs):
        self.tables += tag == "table"
        self.stack.append(tag)

    def handle_endtag(self, tag):
        self.ok = self.ok and bool(self.stack) and self.stack.pop() == tag


def _assert_html_table(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    assert parser.tables == 1 and parser.ok and not parser.stack, html[:200]


def _assert_short(text: str, limit: int = 20) -> None:
    assert len(text.splitlines()) <= limit, text
    assert "array(" not in text


def test_history_is_short_in_text_and_a_table_in_html():
    h = History()
    for epoch in range(1, 101):
        h.epoch.append(epoch)
        h.record("loss", 1.0 / epoch)
        h.record("val_loss", 2.0 / epoch)
    _assert_short(repr(h), 1)
    _assert_short(str(h))
    assert "100" in str(h) and "0.01" in str(h)  # the last epoch is shown
    _assert_html_table(h._repr_html_())
    assert h._repr_html_().count("<tr>") <= 20


def test_lr_find_result_is_a_summary_not_arrays():
    model, _, _, loader = _setup()
    result = debug.lr_find(model, F.mse_loss, loader, num_steps=200, progress=False)
    _assert_short(repr(result))
    assert "suggested lr" in repr(result)
    _assert_html_table(result._repr_html_())


def test_stats_tables_of_a_deep_model_are_elided():
    model = nn.MLP([2] + [4] * 20 + [1])
    stats = debug.activation_stats(model, tg.randn(8, 2))
    assert len(stats) == 41
    _assert_short(repr(stats))
    assert (
        "layers.0" in repr(stats)
        and "layers.40" in repr(stats)
        and "..." in repr(stats)
    )
    assert len(str(stats).splitlines()) > 41  # print() keeps every row
    _assert_html_table(stats._repr_html_())
    model.zero_grad()
    F.mse_loss(model(tg.randn(8, 2)), tg.randn(8, 1)).backward()
    _assert_html_table(debug.gradient_stats(model)._repr_html_())


def test_explain_backward_records_are_short():
    tg.manual_seed(0)
    mlp = nn.MLP([2, 4, 4, 1], activation="tanh")
    records = debug.explain_backward(mlp, tg.randn(16, 2), tg.randn(16, 1), F.mse_loss)
    _assert_short(repr(records))
    _assert_short(repr(records[0]), 1)
    assert len(str(records).splitlines()) > len(repr(records).splitlines())
    _assert_html_table(records._repr_html_())


def test_diagnose_report_is_short_with_an_html_table():
    model, X, y, _ = _setup()
    report = debug.diagnose(
        model,
        F.mse_loss,
        lambda p: optim.SGD(p, lr=0.05),
        (X, y),
        budget=16,
        progress=False,
    )
    _assert_short(repr(report))
    assert sum(line.startswith("[") for line in repr(report).splitlines()) == 6
    _assert_html_table(report._repr_html_())
    assert len(str(report).splitlines()) > 20  # print() has the evidence
