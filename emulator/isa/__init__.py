"""The ISA description: one module per extension, each declaring its instructions once."""

from . import (
    rv_a,
    rv_b,
    rv_c,
    rv_fd,
    rv_hints,
    rv_i,
    rv_m,
    rv_v,
    rv_vf,
    rv_zcb,
    rv_zfa,
    rv_zfh,
    rv_zicbo,
    rv_zicond,
    rv_zicsr,
    rv_zimop,
    rv_zvbb,
)
from .base import Alias, Instruction

EXTENSIONS = (
    rv_i.ext,
    rv_m.ext,
    rv_a.ext,
    rv_fd.f_ext,
    rv_fd.d_ext,
    rv_c.ext,
    rv_zicsr.ext,
    rv_zicsr.zifencei,
    rv_b.zba,
    rv_b.zbb,
    rv_b.zbc,
    rv_b.zbs,
    rv_zicond.zicond,
    rv_zfa.zfa,
    rv_zfh.zfhmin,
    rv_zcb.zcb,
    rv_zcb.zcmop,
    rv_zimop.zimop,
    rv_zicbo.zicbom,
    rv_zicbo.zicbop,
    rv_zicbo.zicboz,
    rv_hints.zihintntl,
    rv_hints.zihintpause,
    rv_hints.zawrs,
    rv_v.v,
    rv_vf.zvfhmin,
    rv_zvbb.zvbb,
    rv_zvbb.zvkt,
    rv_zvbb.zkt,
)


def all_instructions() -> list[Instruction]:
    return [insn for extension in EXTENSIONS for insn in extension.instructions]


def all_aliases() -> list[Alias]:
    return [alias for extension in EXTENSIONS for alias in extension.aliases]


def extension_names() -> list[str]:
    """The extensions this ISA description implements, by their specification names."""
    return [extension.name for extension in EXTENSIONS]


# The canonical orders of ISA strings: single letters, then multi-letter extensions by the
# category their second letter names (unprivileged spec, "ISA Extension Naming Conventions").
SINGLE_LETTER_ORDER = "IEMAFDQLCBKJTPVH"
Z_CATEGORY_ORDER = "IMAFDQLCBKJTPVH"


def single_letter_extensions() -> str:
    names = [n for n in extension_names() if len(n) == 1]
    return "".join(sorted(names, key=SINGLE_LETTER_ORDER.index))


def isa_string(xlen: int) -> str:
    """The ISA string of this description, as Linux's /proc/cpuinfo writes it (rv64imafdcv_
    zicbom_..._zba_zbb: single letters, then Z extensions by category and name)."""
    multi = [n.lower() for n in extension_names() if len(n) > 1]
    multi.sort(key=lambda n: (Z_CATEGORY_ORDER.index(n[1].upper()), n))
    return "_".join([f"rv{xlen}{single_letter_extensions().lower()}", *multi])
