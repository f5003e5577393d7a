"""Past runs read back from their run logs: what a replay shows and a comparison draws."""

from __future__ import annotations

import json

from engine.replay import load_run
from tests.engine.test_lab import SMALL_FLAGS
from tui.main import main


def headless_run(tmp_path, *flags: str):  # type: ignore[no-untyped-def]
    code = main(["--headless", *SMALL_FLAGS, "--workers", "thread", "--log-dir", str(tmp_path),
                 *flags])  # fmt: skip
    assert code == 0
    (run_dir,) = tmp_path.iterdir()
    return run_dir


def test_a_run_log_reads_back_as_the_run_it_was(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    run_dir = headless_run(tmp_path, "--iters", "45", "--trainers", "numpy,torch-optim",
                           "--lr", "numpy=2e-6")  # fmt: skip
    capsys.readouterr()
    past = load_run(run_dir)
    assert past.config.trainers == ("numpy", "torch-optim") and past.config.iters == 45
    assert past.config.spec("numpy").lr == 2e-6
    for name in ("numpy", "torch-optim"):
        assert past.logs[name].iters.tolist() == [0, 10, 20, 30, 40]
        assert past.ends[name]["event"] == "done" and past.ends[name]["iters"] == 45
    records = [json.loads(line) for line in (run_dir / "losses.jsonl").read_text().splitlines()]
    first = next(r for r in records if r["trainer"] == "numpy" and r.get("iter") == 10)
    assert past.logs["numpy"].losses[1] == first["loss"]


def test_a_restarted_trainer_replays_its_last_start_and_a_cut_line_is_skipped(
    tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    run_dir = headless_run(tmp_path, "--iters", "25", "--trainers", "numpy")
    capsys.readouterr()
    log = run_dir / "losses.jsonl"
    restart = {"trainer": "numpy", "event": "start", "run": 2, "iters": 100, "lr": 5e-7,
               "device": "cpu"}  # fmt: skip
    again = [{"trainer": "numpy", "iter": i, "loss": 9.0 - i / 10, "t": i / 100} for i in (0, 10)]
    log.write_text(log.read_text() + "\n".join(json.dumps(r) for r in [restart, *again])
                   + '\n{"trainer": "numpy", "it')  # fmt: skip
    past = load_run(run_dir)
    assert past.logs["numpy"].losses.tolist() == [9.0, 8.0]
    assert "numpy" not in past.ends  # the new start never ended: shown as unfinished
    assert past.config.iters == 100 and past.config.spec("numpy").lr == 5e-7


def test_replay_and_compare_refuse_what_is_not_a_run_log(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--replay", str(tmp_path / "nowhere")]) == 2
    assert "cannot read the run log" in capsys.readouterr().err
    (tmp_path / "config.json").write_text('{"iters": "many"}')
    assert main(["--compare", str(tmp_path)]) == 2
    assert "is not a run's settings" in capsys.readouterr().err
    assert main(["--replay", str(tmp_path), "--headless"]) == 2
    assert "leave out --headless" in capsys.readouterr().err
