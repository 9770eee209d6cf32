"""The graph as Graphviz DOT text: ``to_dot`` and the worker the backward frames share.

The text is built by hand (DeZero's way), so it needs no Graphviz install and is
deterministic: nodes are ``n0, n1, ...`` in traversal order, never ``id()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..autograd import toposort
from ..tensor import Tensor
from ._format import (
    MAX_VALUES_SHOWN, escape, escape_html, escape_record, fmt_array, fmt_number,
    names_from, nonfinite, op_text,
)
from .derivatives import local_derivatives
from .graph import (
    Fused, Group, depth, engine_gradients, fused_ops, groups, module_outputs,
)

#: to_dot refuses graphs with more nodes than this by default (see ``collapse=``)
MAX_NODES = 300
#: rankdir="auto" lays graphs with more ops than this on a path top to bottom
LONG_GRAPH = 4


@dataclass
class Options:
    """to_dot's keyword arguments."""

    show_data: bool = True
    show_grad: bool = True
    rankdir: str = "auto"
    names: Any = None
    collapse: Any = None
    max_nodes: int | None = MAX_NODES
    edge_labels: bool | None = None
    show_order: bool = True
    fuse: bool = True
    all_grads: bool = False


@dataclass
class Frame:
    """What a backward frame adds: the gradients known so far, the tensor being
    processed, a title."""

    grads: Mapping[int, np.ndarray] = field(default_factory=dict)
    current: Tensor | None = None
    title: str | None = None


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


def _tensor_label(t: Tensor, name: str | None, opts: Options,
                  grad: np.ndarray | None, across: bool) -> str:
    """Record label ``name | (2,) float32 | data [..] | grad [..]``."""
    fields = [] if name is None else [name]
    fields.append(f"{t.shape} {t.dtype}")
    small = t.size <= MAX_VALUES_SHOWN
    if opts.show_data and small:
        fields.append("data " + fmt_array(t.data))
    if opts.show_grad and small and grad is not None:
        fields.append("grad " + fmt_array(np.asarray(grad)))
    # a multi-line array is left-justified line by line (\\l), so its columns line up
    text = "|".join("\\l".join(escape_record(line) for line in f.split("\n"))
                    + ("\\l" if "\n" in f else "") for f in fields)
    return "{" + text + "}" if across else text


_RANKDIRS = ("auto", "LR", "RL", "TB", "BT")


class _Picture:
    """One drawing of the graph of ``root``: what is hidden, named, numbered."""

    def __init__(self, root: Tensor, opts: Options, frame: Frame | None) -> None:
        if not isinstance(root, Tensor):
            raise TypeError(f"to_dot: expected a Tensor, got {type(root).__name__}")
        rankdir = opts.rankdir
        if not isinstance(rankdir, str) or rankdir not in _RANKDIRS:
            raise ValueError(
                f"to_dot: rankdir must be auto, LR, RL, TB or BT, got {opts.rankdir!r}"
            )
        self.root, self.opts, self.frame = root, opts, frame
        self.order = toposort(root)  # data-flow order: the engine's
        tensor_names, module_names = names_from(opts.names)
        labels = {id(t): t.name or tensor_names.get(id(t)) for t in self.order}
        labels = {k: v for k, v in labels.items() if v}
        self.labels = {**module_outputs(self.order, labels), **labels}
        self.hidden: dict[int, Group] = groups(self.order, opts.collapse, self.labels,
                                               module_names)
        self.fused: dict[int, Fused] = {}
        if opts.fuse:
            self.fused = {k: f for k, f in fused_ops(self.order).items()
                          if k not in self.hidden}
        self.skipped = set().union(*(f.hides for f in self.fused.values()))
        self._check_size()
        self.step = {}  # backward visits the ops in reverse order: number them so
        for t in reversed(self.order):
            ctx = t.grad_fn
            if ctx is not None and id(ctx) not in self.hidden and id(
                    ctx) not in self.skipped:
                self.step[id(ctx)] = len(self.step) + 1
        self.rankdir = opts.rankdir
        if self.rankdir == "auto":
            self.rankdir = "TB" if depth(self.order) > LONG_GRAPH else "LR"
        self.edge_labels = opts.edge_labels
        if self.edge_labels is None:
            self.edge_labels = all(t.size == 1 for t in self.order)
        self.dot = _Dot()
        self.drawn_groups: set[int] = set()
        self.grads: dict[int, np.ndarray] | None = None  # None: show .grad
        if frame is not None:
            self.grads = dict(frame.grads)
        elif opts.all_grads and root.requires_grad:
            tracked = [t for t in self.order if t.requires_grad]
            self.grads = engine_gradients(root, tracked, None, "to_dot(all_grads=True)")

    def _check_size(self) -> None:
        n = len({id(g) for g in self.hidden.values()})
        for t in self.order:
            n += id(t) not in self.hidden and id(t) not in self.skipped
            ctx = t.grad_fn
            n += ctx is not None and id(ctx) not in self.hidden and id(
                ctx) not in self.skipped
        limit = self.opts.max_nodes
        if limit is not None and n > limit:
            raise ValueError(
                f"to_dot: the graph has {n} nodes, more than max_nodes={limit}; "
                "a picture that large is unreadable. Draw less (e.g. one sample, one "
                "layer), collapse modules into single nodes with collapse=[model."
                "layer1, ...] or collapse=['prefix'] (tensor names), or pass a larger "
                "max_nodes"
            )

    def rep(self, obj: Any) -> Any:
        return self.hidden.get(id(obj), obj)

    def draw_group(self, group: Group) -> None:
        if id(group) in self.drawn_groups:
            return
        self.drawn_groups.add(id(group))
        detail = f"{group.n_ops} op{'s' * (group.n_ops != 1)}"
        if group.n_params:
            detail += f", {group.n_params} parameter{'s' * (group.n_params != 1)}"
        label = (f"<<B>{escape_html(group.title)}</B><BR/>"
                 f"{escape_html(group.subtitle)}"
                 f'<BR/><FONT POINT-SIZE="8">{detail} inside</FONT>>')
        self.dot.node(group, shape="box3d", style="filled", fillcolor="#e6dcf5",
                      label=label)

    def draw_tensor(self, t: Tensor) -> None:
        frame = self.frame
        grad = t.grad.data if t.grad is not None else None
        if self.grads is not None:
            grad = self.grads.get(id(t))
        across = self.rankdir in ("TB", "BT")  # records stack fields only in braces
        attrs: dict[str, Any] = {"shape": "record", "label": _tensor_label(
            t, self.labels.get(id(t)), self.opts, grad, across)}
        if t is self.root:
            attrs.update(style="filled", fillcolor="#d4f4d4", penwidth=2)
        elif t.grad_fn is None and t.requires_grad:
            attrs.update(style="filled", fillcolor="#fff3c4")
        elif t.grad_fn is None:
            attrs.update(style="dashed", color="gray50", fontcolor="gray35")
        if frame is not None:  # a backward frame
            if t is frame.current:
                attrs.update(style="filled", fillcolor="#ffb347", penwidth=3)
            elif id(t) in frame.grads:
                attrs.update(color="darkgreen", penwidth=2)
        if nonfinite(t):
            attrs.update(color="red", fontcolor="red", penwidth=2)
        self.dot.node(t, **attrs)

    def draw_op(self, t: Tensor) -> None:
        ctx = t.grad_fn
        fused = self.fused.get(id(ctx))
        text = f"<<B>{escape_html(fused.label if fused else op_text(ctx))}</B>"
        if self.opts.show_order:
            text += f'<BR/><FONT POINT-SIZE="8">backward #{self.step[id(ctx)]}</FONT>'
        attrs = {"shape": "ellipse", "style": "filled", "fillcolor": "lightblue",
                 "label": text + ">"}
        if self.frame is not None and ctx is getattr(self.frame.current, "grad_fn", 0):
            attrs.update(fillcolor="#ffb347", penwidth=3)
        self.dot.node(ctx, **attrs)

    def draw_edges(self, t: Tensor) -> None:
        ctx = t.grad_fn
        fused = self.fused.get(id(ctx))
        inputs = fused.inputs if fused else ctx.inputs
        derivatives = [None] * len(inputs)
        if self.edge_labels and id(ctx) not in self.hidden and not fused:
            derivatives = local_derivatives(ctx, t)
        focus = self.frame is not None and ctx is getattr(self.frame.current,
                                                          "grad_fn", 0)
        seen: set[tuple[int, int]] = set()
        for x, d in zip(inputs, derivatives):
            a, b = self.rep(x), self.rep(ctx)
            via_group = a is not x or b is not ctx
            if a is b or (via_group and (id(a), id(b)) in seen):
                continue  # inside one group, or a repeat of a group's edge
            seen.add((id(a), id(b)))
            attrs = {}
            if d is not None:
                attrs["label"] = f"∂={fmt_number(float(d))}"
            if focus and x.requires_grad:
                attrs.update(color="red", fontcolor="red", penwidth=2.5, dir="back")
            self.dot.edge(a, b, **attrs)
        if self.rep(ctx) is not self.rep(t):
            self.dot.edge(self.rep(ctx), self.rep(t))

    def text(self) -> str:
        dot = self.dot
        dot.lines += ["digraph G {", f"  rankdir={self.rankdir};"]
        if self.frame is not None and self.frame.title:
            dot.lines.append(f'  label="{escape(self.frame.title)}"; labelloc=t; '
                             "fontname=monospace;")
        dot.lines += ["  node [fontname=monospace, fontsize=10];",
                      "  edge [fontname=monospace, fontsize=9];"]
        for t in self.order:
            if id(t) in self.skipped:
                continue
            if id(t) in self.hidden:
                self.draw_group(self.hidden[id(t)])
            else:
                self.draw_tensor(t)
            ctx = t.grad_fn
            if ctx is None:
                continue
            if id(ctx) in self.hidden:
                self.draw_group(self.hidden[id(ctx)])
            else:
                self.draw_op(t)
            self.draw_edges(t)
        return "\n".join(dot.lines + ["}"]) + "\n"


def graph_dot(root: Tensor, opts: Options, frame: Frame | None = None) -> str:
    """DOT text of the graph of ``root``; a backward ``frame`` adds its highlights."""
    return _Picture(root, opts, frame).text()
