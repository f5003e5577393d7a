"""engine/ never imports textual or tui, and the numpy trainer never imports torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ENGINE_MODULES = sorted(
    path.stem
    for path in (Path(__file__).parents[2] / "engine").glob("*.py")
    if path.stem != "__init__"
)


def loaded_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in out.stdout.split()}


def test_engine_imports_no_textual_nor_tui() -> None:
    modules = loaded_after("\n".join(f"import engine.{name}" for name in ENGINE_MODULES))
    assert "textual" not in modules and "tui" not in modules
    assert "engine" in modules


def test_numpy_trainer_and_its_run_import_no_torch() -> None:
    modules = loaded_after(
        "import engine.numpy_mlp, engine.runner, engine.headless, engine.cli\n"
        "from engine.config import RunConfig\n"
        "from engine.data import make_start\n"
        "from engine.trainers import build_trainer\n"
        "c = RunConfig(trainers=('numpy',), n=2, d_in=3, hidden=4, d_out=2)\n"
        "build_trainer(c, c.spec('numpy'), make_start(c)).step()"
    )
    assert "torch" not in modules and "numpy" in modules


def test_the_app_starts_without_importing_torch() -> None:
    """torch costs seconds of CPU to import; the app leaves it to the trainers' processes."""
    assert "torch" not in loaded_after("import tui.main, tui.app")
