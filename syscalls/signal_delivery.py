"""Signals on their way to the guest: sending (from the guest, the host, faults and timers),
choosing the one to deliver, and entering its handler on a signal frame.

Delivery follows arch/riscv/kernel/signal.c (for RV64 and RV32 alike, the layouts differing in
XLEN-sized fields): below the interrupted sp (or on the alternate stack) the kernel writes a
struct rt_sigframe { siginfo; ucontext } whose mcontext holds the general registers (pc first)
and the F/D state, then (when the thread has used V) the vector state as a record of the
extension area that begins in the F/D union's last bytes (Linux 6.5's uapi: struct
__riscv_extra_ext_header's reserved word and first __riscv_ctx_hdr, then RISCV_V_MAGIC's struct
__riscv_v_ext_state and the registers its datap points to, then an END header), points ra at a
sigreturn trampoline, and enters the handler with a0 = signal, a1 = &info, a2 = &ucontext
(signals.rt_sigreturn restores it all, the vector record through restore_extensions).
"""

from __future__ import annotations

import os
import struct
from dataclasses import replace

from ..emulator.cpu import VL, VLENB, VSTART, VTYPE, VXRM, VXSAT
from ..emulator.memory import GuestFault
from ..emulator.vector import set_vtype
from .errors import EINVAL, SyscallError
from .kernel import ULONG, Kernel, ProcessExit, current
from .process_state import Thread, vector_turned_off
from .signal_defs import (
    CONTEXT_HEADER,
    END_MAGIC,
    FRAMES,
    IGNORED_BY_DEFAULT,
    NSIG,
    RISCV_V_MAGIC,
    SA_NODEFER,
    SA_ONSTACK,
    SA_RESETHAND,
    SI_TIMER,
    SI_USER,
    SIG_DFL,
    SIG_IGN,
    SIGCHLD,
    SIGSEGV,
    SS_DISABLE,
    SS_ONSTACK,
    STOPPING,
    UC,
    UNBLOCKABLE,
    Action,
    FrameLayout,
    SignalInfo,
    bit,
)
from .sources import CLOCK_MONOTONIC


def terminates(k: Kernel, signum: int) -> bool:
    """Whether the signal's current action is to end the process."""
    action = k.process.action(signum)
    if action.handler == SIG_IGN:
        return False
    return action.handler == SIG_DFL and signum not in IGNORED_BY_DEFAULT | STOPPING


def send(k: Kernel, info: SignalInfo, thread: Thread | None = None) -> int:
    """Make a signal pending for this process, or for one of its threads (delivered when
    a thread that does not block it returns to the guest)."""
    if not 0 <= info.signo <= NSIG:
        raise SyscallError(EINVAL)
    if info.signo == 0:
        return 0
    action = k.process.action(info.signo)
    if action.handler == SIG_IGN or action.handler == SIG_DFL and info.signo in IGNORED_BY_DEFAULT:
        return 0
    (k.process.pending if thread is None else thread.pending).setdefault(info.signo, info)
    return 0


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


def sigmask_argument(k: Kernel, addr: int) -> tuple[int, int]:
    """pselect6's and io_pgetevents's struct { const sigset_t *ss; size_t ss_len; }."""
    word = ULONG[k.xlen]
    raw = k.mem.read(addr, 2 * word.size)
    return word.unpack_from(raw, 0)[0], word.unpack_from(raw, word.size)[0]


def read_sigset(k: Kernel, addr: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        raise SyscallError(EINVAL)
    return struct.unpack("<Q", k.mem.read(addr, 8))[0]


def any_pending(k: Kernel) -> bool:
    return bool(k.process.pending or current(k).pending)


def deliver_pending(k: Kernel) -> SignalInfo | None:
    """Deliver the calling thread's lowest unblocked pending signal (as the kernel does on
    return to user space): its handler is entered, or its default action taken. A mask that
    rt_sigsuspend replaced is restored then. The signal whose handler was entered, if any."""
    thread = current(k)
    try:
        while True:
            info = take_pending(k, ~thread.signal_mask | UNBLOCKABLE)
            if info is None:
                return None
            if k.process.action(info.signo).handler not in (SIG_DFL, SIG_IGN):
                enter_handler(k, info)
                return info
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
    action = k.process.action(info.signo)
    if action.handler in (SIG_DFL, SIG_IGN) or current(k).signal_mask & bit(info.signo):
        return False
    enter_handler(k, info)
    return True


def enter_handler(k: Kernel, info: SignalInfo) -> None:
    state, process, thread = k.state, k.process, current(k)
    restored_mask = thread.signal_mask if thread.saved_mask is None else thread.saved_mask
    action = k.process.action(info.signo)
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


def vector_in_use(k: Kernel) -> bool:
    """Whether the frame gets a vector record: Linux gives one to a thread whose V state is
    no longer off, that is which ran a vector instruction. pyemu does not mark the first
    one, so it counts a thread as using V once its vector state differs from the state a
    program starts with (vtype's vill, everything else zero); with V turned off by prctl
    there is none."""
    state = k.state
    if vector_turned_off(k.process.vector_control):
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
    """restore_sigcontext's walk of the extension records enter_handler wrote: the reserved
    word must be zero, a vector record must have riscv_v_sc_size (and the thread must use
    V), the walk ends at an END header of size 0; anything else is a bad frame (SIGSEGV).
    The vector state comes back as __restore_v_state and the next return to user mode put
    it: vtype and vl through vsetvl (so an illegal vtype sets vill), the registers from
    datap."""
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


SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID = 0, 1, 4


def fire_due(k: Kernel) -> None:
    """Send the signals of the timers that have expired; periodic ones count the expiries
    they missed (the overrun) and are armed again."""
    for timer_id, timer in k.process.timers.items():
        if not timer.expiry:
            continue
        now = k.clock.now_ns(timer.clock)
        if now < timer.expiry:
            continue
        missed = (now - timer.expiry) // timer.interval if timer.interval else 0
        timer.expiry = timer.expiry + (missed + 1) * timer.interval if timer.interval else 0
        if timer.notify == SIGEV_NONE:
            continue
        pending = (k.process.pending if timer.thread is None else timer.thread.pending)
        queued = pending.get(timer.signo)
        if queued is not None and queued.code == SI_TIMER and queued.pid == timer_id:
            missed += queued.uid + 1  # its signal is still pending: one more overrun
            pending[timer.signo] = replace(queued, uid=missed)
        else:
            send(k, SignalInfo(timer.signo, SI_TIMER, timer_id, missed, value=timer.value),
                 timer.thread)


def next_deadline(k: Kernel) -> float | None:
    """CLOCK_MONOTONIC ns of the next expiry of an armed timer (None: none is armed)."""
    armed = [t for t in k.process.timers.values() if t.expiry]
    if not armed:
        return None
    now = k.clock.now_ns(CLOCK_MONOTONIC)
    return now + min(t.expiry - k.clock.now_ns(t.clock) for t in armed)


def armed(k: Kernel) -> bool:
    return any(t.expiry for t in k.process.timers.values())
