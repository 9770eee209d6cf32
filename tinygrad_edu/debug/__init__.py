"""Debugging a network: the lecture's closing questions, each with a measured answer.

"Debugging is an art", the lecture ends, and lists what to ask: should we change the
learning rate? initialise differently? get more data? change the architecture? run
for more epochs? are the features relevant? This module gives each question a tool
that measures instead of guessing:

=========================  ==========================================================
``detect_anomaly()``       the first op whose forward or backward makes NaN/Inf
                           raises ``AnomalyError`` naming the op and *your* line
``gradient_stats``         per parameter: gradient mean/std/norm and the
                           update/weight ratio (is the learning rate sensible?)
``activation_stats``       per layer: mean/std/norm, dead ReLUs, saturated units
``check_model_gradients``  backprop against central differences, in float64
``explain_backward``       the four backprop equations written out per layer, in
                           NumPy, checked against autograd
``lr_find``                the learning-rate range test
``overfit_one_batch``      can the model drive one batch's loss to ~0?
``diagnose``               one report with a section per lecture question
=========================  ==========================================================

Every helper leaves the model as it found it (parameters, gradients, train/eval
mode); those that train work on the model and then restore its state.

One file per tool, in the order above: ``anomaly.py``, ``stats.py``, ``gradcheck.py``,
``explain.py``, ``lr_find.py``, ``overfit.py``, ``diagnose.py`` (and ``_common.py``, the
helpers they share). ``diagnose.py`` is a short driver; each of its questions is one
file in ``diagnosis/``. The tools that train (``lr_find``, ``overfit_one_batch``,
``diagnose``) take their steps with ``train.train_step``, as ``fit`` does.

Read next: ``../viz/`` (pictures of the graph), or the tests in
``tests/test_debug.py``.
"""

from .anomaly import AnomalyError, detect_anomaly
from .diagnose import DiagnosisReport, Section, diagnose
from .explain import BackpropExplanation, LayerRecord, explain_backward
from .gradcheck import GradientCheckReport, check_model_gradients
from .lr_find import LRFinderResult, lr_find
from .overfit import OverfitReport, overfit_one_batch
from .stats import StatsTable, activation_stats, gradient_stats

__all__ = [
    "AnomalyError",
    "detect_anomaly",
    "StatsTable",
    "gradient_stats",
    "activation_stats",
    "GradientCheckReport",
    "check_model_gradients",
    "LayerRecord",
    "BackpropExplanation",
    "explain_backward",
    "LRFinderResult",
    "lr_find",
    "OverfitReport",
    "overfit_one_batch",
    "Section",
    "DiagnosisReport",
    "diagnose",
]
