"""Processes: fork, wait, pipes between processes, execve of RISC-V programs and scripts.

qemu-riscv64 hands execve to the host kernel, which cannot run a RISC-V program unless
binfmt_misc is set up for qemu: there, qemu's children that exec fail (exit 99 and 98 below).
The Linux kernel on RISC-V runs them, and so does pyemu: the expected output is Linux's, and
qemu is checked on everything else.
"""


LINUX_OUTPUT = (
    "in the child\n"
    "plain child: exited 3\n"
    "aborting child: killed by 6\n"
    "parent read 17 bytes: through the pipe\n"
    "exec'd child: argc 4, last arg b, env PYEMU_TEST=yes\n"
    "exec'd child: exited 5\n"
    "exec'd child: argc 4, last arg x, env PYEMU_TEST=(none)\n"
    "script child: exited 5\n"
    "exec of a missing file: -1 No such file or directory\n"
    "exec of a non-executable: -1 Permission denied\n"
    "wait with no children: -1 No child processes\n"
)


def without_exec_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "exec'd" not in line and "script" not in line]


def test_fork_wait_and_exec_behave_as_on_linux(build_guest, run_both):
    results = run_both(build_guest("processes.c"))
    assert results.pyemu.stdout.decode() == LINUX_OUTPUT
    assert results.pyemu.returncode == 0
    assert without_exec_lines(results.qemu.stdout.decode()) == without_exec_lines(LINUX_OUTPUT)


def test_proc_files_describe_the_guest(build_guest, run_both):
    """/proc/self/maps and cmdline are the guest's under both; /proc/cpuinfo is a RISC-V
    hart's under pyemu (as on Linux), while qemu 7.2 shows the host's."""
    results = run_both(build_guest("procfs.c"), ["hello"])
    expected = "maps lines > 3: 1\ncmdline strings 2, the second hello\ncpuinfo isa rv64: 1\n"
    assert results.pyemu.stdout.decode() == expected
    qemu_lines = results.qemu.stdout.decode().splitlines()
    assert qemu_lines[:2] == expected.splitlines()[:2]
