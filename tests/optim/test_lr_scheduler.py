"""Learning-rate schedulers: PyTorch's semantics (step() after each epoch sets opt.lr)."""

import math

import pytest

from tinygrad_edu import nn, optim
from tinygrad_edu.optim import lr_scheduler


def _opt(lr=1.0, **kw):
    return optim.SGD([nn.Parameter([0.0])], lr=lr, **kw)


def _rates(opt, sched, epochs=8):
    """The lr used in each epoch: read before the epoch's scheduler step."""
    rates = []
    for _ in range(epochs):
        rates.append(opt.lr)
        opt.step()
        sched.step()
    return rates


def test_step_lr():
    opt = _opt(0.8)
    sched = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    assert sched.last_epoch == 0 and sched.get_last_lr() == [0.8]
    assert _rates(opt, sched) == pytest.approx([0.8] * 3 + [0.4] * 3 + [0.2] * 2)
    assert sched.last_epoch == 8 and sched.get_last_lr() == [opt.lr]


def test_exponential_lr():
    opt = _opt(2.0)
    rates = _rates(opt, lr_scheduler.ExponentialLR(opt, gamma=0.9))
    assert rates == pytest.approx([2.0 * 0.9**e for e in range(8)])


def test_cosine_annealing_lr():
    opt = _opt(1.0)
    T, eta = 5, 0.1
    rates = _rates(opt, lr_scheduler.CosineAnnealingLR(opt, T_max=T, eta_min=eta), epochs=11)
    expected = [eta + (1 - eta) * (1 + math.cos(math.pi * e / T)) / 2 for e in range(11)]
    assert rates == pytest.approx(expected)
    assert rates[T] == pytest.approx(eta) and rates[2 * T] == pytest.approx(1.0)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    opt = _opt(0.5)
    scheduler = lr_scheduler.InverseTimeDecay(
        opt, decay_rate=0.5, decay_steps=2, staircase=staircase
    )
    rates = _rates(opt, scheduler)
    progress = [(e // 2 if staircase else e / 2) for e in range(8)]
    assert rates == pytest.approx([0.5 / (1 + 0.5 * p) for p in progress])


def test_scheduler_sets_base_lr_and_sgd_decay_still_applies():
    opt = _opt(1.0, decay=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.lr == 0.5 and opt.current_lr == pytest.approx(0.5 / 2)


def test_chained_schedulers_share_the_initial_lr():
    opt = _opt(1.0)
    lr_scheduler.StepLR(opt, step_size=1, gamma=0.5).step()
    assert opt.initial_lr == 1.0
    second = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    assert second.base_lr == 1.0


def test_scheduler_state_dict_round_trip():
    opt = _opt(1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(3):
        sched.step()
    other = lr_scheduler.StepLR(_opt(1.0), step_size=5, gamma=0.5)
    other.load_state_dict(sched.state_dict())
    other.step()
    sched.step()
    assert other.get_last_lr() == sched.get_last_lr()
    with pytest.raises(ValueError, match="unexpected key"):
        other.load_state_dict({"bogus": 1})


def test_scheduler_errors():
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(_opt(), step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        lr_scheduler.CosineAnnealingLR(_opt(), T_max=0)
    with pytest.raises(ValueError, match="decay_rate"):
        lr_scheduler.InverseTimeDecay(_opt(), decay_rate=-1)
    with pytest.raises(ValueError, match="initial_lr"):
        lr_scheduler.ExponentialLR(_opt(), gamma=0.5, last_epoch=3)
    with pytest.raises(TypeError, match="Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)


NAN = float("nan")


@pytest.mark.parametrize(
    "make, kind, says",
    [
        # a negative, NaN or infinite rate factor would only fail epochs later, as
        # "SGD: invalid lr"
        (lambda o: lr_scheduler.StepLR(o, 1, gamma=-1), ValueError,
         r"StepLR: gamma must be a finite number >= 0, got -1"),
        (lambda o: lr_scheduler.StepLR(o, 1, gamma=float("inf")), ValueError,
         r"StepLR: gamma must be a finite number >= 0, got inf"),
        (lambda o: lr_scheduler.ExponentialLR(o, NAN), ValueError,
         r"ExponentialLR: gamma must be a finite number >= 0, got nan"),
        (lambda o: lr_scheduler.ExponentialLR(o, -0.5), ValueError,
         r"ExponentialLR: gamma must be a finite number >= 0, got -0.5"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, 2, eta_min=-1), ValueError,
         r"CosineAnnealingLR: eta_min must be a finite number >= 0, got -1"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, 2, eta_min=NAN), ValueError,
         r"CosineAnnealingLR: eta_min must be a finite number >= 0, got nan"),
        (lambda o: lr_scheduler.InverseTimeDecay(o, NAN), ValueError,
         r"InverseTimeDecay: decay_rate must be a finite number >= 0, got nan"),
        # not numbers at all
        (lambda o: lr_scheduler.ExponentialLR(o, "a"), TypeError,
         r"ExponentialLR: gamma must be a number, got 'a'"),
        (lambda o: lr_scheduler.StepLR(o, 1, gamma=None), TypeError,
         r"StepLR: gamma must be a number, got None"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, 2, eta_min="0"), TypeError,
         r"CosineAnnealingLR: eta_min must be a number, got '0'"),
        (lambda o: lr_scheduler.InverseTimeDecay(o, "a"), TypeError,
         r"InverseTimeDecay: decay_rate must be a number, got 'a'"),
        # step counts are whole numbers: 1.5 was silently truncated to 1
        (lambda o: lr_scheduler.StepLR(o, step_size=1.5), TypeError,
         r"StepLR: step_size must be a positive int, got 1.5"),
        (lambda o: lr_scheduler.StepLR(o, step_size="2"), TypeError,
         r"StepLR: step_size must be a positive int, got '2'"),
        (lambda o: lr_scheduler.InverseTimeDecay(o, 0.5, decay_steps=1.5), TypeError,
         r"InverseTimeDecay: decay_steps must be a positive int, got 1.5"),
        (lambda o: lr_scheduler.InverseTimeDecay(o, 0.5, decay_steps=0), ValueError,
         r"InverseTimeDecay: decay_steps must be a positive int, got 0"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=2.5), TypeError,
         r"CosineAnnealingLR: T_max must be a positive int, got 2.5"),
    ],
)
def test_scheduler_arguments_are_checked_at_construction(make, kind, says):
    opt = _opt()
    with pytest.raises(kind, match="^" + says.replace(".", r"\.") + "$"):
        make(opt)
    assert opt.lr == 1.0  # refused before touching the optimizer


def test_scheduler_accepts_numpy_numbers_and_zero():
    import numpy as np

    opt = _opt()
    sched = lr_scheduler.StepLR(opt, np.int64(2), gamma=np.float32(0.5))
    assert sched.step_size == 2 and sched.gamma == 0.5
    assert lr_scheduler.ExponentialLR(_opt(), 0).gamma == 0.0
    assert lr_scheduler.CosineAnnealingLR(_opt(), 2, eta_min=0).eta_min == 0.0
