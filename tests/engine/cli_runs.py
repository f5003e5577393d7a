"""Provides `mlp-tui` runs for the engine tests: small flags, a headless run's exit code and
output, .npz starts, and a folder's files (to see that a refused run created nothing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tui.main import main

SMALL = [
    "--n",
    "8",
    "--d-in",
    "12",
    "--hidden",
    "9",
    "--d-out",
    "5",
    "--workers",
    "thread",
    "--no-log",
]


def run(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(["--headless", *SMALL, *args])
    out, err = capsys.readouterr()
    return code, out, err


def write_npz(path: Path, **overrides: object) -> Path:
    rng = np.random.default_rng(0)
    arrays = {
        "x": rng.standard_normal((6, 4)),
        "y": rng.standard_normal((6, 3)),
        "w1": rng.standard_normal((4, 5)),
        "w2": rng.standard_normal((5, 3)),
    }
    arrays.update(overrides)  # type: ignore[arg-type]
    np.savez(path, **{key: value for key, value in arrays.items() if value is not None})
    return path


def files_under(folder: Path) -> dict[str, bytes | None]:
    """Every file's content and every folder (None) under folder, to see that nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
            for p in folder.rglob("*")}  # fmt: skip
