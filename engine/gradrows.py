"""Provides the gradient check's result: one row per parameter checked, and the table of them."""

from __future__ import annotations

from dataclasses import dataclass

PASS_BELOW = 1e-6  # relative error a float64 backward pass stays under (measured 1e-10..1e-8)
HEADER = ("trainer", "param", "method", "entries", "rel error", "result")


@dataclass(frozen=True)
class GradRow:
    """One parameter of one trainer: how its gradient compared, and whether that passes."""

    trainer: str
    parameter: str
    method: str  # "finite differences" or "torch.autograd.gradcheck"
    entries: int
    error: float | None  # relative error; None where the method only says pass or fail
    passed: bool

    def cells(self) -> tuple[str, ...]:
        """The row as the table shows it, one text per HEADER column."""
        error = "-" if self.error is None else f"{self.error:.2e}"
        result = "pass" if self.passed else "FAIL"
        return (self.trainer, self.parameter, self.method, str(self.entries), error, result)


def format_rows(rows: list[GradRow]) -> str:
    """The rows as a plain table, one line each, for stdout."""
    line = "{:<15} {:<6} {:<26} {:>7} {:>10}  {}".format
    return "\n".join([line(*HEADER), *(line(*row.cells()) for row in rows)])
