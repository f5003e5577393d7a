"""The dashboard as a user drives it: live plots, pause, step, resume, restart, keys, quit."""

from __future__ import annotations

import multiprocessing
import re
import threading

import pytest

from tests.tui.conftest import (
    finished_run,
    notifications,
    panels,
    screen_text,
    small_app,
    wait_until,
)
from tui.trainer_control import NOTHING_RUNS
from tui.widgets.loss_plot import LossPlot


async def test_starts_all_four_and_every_plot_gets_points() -> None:
    app = small_app(iters=10**6)
    async with app.run_test(size=(120, 36)) as pilot:
        assert app.focused is None or not hasattr(app.focused, "value")  # no input has focus
        await wait_until(
            pilot,
            lambda: all(p.series.count > 10 for p in panels(app).values()),
        )
        assert set(panels(app)) == {"numpy", "torch-manual", "torch-autograd", "torch-optim"}
        await wait_until(
            pilot,
            lambda: all("running" in str(p.border_subtitle) for p in panels(app).values()),
        )
        assert all(p.state == "running" for p in panels(app).values())
        await pilot.press("q")


async def test_pause_freezes_step_advances_one_resume_continues() -> None:
    app = small_app(iters=10**7, trainers=("numpy", "torch-manual"))
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: all(p.done > 5 for p in panels(app).values()))
        await pilot.press("space")
        await wait_until(pilot, lambda: all(p.state == "paused" for p in panels(app).values()))
        frozen = {name: p.done for name, p in panels(app).items()}
        await pilot.press("n")
        await wait_until(
            pilot, lambda: all(p.done == frozen[n] + 1 for n, p in panels(app).items())
        )
        await wait_until(pilot, lambda: all(p.state == "paused" for p in panels(app).values()))
        assert {name: p.done for name, p in panels(app).items()} == {
            n: c + 1 for n, c in frozen.items()
        }
        await pilot.press("space")
        await wait_until(
            pilot, lambda: all(p.done > frozen[n] + 10 for n, p in panels(app).items())
        )
        assert all(p.state == "running" for p in panels(app).values())
        await pilot.press("q")


async def test_restart_begins_again_from_iteration_0() -> None:
    app = small_app(iters=10**7, trainers=("numpy",))
    async with app.run_test() as pilot:
        panel = panels(app)["numpy"]
        await wait_until(pilot, lambda: panel.done > 1000)
        await pilot.press("space")
        await wait_until(pilot, lambda: panel.state == "paused")
        await pilot.press("r")  # restarted while paused: its first loss, and it holds
        await wait_until(pilot, lambda: (panel.state, panel.done) == ("paused", 1))
        await pilot.press("space")
        await wait_until(pilot, lambda: panel.done > 100)
        await pilot.press("space")
        await wait_until(pilot, lambda: panel.state == "paused")
        # the plot holds the new run only, counted from iteration 0
        assert panel.series.count == panel.done
        await pilot.press("q")


async def test_brackets_halve_and_double_the_focused_panels_lr() -> None:
    app = small_app(iters=10**7, trainers=("numpy", "torch-optim"))
    async with app.run_test() as pilot:
        assert app.focused is panels(app)["numpy"]  # the first panel has focus from the start
        await pilot.press("left_square_bracket")
        assert app.config.spec("numpy").lr == 5e-7
        assert app.config.spec("torch-optim").lr == 1e-4  # the other keeps its own
        await pilot.press("right")
        assert app.focused is panels(app)["torch-optim"]
        await pilot.press("tab")
        assert app.focused is panels(app)["numpy"]
        await pilot.press("left", "right_square_bracket", "right_square_bracket")
        assert app.focused is panels(app)["torch-optim"]
        assert app.config.spec("torch-optim").lr == 4e-4
        await wait_until(pilot, lambda: panels(app)["torch-optim"].spec.lr == 4e-4)
        await pilot.press("q")


async def test_l_switches_every_plot_between_log_and_linear() -> None:
    app = small_app(iters=10**6, trainers=("numpy", "torch-manual"))
    async with app.run_test() as pilot:
        assert all(plot.view.log_scale for plot in app.query(LossPlot))
        await pilot.press("l")
        assert not any(plot.view.log_scale for plot in app.query(LossPlot))
        await pilot.press("l")
        assert all(plot.view.log_scale for plot in app.query(LossPlot))
        await pilot.press("q")


@pytest.mark.parametrize("workers", ["thread", "process"])
async def test_quit_stops_every_trainer_thread_and_process(workers: str) -> None:
    def ours() -> set[threading.Thread]:  # a worker's own thread, or the one relaying a child's
        return {t for t in threading.enumerate() if t.name.startswith(("trainer-", "relay-"))}

    app = small_app(workers, iters=10**7)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: all(p.done > 0 for p in panels(app).values()))
        assert len(ours()) == 4
        await pilot.press("q")
    assert ours() == set()
    assert multiprocessing.active_children() == []


async def test_ctrl_c_quits_too_and_stops_child_processes() -> None:
    app = small_app("process", iters=10**7, trainers=("numpy", "torch-manual"))
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: all(p.done > 0 for p in panels(app).values()))
        await pilot.press("ctrl+c")
    for worker in app.runner.workers.values():
        assert not worker.thread.is_alive()
        assert not worker.process.is_alive()  # type: ignore[union-attr]


async def test_a_diverging_trainer_shows_diverged_and_the_others_finish() -> None:
    app = small_app(iters=300, trainers=("numpy", "torch-manual"), lr={"numpy": 10.0})
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: not any(p.active for p in panels(app).values()))
        await pilot.pause(0.3)  # let the repaint timer run once
        numpy_panel, torch_panel = panels(app)["numpy"], panels(app)["torch-manual"]
        assert numpy_panel.state == "diverged" and "loss became" in numpy_panel.stats_line()
        assert numpy_panel.has_class("-diverged")
        assert torch_panel.state == "done" and torch_panel.done == 300
        await pilot.press("q")


async def test_help_lists_the_keys_and_wraps_what_they_do_at_80_columns() -> None:
    app = small_app(autostart=False, trainers=("numpy",))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        seen = screen_text(app)
        await pilot.press("end")  # the rest, down to the last line
        await pilot.pause()
        seen += "\n" + screen_text(app)
        for key in ("space", "n", "r", "l", "c", "d", "[", "]", "q", "tab", "escape"):
            assert re.search(rf"^\S? {re.escape(key)} ", seen, re.MULTILINE), key
        words = set(re.findall(r"[\w'-]+", seen))
        for _, what in app.screen.lines:  # type: ignore[attr-defined]  # every word, none cut off
            assert set(re.findall(r"[\w'-]+", what)) <= words, what
        await pilot.press("escape")
        assert app.screen is app.screen_stack[0]
        await pilot.press("q")


async def test_resizing_never_crashes_and_tiny_shows_a_notice() -> None:
    app = small_app(iters=10**6)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: all(p.done > 0 for p in panels(app).values()))
        notice = app.query_one("#too-small")
        for size in [(80, 24), (60, 20), (40, 12), (160, 48), (80, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.3)
            assert notice.display == (size == (40, 12)), size
        await pilot.press("q")


async def test_sighup_from_a_dropped_connection_stops_everything_and_exits() -> None:
    import os
    import signal

    app = small_app(iters=10**7, trainers=("numpy", "torch-manual"))
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: all(p.done > 0 for p in panels(app).values()))
        os.kill(os.getpid(), signal.SIGHUP)
        await wait_until(pilot, lambda: app._exit)
    for worker in app.runner.workers.values():
        assert not worker.thread.is_alive()
        assert not worker.process.is_alive()  # type: ignore[union-attr]


async def test_jsonl_records_are_written_while_the_app_runs() -> None:
    import io
    import json

    from engine.config import RunConfig, validate
    from tests.tui.conftest import SMALL
    from tui.app import MlpApp

    stream = io.StringIO()
    config = validate(RunConfig(**SMALL, iters=50, trainers=("numpy", "torch-optim"), log_every=10))  # type: ignore[arg-type]
    app = MlpApp(config, stream, "process")
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: not any(p.active for p in panels(app).values()))
        await pilot.press("q")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    for name in ("numpy", "torch-optim"):
        mine = [r for r in records if r["trainer"] == name]
        assert [r["iter"] for r in mine[:-1]] == [0, 10, 20, 30, 40]
        assert mine[-1]["event"] == "done" and mine[-1]["iters"] == 50


async def test_the_command_palette_offers_the_main_actions() -> None:
    app = small_app(iters=10**7, trainers=("numpy",))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: panels(app)["numpy"].done > 0)
        await pilot.press("ctrl+p")
        await pilot.press(*"Pause")
        options = app.screen.query_one("OptionList")
        await wait_until(pilot, lambda: options.option_count > 0)  # type: ignore[attr-defined]
        assert "Pause/resume" in str(options.get_option_at_index(0).prompt)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: panels(app)["numpy"].state == "paused")
        await pilot.press("q")


async def test_the_app_keeps_a_run_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    run_log = await finished_run(tmp_path, iters=30, trainers=("numpy", "torch-manual"))
    records = [
        json.loads(line) for line in (run_log.path / "losses.jsonl").read_text().splitlines()
    ]
    assert {r["trainer"] for r in records if r.get("event") == "done"} == {"numpy", "torch-manual"}
    assert json.loads((run_log.path / "config.json").read_text())["iters"] == 30


async def test_a_panel_with_no_loss_yet_shows_a_dash_not_nan() -> None:
    app = small_app(autostart=False, trainers=("numpy",))
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: "loss - · 0 it/s · 0.0s" in screen_text(app))
        assert "nan" not in screen_text(app)
        await pilot.press("q")


async def test_space_and_n_once_every_trainer_ended_say_how_to_go_on() -> None:
    app = small_app(iters=20, trainers=("numpy",))
    shown = notifications(app)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: panels(app)["numpy"].state == "done")
        await pilot.press("space", "n")
        await wait_until(pilot, lambda: len(shown) >= 2)
        assert shown == [NOTHING_RUNS] * 2 and panels(app)["numpy"].state == "done"
        await pilot.press("q")


@pytest.mark.parametrize(
    ("size", "dtypes"), [((80, 24), 1), ((120, 36), 4)]
)  # numpy · cpu · f64 fits
async def test_each_title_keeps_its_lr_whole_in_a_narrow_panel(size, dtypes: int) -> None:  # type: ignore[no-untyped-def]
    """The lr is what [ and ] change: at 80x24 the dtype and then the device give way to it."""
    app = small_app(autostart=False)
    lrs = {"numpy": "1e-06", "torch-manual": "1e-06", "torch-autograd": "1e-06",
           "torch-optim": "0.0001"}  # fmt: skip
    titles = re.compile(r"╭─ ([\w-]+) · .*?lr ([\d.e-]+) ─")
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: len(titles.findall(screen_text(app))) == 4)
        assert dict(titles.findall(screen_text(app))) == lrs
        assert len(re.findall(r" · f(32|64) · ", screen_text(app))) == dtypes
        await pilot.press("q")
