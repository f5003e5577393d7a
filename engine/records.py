"""Provides the JSONL records of a run: a loss record every K iterations and one end per trainer."""

from __future__ import annotations

import json
from typing import IO, Any, Protocol

from engine.events import Event, LossPoints, Member, TrainerEnded
from engine.history import logged_offset


def loss_records(points: LossPoints, every: int) -> list[dict[str, Any]]:
    """The records of a batch's iterations that fall on the log interval."""
    first = logged_offset(points.first_iter, every)
    return [
        {
            "trainer": points.trainer,
            **member_fields(points.member),
            "iter": points.first_iter + i,
            "loss": points.losses[i],
            "t": round(points.times[i], 6),
        }
        for i in range(first, len(points.losses), every)
    ]


def member_fields(member: Member | None) -> dict[str, Any]:
    """A sweep member's number and swept values, as its records carry them; none outside one."""
    return {} if member is None else {"member": member.index, **member.values}


def end_record(ended: TrainerEnded) -> dict[str, Any]:
    """How a trainer ended, with its iterations, final loss, wall time and speed."""
    record: dict[str, Any] = {
        "trainer": ended.trainer,
        **member_fields(ended.member),
        "event": ended.status,
        "iters": ended.iters,
        "final_loss": ended.final_loss,
        "wall": round(ended.wall, 6),
        "it_s": round(ended.its_per_s, 3),
    }
    if ended.message:
        record["message"] = ended.message
    if ended.details:
        record["traceback"] = ended.details
    if ended.members:
        record["members"] = len(ended.members)
    return record


def notice_record(points: LossPoints) -> dict[str, Any]:
    """A one-line notice a trainer gave with a batch, at the batch's first iteration."""
    return {"trainer": points.trainer, "event": "notice", "iter": points.first_iter,
            "message": points.notice}  # fmt: skip


class RecordSink(Protocol):
    """Anything that keeps a run's records: a --jsonl stream, a run log."""

    def write(self, event: Event) -> None:
        """Keeps the records an event makes."""


class RecordWriter:
    """Writes events as JSON lines to a stream, flushing each batch."""

    def __init__(self, stream: IO[str], every: int) -> None:
        self.stream = stream
        self.every = every

    def write(self, event: Event) -> None:
        """Writes the records an event makes."""
        if isinstance(event, LossPoints):
            records = loss_records(event, self.every)
            if event.notice:  # e.g. a CUDA graph capture that failed: the run went on eagerly
                records.insert(0, notice_record(event))
        elif isinstance(event, TrainerEnded):
            records = [end_record(end) for end in (*event.members, event)]
        else:
            return
        for record in records:
            self.stream.write(json.dumps(record) + "\n")
        self.stream.flush()
