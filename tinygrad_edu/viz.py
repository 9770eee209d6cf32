"""Seeing it: the computation graph, the backward pass, the architecture, the curves.

- ``to_dot(t)`` writes the graph that produced ``t`` as Graphviz DOT *text*, built by
  hand (DeZero's way), so it needs no Graphviz install and is deterministic: the same
  graph always gives the same text (nodes are ``n0, n1, ...`` in traversal order,
  never ``id()``), which makes it testable against a golden file.
- ``print_graph(t)``: the same graph as an indented text tree, for terminals.
- ``draw_graph(t)`` → ``graphviz.Digraph`` (shows inline in Jupyter) and
  ``render(t, "graph.svg")`` (``.svg``/``.png``/``.pdf``/``.dot``) draw that text.
- ``render_backward(loss, folder)``: one picture per step of backpropagation.
- ``draw_mlp(model)``: the layered neuron diagram; ``plot_history(history, path)``:
  the training curves (needs matplotlib: ``pip install tinygrad-edu[plot]``).

How to read a graph picture (rankdir LR: data flows left to right):

- a box per tensor: its name, shape and dtype, and for tensors of at most 6 elements
  the values (``data``) and ``.grad``; an ellipse per op, with its parameters
  (``leaky_relu(0.1)``, ``sum(axis=0)``) and the step at which backward visits it;
- yellow boxes are leaves that require grad (inputs, parameters: what ``.grad`` is
  filled for), dashed grey boxes are constants (``requires_grad=False``), the
  green box is the output, and a red border means NaN or Inf inside;
- for graphs of scalars, each input edge carries the local derivative
  ``∂=∂out/∂in``: the gradient flowing back along it is the op output's gradient
  times that number (the chain rule, one edge at a time).

Read next: ``debug/`` (finding what went wrong in training).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from .autograd import Context, no_grad, toposort
from .functional import gradients
from .tensor import Tensor

__all__ = [
    "to_dot", "print_graph", "draw_graph", "render", "render_backward",
    "local_derivatives", "mlp_to_dot", "draw_mlp", "plot_history",
]

#: tensors with at most this many elements show their values and gradient
MAX_VALUES_SHOWN = 6
#: to_dot refuses graphs with more nodes than this by default (see ``collapse=``)
MAX_NODES = 300

_INSTALL_GRAPHVIZ = (
    "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew "
    "install graphviz; conda: conda install -c conda-forge graphviz; Windows: "
    "https://graphviz.org/download/) so that the 'dot' program is on PATH"
)

# ---- formatting values and labels ------------------------------------------------


def _escape(text: str) -> str:
    """Escape for a double-quoted DOT string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_record(text: str) -> str:
    """Escape for one field of a ``shape=record`` label, where {}|<> are syntax."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r'([{}|<>"])', r"\\\1", text)
    return text.replace("\n", "\\n")


def _html(text: str) -> str:
    return html.escape(text, quote=True)


def _fmt_number(x: Any) -> str:
    x = x.item() if isinstance(x, np.generic) else x
    if isinstance(x, float):
        return f"{x + 0.0:.4g}"  # + 0.0 turns -0.0 into 0
    return str(x)


def _fmt_array(a: np.ndarray, one_line: bool = False) -> str:
    """Values of a small array, 4 significant digits, independent of print options."""
    if a.ndim == 0:
        return _fmt_number(a.item())
    if a.dtype.kind == "f":
        a = a + 0.0  # no "-0." in pictures
    with np.printoptions(precision=4, suppress=True, threshold=1000, linewidth=60,
                         floatmode="maxprec", legacy=False, sign="-"):
        text = np.array2string(a, separator=", ")
    return " ".join(text.split()) if one_line else text


def _nonfinite(t: Tensor) -> bool:
    """True when the tensor's data or its .grad holds NaN or Inf."""
    for a in (t.data, None if t.grad is None else t.grad.data):
        if a is not None and a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            return True
    return False


# params shown as key=value (and hidden when at their default); others positionally
_KEYWORD_PARAMS = {"axis": None, "axes": None, "keepdims": False, "reduction": "mean",
                   "ddof": 0}


def _fmt_param(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return "array" + str(value.shape)
    if isinstance(value, (np.dtype, type)):
        return np.dtype(value).name
    if isinstance(value, tuple):
        inner = ", ".join(_fmt_param(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return _fmt_number(value)


def _fmt_index(index: Any) -> str:
    """``x[0, 1:3]`` style text for a getitem index."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            bounds = (p.start, p.stop, p.step)
            text = ":".join("" if v is None else str(v) for v in bounds)
            out.append(text[:-1] if text.endswith(":") and p.step is None else text)
        elif p is Ellipsis:
            out.append("...")
        elif isinstance(p, np.ndarray):
            out.append(_fmt_array(p, one_line=True) if p.size <= MAX_VALUES_SHOWN
                       else f"array{p.shape}")
        else:
            out.append(str(p))
    return ", ".join(out)


def op_text(ctx: Context) -> str:
    """An op as people write it: ``leaky_relu(0.1)``, ``sum(axis=0)``, ``getitem[1:]``.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([1.0, -2.0], requires_grad=True)
    >>> op_text(x.leaky_relu(0.1).grad_fn), op_text(x.sum(axis=0).grad_fn)
    ('leaky_relu(0.1)', 'sum(axis=0)')
    >>> op_text(x.sum().grad_fn), op_text(x[1:].grad_fn)
    ('sum', 'getitem[1:]')
    """
    params = dict(ctx.params)
    if ctx.name == "getitem" and "index" in params:
        return f"getitem[{_fmt_index(params['index'])}]"
    args = []
    for key, value in params.items():
        if key in _KEYWORD_PARAMS or isinstance(value, np.ndarray):
            default = _KEYWORD_PARAMS.get(key, object())
            if value is default or (type(value) is type(default) and value == default):
                continue
            args.append(f"{key}={_fmt_param(value)}")
        elif isinstance(value, tuple) and len(params) == 1:
            args.append(", ".join(_fmt_param(v) for v in value))  # reshape(2, 3)
        else:
            args.append(_fmt_param(value))
    return f"{ctx.name}({', '.join(args)})" if args else ctx.name


# ---- naming tensors and modules --------------------------------------------------


def _names_from(names: Any) -> tuple[dict[int, str], dict[int, str]]:
    """({id(tensor): name}, {id(module): name}) from ``names=``.

    ``names`` is a mapping such as ``locals()`` (the first variable bound to an object
    wins; names starting with ``_`` are skipped; a Module among the values names its
    parameters ``model.layers.0.weight``) or a Module, whose parameters and
    sub-modules get their dotted names (``layers.0.weight``).
    """
    tensors: dict[int, str] = {}
    modules: dict[int, str] = {}
    if names is None:
        return tensors, modules
    if hasattr(names, "named_parameters") and hasattr(names, "named_modules"):
        for name, p in names.named_parameters():
            tensors.setdefault(id(p), name)
        for name, m in names.named_modules():
            if name:
                modules.setdefault(id(m), name)
        return tensors, modules
    if not isinstance(names, Mapping):
        raise TypeError(
            f"names: expected a mapping such as locals() or a Module, got "
            f"{type(names).__name__}"
        )
    for name, value in names.items():
        if not isinstance(name, str) or name.startswith("_"):
            continue
        if isinstance(value, Tensor):
            tensors.setdefault(id(value), name)
        elif hasattr(value, "named_parameters") and hasattr(value, "named_modules"):
            modules.setdefault(id(value), name)
            for sub, m in value.named_modules():
                modules.setdefault(id(m), f"{name}.{sub}" if sub else name)
            for sub, p in value.named_parameters():
                tensors.setdefault(id(p), f"{name}.{sub}")
    return tensors, modules


def _module_title(module: Any) -> str:
    """``Linear 2→4`` for a Linear, else the class name."""
    kind = type(module).__name__
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return f"{kind} {module.in_features}→{module.out_features}"
    return kind


# ---- the graph, as DOT text ------------------------------------------------------


class _Group:
    """A collapsed part of the graph, drawn as one node."""

    def __init__(self, title: str, subtitle: str) -> None:
        self.title, self.subtitle = title, subtitle
        self.members: set[int] = set()  # ids of the tensors and Contexts it hides
        self.n_ops = 0
        self.n_params = 0


def _consumers(order: list[Tensor]) -> dict[int, list[Context]]:
    used: dict[int, list[Context]] = {}
    for t in order:
        if t.grad_fn is not None:
            for x in t.grad_fn.inputs:
                used.setdefault(id(x), []).append(t.grad_fn)
    return used


def _groups(order: list[Tensor], collapse: Any, labels: dict[int, str],
            module_names: dict[int, str]) -> dict[int, _Group]:
    """{id of a hidden tensor or Context: its group} for ``collapse=``.

    Each item is a Module or a string (a dict ``{title: item}`` sets the titles):

    - a Module hides its parameters and every op that takes one of them directly as
      input (for ``Linear``, the fused ``linear`` op), with the tensors only those ops
      use: ``x → [Linear 2→4] → z``;
    - a string hides every tensor whose name starts with it, and the ops that
      produce them.

    A tensor that is used outside its group (or is the output) stays visible.
    """
    if not collapse:
        return {}
    if isinstance(collapse, Mapping):
        items = list(collapse.items())
    else:
        items = [(None, c) for c in collapse]
    root = order[-1]
    used = _consumers(order)
    owner: dict[int, _Group] = {}
    for title, item in items:
        if isinstance(item, str):
            group = _Group(title or item, "collapsed by name")
            tensors = [t for t in order if labels.get(id(t), "").startswith(item)]
            ops = {id(t.grad_fn): t.grad_fn for t in tensors if t.grad_fn is not None}
        elif hasattr(item, "parameters"):
            name = title or module_names.get(id(item))
            group = _Group(name or _module_title(item),
                           _module_title(item) if name else "collapsed module")
            params = {id(p) for p in item.parameters()}
            tensors = [t for t in order if id(t) in params]
            ops = {id(t.grad_fn): t.grad_fn for t in order if t.grad_fn is not None
                   and any(id(x) in params for x in t.grad_fn.inputs)}
            tensors += [t for t in order
                        if t.grad_fn is not None and id(t.grad_fn) in ops]
        else:
            raise TypeError(
                f"collapse: expected Modules or name prefixes (str), got "
                f"{type(item).__name__}"
            )
        for op_id in ops:
            owner.setdefault(op_id, group)
        group.n_ops = len(ops)
        for t in tensors:
            inside = t is not root and all(id(c) in ops for c in used.get(id(t), []))
            if inside and id(t) not in owner:
                owner[id(t)] = group
                group.n_params += t.grad_fn is None and t.requires_grad
    return owner


class _Dot:
    """Collects nodes and edges, then prints them in insertion order."""

    def __init__(self) -> None:
        self.ids: dict[int, str] = {}
        self.lines: list[str] = []

    def node_id(self, obj: Any) -> str:
        # n0, n1, ... in traversal order, not id(): the text is the same every run
        return self.ids.setdefault(id(obj), f"n{len(self.ids)}")

    @staticmethod
    def attrs(attrs: dict[str, Any]) -> str:
        parts = []
        for key, value in attrs.items():
            value = str(value)
            if not (value.startswith("<") and value.endswith(">")):  # HTML label
                if not re.fullmatch(r"[A-Za-z0-9_.]+", value):
                    value = f'"{value}"'
            parts.append(f"{key}={value}")
        return ", ".join(parts)

    def node(self, obj: Any, **attrs: Any) -> None:
        self.lines.append(f"  {self.node_id(obj)} [{self.attrs(attrs)}];")

    def edge(self, a: Any, b: Any, **attrs: Any) -> None:
        tail = f" [{self.attrs(attrs)}]" if attrs else ""
        self.lines.append(f"  {self.node_id(a)} -> {self.node_id(b)}{tail};")


def _tensor_label(t: Tensor, name: str | None, show_data: bool, show_grad: bool,
                  grad: np.ndarray | None, across: bool) -> str:
    """Record label ``name | (2,) float32 | data [..] | grad [..]``."""
    fields = [] if name is None else [name]
    fields.append(f"{t.shape} {t.dtype}")
    small = t.size <= MAX_VALUES_SHOWN
    if show_data and small:
        fields.append("data " + _fmt_array(t.data))
    if show_grad and small and grad is not None:
        fields.append("grad " + _fmt_array(np.asarray(grad)))
    # a multi-line array is left-justified line by line (\\l), so its columns line up
    text = "|".join("\\l".join(_escape_record(line) for line in f.split("\n"))
                    + ("\\l" if "\n" in f else "") for f in fields)
    return "{" + text + "}" if across else text


def _graph_dot(
    root: Tensor,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "LR",
    names: Any = None,
    collapse: Any = None,
    max_nodes: int | None = MAX_NODES,
    edge_labels: bool | None = None,
    show_order: bool = True,
    *,
    grads: Mapping[int, np.ndarray] | None = None,
    current: Tensor | None = None,
    title: str | None = None,
) -> str:
    """to_dot's worker; render_backward adds ``grads`` known so far, the ``current``
    tensor of the backward sweep and a ``title``."""
    if not isinstance(root, Tensor):
        raise TypeError(f"to_dot: expected a Tensor, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"to_dot: rankdir must be LR, RL, TB or BT, got {rankdir!r}")
    order = toposort(root)
    tensor_names, module_names = _names_from(names)
    labels = {id(t): t.name or tensor_names.get(id(t)) for t in order}
    labels = {k: v for k, v in labels.items() if v}
    hidden = _groups(order, collapse, labels, module_names)

    n_nodes = len({id(g) for g in hidden.values()})
    for t in order:
        n_nodes += id(t) not in hidden
        n_nodes += t.grad_fn is not None and id(t.grad_fn) not in hidden
    if max_nodes is not None and n_nodes > max_nodes:
        raise ValueError(
            f"to_dot: the graph has {n_nodes} nodes, more than max_nodes={max_nodes}; "
            "a picture that large is unreadable. Draw less (e.g. one sample, one "
            "layer), collapse modules into single nodes with collapse=[model.layer1, "
            "...] or collapse=['prefix'] (tensor names), or pass a larger max_nodes"
        )

    # backward visits the ops in reverse topological order: number them that way
    step = {}
    for t in reversed(order):
        if t.grad_fn is not None and id(t.grad_fn) not in hidden:
            step[id(t.grad_fn)] = len(step) + 1
    if edge_labels is None:
        edge_labels = all(t.size == 1 for t in order)
    # fields stacked top to bottom: in LR a record lays fields out across the flow
    # unless braced, so braces are needed only for TB/BT
    across = rankdir in ("TB", "BT")
    done = set() if grads is None else set(grads)
    focus_op = None if current is None else current.grad_fn

    dot = _Dot()
    dot.lines += ["digraph G {", f"  rankdir={rankdir};"]
    if title:
        dot.lines.append(f'  label="{_escape(title)}"; labelloc=t; fontname=monospace;')
    dot.lines += [
        "  node [fontname=monospace, fontsize=10];",
        "  edge [fontname=monospace, fontsize=9];",
    ]
    drawn_groups: set[int] = set()

    def rep(obj: Any) -> Any:
        return hidden.get(id(obj), obj)

    def draw_group(group: _Group) -> None:
        if id(group) in drawn_groups:
            return
        drawn_groups.add(id(group))
        detail = f"{group.n_ops} op{'s' * (group.n_ops != 1)}"
        if group.n_params:
            detail += f", {group.n_params} parameter{'s' * (group.n_params != 1)}"
        label = (f"<<B>{_html(group.title)}</B><BR/>{_html(group.subtitle)}"
                 f'<BR/><FONT POINT-SIZE="8">{detail} inside</FONT>>')
        dot.node(group, shape="box3d", style="filled", fillcolor="#e6dcf5", label=label)

    for t in order:
        if id(t) in hidden:
            draw_group(hidden[id(t)])
        else:
            grad = t.grad.data if t.grad is not None else None
            if grads is not None:
                grad = grads.get(id(t))
            attrs: dict[str, Any] = {
                "shape": "record",
                "label": _tensor_label(t, labels.get(id(t)), show_data, show_grad,
                                       grad, across),
            }
            if t is root:
                attrs.update(style="filled", fillcolor="#d4f4d4", penwidth=2)
            elif t.grad_fn is None and t.requires_grad:
                attrs.update(style="filled", fillcolor="#fff3c4")
            elif t.grad_fn is None:
                attrs.update(style="dashed", color="gray50", fontcolor="gray35")
            if grads is not None:  # a backward frame
                if t is current:
                    attrs.update(style="filled", fillcolor="#ffb347", penwidth=3)
                elif id(t) in done:
                    attrs.update(color="darkgreen", penwidth=2)
            if _nonfinite(t):
                attrs.update(color="red", fontcolor="red", penwidth=2)
            dot.node(t, **attrs)
        ctx = t.grad_fn
        if ctx is None:
            continue
        if id(ctx) in hidden:
            draw_group(hidden[id(ctx)])
        else:
            text = f"<<B>{_html(op_text(ctx))}</B>"
            if show_order:
                text += f'<BR/><FONT POINT-SIZE="8">backward #{step[id(ctx)]}</FONT>'
            attrs = {"shape": "ellipse", "style": "filled", "fillcolor": "lightblue",
                     "label": text + ">"}
            if ctx is focus_op:
                attrs.update(fillcolor="#ffb347", penwidth=3)
            dot.node(ctx, **attrs)
        if edge_labels and id(ctx) not in hidden:
            derivatives = local_derivatives(ctx, t)
        else:
            derivatives = [None] * len(ctx.inputs)
        seen_edges: set[tuple[int, int]] = set()
        for x, d in zip(ctx.inputs, derivatives):
            a, b = rep(x), rep(ctx)
            via_group = a is not x or b is not ctx
            if a is b or (via_group and (id(a), id(b)) in seen_edges):
                continue  # inside one group, or a repeat of a group's edge
            seen_edges.add((id(a), id(b)))
            attrs = {}
            if d is not None:
                attrs["label"] = f"∂={_fmt_number(float(d))}"
            if ctx is focus_op and x.requires_grad:
                attrs.update(color="red", fontcolor="red", penwidth=2.5, dir="back")
            dot.edge(a, b, **attrs)
        if rep(ctx) is not rep(t):
            dot.edge(rep(ctx), rep(t))
    return "\n".join(dot.lines + ["}"]) + "\n"


def to_dot(
    tensor: Tensor,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "LR",
    names: Any = None,
    collapse: Any = None,
    max_nodes: int | None = MAX_NODES,
    edge_labels: bool | None = None,
    show_order: bool = True,
) -> str:
    """The graph that produced ``tensor``, as Graphviz DOT text (no Graphviz needed).

    Parameters
    ----------
    tensor : the output to draw back from (its node is green).
    show_data, show_grad : show values / ``.grad`` of tensors with ≤ 6 elements.
    rankdir : ``"LR"`` (data flows left to right), ``"TB"``, ...
    names : where tensor names come from when ``t.name`` is not set: a mapping
        (``names=locals()``: each tensor is called by its variable, a model's
        parameters ``model.layers.0.weight``) or a Module (its parameters by dotted
        name, ``layers.0.weight``).
    collapse : Modules or tensor-name prefixes to draw as single nodes (a list, or a
        dict ``{title: module_or_prefix}``). A Module hides its parameters and the
        ops that use them directly (a Linear becomes one box); a prefix hides the
        tensors whose names start with it and the ops that produce them.
    max_nodes : raise ``ValueError`` above this many nodes (``None``: no limit).
    edge_labels : label each input edge with the local derivative ∂out/∂in
        (default: when every tensor is a scalar; see ``local_derivatives``).
    show_order : write on each op the step at which backward visits it.

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
    return _graph_dot(tensor, show_data, show_grad, rankdir, names, collapse, max_nodes,
                      edge_labels, show_order)


# ---- local derivatives (edge labels) ---------------------------------------------


def local_derivatives(ctx: Context, out: Tensor) -> list[float | None]:
    """∂out/∂input for each input of one op on scalars (``None``: not available).

    Method: call the op's own ``backward`` with an upstream gradient of 1 (exactly
    what the engine multiplies by the chain rule), on the recorded values. When
    that is impossible (the saved arrays were freed by a backward without
    ``retain_graph``, or the op is not scalar), fall back to central differences of
    the op's ``forward`` in float64 (eps 1e-6). Inputs that need no gradient get
    ``None``. The engine's state is left as it was.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor(3.0, requires_grad=True)
    >>> y = x * x
    >>> local_derivatives(y.grad_fn, y)
    [3.0, 3.0]
    """
    if out.size != 1 or any(x.size != 1 for x in ctx.inputs):
        return [None] * len(ctx.inputs)
    try:
        result = _analytic_derivatives(ctx, out)
    except Exception:  # freed, or a user op whose backward needs more: go numeric
        result = None
    if result is None:
        result = _numerical_derivatives(ctx)
    return [None if not x.requires_grad else d for x, d in zip(ctx.inputs, result)]


def _analytic_derivatives(ctx: Context, out: Tensor) -> list[float | None] | None:
    if getattr(ctx, "freed", False) and not ctx.fn.differentiable_backward:
        return None  # a user op's saved arrays are gone
    before = (getattr(ctx, "tensor_mode", False), getattr(ctx, "out", None))
    ctx.tensor_mode, ctx.out = False, out.data  # what the engine sets before backward
    try:
        with no_grad():
            result = ctx.fn.backward(ctx, np.ones_like(out.data))
    finally:
        ctx.tensor_mode, ctx.out = before
    if not isinstance(result, (tuple, list)):
        result = (result,)
    if len(result) != len(ctx.inputs):
        return None
    values = []
    for g in result:
        if g is None:
            values.append(None)
        else:
            g = np.asarray(g.data if isinstance(g, Tensor) else g, dtype=np.float64)
            values.append(float(g.sum()))  # size 1 whatever its shape
    return values


def _numerical_derivatives(ctx: Context, eps: float = 1e-6) -> list[float | None]:
    arrays = [np.asarray(x.data, dtype=np.float64) if x.data.dtype.kind == "f"
              else x.data for x in ctx.inputs]

    def f(values: list[np.ndarray]) -> float:
        scratch = Context.__new__(Context)  # a throwaway context for the forward
        scratch.fn, scratch.saved_tensors = ctx.fn, ()
        return float(np.sum(ctx.fn.forward(scratch, *values, **dict(ctx.params))))

    result: list[float | None] = []
    for i, a in enumerate(arrays):
        if not ctx.inputs[i].requires_grad or a.dtype.kind != "f":
            result.append(None)
            continue
        try:
            plus, minus = list(arrays), list(arrays)
            plus[i], minus[i] = a + eps, a - eps
            result.append((f(plus) - f(minus)) / (2 * eps))
        except Exception:
            result.append(None)
    return result


# ---- the graph as a text tree ----------------------------------------------------


def print_graph(
    tensor: Tensor,
    names: Any = None,
    show_data: bool = True,
    show_grad: bool = True,
    max_lines: int = 200,
    file: Any = None,
) -> str:
    """Print the graph that produced ``tensor`` as an indented tree, and return it.

    The output is at the top; below each tensor, the op that made it (``← op``)
    and its inputs. A tensor reached twice is printed once and then referred to.
    Unnamed tensors are called by their node ids in ``to_dot`` (``n2``).

    >>> import tinygrad_edu as tg
    >>> a = tg.Tensor(2.0, requires_grad=True, name="a")
    >>> b = tg.Tensor(3.0, requires_grad=True, name="b")
    >>> y = a * b + a
    >>> y.backward()
    >>> _ = print_graph(y)
    n4: () float32 = 8  ← add  (backward #1)
    ├── n2: () float32 = 6  ← multiply  (backward #2)
    │   ├── a: () float32 = 2, grad 4  [leaf]
    │   └── b: () float32 = 3, grad 2  [leaf]
    └── a (see above)
    """
    order = toposort(tensor)
    tensor_names, _ = _names_from(names)
    ids = {}
    for t in order:  # the same numbering as to_dot: tensor, then its op
        ids[id(t)] = f"n{len(ids)}"
        if t.grad_fn is not None:
            ids[id(t.grad_fn)] = f"n{len(ids)}"
    step = {}
    for t in reversed(order):
        if t.grad_fn is not None:
            step[id(t.grad_fn)] = len(step) + 1

    def describe(t: Tensor) -> str:
        name = t.name or tensor_names.get(id(t)) or ids[id(t)]
        text = f"{name}: {t.shape} {t.dtype}"
        small = t.size <= MAX_VALUES_SHOWN
        if show_data and small:
            text += " = " + _fmt_array(t.data, one_line=True)
        if show_grad and small and t.grad is not None:
            text += ", grad " + _fmt_array(t.grad.data, one_line=True)
        if t.grad_fn is not None:
            text += f"  ← {op_text(t.grad_fn)}  (backward #{step[id(t.grad_fn)]})"
        elif t.requires_grad:
            text += "  [leaf]"
        else:
            text += "  [constant]"
        if _nonfinite(t):
            text += "  [NaN/Inf!]"
        return text

    lines: list[str] = []
    shown: set[int] = set()
    # iterative pre-order walk: (tensor, prefix for its children, its own branch)
    stack: list[tuple[Tensor, str, str]] = [(tensor, "", "")]
    while stack:
        if len(lines) >= max_lines:
            lines.append(f"… {len(stack)} more branches not shown (raise max_lines)")
            break
        t, prefix, branch = stack.pop()
        if id(t) in shown:
            name = t.name or tensor_names.get(id(t)) or ids[id(t)]
            lines.append(f"{branch}{name} (see above)")
            continue
        shown.add(id(t))
        lines.append(branch + describe(t))
        if t.grad_fn is not None:
            inputs = t.grad_fn.inputs
            for i in reversed(range(len(inputs))):
                last = i == len(inputs) - 1
                stack.append((inputs[i], prefix + ("    " if last else "│   "),
                              prefix + ("└── " if last else "├── ")))
    text = "\n".join(lines)
    print(text, file=file)
    return text


# ---- drawing with Graphviz -------------------------------------------------------


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "this needs the graphviz Python package: pip install graphviz "
            f"(and the Graphviz program: {_INSTALL_GRAPHVIZ})"
        ) from None
    return graphviz


def _digraph(text: str) -> Any:
    """A real ``graphviz.Digraph`` whose source is our DOT text."""
    graphviz = _import_graphviz()
    lines = text.strip().splitlines()
    assert lines[0].startswith("digraph G {") and lines[-1] == "}"
    return graphviz.Digraph(name="G", body=[line + "\n" for line in lines[1:-1]])


def draw_graph(tensor: Tensor, **kwargs: Any) -> Any:
    """The graph of ``tensor`` as a ``graphviz.Digraph`` (Jupyter shows it inline).

    Takes the keyword arguments of ``to_dot``; needs the Graphviz program only to
    display or render (``.render()``, ``.pipe()``), not to build.
    """
    return _digraph(to_dot(tensor, **kwargs))


_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}


def _write(text: str, path: str | Path, what: str = "render") -> Path:
    """Write DOT ``text`` to ``path``, drawn in the format its suffix names."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"{what}: cannot tell the format from {path.name!r}; use a path ending in "
            + ", ".join(_FORMATS)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = _FORMATS[suffix]
    if fmt is None:
        path.write_text(text, encoding="utf-8")
        return path
    if shutil.which("dot") is None:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(text, encoding="utf-8")
        raise RuntimeError(
            f"{what}: the Graphviz program 'dot' was not found, so {path} could not be "
            f"drawn; the DOT source is in {dot_path} instead. To draw pictures, "
            f"{_INSTALL_GRAPHVIZ}, or paste the .dot file into an online viewer"
        )
    try:
        import graphviz

        data = graphviz.pipe("dot", fmt, text.encode("utf-8"), quiet=True)
    except ImportError:  # the binary is there without the Python package
        data = subprocess.run(["dot", f"-T{fmt}"], input=text.encode("utf-8"),
                              capture_output=True, check=True).stdout
    path.write_bytes(data)
    return path


def render(tensor: Tensor, path: str | Path, **kwargs: Any) -> Path:
    """Draw the graph of ``tensor`` into ``path`` (``.svg``/``.png``/``.pdf``/``.dot``).

    Takes the keyword arguments of ``to_dot``; returns the path written. Without the
    Graphviz program it writes the ``.dot`` file beside ``path`` and raises
    ``RuntimeError`` naming that file and how to install Graphviz.
    """
    return _write(to_dot(tensor, **kwargs), path)


# ---- backpropagation, frame by frame ---------------------------------------------


def render_backward(loss: Tensor, folder: str | Path, fmt: str = "svg",
                    grad: Any = None, **kwargs: Any) -> list[Path]:
    """One picture per step of ``loss.backward()``: the lecture's δ's, made visible.

    The sweep visits the tensors in reverse topological order (the output first);
    when a tensor is reached its gradient is complete, and its op sends gradients on
    to its inputs. Frame 0 is the graph before backward; frame k highlights (orange)
    the k-th tensor visited and its op, draws the gradient flowing to the op's
    inputs as red arrows, and shows every gradient known so far (green borders).

    The gradients are computed once with ``tinygrad_edu.gradients`` (the engine,
    ``retain_graph=True``) and replayed; no ``.grad`` is changed, but the graph must
    still be there: call it before ``loss.backward()`` (or backward with
    ``retain_graph=True``); tensor hooks run once, as in any backward. Writes
    ``frame_000.dot``, ``frame_001.dot``, ... into ``folder`` and, when the Graphviz
    program is installed, ``frame_000.svg`` (``fmt``: ``"svg"`` or ``"png"``) too.
    Returns one path per frame: the pictures, or the ``.dot`` files without
    Graphviz. Takes ``to_dot``'s keyword arguments (``names=``, ...).
    """
    if f".{fmt}" not in _FORMATS or _FORMATS[f".{fmt}"] is None:
        raise ValueError(
            f"render_backward: fmt must be 'svg', 'png' or 'pdf', got {fmt!r}"
        )
    if not loss.requires_grad:
        raise RuntimeError(
            "render_backward: the tensor does not require grad (it has no graph)"
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    order = toposort(loss)
    tracked = [t for t in order if t.requires_grad]
    try:
        found = gradients(loss, tracked, grad_output=grad, retain_graph=True)
    except RuntimeError as error:
        if "second time" not in str(error):
            raise
        raise RuntimeError(
            "render_backward: the graph was freed by an earlier backward; call "
            "render_backward before loss.backward(), or call "
            "loss.backward(retain_graph=True)"
        ) from None
    final = {id(t): g.data for t, g in zip(tracked, found)}
    visits = [t for t in reversed(order) if t.requires_grad]
    names = kwargs.pop("names", None)
    names_of, _ = _names_from(names)

    def called(t: Tensor) -> str:
        if t.name or names_of.get(id(t)):
            return t.name or names_of[id(t)]
        if t is loss:
            return "the output"
        return f"the result of {t.grad_fn.name}" if t.grad_fn else f"a {t.shape} leaf"

    can_draw = shutil.which("dot") is not None
    paths: list[Path] = []
    known: dict[int, np.ndarray] = {}
    for k in range(len(visits) + 1):
        current = None
        if k == 0:
            title = (f"before backward: the forward pass is done; {len(visits)} steps "
                     "to go, starting from the output with grad 1")
        else:
            current = visits[k - 1]
            known[id(current)] = final[id(current)]
            if current.grad_fn is not None:
                title = (f"backward step {k}/{len(visits)}: {called(current)} has "
                         f"its full gradient; {current.grad_fn.name} passes it to "
                         "its inputs")
            else:
                title = (f"backward step {k}/{len(visits)}: leaf {called(current)} is "
                         "reached; its gradient is added into .grad")
        text = _graph_dot(loss, names=names, grads=dict(known), current=current,
                          title=title, **kwargs)
        dot_path = folder / f"frame_{k:03d}.dot"
        _write(text, dot_path, "render_backward")
        paths.append(_write(text, dot_path.with_suffix(f".{fmt}"), "render_backward")
                     if can_draw else dot_path)
    return paths


# ---- the architecture of an MLP --------------------------------------------------


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

    def unit(i: int, j: int | None) -> str:
        return f"L{i}_{'more' if j is None else j}"

    for i, n in enumerate(sizes):
        last = i == len(sizes) - 1
        if i == 0:
            title, prefix = f"input\\n{n} feature{'s' * (n != 1)}", "x"
        else:
            act = layers[i - 1][2]
            title = "output" if last else f"hidden {i}"
            title += f"\\n{n} unit{'s' * (n != 1)}"
            title += f"\\n{act}" if act else ""
            prefix = "y" if last else "h"
        lines.append(f'  title{i} [shape=plaintext, fixedsize=false, fontsize=12, '
                     f'label="{title}", pos="{i * dx:.2f},{top + 0.9:.2f}!"];')
        fill = "#fff3c4" if i == 0 else "#d4f4d4" if last else "#dbe8fb"
        for k, j in enumerate(shown[i]):
            y = (len(shown[i]) - 1) * dy / 2 - k * dy
            pos = f'pos="{i * dx:.2f},{y:.2f}!"'
            if j is None:
                hidden = n - len(shown[i]) + 1
                lines.append(f'  {unit(i, j)} [shape=box, fixedsize=false, '
                             f'style=dashed, label="… {hidden} more", {pos}];')
                continue
            tip = f"{prefix}{j + 1}"
            if i > 0 and layers[i - 1][1] is not None:
                tip += f": bias {layers[i - 1][1][j]:.3g}"
            lines.append(f'  {unit(i, j)} [label="{prefix}{j + 1}", style=filled, '
                         f'fillcolor="{fill}", tooltip="{tip}", {pos}];')
    for i, (w, _, _) in enumerate(layers):
        # colour and width per weight for small layers; a summarised layer's sample
        # of weights in plain grey (a handful of colours would suggest too much)
        summarised = None in shown[i] or None in shown[i + 1]
        for a in shown[i]:
            for b in shown[i + 1]:
                if a is None or b is None or summarised:
                    style = ", style=dashed" if a is None or b is None else ""
                    lines.append(f"  {unit(i, a)} -> {unit(i + 1, b)} "
                                 f"[color=gray70, penwidth=0.6{style}];")
                    continue
                value = float(w[b, a])
                color = "#2b6cb0" if value >= 0 else "#c53030"
                width = 0.4 + 3.6 * abs(value) / scale
                lines.append(f'  {unit(i, a)} -> {unit(i + 1, b)} [color="{color}", '
                             f'penwidth={width:.2f}, tooltip="w = {value:.3g}"];')
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
        return _write(text, path, "draw_mlp")
    graphviz = _import_graphviz()
    lines = text.strip().splitlines()
    return graphviz.Digraph(name="MLP", body=[line + "\n" for line in lines[1:-1]])


# ---- training curves -------------------------------------------------------------


def plot_history(
    history: Any, path: str | Path | None = None, title: str | None = None
) -> Any:
    """Training curves: one panel per quantity (loss, then each metric), with its
    ``val_`` twin on the same axes. Needs matplotlib
    (``pip install tinygrad-edu[plot]``).

    ``history``: a ``History`` (``history.history`` is ``{"loss": [...], "val_loss":
    [...], "accuracy": [...]}``, one value per epoch) or such a dict. Returns the
    path written, or the matplotlib ``Figure`` when ``path`` is None.
    """
    curves = history.history if hasattr(history, "history") else history
    if not isinstance(curves, Mapping) or not any(len(v) for v in curves.values()):
        raise ValueError(
            "plot_history: expected a History or a non-empty dict of per-epoch lists "
            "such as {'loss': [...], 'val_loss': [...]}"
        )
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "plot_history needs matplotlib: pip install tinygrad-edu[plot] "
            "(or pip install matplotlib)"
        ) from None
    panels: dict[str, list[str]] = {}
    for key in curves:
        panels.setdefault(key[4:] if key.startswith("val_") else key, []).append(key)
    if "loss" in panels:  # loss first
        panels = {"loss": panels.pop("loss"), **panels}
    # Figure without pyplot: no global state, works without a display
    fig = Figure(figsize=(4.5 * len(panels), 3.4), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (panel, keys) in zip(axes, panels.items()):
        for key in keys:
            values = np.asarray(curves[key], dtype=float)
            epochs = np.arange(1, len(values) + 1)
            kind = "validation" if key.startswith("val_") else "training"
            ax.plot(epochs, values, label=kind,
                    marker="o" if len(values) <= 30 else None, markersize=3)
        ax.set_title(panel)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    if path is None:
        return fig
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
