"""Progress bars for the long-running helpers (fit, the demo, lr_find, diagnose).

The rule: a bar appears when it is asked for (``progress=True``) *and* someone is
watching — stderr is a terminal, or the code runs in a Jupyter kernel (IPython's
shell is a kernel shell: ``get_ipython().kernel`` exists). Logs, CI and pipes stay
silent. ``tqdm.auto`` picks the widget bar in Jupyter and falls back by itself to
the plain-text bar when ipywidgets are missing; tqdm is imported only when a bar is
shown, and a missing tqdm never stops the work.

Read next: ``train.py``.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

__all__ = ["in_jupyter_kernel", "interactive", "progress_bar"]


def in_jupyter_kernel() -> bool:
    """True inside a Jupyter (ipykernel) kernel, False in a plain or IPython shell.

    >>> in_jupyter_kernel()     # doctests run outside a kernel
    False
    """
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def interactive() -> bool:
    """Is someone watching the output? A terminal on stderr, or a Jupyter kernel."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty is not None and isatty()) or in_jupyter_kernel()


def progress_bar(
    total: int | None, enabled: bool = True, desc: str | None = None, unit: str = "it"
) -> Any:
    """A ``tqdm.auto`` bar when ``enabled`` and :func:`interactive`; else None.

    Callers treat None as "silent" (``if bar is not None: bar.update(1)``).

    >>> progress_bar(10, enabled=False) is None
    True
    """
    if not enabled or not interactive():
        return None
    try:
        with warnings.catch_warnings():
            # without ipywidgets tqdm.auto warns, then uses the text bar: that is
            # the fallback we want, so the warning is noise for a student
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm
    except ImportError:  # tqdm is a dependency, but a missing bar must not stop work
        return None
    return tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, leave=True)
