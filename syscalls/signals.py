"""Signal system calls: actions, masks, the alternate stack, sending, waiting, and
rt_sigreturn, which restores what signal_delivery.enter_handler saved in the frame (including
whatever the handler changed there)."""

from __future__ import annotations

import os
import signal as host_signal_module
import struct

from ..emulator.memory import GuestFault
from .blocking import WouldBlock, complete, deadline_after, wait_for_signal
from .descriptors import host_fd
from .errors import EAGAIN, EINVAL, ENOMEM, EPERM, ESRCH, SyscallError
from .kernel import Kernel, ProcessExit, by_tid, current, signed
from .signal_defs import (
    FRAMES,
    IGNORED_BY_DEFAULT,
    MINSIGSTKSZ,
    NSIG,
    SI_TKILL,
    SI_USER,
    SIG_DFL,
    SIG_IGN,
    SIGINFO_SIZE,
    SIGKILL,
    SIGSEGV,
    SIGSTOP,
    SS_DISABLE,
    SS_ONSTACK,
    UNBLOCKABLE,
    Action,
    SignalInfo,
    bit,
)
from .signal_delivery import read_sigset, restore_extensions, send, take_pending

# ---------------------------------------------------------------- system calls


def rt_sigaction(k: Kernel, signum: int, act: int, oldact: int, sigsetsize: int) -> int:
    signum = signed(signum)
    if not 1 <= signum <= NSIG or signum in (SIGKILL, SIGSTOP) and act or sigsetsize != 8:
        raise SyscallError(EINVAL)
    layout = struct.Struct("<QQQ" if k.xlen == 64 else "<IIQ")  # handler, flags, mask
    old = k.process.action(signum)
    if act:
        handler, flags, mask = layout.unpack(k.mem.read(act, layout.size))
        new = Action(handler, flags, mask & ~UNBLOCKABLE)
    if oldact:
        k.mem.write(oldact, layout.pack(old.handler, old.flags, old.mask))
    if act:
        k.process.signal_actions[signum] = new
        if new.handler == SIG_IGN or new.handler == SIG_DFL and signum in IGNORED_BY_DEFAULT:
            for pending in (k.process.pending, *(t.pending for t in k.process.threads)):
                pending.pop(signum, None)  # POSIX: a pending ignored signal is dropped
    return 0


def rt_sigprocmask(k: Kernel, how: int, new_set: int, old_set: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        raise SyscallError(EINVAL)
    if new_set:
        (mask,) = struct.unpack("<Q", k.mem.read(new_set, 8))
    thread = current(k)
    if new_set and how not in (0, 1, 2):
        raise SyscallError(EINVAL)
    if old_set:
        k.mem.write(old_set, struct.pack("<Q", thread.signal_mask))
    if new_set:
        blocked = thread.signal_mask
        if how == 0:  # SIG_BLOCK
            blocked |= mask
        elif how == 1:  # SIG_UNBLOCK
            blocked &= ~mask
        else:  # SIG_SETMASK
            blocked = mask
        thread.signal_mask = blocked & ~UNBLOCKABLE
    return 0


def rt_sigpending(k: Kernel, set_addr: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        raise SyscallError(EINVAL)
    thread = current(k)
    pending = sum(bit(s) for s in {*k.process.pending, *thread.pending})
    k.mem.write(set_addr, struct.pack("<Q", pending & thread.signal_mask))
    return 0


def sigaltstack(k: Kernel, new: int, old: int) -> int:
    layout = FRAMES[k.xlen].stack_t
    process = k.process
    on_stack = process.altstack_size and \
        process.altstack_sp <= k.state.get(2) < process.altstack_sp + process.altstack_size
    if new:
        sp, flags, size = layout.unpack(k.mem.read(new, layout.size))
    if old:
        flags_now = SS_ONSTACK if on_stack else 0 if process.altstack_size else SS_DISABLE
        k.mem.write(old, layout.pack(process.altstack_sp, flags_now, process.altstack_size))
    if new:
        if on_stack:
            raise SyscallError(EPERM)
        if flags & ~(SS_DISABLE | (1 << 31)):  # SS_AUTODISARM is accepted
            raise SyscallError(EINVAL)
        if flags & SS_DISABLE:
            process.altstack_sp = process.altstack_size = 0
        elif size < MINSIGSTKSZ:
            raise SyscallError(ENOMEM)
        else:
            process.altstack_sp, process.altstack_size = sp, size
    return 0


def kill(k: Kernel, pid: int, signum: int) -> int:
    """To the process itself (and, for its own group or everyone, to it alone: pyemu does not
    signal its host's other processes on its behalf), or to another process (a forked
    guest runs in its own pyemu, which passes the host signal on to it)."""
    pid, signum = signed(pid), signed(signum)
    if not 0 <= signum <= NSIG:
        raise SyscallError(EINVAL)
    if pid > 0 and pid != k.process.pid:
        os.kill(pid, signum)
        return 0
    if pid < -1 and -pid != os.getpgid(0):
        os.killpg(-pid, signum)
        return 0
    return send(k, SignalInfo(signum, SI_USER, k.process.pid, k.uid))


def pidfd_send_signal(k: Kernel, pidfd: int, signum: int, info_addr: int, flags: int) -> int:
    """Through the host (a siginfo given is not passed on: the signal arrives as kill's)."""
    if flags:
        raise SyscallError(EINVAL)
    host_signal_module.pidfd_send_signal(host_fd(k, pidfd), signed(signum))
    return 0


def tkill(k: Kernel, tid: int, signum: int) -> int:
    if signed(tid) <= 0:
        raise SyscallError(EINVAL)
    thread = by_tid(k, signed(tid))
    if thread is None:
        raise SyscallError(ESRCH)
    return send(k, SignalInfo(signed(signum), SI_TKILL, k.process.pid, k.uid), thread)


def tgkill(k: Kernel, tgid: int, tid: int, signum: int) -> int:
    if signed(tgid) <= 0:
        raise SyscallError(EINVAL)
    if signed(tgid) != k.process.pid:
        raise SyscallError(ESRCH)
    return tkill(k, tid, signum)


def rt_sigreturn(k: Kernel) -> int:
    """Restore what the frame at sp holds (as the handler may have changed it)."""
    frame, layout = k.state.get(2), FRAMES[k.xlen]
    registers_size = layout.fp_state - layout.mcontext
    try:
        registers = struct.unpack(f"<32{layout.word}",
                                  k.mem.read(frame + layout.mcontext, registers_size))
        fp = struct.unpack("<32Q", k.mem.read(frame + layout.fp_state, 256))
        (fcsr,) = struct.unpack("<I", k.mem.read(frame + layout.fcsr, 4))
        (mask,) = struct.unpack("<Q", k.mem.read(frame + layout.uc_sigmask, 8))
    except GuestFault:  # an unreadable frame: the kernel kills with SIGSEGV
        raise ProcessExit(signal=SIGSEGV) from None
    k.state.pc = registers[0]
    for index in range(1, 32):
        k.state.set(index, registers[index])
    for index, value in enumerate(fp):
        k.state.set_f(index, value)
    k.state.fcsr = fcsr
    restore_extensions(k, frame, layout)
    current(k).signal_mask = mask & ~UNBLOCKABLE
    return registers[10]  # a0 as restored: the dispatcher writes it back unchanged


def rt_sigsuspend(k: Kernel, mask_addr: int, sigsetsize: int) -> int:
    """Wait with a temporary mask until a signal runs its handler (or ends the process);
    the handler's frame restores the mask the thread had."""
    mask = read_sigset(k, mask_addr, sigsetsize)
    thread = current(k)
    if thread.saved_mask is None:
        thread.saved_mask = thread.signal_mask
    thread.signal_mask = mask & ~UNBLOCKABLE
    return wait_for_signal(k)


def rt_sigtimedwait(k: Kernel, set_addr: int, info_addr: int, timeout_addr: int,
                    sigsetsize: int) -> int:
    """Take a pending signal of the set (blocked or not) as it comes, without its handler."""
    wanted = read_sigset(k, set_addr, sigsetsize) & ~UNBLOCKABLE
    deadline = None
    if timeout_addr:
        seconds, nanoseconds = struct.unpack("<qq", k.mem.read(timeout_addr, 16))
        if seconds < 0 or not 0 <= nanoseconds < 1_000_000_000:
            raise SyscallError(EINVAL)
        deadline = deadline_after(k, seconds * 1_000_000_000 + nanoseconds)

    def attempt() -> int:
        info = take_pending(k, wanted)
        if info is None:
            raise WouldBlock
        if info_addr:
            k.mem.write(info_addr, info.pack(k.xlen))
        return info.signo

    return complete(k, attempt, deadline, lambda: -EAGAIN, restartable=False)


def rt_sigqueueinfo(k: Kernel, pid: int, signum: int, info_addr: int) -> int:
    return rt_tgsigqueueinfo(k, pid, 0, signum, info_addr)


def rt_tgsigqueueinfo(k: Kernel, tgid: int, tid: int, signum: int, info_addr: int) -> int:
    """sigqueue: a signal with the sender's own siginfo (its code must say it came from
    user space, unless it is sent to the sender itself)."""
    info = SignalInfo.unpack(k.mem.read(info_addr, SIGINFO_SIZE), k.xlen)
    tgid, tid = signed(tgid), signed(tid)
    thread = None
    if tid:
        thread = by_tid(k, tid) if tgid == k.process.pid else None
        if thread is None:
            raise SyscallError(ESRCH)
    elif tgid != k.process.pid:
        raise SyscallError(ESRCH)
    if (info.code >= 0 or info.code == SI_TKILL) and tgid != k.process.pid:
        raise SyscallError(EPERM)
    return send(k, SignalInfo(signed(signum), info.code, info.pid, info.uid,
                              value=info.value), thread)


# ---------------------------------------------------------------- delivery


