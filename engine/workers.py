"""Provides the two ways to run a trainer: in a worker thread, or in a child process it relays."""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import multiprocessing.resource_tracker
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from engine.config import RunConfig, TrainerSpec
from engine.data import Start
from engine.events import FAILED, STOPPED, Event, FamilyPoints, LossPoints, TrainerEnded
from engine.loop import Gate, run_trainer

WORKER_MODES = ("thread", "process")
# Trainers yield the CPU to the process that drives them (the app's keys and repaints) when both
# want it; alone on a core they run at full speed all the same.
CHILD_NICENESS = 15
# A fork server imports numpy and torch once; each trainer's process then starts in milliseconds
# instead of importing torch anew (seconds). Spawn where there is no fork (macOS keeps spawn too:
# forking there is unsafe with system frameworks). engine.torch_mlp brings torch._dynamo too.
_PRELOAD = ["engine.loop", "engine.numpy_mlp", "engine.torch_mlp", "threadpoolctl"]
if sys.platform == "linux":
    _CONTEXT: Any = multiprocessing.get_context("forkserver")
    _CONTEXT.set_forkserver_preload(_PRELOAD)
else:
    _CONTEXT = multiprocessing.get_context("spawn")


def limit_threads(threads: int, uses_torch: bool) -> None:
    """Caps the BLAS/OpenMP threads of numpy (and of torch when it is used) in this process."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
    if uses_torch:
        import torch

        torch.set_num_threads(threads)


def prepare_processes() -> None:
    """Starts the resource tracker (and fork server) now, while stderr is still the real one.

    Both start with SIGTERM and SIGHUP ignored, which they keep and the trainers the server forks
    inherit: a signal to the whole process group (`timeout`, a batch scheduler, the hangup of a
    closed terminal) ended them mid-step, the run's trainers as failed, and the tracker with
    tracebacks about semaphores it no longer knew. The parent stops the trainers instead; the
    server and the tracker end with the parent.
    """
    with _ignoring(signal.SIGTERM, signal.SIGHUP):
        multiprocessing.resource_tracker.ensure_running()
        if _CONTEXT.get_start_method() == "forkserver":
            multiprocessing.forkserver.ensure_running()


@contextlib.contextmanager
def _ignoring(*signums: int) -> Iterator[None]:
    """These signals ignored meanwhile, which a process started then keeps (only the main thread
    may change them; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class ThreadWorker:
    """Runs one trainer's arithmetic in a worker thread of this process."""

    def __init__(
        self, config: RunConfig, spec: TrainerSpec, start: Start, emit: Callable[[Event], None]
    ) -> None:
        self.gate = Gate()
        self.thread = threading.Thread(
            target=run_trainer,
            args=(config, spec, start, self.gate, emit),
            name=f"trainer-{spec.name}",
            daemon=True,
        )

    def start(self, threads: int, uses_torch: bool) -> None:
        """Starts the thread; thread limits are set once for the process by the runner."""
        self.thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Waits for the trainer to end; True if it has."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def kill(self) -> None:
        """A thread cannot be killed; it ends at its next iteration once stopped."""


def redirect_output(path: Path | None) -> None:
    """Sends this process's stdout and stderr to path (appended), or to nowhere when None.

    At the file descriptors, so that C code's writes and Python's warnings go there too and
    never onto the dashboard's terminal.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    try:
        target = os.open(path or os.devnull, flags, 0o644)
    except OSError:  # the run log's folder is gone or full: lose the output, not the trainer
        target = os.open(os.devnull, os.O_WRONLY)
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)


def stderr_path(log_dir: Path | None, name: str) -> Path | None:
    """Where a trainer's child process writes its stderr: beside the run log, if there is one."""
    return None if log_dir is None else log_dir / f"stderr-{name}.log"


def _child_main(
    config: RunConfig,
    spec: TrainerSpec,
    start: Start,
    gate: Gate,
    conn: Any,
    threads: int,
    output: Path | None,
) -> None:
    # ^C, the hangup of a vanished terminal and a SIGTERM to the whole process group reach the
    # parent too, which stops us
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    _end_with_parent()
    redirect_output(output)
    print(f"--- {spec.name} starts, {time.strftime('%Y-%m-%d %H:%M:%S')}", file=sys.stderr)
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)
    limit_threads(threads, uses_torch=spec.name != "numpy")

    def send(event: Event) -> None:
        if isinstance(event, TrainerEnded) and event.details:  # as if it were uncaught
            print(event.details, end="", file=sys.stderr, flush=True)
        conn.send(event)

    try:
        run_trainer(config, spec, start, gate, send)
    except (BrokenPipeError, EOFError):  # the parent went away: nobody to report to
        pass
    finally:
        conn.close()


def _end_with_parent() -> None:
    """Ends this trainer's process when the app's is gone (killed, say): a paused trainer sends
    nothing that would fail, and it ignores SIGTERM."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)  # nobody to report to, nothing of ours to save

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def last_lines(path: Path | None, count: int = 20) -> str:
    """The end of a child's stderr file ("" when there is none), for a process that died."""
    if path is None:
        return ""
    try:
        with path.open("rb") as stream:
            stream.seek(max(0, stream.seek(0, os.SEEK_END) - 8192))
            text = stream.read().decode("utf-8", "replace")
    except OSError:
        return ""
    this_start = text[text.rfind("\n--- ") + 1 :]  # the file keeps every start's output
    return "\n".join(this_start.splitlines()[-count:])


class ProcessWorker:
    """Runs one trainer in a spawned child process; a thread here relays its batches.

    Args:
        log_dir: the run log's folder, where the child's stdout and stderr go
            (`stderr-<trainer>.log`, appended across restarts); None sends them to os.devnull.
    """

    def __init__(
        self,
        config: RunConfig,
        spec: TrainerSpec,
        start: Start,
        emit: Callable[[Event], None],
        log_dir: Path | None = None,
    ) -> None:
        self.spec, self.config, self.start_data, self.emit = spec, config, start, emit
        self.output = stderr_path(log_dir, spec.name)
        self.gate = Gate(_CONTEXT)
        self.process: Any = None
        self.killed = False
        self.thread = threading.Thread(target=self._relay, name=f"relay-{spec.name}", daemon=True)

    def start(self, threads: int, uses_torch: bool) -> None:
        """Spawns the child and the thread that relays what it reports."""
        receiver, sender = _CONTEXT.Pipe(duplex=False)
        self.receiver = receiver
        args = (self.config, self.spec, self.start_data, self.gate, sender, threads, self.output)
        self.process = _CONTEXT.Process(
            target=_child_main, args=args, name=f"mlp-{self.spec.name}", daemon=True
        )
        self.process.start()
        sender.close()
        self.thread.start()

    def _relay(self) -> None:
        next_iter = 0
        while True:
            try:
                event = self.receiver.recv()
            except (EOFError, OSError):
                break
            self.emit(event)
            if isinstance(event, (LossPoints, FamilyPoints)):
                next_iter = event.next_iter
            elif isinstance(event, TrainerEnded):
                self.process.join()
                return
        self.process.join()
        if self.killed:
            self.emit(TrainerEnded(self.spec.name, STOPPED, next_iter, None, 0.0, "killed"))
            return
        message = f"the trainer's process died (exit code {self.process.exitcode})"
        details = last_lines(self.output)
        self.emit(
            TrainerEnded(self.spec.name, FAILED, next_iter, None, 0.0, message, details=details)
        )

    def join(self, timeout: float | None = None) -> bool:
        """Waits for the trainer to end; True if it has."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def kill(self) -> None:
        """Ends a child that did not stop in time."""
        if self.process is not None and self.process.is_alive():
            self.killed = True
            self.process.kill()
