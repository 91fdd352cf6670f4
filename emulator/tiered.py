"""The default engine: the reference engine first, the compiled loop once it pays."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time

from .cpu import CpuState
from .engine_fast import FastEngine, is_compiled, is_loaded, machine_code
from .engine_python import HOT_VISITS, PythonEngine
from .memory import AddressSpace
from .stops import Stop


class TieredEngine:
    """Starts on the reference engine and moves to the compiled loop once the guest has run
    `tier_up` instructions. Loading the loop's machine code (llvmlite and a 170 kB object
    file, native.py) takes about 0.1 s, which the reference engine spends on 5 to 10 k
    instructions of cold code (it decodes each): a program shorter than that never pays
    it, and one longer pays at most about twice what either engine alone would (a static
    glibc hello, 20 k instructions: 0.62 s from the first instruction, 0.71 s from 20 k).
    The load runs in the foreground: a loader thread fights the reference engine for the
    GIL (with numba it took 9 s instead of 1). A process that has loaded the loop already
    (a forked guest, an exec'd program) moves at once. When the compiled loop is not in the
    cache yet, a process of its own compiles it (said once on stderr) while the reference
    engine runs the program: a first run never waits for the compiler."""

    name = "fast"
    TIER_UP_INSTRUCTIONS = 5_000
    SLICE = 5_000  # instructions the reference engine runs between looks at the tier-up
    POLL_SECONDS = 0.25  # between looks at a compiling process

    def __init__(self, state: CpuState, mem: AddressSpace, clock=None,
                 tier_up: int | None = None):
        self.state = state
        self.mem = mem
        self.reference = PythonEngine(state, mem, clock)
        # Until the tier-up, no block is hot enough to earn its translation (47 ms, the
        # time of thousands of instructions run one by one).
        self.reference.hot_visits = math.inf
        self.compiled: FastEngine | None = None
        self.tier_up = self.TIER_UP_INSTRUCTIONS if tier_up is None else tier_up
        self.load_failed = False
        self.compiler: subprocess.Popen | None = None
        self.compiler_pid = 0  # the pyemu process that started the compiler
        self.next_poll = 0.0

    def switch(self, state: CpuState) -> None:
        self.state = state
        self.reference.switch(state)
        if self.compiled is not None:
            self.compiled.switch(state)

    def run(self, max_insns: int) -> Stop:
        if self.compiled is None:
            if self.tier_up == 0:
                self.tier_up_now()
            else:
                self._load_when_due()
            if self.compiled is None:
                return self.reference.run(min(max_insns, self.SLICE))
        return self.compiled.run(max_insns)

    def _load_when_due(self) -> None:
        """Load the compiled loop (or start its compile) when the guest has run long enough
        or this process has it loaded already, and switch to it."""
        if self.load_failed:
            return
        xlen = self.state.xlen
        if not is_loaded(xlen) and self.state.instret < self.tier_up:
            return
        if self.compiler is not None and time.monotonic() < self.next_poll:
            return  # compiling: looked at now and then
        if not is_compiled(xlen):
            self._compile_in_background()
            return
        try:
            machine_code(xlen)
        except Exception as error:  # noqa: BLE001 - a broken cache or numba: stay on python
            self.load_failed = True
            sys.stderr.write(f"pyemu: loading the fast engine failed ({error}): staying on the "
                             "python engine\n")
            return
        self._switch_to_compiled()

    def _compile_in_background(self) -> None:
        """Start the compiling process (once: a forked guest's pyemu waits for its parent's)
        and look at it now and then; if it fails, stay on the reference engine."""
        now = time.monotonic()
        if now < self.next_poll:
            return
        self.next_poll = now + self.POLL_SECONDS
        if self.compiler is None:
            sys.stderr.write(f"pyemu: compiling the fast engine for RV{self.state.xlen} in the "
                             "background (once per installation; `pyemu --warm-up` does it "
                             "ahead); the python engine runs meanwhile\n")
            command = (f"from {__package__}.engine_fast import warm_up; "
                       f"warm_up(({self.state.xlen},))")
            self.compiler_pid = os.getpid()
            self.compiler = subprocess.Popen(
                [sys.executable, "-c", command], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        elif self.compiler_pid == os.getpid() and self.compiler.poll() is not None \
                and not is_compiled(self.state.xlen):
            self.load_failed = True
            sys.stderr.write("pyemu: compiling the fast engine failed: staying on the python "
                             "engine\n")

    def tier_up_now(self) -> None:
        """Load the compiled loop's machine code now and run on it from now on; without a
        compiled loop in the cache, start its compile instead."""
        if self.compiled is not None:
            return
        if not is_compiled(self.state.xlen) and self.tier_up != 0:
            self._compile_in_background()
            return
        machine_code(self.state.xlen)
        self._switch_to_compiled()

    def _switch_to_compiled(self) -> None:
        self.reference.hot_visits = HOT_VISITS  # for the runs the loop hands over
        self.compiled = FastEngine(self.state, self.mem, reference=self.reference)
