"""engine/sweep imports no textual nor tui, and a numpy sweep never imports torch."""

from __future__ import annotations

from pathlib import Path

from tests.engine.test_import_hygiene import loaded_after

SWEEP_MODULES = sorted(
    path.stem
    for path in (Path(__file__).parents[2] / "engine" / "sweep").glob("*.py")
    if path.stem != "__init__"
)


def test_sweep_modules_import_no_textual_nor_tui() -> None:
    modules = loaded_after("\n".join(f"import engine.sweep.{name}" for name in SWEEP_MODULES))
    assert "textual" not in modules and "tui" not in modules and "engine" in modules
    assert "torch_batched" in SWEEP_MODULES


def test_a_numpy_sweep_imports_no_torch() -> None:
    modules = loaded_after(
        "from engine.config import RunConfig, validate\n"
        "from engine.runner import make_start\n"
        "from engine.trainers import build_trainer\n"
        "c = validate(RunConfig(trainers=('numpy',), n=2, d_in=3, hidden=4, d_out=2,\n"
        "                       sweep=(('lr', (1e-6, 1e-5)),)))\n"
        "print(build_trainer(c, c.spec('numpy'), make_start(c)).step().shape)"
    )
    assert "torch" not in modules and "numpy" in modules
