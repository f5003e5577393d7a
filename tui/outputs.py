"""Provides the app's side of its files for other tools: weights saved by k, a replay converted.

Both write in thread workers, and say what they wrote in a notification.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from engine.export.tensorboard import convert_run
from engine.export.weights import save_answers, saved_text
from engine.replay import PastRun

if TYPE_CHECKING:
    from tui.app import MlpApp


def ask_for_weights(app: MlpApp) -> None:
    """k: asks every started trainer for its weights; they are written once all have answered."""
    if not app.control.current_run:
        app.notify("No trainer has started: there are no weights to save.")
        return
    if app.config.sweep:
        app.notify("k saves one network per trainer, not a sweep's members: run the member "
                   "you want alone (y shows the command), then press k",
                   severity="warning")  # fmt: skip
        return
    asked = app.weights.ask(app.control.current_run)
    app.runner.ask_weights(asked)
    if not asked:  # every trainer has ended, and sent its weights as it did
        write_weights(app)


def write_weights(app: MlpApp) -> None:
    """Writes the answers into the run log's folder (or the current one) as weights-<time>/."""
    folder = app.run_log.path if app.run_log is not None else Path.cwd()
    folder /= f"weights-{time.strftime('%Y%m%d-%H%M%S')}"
    answers = dict(app.weights.answers)

    def write() -> None:
        try:
            app.notify(saved_text(*save_answers(folder, answers)), timeout=8, markup=False)
        except OSError as error:
            problem = f"could not save the weights in {folder}: {error.strerror}"
            app.notify(problem, severity="error", markup=False)

    app.run_worker(write, thread=True, group="weights", name="save weights")


def convert_replay(app: MlpApp, past: PastRun, root: Path) -> None:
    """Converts the replayed run into TensorBoard files in a worker, saying when it is done."""
    app.notify(f"converting {past.path} for TensorBoard into {root}...", timeout=4, markup=False)

    def convert() -> None:
        try:
            folders = convert_run(past, root)
        except Exception as error:  # a full disk, a broken install: said, and the replay stays
            app.notify(
                f"could not convert for TensorBoard: {error}", severity="error", markup=False
            )
            return
        wrote = "wrote " + ", ".join(str(folder) for folder in folders)
        app.notify(wrote, timeout=8, markup=False)

    app.run_worker(convert, thread=True, group="tensorboard", name="convert for TensorBoard")
