"""``tinygrad_edu.compile``: a tracing compiler for training steps.

``record.py`` writes down one eager call (the recorder autograd calls while it
traces); ``steps.py`` holds the generic steps (an op's own forward/backward);
``lowerings.py`` the common ops as instructions on buffers made once, ``lower.py``
wires them in, ``optimizers.py`` lowers ``SGD.step``; ``compiled.py`` is the
decorator: the cache of recordings by signature, replay (stretches of instructions
fused into one loop, ``steps.replay_runs``), ``check=True`` (its snapshots and
comparison in ``check.py``), and the plan a learner can print (``plan_to_dot``
draws it).

Read in that order after ``autograd.py``. Usage and limits: docs/compile.md.
"""

from .compiled import MAX_SIGNATURES, Compiled, compile, plan_to_dot  # noqa: A004

__all__ = ["compile", "Compiled", "MAX_SIGNATURES", "plan_to_dot"]
