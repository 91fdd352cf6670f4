"""Why Machine.run and Machine.step returned: one small class per kind of stop.

Each has a `reason` string ("exited", "breakpoint", "watchpoint", "signal", "limit",
"history-start") for code that prefers comparing strings to isinstance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

SIGNAL_NAMES = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
                7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV",
                12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"}


def signal_name(number: int) -> str:
    return SIGNAL_NAMES.get(number, f"signal {number}")


class _Shown:
    """Addresses in hex in the repr."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={_show(name, value)}" for name, value in vars(self).items())
        return f"{type(self).__name__}({fields})"


def _show(name: str, value) -> str:
    if name in ("pc", "addr") and isinstance(value, int):
        return hex(value)
    if name == "watch":
        return f"({value[0]:#x}, {value[1]}, {value[2]!r})"
    return repr(value)


@dataclass(frozen=True, repr=False)
class GuestSignal(_Shown):
    """A signal raised by the guest's own instruction (a fault)."""

    signal: int
    pc: int
    addr: int  # the faulting address (memory faults), or the instruction bits (illegal ones)
    cause: int  # the RISC-V exception cause

    @property
    def name(self) -> str:
        return signal_name(self.signal)


@dataclass(frozen=True, repr=False)
class Exited(_Shown):
    """The process ended: `status` as a shell sees it (128 + signal when killed)."""

    status: int = 0
    signal: int = 0  # the signal that killed it, 0 for exit
    fault: GuestSignal | None = None  # the fault that killed it, if one did
    reason: ClassVar[str] = "exited"


@dataclass(frozen=True, repr=False)
class _Stopped(_Shown):
    pc: int  # where the machine stopped


@dataclass(frozen=True, repr=False)
class Breakpoint(_Stopped):
    """Execution reached a breakpoint; the instruction at pc has not run yet."""

    reason: ClassVar[str] = "breakpoint"


@dataclass(frozen=True, repr=False)
class Watchpoint(_Shown):
    """The instruction at `pc` read or wrote (`access` "r" or "w") `size` bytes at `addr`,
    in a watched range; it has run (the machine's pc is past it)."""

    addr: int
    size: int
    access: str
    pc: int
    watch: tuple[int, int, str]  # the watchpoint: (address, size, kinds)
    reason: ClassVar[str] = "watchpoint"


@dataclass(frozen=True, repr=False)
class Signalled(_Shown):
    """The instruction at pc raised a signal (a fault). It is delivered when the machine runs
    on (to the guest's handler, or the process dies of it), unless `m.pending_signal` is set
    to None first."""

    signal: int
    pc: int
    addr: int
    reason: ClassVar[str] = "signal"

    @property
    def name(self) -> str:
        return signal_name(self.signal)


@dataclass(frozen=True, repr=False)
class Limit(_Stopped):
    """The instructions asked for have run."""

    reason: ClassVar[str] = "limit"


@dataclass(frozen=True, repr=False)
class HistoryStart(_Stopped):
    """Running backwards reached the oldest recorded state."""

    reason: ClassVar[str] = "history-start"


StopEvent = Exited | Breakpoint | Watchpoint | Signalled | Limit | HistoryStart
