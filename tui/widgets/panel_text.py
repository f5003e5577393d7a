"""Provides what a trainer's panel says in words: the sweep summary in its subtitle, the eta,
the stats line and the details `i` shows (mixed into TrainerPanel, which sets the attributes)."""

from __future__ import annotations

import math

from tui.widgets.axis_ticks import clock
from tui.widgets.family import Family

ALARMS = ("diverged", "failed")  # these also redden the border, through a class
MESSAGE_LINES = 3  # of a failure's message, in the panel; `i` shows all of it
ETA_MAX_HOURS = 100  # app.tcss: #eta's fixed width holds "eta 99:59:59"; beyond, "eta >100 h"


def fit_title(parts: list[str], width: int) -> str:
    """name · device · dtype · lr, as a border `width` wide holds it: without the dtype, then
    without the device too, so the lr (what `[` and `]` change) stays whole."""
    room = width - 6 if width else 200  # corners, and "─ " " ─" around the title
    for dropped in ((), (2,), (1, 2)):
        title = " · ".join(part for k, part in enumerate(parts) if k not in dropped)
        if len(title) <= room:
            break
    return title


class PanelText:
    """The panel's words, from its state."""

    state: str
    done: int
    iters: int
    rate: float
    loss: float
    elapsed: float
    message: str
    details: str
    notice: str
    family: Family | None

    @property
    def active(self) -> bool:
        """Still training, or about to (the panel's own says)."""
        raise NotImplementedError

    def family_summary(self, used: int, width: int) -> str:
        """A sweep's members, best and divergences, in what a subtitle `width` wide has left
        after `used` characters (the best member alone in a narrow panel)."""
        if self.family is None:
            return ""
        room = width - used - 9 if width else 200  # corners, spaces, " · "
        summary = self.family.summary(room)
        return f" · {summary}" if summary else ""

    def eta_line(self) -> str:
        """Time left at the trainer's last speed; '-' while it holds, nothing once it ended."""
        if not self.active:
            return ""
        if self.state != "running" or self.rate <= 0:
            return "eta -"
        seconds = round((self.iters - self.done) / self.rate)
        if seconds >= ETA_MAX_HOURS * 3600:
            return f"eta >{ETA_MAX_HOURS} h"
        return f"eta {clock(seconds)}"

    def stats_line(self) -> str:
        """Current loss, it/s and elapsed time, or why the trainer ended."""
        if self.state in ("diverged", "failed"):
            return "\n".join(self.message.splitlines()[-MESSAGE_LINES:])
        notice = f" · {self.notice}" if self.notice else ""
        best = "" if self.family is None else "best "
        loss = "-" if math.isnan(self.loss) else f"{self.loss:.4g}"  # none yet: starting
        rate = "" if math.isnan(self.rate) else f" · {self.rate:.0f} it/s"  # a replay's unknown
        return f"{best}loss {loss}{rate} · {self.elapsed:.1f}s{notice}"

    def details_text(self) -> str:
        """What `i` shows: the state, how the trainer ended and the traceback, if any."""
        parts = [f"{self.state} after {self.done}/{self.iters} iterations", self.message,
                 self.details or ("no traceback" if self.state == "failed" else "")]  # fmt: skip
        return "\n\n".join(part for part in parts if part)
