"""Seeing it: the computation graph, the backward pass, the architecture, the curves.

- ``to_dot(t)`` writes the graph that produced ``t`` as Graphviz DOT *text*
  (``dot.py``), built by hand, so it needs no Graphviz install and is deterministic.
- ``print_graph(t)``: the same graph as an indented text tree, for terminals
  (``text.py``).
- ``draw_graph(t)`` → ``graphviz.Digraph`` (shows inline in Jupyter) and
  ``render(t, "graph.svg")`` (``.svg``/``.png``/``.pdf``/``.dot``) draw that text
  (``render.py``).
- ``render_backward(loss, folder)``: one picture per step of backpropagation
  (``backward.py``); ``animate_backward(loss)``: the same frames as one interactive
  page (``player.py``).
- ``draw_mlp(model)``: the layered neuron diagram (``mlp.py``);
  ``plot_history(history)``, ``plot_lr_find(result)``: curves (``curves.py``, needs
  matplotlib: ``pip install tinygrad-edu[plot]``).

How to read a graph picture (data flows left to right, or top to bottom for long
graphs):

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

from ._format import MAX_VALUES_SHOWN, op_text
from .backward import render_backward
from .curves import plot_history, plot_lr_find
from .derivatives import local_derivatives
from .dot import MAX_NODES
from .mlp import draw_mlp, mlp_to_dot
from .player import BackwardPlayer, animate_backward
from .render import draw_graph, render, to_dot
from .text import print_graph

__all__ = [
    "to_dot", "print_graph", "draw_graph", "render", "render_backward",
    "local_derivatives", "mlp_to_dot", "draw_mlp", "plot_history", "plot_lr_find",
    "op_text", "MAX_NODES", "MAX_VALUES_SHOWN", "animate_backward", "BackwardPlayer",
]
