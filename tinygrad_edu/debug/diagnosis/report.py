"""The report of ``diagnose``: one Section per question, findings by root cause."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..._display import html_table

LECTURE_ORDER = (
    "learning_rate",
    "initialisation",
    "more_data",
    "architecture",
    "more_epochs",
    "features",
)

# What to fix first: a cause upstream makes the questions downstream misleading
# (unscaled inputs blow up the lr and the initial loss; dead units make any lr,
# capacity or data look useless; with no signal in x nothing else can help).
ROOT_CAUSE_ORDER = (
    "features",
    "initialisation",
    "learning_rate",
    "architecture",
    "more_epochs",
    "more_data",
)


@dataclass
class Section:
    """One question of ``diagnose``: its ``verdict`` (a short phrase), whether it is
    ``flagged`` (a root cause: something to change), a plain ``recommendation``,
    the numbers used (``evidence``) and their printout (``details``).
    ``consequence_of`` names the section whose problem explains this one (then it
    is not flagged: fixing the cause is the advice)."""

    key: str
    question: str
    verdict: str
    flagged: bool
    recommendation: str
    evidence: dict = field(default_factory=dict)
    details: str = ""
    consequence_of: str | None = None

    @property
    def mark(self) -> str:
        return "!!" if self.flagged else ("->" if self.consequence_of else "ok")

    def __str__(self) -> str:
        because = (
            f"  (follows from {self.consequence_of})" if self.consequence_of else ""
        )
        lines = [f"[{self.mark}] {self.question}  ->  {self.verdict.upper()}{because}"]
        if self.details:
            lines += ["     " + line for line in self.details.splitlines()]
        lines.append(f"     => {self.recommendation}")
        return "\n".join(lines)


class DiagnosisReport(dict):
    """``{section key: Section}`` in the lecture's order: ``learning_rate``,
    ``initialisation``, ``more_data``, ``architecture``, ``more_epochs``,
    ``features``. ``flagged`` lists the root causes to change, first things first;
    ``str()`` is the whole report, ``repr()`` a summary of one line per question."""

    header: str = ""

    @property
    def flagged(self) -> list[str]:
        return [key for key in ROOT_CAUSE_ORDER if key in self and self[key].flagged]

    def findings(self) -> list[Section]:
        """Each root cause followed by the problems it explains."""
        found = []
        for key in self.flagged:
            found.append(self[key])
            found += [s for s in self.values() if s.consequence_of == key]
        return found

    def _todo(self) -> list[str]:
        return [
            (
                f"  - {s.key}: {s.recommendation}"
                if s.flagged
                else f"    (then {s.key}, {s.verdict}: follows from {s.consequence_of})"
            )
            for s in self.findings()
        ]

    def __str__(self) -> str:
        parts = [self.header, ""]
        parts += [f"{i}. {s}" for i, s in enumerate(self.values(), start=1)]
        todo = self._todo()
        parts += [
            "",
            "what to change, root causes first:" if todo else "nothing flagged.",
        ]
        return "\n".join(parts + todo)

    def __repr__(self) -> str:
        lines = [self.header]
        lines += [
            f"[{s.mark}] {s.question} -> {s.verdict}"
            + (f" (follows from {s.consequence_of})" if s.consequence_of else "")
            for s in self.values()
        ]
        lines.append(f"flagged: {self.flagged}  (print(report) for the evidence)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [
            [s.question, s.verdict, s.mark, s.consequence_of or "", s.recommendation]
            for s in self.values()
        ]
        return html_table(
            ["question", "verdict", "", "follows from", "recommendation"],
            rows,
            caption=self.header,
        )


def _demote(section: Section, cause: Section, why: str) -> None:
    """Mark ``section`` as explained by ``cause``: not flagged, advice points at it.
    Only a flagged section is demoted (an "irrelevant features" finding included)."""
    if section.flagged and section.key != cause.key:
        section.flagged = False
        section.consequence_of = cause.key
        section.recommendation = (
            f"follows from {cause.key} ({cause.verdict}): {why}; fix that first. "
            f"(Measured: {section.recommendation})"
        )


def link_consequences(report: DiagnosisReport) -> None:
    """Explain downstream problems by the root cause upstream, in ROOT_CAUSE_ORDER:
    a section already explained by one cause is not a cause of anything else."""
    features, init, lr = (
        report["features"],
        report["initialisation"],
        report["learning_rate"],
    )
    arch = report["architecture"]
    if features.flagged and features.verdict == "unscaled":
        why = "inputs of very different scales make one lr too large for some weights"
        for key in ("learning_rate", "initialisation", "architecture", "more_epochs"):
            _demote(report[key], features, why)
    elif features.flagged and features.verdict == "none relevant":
        why = "nothing in x predicts y, so no lr, model, epochs or data can help"
        for key in ("learning_rate", "architecture", "more_epochs", "more_data"):
            _demote(report[key], features, why)
    if init.flagged:
        why = "units that are dead or saturated from the start cannot learn"
        for key in ("architecture", "more_epochs", "more_data", "features"):
            _demote(report[key], init, why)
        if lr.verdict == "too small":
            _demote(lr, init, why + " (a larger lr only compensates)")
    if lr.flagged:
        why = f"measured at the lr recommended above, not at yours ({lr.verdict})"
        for key in ("more_epochs", "more_data"):
            _demote(report[key], lr, why)
    if arch.flagged and arch.verdict == "underfitting":
        _demote(features, arch, "a model too small to fit uses only some features")
