"""A: atomic instructions (unprivileged spec, chapter 14).

The engines run one hart at a time and switch harts only between instructions, so each AMO is
atomic as written; the aq/rl ordering bits are accepted and need no action. Each semantic
function serves the .w and .d forms: the format's `w` operand is funct3 (2: word, 3: double).
"""

from ..cpu import CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE, Trap
from ..semantics import ltu, reserve, reserved, sx32, take_reservation, ux
from .base import RD, RS1, RS2, Extension, Format, field_

ext = Extension("A")
insn = ext.insn
RV64 = (64,)

# aqrl: the ordering bits (aq, rl), which the disassembly shows as a suffix (.aq, .rl, .aqrl).
AQRL = field_("1:0", 26, 25)
AMO = Format("AMO", {"rd": RD, "rs1": RS1, "rs2": RS2, "w": field_("2:0", 14, 12), "aqrl": AQRL},
             "rd, rs2, (rs1)")
LR = Format("LR", {"rd": RD, "rs1": RS1, "w": field_("2:0", 14, 12), "aqrl": AQRL}, "rd, (rs1)")


def aligned(addr: int, w: int, cause: int) -> int:
    """Atomics must be naturally aligned (Linux answers a misaligned one with SIGBUS)."""
    if addr & ((1 << w) - 1):
        raise Trap(cause, addr)
    return addr


def operand(value: int, w: int) -> int:
    """rs2 as the signed operand of the access width."""
    return sx32(value) if w == 2 else value


@insn("00010 a r 00000 rs1.. 010 rd... 0101111", LR, name="lr.w")
@insn("00010 a r 00000 rs1.. 011 rd... 0101111", LR, name="lr.d", xlens=RV64)
def lr(X, C, M, rd, rs1, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_LOAD)
    X[rd] = M.load(addr, 1 << w, True)
    reserve(C, addr)


@insn("00011 a r rs2.. rs1.. 010 rd... 0101111", AMO, name="sc.w")
@insn("00011 a r rs2.. rs1.. 011 rd... 0101111", AMO, name="sc.d", xlens=RV64)
def sc(X, C, M, rd, rs1, rs2, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_STORE)
    if reserved(C, addr):
        # Stored before the reservation goes: a store that must run again (a watched or
        # faulting page) finds it still held.
        M.store(addr, 1 << w, X[rs2])
    X[rd] = 0 if take_reservation(C, addr) else 1


@insn("00001 a r rs2.. rs1.. 010 rd... 0101111", AMO, name="amoswap.w")
@insn("00001 a r rs2.. rs1.. 011 rd... 0101111", AMO, name="amoswap.d", xlens=RV64)
def amoswap(X, M, rd, rs1, rs2, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_STORE)
    old = M.load(addr, 1 << w, True)
    # rd is written last: the compiled loop may leave the instruction to the reference engine
    # at the store, which then runs it again from the registers as they were.
    M.store(addr, 1 << w, X[rs2])
    X[rd] = old


@insn("00000 a r rs2.. rs1.. 010 rd... 0101111", AMO, name="amoadd.w")
@insn("00000 a r rs2.. rs1.. 011 rd... 0101111", AMO, name="amoadd.d", xlens=RV64)
def amoadd(X, M, rd, rs1, rs2, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_STORE)
    new = X[rs2]
    old = M.load(addr, 1 << w, True)
    M.store(addr, 1 << w, old + new)
    X[rd] = old


@insn("00100 a r rs2.. rs1.. 010 rd... 0101111", AMO, name="amoxor.w")
@insn("00100 a r rs2.. rs1.. 011 rd... 0101111", AMO, name="amoxor.d", xlens=RV64)
def amoxor(X, M, rd, rs1, rs2, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_STORE)
    new = X[rs2]
    old = M.load(addr, 1 << w, True)
    M.store(addr, 1 << w, old ^ new)
    X[rd] = old


@insn("01100 a r rs2.. rs1.. 010 rd... 0101111", AMO, name="amoand.w")
@insn("01100 a r rs2.. rs1.. 011 rd... 0101111", AMO, name="amoand.d", xlens=RV64)
def amoand(X, M, rd, rs1, rs2, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_STORE)
    new = X[rs2]
    old = M.load(addr, 1 << w, True)
    M.store(addr, 1 << w, old & new)
    X[rd] = old


@insn("01000 a r rs2.. rs1.. 010 rd... 0101111", AMO, name="amoor.w")
@insn("01000 a r rs2.. rs1.. 011 rd... 0101111", AMO, name="amoor.d", xlens=RV64)
def amoor(X, M, rd, rs1, rs2, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_STORE)
    new = X[rs2]
    old = M.load(addr, 1 << w, True)
    M.store(addr, 1 << w, old | new)
    X[rd] = old


@insn("10000 a r rs2.. rs1.. 010 rd... 0101111", AMO, name="amomin.w")
@insn("10000 a r rs2.. rs1.. 011 rd... 0101111", AMO, name="amomin.d", xlens=RV64)
def amomin(X, M, rd, rs1, rs2, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_STORE)
    new = operand(X[rs2], w)
    old = M.load(addr, 1 << w, True)
    M.store(addr, 1 << w, min(old, new))
    X[rd] = old


@insn("10100 a r rs2.. rs1.. 010 rd... 0101111", AMO, name="amomax.w")
@insn("10100 a r rs2.. rs1.. 011 rd... 0101111", AMO, name="amomax.d", xlens=RV64)
def amomax(X, M, rd, rs1, rs2, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_STORE)
    new = operand(X[rs2], w)
    old = M.load(addr, 1 << w, True)
    M.store(addr, 1 << w, max(old, new))
    X[rd] = old


@insn("11000 a r rs2.. rs1.. 010 rd... 0101111", AMO, name="amominu.w")
@insn("11000 a r rs2.. rs1.. 011 rd... 0101111", AMO, name="amominu.d", xlens=RV64)
def amominu(X, M, rd, rs1, rs2, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_STORE)
    new = operand(X[rs2], w)
    old = M.load(addr, 1 << w, True)
    M.store(addr, 1 << w, new if ltu(new, old) else old)
    X[rd] = old


@insn("11100 a r rs2.. rs1.. 010 rd... 0101111", AMO, name="amomaxu.w")
@insn("11100 a r rs2.. rs1.. 011 rd... 0101111", AMO, name="amomaxu.d", xlens=RV64)
def amomaxu(X, M, rd, rs1, rs2, w):
    addr = aligned(ux(X[rs1]), w, CAUSE_MISALIGNED_STORE)
    new = operand(X[rs2], w)
    old = M.load(addr, 1 << w, True)
    M.store(addr, 1 << w, new if ltu(old, new) else old)
    X[rd] = old
