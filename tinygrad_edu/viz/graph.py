"""What a picture shows of a graph: the order, the names, collapsed and fused parts.

The order is the engine's: ``autograd.toposort`` lists every tensor after its
inputs, and backward visits them in reverse (``backward_order``). Everything else
here decides what to hide: ``collapse=`` groups (a Module or a name prefix drawn
as one box) and fused ops (``mean`` = ``sum → multiply 1/n`` drawn as one ``mean``
node; a loss followed by its mean drawn as one node named for the loss).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..autograd import toposort
from ..tensor import Tensor
from ._format import format_op, module_title, op_parts


def backward_order(root: Tensor) -> list[Tensor]:
    """The tensors in the order backward visits them: the output first.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor(1.0, requires_grad=True, name="x")
    >>> [t.name or t.grad_fn.name for t in backward_order(x.exp().tanh())]
    ['tanh', 'exp', 'x']
    """
    return toposort(root)[::-1]


def engine_gradients(loss: Tensor, tracked: list[Tensor], grad: Any,
                      what: str) -> dict[int, np.ndarray]:
    """{id(t): d loss/d t} from the engine, leaving every .grad untouched."""
    from .. import gradients

    try:
        found = gradients(loss, tracked, grad_output=grad, retain_graph=True)
    except RuntimeError as error:
        if "second time" not in str(error):
            raise
        raise RuntimeError(
            f"{what}: the graph was freed by an earlier backward; call {what} "
            "before loss.backward(), or call loss.backward(retain_graph=True)"
        ) from None
    return {id(t): g.data for t, g in zip(tracked, found)}


def consumers(order: list[Tensor]) -> dict[int, list[Any]]:
    """{id(tensor): the op records that take it as input}."""
    used: dict[int, list[Any]] = {}
    for t in order:
        if t.grad_fn is not None:
            for x in t.grad_fn.inputs:
                used.setdefault(id(x), []).append(t.grad_fn)
    return used


# ---- fused ops: mean, and a loss with its reduction --------------------------------


@dataclass
class Fused:
    """One drawn op standing for several recorded ones."""

    label: str
    inputs: list[Tensor]
    hides: set[int] = field(default_factory=set)  # ids of tensors and op records


def _is_loss(name: str) -> bool:
    return "loss" in name or "cross_entropy" in name


def _mean_of(t: Tensor, used: dict[int, list[Any]]) -> Fused | None:
    """``t = sum(x) * (1/n)`` with n the number of summed elements → ``mean(x)``."""
    ctx = t.grad_fn
    if ctx is None or ctx.name != "multiply" or len(ctx.inputs) != 2:
        return None
    s, k = ctx.inputs
    if s.grad_fn is None or s.grad_fn.name != "sum" or len(used.get(id(s), [])) != 1:
        return None
    if k.grad_fn is not None or k.requires_grad or k.size != 1 or s.size == 0:
        return None
    x = s.grad_fn.inputs[0]
    if not np.isclose(float(k.data), s.size / x.size, rtol=1e-6):
        return None
    label = format_op("mean", op_parts(s.grad_fn)[1])
    return Fused(label, [x], {id(s), id(s.grad_fn), id(k)})


def fused_ops(order: list[Tensor]) -> dict[int, Fused]:
    """{id(op record drawn): Fused} for every mean (and loss + mean) in the graph."""
    used = consumers(order)
    fused: dict[int, Fused] = {}
    for t in order:
        mean = _mean_of(t, used)
        if mean is None:
            continue
        x = mean.inputs[0]
        if (x.grad_fn is not None and _is_loss(x.grad_fn.name)
                and len(used.get(id(x), [])) == 1):
            # a loss per sample, then its mean: one node named for the loss
            mean = Fused(x.grad_fn.name, list(x.grad_fn.inputs),
                         mean.hides | {id(x), id(x.grad_fn)})
        fused[id(t.grad_fn)] = mean
    return fused


# ---- collapse=: groups ----------------------------------------------------------


class Group:
    """A collapsed part of the graph, drawn as one node."""

    def __init__(self, title: str, subtitle: str) -> None:
        self.title, self.subtitle = title, subtitle
        self.n_ops = 0
        self.n_params = 0


def _group_members(order: list[Tensor], item: Any, title: str | None,
                   labels: dict[int, str], module_names: dict[int, str]):
    """(group, tensors it may hide, {id(op): op} it hides) for one collapse item."""
    if isinstance(item, str):
        group = Group(title or item, "collapsed by name")
        tensors = [t for t in order if labels.get(id(t), "").startswith(item)]
        ops = {id(t.grad_fn): t.grad_fn for t in tensors if t.grad_fn is not None}
        return group, tensors, ops
    if not hasattr(item, "parameters"):
        raise TypeError(
            f"collapse: expected Modules or name prefixes (str), got "
            f"{type(item).__name__}"
        )
    name = title or module_names.get(id(item))
    group = Group(name or module_title(item),
                  module_title(item) if name else "collapsed module")
    params = {id(p) for p in item.parameters()}
    tensors = [t for t in order if id(t) in params]
    ops = {id(t.grad_fn): t.grad_fn for t in order if t.grad_fn is not None
           and any(id(x) in params for x in t.grad_fn.inputs)}
    tensors += [t for t in order if t.grad_fn is not None and id(t.grad_fn) in ops]
    return group, tensors, ops


def groups(order: list[Tensor], collapse: Any, labels: dict[int, str],
           module_names: dict[int, str]) -> dict[int, Group]:
    """{id of a hidden tensor or op record: its group} for ``collapse=``.

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
    items = list(collapse.items()) if isinstance(collapse, Mapping) else [
        (None, c) for c in collapse]
    root = order[-1]
    used = consumers(order)
    owner: dict[int, Group] = {}
    for title, item in items:
        group, tensors, ops = _group_members(order, item, title, labels, module_names)
        for op_id in ops:
            owner.setdefault(op_id, group)
        group.n_ops = len(ops)
        for t in tensors:
            inside = t is not root and all(id(c) in ops for c in used.get(id(t), []))
            if inside and id(t) not in owner:
                owner[id(t)] = group
                group.n_params += t.grad_fn is None and t.requires_grad
    return owner


def module_outputs(order: list[Tensor], tensor_names: dict[int, str]) -> dict[int, str]:
    """Names for the outputs of layers: the op using ``layers.0.weight`` makes
    ``layers.0``."""
    names: dict[int, str] = {}
    for t in order:
        if t.grad_fn is None or id(t) in tensor_names:
            continue
        for x in t.grad_fn.inputs:
            owner = tensor_names.get(id(x), "")
            if owner.endswith(".weight"):
                names[id(t)] = owner[: -len(".weight")]
                break
    return names


def depth(order: list[Tensor]) -> int:
    """The most ops on any path from a leaf to the output."""
    level: dict[int, int] = {}
    for t in order:
        inputs = t.grad_fn.inputs if t.grad_fn is not None else ()
        level[id(t)] = max((level[id(x)] + 1 for x in inputs), default=0)
    return level[id(order[-1])]
