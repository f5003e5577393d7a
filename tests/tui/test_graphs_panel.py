"""The panel says `graphs` while a trainer runs captured, and shows why when a capture fails."""

from __future__ import annotations

import pytest

import engine.config
import engine.torch_graphs
from tests.engine.test_graphs import _failing_capture, _fake_capture
from tests.tui.conftest import panels, small_app, wait_until


@pytest.mark.parametrize("capture", [_fake_capture, _failing_capture])
async def test_the_panel_names_graphs_or_the_failed_capture(monkeypatch, capture) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(engine.config, "uses_graphs", lambda graphs, device: True)
    monkeypatch.setattr(engine.torch_graphs, "capture", capture)
    app = small_app("thread", iters=300, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(120, 36)) as pilot:
        shown = panels(app)
        await wait_until(pilot, lambda: not any(p.active for p in shown.values()))
        manual, numpy = shown["torch-manual"], shown["numpy"]
        assert manual.state == "done" and manual.done == 300
        assert "graphs" not in str(numpy.border_title)
        if capture is _fake_capture:
            assert "· graphs ·" in str(manual.border_title)
            assert "capture failed" not in str(manual.stats_line())
        else:
            assert "graphs" not in str(manual.border_title)
            assert "CUDA graphs off, running eager: capture failed" in manual.stats_line()
        await pilot.press("q")
