"""Linux's signal numbers and flags, and the records the signal code passes around: a
handler's action, a siginfo, and the layout of the frame a handler runs on."""

from __future__ import annotations

import struct
from dataclasses import dataclass

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

# struct sigevent's start: sigev_value (a union of int and pointer), sigev_signo, sigev_notify,
# sigev_notify_thread_id (timer_create, mq_notify).
SIGEVENT = {64: struct.Struct("<Qiii"), 32: struct.Struct("<Iiii")}
SIGEVENT_SIZE = 64
