"""Weight files round-trip between trainers: any trainer's saved file starts every trainer, and
files from older versions (Fortran-ordered weights) still start them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.engine.cli_runs import SMALL, write_npz
from tui.main import main

TRAINERS = ("numpy", "torch-manual", "torch-autograd", "torch-optim")


def headless_records(capsys, *args: str) -> tuple[int, list[dict], str]:  # type: ignore[no-untyped-def,type-arg]
    code = main(["--headless", *SMALL, "--jsonl", "-", "--log-every", "1", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def first_losses(records: list[dict]) -> dict[str, float]:  # type: ignore[type-arg]
    return {r["trainer"]: r["loss"] for r in records if r.get("iter") == 0}


def ends(records: list[dict]) -> dict[str, str]:  # type: ignore[type-arg]
    return {r["trainer"]: r["event"] for r in records if "event" in r}


def test_every_trainers_saved_weights_start_every_trainer(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Saved after 5 iterations, each file starts all four; each one's first loss is the saver's
    loss at iteration 5 (exact where both compute in the same dtype and way, else to float32)."""
    code, _, err = headless_records(capsys, "--iters", "5", "--save-weights", str(tmp_path))
    assert code == 0 and "wrote " in err
    code, six, _ = headless_records(capsys, "--iters", "6")  # the same runs, one step further
    at_five = {r["trainer"]: r["loss"] for r in six if r.get("iter") == 5}
    for saver in TRAINERS:
        code, records, err = headless_records(
            capsys, "--iters", "2", "--init-from", str(tmp_path / f"{saver}.npz")
        )
        assert code == 0 and err == "", (saver, err)
        assert ends(records) == dict.fromkeys(TRAINERS, "done"), saver
        for starter, loss in first_losses(records).items():
            rtol = 1e-12 if starter == saver else 1e-5  # numpy float64, the torch ones float32
            assert loss == pytest.approx(at_five[saver], rel=rtol), (saver, starter)


def test_an_older_file_with_fortran_ordered_weights_starts_every_trainer(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Files written before the weights were saved C-ordered hold nn.Linear's transposes."""
    rng = np.random.default_rng(1)
    path = write_npz(
        tmp_path / "old.npz",
        w1=np.asfortranarray(rng.standard_normal((4, 5))),
        w2=np.asfortranarray(rng.standard_normal((5, 3))),
    )
    with np.load(path) as npz:
        assert npz["w1"].flags.f_contiguous and not npz["w1"].flags.c_contiguous
    code, records, err = headless_records(capsys, "--iters", "2", "--init-from", str(path))
    assert code == 0 and err == ""
    assert ends(records) == dict.fromkeys(TRAINERS, "done")
    losses = first_losses(records)
    assert losses["numpy"] == pytest.approx(losses["torch-optim"], rel=1e-5)
