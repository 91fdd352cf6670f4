"""A fuzz campaign: generate cases, run each under pyemu, sort the outcomes, keep the findings.

Every case runs sandboxed: mutated ELFs with --root on the cross toolchain's sysroot,
read-only (so dynamic seeds find their interpreter), the others with --root on a fresh
scratch directory; nothing may appear next to it. Case i of kind K under seed S is made from
random.Random(f"{S}:{K}:{i}") alone, so `--seed S --first i --count 1` replays it.
"""

from __future__ import annotations

import collections
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import cases
from .harness import Outcome, Runner, warm_up

SYSROOT = Path("/usr/riscv64-linux-gnu")
GUESTS = Path(__file__).resolve().parent.parent / "tests" / "guests"
CROSS_CC = "riscv64-linux-gnu-gcc"
# Seeds compiled when the cross compiler is there: (source, extra flags, guest arguments).
COMPILED_SEEDS = [("freestanding.c", ["-static", "-nostdlib", "-ffreestanding", "-fno-pic",
                                      "-no-pie"]),
                  ("args_env.c", ["-static"]), ("args_env.c", [])]
KINDS = ("elf", "insn", "syscall")
# --max-insns per kind: a mutated glibc program may run its start-up code and more; 400 000
# instructions take seconds on the reference engine.
LIMITS = {"elf": 400_000, "insn": 20_000, "syscall": 100_000}
EXPECTED_FILES = {"stdin", "stdout", "stderr", "program", "root"}


@dataclass
class Finding:
    case: cases.Case
    problems: list[str]
    detail: str


@dataclass
class Report:
    kind: str
    cases: int = 0
    outcomes: collections.Counter = field(default_factory=collections.Counter)
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        shown = ", ".join(f"{name} {count}" for name, count in self.outcomes.most_common())
        return f"{self.kind}: {self.cases} cases, {len(self.findings)} findings ({shown})"


def outcome_class(outcome: Outcome) -> str:
    status = outcome.status
    if status in (126, 127) and outcome.stderr.startswith("pyemu:"):
        return "not loaded"
    if status == 124:
        return "instruction limit"
    if status > 128:
        return f"signal {status - 128}"
    return f"exit {status}"


class Campaign:
    def __init__(self, workdir: Path, seed: str, timeout: float = 10.0, out: Path | None = None,
                 qemu: bool = False, log: Callable[[str], None] = print):
        self.workdir = workdir
        self.seed = seed
        self.runner = Runner(workdir, timeout)
        self.out = out
        self.qemu = qemu
        self.log = log
        self.program = workdir / "program"
        self.root = workdir / "root"
        self._elf_seeds: list[bytes] | None = None

    def run(self, kind: str, count: int, first: int = 0) -> Report:
        report = Report(kind)
        for number in range(first, first + count):
            rng = random.Random(f"{self.seed}:{kind}:{number}")
            case = self.make(kind, rng, number)
            problems, detail, outcome = self.try_case(case)
            report.cases += 1
            report.outcomes[outcome_class(outcome)] += 1
            if problems:
                finding = Finding(case, problems, detail)
                report.findings.append(finding)
                self.keep(finding)
        return report

    def make(self, kind: str, rng: random.Random, number: int) -> cases.Case:
        if kind == "elf":
            return cases.elf_case(rng, number, self.elf_seeds())
        if kind == "insn":
            return cases.insn_case(rng, number)
        return cases.syscall_case(rng, number)

    def try_case(self, case: cases.Case) -> tuple[list[str], str, Outcome]:
        self.program.write_bytes(case.program)
        self.program.chmod(0o755)
        if case.kind == "insn":
            return self._compare_engines(case)
        engine = ["--engine", "python"] if case.number % 2 else ["--tier-up", "0"]
        outcome = self._run(case, engine)
        problems = outcome.problems() + self._strays()
        return problems, outcome.escaped + outcome.stderr[-4000:], outcome

    def _run(self, case: cases.Case, engine: list[str]) -> Outcome:
        if case.kind == "elf" and SYSROOT.is_dir():
            root = [str(SYSROOT), "--read-only"]
        else:
            self._fresh_root()
            root = [str(self.root)]
        options = [*engine, "--max-insns", str(LIMITS[case.kind]), "--max-memory", "1G",
                   "--root", *root, *case.options]
        return self.runner.run([*options, str(self.program), *case.args])

    def _compare_engines(self, case: cases.Case) -> tuple[list[str], str, Outcome]:
        """Random code must end the same way in both engines (and, with --qemu, with the
        status qemu gives it). One difference from qemu 7.2 is known and qemu's: sc.w/sc.d
        at a misaligned address without a reservation fails quietly under qemu, where the
        specification and Linux give SIGBUS (as pyemu does)."""
        reference = self._run(case, ["--engine", "python"])
        fast = self._run(case, ["--tier-up", "0"])
        problems = reference.problems() + fast.problems() + self._strays()
        detail = f"python: {reference.status} {reference.escaped}{reference.stderr[-2000:]}\n" \
                 f"fast: {fast.status} {fast.escaped}{fast.stderr[-2000:]}"
        if (reference.status, reference.stdout, reference.stderr) != \
                (fast.status, fast.stdout, fast.stderr):
            problems.append("engines differ")
        # qemu has no instruction limit, and no Zfa or Zicond.
        if self.qemu and reference.status != 124 and case.qemu_comparable:
            status = self._qemu_status(case)
            if status is not None and status != reference.status:
                problems.append("differs from qemu")
                detail += f"\nqemu: {status}"
        return problems, detail, reference

    def _qemu_status(self, case: cases.Case) -> int | None:
        """qemu's exit status for the case; None if it runs on (a loop pyemu's limit ended)."""
        xlen = 32 if case.program[4] == 1 else 64
        try:
            done = subprocess.run([f"qemu-riscv{xlen}", str(self.program)], check=False,
                                  capture_output=True, stdin=subprocess.DEVNULL,
                                  timeout=self.runner.timeout)
        except subprocess.TimeoutExpired:
            return None
        return 128 - done.returncode if done.returncode < 0 else done.returncode

    def _fresh_root(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        (self.root / "a" / "b").mkdir(parents=True)
        (self.root / "dir").mkdir()
        (self.root / "a" / "file").write_bytes(b"a file in the root\n")
        os.symlink("a", self.root / "lnk")

    def _strays(self) -> list[str]:
        """Anything the guest made next to its root instead of in it."""
        strays = sorted(set(os.listdir(self.workdir)) - EXPECTED_FILES)
        for name in strays:
            path = self.workdir / name
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        return [f"file outside the root: {name}" for name in strays]

    def keep(self, finding: Finding) -> None:
        case = finding.case
        self.log(f"FINDING {case.kind} #{case.number}: {', '.join(finding.problems)} "
                 f"({case.note[:200]})")
        if self.out is None:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        stem = self.out / f"{case.kind}-{self.seed}-{case.number}"
        stem.with_suffix(".elf").write_bytes(case.program)
        stem.with_suffix(".txt").write_text(
            f"{', '.join(finding.problems)}\nmade by: {case.note}\n"
            f"replay: python -m fuzz {case.kind} --seed {self.seed} --first {case.number} "
            f"--count 1\n\n{finding.detail}\n")

    def elf_seeds(self) -> list[bytes]:
        if self._elf_seeds is None:
            self._elf_seeds = [cases.seed_program(64), cases.seed_program(32),
                               *compiled_seeds(self.workdir)]
        return self._elf_seeds


def compiled_seeds(workdir: Path) -> list[bytes]:
    """Real programs (static, freestanding and dynamic), when the cross compiler is here."""
    if shutil.which(CROSS_CC) is None:
        return []
    seeds = []
    for index, (source, flags) in enumerate(COMPILED_SEEDS):
        output = workdir / f"seed{index}"
        subprocess.run([CROSS_CC, "-O2", *flags, "-o", str(output), str(GUESTS / source)],
                       check=True, capture_output=True)
        seeds.append(output.read_bytes())
        output.unlink()
    return seeds


def campaign(kinds: list[str], count: int, seed: str, first: int = 0, timeout: float = 10.0,
             out: Path | None = None, qemu: bool = False,
             log: Callable[[str], None] = print) -> list[Report]:
    warm_up()
    with tempfile.TemporaryDirectory(prefix="pyemu-fuzz-") as directory:
        runner = Campaign(Path(directory), seed, timeout, out, qemu, log)
        return [runner.run(kind, count, first) for kind in kinds]
