"""What an observer of a guest run can be told, and how the reference engine tells it.

Eight events, each a method a listener may define (any it leaves out it is not told):

    block_entered(pcs)                  a unit of code starts: the addresses of the instructions
                                        it runs once each (a translated block, or one instruction)
    instruction_retired(pc, state)      the instruction at pc retired; `state` is the hart's
                                        CpuState, up to date
    memory_accessed(pc, addr, size, access)
                                        the instruction at pc loads ("r") or stores ("w") size
                                        bytes at addr (instruction fetches are not reported)
    instruction_faulted(pc, signum, addr)
                                        the instruction at pc did not retire: it raised signal
                                        `signum`, delivered next (addr: its si_addr, the
                                        faulting address, or pc for illegal instructions)
    system_call_made(number, args)      the thread runs system call `number` (told before it
                                        runs, also for calls that never return, and again when a
                                        blocked call runs again)
    system_call(number, args, result)   a system call returned `result` (None: it will run
                                        again, as a blocked call does when its thread resumes)
    signal_delivered(signum, handler)   the thread enters its handler of `signum`, at `handler`
                                        (its registers are the handler's: the frame is pushed)
    thread_switched(tid)                the thread `tid` runs from now on

The plain run pays nothing: the engine asks the hub once per run whether anyone listens to
instructions or memory, and wraps a unit of code for block listeners only when it prepares it
(once per unit, not once per entry); the other events are told by the machine and the kernel,
between runs of the engine. Listeners to the engine's events are told by the reference
(python) engine: a machine with such a listener runs on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EVENTS = ("block_entered", "instruction_retired", "memory_accessed", "instruction_faulted",
          "system_call_made", "system_call", "signal_delivered", "thread_switched")
# The events the engine itself tells; the machine, the kernel and the scheduler tell the others.
ENGINE_EVENTS = ("block_entered", "instruction_retired", "memory_accessed")


class Observers:
    """The listeners of one machine, by event; `hub.<event>` is a list of bound methods
    (empty when no one listens), and `hub.tell(event, ...)` tells them all."""

    def __init__(self) -> None:
        self.listeners: list[Any] = []
        self.on_change: Callable[[], None] | None = None  # told when the listeners change
        self.engine_level = False  # anyone listens to what only the reference engine tells
        self.stepping = False  # the engine runs one instruction at a time, for the listeners
        for event in EVENTS:
            setattr(self, event, [])

    def add(self, listener: Any) -> None:
        if not any(callable(getattr(listener, event, None)) for event in EVENTS):
            raise TypeError(f"{listener!r} listens to none of {', '.join(EVENTS)}")
        self.listeners.append(listener)
        self._collect()

    def remove(self, listener: Any) -> None:
        self.listeners.remove(listener)
        self._collect()

    def _collect(self) -> None:
        for event in EVENTS:
            setattr(self, event, [getattr(listener, event) for listener in self.listeners
                                  if callable(getattr(listener, event, None))])
        self.engine_level = any(getattr(self, event) for event in ENGINE_EVENTS)
        self.stepping = bool(self.instruction_retired or self.memory_accessed)
        if self.on_change is not None:
            self.on_change()

    def tell(self, event: str, *args) -> None:
        for listen in getattr(self, event):
            listen(*args)


class ObservedMemory:
    """The address space as an instruction run one at a time sees it: each load and store
    is told to the memory listeners, with the pc of the instruction making it."""

    def __init__(self, space, listeners: list[Callable]):
        self._space = space
        self._listeners = listeners
        self.pc = 0

    def __getattr__(self, name: str):
        return getattr(self._space, name)

    def _tell(self, addr: int, size: int, access: str) -> None:
        for listen in self._listeners:
            listen(self.pc, addr, size, access)

    def load(self, addr: int, size: int, signed: bool) -> int:
        value = self._space.load(addr, size, signed)
        self._tell(addr, size, "r")
        return value

    def _load_of(size: int, name: str):  # builds the methods below
        def load(self, addr: int) -> int:
            value = getattr(self._space, name)(addr)
            self._tell(addr, size, "r")
            return value
        return load

    load_u16 = _load_of(2, "load_u16")
    load_u32 = _load_of(4, "load_u32")
    load_s32 = _load_of(4, "load_s32")
    load_u64 = _load_of(8, "load_u64")
    load_s64 = _load_of(8, "load_s64")
    del _load_of

    def store(self, addr: int, size: int, value: int) -> None:
        self._space.store(addr, size, value)
        self._tell(addr, size, "w")

    def read(self, addr: int, size: int) -> bytes:
        data = self._space.read(addr, size)
        self._tell(addr, size, "r")
        return data

    def write(self, addr: int, data: bytes) -> None:
        self._space.write(addr, data)
        self._tell(addr, len(data), "w")
