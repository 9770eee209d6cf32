"""The learning rate comes from one place, and hyper-parameters set after
construction are validated as in the constructor (issues 13.10 and 18.9)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader
from tinygrad_edu.optim import lr_scheduler

from .test_trajectories import (
    _assert_same,
    _run_library,
    _run_reference,
    _skip_some,
    adagrad_reference,
    adam_reference,
    keras_sgd,
    rmsprop_reference,
)

GAMMA = 0.9  # ExponentialLR's factor: the base rate changes at every step


def _scheduled(make):
    """The library's optimizer with ExponentialLR stepped after every step."""

    class Scheduled:
        def __init__(self, params):
            self.opt = make(params)
            self.schedule = lr_scheduler.ExponentialLR(self.opt, gamma=GAMMA)

        def step(self):
            self.opt.step()
            self.schedule.step()

    return Scheduled


def _reference_with_changing_lr(reference, base_lr, **kw):
    """The published equations, rebuilt each step with that step's base rate (the
    references keep all their memory in ``state``)."""

    def update(theta, g, state, t):
        return reference(lr=base_lr * GAMMA**t, **kw)(theta, g, state, t)

    return update


CASES = [
    (
        "SGD",
        dict(lr=0.05, momentum=0.9, decay=0.1),
        keras_sgd,
        {"momentum": 0.9, "decay": 0.1},
    ),
    (
        "SGD",
        dict(lr=0.05, momentum=0.5, nesterov=True, decay=0.05),
        keras_sgd,
        {"momentum": 0.5, "nesterov": True, "decay": 0.05},
    ),
    ("Adam", dict(lr=0.02, weight_decay=0.1), adam_reference, {"weight_decay": 0.1}),
    (
        "AdamW",
        dict(lr=0.02, weight_decay=0.3),
        adam_reference,
        {"weight_decay": 0.3, "decoupled": True},
    ),
    (
        "RMSprop",
        dict(lr=0.01, momentum=0.5, centered=True),
        rmsprop_reference,
        {"momentum": 0.5, "centered": True},
    ),
    (
        "Adagrad",
        dict(lr=0.1, lr_decay=0.05, weight_decay=0.1),
        adagrad_reference,
        {"lr_decay": 0.05, "weight_decay": 0.1},
    ),
]


@pytest.mark.parametrize(
    "name, kw, reference, ref_kw", CASES, ids=lambda v: str(v)[:40]
)
@pytest.mark.parametrize("skip", [None, _skip_some], ids=["all-grads", "some-missing"])
def test_each_step_uses_the_lr_the_scheduler_set(name, kw, reference, ref_kw, skip):
    make = _scheduled(lambda p: getattr(optim, name)(p, **kw))
    ours = _run_library(make, skip)
    theirs = _run_reference(
        _reference_with_changing_lr(reference, kw["lr"], **ref_kw), skip
    )
    _assert_same(ours, theirs)
    # and the schedule did change the rate: a constant one gives another trajectory
    constant = _run_reference(reference(lr=kw["lr"], **ref_kw), skip)
    assert not np.allclose(ours[-1][0], constant[-1][0])


def test_adagrad_uses_the_lr_it_is_given():
    """Adagrad._update used to read self.lr: the rate handed to it was ignored."""
    p = nn.Parameter([1.0])
    opt = optim.Adagrad([p], lr=0.1)
    p.grad = nn.Parameter([2.0])
    opt._update(p.data, p.grad.data, opt.state[0], 0.5)  # the rate the step gives
    assert p.item() == pytest.approx(1.0 - 0.5 * 2.0 / 2.0)


# ---- validated setters -----------------------------------------------------------------

ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("bad", ["abc", -1, float("nan"), float("inf"), None, True])
def test_setting_a_bad_lr_fails_at_once_naming_it(name, bad):
    opt = getattr(optim, name)([nn.Parameter([1.0])], lr=0.1)
    with pytest.raises(ValueError, match=rf"{name}: invalid lr {bad!r}"):
        opt.lr = bad
    assert opt.lr == 0.1  # unchanged
    opt.lr = 0.5
    assert opt.lr == 0.5 and isinstance(opt.lr, float)


@pytest.mark.parametrize(
    "make, name, bad, match",
    [
        (
            lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
            "momentum",
            -0.5,
            "SGD: invalid momentum -0.5",
        ),
        (
            lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
            "momentum",
            "high",
            "SGD: invalid momentum 'high'",
        ),
        (
            lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
            "momentum",
            0.0,
            "nesterov=True needs momentum > 0",
        ),
        (lambda p: optim.SGD(p, lr=0.1), "decay", float("nan"), "SGD: invalid decay"),
        (lambda p: optim.Adam(p), "betas", (0.9, 1.0), r"Adam: betas\[1\] must be in"),
        (lambda p: optim.Adam(p), "betas", 0.9, "betas must be a pair"),
        (lambda p: optim.AdamW(p), "weight_decay", -1, "AdamW: invalid weight_decay"),
        (
            lambda p: optim.RMSprop(p),
            "alpha",
            2.0,
            r"RMSprop: alpha must be in \[0, 1\]",
        ),
        (lambda p: optim.Adagrad(p), "eps", "tiny", "Adagrad: invalid eps 'tiny'"),
    ],
)
def test_setting_a_bad_hyper_parameter_fails_at_once(make, name, bad, match):
    opt = make([nn.Parameter([1.0])])
    before = opt.hyper[name]
    for assign in (
        lambda: setattr(opt, name, bad),
        lambda: opt.hyper.__setitem__(name, bad),
    ):
        with pytest.raises(ValueError, match=match):
            assign()
        assert opt.hyper[name] == before and getattr(opt, name) == before


def test_a_valid_change_takes_effect():
    p = nn.Parameter([1.0])
    opt = optim.SGD([p], lr=0.1)
    opt.momentum = 0.5  # the attribute is the hyper-parameter the step reads
    assert opt.hyper["momentum"] == 0.5
    for _ in range(2):
        p.grad = nn.Parameter([1.0])
        opt.step()
    # v1 = −0.1, v2 = 0.5·v1 − 0.1 = −0.15: θ = 1 − 0.25
    assert p.item() == pytest.approx(0.75)


def test_unknown_hyper_parameters_are_named():
    opt = optim.SGD([nn.Parameter([1.0])], lr=0.1)
    with pytest.raises(KeyError, match="SGD has no hyper-parameter 'beta'"):
        opt.hyper["beta"] = 0.9
    with pytest.raises(AttributeError, match="SGD has no attribute 'betas'"):
        _ = opt.betas


def test_a_scheduler_cannot_set_a_negative_rate():
    opt = optim.SGD([nn.Parameter([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="SGD: invalid lr"):
        opt.lr = -math.inf


@pytest.mark.parametrize(
    "seed, error",
    [("a", TypeError), (1.5, TypeError), (True, TypeError), (-1, ValueError)],
)
def test_dataloader_seed_errors_name_dataloader(seed, error):
    with pytest.raises(
        error,
        match=rf"DataLoader: seed must be None or a non-negative int, got {seed!r}",
    ):
        DataLoader(np.ones((4, 2)), np.ones(4), seed=seed)
