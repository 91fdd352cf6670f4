"""Benchmark pyemu against qemu-riscv64 on the same RISC-V guests.

Usage: python benchmarks/run.py [--quick] [--engine fast,python] [--timeout SECONDS]

Runs each guest under qemu-riscv64 and under pyemu with each requested engine,
keeps the best wall time of several runs, and prints one table. See
benchmarks/README.md for what the columns mean.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
GUEST_SOURCES = REPO_ROOT / "benchmarks" / "guests"
GUEST_CC = "riscv64-linux-gnu-gcc"
QEMU = "qemu-riscv64"
STATS_PATTERN = re.compile(r"pyemu: stats: instructions=(\d+)")


@dataclass(frozen=True)
class Guest:
    name: str
    # A committed sample under samples/, or None to build from benchmarks/guests/<name>.c.
    prebuilt: Path | None
    args: tuple[str, ...]
    quick_args: tuple[str, ...]


GUESTS = (
    # Inputs large enough that start-up (about 0.6 s for the compiled loop) is a small part.
    Guest("sieve", REPO_ROOT / "samples" / "sieve", ("20000000",), ("200000",)),
    Guest("bytecode_vm", None, ("300000",), ("6000",)),
    Guest("float_kernel", None, ("2000000",), ("40000",)),
    Guest("glibc_hello", None, (), ()),
)
# The guest whose wall time is start-up cost rather than execution speed.
STARTUP_GUEST = "glibc_hello"


@dataclass
class Outcome:
    """Best-of-N result of one runner on one guest; error is set instead on failure."""

    seconds: float | None = None
    cpu_seconds: float | None = None  # user + system time of the process and its children
    instructions: int | None = None
    stdout: bytes = b""
    error: str | None = None


def first_line(text: bytes) -> str:
    for line in text.decode(errors="replace").splitlines():
        if line.strip():
            return line.strip()
    return ""


def describe_failure(result: subprocess.CompletedProcess[bytes]) -> str:
    if result.returncode < 0:
        status = f"killed by signal {-result.returncode}"
    else:
        status = f"exit status {result.returncode}"
    reason = first_line(result.stderr) or first_line(result.stdout)
    return f"{status}: {reason}" if reason else status


def build_guest(guest: Guest, build_dir: Path) -> tuple[Path | None, str | None]:
    """Returns (binary, None) or (None, reason it is unavailable)."""
    if guest.prebuilt is not None:
        if guest.prebuilt.exists():
            return guest.prebuilt, None
        return None, f"{guest.prebuilt.relative_to(REPO_ROOT)} missing (run make -C samples)"
    source = GUEST_SOURCES / f"{guest.name}.c"
    binary = build_dir / guest.name
    command = [GUEST_CC, "-static", "-O2", "-o", str(binary), str(source), "-lm"]
    try:
        result = subprocess.run(command, capture_output=True, check=False)
    except FileNotFoundError:
        return None, f"{GUEST_CC} not found"
    if result.returncode != 0:
        return None, f"build failed: {first_line(result.stderr)}"
    return binary, None


def time_command(
    command: list[str], runs: int, cwd: Path, env: dict[str, str], timeout: float
) -> Outcome:
    """Runs command `runs` times and keeps the fastest; stops at the first failure."""
    best = Outcome()
    for _ in range(runs):
        start = time.perf_counter()
        cpu_start = children_cpu_seconds()
        try:
            result = subprocess.run(
                command, cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False
            )
        except FileNotFoundError:
            return Outcome(error=f"{command[0]} not found")
        except subprocess.TimeoutExpired:
            return Outcome(error=f"timed out after {timeout:g} s")
        seconds = time.perf_counter() - start
        cpu_seconds = children_cpu_seconds() - cpu_start
        if result.returncode != 0:
            return Outcome(error=describe_failure(result))
        if best.seconds is None or seconds < best.seconds:
            stats = STATS_PATTERN.search(result.stderr.decode(errors="replace"))
            best = Outcome(
                seconds=seconds,
                cpu_seconds=cpu_seconds,
                instructions=int(stats.group(1)) if stats else None,
                stdout=result.stdout,
            )
    return best


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def format_count(value: float) -> str:
    for threshold, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value >= threshold:
            return f"{value / threshold:.2f} {suffix}"
    return f"{value:.0f}"


def print_table(rows: list[list[str]]) -> None:
    """Prints rows of eight cells, or of three where the third is a failure message."""
    header = ["guest", "runner", "wall s", "cpu s", "instructions", "instr/s", "instr/cpu s",
              "vs qemu"]
    every_row = [header, *rows]
    widths = [max(len(row[i]) for row in every_row if len(row) > i) for i in range(2)]
    widths += [max(len(row[i]) for row in every_row if len(row) == len(header))
               for i in range(2, len(header))]
    for row in every_row:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        if len(row) == len(header):
            cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]
        else:
            cells.append(row[2])
        print("  ".join(cells).rstrip())


def benchmark_guest(
    binary: Path, args: list[str], engines: list[str], runs: int, run_dir: Path, timeout: float
) -> dict[str, Outcome]:
    """Times one guest under qemu and each pyemu engine, keyed by runner name."""
    qemu = time_command([QEMU, str(binary), *args], runs, run_dir, dict(os.environ), timeout)
    outcomes = {"qemu": qemu}
    for engine in engines:
        command = [sys.executable, "-m", "pyemu", "--engine", engine, "--stats", str(binary), *args]
        outcome = time_command(command, runs, run_dir, dict(os.environ), timeout)
        if outcome.error is None and qemu.error is None and outcome.stdout != qemu.stdout:
            outcome = Outcome(error="output differs from qemu's")
        outcomes[f"pyemu {engine}"] = outcome
    # qemu cannot count instructions: borrow pyemu's count for the same guest.
    counts = [o.instructions for o in outcomes.values() if o.error is None and o.instructions]
    qemu.instructions = counts[0] if counts else None
    return outcomes


def table_row(label: str, runner: str, outcome: Outcome, qemu_seconds: float | None) -> list[str]:
    if outcome.error is not None:
        return [label, runner, f"FAILED: {outcome.error}"]
    instructions = outcome.instructions
    borrowed_mark = "*" if runner == "qemu" else ""
    return [
        label,
        runner,
        f"{outcome.seconds:.3f}",
        f"{outcome.cpu_seconds:.3f}",
        f"{instructions:,}{borrowed_mark}" if instructions else "n/a",
        format_count(instructions / outcome.seconds) if instructions else "n/a",
        format_count(instructions / outcome.cpu_seconds) if instructions else "n/a",
        f"{outcome.seconds / qemu_seconds:.1f}x" if qemu_seconds else "n/a",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark pyemu against qemu-riscv64.")
    parser.add_argument(
        "--quick", action="store_true", help="smaller inputs and a single run of each"
    )
    parser.add_argument(
        "--engine",
        default="fast,python",
        help="comma-separated pyemu engines (default: fast,python)",
    )
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds before one run is abandoned"
    )
    options = parser.parse_args()
    engines = [name.strip() for name in options.engine.split(",") if name.strip()]
    runs = 1 if options.quick else 3

    rows: list[list[str]] = []
    startup_seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="pyemu-bench-") as scratch:
        build_dir = Path(scratch, "bin")
        run_dir = Path(scratch, "cwd")
        build_dir.mkdir()
        run_dir.mkdir()
        for guest in GUESTS:
            args = list(guest.quick_args if options.quick else guest.args)
            label = " ".join([guest.name, *args])
            binary, unavailable = build_guest(guest, build_dir)
            if binary is None:
                rows.append([label, "-", f"FAILED: {unavailable}"])
                continue
            outcomes = benchmark_guest(binary, args, engines, runs, run_dir, options.timeout)
            for runner, outcome in outcomes.items():
                rows.append(table_row(label, runner, outcome, outcomes["qemu"].seconds))
                if guest.name == STARTUP_GUEST and outcome.error is None:
                    startup_seconds[runner] = outcome.seconds
        numpy_import = time_command(
            [sys.executable, "-c", "import numpy"], runs, run_dir, dict(os.environ), options.timeout
        )

    print_table(rows)
    print()
    print("* qemu cannot count instructions: its count is pyemu's for the same guest,")
    print("  so its instr/s is that count over qemu's wall time.")
    print(f"'vs qemu' is wall time / qemu's. Best of {runs} run(s); wall time includes start-up.")
    print("cpu s: user + system time; on a machine busy with other work it is the fairer figure.")
    print()
    if numpy_import.error is not None:
        print(f"python -c 'import numpy': FAILED: {numpy_import.error}")
    else:
        print(
            f"{STARTUP_GUEST} start-up in units of `python -c 'import numpy'` "
            f"({numpy_import.seconds:.3f} s):"
        )
        for runner, seconds in startup_seconds.items():
            print(f"  {runner}: {seconds:.3f} s = {seconds / numpy_import.seconds:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
