"""Provides what the batched trainers share: frozen members, and reading one member's weights."""

from __future__ import annotations

from typing import Any


class Freezable:
    """Keeps which members are frozen; the trainer zeroes their updates from then on."""

    frozen: list[int] = []  # replaced by freeze(), never changed in place

    def freeze(self, members: list[int]) -> None:
        """Stops these members' weights from moving (they diverged); the others go on."""
        self.frozen = sorted({*self.frozen, *members})


class SideBySide(Freezable):
    """A trainer whose w1 is (D_in, M, H) and w2, b1, b2 are stacked on their first axis."""

    w1: Any
    w2: Any
    b1: Any
    b2: Any

    def member_params(self, k: int) -> dict[str, Any]:
        """Member k's weights, in the single trainer's shapes (views, not copies)."""
        named = {"w1": self.w1[:, k], "w2": self.w2[k], "b1": None, "b2": None}
        if self.b1 is not None and self.b2 is not None:
            named.update(b1=self.b1[k], b2=self.b2[k])
        return {name: array for name, array in named.items() if array is not None}
