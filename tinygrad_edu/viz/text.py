"""The graph as an indented text tree, for terminals: ``print_graph``."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from ._format import (
    MAX_VALUES_SHOWN, fmt_array, names_from, nonfinite, op_text, visible,
)
from .graph import backward_order


def _describe(t: Tensor, name: str, step: dict[int, int], show_data: bool,
              show_grad: bool) -> str:
    text = f"{name}: {t.shape} {t.dtype}"
    small = t.size <= MAX_VALUES_SHOWN
    if show_data and small:
        text += " = " + fmt_array(t.data, one_line=True)
    if show_grad and small and t.grad is not None:
        text += ", grad " + fmt_array(t.grad.data, one_line=True)
    if t.grad_fn is not None:
        text += f"  ← {op_text(t.grad_fn)}  (backward #{step[id(t.grad_fn)]})"
    elif t.requires_grad:
        text += "  [leaf]"
    else:
        text += "  [constant]"
    if nonfinite(t):
        text += "  [NaN/Inf!]"
    return text


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
    if not isinstance(tensor, Tensor):
        raise TypeError(f"print_graph: expected a Tensor, got {type(tensor).__name__}")
    visits = backward_order(tensor)
    tensor_names, _ = names_from(names)
    ids = {}
    for t in reversed(visits):  # the same numbering as to_dot: tensor, then its op
        ids[id(t)] = f"n{len(ids)}"
        if t.grad_fn is not None:
            ids[id(t.grad_fn)] = f"n{len(ids)}"
    step = {id(t.grad_fn): k + 1 for k, t in enumerate(
        [t for t in visits if t.grad_fn is not None])}

    def name(t: Tensor) -> str:
        return visible(t.name or tensor_names.get(id(t)) or ids[id(t)])

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
            lines.append(f"{branch}{name(t)} (see above)")
            continue
        shown.add(id(t))
        lines.append(branch + _describe(t, name(t), step, show_data, show_grad))
        if t.grad_fn is not None:
            inputs = t.grad_fn.inputs
            for i in reversed(range(len(inputs))):
                last = i == len(inputs) - 1
                stack.append((inputs[i], prefix + ("    " if last else "│   "),
                              prefix + ("└── " if last else "├── ")))
    text = "\n".join(lines)
    print(text, file=file)
    return text
