"""A long random campaign of the differential ISA test (random cases of test_isa).

    nice -n 19 .venv/bin/python tests/isa_campaign.py --count 100000

runs random cases 0..99999 (seed PYEMU_ISA_RANDOM_SEED, as in the test suite, or --seed):
each case is 40 random instructions drawn from the ISA description over every extension
qemu-riscv64 implements, from random registers, fcsr and scratch memory. The cases are built
into programs of 150, each run once under qemu-riscv64 and once under each pyemu engine
(--engines, default all); every case's registers, fcsr and scratch memory must match. Each
mismatch is printed with the case's listing; a line per chunk shows progress, so a campaign
can be split into parts (--first N goes on from case N). Exit status 1 if any case differed.
The suite's own test_isa runs the first PYEMU_ISA_RANDOM_COUNT (default 30) of the same cases.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from isa_harness import (  # after the path that finds the test modules
    CC,
    QEMU,
    Outcome,
    Program,
    compare,
    plan,
    pyemu_command,
    pyemu_engines,
    run,
)
from test_isa import RANDOM_SEED, random_cases

CHUNK = 1500  # cases generated, built and run at a time
# At nice 19 on a busy machine a run may wait a long time for a core: only a hang should fail.
TIMEOUT = 3600


def build(program: Program, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    source, binary = directory / "prog.S", directory / "prog"
    source.write_text(program.source)
    built = subprocess.run([CC, *program.flags, "-o", str(binary), str(source)],
                           capture_output=True, text=True, check=False)
    if built.returncode:
        raise SystemExit(f"cannot assemble {source}:\n{built.stderr[-4000:]}")
    return binary


def run_chunk(first: int, count: int, seed: int, engines: tuple[str, ...],
              work: Path) -> list[str]:
    """The mismatch reports of random cases first..first+count-1."""
    cases = random_cases(count, seed, first)
    where = plan(cases)
    reports = []
    for program in {program.key: program for program, _ in where.values()}.values():
        directory = work / program.key
        binary = build(program, directory)
        qemu = run([QEMU, str(binary)], directory / "qemu-cwd", TIMEOUT)
        for engine in engines:
            pyemu = run([*pyemu_command(engine), str(binary)], directory / f"{engine}-cwd",
                        TIMEOUT)
            for index, c in enumerate(program.cases):
                failure = compare(c, index, Outcome(binary, qemu, pyemu))
                if failure:
                    reports.append(f"[engine {engine}, seed {seed}] {failure}")
    return reports


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--count", type=int, default=100_000, help="cases to run")
    options.add_argument("--first", type=int, default=0, help="number of the first case")
    options.add_argument("--seed", type=int, default=RANDOM_SEED)
    options.add_argument("--engines", default=",".join(pyemu_engines()),
                         help="comma-separated pyemu engines (default: all)")
    args = options.parse_args()
    engines = tuple(e for e in args.engines.split(",") if e)
    started = time.monotonic()
    differed = 0
    with tempfile.TemporaryDirectory(prefix="pyemu-isa-campaign-") as work:
        for first in range(args.first, args.first + args.count, CHUNK):
            count = min(CHUNK, args.first + args.count - first)
            reports = run_chunk(first, count, args.seed, engines, Path(work))
            for report in reports:
                print(report, "\n", flush=True)
            differed += len(reports)
            print(f"cases {first}..{first + count - 1} done: {len(reports)} mismatches "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
    print(f"campaign: {args.count} random cases (from {args.first}, seed {args.seed}) on "
          f"{', '.join(engines)}: {differed} mismatches")
    return 1 if differed else 0


if __name__ == "__main__":
    sys.exit(main())
