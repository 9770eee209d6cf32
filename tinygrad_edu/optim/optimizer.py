"""The optimizer base class: parameters, per-parameter state, step, state dicts.

An optimizer holds a list of parameters and, for each one *by position*, a small
dict of NumPy arrays (momentum, running averages, ...). ``step()`` hands each
parameter's array, its gradient's array and its state to the subclass's
``_update``, which changes them in place with NumPy: no graph is recorded and no
new state arrays are allocated after the first step.

Because state is kept by position (not by ``id``), ``state_dict()`` is plain data
(numbers, dicts, arrays) that ``tinygrad_edu.io.save`` writes and ``load`` reads
back; loading it into a fresh optimizer over the same model resumes the very same
trajectory.

Read next: ``optim/sgd.py``.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .. import autograd
from ..tensor import Tensor


def _check_params(params: Any, owner: str) -> list[Tensor]:
    """The parameters as a list: in order, each once, each a trainable leaf tensor."""
    if isinstance(params, Tensor):
        raise ValueError(
            f"{owner}: pass a list of parameters ([w]), not a single tensor"
        )
    if hasattr(params, "parameters") and callable(params.parameters):
        raise ValueError(f"{owner}: pass model.parameters(), not the model itself")
    try:
        params = list(params)
    except TypeError:
        raise ValueError(
            f"{owner}: params must be an iterable of parameters, got "
            f"{type(params).__name__}"
        ) from None
    result: list[Tensor] = []
    seen: set[int] = set()
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise ValueError(
                f"{owner}: parameter {i} is a {type(p).__name__}, not a Parameter "
                "(use nn.Parameter or a Tensor with requires_grad=True)"
            )
        if not p.requires_grad or p.grad_fn is not None:
            raise ValueError(
                f"{owner}: parameter {i} (shape {p.shape}) is not a trainable leaf: it "
                + (
                    "was computed by an op"
                    if p.grad_fn is not None
                    else "does not require grad"
                )
            )
        if id(p) not in seen:  # a parameter listed twice is updated once
            seen.add(id(p))
            result.append(p)
    if not result:
        raise ValueError(f"{owner}: got an empty parameter list (nothing to optimize)")
    return result


def nonnegative(owner: str, name: str, value: Any) -> float:
    """``value`` as a float, when it is a finite number >= 0; else a ValueError
    naming the optimizer and the hyper-parameter (a string lr would otherwise fail
    only at the first step, inside NumPy)."""
    number = isinstance(value, (int, float, np.number)) and not isinstance(
        value, (bool, np.bool_)
    )
    if not number or not 0 <= value < np.inf:
        raise ValueError(
            f"{owner}: invalid {name} {value!r}; it must be >= 0 (a finite number)"
        )
    return float(value)


class HyperParameters(dict):
    """The optimizer's hyper-parameters (``opt.hyper``); every change, by key
    (``opt.hyper["momentum"] = 0.9``) or attribute (``opt.momentum = 0.9``), is
    validated by the optimizer's own rules, as in its constructor."""

    def __init__(self, optimizer: "Optimizer", values: dict[str, Any]) -> None:
        super().__init__(optimizer._check_hyper(dict(values)))
        self._optimizer = optimizer

    def __setitem__(self, name: str, value: Any) -> None:
        if name not in self:
            raise KeyError(
                f"{type(self._optimizer).__name__} has no hyper-parameter {name!r}; "
                f"it has {sorted(self)}"
            )
        checked = self._optimizer._check_hyper({**self, name: value})
        super().__setitem__(name, checked[name])


def _flag(owner: str, name: str, value: Any) -> bool:
    """A yes/no hyper-parameter (SGD's nesterov): True or False, nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def _mark_modified(params: list[Tensor]) -> None:
    """Tell autograd the parameters changed in place (as PyTorch's version counter
    does), so a graph built before ``step()`` cannot silently backprop old values."""
    autograd.mark_modified(*params)


class Optimizer:
    """Holds parameters and per-parameter state; subclasses implement ``_update``.

    Attributes: ``params`` (list), ``lr`` (the base learning rate, settable: the
    schedulers set it), ``hyper`` (the other hyper-parameters), ``steps`` (steps
    taken), ``state`` (one dict of arrays per parameter, by position).
    """

    def __init__(self, params: Iterable[Tensor], lr: float, **hyper: Any) -> None:
        owner = type(self).__name__
        self.hyper = HyperParameters(self, hyper)
        self.params = _check_params(params, owner)
        self.lr = lr
        self.steps = 0
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self._work_arrays: dict[tuple, np.ndarray] = {}
        self._work_views: dict[tuple, np.ndarray] = {}  # (shape, dtype, slot) -> view

    # ---- hyper-parameters: validated whenever they are set ------------------------

    @property
    def lr(self) -> float:
        """The base learning rate (schedulers set it); a finite number >= 0."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = nonnegative(type(self).__name__, "lr", value)

    def _check_hyper(self, hyper: dict[str, Any]) -> dict[str, Any]:
        """The hyper-parameters validated and normalised; subclasses add their own
        rules. Runs in the constructor and on every later change."""
        owner = type(self).__name__
        return {
            name: (
                _flag(owner, name, value)
                if name in self._flags
                else nonnegative(owner, name, value)
            )
            for name, value in hyper.items()
        }

    _flags: tuple[str, ...] = ()  # yes/no hyper-parameters (SGD's nesterov, ...)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: opt.momentum reads opt.hyper
        hyper = self.__dict__.get("hyper")
        if hyper is not None and name in hyper:
            return hyper[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        hyper = self.__dict__.get("hyper")
        if hyper is not None and name in hyper:
            hyper[name] = value  # opt.momentum = 0.9: validated, as in the constructor
        else:
            super().__setattr__(name, value)

    @property
    def current_lr(self) -> float:
        """The learning rate the next ``step()`` uses."""
        return self.lr

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``)."""
        if autograd._trace_hook is not None:  # tinygrad_edu.compile records this call
            autograd._trace_hook.record_call(self.zero_grad, self)
        for p in self.params:
            p._grad = None  # (the slot behind .grad: compile replays this call)

    def step(self) -> None:
        """Update every parameter that has a gradient, in place.

        The learning rate comes from one place: ``current_lr`` (``lr`` as the
        schedulers set it, with the optimizer's own decay), read once per step and
        handed to every ``_update``; no ``_update`` reads ``self.lr``."""
        if autograd._trace_hook is not None:  # tinygrad_edu.compile records this call
            autograd._trace_hook.record_call(self.step, self)
        lr = self.current_lr
        updated = []
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                self._update(p.data, p.grad.data, state, lr)
                updated.append(p)
        self.steps += 1
        if updated:
            _mark_modified(updated)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, lr: float
    ) -> None:
        """Change ``param`` (and ``state``) in place, given ``grad``, at rate ``lr``."""
        raise NotImplementedError("abstract: subclasses implement _update")

    # ---- helpers for allocation-free updates -------------------------------------

    def _work(self, like: np.ndarray, slot: int = 0) -> np.ndarray:
        """A scratch array shaped like ``like``, shared by all parameters and kept
        between steps. Updates write their temporaries into it (``out=``): a fresh
        temporary the size of a weight matrix per step costs more than the update."""
        view = self._work_views.get((like.shape, like.dtype, slot))
        if view is not None:  # the common case: a view made at an earlier step
            return view
        key = (like.dtype, slot)
        buffer = self._work_arrays.get(key)
        if buffer is None or buffer.size < like.size:
            size = max(like.size, max(p.size for p in self.params))
            buffer = self._work_arrays[key] = np.empty(size, dtype=like.dtype)
            self._work_views.clear()  # views of a smaller buffer are stale
        view = buffer[: like.size].reshape(like.shape)
        self._work_views[(like.shape, like.dtype, slot)] = view
        return view

    def _add_weight_decay(
        self, param: np.ndarray, grad: np.ndarray, weight_decay: float
    ) -> np.ndarray:
        """``g + λθ`` (coupled L2) in a work array, leaving ``p.grad`` as it was."""
        if not weight_decay:
            return grad
        decayed = self._work(param, slot=1)
        np.multiply(param, weight_decay, out=decayed)
        decayed += grad
        return decayed

    # ---- checkpoints -------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: ``{"type", "lr", "steps", "hyper", "state"}``,
        ``state`` being a list (one dict per parameter) of array copies and counts."""
        return {
            "type": type(self).__name__,
            "lr": self.lr,
            "steps": self.steps,
            "hyper": dict(self.hyper),
            "state": [
                {
                    k: (v.copy() if isinstance(v, np.ndarray) else v)
                    for k, v in s.items()
                }
                for s in self.state
            ],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from ``state_dict()`` (taken from an optimizer of the same type over
        parameters of the same shapes, in the same order)."""
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or "state" not in state_dict:
            raise ValueError(
                f"{owner}: expected an optimizer state dict, got "
                f"{type(state_dict).__name__}"
            )
        kind = state_dict.get("type", type(self).__name__)
        if kind != type(self).__name__:
            raise ValueError(
                f"{owner}: the state dict is from a {kind}, not a {type(self).__name__}"
            )
        hyper = dict(state_dict.get("hyper", {}))
        if set(hyper) != set(self.hyper):
            raise ValueError(
                f"{owner}: hyper-parameters {sorted(hyper)} do not match "
                f"{sorted(self.hyper)}"
            )
        states = list(state_dict["state"])
        if len(states) != len(self.params):
            raise ValueError(
                f"{owner}: the state dict has state for {len(states)} parameters, this "
                f"optimizer has {len(self.params)}"
            )
        new_states = []
        for i, (p, s) in enumerate(zip(self.params, states)):
            new = {}
            for name, value in dict(s).items():
                if isinstance(value, (np.ndarray, Tensor)):
                    value = np.asarray(
                        value.data if isinstance(value, Tensor) else value
                    )
                    if value.shape != p.shape:
                        raise ValueError(
                            f"{owner}: state {name!r} of parameter {i} has shape "
                            f"{value.shape}, the parameter has shape {p.shape}"
                        )
                    value = value.astype(p.dtype, copy=True)  # ours, not the dict's
                new[name] = value
            new_states.append(new)
        self.lr = state_dict["lr"]
        self.steps = int(state_dict["steps"])
        self.hyper = HyperParameters(self, hyper)
        self.state = new_states

    def __repr__(self) -> str:
        hyper = "".join(f", {k}={v}" for k, v in self.hyper.items())
        return (
            f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr}{hyper})"
        )
