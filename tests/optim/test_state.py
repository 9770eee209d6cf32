"""Optimizer state dicts: resuming from a checkpoint (through files) equals never
stopping; mismatched state is refused."""

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim
from tinygrad_edu.io import load, save

OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, decay=0.01, weight_decay=1e-3)),
    ("Adam", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
]


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 3)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def _train(model, opt, steps, sched=None):
    X, y = _data()
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(X), y).backward()
        opt.step()
        if sched is not None:
            sched.step()


def _fresh(name, kw, seed):
    tg.manual_seed(seed)
    model = nn.MLP([3, 6, 2])
    opt = getattr(optim, name)(model.parameters(), **kw)
    return model, opt


@pytest.mark.parametrize("name, kw", OPTIMIZERS, ids=str)
def test_resume_from_checkpoint_equals_uninterrupted_run(name, kw, tmp_path):
    straight, straight_opt = _fresh(name, kw, seed=0)
    _train(straight, straight_opt, 20)

    model, opt = _fresh(name, kw, seed=0)
    _train(model, opt, 8)
    save(model.state_dict(), tmp_path / "model.npz")
    save(opt.state_dict(), tmp_path / "opt.npz")

    resumed, resumed_opt = _fresh(name, kw, seed=99)  # different weights to start
    resumed.load_state_dict(load(tmp_path / "model.npz"))
    resumed_opt.load_state_dict(load(tmp_path / "opt.npz"))
    assert resumed_opt.steps == 8 and resumed_opt.hyper == opt.hyper
    _train(resumed, resumed_opt, 12)

    for (n, a), b in zip(straight.named_parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=n)


def test_resume_with_a_scheduler(tmp_path):
    def make(seed):
        model, opt = _fresh("SGD", dict(lr=0.5, momentum=0.9), seed)
        return model, opt, optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)

    straight, opt, sched = make(0)
    _train(straight, opt, 10, sched)

    model, opt, sched = make(0)
    _train(model, opt, 4, sched)
    save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()},
         tmp_path / "all.npz")
    resumed, opt2, sched2 = make(5)
    checkpoint = load(tmp_path / "all.npz")
    resumed.load_state_dict(checkpoint["model"])
    opt2.load_state_dict(checkpoint["opt"])
    sched2.load_state_dict(checkpoint["sched"])
    _train(resumed, opt2, 6, sched2)
    for a, b in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert opt2.lr == pytest.approx(0.5 * 0.5 ** (10 // 3))


def test_state_dict_is_plain_data_and_a_copy():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = optim.Adam([p], lr=0.1, betas=(0.8, 0.9))
    p.grad = tg.ones(3)
    opt.step()
    sd = opt.state_dict()
    assert sd["type"] == "Adam" and sd["steps"] == 1 and sd["lr"] == 0.1
    assert sd["hyper"]["betas"] == (0.8, 0.9)
    assert sd["state"][0]["step"] == 1
    sd["state"][0]["exp_avg"][...] = 42
    assert not np.any(opt.state[0]["exp_avg"] == 42)


def test_loaded_state_is_not_shared_with_the_dict():
    p = nn.Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = tg.ones(2, dtype=np.float64)
    opt.step()
    sd = opt.state_dict()
    opt.load_state_dict(sd)
    opt.step()
    assert not np.allclose(sd["state"][0]["velocity"], opt.state[0]["velocity"])


def test_load_state_dict_errors():
    a = nn.Parameter(np.ones(3))
    b = nn.Parameter(np.ones(2))
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = tg.ones(3, dtype=np.float64), tg.ones(2, dtype=np.float64)
    opt.step()
    sd = opt.state_dict()

    with pytest.raises(ValueError, match="state for 2 parameters.*has 1"):
        optim.SGD([a], lr=0.1, momentum=0.9).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(3,\).*\(2,\)"):
        optim.SGD([b, a], lr=0.1, momentum=0.9).load_state_dict(sd)
    with pytest.raises(ValueError, match="from a SGD, not a Adam"):
        optim.Adam([a, b]).load_state_dict(sd)
    with pytest.raises(ValueError, match="optimizer state dict"):
        opt.load_state_dict({"weight": np.ones(3)})
