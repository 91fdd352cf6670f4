"""The syscall table: every riscv64 number has a status, and the docs are generated from it."""

from pathlib import Path

from pyemu.syscalls.docs import render
from pyemu.syscalls.table import SYSCALLS
from pyemu.syscalls.table_rv32 import RV64_LAYOUTS_ONLY, SYSCALLS_RV32, TIME64

DOCS = Path(__file__).resolve().parent.parent / "docs" / "syscalls.md"
# asm-generic numbers riscv64 does not have: renameat (38) and the arch-specific range, of
# which riscv uses 258 and 259 only.
ABSENT = {38} | set(range(244, 258))


def test_every_riscv64_number_has_an_entry():
    expected = (set(range(295)) - ABSENT) | {258, 259} | set(range(424, 463))
    assert set(SYSCALLS) == expected


def test_names_are_unique_and_enosys_entries_say_why():
    names = [entry.name for entry in SYSCALLS.values()]
    assert len(names) == len(set(names))
    assert all(entry.note for entry in SYSCALLS.values() if entry.status == "enosys")


def test_docs_are_generated_from_the_table():
    assert DOCS.read_text() == render(), "run: python -m pyemu.syscalls.docs > docs/syscalls.md"


def test_each_riscv32_call_is_listed_once():
    """A call riscv32 refuses (its structures are riscv64's only) is not also listed among the
    time64 calls as handled."""
    assert not set(TIME64) & set(RV64_LAYOUTS_ONLY)
    assert all(SYSCALLS_RV32[n].handler is None for n in RV64_LAYOUTS_ONLY)
