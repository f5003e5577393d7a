"""Provides the equivalence panel: each trainer's loss against numpy's, and a verdict."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from engine.equivalence import Comparison, Report


def comparison_row(comparison: Comparison, colours: dict[str, str]) -> list[Text]:
    """A table row: the latest and largest relative differences, coloured against the tolerance.

    Args:
        colours: the theme's variables, so that a change of theme recolours the table.
    """
    tolerance = comparison.tolerance
    good, bad = colours["success"], colours["error"]

    def against_tolerance(value: float) -> Text:
        return Text(f"{value:.1e}", style=good if value <= tolerance else bad)

    verdict = Text(comparison.verdict, style={"match": f"bold {good}", "waiting": "dim"}.get(
        comparison.verdict, f"bold {bad}"))  # fmt: skip
    if comparison.expected:
        verdict.append(f"  expected: {', '.join(comparison.expected)}", style=colours["warning"])
    if not comparison.checked:
        return [Text(comparison.trainer), Text("-"), Text("-"), Text("-"), Text(f"{tolerance:g}"),
                verdict]  # fmt: skip
    return [
        Text(comparison.trainer),
        Text(str(comparison.latest_iter)),
        against_tolerance(comparison.latest),
        against_tolerance(comparison.worst),
        Text(f"{tolerance:g}"),
        verdict,
    ]


class EquivalencePanel(Static):
    """Shows an equivalence report; the dashboard hands it a fresh one a few times a second."""

    BORDER_TITLE = "equivalence (e)"
    report: Report | None = None  # the one shown

    def show_report(self, report: Report) -> None:
        """Draws the report as a table, or says why nothing is compared."""
        self.report = report
        if report.reason:
            self.update(Text(report.reason, style=self.app.theme_variables["warning"]))
            return
        table = Table(box=None, padding=(0, 1), expand=True)
        for heading in ("trainer", "iteration", f"vs {report.reference}", "max so far",
                        "tolerance"):  # fmt: skip
            table.add_column(heading, no_wrap=True, min_width=len(heading) + 1)
        table.add_column("verdict", ratio=1)  # takes the rest of the width, and wraps
        for comparison in report.comparisons:
            table.add_row(*comparison_row(comparison, self.app.theme_variables))
        self.update(table)
