"""Run a guest through pyemu's Python API, plainly or with a debugging feature on, to price it.

Usage: python benchmarks/api_run.py MODE PROGRAM [ARGS...]

MODE is `plain` (Machine.load and run to the end, as the command line does), `record` (the
same with the history of reverse execution recorded) or `breakpoint` (a breakpoint set at
`abort`, which the guest never reaches). benchmarks/run.py compares their wall time and peak
memory with each other.
"""

from __future__ import annotations

import sys

from pyemu.cli import run_to_the_end
from pyemu.machine import Machine

MODES = ("plain", "record", "breakpoint")
UNREACHED_SYMBOL = "abort"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in MODES:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    mode, program, *args = argv
    machine = Machine.load(program, [program, *args], record=mode == "record")
    if mode == "breakpoint":
        machine.breakpoint(UNREACHED_SYMBOL)
    outcome = run_to_the_end(machine, None)
    if machine.exit is None:
        print(f"api_run: stopped before the end: {outcome}", file=sys.stderr)
        return 1
    return outcome.status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
