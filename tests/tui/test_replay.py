"""A replayed run that never ended (killed): each panel's iterations and speed from its log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.replay import load_run
from tests.tui.conftest import SMALL, panels, screen_text
from tui.app import MlpApp
from tui.main import main

SIZES = [f"--{key.replace('_', '-')}={value}" for key, value in SMALL.items()]
SWEEP = ["--sweep", "lr=1e-4,1e-2,10"]  # lr 10 diverges at once


def killed_run(tmp_path: Path, *flags: str, last: int = 30, times: bool = True) -> Path:
    """A finished headless run's log cut as a kill leaves it: no end records, nothing logged
    after iteration `last` (and, for a log without times, no `t`)."""
    code = main(["--headless", *SIZES, "--iters", "60", "--trainers", "numpy,torch-optim",
                 "--workers", "thread", "--log-dir", str(tmp_path), *flags])  # fmt: skip
    assert code == 0
    (run_dir,) = tmp_path.iterdir()
    log = run_dir / "losses.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    kept = [r for r in records
            if r.get("event") == "start" or ("event" not in r and r["iter"] <= last)]  # fmt: skip
    if not times:
        kept = [{key: value for key, value in r.items() if key != "t"} for r in kept]
    log.write_text("".join(json.dumps(r) + "\n" for r in kept))
    return run_dir


def logged_rate(run_dir: Path, trainer: str, last: int = 30) -> float:
    """Iterations over the last logged time: iteration `last`'s t is taken after its step."""
    records = map(json.loads, (run_dir / "losses.jsonl").read_text().splitlines())
    (t,) = {r["t"] for r in records if r["trainer"] == trainer and r.get("iter") == last}
    return (last + 1) / t


async def replayed(run_dir: Path) -> tuple[str, dict[str, str]]:
    """The replay's screen, and each panel's stats line."""
    past = load_run(run_dir)
    app = MlpApp(past.config, replay=past)
    async with app.run_test(size=(160, 36)) as pilot:
        await pilot.pause()
        screen = screen_text(app)
        stats = {name: panel.stats_line() for name, panel in panels(app).items()}
        await pilot.press("q")
    return screen, stats


@pytest.mark.parametrize("sweep", [[], SWEEP], ids=["single", "sweep"])
async def test_an_unfinished_run_shows_the_iterations_and_speed_its_log_reached(
    tmp_path, capsys, sweep: list[str]
) -> None:  # type: ignore[no-untyped-def]
    run_dir = killed_run(tmp_path, *sweep)
    capsys.readouterr()
    screen, stats = await replayed(run_dir)
    assert screen.count("unfinished 31/60") == 2, screen  # 0 to 30 logged
    for name, line in stats.items():  # as drawn
        rate = logged_rate(run_dir, name)
        assert f" · {rate:.0f} it/s · " in line and line in screen, (line, screen)


async def test_an_unfinished_run_without_times_shows_no_speed(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    run_dir = killed_run(tmp_path, *SWEEP, times=False)
    capsys.readouterr()
    screen, _ = await replayed(run_dir)
    assert screen.count("unfinished 31/60") == 2 and "it/s" not in screen, screen
