"""Provides the export: every trainer's logged losses as one CSV, and the screen as an SVG."""

from __future__ import annotations

import time
from pathlib import Path

from textual.app import App

from engine.history import LossLog, losses_csv


def export_run(app: App[int], logs: dict[str, LossLog], folder: Path) -> list[Path]:
    """Writes losses-<time>.csv and screen-<time>.svg into folder; returns their paths."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    csv_path = folder / f"losses-{stamp}.csv"
    csv_path.write_text(losses_csv(logs), encoding="utf-8")
    svg_path = Path(app.save_screenshot(f"screen-{stamp}.svg", str(folder)))
    return [csv_path, svg_path]
