"""Pause, resume, single step, stop, divergence and failure behave as a user expects."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engine.events import LossPoints, TrainerEnded, TrainerPaused
from engine.loop import Gate, train
from engine.runner import Runner
from tests.engine.conftest import small_config

WAIT = 60  # seconds; only reached when something is broken


class Events:
    """What the runner reported, read by the test thread."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.iters: dict[str, int] = {}
        self.ended: dict[str, TrainerEnded] = {}
        self.paused: dict[str, int] = {}

    def wait_for(self, condition) -> None:  # type: ignore[no-untyped-def]
        while not condition():
            event = self.queue.get(timeout=WAIT)
            if isinstance(event, LossPoints):
                assert event.first_iter == self.iters.get(event.trainer, 0)
                self.iters[event.trainer] = event.next_iter
            elif isinstance(event, TrainerPaused):
                assert event.iters == self.iters.get(event.trainer, 0)
                self.paused[event.trainer] = event.iters
            elif isinstance(event, TrainerEnded):
                self.ended[event.trainer] = event

    def wait_paused(self, names) -> None:  # type: ignore[no-untyped-def]
        self.paused.clear()
        self.wait_for(lambda: set(self.paused) >= set(names))


@pytest.fixture(params=["thread", "process"])
def mode(request) -> str:  # type: ignore[no-untyped-def]
    return request.param


def test_pause_step_resume_and_stop(mode: str) -> None:
    config = small_config(iters=10**7, trainers=("numpy", "torch-manual"))
    events = Events()
    runner = Runner(config, events.queue.put, mode)
    runner.start()
    events.wait_for(lambda: min(events.iters.get(n, 0) for n in config.trainers) > 5)
    runner.pause()
    events.wait_paused(config.trainers)
    frozen = dict(events.iters)

    runner.step(["numpy"])
    events.wait_paused(["numpy"])
    assert events.paused["numpy"] == frozen["numpy"] + 1
    runner.step(["numpy"])
    events.wait_paused(["numpy"])
    assert events.iters == {"numpy": frozen["numpy"] + 2, "torch-manual": frozen["torch-manual"]}

    runner.resume()
    events.wait_for(lambda: events.iters["torch-manual"] > frozen["torch-manual"] + 10)
    runner.stop()
    events.wait_for(lambda: len(events.ended) == 2)
    for name, end in events.ended.items():
        assert end.status == "stopped"
        assert end.iters == events.iters[name]
    assert not any(worker.thread.is_alive() for worker in runner.workers.values())


def test_a_run_started_while_held_shows_its_first_loss_and_holds(mode: str) -> None:
    config = small_config(iters=10**7, trainers=("numpy", "torch-manual"))
    events = Events()
    runner = Runner(config, events.queue.put, mode)
    runner.pause()  # before the runs exist: they start held
    runner.start()
    events.wait_paused(config.trainers)
    assert events.paused == {"numpy": 1, "torch-manual": 1}
    runner.resume(["numpy"])
    events.wait_for(lambda: events.iters["numpy"] > 10)
    runner.stop()
    events.wait_for(lambda: len(events.ended) == 2)
    assert events.ended["torch-manual"].iters == 1 and events.iters["torch-manual"] == 1


def test_stop_takes_effect_within_one_iteration() -> None:
    gate = Gate()
    reached, release = threading.Event(), threading.Event()

    class BlockingTrainer:
        device = "cpu"
        calls = 0

        def step(self) -> float:
            self.calls += 1
            if self.calls == 6:
                reached.set()
                release.wait(WAIT)
            return 1.0

        read_losses = staticmethod(list)

    ended: list[TrainerEnded] = []
    trainer = BlockingTrainer()
    worker = threading.Thread(
        target=train,
        args=(
            "fake",
            trainer,
            1000,
            gate,
            lambda e: ended.append(e) if isinstance(e, TrainerEnded) else None,
        ),
    )
    worker.start()
    assert reached.wait(WAIT)
    gate.stop()  # asked during iteration 5 (the sixth)
    release.set()
    worker.join(WAIT)
    assert trainer.calls == 6
    assert ended[0].status == "stopped" and ended[0].iters == 6


def test_a_diverging_trainer_ends_diverged_and_the_others_finish() -> None:
    config = small_config(iters=300, trainers=("numpy", "torch-manual"), lr={"numpy": 10.0})
    events = Events()
    runner = Runner(config, events.queue.put, "thread")
    runner.start()
    events.wait_for(lambda: len(events.ended) == 2)
    runner.stop()
    numpy_end, torch_end = events.ended["numpy"], events.ended["torch-manual"]
    assert numpy_end.status == "diverged"
    assert numpy_end.iters < 300 and f"iteration {numpy_end.iters}" in numpy_end.message
    assert torch_end.status == "done" and torch_end.iters == 300


def test_a_failing_trainer_ends_failed_and_the_others_finish(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import engine.loop

    real_build = engine.loop.build_trainer

    def build_faulty(config, spec, start):  # type: ignore[no-untyped-def]
        trainer = real_build(config, spec, start)
        if spec.name == "torch-manual":
            trainer.step = lambda: (_ for _ in ()).throw(RuntimeError("CUDA error: injected"))
        return trainer

    monkeypatch.setattr(engine.loop, "build_trainer", build_faulty)
    config = small_config(iters=100, trainers=("numpy", "torch-manual"))
    events = Events()
    runner = Runner(config, events.queue.put, "thread")
    runner.start()
    events.wait_for(lambda: len(events.ended) == 2)
    runner.stop()
    assert events.ended["numpy"].status == "done" and events.ended["numpy"].iters == 100
    failed = events.ended["torch-manual"]
    assert failed.status == "failed" and failed.message == "RuntimeError: CUDA error: injected"


def test_a_dead_child_process_ends_its_trainer_failed() -> None:
    config = small_config(iters=10**7, trainers=("numpy", "torch-manual"))
    events = Events()
    runner = Runner(config, events.queue.put, "process")
    runner.start()
    events.wait_for(lambda: min(events.iters.get(n, 0) for n in config.trainers) > 0)
    runner.workers["torch-manual"].process.kill()
    events.wait_for(lambda: "torch-manual" in events.ended)
    assert events.ended["torch-manual"].status == "failed"
    assert "process died" in events.ended["torch-manual"].message
    assert "numpy" not in events.ended  # the other goes on
    runner.stop()
    events.wait_for(lambda: "numpy" in events.ended)
    assert events.ended["numpy"].status == "stopped"


CHILD_FAILS = """
import sys
from pathlib import Path
from engine.config import RunConfig, validate
from engine.headless import run_headless
from engine.runlog import RunLog
config = validate(RunConfig(n=8, d_in=12, hidden=9, d_out=5, iters=20,
                            trainers=("numpy", "torch-manual"), device="cuda:99"))
log = RunLog(config, Path(sys.argv[1]))
code = run_headless(config, None, "process", log)
log.close()
sys.exit(code)
"""


def test_a_childs_stderr_goes_to_the_run_log_folder_never_to_the_terminal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # torch raises in the child, building a trainer on a device no machine has; the child's
    # traceback is its stderr, which the terminal (here the pipe) must not see.
    result = subprocess.run([sys.executable, "-c", CHILD_FAILS, str(tmp_path)],
                            capture_output=True, text=True, cwd=Path.cwd())  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("mlp-tui: torch-manual failed: ")
    assert "Traceback" not in result.stderr
    (run_dir,) = tmp_path.iterdir()
    stderr = (run_dir / "stderr-torch-manual.log").read_text()
    assert "--- torch-manual starts" in stderr and "Traceback (most recent call last)" in stderr
    assert "Traceback" not in (run_dir / "stderr-numpy.log").read_text()


PAUSED_PARENT = """
import queue
import sys
from engine.config import RunConfig, validate
from engine.events import TrainerPaused
from engine.runner import Runner
config = validate(RunConfig(n=8, d_in=12, hidden=9, d_out=5, iters=10**8,
                            trainers=("numpy", "torch-manual")))
paused = queue.Queue()
runner = Runner(config, lambda event: isinstance(event, TrainerPaused) and paused.put(1), "process")
runner.start()
runner.pause()
paused.get(), paused.get()  # both hold now, quiet: nothing they send could fail
print(*(worker.process.pid for worker in runner.workers.values()), flush=True)
sys.stdin.read()  # until killed
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_paused_trainers_end_with_an_app_killed_outright() -> None:
    """A paused trainer sends nothing that would fail, and ignores SIGTERM (a group's reaches the
    app, which stops it): it watches for its parent's end instead."""
    import signal
    import time

    from tests.tui.browser import alive, command_of

    with subprocess.Popen([sys.executable, "-c", PAUSED_PARENT], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, cwd=Path.cwd()) as parent:  # fmt: skip
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        trainers = {pid: command_of(pid) for pid in pids}
        assert len(trainers) == 2 and alive(trainers) == trainers
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 20
    while alive(trainers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(trainers)
