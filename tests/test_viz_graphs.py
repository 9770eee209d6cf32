"""viz, readable graphs: control characters in names, fused means and losses, names
from a model, rankdir chosen by length, gradients on intermediates, the demo's graph
size, the local-derivative fallback, and plots that display inline."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, viz

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="the Graphviz program 'dot' is not installed (apt-get install graphviz)",
)


def xor_loss():
    """The demo's graph: a 2-4-1 tanh/sigmoid MLP, BCE over the four XOR rows."""
    tg.manual_seed(0)
    model = nn.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid")
    x = tg.Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], name="x")
    target = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=np.float32)
    return model, F.binary_cross_entropy(model(x), target)


# ---- control characters (issue 18.11) ----------------------------------------------


def test_control_characters_in_names_are_escaped():
    t = tg.Tensor(1.0, requires_grad=True, name="a\x00b\x1bc\td")
    text = viz.to_dot(t * 2)
    assert "\x00" not in text and "\x1b" not in text and "\t" not in text
    assert r'label="a\\x00b\\x1bc\\x09d|() float32' in text
    printed = viz.print_graph(t * 2, file=None)
    assert "\x00" not in printed and r"a\x00b\x1bc\x09d" in printed


@needs_dot
def test_a_nul_byte_in_a_name_renders(tmp_path):
    t = tg.Tensor(1.0, requires_grad=True, name="w\x00")
    svg = viz.render(t * 2, tmp_path / "g.svg").read_text()
    assert r">w\x00</text>" in svg
    paths = viz.render_backward(t * 2, tmp_path / "frames")
    assert all(p.read_text().startswith("<?xml") for p in paths)


# ---- fused means and losses --------------------------------------------------------


def test_mean_is_one_node():
    x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    text = viz.to_dot(x.mean(axis=0))
    assert "<B>mean(axis=0)</B>" in text
    assert "<B>sum" not in text and "multiply" not in text
    assert text.count("shape=record") == 2  # x and the mean; no 1/n constant
    raw = viz.to_dot(x.mean(axis=0), fuse=False)
    assert "<B>sum(axis=0)</B>" in raw and "multiply" in raw
    # a product that only looks like a mean (wrong factor) stays as it is
    assert "mean" not in viz.to_dot(x.sum(axis=0) * 0.3)


def test_a_sum_used_twice_is_not_fused():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    s = x.sum()
    text = viz.to_dot(s * 0.5 + s)
    assert "mean" not in text and "<B>sum</B>" in text


def test_a_loss_and_its_mean_are_one_node_named_for_the_loss():
    model, loss = xor_loss()
    nodes = viz.to_dot(loss, names=model)
    assert "<B>binary_cross_entropy</B>" in nodes
    assert "mean" not in nodes and "multiply" not in nodes
    assert nodes.count("shape=ellipse") == 5  # linear, tanh, linear, sigmoid, loss


# ---- names, layout, gradients ------------------------------------------------------


def test_names_from_a_model_and_a_mapping_together():
    model, loss = xor_loss()
    text = viz.to_dot(loss, names=[model, {"loss": loss}])
    for name in ("layers.0.weight", "layers.2.bias", "loss|"):
        assert name in text
    assert "{layers.0|(4, 4) float32" in text  # a layer's output, named for it
    with pytest.raises(TypeError, match="names"):
        viz.to_dot(loss, names=[model, 3])


def test_rankdir_auto_long_graphs_go_top_to_bottom():
    x = tg.Tensor(0.5, requires_grad=True)
    short = x.exp().tanh()
    assert "rankdir=LR;" in viz.to_dot(short)
    long = x
    for _ in range(6):
        long = long.tanh()
    assert "rankdir=TB;" in viz.to_dot(long)
    assert "rankdir=LR;" in viz.to_dot(long, rankdir="LR")  # the parameter wins


def test_all_grads_shows_the_engines_gradient_on_intermediates():
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    hidden = (x * 3.0).tanh()
    loss = hidden.mean()
    text = viz.to_dot(loss, names=locals(), all_grads=True)
    assert "hidden|(2,) float32|data [0.9951, 1.    ]|grad [0.5, 0.5]" in text
    dx = 3 * (1 - np.tanh(3 * x.data) ** 2) / 2  # closed form of d loss/dx
    assert f"x|(2,) float32|data [1., 2.]|grad {viz._format.fmt_array(dx)}" in text
    assert x.grad is None  # nothing accumulated
    loss.backward()
    with pytest.raises(RuntimeError, match=r"all_grads=True.*freed.*retain_graph"):
        viz.to_dot(loss, all_grads=True)


@needs_dot
def test_the_demo_graph_fits_in_1600_pixels(tmp_path):
    model, loss = xor_loss()
    loss.backward(retain_graph=True)  # as the demo draws it: every gradient shown
    png = viz.render(loss, tmp_path / "graph.png", names=[model, {"loss": loss}],
                     all_grads=True).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert width <= 1600 and height <= 1600, (width, height)


# ---- local derivatives: the numerical fallback -------------------------------------


def test_local_derivatives_fall_back_to_central_differences():
    class Cube(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            raise NotImplementedError("no backward here")

    x = tg.Tensor(2.0, requires_grad=True, dtype=np.float64)
    y = Cube.apply(x)
    np.testing.assert_allclose(viz.local_derivatives(y.grad_fn, y), [12.0], rtol=1e-6)


# ---- plots that display by themselves ----------------------------------------------


def test_plots_without_a_path_display_as_png_and_with_a_path_save(tmp_path):
    pytest.importorskip("matplotlib")
    figure = viz.plot_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.6]})
    png = figure._repr_png_()  # what Jupyter calls to show it, no magic needed
    assert png[:4] == b"\x89PNG"
    assert figure.figure is figure and len(figure.axes[0].lines) == 2

    class Result:  # the fields of debug.lr_find's result
        lrs = np.logspace(-4, 0, 20)
        losses = np.linspace(2.0, 0.5, 20)
        smoothed = losses
        suggested_lr = 1e-2

    figure = viz.plot_lr_find(Result())
    assert figure._repr_png_()[:4] == b"\x89PNG"
    assert figure.axes[0].get_xscale() == "log"
    path = viz.plot_lr_find(Result(), tmp_path / "lr.png")
    assert path == tmp_path / "lr.png" and path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(TypeError, match="plot_lr_find.*lr_find"):
        viz.plot_lr_find(object())


def test_a_script_opens_no_window():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    viz.plot_history({"loss": [1.0, 0.5]})
    assert plt.get_fignums() == before  # not registered with pyplot: never shown
