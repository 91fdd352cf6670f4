"""Coverage-guided campaigns (atheris, libFuzzer) on the ELF loader and on system-call
argument decoding, run in this process so that libFuzzer sees which branches of pyemu's
loader/ and syscalls/ each input reaches and keeps the inputs that reach new ones.

    python -m fuzz.atheris_targets elf CORPUS_DIR [libFuzzer options, e.g. -runs=100000]
    python -m fuzz.atheris_targets syscall CORPUS_DIR [-max_total_time=3600 ...]

elf: the input is a program file, probed and loaded (the cross sysroot's interpreter for a
dynamic one); anything but LoadError escaping is a finding. syscall: the input chooses a call
pyemu implements, its six arguments and the bytes of the guest memory they may point at; the
call runs in a guest (the fuzz seed program, its root a scratch directory) and must end in a
result or -errno, never in SyscallBug (an exception inside pyemu). A finding makes libFuzzer
write the input as crash-* (use -artifact_prefix=DIR/) and exit 1; the corpus directory keeps
what reached new code for the next run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["pyemu"]):
    from pyemu.emulator.memory import AddressSpace
    from pyemu.loader import LoadError, load_program, probe
    from pyemu.syscalls.kernel import ProcessExit

    from pyemu.machine import Machine

from . import cases
from .elfgen import A0, A7, DATA_ADDRESS, DATA_SIZE

SYSROOT = "/usr/riscv64-linux-gnu"
# Calls that would act on this very process rather than on a guest made for them: end it,
# replace it, wait, block, or change its credentials, limits or the host's state.
NOT_IN_PROCESS = cases.NOT_FUZZED | {
    "exit", "exit_group", "execve", "execveat", "rt_sigreturn", "fork", "vfork", "read",
    "readv", "pread64", "preadv", "preadv2", "futex", "futex_time64", "futex_wait",
    "futex_waitv", "msgsnd", "mq_timedreceive", "mq_timedsend", "setuid", "setgid",
    "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid", "setgroups",
    "prlimit64", "setrlimit", "unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
    "sethostname", "setdomainname", "settimeofday", "clock_settime", "adjtimex",
    "clock_adjtime", "personality", "prctl", "sched_yield", "pause"}


def elf_input(data: bytes, scratch: Path) -> None:
    path = scratch / "program"
    path.write_bytes(data)
    try:
        probe(path)
        load_program(path, [str(path)], [], AddressSpace(), sysroot=SYSROOT,
                     random_bytes=bytes(16))
    except LoadError:
        pass


class SyscallTarget:
    """Each input runs in a guest of its own, so that a finding replays from its input alone."""

    def __init__(self, scratch: Path):
        self.program = scratch / "seed"
        self.program.write_bytes(cases.seed_program(64))
        self.program.chmod(0o755)
        self.root = scratch / "root"
        self.calls = [(number, name) for number, name, handled in cases.syscall_numbers(64)
                      if handled and name not in NOT_IN_PROCESS]

    def __call__(self, data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        number, name = self.calls[provider.ConsumeIntInRange(0, len(self.calls) - 1)]
        args = [provider.ConsumeIntInRange(0, cases.MASK64) if provider.ConsumeBool()
                else DATA_ADDRESS + provider.ConsumeIntInRange(0, DATA_SIZE - 1)
                for _ in range(6)]
        _, _, args = cases.tamed(name, number, args, exiting=False)
        shutil.rmtree(self.root, ignore_errors=True)
        (self.root / "a").mkdir(parents=True)
        kernel = Machine(str(self.program), env={}, root=str(self.root), engine="python",
                         record=False).kernel
        kernel.mem.write(DATA_ADDRESS, provider.ConsumeBytes(DATA_SIZE))
        for index, value in enumerate(args):
            kernel.state.set(A0 + index, value)
        kernel.state.set(A7, number)
        try:
            kernel.handle_ecall()  # SyscallBug: an exception inside the call's handler
        except ProcessExit:
            pass
        finally:
            for host_fd in {d.host_fd for d in kernel.process.files.values()} - {0, 1, 2}:
                with contextlib.suppress(OSError, TypeError):
                    os.close(host_fd)


def main(argv: list[str]) -> None:
    kind, libfuzzer_options = argv[1], argv[2:]
    with tempfile.TemporaryDirectory(prefix="pyemu-atheris-") as directory:
        scratch = Path(directory)
        os.chdir(scratch)  # whatever a call makes lands here
        target = SyscallTarget(scratch) if kind == "syscall" else \
            lambda data: elf_input(data, scratch)
        atheris.Setup([argv[0], *libfuzzer_options], target)
        atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
