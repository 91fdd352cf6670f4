"""Zicsr and Zifencei: control and status registers, instruction-fetch fence."""

from ..semantics import csr_read, csr_write
from .base import CSR, CSRI, NONE, Extension

ext = Extension("Zicsr")
insn = ext.insn
alias = ext.alias


def _numbered(name: str, first: int, start: int, end: int) -> dict[int, str]:
    """name3..name31 style runs of CSRs ({n} in `name` is the number)."""
    return {first + n - start: name.format(n=n) for n in range(start, end + 1)}


# The names the disassembly gives CSR numbers: the privileged spec 1.11 (with its user-level
# interrupt CSRs, since withdrawn), as capstone 5 knows them; other numbers show in decimal.
CSR_NAMES = {
    0x000: "ustatus", 0x001: "fflags", 0x002: "frm", 0x003: "fcsr", 0x004: "uie",
    0x005: "utvec", 0x040: "uscratch", 0x041: "uepc", 0x042: "ucause", 0x043: "utval",
    0x044: "uip", 0x100: "sstatus", 0x102: "sedeleg", 0x103: "sideleg", 0x104: "sie",
    0x105: "stvec", 0x106: "scounteren", 0x140: "sscratch", 0x141: "sepc", 0x142: "scause",
    0x143: "stval", 0x144: "sip", 0x180: "satp", 0x300: "mstatus", 0x301: "misa",
    0x302: "medeleg", 0x303: "mideleg", 0x304: "mie", 0x305: "mtvec", 0x306: "mcounteren",
    0x340: "mscratch", 0x341: "mepc", 0x342: "mcause", 0x343: "mtval", 0x344: "mip",
    0x7A0: "tselect", 0x7A1: "tdata1", 0x7A2: "tdata2", 0x7A3: "tdata3", 0x7B0: "dcsr",
    0x7B1: "dpc", 0x7B2: "dscratch", 0xB00: "mcycle", 0xB02: "minstret", 0xB80: "mcycleh",
    0xB82: "minstreth", 0xC00: "cycle", 0xC01: "time", 0xC02: "instret", 0xC80: "cycleh",
    0xC81: "timeh", 0xC82: "instreth", 0xF11: "mvendorid", 0xF12: "marchid",
    0xF13: "mimpid", 0xF14: "mhartid",
    **_numbered("mhpmevent{n}", 0x323, 3, 31),
    **_numbered("pmpcfg{n}", 0x3A0, 0, 3),
    **_numbered("pmpaddr{n}", 0x3B0, 0, 15),
    **_numbered("mhpmcounter{n}", 0xB03, 3, 31),
    **_numbered("mhpmcounter{n}h", 0xB83, 3, 31),
    **_numbered("hpmcounter{n}", 0xC03, 3, 31),
    **_numbered("hpmcounter{n}h", 0xC83, 3, 31),
}


@insn("csr......... rs1.. 001 rd... 1110011", CSR)
def csrrw(X, C, rd, rs1, csr):
    new = X[rs1]
    X[rd] = csr_read(C, csr)
    csr_write(C, csr, new)


@insn("csr......... rs1.. 010 rd... 1110011", CSR)
def csrrs(X, C, rd, rs1, csr):
    old = csr_read(C, csr)
    if rs1:
        csr_write(C, csr, old | X[rs1])
    X[rd] = old


@insn("csr......... rs1.. 011 rd... 1110011", CSR)
def csrrc(X, C, rd, rs1, csr):
    old = csr_read(C, csr)
    if rs1:
        csr_write(C, csr, old & ~X[rs1])
    X[rd] = old


@insn("csr......... uimm. 101 rd... 1110011", CSRI)
def csrrwi(X, C, rd, imm, csr):
    X[rd] = csr_read(C, csr)
    csr_write(C, csr, imm)


@insn("csr......... uimm. 110 rd... 1110011", CSRI)
def csrrsi(X, C, rd, imm, csr):
    old = csr_read(C, csr)
    if imm:
        csr_write(C, csr, old | imm)
    X[rd] = old


@insn("csr......... uimm. 111 rd... 1110011", CSRI)
def csrrci(X, C, rd, imm, csr):
    old = csr_read(C, csr)
    if imm:
        csr_write(C, csr, old & ~imm)
    X[rd] = old


# ---------------------------------------------------------------- pseudo-instructions

FP_CSRS = {"flags": 0x001, "rm": 0x002, "csr": 0x003}
for suffix, number in FP_CSRS.items():
    alias(f"fr{suffix}", "csrrs", "rd", csr=number, rs1=0)
    alias(f"fs{suffix}", "csrrw", "rs1", csr=number, rd=0)
    alias(f"fs{suffix}", "csrrw", "rd, rs1", csr=number)
for suffix, number in list(FP_CSRS.items())[:2]:  # no fscsri
    alias(f"fs{suffix}i", "csrrwi", "imm", csr=number, rd=0)
    alias(f"fs{suffix}i", "csrrwi", "rd, imm", csr=number)
for number in (0xC00, 0xC01, 0xC02, 0xC80, 0xC81, 0xC82):
    alias(f"rd{CSR_NAMES[number]}", "csrrs", "rd", csr=number, rs1=0)
alias("unimp", "csrrw", "", csr=0xC00, rd=0, rs1=0)
alias("csrr", "csrrs", "rd, csr", rs1=0)
for pseudo in ("csrw", "csrs", "csrc"):
    alias(pseudo, f"csrr{pseudo[-1]}", "csr, rs1", rd=0)
    alias(f"{pseudo}i", f"csrr{pseudo[-1]}i", "csr, imm", rd=0)


zifencei = Extension("Zifencei")


@zifencei.insn("imm......... rs1.. 001 rd... 0001111", NONE)
def fence_i():
    """Stores into cached code already dropped its decoded form, so nothing is stale here."""
