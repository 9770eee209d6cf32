"""The questions of ``diagnose``, one file each, in the lecture's order.

``learning_rate.py``, ``initialisation.py``, ``more_data.py``, ``architecture.py``,
``more_epochs.py``, ``features.py``: each has one function ``answer(trial)`` that
measures what it needs and returns a :class:`Section`. ``trial.py`` holds what they
share (the data, the model's initial state, the epoch budget, the training runs);
``neighbours.py`` the model-free reference (5 nearest neighbours) that the
architecture and features questions compare with; ``report.py`` the report and the
root-cause ordering. The driver is
``../diagnose.py``.
"""

from .report import DiagnosisReport, Section

__all__ = ["DiagnosisReport", "Section"]
