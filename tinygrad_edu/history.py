"""History: the per-epoch records of a ``fit`` run, as in Keras.

Read next: ``train.py`` (the loop that records them).
"""

from __future__ import annotations

from pathlib import Path

from ._display import html_table, short_text_table

__all__ = ["History"]


class History:
    """Per-epoch records of a ``fit`` run, as in Keras.

    ``history.history`` maps each name (``"loss"``, ``"val_loss"``, ``"accuracy"``,
    ``"val_accuracy"``, ...) to a list with one value per epoch; the same lists are
    readable as attributes (``history.loss``) and by key (``history["loss"]``).

    Examples
    --------
    >>> h = History()
    >>> h.record("loss", 0.5); h.record("loss", 0.25)
    >>> h.loss, h.history
    ([0.5, 0.25], {'loss': [0.5, 0.25]})
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def record(self, name: str, value: float) -> None:
        """Append one epoch's value of ``name``."""
        self.history.setdefault(name, []).append(float(value))

    def __getattr__(self, name: str) -> list[float]:
        # only called when normal lookup fails: unknown names raise, never return None
        history = self.__dict__.get("history", {})
        if name in history:
            return history[name]
        raise AttributeError(
            f"History has no record {name!r}; it has {sorted(history)}"
        )

    def __getitem__(self, name: str) -> list[float]:
        return self.history[name]

    def __contains__(self, name: object) -> bool:
        return name in self.history

    def __len__(self) -> int:
        """Number of epochs recorded."""
        return len(self.epoch)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History(epochs={len(self)}{', ' if last else ''}{last})"

    def _rows(self) -> list[list]:
        names = list(self.history)
        return [
            [epoch]
            + [self.history[n][i] if i < len(self.history[n]) else None for n in names]
            for i, epoch in enumerate(self.epoch)
        ]

    def __str__(self) -> str:
        """One row per epoch (first and last ones of a long run), at most ~20 lines."""
        return f"{self!r}\n" + short_text_table(["epoch", *self.history], self._rows())

    def _repr_html_(self) -> str:
        return html_table(["epoch", *self.history], self._rows(), caption=repr(self))

    def plot(self, path: str | Path) -> Path:
        """Draw the curves (one panel per quantity, training and validation together);
        the same picture as ``viz.plot_history(history, path)``.

        Needs matplotlib (``pip install tinygrad-edu[plot]``). Returns the path
        written; the format comes from its suffix (``.png``, ``.svg``, ``.pdf``).
        """
        from .viz import plot_history

        return plot_history(self, path)
