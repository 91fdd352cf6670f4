"""Processes: fork, wait, pipes between processes, execve of RISC-V programs and scripts.

qemu-riscv64 hands execve to the host kernel, which cannot run a RISC-V program unless
binfmt_misc is set up for qemu: there, qemu's children that exec fail (exit 99 and 98 below).
The Linux kernel on RISC-V runs them, and so does pyemu: the expected output is the host
kernel's (the guest built for the host), and qemu is checked on everything else.
"""


def without_exec_lines(text: bytes) -> list[str]:
    return [line for line in text.decode().splitlines()
            if "exec'd" not in line and "script" not in line]


def test_fork_wait_and_exec_behave_as_on_linux(build_guest, build_host, run_both, run_host):
    """The host kernel is the oracle: the same guest built for the host execs itself there
    (x86-only differences: none in its output)."""
    results = run_both(build_guest("processes.c"))
    linux = run_host(build_host("processes.c"))
    assert (linux.returncode, linux.stderr) == (0, "")
    assert "exec'd child: exited 5" in linux.stdout.decode().splitlines()
    assert (results.pyemu.returncode, results.pyemu.stdout) == (0, linux.stdout)
    assert without_exec_lines(results.qemu.stdout) == without_exec_lines(linux.stdout)


def test_proc_files_describe_the_guest(build_guest, run_both):
    """/proc/self/maps and cmdline are the guest's under both; /proc/cpuinfo is a RISC-V
    hart's under pyemu (as on Linux), while qemu 7.2 shows the host's."""
    results = run_both(build_guest("procfs.c"), ["hello"])
    expected = "maps lines > 3: 1\ncmdline strings 2, the second hello\ncpuinfo isa rv64: 1\n"
    assert results.pyemu.stdout.decode() == expected
    qemu_lines = results.qemu.stdout.decode().splitlines()
    assert qemu_lines[:2] == expected.splitlines()[:2]
