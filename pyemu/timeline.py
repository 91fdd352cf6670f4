"""Moving a machine along its recorded history: the checkpoints taken as it runs, going back
to any earlier step, running backwards to the latest breakpoint or watchpoint hit, and
snapshots. What a checkpoint and a snapshot hold is in pyemu.history; the machine's own loop
(Machine._forward) replays the recorded events while it is behind its latest step."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .emulator.journal import replay
from .emulator.memory import GuestFault
from .history import (
    BlockRecorder,
    Checkpoint,
    History,
    MemoryImage,
    Snapshot,
    capture_process,
    copy_thread,
    restore_process,
)
from .stops import Breakpoint, Exited, HistoryStart, Limit, StopEvent, Watchpoint

if TYPE_CHECKING:
    from .machine import Machine


class Timeline:
    """The history of one machine (None when it records none), and the debugger's changes of
    registers and memory not yet recorded in it. Works on the machine's counters and flags
    through Machine._control and Machine._set_control, and runs it with Machine._advance."""

    def __init__(self, machine: Machine, record: bool):
        self.machine = machine
        self.history: History | None = History() if record else None
        self._edited = False  # the debugger changed registers or memory since the last run
        self._edits: list = []  # its changes of memory, as a journal (emulator/journal.py)

    def start_again(self) -> None:
        """A new history from this step (a new program, a restored snapshot)."""
        if self.history is not None:
            self.history = History()
            self.record()

    def state_changed(self, journal: list | None = None) -> None:
        self._edited = True
        self._edits += journal or []

    def commit_edits(self) -> None:
        if self._edited and self.history is not None:
            if self.history.replaying:
                self.history.truncate()  # the changed past is now the present
            self.record(full=False, edited=True, journal=self._edits)
        self._edited = False
        self._edits = []

    def checkpoint(self, full: bool = True, **flags) -> Checkpoint:
        """The machine now; `full`: with the whole address space (else the journal in
        `flags` says what changed in it)."""
        machine = self.machine
        memory = None
        if full:
            recorder = self.history.recorder if self.history is not None else BlockRecorder()
            memory = MemoryImage.capture(machine.space, recorder)
        process = machine.kernel.process
        return Checkpoint(machine.steps, memory, [copy_thread(t) for t in process.threads],
                          process.current, machine._control(), **flags)

    def record(self, full: bool = True, **flags) -> None:
        history = self.history
        before = history.recorder.new_bytes
        checkpoint = self.checkpoint(full, **flags)
        journal_bytes = sum(len(a) for _, args, _ in checkpoint.journal or () for a in args
                            if isinstance(a, bytes))
        history.add(checkpoint, history.recorder.new_bytes - before + journal_bytes + 1024)
        if not history.replaying:
            history.cursor = len(history.checkpoints)

    def restore_checkpoint(self, checkpoint: Checkpoint) -> None:
        machine = self.machine
        if checkpoint.memory is not None:
            checkpoint.memory.restore(machine.space)
        if checkpoint.journal:
            replay(machine.space, checkpoint.journal, GuestFault)
        machine.kernel.process.threads = [copy_thread(t) for t in checkpoint.threads]
        machine._set_control(checkpoint.control)
        machine.scheduler.switch(checkpoint.current)

    def travel(self, index: int) -> None:
        """Restore checkpoint `index` of the history: from there the machine replays up to
        its latest step (recorded first when the machine leaves it)."""
        history = self.history
        if not history.replaying:
            self.record()
            history.end = self.machine.steps
        self.restore_checkpoint(history.checkpoints[index])
        history.cursor = index + 1

    def go_to(self, target: int, stop_early: bool) -> StopEvent:
        """Move to step `target` of the recorded history (back or forward): restore the
        checkpoint before it and replay. stop_early: return at the first breakpoint or
        watchpoint hit on the way (else they are passed)."""
        history = self._required()
        self.commit_edits()
        start = history.start
        self.travel(history.full_at_or_before(max(target, start)))
        while True:
            stop = self.machine._advance(max(target, start))
            if stop_early or isinstance(stop, (Limit, Exited)):
                break
        return HistoryStart(self.machine.state.pc) if target < start else stop

    def run_backwards(self) -> StopEvent:
        """Back to the latest breakpoint or watchpoint hit before the present step: replay
        each interval between full checkpoints, latest first, noting the hits."""
        history = self._required()
        machine = self.machine
        self.go_to(machine.steps, stop_early=False)  # leaves the present recorded
        upper = machine.steps
        while upper > history.start:
            index = history.full_at_or_before(upper - 1)
            hits = self._hits_between(index, upper)
            if hits:
                steps, stop = hits[-1]
                self.go_to(steps, stop_early=False)
                return stop
            upper = history.checkpoints[index].steps
        self.go_to(history.start, stop_early=False)
        return HistoryStart(machine.state.pc)

    def _required(self) -> History:
        if self.history is None:
            raise RuntimeError("this machine keeps no history (Machine.load(..., record=True))")
        return self.history

    def _hits_between(self, index: int, upper: int) -> list[tuple[int, StopEvent]]:
        """(step, stop) of each breakpoint and watchpoint hit from checkpoint `index` up to
        (not including) step `upper`; a watchpoint's step is before its instruction ran."""
        machine = self.machine
        checkpoint = self.history.checkpoints[index]
        self.travel(index)
        hits: list[tuple[int, StopEvent]] = []
        if machine.state.pc in machine.breakpoints and checkpoint.steps < upper:
            hits.append((machine.steps, Breakpoint(machine.state.pc)))
        while machine.steps < upper:
            stop = machine._advance(upper)
            if isinstance(stop, Breakpoint) and machine.steps < upper:
                hits.append((machine.steps, stop))
            elif isinstance(stop, Watchpoint):
                hits.append((machine.steps - 1, stop))
            elif isinstance(stop, (Limit, Exited)):
                break
        return hits

    def snapshot(self, path: str | os.PathLike | None = None) -> Snapshot:
        self.commit_edits()
        machine = self.machine
        process, files = capture_process(machine.kernel.process)
        snapshot = Snapshot(self.checkpoint(), process, files, machine.state.xlen,
                            machine.image.executable)
        if path is not None:
            snapshot.save(path)
        return snapshot

    def restore(self, snapshot: Snapshot | str | os.PathLike) -> None:
        machine = self.machine
        if not isinstance(snapshot, Snapshot):
            snapshot = Snapshot.load(snapshot)
        if snapshot.xlen != machine.state.xlen:
            raise ValueError(f"a snapshot of an RV{snapshot.xlen} process cannot be restored "
                             f"into an RV{machine.state.xlen} one")
        process = machine.kernel.process
        restore_process(process, snapshot.process, snapshot.files)
        self.restore_checkpoint(snapshot.checkpoint)
        old_pid = snapshot.process.pid
        for thread in process.threads:
            if thread.tid == old_pid:  # restored in another pyemu: the main thread is its pid
                thread.tid = process.pid
        self._edited = False
        self.start_again()
