"""`--strace`: each system call as strace shows it, with its arguments decoded (strings,
descriptors, flags, signals) and its result with the errno's name.

Arguments are read from guest memory after the call, so a buffer the call filled (read's)
shows what it received. Calls without a description here show their arguments in hex.
"""

from __future__ import annotations

import os

from ..emulator.memory import GuestFault
from .errors import ERRNO_NAMES
from .kernel import Kernel, signed

STRING_LIMIT = 32  # characters of a string or buffer shown, as strace's default

# What each argument is. "buf:N" is a buffer whose length is argument N; "out:N" one the call
# filled, as long as its result (read's), at most argument N.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "read": ("fd", "out:2", "int"), "write": ("fd", "buf:2", "int"),
    "pread64": ("fd", "out:2", "int", "int"), "pwrite64": ("fd", "buf:2", "int", "int"),
    "readv": ("fd", "ptr", "int"), "writev": ("fd", "ptr", "int"),
    "openat": ("dirfd", "str", "oflags", "mode"), "close": ("fd",),
    "dup": ("fd",), "dup3": ("fd", "fd", "fdflags"), "fcntl": ("fd", "int", "hex"),
    "ioctl": ("fd", "hex", "hex"), "lseek": ("fd", "int", "int"),
    "newfstatat": ("dirfd", "str", "ptr", "atflags"), "fstat": ("fd", "ptr"),
    "statx": ("dirfd", "str", "atflags", "hex", "ptr"),
    "readlinkat": ("dirfd", "str", "out:3", "int"), "faccessat": ("dirfd", "str", "int"),
    "faccessat2": ("dirfd", "str", "int", "atflags"), "mkdirat": ("dirfd", "str", "mode"),
    "unlinkat": ("dirfd", "str", "atflags"), "symlinkat": ("str", "dirfd", "str"),
    "linkat": ("dirfd", "str", "dirfd", "str", "atflags"),
    "renameat2": ("dirfd", "str", "dirfd", "str", "hex"), "chdir": ("str",),
    "fchdir": ("fd",), "getcwd": ("out:1", "int"), "truncate": ("str", "int"),
    "ftruncate": ("fd", "int"), "fchmodat": ("dirfd", "str", "mode"),
    "utimensat": ("dirfd", "str", "ptr", "atflags"), "getdents64": ("fd", "ptr", "int"),
    "pipe2": ("ptr", "fdflags"), "statfs": ("str", "ptr"), "fstatfs": ("fd", "ptr"),
    "execve": ("str", "ptr", "ptr"), "exit": ("int",), "exit_group": ("int",),
    "kill": ("int", "signal"), "tkill": ("int", "signal"), "tgkill": ("int", "int", "signal"),
    "rt_sigaction": ("signal", "ptr", "ptr", "int"),
    "rt_sigprocmask": ("sighow", "ptr", "ptr", "int"),
    "mmap": ("ptr", "int", "prot", "mapflags", "fd", "hex"), "munmap": ("ptr", "int"),
    "mprotect": ("ptr", "int", "prot"), "brk": ("ptr",), "madvise": ("ptr", "int", "int"),
    "socket": ("int", "int", "int"), "connect": ("fd", "ptr", "int"),
    "bind": ("fd", "ptr", "int"), "listen": ("fd", "int"),
    "accept4": ("fd", "ptr", "ptr", "fdflags"), "sendto": ("fd", "buf:2", "int", "hex",
                                                          "ptr", "int"),
    "recvfrom": ("fd", "out:2", "int", "hex", "ptr", "ptr"),
    "nanosleep": ("ptr", "ptr"), "clock_nanosleep": ("int", "int", "ptr", "ptr"),
    "wait4": ("int", "ptr", "hex", "ptr"), "epoll_ctl": ("fd", "int", "fd", "ptr"),
    "ppoll": ("ptr", "int", "ptr", "ptr", "int"), "unlink": ("str",),
    "memfd_create": ("str", "hex"), "prctl": ("int", "hex", "hex", "hex", "hex"),
    "set_tid_address": ("ptr",), "set_robust_list": ("ptr", "int"),
    "prlimit64": ("int", "int", "ptr", "ptr"), "getrandom": ("ptr", "int", "hex"),
    "setitimer": ("int", "ptr", "ptr"), "getitimer": ("int", "ptr"), "rt_sigreturn": (),
    "futex": ("ptr", "int", "int", "ptr", "ptr", "int"), "sched_yield": (),
    "clone": ("hex", "ptr", "ptr", "ptr", "ptr"), "clone3": ("ptr", "int"),
    "getpid": (), "getppid": (), "gettid": (), "getuid": (), "geteuid": (), "getgid": (),
    "getegid": (), "rseq": ("ptr", "int", "int", "hex"), "uname": ("ptr",),
    "clock_gettime": ("int", "ptr"), "gettimeofday": ("ptr", "ptr"),
    "sigaltstack": ("ptr", "ptr"), "rt_sigsuspend": ("ptr", "int"),
    "riscv_hwprobe": ("ptr", "int", "int", "ptr", "hex"), "umask": ("mode",),
    "eventfd2": ("int", "fdflags"), "epoll_create1": ("fdflags",),
    "epoll_pwait": ("fd", "ptr", "int", "int", "ptr", "int"), "close_range": ("fd", "fd", "hex"),
}

OPEN_FLAGS = [(0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"),
              (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o4010000, "O_SYNC"),
              (0o10000, "O_DSYNC"), (0o40000, "O_DIRECT"), (0o200000, "O_DIRECTORY"),
              (0o400000, "O_NOFOLLOW"), (0o1000000, "O_NOATIME"), (0o2000000, "O_CLOEXEC"),
              (0o10000000, "O_PATH"), (0o20200000, "O_TMPFILE")]
AT_FLAGS = [(0x100, "AT_SYMLINK_NOFOLLOW"), (0x200, "AT_REMOVEDIR"),
            (0x400, "AT_SYMLINK_FOLLOW"), (0x800, "AT_NO_AUTOMOUNT"), (0x1000, "AT_EMPTY_PATH")]
PROT_FLAGS = [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")]
MAP_FLAGS = [(0x01, "MAP_SHARED"), (0x02, "MAP_PRIVATE"), (0x10, "MAP_FIXED"),
             (0x20, "MAP_ANONYMOUS"), (0x100, "MAP_GROWSDOWN"), (0x800, "MAP_DENYWRITE"),
             (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"), (0x4000, "MAP_NORESERVE"),
             (0x8000, "MAP_POPULATE"), (0x10000, "MAP_NONBLOCK"), (0x20000, "MAP_STACK"),
             (0x40000, "MAP_HUGETLB"), (0x100000, "MAP_FIXED_NOREPLACE")]
SIGNALS = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
           7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
           13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD",
           18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
           23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF",
           28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS"}
SIGPROCMASK_HOW = {0: "SIG_BLOCK", 1: "SIG_UNBLOCK", 2: "SIG_SETMASK"}
O_CREATING = 0o100 | 0o20000000  # O_CREAT, __O_TMPFILE: the flags that take a mode
# Results shown in hex: addresses.
ADDRESS_RESULTS = {"mmap", "brk", "mremap"}


def _flags(value: int, names: list[tuple[int, str]], empty: str = "0") -> str:
    parts = []
    for bit, name in names:
        if value & bit == bit:
            parts.append(name)
            value &= ~bit
    if value:
        parts.append(f"{value:#x}")
    return "|".join(parts) or empty


def _string(k: Kernel, addr: int, length: int | None = None) -> str:
    """A quoted, escaped string from guest memory (a C string when `length` is None)."""
    if not addr:
        return "NULL"
    try:
        if length is None:
            data = k.mem.read_cstring(addr, 4096)
        else:
            data = k.mem.read(addr, min(length, STRING_LIMIT + 1))
    except GuestFault:
        return f"{addr:#x}"
    shown = data[:STRING_LIMIT]
    text = "".join(
        {0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}.get(b)
        or (chr(b) if 32 <= b < 127 else f"\\{b:o}") for b in shown)
    more = len(data) > STRING_LIMIT if length is None else length > STRING_LIMIT
    return f'"{text}"' + ("..." if more else "")


def _argument(k: Kernel, kind: str, value: int, args: tuple[int, ...],
              result: int | None) -> str:
    if kind == "fd":
        return str(signed(value))
    if kind == "dirfd":
        return "AT_FDCWD" if signed(value) == -100 else str(signed(value))
    if kind == "int":
        return str(signed(value, k.xlen))
    if kind == "str":
        return _string(k, value)
    if kind.startswith("buf:"):
        return _string(k, value, args[int(kind[4:])])
    if kind.startswith("out:"):
        return f"{value:#x}" if result is None or result < 0 else _string(k, value, result)
    if kind == "oflags":
        access = ("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")[value & 3]
        rest = _flags(value & ~3, OPEN_FLAGS, "")
        return f"{access}|{rest}" if rest else access
    if kind == "fdflags":
        return _flags(value, OPEN_FLAGS)
    if kind == "atflags":
        return _flags(value, AT_FLAGS)
    if kind == "mode":
        return f"0{value & 0o7777:02o}"
    if kind == "prot":
        return _flags(value, PROT_FLAGS, "PROT_NONE")
    if kind == "mapflags":
        return _flags(value, MAP_FLAGS)
    if kind == "signal":
        return SIGNALS.get(signed(value), str(signed(value)))
    if kind == "sighow":
        return SIGPROCMASK_HOW.get(value, str(value))
    return "NULL" if kind == "ptr" and not value else f"{value:#x}"


def _result(k: Kernel, name: str, result: int) -> str:
    result = signed(result, k.xlen)
    if -4096 < result < 0:
        errno_name = ERRNO_NAMES.get(-result, str(-result))
        return f"-1 {errno_name} ({os.strerror(-result)})"
    return f"{result:#x}" if name in ADDRESS_RESULTS else str(result)


def describe(k: Kernel, name: str, args: tuple[int, ...], result: int | None) -> str:
    """`name(args) = result` as strace prints it (a call not finished, parked or to be run
    again after a signal handler: `= ?`)."""
    signature = SIGNATURES.get(name)
    if name == "openat" and not args[2] & O_CREATING:
        signature = signature[:3]  # the mode means nothing then, and strace leaves it out
    if signature is None:
        shown = ", ".join(f"{a:#x}" for a in args)
    else:
        shown = ", ".join(_argument(k, kind, args[i], args, result)
                          for i, kind in enumerate(signature))
    return f"{name}({shown}) = {'?' if result is None else _result(k, name, result)}"
