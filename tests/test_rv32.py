"""RV32: 32-bit ELF programs run on the same core, parameterised by XLEN, and the riscv32 Linux
system-call ABI (its numbers, time64 calls, 64-bit arguments in register pairs, 32-bit
structure layouts and signal frame), as under qemu-riscv32 (both engines).

The guests in tests/guests/rv32/ are freestanding (Debian has no riscv32 libc): each makes raw
system calls and prints what they returned; each runs under qemu-riscv32 and pyemu in an empty
directory, and stdout, exit status and the files left must be the same. Where qemu 7.2 is not
what riscv32 Linux does, qemu 10's line takes its place where qemu 10 has it right
(QEMU10_FIXED), else the host kernel's answer to the same calls made natively
(HOST_ANSWERED); QEMU_DEVIATIONS lists the one line no oracle here can give, with the kernel
source that gives it.
"""

import re
import subprocess
from pathlib import Path

import pytest
from conftest import GUEST_ENV, require_tool, run_command
from oracles import qemu10
from pyemu.syscalls.table_rv32 import SYSCALLS_RV32

GUESTS = Path(__file__).resolve().parent / "guests" / "rv32"
RV32_FLAGS = ("-march=rv32imafdc", "-mabi=ilp32", "-nostdlib", "-static", "-ffreestanding",
              "-O2", "-Wall", "-Wextra", "-Werror", f"-I{GUESTS}", "-Wl,-melf32lriscv",
              "-Wl,--no-relax")  # no gp: _start does not set it

ARGS = ("first", "second argument")
# Lines where qemu 7.2 is not riscv32 Linux and qemu 10 is, by their text before the answer:
# the answer is qemu 10's, from a run of the same binary.
QEMU10_FIXED = {
    ("files.c", b"old fstat is not riscv32's "):
        "qemu 7.2's riscv32 still has fstat (80), which riscv32 Linux does not (ENOSYS)",
    ("startup.c", b"AT_HWCAP "): "qemu 7.2 has no V; pyemu's hart and qemu 10's do (IMAFDCV)",
    ("signals.c", b"sa_mask blocked in handler "):
        "qemu 7.2 reads a riscv sigaction as if it had an sa_restorer field",
}
# (guest, line both qemus print) -> (the line riscv32 Linux gives, why qemu differs).
QEMU_DEVIATIONS = {
    ("files.c", b"fstatfs64 size 84 0"): (
        b"fstatfs64 size 84 -22", ("qemu ignores the size statfs64 passes (Linux's "
        "fs/statfs.c: a size other than sizeof(struct statfs64) is EINVAL; x86-64, the host, "
        "has no statfs64 to ask)")),
}
# Lines whose answer neither qemu has right, by their text before the answer: the host
# kernel's, from HOST_CALLS, which makes the same calls natively. Linux AIO: qemu has none
# (io_setup is ENOSYS). sysinfo: qemu 7.2 cuts the host's 64-bit memory counts to 32 bits
# where riscv32 Linux scales them by a larger mem_unit, so on a host with more than 4 GiB the
# cut freeram may exceed the cut totalram.
HOST_ANSWERED = {("layouts.c", b"io_setup "), ("layouts.c", b"io_setup context set "),
                 ("layouts.c", b"io_destroy "), ("process.c", b"sysinfo freeram below totalram ")}
HOST_CALLS = r"""#include <linux/aio_abi.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>
int main(void) {
    aio_context_t context = 0;
    printf("io_setup %ld\n", syscall(SYS_io_setup, 4, &context));
    printf("io_setup context set %d\n", context != 0);
    printf("io_destroy %ld\n", syscall(SYS_io_destroy, context));
    struct sysinfo info;
    sysinfo(&info);
    printf("sysinfo freeram below totalram %d\n", info.freeram < info.totalram);
    return 0;
}
"""


@pytest.fixture(scope="module")
def host_answers(build_host, tmp_path_factory) -> bytes:
    source = tmp_path_factory.mktemp("host-calls") / "calls.c"
    source.write_text(HOST_CALLS)
    return subprocess.run([build_host(source)], capture_output=True, check=True,
                          timeout=60).stdout


@pytest.fixture(scope="module")
def qemu32() -> str:
    return require_tool("qemu-riscv32")


@pytest.fixture(scope="module")
def qemu10_riscv32() -> Path:
    return qemu10().with_name("qemu-riscv32")


@pytest.fixture(scope="module")
def rv32_binaries(cross_cc, tmp_path_factory) -> dict[str, Path]:
    built = tmp_path_factory.mktemp("rv32")
    binaries = {}
    for source in sorted(GUESTS.glob("*.c")):
        binary = built / source.stem
        subprocess.run([cross_cc, *RV32_FLAGS, "-o", binary, source], check=True)
        binaries[source.name] = binary
    return binaries


def answer_of(lines: list[bytes], question: bytes) -> int:
    """The index of the line that is `question` followed by a one-word answer."""
    [index] = [i for i, line in enumerate(lines)
               if line.startswith(question) and b" " not in line[len(question):]]
    return index


def linux_output(source: str, qemu_stdout: bytes, qemu10_stdout: bytes,
                 host_stdout: bytes) -> bytes:
    """qemu's output with the lines where qemu 7.2 is not Linux replaced by Linux's."""
    lines = qemu_stdout.split(b"\n")
    for table, better in ((QEMU10_FIXED, qemu10_stdout), (HOST_ANSWERED, host_stdout)):
        better_lines = better.split(b"\n")
        for guest, question in table:
            if guest == source:
                lines[answer_of(lines, question)] = better_lines[answer_of(better_lines,
                                                                           question)]
    for (guest, wrong), (right, _) in QEMU_DEVIATIONS.items():
        if guest == source:
            assert wrong in lines, f"qemu no longer prints {wrong!r}: drop the deviation"
            lines[lines.index(wrong)] = right
    return b"\n".join(lines)


@pytest.mark.parametrize("engine", ["python", "fast"])
@pytest.mark.parametrize("source", sorted(p.name for p in GUESTS.glob("*.c")))
def test_rv32_guest_matches_qemu_riscv32(source, engine, rv32_binaries, qemu32, qemu10_riscv32,
                                         host_answers, run_pyemu, tmp_path):
    binary = rv32_binaries[source]
    expected = run_command("qemu", [qemu32, str(binary), *ARGS], cwd=tmp_path / "qemu",
                           stdin=b"", env=GUEST_ENV, files={})
    # --tier-up 0: the fast engine's compiled loop from the first instruction
    fixed_by_qemu10 = run_command("qemu10", [str(qemu10_riscv32), str(binary), *ARGS],
                                  cwd=tmp_path / "qemu10", stdin=b"", env=GUEST_ENV, files={})
    actual = run_pyemu(binary, ARGS, options=("--engine", engine, "--tier-up", "0"))
    assert actual.guest_stderr() == expected.stderr == ""
    assert actual.stdout == linux_output(source, expected.stdout, fixed_by_qemu10.stdout,
                                         host_answers)
    assert (actual.returncode, actual.files) == (expected.returncode, expected.files)
    assert expected.stdout.count(b"\n") >= 2  # the guest ran and printed


def kernel_numbers(xlen: int) -> dict[int, str]:
    """The system-call numbers of the installed Linux headers for riscv{xlen}."""
    march = ("-march=rv32imac", "-mabi=ilp32") if xlen == 32 else ()
    macros = dict(re.findall(r"#define (__NR\w+) (.+)", subprocess.run(
        [require_tool("riscv64-linux-gnu-gcc"), *march, "-E", "-dM", "-include",
         "asm/unistd.h", "-x", "c", "/dev/null"], capture_output=True, text=True,
        check=True).stdout))

    def value(text: str) -> int:
        text = text.strip("() ")
        if text.isdigit():
            return int(text)
        base, _, offset = text.partition(" + ")
        return value(macros[base]) + int(offset or 0)

    return {value(v): name[len("__NR_"):] for name, v in macros.items()
            if name.startswith("__NR_") and name not in ("__NR_syscalls",
                                                        "__NR_arch_specific_syscall")}


def test_rv32_numbers_and_names_are_the_kernels():
    """Every number riscv32's unistd.h defines has our entry of the same name; our entries
    beyond the installed headers are the calls newer than them."""
    headers = kernel_numbers(32)
    ours = {number: entry.name for number, entry in SYSCALLS_RV32.items()}
    assert {n: ours.get(n) for n in headers} == headers
    newer = set(ours) - set(headers)
    assert all(n == 258 or n > max(headers) for n in newer), sorted(newer)  # 258: hwprobe
    for missing in (79, 80, 101, 113, 169, 260):  # newfstatat, fstat, time32 calls, wait4
        assert missing not in ours


def test_rv32_time64_calls_share_the_riscv64_handlers():
    assert SYSCALLS_RV32[403].handler.__name__ == "clock_gettime"
    assert SYSCALLS_RV32[422].handler.__name__ == "futex"
    assert SYSCALLS_RV32[62].name == "llseek" and SYSCALLS_RV32[222].name == "mmap2"
