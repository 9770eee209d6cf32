"""Curves with matplotlib: ``plot_history`` (training) and ``plot_lr_find``.

Without a path they return an ``InlineFigure``: a matplotlib ``Figure`` that
Jupyter shows as a picture on its own (``_repr_png_``), with no
``%matplotlib inline`` first; built without pyplot, so a script never opens a
window. With a path they save the picture there and return the path.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Mapping

import numpy as np


def _figure_class(what: str) -> type:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            f"{what} needs matplotlib: pip install tinygrad-edu[plot] "
            "(or pip install matplotlib)"
        ) from None

    class InlineFigure(Figure):
        """A matplotlib Figure that notebooks display as a PNG by itself."""

        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100)
            return buffer.getvalue()

    return InlineFigure


def new_figure(what: str, figsize: tuple[float, float]) -> Any:
    """A Figure (not registered with pyplot: no global state, no window) that
    displays inline; ``what`` names the caller in the ImportError without matplotlib.

    >>> fig = new_figure("doctest", (2, 1))
    >>> fig._repr_png_()[:4]
    b'\\x89PNG'
    """
    return _figure_class(what)(figsize=figsize, layout="constrained")


def finish(fig: Any, path: str | Path | None, dpi: int = 110) -> Any:
    """The figure itself without a path; else save it there and return the path."""
    if path is None:
        return fig
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def plot_history(
    history: Any, path: str | Path | None = None, title: str | None = None
) -> Any:
    """Training curves: one panel per quantity (loss, then each metric), with its
    ``val_`` twin on the same axes. Needs matplotlib
    (``pip install tinygrad-edu[plot]``).

    ``history``: a ``History`` (``history.history`` is ``{"loss": [...], "val_loss":
    [...], "accuracy": [...]}``, one value per epoch) or such a dict. Returns the
    path written, or, when ``path`` is None, the Figure (Jupyter shows it inline).
    """
    curves = history.history if hasattr(history, "history") else history
    if not isinstance(curves, Mapping) or not any(len(v) for v in curves.values()):
        raise ValueError(
            "plot_history: expected a History or a non-empty dict of per-epoch lists "
            "such as {'loss': [...], 'val_loss': [...]}"
        )
    panels: dict[str, list[str]] = {}
    for key in curves:
        panels.setdefault(key[4:] if key.startswith("val_") else key, []).append(key)
    if "loss" in panels:  # loss first
        panels = {"loss": panels.pop("loss"), **panels}
    fig = new_figure("plot_history", (4.5 * len(panels), 3.4))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (panel, keys) in zip(axes, panels.items()):
        for key in keys:
            values = np.asarray(curves[key], dtype=float)
            epochs = np.arange(1, len(values) + 1)
            kind = "validation" if key.startswith("val_") else "training"
            ax.plot(epochs, values, label=kind,
                    marker="o" if len(values) <= 30 else None, markersize=3)
        ax.set_title(panel)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return finish(fig, path)


def plot_lr_find(result: Any, path: str | Path | None = None) -> Any:
    """Loss against learning rate (log scale) from ``debug.lr_find``, the suggested
    rate marked. Returns the Figure (inline in Jupyter), or the path when given."""
    for field in ("lrs", "losses", "smoothed", "suggested_lr"):
        if not hasattr(result, field):
            raise TypeError(
                f"plot_lr_find: expected the result of debug.lr_find, got "
                f"{type(result).__name__} (no .{field})"
            )
    fig = new_figure("plot_lr_find", (5, 3.5))
    ax = fig.subplots()
    ax.plot(result.lrs, result.losses, alpha=0.3, label="loss")
    ax.plot(result.lrs, result.smoothed, label="smoothed")
    ax.axvline(result.suggested_lr, color="red", linestyle="--",
               label=f"suggested {result.suggested_lr:.2g}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.legend()
    return finish(fig, path, dpi=100)
