"""Signals: actions, masks, the alternate stack, sending, and delivery with the RISC-V frame.

Delivery follows arch/riscv/kernel/signal.c (for RV64 and RV32 alike, the layouts differing in
XLEN-sized fields): below the interrupted sp (or on the alternate
stack) the kernel writes a struct rt_sigframe { siginfo; ucontext } whose mcontext holds the
general registers (pc first) and the F/D state, then (when the thread has used V) the vector
state as a record of the extension area that begins in the F/D union's last bytes (Linux 6.5's
uapi: struct __riscv_extra_ext_header's reserved word and first __riscv_ctx_hdr, then
RISCV_V_MAGIC's struct __riscv_v_ext_state and the registers its datap points to, then an END
header), points ra at a sigreturn trampoline, and enters the handler with a0 = signal,
a1 = &info, a2 = &ucontext. rt_sigreturn restores all of it, including whatever the handler
changed in the frame.
"""

from __future__ import annotations

import os
import signal as host_signal_module
import struct
from collections.abc import Callable
from dataclasses import dataclass

from ..emulator.cpu import VL, VLENB, VSTART, VTYPE, VXRM, VXSAT
from ..emulator.memory import GuestFault
from ..emulator.vector import set_vtype
from .blocking import WouldBlock, complete, deadline_after
from .errors import EAGAIN, EINVAL, ENOMEM, EPERM, ESRCH, SyscallError
from .kernel import ULONG, Kernel, ProcessExit, signed
from .threads import Thread, by_tid, current

SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL = range(1, 10)
SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM = range(10, 16)
SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG = 17, 18, 19, 20, 21, 22, 23
SIGXCPU, SIGXFSZ, SIGWINCH, SIGSYS = 24, 25, 28, 31
NSIG = 64
SIG_DFL, SIG_IGN = 0, 1
SA_SIGINFO, SA_ONSTACK, SA_RESTART = 0x4, 0x08000000, 0x10000000
SA_NODEFER, SA_RESETHAND = 0x40000000, 0x80000000
SS_ONSTACK, SS_DISABLE = 1, 2
SI_USER, SI_TIMER, SI_TKILL = 0, -2, -6
MINSIGSTKSZ = 2048

# Default actions (signal(7)); the rest terminate the process.
IGNORED_BY_DEFAULT = {SIGCHLD, SIGCONT, SIGURG, SIGWINCH}
STOPPING = {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}  # a lone process has no one to resume it
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))

SIGINFO_SIZE = 128


@dataclass(frozen=True)
class FrameLayout:
    """struct rt_sigframe { siginfo; ucontext } for one XLEN (offsets in bytes from the
    frame): the ucontext's stack_t and mcontext registers are XLEN-sized, and the mcontext is
    16-byte aligned (the Q-extension state inside it is)."""

    word: str  # struct code of an XLEN-sized field
    uc_stack: int
    uc_sigmask: int
    mcontext: int

    @property
    def fp_state(self) -> int:
        return self.mcontext + 32 * struct.calcsize(self.word)

    @property
    def fcsr(self) -> int:
        return self.fp_state + 256

    @property
    def size(self) -> int:
        return self.fp_state + 528  # union __riscv_fp_state: the Q extension's size

    @property
    def extension_reserved(self) -> int:
        """struct __riscv_extra_ext_header's reserved word (zero), then its first header."""
        return self.fp_state + 516

    @property
    def first_header(self) -> int:
        return self.fp_state + 520

    @property
    def vector_state(self) -> struct.Struct:
        """struct __riscv_v_ext_state (vstart, vl, vtype, vcsr, vlenb, datap), 16-aligned."""
        return struct.Struct(f"<6{self.word}{'' if self.word == 'Q' else '8x'}")

    @property
    def stack_t(self) -> struct.Struct:
        """ss_sp, ss_flags, ss_size (padded after ss_flags on RV64)."""
        return struct.Struct(f"<{self.word}i{'4x' if self.word == 'Q' else ''}{self.word}")


UC = SIGINFO_SIZE  # struct ucontext: uc_flags, uc_link, uc_stack, uc_sigmask, ..., uc_mcontext
FRAMES = {64: FrameLayout("Q", UC + 16, UC + 40, UC + 176),
          32: FrameLayout("I", UC + 8, UC + 20, UC + 160)}
RISCV_V_MAGIC, END_MAGIC = 0x53465457, 0
CONTEXT_HEADER = struct.Struct("<II")  # struct __riscv_ctx_hdr: magic, size
SIGRETURN = 139  # rt_sigreturn's number
# The trampoline the handler returns through (Linux has it in the vDSO): li a7, SIGRETURN
# (addi a7, zero, SIGRETURN); ecall.
TRAMPOLINE = struct.pack("<II", SIGRETURN << 20 | 17 << 7 | 0x13, 0x00000073)


@dataclass(frozen=True)
class Action:
    handler: int = SIG_DFL
    flags: int = 0
    mask: int = 0


@dataclass(frozen=True)
class SignalInfo:
    """A siginfo_t. Timers put their id and overrun count where others put the sender's
    pid and uid (si_timerid, si_overrun)."""

    signo: int
    code: int = SI_USER
    pid: int = 0
    uid: int = 0
    addr: int | None = None  # faults: the address; si_pid/si_uid are not used then
    value: int = 0  # si_value: sigqueue's and timers' payload

    def pack(self, xlen: int) -> bytes:
        """struct siginfo: its union follows three ints, aligned to a pointer."""
        head = struct.pack("<iii4x" if xlen == 64 else "<iii", self.signo, 0, self.code)
        fields = struct.pack("<Q" if xlen == 64 else "<I", self.addr) \
            if self.addr is not None else \
            struct.pack("<iIQ" if xlen == 64 else "<iII", self.pid, self.uid,
                        self.value & ((1 << xlen) - 1))
        return (head + fields).ljust(SIGINFO_SIZE, b"\0")

    @classmethod
    def unpack(cls, raw: bytes, xlen: int) -> SignalInfo:
        signo, _, code, pid, uid, value = struct.unpack_from(
            "<iii4xiIQ" if xlen == 64 else "<iiiiII", raw)
        return cls(signo, code, pid, uid, value=value)


def bit(signum: int) -> int:
    return 1 << (signum - 1)


def action_of(k: Kernel, signum: int) -> Action:
    return k.process.signal_actions.get(signum, Action())


def terminates(k: Kernel, signum: int) -> bool:
    """Whether the signal's current action is to end the process."""
    action = action_of(k, signum)
    if action.handler == SIG_IGN:
        return False
    return action.handler == SIG_DFL and signum not in IGNORED_BY_DEFAULT | STOPPING


# ---------------------------------------------------------------- system calls


def rt_sigaction(k: Kernel, signum: int, act: int, oldact: int, sigsetsize: int) -> int:
    signum = signed(signum)
    if not 1 <= signum <= NSIG or signum in (SIGKILL, SIGSTOP) and act or sigsetsize != 8:
        raise SyscallError(EINVAL)
    layout = struct.Struct("<QQQ" if k.xlen == 64 else "<IIQ")  # handler, flags, mask
    old = action_of(k, signum)
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


def send(k: Kernel, info: SignalInfo, thread: Thread | None = None) -> int:
    """Make a signal pending for this process, or for one of its threads (delivered when
    a thread that does not block it returns to the guest)."""
    if not 0 <= info.signo <= NSIG:
        raise SyscallError(EINVAL)
    if info.signo == 0:
        return 0
    action = action_of(k, info.signo)
    if action.handler == SIG_IGN or action.handler == SIG_DFL and info.signo in IGNORED_BY_DEFAULT:
        return 0
    (k.process.pending if thread is None else thread.pending).setdefault(info.signo, info)
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
    from .fs import host_fd  # the descriptor table builds on signals (SIGPIPE)

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


def vector_in_use(k: Kernel) -> bool:
    """Whether the frame gets a vector record: Linux gives one to a thread whose V state is
    no longer off, that is which ran a vector instruction. pyemu does not mark the first
    one, so it counts a thread as using V once its vector state differs from the state a
    program starts with (vtype's vill, everything else zero); with V turned off by prctl
    there is none."""
    state = k.state
    if k.process.vector_control & 3 == 1:
        return False
    ctrl = state.ctrl
    return bool(int(ctrl[VTYPE]) != -(1 << 63) or ctrl[VL] or ctrl[VSTART] or ctrl[VXRM]
                or ctrl[VXSAT] or state.v.any())


def vector_record_size(k: Kernel, layout: FrameLayout) -> int:
    """riscv_v_sc_size: the header, struct __riscv_v_ext_state, the registers."""
    return CONTEXT_HEADER.size + layout.vector_state.size + len(k.state.v)


def vector_record(k: Kernel, layout: FrameLayout, at: int) -> bytes:
    """The record save_v_state writes at `at` (the first header's place)."""
    ctrl = k.state.ctrl
    datap = at + CONTEXT_HEADER.size + layout.vector_state.size
    vtype = int(ctrl[VTYPE])
    if vtype < 0:
        vtype = 1 << (k.xlen - 1)  # vill, as the CSR reads
    vcsr = int(ctrl[VXRM]) << 1 | int(ctrl[VXSAT])
    return (CONTEXT_HEADER.pack(RISCV_V_MAGIC, vector_record_size(k, layout))
            + layout.vector_state.pack(int(ctrl[VSTART]), int(ctrl[VL]), vtype, vcsr,
                                       int(ctrl[VLENB]), datap)
            + k.state.v.tobytes())


def restore_extensions(k: Kernel, frame: int, layout: FrameLayout) -> None:
    """restore_sigcontext's walk of the extension records: the reserved word must be zero,
    a vector record must have riscv_v_sc_size (and the thread must use V), the walk ends
    at an END header of size 0; anything else is a bad frame (SIGSEGV). The vector state
    comes back as __restore_v_state and the next return to user mode put it: vtype and vl
    through vsetvl (so an illegal vtype sets vill), the registers from datap."""
    try:
        (reserved,) = struct.unpack("<I", k.mem.read(frame + layout.extension_reserved, 4))
        at = frame + layout.first_header
        while not reserved:
            magic, size = CONTEXT_HEADER.unpack(k.mem.read(at, CONTEXT_HEADER.size))
            if magic == END_MAGIC and size == 0:
                return
            if magic != RISCV_V_MAGIC or size != vector_record_size(k, layout) \
                    or not vector_in_use(k):
                break
            vstart, vl, vtype, vcsr, _, datap = layout.vector_state.unpack(k.mem.read(
                at + CONTEXT_HEADER.size, layout.vector_state.size))
            k.state.v[:] = bytearray(k.mem.read(datap, len(k.state.v)))
            ctrl = k.state.ctrl
            set_vtype(ctrl, vtype, vl, k.xlen)
            ctrl[VSTART] = vstart & (int(ctrl[VLENB]) * 8 - 1)
            ctrl[VXRM], ctrl[VXSAT] = (vcsr >> 1) & 3, vcsr & 1
            at += size
    except GuestFault:
        pass
    raise ProcessExit(signal=SIGSEGV)


def restartable(k: Kernel) -> bool:
    """A blocked call interrupted by the pending signals restarts when each will run a
    handler installed with SA_RESTART (SA_RESTART semantics); otherwise it fails with EINTR."""
    thread = current(k)
    actions = [action_of(k, signum) for signum in {*k.process.pending, *thread.pending}
               if not thread.signal_mask & bit(signum)]
    return bool(actions) and all(a.handler not in (SIG_DFL, SIG_IGN) and a.flags & SA_RESTART
                                 for a in actions)


def child_changed(k: Kernel) -> None:
    """SIGCHLD from the host: a forked guest child exited, stopped or went on. The guest's
    siginfo tells which child and how, as Linux's does (looked at without reaping it)."""
    try:
        state = os.waitid(os.P_ALL, 0, os.WEXITED | os.WSTOPPED | os.WCONTINUED | os.WNOHANG
                          | os.WNOWAIT)
    except ChildProcessError:
        state = None
    if state is None:
        send(k, SignalInfo(SIGCHLD, SI_USER))
        return
    send(k, SignalInfo(SIGCHLD, state.si_code, state.si_pid, state.si_uid,
                       value=state.si_status & 0xFFFF_FFFF))


def host_signal(k: Kernel, signum: int) -> None:
    """A signal sent to pyemu itself, for the guest: pending (a blocking call's wait ends,
    woken by the signal's byte in the wakeup pipe; see blocking.py)."""
    send(k, SignalInfo(signum, SI_USER))


# struct sigevent's start: sigev_value (a union of int and pointer), sigev_signo, sigev_notify,
# sigev_notify_thread_id (timer_create, mq_notify).
SIGEVENT = {64: struct.Struct("<Qiii"), 32: struct.Struct("<Iiii")}
SIGEVENT_SIZE = 64


def sigmask_argument(k: Kernel, addr: int) -> tuple[int, int]:
    """pselect6's and io_pgetevents's struct { const sigset_t *ss; size_t ss_len; }."""
    word = ULONG[k.xlen]
    raw = k.mem.read(addr, 2 * word.size)
    return word.unpack_from(raw, 0)[0], word.unpack_from(raw, word.size)[0]


def read_sigset(k: Kernel, addr: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        raise SyscallError(EINVAL)
    return struct.unpack("<Q", k.mem.read(addr, 8))[0]


def rt_sigsuspend(k: Kernel, mask_addr: int, sigsetsize: int) -> int:
    """Wait with a temporary mask until a signal runs its handler (or ends the process);
    the handler's frame restores the mask the thread had."""
    mask = read_sigset(k, mask_addr, sigsetsize)
    thread = current(k)
    if thread.saved_mask is None:
        thread.saved_mask = thread.signal_mask
    thread.signal_mask = mask & ~UNBLOCKABLE
    return wait_for_signal(k)


def with_signal_mask(k: Kernel, mask_addr: int, sigsetsize: int, attempt: Callable[[], int],
                     deadline: int | None, timed_out: Callable[[], int],
                     on_interrupt: Callable[[], None] | None = None) -> int:
    """A wait (never restarted) during which the thread's mask is the one at `mask_addr`
    when given, as pselect, ppoll and epoll_pwait do: a handler that interrupts the wait
    returns to the thread's own mask, and so does the call when it completes."""
    if not mask_addr:
        return complete(k, attempt, deadline, timed_out, False, on_interrupt)
    mask = read_sigset(k, mask_addr, sigsetsize)
    thread = current(k)
    if thread.saved_mask is None:
        thread.saved_mask = thread.signal_mask
    thread.signal_mask = mask & ~UNBLOCKABLE

    def restore() -> None:
        if thread.saved_mask is not None:
            thread.signal_mask, thread.saved_mask = thread.saved_mask, None

    def restoring(work: Callable[[], int]) -> Callable[[], int]:
        def run() -> int:
            try:
                result = work()
            except WouldBlock:
                raise
            except BaseException:
                restore()
                raise
            restore()
            return result

        return run

    return complete(k, restoring(attempt), deadline, restoring(timed_out), False, on_interrupt)


def wait_for_signal(k: Kernel, deadline: int | None = None) -> int:
    """Block until a signal interrupts (EINTR, never restarted): pause, sigsuspend, ppoll
    with nothing to poll."""
    def attempt() -> int:
        raise WouldBlock

    return complete(k, attempt, deadline, lambda: 0, restartable=False)


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


def any_pending(k: Kernel) -> bool:
    return bool(k.process.pending or current(k).pending)


def deliver_pending(k: Kernel) -> None:
    """Deliver the calling thread's lowest unblocked pending signal (as the kernel does on
    return to user space): its handler is entered, or its default action taken. A mask that
    rt_sigsuspend replaced is restored then."""
    thread = current(k)
    try:
        while True:
            info = take_pending(k, ~thread.signal_mask | UNBLOCKABLE)
            if info is None:
                return
            if action_of(k, info.signo).handler not in (SIG_DFL, SIG_IGN):
                enter_handler(k, info)
                return
            if terminates(k, info.signo):
                raise ProcessExit(signal=info.signo)
    finally:
        if thread.saved_mask is not None:
            thread.signal_mask, thread.saved_mask = thread.saved_mask, None


def take_pending(k: Kernel, wanted: int) -> SignalInfo | None:
    """Dequeue the calling thread's lowest pending signal in the set `wanted` (its own
    before the process's)."""
    thread = current(k)
    for signum in sorted({*thread.pending, *k.process.pending}):
        if wanted & bit(signum):
            pending = thread.pending if signum in thread.pending else k.process.pending
            info = pending.pop(signum)
            timer = k.process.timers.get(info.pid) if info.code == SI_TIMER else None
            if timer is not None:
                timer.overrun = info.uid  # what timer_getoverrun reports: the taken signal's
            return info
    return None


def force_fault(k: Kernel, info: SignalInfo) -> bool:
    """A fault raised by the instruction at pc: True when the guest's handler will run; the
    process ends otherwise (also when the signal is blocked or ignored, as Linux forces it)."""
    action = action_of(k, info.signo)
    if action.handler in (SIG_DFL, SIG_IGN) or current(k).signal_mask & bit(info.signo):
        return False
    enter_handler(k, info)
    return True


def enter_handler(k: Kernel, info: SignalInfo) -> None:
    state, process, thread = k.state, k.process, current(k)
    restored_mask = thread.signal_mask if thread.saved_mask is None else thread.saved_mask
    action = action_of(k, info.signo)
    sp = state.get(2)
    on_altstack = process.altstack_size and \
        process.altstack_sp <= sp < process.altstack_sp + process.altstack_size
    if action.flags & SA_ONSTACK and process.altstack_size and not on_altstack:
        sp = process.altstack_sp + process.altstack_size
    layout = FRAMES[k.xlen]
    vector = vector_record_size(k, layout) if vector_in_use(k) else 0
    frame = (sp - layout.size - vector) & ~0xF
    registers = [state.pc] + [state.get(i) for i in range(1, 32)]
    fp = [state.get_f(i) for i in range(32)]
    uc_stack = layout.stack_t.pack(process.altstack_sp, SS_ONSTACK if on_altstack else 0
                                   if process.altstack_size else SS_DISABLE,
                                   process.altstack_size)
    try:
        k.mem.write(frame, info.pack(k.xlen))
        k.mem.write(frame + UC, bytes(layout.uc_stack - UC) + uc_stack)
        k.mem.write(frame + layout.uc_sigmask, struct.pack("<Q", restored_mask).ljust(
            layout.mcontext - layout.uc_sigmask, b"\0"))
        k.mem.write(frame + layout.mcontext, struct.pack(f"<32{layout.word}", *registers))
        k.mem.write(frame + layout.fp_state, struct.pack("<32Q", *fp) + struct.pack(
            "<I", state.fcsr).ljust(layout.size - layout.fcsr, b"\0"))
        end = frame + layout.first_header
        if vector:
            k.mem.write(end, vector_record(k, layout, end))
            end += vector
        k.mem.write(end, CONTEXT_HEADER.pack(END_MAGIC, 0))
    except GuestFault:  # no room for the frame: the kernel kills with SIGSEGV
        raise ProcessExit(signal=SIGSEGV) from None
    blocked = action.mask | (0 if action.flags & SA_NODEFER else bit(info.signo))
    thread.signal_mask = (thread.signal_mask | blocked) & ~UNBLOCKABLE
    thread.saved_mask = None  # the frame holds it: rt_sigreturn restores it
    if action.flags & SA_RESETHAND:
        process.signal_actions[info.signo] = Action()
    state.set(1, k.sigreturn_trampoline)
    state.set(2, frame)
    state.set(10, info.signo)
    state.set(11, frame)
    state.set(12, frame + UC)
    state.pc = action.handler
