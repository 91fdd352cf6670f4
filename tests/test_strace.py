"""--strace shows each system call as strace does: strings, descriptors, flags and modes
decoded, and a failure as -1 with the errno's name and message."""

from __future__ import annotations

import re


def test_strace_decodes_arguments_and_errors(build_guest, run_pyemu):
    result = run_pyemu(build_guest("files.c"), ["rename"], options=("--strace",))
    lines = result.stderr_lines
    assert result.returncode == 0
    call = r"^\d+ "
    assert any(re.match(call + re.escape(
        'openat(AT_FDCWD, "notes.txt", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3'), line)
        for line in lines), lines[:40]
    assert any(re.match(call + re.escape(
        'openat(AT_FDCWD, "missing.txt", O_RDONLY) = -1 ENOENT (No such file or directory)'),
        line) for line in lines)
    assert any(re.match(call + r'write\(3, "line 1 of 5: odd\\nline 2 of 5: ev"\.\.\., \d+\) = \d+$',
                        line) for line in lines)
    assert any(re.match(call + r"brk\(NULL\) = 0x[0-9a-f]+$", line) for line in lines)
