"""Drawing DOT text with Graphviz: ``draw_graph`` (a Digraph), ``render`` (a file)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..tensor import Tensor
from .dot import MAX_NODES, Options, graph_dot

INSTALL_GRAPHVIZ = (
    "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew "
    "install graphviz; conda: conda install -c conda-forge graphviz; Windows: "
    "https://graphviz.org/download/) so that the 'dot' program is on PATH"
)
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}


def to_dot(
    tensor: Tensor,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "auto",
    names: Any = None,
    collapse: Any = None,
    max_nodes: int | None = MAX_NODES,
    edge_labels: bool | None = None,
    show_order: bool = True,
    fuse: bool = True,
    all_grads: bool = False,
) -> str:
    """The graph that produced ``tensor``, as Graphviz DOT text (no Graphviz needed).

    Parameters
    ----------
    tensor : the output to draw back from (its node is green).
    show_data, show_grad : show values / ``.grad`` of tensors with ≤ 6 elements.
    rankdir : ``"LR"`` (data flows left to right), ``"TB"`` (top to bottom), ...;
        ``"auto"`` (default): LR, or TB when a path has more than 4 ops.
    names : where tensor names come from when ``t.name`` is not set: a mapping
        (``names=locals()``: each tensor is called by its variable, a model's
        parameters ``model.layers.0.weight``) or a Module (its parameters by dotted
        name, ``layers.0.weight``). A layer's output is named after the layer.
    collapse : Modules or tensor-name prefixes to draw as single nodes (a list, or a
        dict ``{title: module_or_prefix}``). A Module hides its parameters and the
        ops that use them directly (a Linear becomes one box); a prefix hides the
        tensors whose names start with it and the ops that produce them.
    max_nodes : raise ``ValueError`` above this many nodes (``None``: no limit).
    edge_labels : label each input edge with the local derivative ∂out/∂in
        (default: when every tensor is a scalar; see ``local_derivatives``).
    show_order : write on each op the step at which backward visits it.
    fuse : draw ``sum → multiply 1/n`` as one ``mean`` node, and a per-sample loss
        followed by its mean as one node named for the loss.
    all_grads : show the gradient of ``tensor`` with respect to every tensor on the
        way (intermediates too, not only ``.grad`` of leaves), computed by the engine
        without touching ``.grad``; needs the graph (before ``backward``, or after
        ``backward(retain_graph=True)``).

    Returns
    -------
    str : deterministic DOT source, nodes named ``n0, n1, ...`` in data-flow order.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> a = tg.Tensor(2.0, requires_grad=True, name="a")
    >>> b = tg.Tensor(3.0, requires_grad=True, name="b")
    >>> c = tg.Tensor(1.0, requires_grad=True, name="c")
    >>> text = to_dot(a * b + c)
    >>> text.count("shape=record"), text.count("shape=ellipse"), text.count("->")
    (5, 2, 6)
    >>> print(text.splitlines()[4])
      n0 [shape=record, label="a|() float32|data 2", style=filled, fillcolor="#fff3c4"];
    >>> text == to_dot(a * b + c)      # deterministic: same graph, same text
    True
    """
    opts = Options(show_data, show_grad, rankdir, names, collapse, max_nodes,
                   edge_labels, show_order, fuse, all_grads)
    return graph_dot(tensor, opts)


def import_graphviz() -> Any:
    """The graphviz Python package, or an ImportError saying how to install it."""
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "this needs the graphviz Python package: pip install graphviz "
            f"(and the Graphviz program: {INSTALL_GRAPHVIZ})"
        ) from None
    return graphviz


def digraph(text: str, name: str = "G") -> Any:
    """A real ``graphviz.Digraph`` whose source is our DOT text."""
    graphviz = import_graphviz()
    lines = text.strip().splitlines()
    return graphviz.Digraph(name=name, body=[line + "\n" for line in lines[1:-1]])


def draw_graph(tensor: Tensor, **kwargs: Any) -> Any:
    """The graph of ``tensor`` as a ``graphviz.Digraph`` (Jupyter shows it inline).

    Takes the keyword arguments of ``to_dot``; needs the Graphviz program only to
    display or render (``.render()``, ``.pipe()``), not to build.
    """
    return digraph(to_dot(tensor, **kwargs))


def dot_to(text: str, fmt: str) -> bytes:
    """DOT ``text`` drawn by the Graphviz program as ``fmt`` (svg, png, pdf)."""
    try:
        import graphviz

        return graphviz.pipe("dot", fmt, text.encode("utf-8"), quiet=True)
    except ImportError:  # the binary is there without the Python package
        return subprocess.run(["dot", f"-T{fmt}"], input=text.encode("utf-8"),
                              capture_output=True, check=True).stdout


def write(text: str, path: str | Path, what: str = "render") -> Path:
    """Write DOT ``text`` to ``path``, drawn in the format its suffix names."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"{what}: cannot tell the format from {path.name!r}; use a path ending in "
            + ", ".join(FORMATS)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = FORMATS[suffix]
    if fmt is None:
        path.write_text(text, encoding="utf-8")
        return path
    if shutil.which("dot") is None:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(text, encoding="utf-8")
        raise RuntimeError(
            f"{what}: the Graphviz program 'dot' was not found, so {path} could not be "
            f"drawn; the DOT source is in {dot_path} instead. To draw pictures, "
            f"{INSTALL_GRAPHVIZ}, or paste the .dot file into an online viewer"
        )
    path.write_bytes(dot_to(text, fmt))
    return path


def render(tensor: Tensor, path: str | Path, **kwargs: Any) -> Path:
    """Draw the graph of ``tensor`` into ``path`` (``.svg``/``.png``/``.pdf``/``.dot``).

    Takes the keyword arguments of ``to_dot``; returns the path written. Without the
    Graphviz program it writes the ``.dot`` file beside ``path`` and raises
    ``RuntimeError`` naming that file and how to install Graphviz.
    """
    return write(to_dot(tensor, **kwargs), path)
