"""`pyemu --trace`, `--trace-file` and `--stats` on tests/guests/inspect.c (see test_api.py), and
the signals of signals.c in the trace against qemu -strace."""

from __future__ import annotations

import re
import signal
import subprocess

import pytest

OUTPUT = b"hello 20 5\n"
STATUS = 6
# pc, symbol+offset, instruction, registers written (name=value ...)
LINE = re.compile(r"(0x[0-9a-f]+) (\S*) +(\S.*?)(?: {2,}((?:\w+=0x[0-9a-f]+ ?)+))?$")


@pytest.fixture(scope="module")
def guest(build_guest):
    return build_guest("inspect.c", opt="-O0", extra=("-g",))


def parse(lines: list[str]) -> list[tuple[int, str, str, dict[str, int]]]:
    parsed = []
    for line in lines:
        match = LINE.match(line)
        assert match, f"not a trace line: {line!r}"
        pc, symbol, text, writes = match.groups()
        registers = dict(item.split("=") for item in (writes or "").split())
        parsed.append((int(pc, 16), symbol, text.strip(),
                       {name: int(value, 16) for name, value in registers.items()}))
    return parsed


def stats(stderr_lines: list[str]) -> dict[str, str]:
    """The name=value pairs of the "pyemu: stats:" lines."""
    found = {}
    for line in stderr_lines:
        if line.startswith("pyemu: stats: syscalls: "):
            found.update(("syscall " + k, v) for k, v in
                         (item.split("=") for item in line.split(": ", 3)[3].split()))
        elif line.startswith("pyemu: stats: "):
            found.update(item.split("=") for item in line.split(": ", 2)[2].split())
    return found


def test_trace_shows_every_step(guest, run_pyemu):
    result = run_pyemu(guest, options=["--trace", "--stats"])
    assert (result.returncode, result.stdout) == (STATUS, OUTPUT), result.stderr[-2000:]
    lines = [line for line in result.stderr_lines if not line.startswith("pyemu:")]
    steps = parse(lines)
    counts = stats(result.stderr_lines)
    ecalls = [s for s in steps if s[2].startswith("ecall")]
    assert len(steps) == int(counts["instructions"]) + len(ecalls)
    assert len(ecalls) == int(counts["syscalls"])
    assert ecalls[-1][2] == "ecall (exit_group)"
    write = next(s for s in ecalls if s[2] == "ecall (write)")
    assert write[3] == {"a0": len(OUTPUT)}  # the result of the system call
    entries = [s for s in steps if s[1] == "twice"]
    assert len(entries) == 5  # twice() is called five times
    pc, _, text, writes = entries[0]
    following = steps[steps.index(entries[0]) + 1]
    assert following[0] == pc + (2 if text.startswith("c.") else 4)
    assert text.split()[0] in ("c.addi", "addi") and set(writes) == {"sp"}
    previous_sp = next(s[3]["sp"] for s in reversed(steps[: steps.index(entries[0])])
                       if "sp" in s[3])
    assert writes["sp"] < previous_sp  # the frame is allocated


def test_trace_file(guest, run_pyemu, tmp_path):
    trace = tmp_path / "trace.txt"
    result = run_pyemu(guest, options=["--trace-file", str(trace), "--max-insns", "1000"])
    assert result.returncode == 124, result.stderr
    assert result.stdout == b""
    assert len(result.stderr_lines) == 1 and "1000" in result.stderr  # the limit, no trace
    lines = trace.read_text().splitlines()
    assert len(lines) == 1000
    assert parse(lines[:1])[0][1] == "_start"


def test_trace_file_that_cannot_be_written(guest, run_pyemu, tmp_path):
    result = run_pyemu(guest, options=["--trace-file", str(tmp_path / "no" / "such" / "dir")])
    assert result.returncode == 2 and "cannot write the trace file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("engine", ["python", "fast"])
def test_stats(guest, run_pyemu, engine):
    # The compiled loop from the first instruction decodes blocks; the python engine
    # translates none of code this short (none is hot enough).
    tier_up = ["--tier-up", "0"] if engine == "fast" else []
    result = run_pyemu(guest, options=["--stats", "--engine", engine, *tier_up])
    assert (result.returncode, result.stdout) == (STATUS, OUTPUT), result.stderr
    assert all(line.startswith("pyemu: stats: ") for line in result.stderr_lines)
    counts = stats(result.stderr_lines)
    instructions, seconds = int(counts["instructions"]), float(counts["seconds"])
    assert 1_000 < instructions < 100_000
    assert abs(float(counts["instructions/s"]) - instructions / seconds) <= \
        0.01 * instructions / seconds + 1
    assert int(counts["blocks"]) == 0 if engine == "python" else int(counts["blocks"]) > 0
    assert counts["syscall write"] == "1" and counts["syscall exit_group"] == "1"
    assert int(counts["syscalls"]) == sum(int(v) for k, v in counts.items()
                                          if k.startswith("syscall "))


# Zfa instructions, which capstone 5 does not know: the trace shows them in their declared
# syntax (the texts are the specification's; tests/test_decoder.py SPEC_TEXTS has the words).
ZFA_STEPS = {0xF2108553: "fli.d fa0, min", 0x40458553: "fround.s fa0, fa1, rne",
             0xA2C5D553: "fltq.d a0, fa1, fa2"}
ZFA_INSNS = " ".join(f'".insn {word:#x}\\n"' for word in ZFA_STEPS)
ZFA_GUEST = f"""void _start(void)
{{
	__asm__ volatile({ZFA_INSNS} "li a0, 0\\n li a7, 94\\n ecall");
}}
"""


def test_trace_shows_instructions_in_their_declared_syntax(build_guest, run_pyemu, tmp_path):
    source = tmp_path / "zfa.c"
    source.write_text(ZFA_GUEST)
    result = run_pyemu(build_guest(source, freestanding=True), options=["--trace"])
    assert result.returncode == 0, result.stderr
    texts = [text for _, _, text, _ in parse(
        [line for line in result.stderr_lines if not line.startswith("pyemu:")])]
    assert texts[:3] == list(ZFA_STEPS.values())


def test_trace_shows_the_signals_qemu_strace_shows(build_guest, run_pyemu, qemu, tmp_path):
    """tests/guests/signals.c: raised, blocked, faulting and fatal signals. Each fault the
    trace shows is one qemu's -strace shows taken, at the same si_addr; each signal qemu
    shows taken but the last (SIGTERM, the process dies of it) enters a handler, which the
    trace shows on a line of its own followed by the handler's first instruction."""
    program = build_guest("signals.c")
    with open(tmp_path / "qemu.out", "wb") as stdout:
        log = subprocess.run([qemu, "-strace", str(program)], check=False, stdout=stdout,
                             stderr=subprocess.PIPE, text=True, env={}, timeout=60).stderr
    taken = re.findall(r"^--- (SIG\w+) \{(.*)\} ---$", log, re.MULTILINE)
    assert taken[-1][0] == "SIGTERM"
    result = run_pyemu(program, options=["--trace"])
    assert result.returncode == 128 + signal.SIGTERM, result.stderr[-2000:]
    lines = result.stderr_lines
    faults = [(name, int(addr, 16)) for name, addr in
              (re.fullmatch(r"--- (SIG\w+) at 0x[0-9a-f]+ \(address (0x[0-9a-f]+)\)", line).groups()
               for line in lines if re.match(r"--- SIG", line))]
    assert faults == [(name, int(re.search(r"si_addr=(0x[0-9a-f]+)", fields).group(1), 16))
                      for name, fields in taken if "si_addr=" in fields]
    entries = [i for i, line in enumerate(lines) if line.startswith("--- signal delivered: ")]
    assert len(entries) == len(taken) - 1
    for i in entries:
        handler = re.search(r"handler at (0x[0-9a-f]+)", lines[i]).group(1)
        assert lines[i + 1].startswith(handler + " "), lines[i: i + 2]
