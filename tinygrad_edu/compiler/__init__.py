"""``tinygrad_edu.compile``: a tracing compiler for training steps.

``record.py`` writes down one eager call (the recorder autograd calls while it
traces); ``lower.py`` gives the common ops faster steps that write into buffers
made once; ``compiled.py`` is the decorator: the cache of recordings by signature,
replay, ``check=True``, and the plan a learner can print; ``plan_to_dot`` draws it.

Read in that order after ``autograd.py``. Usage and limits: docs/compile.md.
"""

from .compiled import MAX_SIGNATURES, Compiled, compile, plan_to_dot  # noqa: A004

__all__ = ["compile", "Compiled", "MAX_SIGNATURES", "plan_to_dot"]
