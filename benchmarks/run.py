"""Benchmark pyemu against qemu-riscv64 on the same RISC-V guests, in one run.

Usage: python benchmarks/run.py [--quick] [--runs N] [--engine fast,python] [--root DIR]
                                [--only NAME,...] [--timeout SECONDS]

Each guest runs under qemu-riscv64 and under pyemu with each requested engine, the runners
taking turns (qemu, pyemu, qemu, pyemu, ...) so that a machine busy with other work slows all
of them alike. The table gives the median wall time and the median peak memory of the runs.
Then the costs of pyemu's debugging features on one guest: recording the history of reverse
execution, and a breakpoint that is set but never hit, each relative to a plain run.
See benchmarks/README.md for what the columns mean.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tools"))
import debian_root  # tools/ is not a package

BENCHMARKS = REPO_ROOT / "benchmarks"
GUEST_SOURCES = BENCHMARKS / "guests"
GUEST_CC = "riscv64-linux-gnu-gcc"
QEMU = "qemu-riscv64"
QEMU_STATIC = "qemu-riscv64-static"  # runs in a chroot of the Debian root
STATS_PATTERN = re.compile(r"pyemu: stats: instructions=(\d+)")
PIPE_BYTES, QUICK_PIPE_BYTES = 1 << 30, 64 << 20


@dataclass(frozen=True)
class Guest:
    """A program and its arguments; `shell` wraps the runner's command in a shell pipeline
    (RUN stands for it), `root` marks a program of the Debian root (pyemu runs it with
    --root ROOT, qemu-riscv64-static in a chroot of ROOT)."""

    name: str
    program: str  # samples/NAME, NAME.c under benchmarks/guests, or a path inside the root
    args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] | None = None
    shell: str | None = None
    stdin: str | None = None  # text fed to the guest
    root: bool = False

    def arguments(self, quick: bool) -> tuple[str, ...]:
        return self.quick_args if quick and self.quick_args is not None else self.args


GUESTS = (
    # Inputs large enough that start-up is a small part.
    Guest("sieve", "samples/sieve", ("20000000",), ("200000",)),
    Guest("bytecode_vm", "bytecode_vm.c", ("300000",), ("6000",)),
    Guest("float_kernel", "float_kernel.c", ("2000000",), ("40000",)),
    # Start-up and cold code: most instructions run once or a few times.
    Guest("glibc_hello", "glibc_hello.c"),
    Guest("startup_mix", "startup_mix.c", ("120",),
          stdin="".join(f"{n}\n" for n in range(1, 2001))),
    # Bulk I/O: the guest is a cat between two host pipes.
    Guest("pipe_copy", "pipe_copy.c",
          shell=f"head -c {PIPE_BYTES} /dev/zero | RUN | cat > /dev/null"),
    # Real programs from a Debian 13 riscv64 root (--root).
    Guest("python3 -c pass", "/usr/bin/python3.13", ("-c", "pass"), root=True),
    Guest("python3 script", "/usr/bin/python3.13",
          ("-c", ("import json, re; print(sum(len(json.dumps({'k': [i] * 20})) "
                 "for i in range(3000)), re.sub('a+', 'b', 'caaat'))")), root=True),
    Guest("bash 20 processes", "/usr/bin/bash", ("-c", "for i in $(seq 20); do /usr/bin/true; done"),
          root=True),
    Guest("sqlite3", "/usr/bin/sqlite3",
          (":memory:", ("create table t(a); with recursive c(x) as (select 1 union all "
                       "select x + 1 from c where x < 20000) insert into t select x from c; "
                       "select count(*), sum(a) from t;")), root=True),
    Guest("xz", "/usr/bin/xz", ("-6", "-c", "/usr/bin/sqlite3"), root=True,
          shell="RUN | wc -c"),
    Guest("true", "/usr/bin/true", root=True),
)
# The guest whose plain, recording and breakpoint runs are compared.
FEATURE_GUEST = "startup_mix"


@dataclass
class Sample:
    seconds: float
    max_rss_kb: int
    stdout: bytes
    stderr: bytes


@dataclass
class Outcome:
    """The runs of one runner on one guest; error is set instead on failure."""

    samples: list[Sample] = field(default_factory=list)
    error: str | None = None

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def max_rss_mb(self) -> float:
        return statistics.median(s.max_rss_kb for s in self.samples) / 1024

    @property
    def instructions(self) -> int | None:
        for sample in self.samples:
            found = STATS_PATTERN.search(sample.stderr.decode(errors="replace"))
            if found:
                return int(found.group(1))
        return None


def first_line(text: bytes) -> str:
    for line in text.decode(errors="replace").splitlines():
        if line.strip():
            return line.strip()
    return ""


def build_guest(guest: Guest, build_dir: Path, root: Path | None) -> tuple[Path | None, str]:
    """(program, "") or (None, why it is unavailable)."""
    if guest.root:
        if root is None:
            return None, "needs --root (a Debian 13 riscv64 root)"
        program = root / guest.program.lstrip("/")
        return (program, "") if program.exists() else (None, f"{program} missing")
    if guest.program.startswith("samples/"):
        program = REPO_ROOT / guest.program
        return (program, "") if program.exists() else (None, (f"{guest.program} missing "
                                                             "(run make -C samples)"))
    binary = build_dir / Path(guest.program).stem
    if not binary.exists():
        command = [GUEST_CC, "-static", "-O2", "-o", str(binary),
                   str(GUEST_SOURCES / guest.program), "-lm"]
        try:
            result = subprocess.run(command, capture_output=True, check=False)
        except FileNotFoundError:
            return None, f"{GUEST_CC} not found"
        if result.returncode != 0:
            return None, f"build failed: {first_line(result.stderr)}"
    return binary, ""


def run_once(command: list[str], cwd: Path, env: dict[str, str], stdin: bytes,
             timeout: float) -> Sample | str:
    """One run: its wall time and peak memory (that of the process and of its waited-for
    children, from wait4), or a description of its failure."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryFile() as feed:
        feed.write(stdin)
        feed.seek(0)
        start = time.perf_counter()
        try:
            process = subprocess.Popen(command, cwd=cwd, env=env, stdin=feed, stdout=out,
                                       stderr=err)
        except FileNotFoundError:
            return f"{command[0]} not found"
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        if seconds >= timeout:
            return f"timed out after {timeout:g} s"
        code = process.returncode
        state = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        reason = first_line(stderr) or first_line(stdout)
        return f"{state}: {reason}" if reason else state
    return Sample(seconds, usage.ru_maxrss, stdout, stderr)


# Runner names of --engine beyond pyemu's own engine names.
ENGINE_OPTIONS = {"compiled": ["--engine", "fast", "--tier-up", "0"]}


@dataclass
class Runner:
    name: str
    # The command line of a program and its arguments; `root` for a program of the Debian root
    # (the program is then its host path, the guest sees it at its path in the root).
    command: Callable[[Path, tuple[str, ...], Path | None], list[str]]


def runners(engines: list[str], python: str) -> list[Runner]:
    def qemu(program: Path, args: tuple[str, ...], root: Path | None) -> list[str]:
        if root is None:
            return [QEMU, str(program), *args]
        # In a chroot of the root, with the programs it execs under qemu too (binfmt_misc):
        # plain qemu-riscv64 -L hands an execve to the host kernel, which runs host programs.
        guest_path = "/" + str(program.relative_to(root))
        return debian_root.qemu_chroot_command(root, shutil.which(QEMU_STATIC) or QEMU_STATIC,
                                               "/tmp", [guest_path, *args])

    def pyemu(engine: str) -> Callable[[Path, tuple[str, ...], Path | None], list[str]]:
        options = ENGINE_OPTIONS.get(engine, ["--engine", engine])
        return lambda program, args, root: [python, "-m", "pyemu", *options, "--stats",
                                            *(["--root", str(root)] if root else []),
                                            str(program), *args]

    return [Runner("qemu", qemu), *(Runner(f"pyemu {e}", pyemu(e)) for e in engines)]


def command_line(command: list[str], shell: str | None) -> list[str]:
    if shell is None:
        return command
    return ["sh", "-c", shell.replace("RUN", shlex.join(command))]


def take_turns(commands: dict[str, list[str]], runs: int, cwd: Path, env: dict[str, str],
               stdin: bytes, timeout: float) -> dict[str, Outcome]:
    """Each command `runs` times, in turns; a command stops at its first failure."""
    outcomes = {name: Outcome() for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            outcome = outcomes[name]
            if outcome.error is not None:
                continue
            sample = run_once(command, cwd, env, stdin, timeout)
            if isinstance(sample, str):
                outcome.error = sample
            else:
                outcome.samples.append(sample)
    return outcomes


def format_count(value: float) -> str:
    for threshold, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value >= threshold:
            return f"{value / threshold:.2f} {suffix}"
    return f"{value:.0f}"


HEADER = ["guest", "runner", "wall s", "peak MB", "instructions", "instr/s", "vs qemu",
          "mem vs qemu"]


def print_table(rows: list[list[str]]) -> None:
    """Rows of len(HEADER) cells, or of three where the third is a failure message."""
    every_row = [HEADER, *rows]
    widths = [max(len(row[i]) for row in every_row if len(row) > i) for i in range(2)]
    widths += [max(len(row[i]) for row in every_row if len(row) == len(HEADER))
               for i in range(2, len(HEADER))]
    for row in every_row:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        if len(row) == len(HEADER):
            cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]
        else:
            cells.append(row[2])
        print("  ".join(cells).rstrip())


def table_rows(label: str, outcomes: dict[str, Outcome]) -> list[list[str]]:
    qemu = outcomes.get("qemu")
    qemu_ok = qemu is not None and qemu.error is None
    counts = [o.instructions for o in outcomes.values() if o.error is None and o.instructions]
    count = counts[0] if counts else None  # qemu cannot count: pyemu's count for the guest
    rows = []
    for runner, outcome in outcomes.items():
        if outcome.error is not None:
            rows.append([label, runner, f"FAILED: {outcome.error}"])
            continue
        if qemu_ok and runner != "qemu" and outcome.samples[0].stdout != qemu.samples[0].stdout:
            rows.append([label, runner, "FAILED: output differs from qemu's"])
            continue
        rows.append([
            label, runner, f"{outcome.seconds:.3f}", f"{outcome.max_rss_mb:.0f}",
            f"{count:,}{'*' if runner == 'qemu' else ''}" if count else "n/a",
            format_count(count / outcome.seconds) if count else "n/a",
            f"{outcome.seconds / qemu.seconds:.1f}x" if qemu_ok else "n/a",
            f"{outcome.max_rss_mb / qemu.max_rss_mb:.1f}x" if qemu_ok else "n/a",
        ])
    return rows


def feature_costs(binary: Path, guest: Guest, python: str, runs: int, cwd: Path,
                  env: dict[str, str], timeout: float) -> list[str]:
    """Lines comparing plain, recording and breakpoint runs of one guest (the API)."""
    driver = str(BENCHMARKS / "api_run.py")
    stdin = (guest.stdin or "").encode()
    commands = {mode: [python, driver, mode, str(binary), *guest.args]
                for mode in ("plain", "record", "breakpoint")}
    outcomes = take_turns(commands, runs, cwd, env, stdin, timeout)
    plain = outcomes["plain"]
    lines = [(f"Debugging features on {guest.name} (Python API, default engine, median of "
             f"{runs}):")]
    for mode, outcome in outcomes.items():
        if outcome.error is not None:
            lines.append(f"  {mode}: FAILED: {outcome.error}")
        elif plain.error is not None or mode == "plain":
            lines.append(f"  {mode}: {outcome.seconds:.3f} s, {outcome.max_rss_mb:.0f} MB")
        else:
            lines.append(f"  {mode}: {outcome.seconds:.3f} s "
                         f"({outcome.seconds / plain.seconds:.2f}x plain), "
                         f"{outcome.max_rss_mb:.0f} MB "
                         f"({outcome.max_rss_mb / plain.max_rss_mb:.2f}x plain)")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark pyemu against qemu-riscv64.")
    parser.add_argument("--quick", action="store_true",
                        help="smaller inputs and a single run of each")
    parser.add_argument("--runs", type=int, help="runs per runner and guest (default 5; "
                        "--quick: 1); the table gives medians")
    parser.add_argument("--engine", default="fast,python",
                        help="comma-separated pyemu engines (default: fast,python; "
                             "compiled: fast with --tier-up 0)")
    parser.add_argument("--root", type=Path, help="a Debian 13 riscv64 root for the real "
                        "programs (python3, bash, sqlite3, xz); without it they are skipped")
    parser.add_argument("--only", help="comma-separated guest names to run")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter that runs pyemu (default: this one)")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds before one run is abandoned")
    options = parser.parse_args()
    engines = [name.strip() for name in options.engine.split(",") if name.strip()]
    runs = options.runs or (1 if options.quick else 5)
    only = set(options.only.split(",")) if options.only else None
    # As installed by pip: the interpreter writes and reuses its bytecode caches.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    rows: list[list[str]] = []
    features: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pyemu-bench-") as scratch:
        build_dir, run_dir = Path(scratch, "bin"), Path(scratch, "cwd")
        build_dir.mkdir()
        run_dir.mkdir()
        for guest in GUESTS:
            if only is not None and guest.name not in only:
                continue
            args = guest.arguments(options.quick)
            label = " ".join([guest.name, *([] if guest.root else args)])
            program, unavailable = build_guest(guest, build_dir, options.root)
            if program is None:
                rows.append([label, "-", f"skipped: {unavailable}"])
                continue
            root = options.root if guest.root else None
            shell = guest.shell
            if shell is not None and options.quick:
                shell = shell.replace(str(PIPE_BYTES), str(QUICK_PIPE_BYTES))
            commands = {runner.name: command_line(runner.command(program, args, root), shell)
                        for runner in runners(engines, options.python)}
            outcomes = take_turns(commands, runs, run_dir, env, (guest.stdin or "").encode(),
                                  options.timeout)
            rows += table_rows(label, outcomes)
            if guest.name == FEATURE_GUEST:
                features = feature_costs(program, guest, options.python, runs, run_dir, env,
                                         options.timeout)

    print_table(rows)
    print()
    print("* qemu cannot count instructions: its count is pyemu's for the same guest.")
    print(f"Medians of {runs} run(s), the runners taking turns; wall time includes start-up;")
    print("peak MB: the largest resident set of the run's processes (wait4's ru_maxrss).")
    if features:
        print()
        print("\n".join(features))
    return 0


if __name__ == "__main__":
    sys.exit(main())
