"""Process identity, limits, exit and the self-directed signals a single process can send."""

from __future__ import annotations

import os
import resource
import stat
import struct

from ..emulator.memory import AddressSpace
from ..loader import LoadError, load_program, probe
from . import threads
from .errors import (
    E2BIG,
    EACCES,
    EBUSY,
    EINVAL,
    ELOOP,
    ENOENT,
    ENOEXEC,
    ENOSYS,
    ESRCH,
    SyscallError,
)
from .kernel import Kernel, NewImage, ProcessExit, signed
from .paths import descriptor_target, guest_path, open_program

RLIM_INFINITY = (1 << 64) - 1
RLIMIT_STACK = 3
GUEST_STACK_LIMIT = 8 << 20


def exit(k: Kernel, status: int) -> int:
    """Ends the calling thread; the last one's exit ends the process."""
    if len(k.process.threads) > 1:
        threads.end_thread(k)
    raise ProcessExit(status & 0xFF)


def exit_group(k: Kernel, status: int) -> int:
    raise ProcessExit(status & 0xFF)


def getpid(k: Kernel) -> int:
    return k.process.pid


def gettid(k: Kernel) -> int:
    return threads.current(k).tid


def getppid(k: Kernel) -> int:
    return os.getppid()


def getuid(k: Kernel) -> int:
    return os.getuid()


def geteuid(k: Kernel) -> int:
    return os.geteuid()


def getgid(k: Kernel) -> int:
    return os.getgid()


def getegid(k: Kernel) -> int:
    return os.getegid()


def set_tid_address(k: Kernel, tidptr: int) -> int:
    thread = threads.current(k)
    thread.clear_child_tid = tidptr
    return thread.tid


def umask(k: Kernel, mask: int) -> int:
    old, k.process.umask = k.process.umask, mask & 0o777
    os.umask(k.process.umask)
    return old


def prlimit64(k: Kernel, pid: int, resource_id: int, new_limit: int, old_limit: int) -> int:
    if pid and pid != k.process.pid:
        raise SyscallError(ESRCH)
    if resource_id >= 16:
        raise SyscallError(EINVAL)
    if old_limit:
        if resource_id == RLIMIT_STACK:
            soft, hard = GUEST_STACK_LIMIT, RLIM_INFINITY
        else:
            soft, hard = (RLIM_INFINITY if v == resource.RLIM_INFINITY else v
                          for v in resource.getrlimit(resource_id))
        k.mem.write(old_limit, struct.pack("<QQ", soft, hard))
    if new_limit:
        soft, hard = struct.unpack("<QQ", k.mem.read(new_limit, 16))
        if soft > hard:
            raise SyscallError(EINVAL)
    return 0


ROBUST_LIST_HEAD_SIZE = 24  # struct robust_list_head on riscv64
RSEQ_SIZE = 32
RSEQ_CPU_ID_START, RSEQ_CPU_ID = 0, 4


def set_robust_list(k: Kernel, head: int, length: int) -> int:
    if length != ROBUST_LIST_HEAD_SIZE:
        raise SyscallError(EINVAL)
    threads.current(k).robust_list = head
    return 0


def get_robust_list(k: Kernel, pid: int, head_ptr: int, len_ptr: int) -> int:
    if pid and signed(pid) != k.process.pid:
        raise SyscallError(ESRCH)
    k.mem.write(head_ptr, threads.current(k).robust_list.to_bytes(k.xlen // 8, "little"))
    k.mem.write(len_ptr, ROBUST_LIST_HEAD_SIZE.to_bytes(k.xlen // 8, "little"))
    return 0


def rseq(k: Kernel, addr: int, length: int, flags: int, signature: int) -> int:
    """Registers the area and fills in the CPU number (always CPU 0: one hart)."""
    if flags & ~1 or length < RSEQ_SIZE or addr & 31:
        raise SyscallError(EINVAL)
    if flags & 1:  # RSEQ_FLAG_UNREGISTER
        if addr != k.process.rseq_area:
            raise SyscallError(EINVAL)
        k.process.rseq_area = 0
        return 0
    if k.process.rseq_area:
        raise SyscallError(EBUSY if addr == k.process.rseq_area else EINVAL)
    k.mem.write(addr + RSEQ_CPU_ID_START, struct.pack("<II", 0, 0))
    k.process.rseq_area = addr
    return 0


# ---------------------------------------------------------------- new processes and programs

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_VFORK, CLONE_PARENT, CLONE_THREAD = 0x4000, 0x8000, 0x10000
CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID = 0x80000, 0x100000, 0x200000
CLONE_CHILD_SETTID = 0x1000000
# struct rusage: two struct timeval, then fourteen longs (144 bytes; 72 on RV32).
RUSAGE = {64: struct.Struct("<qqqq14q"), 32: struct.Struct("<iiii14i")}
MAX_SCRIPT_DEPTH = 4  # BINPRM_MAX_RECURSION


def clone(k: Kernel, flags: int, newsp: int, parent_tid: int, tls: int, child_tid: int) -> int:
    """A thread (CLONE_THREAD), or a new process: pyemu itself forks, and the child goes on
    from the same state. vfork (CLONE_VM | CLONE_VFORK) runs as a fork, which a child that
    execs or exits cannot tell."""
    if flags & CLONE_THREAD:
        return threads.new_thread(k, flags, newsp, parent_tid, tls, child_tid)
    if flags & CLONE_VM and not flags & CLONE_VFORK:
        raise SyscallError(ENOSYS)  # a process sharing our memory: not supported
    pid = os.fork()
    if pid:
        if flags & CLONE_PARENT_SETTID:
            k.mem.write(parent_tid, struct.pack("<i", pid))
        return pid
    k.process.pid = os.getpid()
    k.process.forked = True
    k.random = k.random.for_child()
    k.process.pending.clear()
    caller = threads.current(k)  # the child has only the thread that forked
    caller.tid = k.process.last_tid = k.process.pid
    k.process.threads[:] = [caller]
    k.process.current = 0
    if newsp:
        k.state.set(2, newsp)
    if flags & CLONE_SETTLS:
        k.state.set(4, tls)
    if flags & CLONE_CHILD_SETTID:
        k.mem.write(child_tid, struct.pack("<i", k.process.pid))
    if flags & CLONE_CHILD_CLEARTID:
        k.process.clear_child_tid = child_tid
    return 0


def wait4(k: Kernel, pid: int, status_addr: int, options: int, rusage_addr: int) -> int:
    waited, status, usage = os.wait4(signed(pid), options & 0xF)  # WNOHANG WUNTRACED WCONTINUED
    if waited and status_addr:
        k.mem.write(status_addr, struct.pack("<i", status))
    if rusage_addr:
        k.mem.write(rusage_addr, pack_rusage(usage, k.xlen))
    return waited


def pack_rusage(usage, xlen: int) -> bytes:
    def timeval(seconds: float) -> tuple[int, int]:
        micro = round(seconds * 1_000_000)
        return micro // 1_000_000, micro % 1_000_000

    return RUSAGE[xlen].pack(
        *timeval(usage.ru_utime), *timeval(usage.ru_stime), usage.ru_maxrss, usage.ru_ixrss,
        usage.ru_idrss, usage.ru_isrss, usage.ru_minflt, usage.ru_majflt, usage.ru_nswap,
        usage.ru_inblock, usage.ru_oublock, usage.ru_msgsnd, usage.ru_msgrcv,
        usage.ru_nsignals, usage.ru_nvcsw, usage.ru_nivcsw)


def _string_array(k: Kernel, addr: int) -> list[bytes]:
    strings = []
    word = k.xlen // 8
    while addr:
        pointer = int.from_bytes(k.mem.read(addr + word * len(strings), word), "little")
        if not pointer:
            return strings
        strings.append(k.mem.read_cstring(pointer, 1 << 17))
        if len(strings) > 1 << 16:
            raise SyscallError(E2BIG)
    return strings


def _script_interpreter(fd: int) -> list[bytes] | None:
    """The interpreter and its optional argument of a #! script, as the kernel splits it."""
    head = os.pread(fd, 256, 0)
    if not head.startswith(b"#!"):
        return None
    line = head[2:].split(b"\n", 1)[0].strip()
    if not line:
        raise SyscallError(ENOEXEC)
    interpreter, _, argument = line.partition(b" ")
    argument = argument.strip()
    return [interpreter, argument] if argument else [interpreter]


def execve(k: Kernel, path_addr: int, argv_addr: int, envp_addr: int) -> int:
    """Replace the program: a RISC-V ELF (or a #! script whose interpreter is one) is loaded
    and runs on in pyemu; any other program the host can run is run by the host, as
    qemu-user does."""
    path = guest_path(k, path_addr)
    argv, envp = _string_array(k, argv_addr), _string_array(k, envp_addr)
    for _ in range(MAX_SCRIPT_DEPTH):
        program = _open_executable(k, path)
        try:
            interpreter = _script_interpreter(program)
        except BaseException:
            os.close(program)
            raise
        if interpreter is None:
            break
        os.close(program)
        argv = [*interpreter, os.fsencode(path), *argv[1:]]
        path = os.fsdecode(interpreter[0])
    else:
        raise SyscallError(ELOOP)
    try:
        host = f"/proc/self/fd/{program}"  # the file found, whatever its name does meanwhile
        try:
            probe(host)
        except LoadError:
            if k.process.root is not None:
                raise SyscallError(ENOEXEC) from None  # a host program would run outside it
            run_on_host(k, descriptor_target(program), argv, envp)
        mem = AddressSpace()
        root = k.process.root
        try:
            image = load_program(host, argv, envp, mem, sysroot=k.process.sysroot, execfn=path,
                                 random_bytes=k.random.read(16),
                                 open_interpreter=root.open_interpreter if root else None)
        except LoadError as error:
            raise SyscallError(ENOENT if error.status == 127 else ENOEXEC) from None
    finally:
        os.close(program)
    raise NewImage(image, mem)


def _open_executable(k: Kernel, path: str) -> int:
    """The program file execve names, open for reading once it is known to be executable."""
    program = open_program(k, path)
    try:
        if not stat.S_ISREG(os.fstat(program).st_mode) \
                or not os.access(f"/proc/self/fd/{program}", os.X_OK):
            raise SyscallError(EACCES)
    except BaseException:
        os.close(program)
        raise
    return program


def run_on_host(k: Kernel, path: str, argv: list[bytes], envp: list[bytes]) -> None:
    """exec the host program with the guest's descriptors at the guest's numbers."""
    files = {fd: d for fd, d in k.process.files.items() if not d.cloexec}
    spare = {fd: os.dup(d.host_fd) for fd, d in files.items()}  # out of the way of the dup2s
    for fd, host in spare.items():
        os.dup2(host, fd, inheritable=True)
    for fd in range(3):
        if fd not in files:
            os.close(fd)
    os.execve(path, argv, dict(entry.split(b"=", 1) for entry in envp if b"=" in entry))


# ---------------------------------------------------------------- identity and accounting


def getpgid(k: Kernel, pid: int) -> int:
    return os.getpgid(signed(pid))


def getsid(k: Kernel, pid: int) -> int:
    return os.getsid(signed(pid))


def setpgid(k: Kernel, pid: int, pgid: int) -> int:
    os.setpgid(signed(pid), signed(pgid))
    return 0


def setsid(k: Kernel) -> int:
    return os.setsid()


def getresuid(k: Kernel, ruid: int, euid: int, suid: int) -> int:
    for addr, value in zip((ruid, euid, suid), os.getresuid()):
        k.mem.write(addr, struct.pack("<I", value))
    return 0


def getresgid(k: Kernel, rgid: int, egid: int, sgid: int) -> int:
    for addr, value in zip((rgid, egid, sgid), os.getresgid()):
        k.mem.write(addr, struct.pack("<I", value))
    return 0


def getgroups(k: Kernel, size: int, addr: int) -> int:
    groups = os.getgroups()
    if signed(size) == 0:
        return len(groups)
    if signed(size) < len(groups):
        raise SyscallError(EINVAL)
    k.mem.write(addr, struct.pack(f"<{len(groups)}I", *groups))
    return len(groups)


def getrusage(k: Kernel, who: int, usage_addr: int) -> int:
    selectors = {0: resource.RUSAGE_SELF, 1: resource.RUSAGE_THREAD
                 if hasattr(resource, "RUSAGE_THREAD") else resource.RUSAGE_SELF,
                 (1 << 32) - 1: resource.RUSAGE_CHILDREN}
    if who not in selectors:
        raise SyscallError(EINVAL)
    k.mem.write(usage_addr, pack_rusage(k.clock.rusage(selectors[who]), k.xlen))
    return 0


def times(k: Kernel, buf: int) -> int:
    clock = k.clock.times()
    ticks = [round(value * 100) for value in (clock.user, clock.system, clock.children_user,
                                               clock.children_system)]
    if buf:
        k.mem.write(buf, struct.pack("<4q" if k.xlen == 64 else "<4i", *ticks))  # clock_t
    return round(clock.elapsed * 100) & ((1 << 63) - 1)


PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_SET_NAME, PR_GET_NAME = 15, 16


def prctl(k: Kernel, option: int, arg2: int, arg3: int, arg4: int, arg5: int) -> int:
    """The common options: the thread name, dumpable, parent-death signal."""
    process = k.process
    if option == PR_SET_NAME:
        process.name = k.mem.read_cstring(arg2, 4096)[:15]
        return 0
    if option == PR_GET_NAME:
        k.mem.write(arg2, process.name.ljust(16, b"\0"))
        return 0
    if option == PR_GET_DUMPABLE:
        return process.dumpable
    if option == PR_SET_DUMPABLE:
        if arg2 not in (0, 1):
            raise SyscallError(EINVAL)
        process.dumpable = arg2
        return 0
    if option == PR_SET_PDEATHSIG:
        if arg2 > 64:
            raise SyscallError(EINVAL)
        process.parent_death_signal = arg2
        return 0
    if option == PR_GET_PDEATHSIG:
        k.mem.write(arg2, struct.pack("<i", process.parent_death_signal))
        return 0
    raise SyscallError(EINVAL)
