"""Signals: actions, masks, the alternate stack, sending, and delivery with the RISC-V frame.

Delivery follows arch/riscv/kernel/signal.c (for RV64 and RV32 alike, the layouts differing in
XLEN-sized fields): below the interrupted sp (or on the alternate
stack) the kernel writes a struct rt_sigframe { siginfo; ucontext } whose mcontext holds the
general registers (pc first) and the F/D state, points ra at a sigreturn trampoline, and enters
the handler with a0 = signal, a1 = &info, a2 = &ucontext. rt_sigreturn restores all of it,
including whatever the handler changed in the frame.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import EINVAL, ENOMEM, EPERM, ESRCH, SyscallError
from .kernel import Interrupted, Kernel, ProcessExit, signed

SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL = range(1, 10)
SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM = range(10, 16)
SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG = 17, 18, 19, 20, 21, 22, 23
SIGXCPU, SIGXFSZ, SIGWINCH, SIGSYS = 24, 25, 28, 31
NSIG = 64
SIG_DFL, SIG_IGN = 0, 1
SA_SIGINFO, SA_ONSTACK, SA_RESTART = 0x4, 0x08000000, 0x10000000
SA_NODEFER, SA_RESETHAND = 0x40000000, 0x80000000
SS_ONSTACK, SS_DISABLE = 1, 2
SI_USER, SI_TKILL = 0, -6
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
    def stack_t(self) -> struct.Struct:
        """ss_sp, ss_flags, ss_size (padded after ss_flags on RV64)."""
        return struct.Struct(f"<{self.word}i{'4x' if self.word == 'Q' else ''}{self.word}")


UC = SIGINFO_SIZE  # struct ucontext: uc_flags, uc_link, uc_stack, uc_sigmask, ..., uc_mcontext
FRAMES = {64: FrameLayout("Q", UC + 16, UC + 40, UC + 176),
          32: FrameLayout("I", UC + 8, UC + 20, UC + 160)}
SIGRETURN = 139
# The trampoline the handler returns through (Linux has it in the vDSO): li a7, 139; ecall.
TRAMPOLINE = struct.pack("<II", 0x08B00893, 0x00000073)


@dataclass(frozen=True)
class Action:
    handler: int = SIG_DFL
    flags: int = 0
    mask: int = 0


@dataclass(frozen=True)
class SignalInfo:
    signo: int
    code: int = SI_USER
    pid: int = 0
    uid: int = 0
    addr: int | None = None  # faults: the address; si_pid/si_uid are not used then

    def pack(self, xlen: int) -> bytes:
        """struct siginfo: its union follows three ints, aligned to a pointer."""
        head = struct.pack("<iii4x" if xlen == 64 else "<iii", self.signo, 0, self.code)
        fields = struct.pack("<Q" if xlen == 64 else "<I", self.addr) \
            if self.addr is not None else struct.pack("<iI", self.pid, self.uid)
        return (head + fields).ljust(SIGINFO_SIZE, b"\0")


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
            k.process.pending.pop(signum, None)  # POSIX: a pending ignored signal is dropped
    return 0


def rt_sigprocmask(k: Kernel, how: int, new_set: int, old_set: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        raise SyscallError(EINVAL)
    if new_set:
        (mask,) = struct.unpack("<Q", k.mem.read(new_set, 8))
    if old_set:
        k.mem.write(old_set, struct.pack("<Q", k.process.signal_mask))
    if new_set:
        current = k.process.signal_mask
        if how == 0:
            current |= mask
        elif how == 1:
            current &= ~mask
        elif how == 2:
            current = mask
        else:
            raise SyscallError(EINVAL)
        k.process.signal_mask = current & ~UNBLOCKABLE
    return 0


def rt_sigpending(k: Kernel, set_addr: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        raise SyscallError(EINVAL)
    pending = sum(bit(s) for s in k.process.pending)
    k.mem.write(set_addr, struct.pack("<Q", pending & k.process.signal_mask))
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


def send(k: Kernel, info: SignalInfo) -> int:
    """Make a signal pending for this process (delivered when the syscall returns)."""
    if info.signo == 0:
        return 0
    if not 1 <= info.signo <= NSIG:
        raise SyscallError(EINVAL)
    action = action_of(k, info.signo)
    if action.handler == SIG_IGN or action.handler == SIG_DFL and info.signo in IGNORED_BY_DEFAULT:
        return 0
    k.process.pending.setdefault(info.signo, info)
    return 0


def kill(k: Kernel, pid: int, signum: int) -> int:
    pid = signed(pid)
    if pid not in (0, -1, k.process.pid):
        raise SyscallError(EPERM if pid > 0 else ESRCH)
    return send(k, SignalInfo(signed(signum), SI_USER, k.process.pid, k.uid))


def tkill(k: Kernel, tid: int, signum: int) -> int:
    if signed(tid) != k.process.pid:
        raise SyscallError(ESRCH)
    return send(k, SignalInfo(signed(signum), SI_TKILL, k.process.pid, k.uid))


def tgkill(k: Kernel, tgid: int, tid: int, signum: int) -> int:
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
    except Exception:  # noqa: BLE001 - an unreadable frame: the kernel kills with SIGSEGV
        raise ProcessExit(signal=SIGSEGV) from None
    k.state.pc = registers[0]
    for index in range(1, 32):
        k.state.set(index, registers[index])
    for index, value in enumerate(fp):
        k.state.set_f(index, value)
    k.state.fcsr = fcsr
    k.process.signal_mask = mask & ~UNBLOCKABLE
    return registers[10]  # a0 as restored: the dispatcher writes it back unchanged


def restartable(k: Kernel) -> bool:
    """A blocked call interrupted by the pending signals restarts when each will run a
    handler installed with SA_RESTART (SA_RESTART semantics); otherwise it fails with EINTR."""
    actions = [action_of(k, signum) for signum in k.process.pending]
    return bool(actions) and all(a.handler not in (SIG_DFL, SIG_IGN) and a.flags & SA_RESTART
                                 for a in actions)


def host_signal(k: Kernel, signum: int) -> None:
    """A signal sent to pyemu itself, for the guest: pending, and a blocking call returns."""
    send(k, SignalInfo(signum, SI_USER))
    if k.in_syscall and signum in k.process.pending:
        raise Interrupted


# ---------------------------------------------------------------- delivery


def deliver_pending(k: Kernel) -> None:
    """Deliver the lowest unblocked pending signal (as the kernel does on return to user
    space): its handler is entered, or its default action taken."""
    process = k.process
    for signum in sorted(process.pending):
        if process.signal_mask & bit(signum) and signum not in (SIGKILL, SIGSTOP):
            continue
        info = process.pending.pop(signum)
        if action_of(k, signum).handler in (SIG_DFL, SIG_IGN):
            if terminates(k, signum):
                raise ProcessExit(signal=signum)
            continue
        enter_handler(k, info)
        return


def force_fault(k: Kernel, info: SignalInfo) -> bool:
    """A fault raised by the instruction at pc: True when the guest's handler will run; the
    process ends otherwise (also when the signal is blocked or ignored, as Linux forces it)."""
    action = action_of(k, info.signo)
    if action.handler in (SIG_DFL, SIG_IGN) or k.process.signal_mask & bit(info.signo):
        return False
    enter_handler(k, info)
    return True


def enter_handler(k: Kernel, info: SignalInfo) -> None:
    state, process = k.state, k.process
    action = action_of(k, info.signo)
    sp = state.get(2)
    on_altstack = process.altstack_size and \
        process.altstack_sp <= sp < process.altstack_sp + process.altstack_size
    if action.flags & SA_ONSTACK and process.altstack_size and not on_altstack:
        sp = process.altstack_sp + process.altstack_size
    layout = FRAMES[k.xlen]
    frame = (sp - layout.size) & ~0xF
    registers = [state.pc] + [state.get(i) for i in range(1, 32)]
    fp = [state.get_f(i) for i in range(32)]
    uc_stack = layout.stack_t.pack(process.altstack_sp, SS_ONSTACK if on_altstack else 0
                                   if process.altstack_size else SS_DISABLE,
                                   process.altstack_size)
    try:
        k.mem.write(frame, info.pack(k.xlen))
        k.mem.write(frame + UC, bytes(layout.uc_stack - UC) + uc_stack)
        k.mem.write(frame + layout.uc_sigmask, struct.pack("<Q", process.signal_mask).ljust(
            layout.mcontext - layout.uc_sigmask, b"\0"))
        k.mem.write(frame + layout.mcontext, struct.pack(f"<32{layout.word}", *registers))
        k.mem.write(frame + layout.fp_state, struct.pack("<32Q", *fp) + struct.pack(
            "<I", state.fcsr).ljust(layout.size - layout.fcsr, b"\0"))
    except Exception:  # noqa: BLE001 - no room for the frame: the kernel kills with SIGSEGV
        raise ProcessExit(signal=SIGSEGV) from None
    blocked = action.mask | (0 if action.flags & SA_NODEFER else bit(info.signo))
    process.signal_mask = (process.signal_mask | blocked) & ~UNBLOCKABLE
    if action.flags & SA_RESETHAND:
        process.signal_actions[info.signo] = Action()
    state.set(1, k.sigreturn_trampoline)
    state.set(2, frame)
    state.set(10, info.signo)
    state.set(11, frame)
    state.set(12, frame + UC)
    state.pc = action.handler
