"""The lab as a user drives it: overlay, time axis, smoothing, equivalence, gradcheck, code,
export, the command line, replay and comparison with a past run."""

from __future__ import annotations

import shlex

from engine.cli import parse
from engine.config import RunConfig, validate
from engine.replay import load_run
from engine.runlog import RunLog
from tests.tui.conftest import SMALL, finished_run, panels, small_app, wait_until
from tui.app import MlpApp
from tui.screens.code import CodeScreen
from tui.screens.gradcheck import GradcheckScreen
from tui.screens.text import TextScreen
from tui.widgets.loss_plot import LossPlot

SAME_LR = dict.fromkeys(("numpy", "torch-manual", "torch-autograd", "torch-optim"), 1e-3)


async def test_overlay_time_axis_and_smoothing_keys() -> None:
    app = small_app(iters=10**6, trainers=("numpy", "torch-optim"))
    async with app.run_test(size=(120, 36)) as pilot:
        overlay = app.dashboard.overlay
        await wait_until(pilot, lambda: all(p.series.count > 10 for p in panels(app).values()))
        assert overlay.region.height == 0  # hidden until asked for
        await pilot.press("o")
        await pilot.pause()
        assert overlay.region.height > 20 and app.query_one("#panels").region.height == 0
        assert [curve.label for curve in overlay.curves] == ["numpy", "torch-optim"]
        await pilot.press("x")
        assert all(plot.view.by_time for plot in app.query(LossPlot))
        smoothing = []
        for _ in range(4):
            await pilot.press("s")
            smoothing.append(overlay.view.smoothing)
        assert smoothing == [0.6, 0.9, 0.99, 0.0]
        await pilot.press("o")
        await pilot.pause()
        assert overlay.region.height == 0 and app.query_one("#panels").region.height > 20
        await pilot.press("q")


async def test_equivalence_panel_gives_match_for_same_start_and_says_why_not_otherwise() -> None:
    app = small_app(iters=200, same_start=True, optimizer="sgd", lr=SAME_LR)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: not any(p.active for p in panels(app).values()))
        await pilot.press("e")
        equivalence = app.dashboard.equivalence
        await wait_until(pilot, lambda: equivalence.report is not None)
        assert equivalence.region.height > 3
        verdicts = {c.trainer: c.verdict for c in equivalence.report.comparisons}  # type: ignore[union-attr]
        assert verdicts == dict.fromkeys(("torch-manual", "torch-autograd", "torch-optim"), "match")
        await pilot.press("q")
    app = small_app(iters=50, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("e")
        await wait_until(pilot, lambda: app.dashboard.equivalence.report is not None)
        assert "same start is off" in app.dashboard.equivalence.report.reason  # type: ignore[union-attr]
        await pilot.press("q")


async def test_gradcheck_and_code_view_open_and_close() -> None:
    app = small_app(iters=10**6, trainers=("numpy", "torch-manual", "torch-autograd"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GradcheckScreen)
        await wait_until(pilot, lambda: screen.rows is not None)
        assert screen.rows and all(row.passed for row in screen.rows)
        await pilot.press("escape", "v")
        code = app.screen
        assert isinstance(code, CodeScreen)
        titles = [str(column.border_title) for column in code.query(".code-column")]
        assert titles == ["numpy", "torch-manual", "torch-autograd"]
        assert str(code.focused.border_title) == "numpy"  # type: ignore[union-attr]
        await pilot.press("right", "right")  # the next trainers, brought into view
        assert str(code.focused.border_title) == "torch-autograd"  # type: ignore[union-attr]
        await pilot.press("left")
        assert str(code.focused.border_title) == "torch-manual"  # type: ignore[union-attr]
        await pilot.press("escape")
        assert not isinstance(app.screen, CodeScreen)
        await pilot.press("q")


async def test_export_writes_a_csv_and_an_svg_beside_the_run_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_log = await finished_run(tmp_path, "w", iters=45, trainers=("numpy", "torch-optim"))
    (csv_path,) = run_log.path.glob("losses-*.csv")
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "iteration,numpy,torch-optim" and len(lines) == 1 + 5
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "10", "20", "30", "40"]
    (svg_path,) = run_log.path.glob("screen-*.svg")
    assert "numpy" in svg_path.read_text()


async def test_the_command_line_shown_reproduces_the_run() -> None:
    app = small_app(iters=10**6, trainers=("numpy", "torch-optim"), same_start=True, seed=5)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("right_square_bracket")  # focus nothing: a notice, no change
        await pilot.press("tab", "right_square_bracket")  # numpy's lr doubled
        await wait_until(pilot, lambda: app.config.spec("numpy").lr == 2e-6)
        await pilot.press("y")
        screen = app.screen
        assert isinstance(screen, TextScreen)
        _, config = parse(shlex.split(screen.text)[1:])
        assert config.specs() == app.config.specs() and config.n == 8
        await pilot.press("escape", "q")


async def test_replay_shows_the_logged_run_and_trains_nothing(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run_log = await finished_run(tmp_path, iters=45, trainers=("numpy", "torch-manual"))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # w writes beside the replayed run, not here
    past = load_run(run_log.path)
    app = MlpApp(past.config, replay=past)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        for name, panel in panels(app).items():
            assert panel.state == "done" and panel.done == 45
            # the loss at iteration 44, as the live panel ended; the log keeps every 10th
            final, logged = past.ends[name]["final_loss"], past.logs[name].losses[-1]
            assert panel.series.count == 5 and f"{final:.4g}" != f"{logged:.4g}"
            assert panel.stats_line().startswith(f"loss {final:.4g} · ")
        await pilot.press("space", "r")
        assert not app.runner.workers  # nothing trains
        assert all(p.state == "done" for p in panels(app).values())
        await pilot.press("w")
        await wait_until(pilot, lambda: any(run_log.path.glob("losses-*.csv")))
        assert not any((tmp_path / "elsewhere").iterdir())
        await pilot.press("q")
    ghost_app = small_app(iters=10**6, trainers=("numpy", "torch-manual"), autostart=False)
    ghost_app.compare = past
    async with ghost_app.run_test() as pilot:
        for panel in panels(ghost_app).values():
            assert panel.plot.curves[0].colour == (105, 105, 105)
            assert panel.plot.curves[0].series.count == 5
        await pilot.press("q")


async def test_restarts_are_marked_in_the_run_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = validate(RunConfig(**SMALL, iters=10**6, trainers=("numpy",)))  # type: ignore[arg-type]
    run_log = RunLog(config, tmp_path)
    app = MlpApp(config, None, "process", run_log=run_log)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: panels(app)["numpy"].done > 100)
        await pilot.press("r")
        await wait_until(pilot, lambda: panels(app)["numpy"].done > 30)
        await pilot.press("q")
    run_log.close()
    text = (run_log.path / "losses.jsonl").read_text()
    assert text.count('"event": "start"') == 2
    past = load_run(run_log.path)
    end = past.ends["numpy"]  # the second start's, stopped by q, with every point before it
    assert end["event"] == "stopped" and past.logs["numpy"].size == -(-end["iters"] // 10)


async def test_a_replay_shows_the_settings_changed_mid_run_and_y_prints_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.engine.test_replay import _log_changed_mid_run

    path, _, _ = _log_changed_mid_run(tmp_path)
    with (path / "losses.jsonl").open("a") as log:
        log.write("{not json\n")
    past = load_run(path)
    app = MlpApp(past.config, replay=past)
    async with app.run_test(size=(160, 36)) as pilot:
        await pilot.pause()
        titles = {name: panel.border_title for name, panel in panels(app).items()}
        assert titles == {"numpy": "numpy · cpu · f64 · lr 1e-06",
                          "torch-optim": "torch-optim · cpu · f64 · lr 0.001"}  # fmt: skip
        notices = [str(n.message) for n in app._notifications]
        assert f"{path}: losses.jsonl line 8: not JSON, skipped" in notices
        await pilot.press("y")
        assert isinstance(app.screen, TextScreen)
        for flag in ("--n 16", "--seed 7", "--optimizer sgd", "--dtype float64"):
            assert flag in app.screen.text
        await pilot.press("escape", "q")
