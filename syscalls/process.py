"""Process identity, limits, exit and the self-directed signals a single process can send."""

from __future__ import annotations

import gc
import os
import resource
import signal as host_signal
import stat
import struct

from ..emulator.memory import AddressSpace
from ..loader import LoadError, load_program, probe
from .blocking import WouldBlock, complete, install_wakeup
from .descriptors import host_fd, install_fd
from .errors import (
    E2BIG,
    EACCES,
    EBUSY,
    EFAULT,
    EINTR,
    EINVAL,
    ELOOP,
    ENOENT,
    ENOEXEC,
    ENOSYS,
    EOPNOTSUPP,
    EPERM,
    ESRCH,
    SyscallError,
)
from .kernel import Kernel, NewImage, ProcessExit, by_tid, current, signed
from .paths import descriptor_target, guest_path, open_program
from .process_state import HWCAP, V_CTRL_DEFAULT, V_CTRL_INHERIT, V_CTRL_OFF, V_CTRL_ON
from .signal_defs import SIG_IGN
from .thread_lifecycle import (
    CLONE_CHILD_CLEARTID,
    CLONE_CHILD_SETTID,
    CLONE_PARENT_SETTID,
    CLONE_SETTLS,
    CLONE_SIGHAND,
    CLONE_THREAD,
    CLONE_VFORK,
    CLONE_VM,
    end_thread,
    new_thread,
)

RLIM_INFINITY = (1 << 64) - 1
RLIMIT_STACK = 3
GUEST_STACK_LIMIT = 8 << 20


def exit(k: Kernel, status: int) -> int:
    """Ends the calling thread; the last one's exit ends the process."""
    if len(k.process.threads) > 1:
        end_thread(k)
    raise ProcessExit(status & 0xFF)


def exit_group(k: Kernel, status: int) -> int:
    raise ProcessExit(status & 0xFF)


def getpid(k: Kernel) -> int:
    return k.process.pid


def gettid(k: Kernel) -> int:
    return current(k).tid


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
    thread = current(k)
    thread.clear_child_tid = tidptr
    return thread.tid


def umask(k: Kernel, mask: int) -> int:
    old, k.process.umask = k.process.umask, mask & 0o777
    os.umask(k.process.umask)
    return old


def prlimit64(k: Kernel, pid: int, resource_id: int, new_limit: int, old_limit: int) -> int:
    """Limits are the guest's own: they start as the host's (the stack's as a Linux process
    gets it) and changes are kept, checked as Linux checks them, but not enforced."""
    pid = signed(pid)
    if pid < 0:
        raise SyscallError(EINVAL)
    if pid and pid != k.process.pid and by_tid(k, pid) is None:
        raise SyscallError(ESRCH)
    if resource_id >= 16:
        raise SyscallError(EINVAL)
    limits = k.process.limits
    if resource_id not in limits:
        if resource_id == RLIMIT_STACK:
            limits[resource_id] = (GUEST_STACK_LIMIT, RLIM_INFINITY)
        else:
            limits[resource_id] = tuple(RLIM_INFINITY if v == resource.RLIM_INFINITY else v
                                        for v in resource.getrlimit(resource_id))
    soft, hard = limits[resource_id]
    if new_limit:
        new_soft, new_hard = struct.unpack("<QQ", k.mem.read(new_limit, 16))
        if new_soft > new_hard:
            raise SyscallError(EINVAL)
        if new_hard > hard and os.geteuid() != 0:
            raise SyscallError(EPERM)
    if old_limit:
        k.mem.write(old_limit, struct.pack("<QQ", soft, hard))
    if new_limit:
        limits[resource_id] = (new_soft, new_hard)
    return 0


def getrlimit(k: Kernel, resource_id: int, limit: int) -> int:
    if not limit:
        raise SyscallError(EFAULT)
    return prlimit64(k, 0, resource_id, 0, limit)


def setrlimit(k: Kernel, resource_id: int, limit: int) -> int:
    if not limit:
        raise SyscallError(EFAULT)
    return prlimit64(k, 0, resource_id, limit, 0)


PER_QUERY = 0xFFFF_FFFF


def personality(k: Kernel, persona: int) -> int:
    """The execution domain: PER_LINUX (0) and its flags are only recorded; the previous
    one is returned (0xffffffff only asks)."""
    previous = k.process.personality
    if persona & 0xFFFF_FFFF != PER_QUERY:
        k.process.personality = persona & 0xFFFF_FFFF
    return previous


def restart_syscall(k: Kernel) -> int:
    """No call is ever left to restart this way (pyemu restarts calls by running them
    again), so it fails as Linux's does then."""
    return -EINTR


ROBUST_LIST_HEAD_SIZE = 24  # struct robust_list_head on riscv64
RSEQ_SIZE = 32
RSEQ_CPU_ID_START, RSEQ_CPU_ID = 0, 4


def set_robust_list(k: Kernel, head: int, length: int) -> int:
    if length != ROBUST_LIST_HEAD_SIZE:
        raise SyscallError(EINVAL)
    current(k).robust_list = head
    return 0


def get_robust_list(k: Kernel, pid: int, head_ptr: int, len_ptr: int) -> int:
    if pid and signed(pid) != k.process.pid:
        raise SyscallError(ESRCH)
    k.mem.write(head_ptr, current(k).robust_list.to_bytes(k.xlen // 8, "little"))
    k.mem.write(len_ptr, ROBUST_LIST_HEAD_SIZE.to_bytes(k.xlen // 8, "little"))
    return 0


def rseq(k: Kernel, addr: int, length: int, flags: int, signature: int) -> int:
    """Registers the calling thread's area (Linux keeps one per thread, inherited by fork and
    dropped by execve) and fills in the CPU number (always CPU 0: one hart)."""
    if flags & ~1 or length < RSEQ_SIZE or addr & 31:
        raise SyscallError(EINVAL)
    thread = current(k)
    if flags & 1:  # RSEQ_FLAG_UNREGISTER
        if addr != thread.rseq_area:
            raise SyscallError(EINVAL)
        if signature != thread.rseq_signature:
            raise SyscallError(EPERM)
        thread.rseq_area = 0
        return 0
    if thread.rseq_area:
        if addr != thread.rseq_area:
            raise SyscallError(EINVAL)
        raise SyscallError(EBUSY if signature == thread.rseq_signature else EPERM)
    k.mem.write(addr + RSEQ_CPU_ID_START, struct.pack("<II", 0, 0))
    thread.rseq_area, thread.rseq_signature = addr, signature
    return 0


# ---------------------------------------------------------------- new processes and programs

# struct rusage: two struct timeval, then fourteen longs (144 bytes; 72 on RV32).
RUSAGE = {64: struct.Struct("<qqqq14q"), 32: struct.Struct("<iiii14i")}
MAX_SCRIPT_DEPTH = 4  # BINPRM_MAX_RECURSION


def clone(k: Kernel, flags: int, newsp: int, parent_tid: int, tls: int, child_tid: int) -> int:
    """A thread (CLONE_THREAD), or a new process: pyemu itself forks, and the child goes on
    from the same state. vfork (CLONE_VM | CLONE_VFORK) runs as a fork, which a child that
    execs or exits cannot tell."""
    if flags & CLONE_THREAD:
        return new_thread(k, flags, newsp, parent_tid, tls, child_tid)
    if flags & CLONE_VM and not flags & CLONE_VFORK:
        raise SyscallError(ENOSYS)  # a process sharing our memory: not supported
    # Host signals wait until the child has become a process of its own: one sent to it as
    # soon as the parent returns (bash's `sleep 30 & kill $!`) would otherwise be recorded
    # as pending before fork_child clears what the parent had pending, and be lost.
    mask = host_signal.pthread_sigmask(host_signal.SIG_BLOCK, host_signal.valid_signals())
    # Python's collector writes into every object it visits, which would copy, page by page,
    # the heap parent and child share (numba's alone is 120 k objects): what exists now is
    # left out of its walks, in both. (Cycles that are garbage already are never freed.)
    gc.freeze()
    pid = os.fork()
    if pid:
        host_signal.pthread_sigmask(host_signal.SIG_SETMASK, mask)
        if flags & CLONE_PARENT_SETTID:
            k.mem.write(parent_tid, struct.pack("<i", pid))
        return pid
    caller = current(k)
    k.process.fork_child(caller)
    k.random = k.random.for_child()
    if k.wakeup is not None:
        install_wakeup(k)  # its own, not its parent's
    host_signal.pthread_sigmask(host_signal.SIG_SETMASK, mask)
    if newsp:
        k.state.set(2, newsp)
    if flags & CLONE_SETTLS:
        k.state.set(4, tls)
    if flags & CLONE_CHILD_SETTID:
        k.mem.write(child_tid, struct.pack("<i", k.process.pid))
    if flags & CLONE_CHILD_CLEARTID:
        caller.clear_child_tid = child_tid
    return 0


WNOHANG = 1
CHILD_POLL_INTERVAL = 5_000_000  # ns: how often a wait for a child looks again, unwoken


def _child_poll(k: Kernel) -> int | None:
    """A wait for a child is woken by SIGCHLD when pyemu forwards host signals; otherwise
    (pyemu used as a library) it looks again now and then."""
    return None if k.wakeup is not None else CHILD_POLL_INTERVAL


CLONE_ARGS = struct.Struct("<11Q")  # struct clone_args, up to cgroup (CLONE_ARGS_SIZE_VER2)
CLONE_ARGS_SIZE_VER0 = 64
CLONE_PIDFD, CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP = 0x1000, 1 << 32, 1 << 33
CSIGNAL = 0xFF


def clone3(k: Kernel, args_addr: int, size: int) -> int:
    """clone with its arguments in a struct: the new thread's or process's stack is given
    as a base and a size; a process can get a pidfd."""
    if size < CLONE_ARGS_SIZE_VER0:
        raise SyscallError(EINVAL)
    if size > 4096:
        raise SyscallError(E2BIG)
    raw = k.mem.read(args_addr, size)
    if any(raw[CLONE_ARGS.size:]):
        raise SyscallError(E2BIG)  # fields this kernel does not know, set
    (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
     set_tid_size, _) = CLONE_ARGS.unpack(raw.ljust(CLONE_ARGS.size, b"\0"))
    if flags & CSIGNAL or exit_signal > 64 or bool(stack) != bool(stack_size) or \
            set_tid_size and not set_tid or flags & CLONE_THREAD and exit_signal:
        raise SyscallError(EINVAL)
    if set_tid_size:
        raise SyscallError(EPERM)  # choosing the new pid needs CAP_SYS_ADMIN
    if flags & CLONE_INTO_CGROUP:
        raise SyscallError(EOPNOTSUPP)
    if flags & CLONE_PIDFD and flags & CLONE_THREAD:
        raise SyscallError(EINVAL)
    if flags & CLONE_CLEAR_SIGHAND and flags & CLONE_SIGHAND:
        raise SyscallError(EINVAL)
    newsp = stack + stack_size if stack else 0
    if flags & CLONE_PIDFD:
        return _clone_with_pidfd(k, flags, newsp, parent_tid, tls, child_tid, pidfd)
    created = clone(k, (flags & 0xFFFF_FFFF & ~CLONE_PIDFD) | exit_signal, newsp, parent_tid,
                    tls, child_tid)
    if created == 0 and flags & CLONE_CLEAR_SIGHAND:
        _clear_handlers(k)
    return created


def _clear_handlers(k: Kernel) -> None:
    k.process.signal_actions = {n: a for n, a in k.process.signal_actions.items()
                                if a.handler == SIG_IGN}


def _clone_with_pidfd(k: Kernel, flags: int, newsp: int, parent_tid: int, tls: int,
                      child_tid: int, pidfd_addr: int) -> int:
    created = clone(k, flags & 0xFFFF_FFFF & ~CLONE_PIDFD, newsp, parent_tid, tls, child_tid)
    if created:
        k.mem.write(pidfd_addr, struct.pack("<i", install_fd(
            k, os.pidfd_open(created), "anon_inode:[pidfd]", cloexec=True)))
    elif flags & CLONE_CLEAR_SIGHAND:
        _clear_handlers(k)
    return created


def wait4(k: Kernel, pid: int, status_addr: int, options: int, rusage_addr: int) -> int:
    options &= 0xF  # WNOHANG WUNTRACED WCONTINUED

    def report(waited: int, status: int, usage) -> int:
        if waited and status_addr:
            k.mem.write(status_addr, struct.pack("<i", status))
        if rusage_addr:
            k.mem.write(rusage_addr, pack_rusage(usage, k.xlen))
        return waited

    if options & WNOHANG:
        return report(*os.wait4(signed(pid), options))

    def attempt() -> int:
        waited = os.wait4(signed(pid), options | WNOHANG)
        if not waited[0]:
            raise WouldBlock(every=_child_poll(k))
        return report(*waited)

    return complete(k, attempt)


P_ALL, P_PID, P_PGID, P_PIDFD = 0, 1, 2, 3
WAITID_OPTIONS = 0x1 | 0x2 | 0x4 | 0x8 | 0x1000000 | 0x20000000 | 0x40000000 | 0x80000000
SIGCHLD = 17
# The siginfo waitid fills: signo, errno, code, then (in the union, aligned as a pointer)
# pid, uid, status.
WAITID_INFO = {64: struct.Struct("<iii4xiIi"), 32: struct.Struct("<iiiiIi")}


def waitid(k: Kernel, idtype: int, ident: int, info_addr: int, options: int,
           rusage_addr: int) -> int:
    """The child's state as a siginfo (all zero with WNOHANG when no child changed)."""
    if idtype not in (P_ALL, P_PID, P_PGID, P_PIDFD) or options & ~WAITID_OPTIONS or \
            not options & 0xE:  # WSTOPPED | WEXITED | WCONTINUED
        raise SyscallError(EINVAL)
    target = signed(ident)
    if idtype == P_PIDFD:
        target = host_fd(k, ident)
    host_options = options & (0xF | 0x1000000)

    def report(result) -> int:
        if info_addr:
            fields = (SIGCHLD, 0, result.si_code, result.si_pid, result.si_uid,
                      result.si_status) if result else (0,) * 6
            k.mem.write(info_addr, WAITID_INFO[k.xlen].pack(*fields).ljust(128, b"\0"))
        if rusage_addr:
            k.mem.write(rusage_addr, bytes(RUSAGE[k.xlen].size))
        return 0

    if options & WNOHANG:
        return report(os.waitid(idtype, target, host_options))

    def attempt() -> int:
        result = os.waitid(idtype, target, host_options | WNOHANG)
        if result is None:
            raise WouldBlock(every=_child_poll(k))
        return report(result)

    return complete(k, attempt)


def pidfd_open(k: Kernel, pid: int, flags: int) -> int:
    if flags & ~0o4000:  # PIDFD_NONBLOCK
        raise SyscallError(EINVAL)
    return install_fd(k, os.pidfd_open(signed(pid), flags), "anon_inode:[pidfd]", cloexec=True)


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
                                 random_bytes=k.random.read(16), hwcap=HWCAP,
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
# The vector extension's control (Documentation/arch/riscv/vector.rst): the current and the
# next-execve setting (default 0, off 1, on 2) and whether the next one is inherited.
PR_RISCV_V_SET_CONTROL, PR_RISCV_V_GET_CONTROL = 69, 70
V_CTRL_MASK = 0x1F


def set_vector_control(process, arg: int) -> int:
    """PR_RISCV_V_SET_CONTROL as Linux's riscv_v_vstate_ctrl_set_current: V cannot be turned
    off while it is on."""
    if arg & ~V_CTRL_MASK:
        raise SyscallError(EINVAL)
    current, upcoming = arg & 3, (arg >> 2) & 3
    if current == V_CTRL_OFF and process.vector_control & 3 != V_CTRL_OFF:
        raise SyscallError(EPERM)
    if current == V_CTRL_DEFAULT:
        current = process.vector_control & 3
    if current > V_CTRL_ON or upcoming > V_CTRL_ON:
        raise SyscallError(EINVAL)
    process.vector_control = current | upcoming << 2 | (arg & V_CTRL_INHERIT)
    return 0


def prctl(k: Kernel, option: int, arg2: int, arg3: int, arg4: int, arg5: int) -> int:
    """The common options: the thread name, dumpable, parent-death signal, the vector
    extension's control."""
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
    if option == PR_RISCV_V_GET_CONTROL:
        return process.vector_control
    if option == PR_RISCV_V_SET_CONTROL:
        return set_vector_control(process, arg2)
    raise SyscallError(EINVAL)
