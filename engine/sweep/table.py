"""Provides the headless table of a sweep: per trainer, its members, divergences and best member."""

from __future__ import annotations

from engine.config import RunConfig
from engine.events import DIVERGED, TrainerEnded
from engine.sweep.loop import best_member
from engine.sweep.spec import describe_values

HEADER = ("trainer", "status", "device", "dtype", "members", "diverged", "best member",
          "final loss", "wall s", "it/s", "member-it/s")  # fmt: skip


def sweep_rows(config: RunConfig, ended: dict[str, TrainerEnded]) -> list[tuple[str, ...]]:
    """One row per trainer; it/s counts batched steps (where every member diverged, up to the
    last divergence), member-it/s every member's iterations."""
    rows: list[tuple[str, ...]] = []
    for name in config.trainers:
        spec, end = config.spec(name), ended[name]
        best = best_member(end)
        diverged = sum(member.status == DIVERGED for member in end.members)
        described = "-" if best is None or best.member is None else (
            f"#{best.member.index} {describe_values(best.member)}"
        )  # fmt: skip
        loss = "-" if best is None or best.final_loss is None else f"{best.final_loss:.6g}"
        rows.append((name, end.status, spec.device, spec.dtype, str(config.member_count),
                     str(diverged), described, loss, f"{end.wall:.2f}", f"{end.its_per_s:.4g}",
                     f"{end.its_per_s * config.member_count:.4g}"))  # fmt: skip
    return rows


def sweep_table(config: RunConfig, ended: dict[str, TrainerEnded]) -> str:
    """The closing table of a sweep, in aligned columns."""
    rows = [HEADER, *sweep_rows(config, ended)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
    )
