"""Grad mode is thread-local, as in PyTorch: ``no_grad()`` in one thread never
switches recording off in another, even with both threads running many ops at
once (a tiny switch interval makes the threads interleave between ops)."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor

ROUNDS = 400
DEPTH = 8


@pytest.fixture
def fast_switching():
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    yield
    sys.setswitchinterval(interval)


def chain(x: Tensor) -> Tensor:
    y = x
    for _ in range(DEPTH):
        y = (y * 1.01 + 0.1).tanh()
    return y


def reference_grad(data: np.ndarray) -> np.ndarray:
    x = Tensor(data, requires_grad=True)
    chain(x).sum().backward()
    return x.grad.data


def run_threads(*targets) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def guarded(target):
        def body():
            try:
                barrier.wait(timeout=30)
                target()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        return body

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_never_affects_another(fast_switching):
    data = np.linspace(-2, 2, 16)
    expected = reference_grad(data)
    seen = {"recorded": 0, "unrecorded": 0}

    def recording():
        x = Tensor(data, requires_grad=True)
        for _ in range(ROUNDS):
            assert tg.is_grad_enabled()
            y = chain(x)
            assert y.requires_grad and y.grad_fn is not None
            y.sum().backward()  # backward switches recording off in *this* thread only
            assert tg.is_grad_enabled()
            assert np.array_equal(x.grad.data, expected)
            x.grad = None
            seen["recorded"] += 1

    def not_recording():
        x = Tensor(data, requires_grad=True)
        for _ in range(ROUNDS):
            with tg.no_grad():
                y = x
                for _ in range(DEPTH):
                    y = (y * 1.01 + 0.1).tanh()
                    assert not y.requires_grad and y.grad_fn is None
                assert not tg.is_grad_enabled()
            assert tg.is_grad_enabled() and (x * 2).requires_grad
            seen["unrecorded"] += 1

    @tg.no_grad()
    def decorated(x):
        with tg.enable_grad():  # nested switches, in yet another thread
            inner = chain(x)
        outer = chain(x)
        return inner, outer

    def toggling():
        x = Tensor(data, requires_grad=True)
        for _ in range(ROUNDS):
            inner, outer = decorated(x)
            assert inner.requires_grad and not outer.requires_grad
            with tg.set_grad_enabled(False):
                assert not chain(x).requires_grad
            assert chain(x).requires_grad

    run_threads(recording, not_recording, toggling, recording)
    assert seen == {"recorded": 2 * ROUNDS, "unrecorded": ROUNDS}
    assert tg.is_grad_enabled()  # the main thread was never touched


def test_a_new_thread_records_even_when_its_parent_is_under_no_grad():
    result = {}

    def child():
        result["enabled"] = tg.is_grad_enabled()
        result["recorded"] = (Tensor([1.0], requires_grad=True) * 2).requires_grad

    with tg.no_grad():
        thread = threading.Thread(target=child)
        thread.start()
        thread.join(timeout=30)
        assert not tg.is_grad_enabled()
    assert result == {"enabled": True, "recorded": True}


def test_decorated_no_grad_keeps_each_threads_state_when_calls_interleave():
    """A no_grad-decorated function entered by thread A, then by thread B, which
    leaves first: A is still under no_grad until it leaves, then records again."""
    a_inside, b_done = threading.Event(), threading.Event()
    states = {}

    @tg.no_grad()
    def work(name, wait_for=None, signal=None):
        if signal is not None:
            signal.set()
        if wait_for is not None:
            assert wait_for.wait(30)
        states[name] = tg.is_grad_enabled()

    def a():
        work("a inside", wait_for=b_done, signal=a_inside)
        states["a after"] = tg.is_grad_enabled()

    def b():
        assert a_inside.wait(30)
        work("b inside")
        states["b after"] = tg.is_grad_enabled()
        b_done.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert states == {"a inside": False, "a after": True, "b inside": False, "b after": True}
