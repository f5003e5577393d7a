"""--sweep's grammar: values, log spacing, seed ranges, the grid's order, and bad input."""

from __future__ import annotations

import re
import shlex

import pytest

from engine.cli import parse
from engine.config import ConfigError
from engine.flags import build_parser
from engine.runspec import command_line
from engine.sweep.spec import members, parse_axis
from tests.engine.cli_runs import SMALL, run, write_npz
from tests.engine.conftest import small_config
from tui.main import main


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lr=1e-6,3e-6,1e-5", ("lr", (1e-6, 3e-6, 1e-5))),
        ("lr=1e-7:1e-4:4", ("lr", (1e-7, 1e-6, 1e-5, 1e-4))),
        ("lr=1e-4", ("lr", (1e-4,))),
        ("init-scale=0.25:4:5", ("init_scale", (0.25, 0.5, 1.0, 2.0, 4.0))),
        ("seed=3:6", ("seed", (3, 4, 5, 6))),
        ("seed=7,2", ("seed", (7, 2))),
    ],
)
def test_values_lists_log_ranges_and_seed_ranges(text: str, expected: tuple) -> None:  # type: ignore[type-arg]
    assert parse_axis(text) == expected


def test_members_are_numbered_in_grid_order_first_axis_slowest() -> None:
    config = small_config(sweep=(parse_axis("lr=1e-6,1e-5"), parse_axis("seed=0:2")))
    assert [(m.index, m.values) for m in members(config)] == [
        (0, {"lr": 1e-6, "seed": 0}),
        (1, {"lr": 1e-6, "seed": 1}),
        (2, {"lr": 1e-6, "seed": 2}),
        (3, {"lr": 1e-5, "seed": 0}),
        (4, {"lr": 1e-5, "seed": 1}),
        (5, {"lr": 1e-5, "seed": 2}),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sweep", "lr=abc"], "'abc' is not a finite number above 0"),
        (["--sweep", "lr=1e-6,-1"], "'-1' is not a finite number above 0"),
        (["--sweep", "lr=1e-6:1e-5"], "a range is A:B:K"),
        (["--sweep", "lr=1e-6:1e-5:0"], "a range A:B:K needs K >= 2 and A != B"),
        (["--sweep", "lr=1e-7:1e-4:1"], "'lr=1e-7:1e-4:1': a range A:B:K needs K >= 2 and A != B"),
        (["--sweep", "lr=1e-4:1e-4:3"], "'lr=1e-4:1e-4:3': a range A:B:K needs K >= 2 and A != B"),
        (["--sweep", "lr=1e-6,1e-6"], "--sweep 'lr=1e-6,1e-6': 1e-06 is given twice; accepted: "),
        (["--sweep", "init-scale=1,0.5,1.0"], "1.0 is given twice; accepted: lr=V1,V2,... (each"),
        (["--sweep", "seed=4,2,4,4"], "--sweep 'seed=4,2,4,4': 4 is given 3 times; accepted: "),
        (["--sweep", "lr=1e-6:1e-5:x"], "'x' is not a whole number"),
        (["--sweep", "seed=5:3"], "the range 5:3 is empty"),
        (["--sweep", "seed=0:3:2"], "a seed range is A:B"),
        (["--sweep", "seed=-1,2"], "a seed is 0 or more"),
        (
            ["--sweep", "momentum=0.9"],
            "'momentum' is not a sweep axis; accepted: lr, init-scale, seed",
        ),
        (["--sweep", "lr"], "--sweep 'lr': not NAME=VALUES; accepted: lr=V1,V2,..."),
        (["--sweep", "lr=1e-6,1e-5", "--sweep", "lr=1e-4"], "up to two different axes"),
        (
            ["--sweep", "lr=1e-6", "--sweep", "seed=1", "--sweep", "init-scale=1"],
            "up to two different axes",
        ),
        (["--sweep", "lr=1e-7:1e-4:1025"], "makes 1025 members; at most 1024"),
        (["--sweep", "lr=1e-7:1e-4:33", "--sweep", "seed=0:31"], "makes 1056 members"),
        (["--sweep", "lr=1e-6,1e-5", "--lr", "numpy=1e-4"], "--sweep lr sets what --lr sets"),
        (["--sweep", "seed=1,2", "--init-seed", "3"], "--sweep seed sets what --init-seed"),
        (["--sweep", "init-scale=1,2", "--init-scale", "3"], "--sweep init-scale sets what"),
        (["--init-scale", "0"], "init scale must be a finite number above 0"),
        (["--init-seed", "-2"], "--init-seed must be 0 or more"),
        (
            ["--sweep", "lr=1e-7:1e-4:1000", "--d-in", "20000", "--hidden", "2000"],
            "GiB for 1000 sweep members but this machine has",
        ),
    ],
)
def test_bad_sweeps_exit_2_with_one_line(capsys, tmp_path, args, message) -> None:  # type: ignore[no-untyped-def]
    argv = ["--headless", *SMALL[:-1], "--log-dir", str(tmp_path / "runs"), *args]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert message in err
    assert not (tmp_path / "runs").exists()


def test_memory_refused_for_a_sweep_says_its_figure_once_and_offers_fewer_members(  # type: ignore[no-untyped-def]
    capsys, tmp_path
) -> None:
    argv = ["--headless", "--sweep", "lr=1e-7:1e-4:1024", "--d-in", "100000", "--hidden", "10000"]
    assert main([*argv, "--log-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(
        r"mlp-tui: error: sizes n=64 d_in=100000 hidden=10000 d_out=10 need about [0-9.]+ GiB for "
        r"1024 sweep members but this machine has [0-9.]+ GiB available; choose smaller sizes or "
        r"fewer members\n",
        err,
    ), err
    assert not (tmp_path / "runs").exists()


def test_a_single_value_goes_back_to_its_command_line_as_a_list() -> None:
    """Not as the range lr=0.0001:0.0001:1, which is refused now."""
    config = small_config(sweep=(parse_axis("lr=1e-4"), parse_axis("seed=3:3")))
    line = command_line(config, build_parser())
    assert "--sweep lr=0.0001 --sweep seed=3" in line
    assert parse(["--headless", *shlex.split(line)[1:]])[1] == config


def test_a_sweep_with_the_gradient_check_is_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main([*SMALL, "--sweep", "lr=1e-6,1e-5", "--gradcheck"]) == 2
    assert "--gradcheck checks one network per trainer" in capsys.readouterr().err


def test_a_past_runs_sweep_reads_back_from_json_lists() -> None:
    config = small_config(sweep=(("lr", [1e-6, 1e-5]),))  # as config.json gives it back
    assert config.member_count == 2
    with pytest.raises(ConfigError, match="unknown axis"):
        small_config(sweep=(("momentum", [0.9]),))


def test_a_sweep_goes_through_run_toml_and_back_to_its_command_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "run.toml").write_text('sweep = ["lr=1e-6,1e-5", "seed=0:2"]\n')
    _, config = parse(["--headless", "--config", str(tmp_path / "run.toml")])
    assert config.sweep == (("lr", (1e-6, 1e-5)), ("seed", (0, 1, 2)))
    line = command_line(config, build_parser())
    assert "--sweep lr=1e-06,1e-05 --sweep seed=0:2" in line
    assert parse(["--headless", *shlex.split(line)[1:]])[1] == config


def test_seeds_of_weights_clash_with_weights_from_a_file(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    start = str(write_npz(tmp_path / "start.npz"))
    code, _, err = run(capsys, "--init-from", start, "--init-seed", "2")
    assert code == 2 and err == (
        "mlp-tui: error: --init-seed draws the start weights and --init-from loads them from a "
        "file; use one of them\n"
    )
    code, _, err = run(capsys, "--init-from", start, "--sweep", "seed=0:3")
    assert code == 2 and "--sweep seed sets what --init-from sets" in err
