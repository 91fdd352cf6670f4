"""Zimop: may-be-operations (unprivileged spec, chapter "Zimop", version 1.0).

Encodings later extensions may give a meaning (Zicfiss takes some); until then mop.r.n
(n 0..31) and mop.rr.n (n 0..7) write 0 to rd and read nothing.
"""

from .base import R1, Extension, R

zimop = Extension("Zimop")


def _bits(n: int, width: int) -> str:
    return f"{n:0{width}b}"


def write_zero(X, rd):
    X[rd] = 0


# mop.r.n: 1 n[4] 00 n[3:2] 0111 n[1:0] rs1 100 rd 1110011
for n in range(32):
    b = _bits(n, 5)
    zimop.insn(f"1{b[0]}00{b[1:3]}0111{b[3:]} rs1.. 100 rd... 1110011", R1,
               name=f"mop.r.{n}")(write_zero)
# mop.rr.n: 1 n[2] 00 n[1:0] 1 rs2 rs1 100 rd 1110011
for n in range(8):
    b = _bits(n, 3)
    zimop.insn(f"1{b[0]}00{b[1:]}1 rs2.. rs1.. 100 rd... 1110011", R,
               name=f"mop.rr.{n}")(write_zero)
