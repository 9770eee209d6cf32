"""Hostile arguments and the rule every public entry point must follow with them.

``outcome(names, call)`` runs ``call()`` under a time limit and a memory watch and
accepts exactly two endings:

- a return value (the caller then checks that it is right), or
- ``ValueError`` / ``TypeError`` / ``RuntimeError`` / ``IndexError`` whose message
  names the function (one of ``names``).

Anything else fails the test: another exception type (NumPy's ``AxisError`` is a
``ValueError``, but ``MemoryError``, ``OverflowError``, ``KeyError``... are not
documented), a message without the function's name, a call slower than
``SECONDS``, or one that allocates more than ``MEGABYTES`` (a "huge" shape must fail
fast, not try to allocate).

The values come in named kinds (``KINDS``), so a test can say which kinds an
argument is tried with.
"""

from __future__ import annotations

import math
import re
import signal
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

DOCUMENTED = (ValueError, TypeError, RuntimeError, IndexError)
SECONDS = 5.0
MEGABYTES = 256


class Returned:
    """A call that returned ``value`` (wrapped so that ``None`` is a result too)."""

    def __init__(self, value: Any) -> None:
        self.value = value


class _TimeLimit(
    BaseException
):  # not an Exception: the code under test cannot catch it
    pass


def _alarm(signum, frame):
    raise _TimeLimit()


def outcome(
    names: Iterable[str], call: Callable[[], Any], what: str = ""
) -> Returned | None:
    """``Returned(value)``, or ``None`` after a documented, well-named exception;
    any other ending raises ``AssertionError`` describing it."""
    names = tuple(names)
    previous = signal.signal(signal.SIGALRM, _alarm)
    tracemalloc.start()
    signal.setitimer(signal.ITIMER_REAL, SECONDS)
    try:
        with np.errstate(all="ignore"):
            result = Returned(call())
        error = None
    except _TimeLimit:
        raise AssertionError(f"{names[0]}({what}) took more than {SECONDS} s") from None
    except DOCUMENTED as caught:
        result, error = None, caught
    except BaseException as caught:  # noqa: B036 - anything else is the finding
        raise AssertionError(
            f"{names[0]}({what}) raised {type(caught).__name__}: {caught}"[:500]
        ) from caught
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert (
        peak < MEGABYTES * 2**20
    ), f"{names[0]}({what}) allocated {peak / 2**20:.0f} MB"
    if error is not None:
        message = (
            str(error.args[0])
            if isinstance(error, KeyError) and error.args
            else str(error)
        )
        assert any(re.search(rf"\b{re.escape(n)}\b", message, re.I) for n in names), (
            f"{names[0]}({what}) raised {type(error).__name__} without naming "
            f"{' or '.join(names)}: {message}"[:500]
        )
    return result


# ---- kinds of hostile values ------------------------------------------------------------

# moderate magnitudes plus the IEEE specials: float32 overflow is another file's topic
floats = st.one_of(
    st.floats(-1e6, 1e6), st.sampled_from([math.nan, math.inf, -math.inf])
)
KINDS: dict[str, st.SearchStrategy] = {
    "none": st.none(),
    "bool": st.booleans(),
    "small int": st.integers(-3, 5),
    "size": st.integers(0, 5),
    "negative int": st.integers(-(10**6), -1),
    "huge int": st.sampled_from([10**6, 2**31, 2**40, 10**20]),
    "float": st.sampled_from([0.5, 1.5, -2.5, 3.0]),
    "nan/inf": st.sampled_from([math.nan, math.inf, -math.inf]),
    "complex": st.complex_numbers(max_magnitude=10, allow_nan=False),
    "string": st.sampled_from(["", "a", "0", "1.5", "relu", "none", "\x00"]),
    "bytes": st.binary(max_size=3),
    "mixed list": st.lists(
        st.one_of(st.integers(-2, 2), st.text(max_size=1), st.none()),
        min_size=1,
        max_size=3,
    ),
    "ragged list": st.sampled_from([[[1], [1, 2]], [[1.0, 2.0], 3.0], [[[1]], [2]]]),
    "dict": st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    "object": st.builds(object),
    "empty array": st.sampled_from([np.zeros(0), np.zeros((0, 3)), np.zeros((2, 0))]),
    "0-d array": st.sampled_from([np.array(1.0), np.array(0), np.array(np.nan)]),
    "int array": hnp.arrays(
        np.int64, hnp.array_shapes(max_dims=2, max_side=3), elements=st.integers(-3, 3)
    ),
    "float array": hnp.arrays(
        np.float64, hnp.array_shapes(max_dims=3, max_side=3), elements=floats
    ),
    "tuple": st.tuples(st.integers(-3, 3), st.integers(-3, 3)),
}


def kinds(*names: str) -> st.SearchStrategy:
    """Values of the named kinds; ``"all"`` for every kind."""
    chosen = list(KINDS) if names == ("all",) else names
    return st.one_of([KINDS[name] for name in chosen])


def all_but(*excluded: str) -> st.SearchStrategy:
    unknown = set(excluded) - set(KINDS)
    assert not unknown, unknown
    return kinds(*[name for name in KINDS if name not in excluded])


def numpy_or_none(call: Callable[[], Any]) -> Returned | None:
    """NumPy's own answer for the reference, or ``None`` when NumPy refuses too."""
    try:
        with np.errstate(all="ignore"):
            return Returned(call())
    except Exception:
        return None
