"""A sweep's run log read back: each member's history and end, the best member, and the check of
each member against numpy's same member."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from engine.config import RunConfig
from engine.equivalence import family_equivalence
from engine.history import LossLog
from engine.replay import PastRun, load_run
from tui.main import main

SIZES = ["--n", "8", "--d-in", "12", "--hidden", "9", "--d-out", "5"]


def test_a_sweeps_run_log_reads_back_member_by_member(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["--headless", *SIZES, "--iters", "40", "--trainers", "numpy,torch-manual",
                 "--sweep", "lr=1e-5,1e-4,10", "--log-dir", str(tmp_path)])  # fmt: skip
    capsys.readouterr()
    (run_dir,) = tmp_path.iterdir()
    past = load_run(run_dir)
    assert code == 0 and not past.problems and not past.logs  # members only
    assert past.config.sweep == (("lr", (1e-5, 1e-4, 10.0)),)
    for name in ("numpy", "torch-manual"):
        assert [past.members[name][k].size for k in (0, 1)] == [4, 4]
        assert {k: end["event"] for k, end in past.member_ends[name].items()} == {
            0: "done", 1: "done", 2: "diverged"}  # fmt: skip
        assert past.ends[name]["event"] == "done" and past.ends[name]["members"] == 3
        assert past.trainer_log(name) is past.members[name][1]  # lr 1e-4: the lowest loss
    assert list(past.named_logs())[:2] == ["numpy/member-0", "numpy/member-1"]


def test_each_member_is_checked_against_numpys_same_member() -> None:
    config = RunConfig(trainers=("numpy", "torch-manual"), same_start=True, dtype="float64",
                       sweep=(("lr", (1e-4, 1e-2)),))  # fmt: skip
    logs = {name: [LossLog(10), LossLog(10)] for name in config.trainers}
    for name in config.trainers:
        logs[name][0].append([5.0, 4.0], [0.0, 0.1])
        logs[name][1].append([5.0, 3.0], [0.0, 0.1])
    logs["torch-manual"][1] = LossLog(10)
    logs["torch-manual"][1].append([5.0, 3.5], [0.0, 0.1])  # member 1 parts at iteration 10
    report = family_equivalence(config, logs, [{}, {}])
    (row,) = report.comparisons
    assert report.reference == "numpy" and row.trainer == "torch-manual (worst: member 1)"
    assert row.verdict == "part at iteration 10" and not row.expected  # the same lr: a bug
    same = dataclasses.replace(config, sweep=(("lr", (1e-4,)),))
    (row,) = family_equivalence(same, {n: logs[n][:1] for n in logs}, [{}]).comparisons
    assert row.verdict == "match"


def test_the_best_member_is_the_lowest_final_loss_as_the_panel_picks_it() -> None:
    """The ghost of a compared sweep is the member its panel names best: by the end record's
    final loss (the last iteration's), not by the last logged one (every K-th)."""
    past = PastRun(Path("."), RunConfig())
    logs = {}
    for k, last_logged in enumerate((1.0, 2.0)):
        logs[k] = LossLog(10)
        logs[k].append([5.0, last_logged], [0.0, 0.1])
    past.members["numpy"] = logs
    past.member_ends["numpy"] = {0: {"event": "done", "final_loss": 3.0},
                                 1: {"event": "done", "final_loss": 0.5}}  # fmt: skip
    assert past.trainer_log("numpy") is logs[1]
    past.member_ends["numpy"] = {}  # a run cut short: no ends, the last logged decide
    assert past.trainer_log("numpy") is logs[0]
