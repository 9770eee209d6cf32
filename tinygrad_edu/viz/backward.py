"""Backpropagation frame by frame: ``render_backward`` (a folder of pictures); the
frames are shared with ``animate_backward`` (one interactive page, ``player.py``)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..tensor import Tensor
from ._format import MAX_VALUES_SHOWN, fmt_array, fmt_number, names_from, op_text
from .derivatives import local_derivatives
from .dot import Frame, Options, graph_dot
from .graph import backward_order, engine_gradients
from .render import FORMATS, write


@dataclass
class BackwardFrame:
    """One step of the sweep: a title, a caption (op, local derivatives, the
    gradient that arrives) and the picture as DOT text."""

    title: str
    caption: str
    dot: str


def _value(a: np.ndarray) -> str:
    return fmt_array(a, one_line=True) if a.size <= MAX_VALUES_SHOWN else (
        f"an array of shape {a.shape}")


def _caption(t: Tensor, called: Any, grad: np.ndarray) -> str:
    """Which op, which local derivatives, which gradient arrives."""
    arrives = f"{called(t)} receives its full gradient {_value(grad)}"
    if t.grad_fn is None:
        return f"{arrives}; a leaf: it is added into .grad"
    ctx = t.grad_fn
    text = f"{arrives}; {op_text(ctx)} multiplies it by its local derivatives"
    local = local_derivatives(ctx, t)
    g = float(grad.sum())  # used only for scalar ops, where local is not None
    parts = [f"{called(x)} gets {fmt_number(g)} × {fmt_number(d)} = "
             f"{fmt_number(g * d)}" for x, d in zip(ctx.inputs, local) if d is not None]
    if parts:
        return text + ": " + "; ".join(parts)
    return (f"{arrives}; {op_text(ctx)}'s backward turns it into the gradients of "
            "its inputs (for arrays: the vector-Jacobian product)")


def backward_frames(loss: Tensor, grad: Any = None, what: str = "render_backward",
                    **kwargs: Any) -> list[BackwardFrame]:
    """Frame 0 (before backward) and one frame per tensor backward visits."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"{what}: expected a Tensor, got {type(loss).__name__}")
    if not loss.requires_grad:
        raise RuntimeError(
            f"{what}: the tensor does not require grad (it has no graph); build it "
            "from tensors created with requires_grad=True"
        )
    visits = [t for t in backward_order(loss) if t.requires_grad]
    final = engine_gradients(loss, visits, grad, what)
    kwargs.setdefault("fuse", False)  # every op its own step
    try:
        opts = Options(**kwargs)
    except TypeError:
        unknown = sorted(set(kwargs) - set(Options.__dataclass_fields__))
        raise TypeError(f"{what}: unknown keyword argument(s) {unknown}; it takes "
                        "to_dot's keyword arguments") from None
    names_of, _ = names_from(opts.names)

    def called(t: Tensor) -> str:
        if t.name or names_of.get(id(t)):
            return t.name or names_of[id(t)]
        if t is loss:
            return "the output"
        return f"the result of {t.grad_fn.name}" if t.grad_fn else f"a {t.shape} leaf"

    title = (f"before backward: the forward pass is done; {len(visits)} steps to go, "
             "starting from the output with grad 1")
    frames = [BackwardFrame(title, title, graph_dot(loss, opts, Frame({}, None,
                                                                      title)))]
    known: dict[int, np.ndarray] = {}
    for k, current in enumerate(visits, 1):
        known[id(current)] = final[id(current)]
        if current.grad_fn is not None:
            title = (f"backward step {k}/{len(visits)}: {called(current)} has its full "
                     f"gradient; {current.grad_fn.name} passes it to its inputs")
        else:
            title = (f"backward step {k}/{len(visits)}: leaf {called(current)} is "
                     "reached; its gradient is added into .grad")
        dot = graph_dot(loss, opts, Frame(dict(known), current, title))
        caption = _caption(current, called, final[id(current)])
        frames.append(BackwardFrame(title, caption, dot))
    return frames


def render_backward(loss: Tensor, folder: str | Path, fmt: str = "svg",
                    grad: Any = None, **kwargs: Any) -> list[Path]:
    """One picture per step of ``loss.backward()``: the lecture's δ's, made visible.

    The sweep visits the tensors in the engine's backward order (the output
    first); when a tensor is reached its gradient is complete, and its op sends
    gradients on to its inputs. Frame 0 is the graph before backward; frame k
    highlights (orange) the k-th tensor visited and its op, draws the gradient
    flowing to the op's inputs as red arrows, and shows every gradient known so far
    (green borders).

    The gradients are computed once with ``tinygrad_edu.gradients`` (the engine,
    ``retain_graph=True``) and replayed; no ``.grad`` is changed, but the graph must
    still be there: call it before ``loss.backward()`` (or backward with
    ``retain_graph=True``); tensor hooks run once, as in any backward. Writes
    ``frame_000.dot``, ``frame_001.dot``, ... into ``folder`` and, when the Graphviz
    program is installed, ``frame_000.svg`` (``fmt``: ``"svg"`` or ``"png"``) too.
    Returns one path per frame: the pictures, or the ``.dot`` files without
    Graphviz. Takes ``to_dot``'s keyword arguments (``names=``, ...).
    """
    if FORMATS.get(f".{fmt}") is None:
        raise ValueError(
            f"render_backward: fmt must be 'svg', 'png' or 'pdf', got {fmt!r}"
        )
    frames = backward_frames(loss, grad, "render_backward", **kwargs)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    can_draw = shutil.which("dot") is not None
    paths: list[Path] = []
    for k, frame in enumerate(frames):
        dot_path = write(frame.dot, folder / f"frame_{k:03d}.dot", "render_backward")
        paths.append(write(frame.dot, dot_path.with_suffix(f".{fmt}"),
                           "render_backward") if can_draw else dot_path)
    return paths
