"""viz: DOT text checked structurally and against a golden snapshot, rendering with
the real Graphviz program (skipped only where it is absent), the missing-program
path, backward frames, the MLP diagram and the training curves."""

from __future__ import annotations

import os
import re
import shutil
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, viz
from tinygrad_edu.autograd import toposort

from .user_ops import Cube

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(
    not HAS_DOT,
    reason="the Graphviz program 'dot' is not installed (apt-get install graphviz)",
)

# ---- a tiny DOT parser: enough to check structure --------------------------------

NODE = re.compile(r"^\s+(n\d+|\w+) \[(.*)\];$")
EDGE = re.compile(r"^\s+(\w+) -> (\w+)(?: \[(.*)\])?;$")


def parse(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """({node id: attribute text}, [(tail, head, attribute text)]) of DOT text."""
    nodes, edges = {}, []
    for line in text.splitlines():
        edge = EDGE.match(line)
        if edge:
            edges.append((edge.group(1), edge.group(2), edge.group(3) or ""))
            continue
        node = NODE.match(line)
        if node and node.group(1) not in ("node", "edge"):
            nodes[node.group(1)] = node.group(2)
    return nodes, edges


def is_acyclic(nodes: dict, edges: list) -> bool:
    """Kahn's algorithm: every node can be removed once its inputs are."""
    indegree = {n: 0 for n in nodes}
    for _, head, _ in edges:
        indegree[head] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    removed = 0
    while ready:
        node = ready.pop()
        removed += 1
        for tail, head, _ in edges:
            if tail == node:
                indegree[head] -= 1
                if indegree[head] == 0:
                    ready.append(head)
    return removed == len(nodes)


def label(attrs: str) -> str:
    match = re.search(r'label=("(?:[^"\\]|\\.)*"|<.*>)', attrs)
    return match.group(1) if match else ""


def abc():
    a = tg.Tensor(2.0, requires_grad=True, name="a")
    b = tg.Tensor(3.0, requires_grad=True, name="b")
    c = tg.Tensor(1.0, requires_grad=True, name="c")
    y = a * b + c
    y.name = "y"
    return a, b, c, y


GOLDEN_ABC = """\
digraph G {
  rankdir=LR;
  node [fontname=monospace, fontsize=10];
  edge [fontname=monospace, fontsize=9];
  n0 [shape=record, label="a|() float32|data 2|grad 3", style=filled, fillcolor="#fff3c4"];
  n1 [shape=record, label="b|() float32|data 3|grad 2", style=filled, fillcolor="#fff3c4"];
  n2 [shape=record, label="() float32|data 6"];
  n3 [shape=ellipse, style=filled, fillcolor=lightblue, \
label=<<B>multiply</B><BR/><FONT POINT-SIZE="8">backward #2</FONT>>];
  n0 -> n3 [label="∂=3"];
  n1 -> n3 [label="∂=2"];
  n3 -> n2;
  n4 [shape=record, label="c|() float32|data 1|grad 1", style=filled, fillcolor="#fff3c4"];
  n5 [shape=record, label="y|() float32|data 7", style=filled, fillcolor="#d4f4d4", penwidth=2];
  n6 [shape=ellipse, style=filled, fillcolor=lightblue, \
label=<<B>add</B><BR/><FONT POINT-SIZE="8">backward #1</FONT>>];
  n2 -> n6 [label="∂=1"];
  n4 -> n6 [label="∂=1"];
  n6 -> n5;
}
"""


# ---- to_dot: structure -----------------------------------------------------------


def test_a_times_b_plus_c_has_seven_nodes_in_data_flow_order():
    a, b, c, y = abc()
    nodes, edges = parse(viz.to_dot(y))
    assert len(nodes) == 7
    records = [n for n, attrs in nodes.items() if "shape=record" in attrs]
    ops = [n for n, attrs in nodes.items() if "shape=ellipse" in attrs]
    assert len(records) == 5 and len(ops) == 2
    by_label = {label(attrs).strip('"').split("|")[0]: n for n, attrs in nodes.items()}
    mul = next(n for n in ops if "multiply" in nodes[n])
    add = next(n for n in ops if "add" in nodes[n])
    product = next(n for n in records if not label(nodes[n]).strip('"')[0].isalpha())
    assert [(t, h) for t, h, _ in edges] == [
        (by_label["a"], mul), (by_label["b"], mul), (mul, product),
        (product, add), (by_label["c"], add), (add, by_label["y"]),
    ]
    assert list(nodes) == [f"n{i}" for i in range(7)]  # numbered in traversal order


def test_golden_snapshot_of_a_tiny_graph():
    a, b, c, y = abc()
    y.backward()
    assert viz.to_dot(y) == GOLDEN_ABC


def test_deterministic_same_graph_same_text():
    texts = []
    for _ in range(2):  # two separately built copies of the same graph
        tg.manual_seed(0)
        model = nn.MLP([2, 3, 1], activation="tanh")
        loss = (model(tg.ones(4, 2)) ** 2).mean()
        loss.backward()
        texts.append(viz.to_dot(loss, names=model))
    assert texts[0] == texts[1]
    assert viz.to_dot(loss) == viz.to_dot(loss)
    assert "0x" not in texts[0] and str(id(loss)) not in texts[0]  # never id()


def test_tensor_labels_show_name_shape_dtype_values_and_grad():
    x = tg.Tensor([1.0, -2.0, 3.0], requires_grad=True, name="x")
    big = tg.Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, name="big")
    y = (x.sum() + big.sum())
    y.backward()
    nodes, _ = parse(viz.to_dot(y))
    text = {label(a).split("|")[0].strip('"'): label(a) for a in nodes.values()}
    assert "(3,) float32" in text["x"] and "data [ 1., -2.,  3.]" in text["x"]
    assert "grad [1., 1., 1.]" in text["x"]
    assert "(3, 4) float64" in text["big"] and "data" not in text["big"]  # > 6 elements
    nodes, _ = parse(viz.to_dot(y, show_data=False, show_grad=False))
    assert not any("data" in label(a) or "grad" in label(a) for a in nodes.values())


def test_two_dimensional_values_are_left_justified_lines():
    m = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="m")
    text = viz.to_dot(m.sum())
    assert r"data [[1., 2.],\l [3., 4.]]\l" in text


def test_names_from_locals_and_from_a_module():
    weight = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    inputs = tg.Tensor([[3.0], [4.0]])
    product = weight @ inputs
    nodes, _ = parse(viz.to_dot(product, names=locals()))
    names = [label(a).strip('"').split("|")[0] for a in nodes.values() if "record" in a]
    assert names == ["weight", "inputs", "product"]
    tg.manual_seed(0)
    model = nn.MLP([2, 2, 1])
    out = model(tg.ones(1, 2)).sum()
    text = viz.to_dot(out, names=model)
    assert "layers.0.weight" in text and "layers.2.bias" in text
    assert "model.layers.0.weight" in viz.to_dot(out, names={"model": model})
    tagged = tg.Tensor(1.0, requires_grad=True, name="own")
    assert "own|" in viz.to_dot(tagged * 2, names={"other": tagged})  # .name wins
    with pytest.raises(TypeError, match="names"):
        viz.to_dot(out, names=["not", "a", "mapping"])


def test_special_characters_are_escaped():
    t = tg.Tensor(1.0, requires_grad=True, name='a{b}|<c>"d\\')
    text = viz.to_dot(t * 2)
    assert r'label="a\{b\}\|\<c\>\"d\\|() float32' in text


@needs_dot
def test_escaped_labels_come_back_intact_from_graphviz(tmp_path):
    t = tg.Tensor(1.0, requires_grad=True, name='a{b}|<c>"d\\')
    svg = viz.render(t * 2, tmp_path / "g.svg").read_text()
    assert "<text" in svg and 'a{b}|&lt;c&gt;&quot;d\\</text>' in svg


@pytest.mark.parametrize("make, expected", [
    (lambda x: x.leaky_relu(0.1), "leaky_relu(0.1)"),
    (lambda x: x.elu(0.5), "elu(0.5)"),
    (lambda x: x.sum(axis=0), "sum(axis=0)"),
    (lambda x: x.sum(), "<B>sum</B>"),
    (lambda x: x.sum(axis=0, keepdims=True), "sum(axis=0, keepdims=True)"),
    (lambda x: x.max(axis=1), "max(axis=1)"),
    (lambda x: x[1:, 0], "getitem[1:, 0]"),
    (lambda x: x.reshape(6), "reshape(6)"),
    (lambda x: x.transpose(), "<B>transpose</B>"),
    (lambda x: x.clip(0.0, 1.0), "clip(0, 1)"),
])
def test_op_nodes_show_name_and_parameters(make, expected):
    x = tg.Tensor(np.ones((2, 3)), requires_grad=True)
    nodes, _ = parse(viz.to_dot(make(x)))
    ops = [a for a in nodes.values() if "ellipse" in a]
    assert len(ops) == 1 and expected in ops[0]


def test_styles_leaves_constants_output_and_nonfinite():
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    k = tg.Tensor([3.0, np.nan], name="k")
    out = (w * k).sum()
    nodes, _ = parse(viz.to_dot(out))
    by_name = {label(a).strip('"').split("|")[0]: a for a in nodes.values()}
    assert 'fillcolor="#fff3c4"' in by_name["w"]  # a leaf that requires grad
    assert "style=dashed" in by_name["k"]  # a constant
    assert "color=red" in by_name["k"]  # NaN inside
    root = [a for a in nodes.values() if "penwidth=2" in a and "d4f4d4" in a]
    assert len(root) == 1 and "color=red" in root[0]  # the output, NaN too
    assert "color=red" not in by_name["w"]


def test_ops_numbered_in_the_order_backward_visits_them():
    x = tg.Tensor(0.5, requires_grad=True)
    y = x.exp().tanh().sigmoid()
    nodes, _ = parse(viz.to_dot(y))
    order = [re.search(r"<B>(\w+)</B>.*#(\d+)", a).groups() for a in nodes.values()
             if "ellipse" in a]
    assert order == [("exp", "3"), ("tanh", "2"), ("sigmoid", "1")]
    assert "backward #" not in viz.to_dot(y, show_order=False)


# ---- to_dot: local derivatives on edges ------------------------------------------


def test_scalar_graph_edges_carry_local_derivatives():
    x = tg.Tensor(2.0, requires_grad=True, dtype=np.float64, name="x")
    k = tg.Tensor(3.0, dtype=np.float64, name="k")
    y = x / k
    _, edges = parse(viz.to_dot(y))
    labels = [attrs for _, _, attrs in edges]
    assert labels[0] == 'label="∂=0.3333"'  # d(x/k)/dx = 1/k
    assert labels[1] == ""  # k needs no gradient: no label
    vector = tg.Tensor([1.0, 2.0], requires_grad=True)
    assert "∂=" not in viz.to_dot((vector * 2).sum())  # not a scalar graph
    assert "∂=" not in viz.to_dot(y, edge_labels=False)


@pytest.mark.parametrize("fn, inputs, expected", [
    (lambda a, b: a * b, (2.0, 5.0), [5.0, 2.0]),
    (lambda a, b: a / b, (3.0, 2.0), [0.5, -0.75]),
    (lambda a, b: a ** b, (2.0, 3.0), [12.0, 8 * np.log(2)]),
    (lambda a: a.tanh(), (0.5,), [1 - np.tanh(0.5) ** 2]),
    (lambda a: a.exp(), (1.5,), [np.exp(1.5)]),
    (lambda a: a.log(), (4.0,), [0.25]),
    (lambda a: a.sigmoid(), (0.3,), [np.exp(-0.3) / (1 + np.exp(-0.3)) ** 2]),
    (lambda a: a.leaky_relu(0.1), (-2.0,), [0.1]),
])
def test_local_derivatives_match_the_math(fn, inputs, expected):
    xs = [tg.Tensor(v, requires_grad=True, dtype=np.float64) for v in inputs]
    out = fn(*xs)
    got = viz.local_derivatives(out.grad_fn, out)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    out.backward()  # the recorded graph was left as found: backward runs once, right
    np.testing.assert_allclose([x.grad.item() for x in xs], expected, rtol=1e-6)


def test_local_derivatives_after_the_graph_was_freed():
    x = tg.Tensor(2.0, requires_grad=True, dtype=np.float64)
    cube = Cube.apply(x)
    y = cube.tanh()
    y.backward()  # frees the saved arrays
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()  # the saved arrays are gone
    # the op is applied again to copies of its inputs: its own backward still works
    got = viz.local_derivatives(cube.grad_fn, cube)
    np.testing.assert_allclose(got, [12.0], rtol=1e-6)
    got = viz.local_derivatives(y.grad_fn, y)  # a built-in: its own backward
    np.testing.assert_allclose(got, [1 - np.tanh(8) ** 2], rtol=1e-5)
    assert "∂=12" in viz.to_dot(y)


# ---- to_dot: large graphs --------------------------------------------------------


def test_max_nodes_gives_a_clear_error():
    x = tg.Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(200):
        y = y.tanh()
    with pytest.raises(ValueError, match=r"401 nodes, more than max_nodes=300.*collapse"):
        viz.to_dot(y)
    assert len(parse(viz.to_dot(y, max_nodes=None))[0]) == 401


def test_a_chain_of_100k_ops_does_not_recurse():
    x = tg.Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    with pytest.raises(ValueError, match="max_nodes"):
        viz.to_dot(y)
    text = viz.print_graph(y, file=open(os.devnull, "w"))
    assert "more branches not shown" in text.splitlines()[-1]


def test_collapse_modules_into_single_nodes():
    tg.manual_seed(0)
    model = nn.MLP([2, 3, 1], activation="tanh")
    loss = (model(tg.ones(4, 2)) ** 2).mean()
    full, _ = parse(viz.to_dot(loss, names=model))
    linears = [model.layers[0], model.layers[2]]
    nodes, edges = parse(viz.to_dot(loss, names=model, collapse=linears))
    groups = {n: a for n, a in nodes.items() if "box3d" in a}
    assert len(groups) == 2
    assert len(nodes) == len(full) - 2 * 3 + 2  # weight, bias, linear op: one box
    assert "layers.0" in label(groups["n1"]) and "Linear 2→3" in label(groups["n1"])
    assert "weight" not in " ".join(label(a) for a in nodes.values())
    assert all(t != h for t, h, _ in edges)
    assert is_acyclic(nodes, edges)  # collapsing made no cycle
    titled, _ = parse(viz.to_dot(loss, collapse={"encoder": model.layers[0]}))
    assert any("encoder" in a for a in titled.values())


def test_collapse_by_name_prefix():
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="enc.w")
    h = w * 2.0
    h.name = "enc.h"
    z = h.exp()
    z.name = "enc.z"
    out = (z * 3.0).sum()
    nodes, edges = parse(viz.to_dot(out, collapse=["enc."]))
    group = next(n for n, a in nodes.items() if "box3d" in a)
    text = " ".join(label(a) for a in nodes.values())
    assert "enc.h" not in text and "enc.w" not in text  # hidden in the group
    assert "enc.z" in text  # used outside the group: stays visible
    assert "2 ops" in nodes[group]
    assert sum(h == group for _, h, _ in edges) == 1  # the constant 2.0 goes in
    with pytest.raises(TypeError, match="collapse"):
        viz.to_dot(out, collapse=[42])


def test_rankdir_top_to_bottom_stacks_fields_with_braces():
    a, b, c, y = abc()
    text = viz.to_dot(y, rankdir="TB")
    assert "rankdir=TB;" in text and 'label="{a|() float32|data 2}"' in text
    with pytest.raises(ValueError, match="rankdir"):
        viz.to_dot(y, rankdir="sideways")


# ---- print_graph -----------------------------------------------------------------


def test_print_graph_prints_and_returns_a_tree(capsys):
    a, b, c, y = abc()
    y.backward()
    text = viz.print_graph(y)
    assert capsys.readouterr().out == text + "\n"
    assert text.splitlines() == [
        "y: () float32 = 7  ← add  (backward #1)",
        "├── n2: () float32 = 6  ← multiply  (backward #2)",
        "│   ├── a: () float32 = 2, grad 3  [leaf]",
        "│   └── b: () float32 = 3, grad 2  [leaf]",
        "└── c: () float32 = 1, grad 1  [leaf]",
    ]


def test_print_graph_shared_inputs_constants_and_truncation():
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x * x + 3.0).sum()
    text = viz.print_graph(y, file=open(os.devnull, "w"))
    assert "x (see above)" in text and "[constant]" in text and "sum" in text
    short = viz.print_graph(y, max_lines=2, file=open(os.devnull, "w"))
    assert len(short.splitlines()) == 3 and "raise max_lines" in short


# ---- draw_graph and render -------------------------------------------------------


def test_draw_graph_is_a_digraph_with_the_same_source():
    graphviz = pytest.importorskip("graphviz")
    a, b, c, y = abc()
    graph = viz.draw_graph(y)
    assert isinstance(graph, graphviz.Digraph)
    assert parse(graph.source) == parse(viz.to_dot(y))


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                           (".pdf", b"%PDF")])
def test_render_with_the_real_graphviz(tmp_path, suffix, magic):
    a, b, c, y = abc()
    y.backward()
    path = viz.render(y, tmp_path / "sub" / f"graph{suffix}")
    assert path == tmp_path / "sub" / f"graph{suffix}"
    assert path.read_bytes().startswith(magic)
    if suffix == ".svg":
        svg = path.read_text()
        assert svg.count('class="node"') == 7 and svg.count('class="edge"') == 6
        for text in ("multiply", "add", "grad 3", "∂=3", "backward #1"):
            assert text in svg
        box = re.search(r'viewBox="0\.00 0\.00 ([\d.]+) ([\d.]+)"', svg)
        width, height = (float(v) for v in box.groups())
        assert width > height  # laid out left to right


def test_render_dot_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    a, b, c, y = abc()
    path = viz.render(y, tmp_path / "graph.dot")
    assert path.read_text() == viz.to_dot(y)


def test_render_without_the_dot_program_writes_dot_and_says_how(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    a, b, c, y = abc()
    with pytest.raises(RuntimeError) as error:
        viz.render(y, tmp_path / "graph.svg")
    message = str(error.value)
    assert str(tmp_path / "graph.dot") in message
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert (tmp_path / "graph.dot").read_text() == viz.to_dot(y)
    assert not (tmp_path / "graph.svg").exists()


def test_render_unknown_extension(tmp_path):
    a, b, c, y = abc()
    with pytest.raises(ValueError, match=r"\.svg.*\.png.*\.pdf"):
        viz.render(y, tmp_path / "graph.jpeg")


# ---- render_backward -------------------------------------------------------------


def neuron():
    x1, x2 = tg.Tensor(2.0), tg.Tensor(0.0)
    w1 = tg.Tensor(-3.0, requires_grad=True)
    w2 = tg.Tensor(1.0, requires_grad=True)
    b = tg.Tensor(6.8813735870195432, requires_grad=True)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, o=o)


def test_render_backward_one_frame_per_step(tmp_path):
    o, names = neuron()
    steps = [t for t in reversed(toposort(o)) if t.requires_grad]
    paths = viz.render_backward(o, tmp_path, names=names)
    assert len(paths) == len(steps) + 1  # frame 0: before backward
    dots = sorted(tmp_path.glob("frame_*.dot"))
    expected = [f"frame_{k:03d}.dot" for k in range(len(steps) + 1)]
    assert [p.name for p in dots] == expected
    if HAS_DOT:
        assert all(p.suffix == ".svg" for p in paths)
        assert all(p.read_text().startswith("<?xml") for p in paths)
    else:
        assert paths == dots
    first, last = dots[0].read_text(), dots[-1].read_text()
    assert "before backward" in first and "|grad " not in first
    assert "backward step 1/" in dots[1].read_text()
    assert "#ffb347" in dots[1].read_text()  # the node being processed is highlighted
    assert "dir=back" in dots[1].read_text()  # the gradient flowing to the inputs
    assert f"backward step {len(steps)}/{len(steps)}" in last
    assert all(g is None for g in (names["w1"].grad, names["w2"].grad, names["b"].grad))


def test_render_backward_frames_show_the_engines_gradients(tmp_path):
    o, names = neuron()
    viz.render_backward(o, tmp_path, names=names)
    last = sorted(tmp_path.glob("frame_*.dot"))[-1].read_text()
    o.backward()
    for name in ("w1", "w2", "b"):
        expected = viz._format.fmt_array(names[name].grad.data)
        pattern = rf'label="{name}\|\(\) float32\|data [-\d.]+\|grad {re.escape(expected)}"'
        assert re.search(pattern, last)


def test_render_backward_without_graphviz_and_after_a_backward(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    o, names = neuron()
    paths = viz.render_backward(o, tmp_path)
    assert paths and all(p.suffix == ".dot" and p.exists() for p in paths)
    assert not list(tmp_path.glob("*.svg"))
    o.backward()
    with pytest.raises(RuntimeError, match="before loss.backward"):
        viz.render_backward(o, tmp_path / "again")


# ---- draw_mlp --------------------------------------------------------------------


def test_mlp_diagram_units_edges_and_colours():
    tg.manual_seed(0)
    model = nn.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid")
    text = viz.mlp_to_dot(model)
    nodes, edges = parse(text)
    units = [n for n in nodes if n.startswith("L")]
    assert len(units) == 2 + 4 + 1 and len(edges) == 2 * 4 + 4 * 1
    weights = np.concatenate([m.weight.data.ravel() for m in model.linears])
    assert text.count('color="#c53030"') == int(np.sum(weights < 0))  # red: negative
    assert text.count('color="#2b6cb0"') == int(np.sum(weights >= 0))  # blue: positive
    assert "Tanh" in text and "Sigmoid" in text and "layout=neato" in text
    assert viz.mlp_to_dot(model) == text


def test_mlp_diagram_summarises_wide_layers_and_reads_sequentials():
    text = viz.mlp_to_dot(nn.MLP([784, 256, 10]))
    assert "… 780 more" in text and "… 252 more" in text and "x784" in text
    assert "#c53030" not in text  # a sample of a wide layer is drawn in grey
    shared = nn.LeakyReLU(0.2)
    seq = nn.Sequential(
        nn.Linear(3, 5), shared, nn.Linear(5, 4), shared, nn.Linear(4, 2)
    )
    text = viz.mlp_to_dot(seq)
    assert text.count("LeakyReLU(0.2)") == 2  # a shared activation counts twice
    assert len([n for n in parse(text)[0] if n.startswith("L")]) == 3 + 5 + 4 + 2


def test_mlp_diagram_errors():
    with pytest.raises(ValueError, match="no Linear layers"):
        viz.mlp_to_dot(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="not a simple stack"):
        viz.mlp_to_dot(nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)))


def test_draw_mlp_returns_a_digraph_or_writes_a_file(tmp_path):
    graphviz = pytest.importorskip("graphviz")
    model = nn.MLP([2, 3, 1])
    assert isinstance(viz.draw_mlp(model), graphviz.Digraph)
    written = viz.draw_mlp(model, tmp_path / "mlp.dot")
    assert written.read_text() == viz.mlp_to_dot(model)
    if HAS_DOT:
        assert viz.draw_mlp(model, tmp_path / "mlp.svg").read_text().startswith("<?xml")


# ---- plot_history ----------------------------------------------------------------


class FakeHistory:
    def __init__(self):
        self.history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.4],
                        "accuracy": [0.5, 0.75, 1.0]}


def test_plot_history_writes_a_picture(tmp_path):
    pytest.importorskip("matplotlib")
    path = viz.plot_history(FakeHistory(), tmp_path / "curves.png")
    assert path.read_bytes().startswith(b"\x89PNG")
    figure = viz.plot_history({"loss": [3.0, 2.0]})
    assert [ax.get_title() for ax in figure.axes] == ["loss"]
    figure = viz.plot_history(FakeHistory())
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy"]
    assert len(figure.axes[0].lines) == 2  # training and validation together


def test_plot_history_without_matplotlib(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install tinygrad-edu\[plot\]"):
        viz.plot_history(FakeHistory(), tmp_path / "curves.png")


def test_plot_history_empty():
    with pytest.raises(ValueError, match="History"):
        viz.plot_history({})


def test_print_graph_of_a_non_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="print_graph: expected a Tensor, got NoneType"):
        viz.print_graph(None)
