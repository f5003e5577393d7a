"""Provides the app's hold on its trainers: starts and stops off the event loop, in the order the
keys asked for them, and each engine event routed to its panel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from textual.app import App
from textual.css.query import NoMatches

from engine.config import RunConfig
from engine.events import (
    Event,
    FamilyPoints,
    LossPoints,
    TrainerEnded,
    TrainerPaused,
    TrainerStarted,
)
from engine.loop import describe
from engine.runner import Runner
from tui.widgets.dashboard import Dashboard
from tui.widgets.trainer_panel import TrainerPanel

NOTHING_RUNS = "no trainer is running: r restarts them all, R the focused one"


class TrainerControl:
    """Drives the runner for the app; the panels show each request at once.

    Starting and stopping wait for trainers (a step at large sizes takes seconds), so they run
    in a thread of their own, one at a time: a restart asked for after another happens after it.
    A Textual worker waits for each and says when one fails.
    """

    def __init__(self, app: App[int], runner: Runner, dashboard: Dashboard) -> None:
        self.app, self.runner, self.dashboard = app, runner, dashboard
        self.current_run: dict[str, int] = {}
        self.jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runner-jobs")  # FIFO
        self.quitting = False

    def take(self, event: Event) -> bool:
        """Shows an event in its panel; False when it is left over from a replaced run.

        While the app ends its panels go before the trainers' last events: those are still
        taken (for the run log), with nothing to show them in.
        """
        if isinstance(event, TrainerStarted):
            self.current_run[event.trainer] = event.run
        if event.run != self.current_run.get(event.trainer):
            return False
        try:
            panel = self.dashboard.panel(event.trainer)
        except NoMatches:
            return True
        if isinstance(event, TrainerStarted):
            self.dashboard.start(event.trainer, event.config)
        elif isinstance(event, LossPoints):
            panel.take_points(event)
        elif isinstance(event, FamilyPoints):
            panel.take_family(event)
        elif isinstance(event, TrainerPaused):
            panel.take_paused(event)
        elif isinstance(event, TrainerEnded):
            panel.take_ended(event)
        return True

    def start(self, names: Iterable[str], config: RunConfig) -> None:
        """(Re)starts the named trainers from iteration 0 with these settings.

        Their panels say "stopping…" at once, then "starting…", and clear when the trainer's
        TrainerStarted event arrives. An empty list starts nothing but makes these the runner's
        settings.
        """
        panels = [self.dashboard.panel(name) for name in names]
        for panel in panels:
            panel.mark_stopping(restart=True)

        def not_started() -> None:
            for panel in panels:
                panel.start_failed()

        job = partial(self.runner.start, [panel.trainer for panel in panels], config)
        self.in_turn(job, "could not start", failed=not_started)

    def in_turn(
        self,
        job: Callable[[], object],
        failure: str,
        then: Callable[[], object] | None = None,
        failed: Callable[[], object] | None = None,
    ) -> None:
        """Runs a runner job in the jobs' thread, after those asked for before it.

        Args:
            then: called on the event loop once the job has ended, failed or not.
            failed: called on the event loop if the job failed, before `then`.
        """
        try:
            future = self.jobs.submit(job)
        except RuntimeError:  # shut down: the app is ending, and its trainers are stopped
            return

        async def wait_for_job() -> None:
            try:
                await asyncio.wrap_future(future)
            except Exception as error:
                self.app.notify(f"{failure}: {describe(error)}", severity="error", timeout=8)
                if failed is not None:
                    failed()
            if then is not None:
                then()

        self.app.run_worker(wait_for_job(), group="runner", exit_on_error=False)

    def toggle_pause(self, panels: list[TrainerPanel]) -> None:
        """Pauses the given trainers, or resumes them when every one is already held.

        Held is what the keys asked for, not what the panels show yet: a second space resumes
        trainers still pausing, and a pause holds a run that is still being started. A resume
        lets go of ended trainers too, so that their next run does not start held.
        """
        running = [panel for panel in panels if panel.active]
        names = [panel.trainer for panel in running]
        if not running:
            self.app.notify(self.nothing_runs(panels), timeout=3)
        elif not self.runner.held.issuperset(names):
            self.runner.pause(names)
            for panel in running:
                panel.mark_pausing()
        else:
            self.runner.resume([panel.trainer for panel in panels])
            for panel in running:
                panel.mark_running()

    def nothing_runs(self, panels: list[TrainerPanel]) -> str:
        """Why a pause or a step did nothing: every trainer has ended, or the focused one (p)."""
        if len(panels) == 1 and len(self.dashboard.panels()) > 1:
            return f"{panels[0].trainer} is not running: R restarts it"
        return NOTHING_RUNS

    def step(self) -> None:
        """Every running trainer one more iteration, then held (n); ended ones are left be."""
        panels = self.dashboard.panels()
        names = [panel.trainer for panel in panels if panel.active]
        if not names:
            self.app.notify(self.nothing_runs(panels), timeout=3)
            return
        self.runner.step(names)

    def quit(self) -> None:
        """Stops every trainer in a worker, then exits once their last events are handled.

        The trainers' last messages reach the event loop while they stop; call_later puts the
        exit behind them in the queue, so the run log keeps them.
        """
        if self.quitting:
            return
        self.quitting = True
        for panel in self.dashboard.panels():
            panel.mark_stopping()
        self.in_turn(self.runner.close, "could not stop the trainers", self.exit)

    def exit(self) -> None:
        self.app.call_later(self.app.exit, 0)

    def close(self) -> None:
        """However the app ends: every trainer stopped, the jobs' thread ended."""
        self.jobs.shutdown(wait=True, cancel_futures=True)
        self.runner.close()
