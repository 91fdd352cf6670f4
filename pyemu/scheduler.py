"""Thread scheduling: the guest's threads take turns on the machine's one engine, round robin
in creation order. A turn lasts SLICE instructions, or until the thread makes a system call
while others wait to run, or blocks; a thread that waits (on a futex, a pipe, a timer) is
parked and skipped until the kernel wakes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .syscalls import blocking

if TYPE_CHECKING:
    from .machine import Machine

SLICE = 20_000  # instructions a thread runs before the next one's turn


class Scheduler:
    def __init__(self, machine: Machine):
        self.machine = machine
        self.slice_end = SLICE  # the running thread's instret at which its turn ends
        self.turn_over = False  # a system call ended the running thread's turn

    def turn_due(self) -> bool:
        """Whether another thread's turn comes now: the running one waits, or its slice or a
        system call ended its turn. A lone waiting thread waits for its timeout."""
        process = self.machine.kernel.process
        if process.threads[process.current].parked:
            return True
        return len(process.threads) > 1 and (
            self.turn_over or self.machine.state.instret >= self.slice_end)

    def budget(self, budget: int) -> int:
        """`budget` instructions, or fewer when the running thread's turn ends sooner."""
        if len(self.machine.kernel.process.threads) > 1:
            return min(budget, self.slice_end - self.machine.state.instret)
        return budget

    def new_turn(self) -> None:
        """The running thread's turn starts now."""
        self.turn_over = False
        self.slice_end = self.machine.state.instret + SLICE

    def next_thread(self) -> bool:
        """Switch to the next thread that can run (after the current one, in creation order);
        when none can, wait for one of them to be woken. False: every thread waits forever."""
        kernel = self.machine.kernel
        process = kernel.process
        while True:
            blocking.settle(kernel)
            count = len(process.threads)
            for step in range(1, count + 1):
                index = (process.current + step) % count
                if not process.threads[index].parked:
                    self.switch(index)
                    return True
            if not blocking.idle_wait(kernel):
                return False

    def switch(self, index: int) -> None:
        """Thread `index` of the process runs next."""
        machine = self.machine
        process = machine.kernel.process
        process.current = index
        machine.state = machine.kernel.state = process.threads[index].state
        machine.engine.switch(machine.state)
        machine.observers.tell("thread_switched", process.threads[index].tid)
