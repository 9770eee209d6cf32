"""Text for pictures: escaping, numbers and small arrays, op labels, tensor names.

Everything viz knows about an op record beyond ``grad_fn.name`` and
``grad_fn.inputs`` goes through ``op_parts`` (one place to adapt when the engine
changes how it stores an op's Function and parameters).
"""

from __future__ import annotations

import html
import re
from typing import Any, Mapping

import numpy as np

from ..tensor import Tensor

#: tensors with at most this many elements show their values and gradient
MAX_VALUES_SHOWN = 6

# control characters (NUL, ESC, ...) make Graphviz fail or print garbage: shown as \xNN
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def op_parts(grad_fn: Any) -> tuple[Any, dict]:
    """(the ``Function`` class, its keyword parameters) of an op record.

    The only place viz reads past the public ``.name``/``.inputs`` of ``grad_fn``.
    """
    fn = getattr(grad_fn, "fn", None)
    params = getattr(grad_fn, "params", None) or {}
    return fn, dict(params)


def visible(text: str) -> str:
    r"""Control characters written as ``\xNN`` (a NUL byte breaks Graphviz).

    >>> visible("a\x00b\tc")
    'a\\x00b\\x09c'
    """
    text = text.replace("\t", "\\x09")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def escape(text: str) -> str:
    """Escape for a double-quoted DOT string."""
    text = visible(text).replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("\n", "\\n")


def escape_record(text: str) -> str:
    """Escape for one field of a ``shape=record`` label, where {}|<> are syntax."""
    text = visible(text).replace("\\", "\\\\")
    text = re.sub(r'([{}|<>"])', r"\\\1", text)
    return text.replace("\n", "\\n")


def escape_html(text: str) -> str:
    """Escape for a Graphviz HTML-like label (or an HTML page)."""
    return html.escape(visible(text), quote=True)


def fmt_number(x: Any) -> str:
    """A number with 4 significant digits (``-0.0`` shown as ``0``)."""
    x = x.item() if isinstance(x, np.generic) else x
    if isinstance(x, float):
        return f"{x + 0.0:.4g}"  # + 0.0 turns -0.0 into 0
    return str(x)


def fmt_array(a: np.ndarray, one_line: bool = False) -> str:
    """Values of a small array, 4 significant digits, independent of print options.

    >>> fmt_array(np.array([1.0, -0.0, 2.5]))
    '[1. , 0. , 2.5]'
    """
    if a.ndim == 0:
        return fmt_number(a.item())
    if a.dtype.kind == "f":
        a = a + 0.0  # no "-0." in pictures
    with np.printoptions(precision=4, suppress=True, threshold=1000, linewidth=60,
                         floatmode="maxprec", legacy=False, sign="-"):
        text = np.array2string(a, separator=", ")
    return " ".join(text.split()) if one_line else text


def nonfinite(t: Tensor) -> bool:
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
    return fmt_number(value)


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
            out.append(fmt_array(p, one_line=True) if p.size <= MAX_VALUES_SHOWN
                       else f"array{p.shape}")
        else:
            out.append(str(p))
    return ", ".join(out)


def format_op(name: str, params: Mapping[str, Any]) -> str:
    """``leaky_relu(0.1)``, ``sum(axis=0)``: an op name with its non-default params."""
    if name == "getitem" and "index" in params:
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
    return f"{name}({', '.join(args)})" if args else name


def op_text(grad_fn: Any) -> str:
    """An op as people write it: ``leaky_relu(0.1)``, ``sum(axis=0)``, ``getitem[1:]``.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([1.0, -2.0], requires_grad=True)
    >>> op_text(x.leaky_relu(0.1).grad_fn), op_text(x.sum(axis=0).grad_fn)
    ('leaky_relu(0.1)', 'sum(axis=0)')
    >>> op_text(x.sum().grad_fn), op_text(x[1:].grad_fn)
    ('sum', 'getitem[1:]')
    """
    return format_op(grad_fn.name, op_parts(grad_fn)[1])


def _is_module(value: Any) -> bool:
    return hasattr(value, "named_parameters") and hasattr(value, "named_modules")


def names_from(names: Any) -> tuple[dict[int, str], dict[int, str]]:
    """({id(tensor): name}, {id(module): name}) from ``names=``.

    ``names`` is a mapping such as ``locals()`` (the first variable bound to an object
    wins; names starting with ``_`` are skipped; a Module among the values names its
    parameters ``model.layers.0.weight``), a Module, whose parameters and
    sub-modules get their dotted names (``layers.0.weight``), or a list of these
    (``[model, {"loss": loss}]``).
    """
    tensors: dict[int, str] = {}
    modules: dict[int, str] = {}
    if names is None:
        return tensors, modules
    if isinstance(names, (list, tuple)) and names and all(
            _is_module(n) or isinstance(n, Mapping) for n in names):
        for source in names:  # several sources: the first to name a tensor wins
            more_tensors, more_modules = names_from(source)
            tensors = {**more_tensors, **tensors}
            modules = {**more_modules, **modules}
        return tensors, modules
    if _is_module(names):
        names = {"": names}
    elif not isinstance(names, Mapping):
        raise TypeError(
            f"names: expected a mapping such as locals(), a Module or a list of "
            f"them, got "
            f"{type(names).__name__}"
        )
    for name, value in names.items():
        if not isinstance(name, str) or (name.startswith("_")):
            continue
        if isinstance(value, Tensor):
            tensors.setdefault(id(value), name)
        elif _is_module(value):
            for sub, m in value.named_modules():
                full = ".".join(part for part in (name, sub) if part)
                if full:
                    modules.setdefault(id(m), full)
            for sub, p in value.named_parameters():
                tensors.setdefault(id(p), f"{name}.{sub}" if name else sub)
    return tensors, modules


def module_title(module: Any) -> str:
    """``Linear 2→4`` for a Linear, else the class name."""
    kind = type(module).__name__
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return f"{kind} {module.in_features}→{module.out_features}"
    return kind
