"""Provides CUDA graphs for the torch trainers: K steps captured once, replayed per batch.

At the seed's sizes a step is a few dozen small kernels and the GPU waits on Python and on
kernel launches; one graph replay launches K whole steps at once. The steps read and write the
trainer's own tensors in place (weights, buffers, optimizer state, the lr as a 0-d tensor), so a
replay continues the eager run exactly and a changed lr is honoured without recapture. Each step
writes its loss into a device buffer of K, read with the batch. A capture that fails (an op that
can't be captured, a torch without graphs) leaves the trainer eager, with a one-line notice.

Trainers in threads of one process (--workers thread) capture one at a time, as torch requires,
and each capture is "thread_local": under torch's default, "global", the other trainers' loss
reads (a sync) would fail while one captures, and break its capture.
"""

from __future__ import annotations

import threading
from typing import Any

import torch

from engine.data import Dataset, Params
from engine.loop import describe

GRAPH_STEPS = 10  # steps per replay: a batch of losses, and the most a pause or stop waits for
_ONE_CAPTURE = threading.Lock()  # torch allows one capture underway per process


def capture(trainer: Any, k: int, shape: tuple[int, ...] = ()) -> tuple[Any, torch.Tensor]:
    """Captures k steps of the trainer in one CUDA graph; returns it and its loss buffer.

    shape: what one step returns, () for a loss, (M,) for a sweep's members' losses.

    Run after warm-up steps on a side stream (PyTorch's CUDA graphs notes): capturing records
    kernels without running them, so the trainer's state is what the eager steps left. The
    capture runs on a stream of the trainer's device (torch's default one is cuda:0's, where a
    trainer on cuda:1 would record nothing), and this thread's stream is restored even when the
    capture fails (torch's graph then leaves the thread on its capture stream).
    """
    device = trainer.x.device
    with torch.cuda.device(device), torch.cuda.stream(torch.cuda.current_stream(device)):
        losses = torch.empty((k, *shape), dtype=trainer.x.dtype, device=device)
        graph = torch.cuda.CUDAGraph()
        on = torch.cuda.Stream(device)
        with torch.cuda.graph(graph, stream=on, capture_error_mode="thread_local"):
            for i in range(k):
                losses[i].copy_(trainer.step())
    return graph, losses


class GraphedTrainer:
    """A torch trainer run K steps per CUDA graph replay; single steps stay eager.

    The loop calls steps(k) with k == batch_steps while it runs freely and enough iterations
    remain, and step() otherwise (a single step while paused, the last few).
    """

    def __init__(self, trainer: Any, k: int = GRAPH_STEPS) -> None:
        self.trainer = trainer
        self.device = trainer.device
        self.batch_steps = k
        self.graph: Any = None
        self.losses: torch.Tensor | None = None
        self.mode = "eager"  # "graphs" once captured
        self.notice = ""  # why graphs are off, once, for the panel and the run log

    def step(self) -> torch.Tensor:
        """One eager step of the trainer."""
        return self.trainer.step()

    @property
    def lr(self) -> torch.Tensor:
        """The trainer's learning rate, the 0-d tensor its steps read."""
        return self.trainer.lr

    @property
    def data(self) -> Dataset:
        """The float64 start the trainer was built from."""
        return self.trainer.data

    def params(self) -> Params:
        """The trainer's current weights (a replay changes them in place, as eager steps do)."""
        return self.trainer.params()

    def steps(self, k: int) -> torch.Tensor:
        """k steps; their losses in a tensor of k left on the device.

        The first call runs them eagerly on a side stream (the warm-up) and then captures.
        """
        if self.graph is not None and self.losses is not None and k == self.batch_steps:
            self.graph.replay()
            return self.losses.clone()  # the next replay overwrites the buffer
        if self.notice:  # the capture failed: eager from now on
            return torch.stack([self.trainer.step() for _ in range(k)])
        result = self._warm_up(k)
        if k == self.batch_steps:
            self._try_capture(tuple(result.shape[1:]))
        return result

    def _warm_up(self, k: int) -> torch.Tensor:
        if not self.device.startswith("cuda"):  # a test's stand-in capture, on the CPU
            return torch.stack([self.trainer.step() for _ in range(k)])
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            losses = torch.stack([self.trainer.step() for _ in range(k)])
        torch.cuda.current_stream(self.device).wait_stream(side)
        return losses

    def _try_capture(self, shape: tuple[int, ...]) -> None:
        try:
            with _ONE_CAPTURE:
                self.graph, self.losses = capture(self.trainer, self.batch_steps, shape)
            self.mode = "graphs"
        except Exception as error:  # an op that can't be captured, an old torch, a driver
            self.graph, self.losses, self.mode = None, None, "eager"
            self.trainer.reset_after_capture()
            # torch ends a failed capture with an error of its own; the cause is its context
            cause = error.__context__ or error
            why = describe(cause).splitlines()[0]  # one line: the notice is a panel's stats line
            self.notice = f"CUDA graphs off, running eager: capture failed ({why})"

    def freeze(self, members: list[int]) -> None:
        """A sweep's diverged members: frozen by the trainer, and captured again without them
        (torch-optim drops their param groups, which the graph would still step)."""
        self.trainer.freeze(members)
        self.graph, self.losses = None, None  # the next full batch warms up and captures

    def set_lr(self, lr: float) -> None:
        """A new learning rate, taken by the next step, replayed or eager (a graph that holds the
        old one as a number is captured again: float64 SGD on CUDA)."""
        self.trainer.set_lr(lr)
        if not getattr(self.trainer, "lr_on_device", True):
            self.graph, self.losses = None, None

    def read_losses(self, pending: list[torch.Tensor]) -> list[float]:
        """Copies a batch of losses (single ones and graph buffers) to the host in one transfer."""
        return torch.cat([loss.reshape(-1) for loss in pending]).tolist() if pending else []
