"""Hypothesis profiles: `dev` (quick, the default) and `ci` (more examples, no deadline).

Select with HYPOTHESIS_PROFILE=ci (.ci/run does).
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Examples, the CLI and the reliability tests run Python in subprocesses; they must import
# this checkout's package even when it was not pip-installed (or another copy was).
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_REPO_ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)


@pytest.fixture(autouse=True)
def _restore_library_defaults():
    """Tests that change the default dtype or the seed must not leak into others."""
    import tinygrad_edu as tg

    dtype = tg.get_default_dtype()
    yield
    tg.set_default_dtype(dtype)
