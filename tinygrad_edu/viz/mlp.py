"""The architecture of an MLP as the textbook's layered neuron diagram: ``draw_mlp``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .render import digraph, write

def _leaf_modules(model: Any) -> list[Any]:
    """The modules that do the work, in call order. Sequentials are iterated (not
    deduplicated like ``modules()``), so an activation instance used twice counts
    twice. Iterative, like every walk in this library."""
    leaves, stack = [], [model]
    while stack:
        m = stack.pop()
        if isinstance(m, Iterable) and hasattr(m, "parameters"):  # a Sequential
            inner = list(m)
        else:
            inner = list(m.children()) if hasattr(m, "children") else []
        if inner:
            stack.extend(reversed(inner))
        else:
            leaves.append(m)
    return leaves


def _dense_layers(model: Any) -> list[tuple[np.ndarray, np.ndarray | None, str | None]]:
    """(weight (out, in), bias, activation name) per dense layer of a model."""
    layers: list[list[Any]] = []
    for m in _leaf_modules(model):
        weight = getattr(m, "weight", None)
        if isinstance(weight, Tensor):
            if weight.ndim not in (1, 2):
                raise ValueError(
                    f"draw_mlp: cannot draw {type(m).__name__} (weight of shape "
                    f"{weight.shape}); only Linear-like layers are drawn"
                )
            w = weight.data if weight.ndim == 2 else weight.data.reshape(1, -1)
            bias = getattr(m, "bias", None)
            b = None if bias is None else np.asarray(bias.data).reshape(-1)
            # a Perceptron (1-D weight) thresholds its score: sign
            layers.append([w, b, "sign" if weight.ndim == 1 else None])
        elif layers and not list(getattr(m, "parameters", lambda: [])()):
            kind = type(m).__name__
            if kind not in ("Identity", "Dropout"):
                slope = getattr(m, "negative_slope", None)
                layers[-1][2] = kind if slope is None else f"{kind}({slope:g})"
    if not layers:
        raise ValueError(
            f"draw_mlp: found no Linear layers in {type(model).__name__}; pass an "
            "nn.MLP, a Linear, or a Sequential of Linear and activation modules"
        )
    for i in range(1, len(layers)):
        if layers[i][0].shape[1] != layers[i - 1][0].shape[0]:
            raise ValueError(
                f"draw_mlp: layer {i} takes {layers[i][0].shape[1]} inputs but layer "
                f"{i - 1} gives {layers[i - 1][0].shape[0]}; not a simple stack"
            )
    return [tuple(layer) for layer in layers]  # type: ignore[misc]


def _shown_units(n: int, max_units: int) -> list[int | None]:
    """Units drawn for a layer of n: all of them, or the first three, None (the
    "… N more" box) and the last."""
    if n <= max_units:
        return list(range(n))
    return [0, 1, 2, None, n - 1]


def _unit(i: int, j: int | None) -> str:
    return f"L{i}_{'more' if j is None else j}"


def _layer_lines(i: int, sizes: list[int], shown: list[int | None],
                 layers: list, top: float, dx: float, dy: float) -> list[str]:
    """The title and the units of layer ``i`` (0: the inputs)."""
    n, last = sizes[i], i == len(sizes) - 1
    if i == 0:
        title, prefix = f"input\\n{n} feature{'s' * (n != 1)}", "x"
    else:
        act = layers[i - 1][2]
        title = "output" if last else f"hidden {i}"
        title += f"\\n{n} unit{'s' * (n != 1)}"
        title += f"\\n{act}" if act else ""
        prefix = "y" if last else "h"
    lines = [f'  title{i} [shape=plaintext, fixedsize=false, fontsize=12, '
             f'label="{title}", pos="{i * dx:.2f},{top + 0.9:.2f}!"];']
    fill = "#fff3c4" if i == 0 else "#d4f4d4" if last else "#dbe8fb"
    for k, j in enumerate(shown):
        y = (len(shown) - 1) * dy / 2 - k * dy
        pos = f'pos="{i * dx:.2f},{y:.2f}!"'
        if j is None:
            hidden = n - len(shown) + 1
            lines.append(f'  {_unit(i, j)} [shape=box, fixedsize=false, '
                         f'style=dashed, label="… {hidden} more", {pos}];')
            continue
        tip = f"{prefix}{j + 1}"
        if i > 0 and layers[i - 1][1] is not None:
            tip += f": bias {layers[i - 1][1][j]:.3g}"
        lines.append(f'  {_unit(i, j)} [label="{prefix}{j + 1}", style=filled, '
                     f'fillcolor="{fill}", tooltip="{tip}", {pos}];')
    return lines


def _edge_lines(i: int, w: np.ndarray, shown: list[list[int | None]],
                scale: float) -> list[str]:
    """One edge per weight from layer ``i`` to layer ``i + 1``."""
    # colour and width per weight for small layers; a summarised layer's sample
    # of weights in plain grey (a handful of colours would suggest too much)
    summarised = None in shown[i] or None in shown[i + 1]
    lines = []
    for a in shown[i]:
        for b in shown[i + 1]:
            if a is None or b is None or summarised:
                style = ", style=dashed" if a is None or b is None else ""
                lines.append(f"  {_unit(i, a)} -> {_unit(i + 1, b)} "
                             f"[color=gray70, penwidth=0.6{style}];")
                continue
            value = float(w[b, a])
            color = "#2b6cb0" if value >= 0 else "#c53030"
            width = 0.4 + 3.6 * abs(value) / scale
            lines.append(f'  {_unit(i, a)} -> {_unit(i + 1, b)} [color="{color}", '
                         f'penwidth={width:.2f}, tooltip="w = {value:.3g}"];')
    return lines


def mlp_to_dot(model: Any, max_units: int = 10) -> str:
    """The layered neuron diagram of an MLP as DOT text (see ``draw_mlp``).

    Every unit has a fixed position (``layout=neato``, ``pos="x,y!"``): layers left
    to right, units top to bottom in order, as in the textbook picture.

    >>> from tinygrad_edu import nn
    >>> text = mlp_to_dot(nn.MLP([2, 3, 1], activation="tanh"))
    >>> text.count('tooltip="x'), text.count('tooltip="h'), text.count(" -> ")
    (2, 3, 9)
    """
    layers = _dense_layers(model)
    sizes = [layers[0][0].shape[1]] + [w.shape[0] for w, _, _ in layers]
    shown = [_shown_units(n, max_units) for n in sizes]
    scale = max(float(np.max(np.abs(w))) for w, _, _ in layers) or 1.0
    dx, dy = 2.4, 0.75  # inches between layers, between units
    top = (max(len(u) for u in shown) - 1) * dy / 2
    lines = [
        "digraph MLP {",
        "  layout=neato; splines=line; outputorder=edgesfirst;",
        "  node [shape=circle, fixedsize=true, width=0.5, fontname=Helvetica, "
        "fontsize=10];",
        "  edge [arrowsize=0.4];",
    ]
    for i in range(len(sizes)):
        lines += _layer_lines(i, sizes, shown[i], layers, top, dx, dy)
    for i, (w, _, _) in enumerate(layers):
        lines += _edge_lines(i, w, shown, scale)
    legend = "edges: blue w > 0, red w < 0, width ∝ |w|"
    if any(None in u for u in shown):
        legend += "; grey: a sample of a wide layer"
    lines.append(f'  label="{legend}"; fontname=Helvetica; fontsize=10;')
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_mlp(model: Any, path: str | Path | None = None, max_units: int = 10) -> Any:
    """The layered neuron diagram of an MLP: inputs, hidden layers, outputs.

    ``model``: an ``nn.MLP``, a ``Linear``, or a ``Sequential`` of Linear and activation
    modules. Each edge is one weight: blue when positive, red when negative, wider
    when larger in size. A layer wider than ``max_units`` is drawn as its first
    three units, a "… N more" box and its last unit, with its edges in grey.

    Returns a ``graphviz.Digraph`` (shown inline in Jupyter), or, given ``path``
    (``.svg``/``.png``/``.pdf``/``.dot``), writes it there and returns the path
    (without Graphviz: see ``render``). ``mlp_to_dot`` gives the DOT text.
    """
    text = mlp_to_dot(model, max_units=max_units)
    if path is not None:
        return write(text, path, "draw_mlp")
    return digraph(text, name="MLP")
