"""A sweep's JSON lines, run log and table name each member; runs without one are unchanged."""

from __future__ import annotations

import json

import pytest

from tests.engine.cli_runs import run
from tui.main import main

SWEEP = ["--trainers", "numpy,torch-optim", "--iters", "20", "--log-every", "10"]
F64 = [*SWEEP, "--dtype", "float64"]


def test_every_record_names_its_member_and_values(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, *SWEEP, "--sweep", "lr=1e-6,1e-3", "--sweep", "seed=0:1",
                       "--jsonl", "-")  # fmt: skip
    records = [json.loads(line) for line in out.splitlines()]
    numpy = [r for r in records if r["trainer"] == "numpy"]
    losses = [r for r in numpy if "loss" in r]
    assert [(r["member"], r["lr"], r["seed"], r["iter"]) for r in losses] == [
        (0, 1e-6, 0, 0), (0, 1e-6, 0, 10), (1, 1e-6, 1, 0), (1, 1e-6, 1, 10),
        (2, 1e-3, 0, 0), (2, 1e-3, 0, 10), (3, 1e-3, 1, 0), (3, 1e-3, 1, 10),
    ]  # fmt: skip
    ends = [r for r in numpy if "event" in r]
    assert [(r.get("member"), r["event"], r["iters"]) for r in ends] == [
        (0, "done", 20), (1, "done", 20), (2, "done", 20), (3, "done", 20), (None, "done", 20)
    ]  # fmt: skip
    assert ends[2]["lr"] == 1e-3 and ends[2]["seed"] == 0 and ends[-1]["members"] == 4
    assert ends[-1]["final_loss"] == min(r["final_loss"] for r in ends[:-1])
    assert code == 0


def test_a_diverged_member_gets_its_own_end_and_the_trainer_ends_done(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, *SWEEP, "--sweep", "init-scale=1,1e100", "--jsonl", "-")
    ends = [json.loads(line) for line in out.splitlines() if '"event"' in line]
    numpy = [r for r in ends if r["trainer"] == "numpy"]
    assert [(r.get("member"), r.get("init_scale"), r["event"]) for r in numpy] == [
        (0, 1.0, "done"), (1, 1e100, "diverged"), (None, None, "done")
    ]  # fmt: skip
    assert "loss became" in numpy[1]["message"]
    assert "1 of 2 members diverged (#1 init-scale=1e+100)" in numpy[2]["message"]
    assert code == 0


def test_a_trainer_whose_members_all_diverged_ends_at_the_last_divergence(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Not at the steps its frozen members rode along to the next batch: as a single trainer."""
    jsonl = tmp_path / "run.jsonl"
    code, out, _ = run(capsys, "--trainers", "numpy", "--iters", "1000", "--sweep", "lr=0.5,10",
                       "--jsonl", str(jsonl))  # fmt: skip
    *members, trainer = [json.loads(line) for line in jsonl.open() if '"event"' in line]
    assert [(m["member"], m["event"], m["iters"]) for m in members] == [
        (0, "diverged", 5), (1, "diverged", 4)
    ]  # fmt: skip
    assert (trainer["event"], trainer["iters"]) == ("diverged", 5)
    assert trainer["it_s"] == pytest.approx(5 / trainer["wall"], rel=1e-3)
    its = float(out.splitlines()[1].split()[-2])  # the table's it/s: over the same iterations
    assert its == pytest.approx(trainer["it_s"], rel=1e-3) and code == 0


def test_a_member_is_reproduced_alone_with_init_seed_and_init_scale(capsys) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = run(capsys, *F64, "--sweep", "seed=2,7", "--sweep", "init-scale=0.5,2",
                    "--jsonl", "-")  # fmt: skip
    member = [json.loads(line) for line in out.splitlines() if '"member": 3,' in line]
    _, out, _ = run(capsys, *F64, "--init-seed", "7", "--init-scale", "2", "--jsonl", "-")
    alone = [json.loads(line) for line in out.splitlines()]
    for name in ("numpy", "torch-optim"):
        swept = [r["loss"] for r in member if r["trainer"] == name and "loss" in r]
        single = [r["loss"] for r in alone if r["trainer"] == name and "loss" in r]
        assert swept == pytest.approx(single, rel=1e-9) and len(swept) == 2


def test_records_without_a_sweep_keep_their_fields(capsys) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = run(capsys, *SWEEP, "--jsonl", "-")
    records = [json.loads(line) for line in out.splitlines()]
    assert {tuple(r) for r in records} == {
        ("trainer", "iter", "loss", "t"),
        ("trainer", "event", "iters", "final_loss", "wall", "it_s"),
    }


def test_the_run_log_keeps_the_member_records(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sizes = ["--n", "8", "--d-in", "12", "--hidden", "9", "--d-out", "5"]
    argv = ["--headless", *sizes, "--workers", "process", "--log-dir", str(tmp_path), *SWEEP,
            "--sweep", "lr=1e-6,1e-5"]  # fmt: skip
    assert main(argv) == 0
    (log,) = tmp_path.iterdir()
    records = [json.loads(line) for line in (log / "losses.jsonl").read_text().splitlines()]
    assert {(r["trainer"], r["member"]) for r in records if "loss" in r} == {
        (name, k) for name in ("numpy", "torch-optim") for k in (0, 1)
    }
    assert json.loads((log / "config.json").read_text())["sweep"] == [["lr", [1e-6, 1e-5]]]


def test_the_table_shows_members_divergences_the_best_and_speeds(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, *SWEEP, "--sweep", "lr=1e-6,1e-5,1e300")
    header, *rows = out.splitlines()
    assert header.split() == ["trainer", "status", "device", "dtype", "members", "diverged",
                              "best", "member", "final", "loss", "wall", "s", "it/s",
                              "member-it/s"]  # fmt: skip
    numpy = rows[0].split()
    assert numpy[:6] == ["numpy", "done", "cpu", "float64", "3", "1"]
    assert numpy[6:8] == ["#1", "lr=1e-05"]
    its, member_its = float(numpy[-2]), float(numpy[-1])
    assert member_its == pytest.approx(3 * its, rel=1e-3)
    assert len(rows) == 2 and code == 0


@pytest.mark.parametrize("sweep", [[], ["--sweep", "lr=1e-6,1e-3"]], ids=["single", "sweep"])
def test_a_fused_adam_that_fails_at_its_first_step_gives_way_to_the_plain_one(  # type: ignore[no-untyped-def]
    capsys, monkeypatch, sweep: list[str]
) -> None:
    """torch 2.2 takes fused=True for Adam on the CPU and fails only when it steps; torch-optim
    then ended `failed` ("Could not run 'aten::_fused_adam_' ... 'CPU' backend")."""
    import torch

    class FusedOnlyOnPaper(torch.optim.Adam):
        def step(self, closure=None):  # type: ignore[no-untyped-def]
            if self.defaults.get("fused"):
                raise NotImplementedError("Could not run 'aten::_fused_adam_' (CPU backend)")
            return super().step(closure)

    monkeypatch.setattr(torch.optim, "Adam", FusedOnlyOnPaper)
    code, out, err = run(capsys, "--trainers", "torch-optim", "--iters", "20", *sweep)
    assert (code, err) == (0, "")
    assert out.splitlines()[1].split()[:2] == ["torch-optim", "done"]
