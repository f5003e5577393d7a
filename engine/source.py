"""Provides each trainer's training step as source text, read from engine/ itself."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

ENGINE = Path(__file__).parent

# trainer -> (module file, class, methods of one iteration in the order they run)
STEP_METHODS = {
    "numpy": ("numpy_mlp.py", "NumpyMLP", ("step", "forward", "backward", "update")),
    "torch-manual": ("torch_mlp.py", "TorchManualMLP", ("step", "forward", "backward", "update")),
    "torch-autograd": ("torch_mlp.py", "TorchAutogradMLP", ("step",)),
    "torch-optim": ("torch_mlp.py", "TorchOptimMLP", ("step",)),
}


def step_source(trainer: str) -> str:
    """The source of the methods one iteration of the trainer runs, as they are in engine/.

    Read with ast rather than inspect, so showing it never imports torch.
    """
    module, class_name, methods = STEP_METHODS[trainer]
    text = (ENGINE / module).read_text(encoding="utf-8")
    found = {
        node.name: node
        for cls in ast.parse(text).body
        if isinstance(cls, ast.ClassDef) and cls.name == class_name
        for node in cls.body
        if isinstance(node, ast.FunctionDef)
    }
    lines = text.splitlines()
    parts = [  # whole lines, so a comment after the last statement stays
        textwrap.dedent("\n".join(lines[found[name].lineno - 1 : found[name].end_lineno]))
        for name in methods
    ]
    return f"# {module}: {class_name}\n" + "\n\n".join(parts)
