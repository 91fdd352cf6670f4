"""`python -m fuzz elf|insn|syscall|all [--count N] [--seed S]`: a fuzz campaign against pyemu.

Prints a line per finding (a traceback, an internal error, a hang, a file made outside the
sandbox, engines that disagree) and a summary per kind; exits 1 if anything was found.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .campaign import KINDS, campaign


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=[*KINDS, "all"])
    parser.add_argument("--count", type=int, default=100, help="cases per kind (default 100)")
    parser.add_argument("--seed", default="0", help="names the campaign (default 0)")
    parser.add_argument("--first", type=int, default=0, help="number of the first case")
    parser.add_argument("--timeout", type=float, default=10.0, help="CPU seconds per run (default 10)")
    parser.add_argument("--out", type=Path, help="save each finding's program and report here")
    parser.add_argument("--qemu", action="store_true",
                        help="insn: also compare the exit status with qemu-riscv64/32")
    options = parser.parse_args(argv)
    kinds = list(KINDS) if options.kind == "all" else [options.kind]
    started = time.monotonic()
    reports = campaign(kinds, options.count, options.seed, options.first, options.timeout,
                       options.out, options.qemu, log=lambda line: print(line, flush=True))
    for report in reports:
        print(report.summary())
    print(f"{sum(r.cases for r in reports)} cases in {time.monotonic() - started:.0f} s")
    return 1 if any(r.findings for r in reports) else 0


sys.exit(main())
