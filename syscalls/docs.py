"""Render the syscall table as docs/syscalls.md: `python -m pyemu.syscalls.docs > docs/syscalls.md`."""

from __future__ import annotations

from collections import Counter

from .table import SYSCALLS
from .table_rv32 import ABSENT, HANDLERS, RENAMED, RV64_LAYOUTS_ONLY, SYSCALLS_RV32, TIME64

STATUS_WORDS = {"implemented": "implemented", "partial": "partial", "enosys": "ENOSYS"}


def render() -> str:
    counts = Counter(entry.status for entry in SYSCALLS.values())
    lines = [
        "# System calls (riscv64)",
        "",
        "Generated from `syscalls/table.py` by `python -m pyemu.syscalls.docs`; do not edit.",
        "",
        (f"{len(SYSCALLS)} numbers: {counts['implemented']} implemented, "
         f"{counts['partial']} partial, {counts['enosys']} return ENOSYS "
         "(pyemu warns once per number when a guest calls one)."),
        "",
        "| number | name | status | note |",
        "|---:|---|---|---|",
    ]
    for number in sorted(SYSCALLS):
        entry = SYSCALLS[number]
        lines.append(f"| {number} | `{entry.name}` | {STATUS_WORDS[entry.status]} | {entry.note} |")
    return "\n".join(lines + render_rv32()) + "\n"


def render_rv32() -> list[str]:
    def names(numbers) -> str:
        return ", ".join(f"{n} `{(SYSCALLS_RV32.get(n) or SYSCALLS[n]).name}`"
                         for n in sorted(numbers))

    return [
        "",
        "## riscv32",
        "",
        "32-bit programs use the riscv32 numbers (`syscalls/table_rv32.py`): the table above and",
        "its handlers, which pack structures for the caller's XLEN, except for these.",
        "",
        f"- Not in riscv32 (time32 structures, `stat`, `rlimit`, `wait4`): {names(ABSENT)}.",
        f"- 32-bit forms: {names(RENAMED)}.",
        f"- 64-bit arguments joined from register pairs: {names(HANDLERS.keys() - RENAMED.keys())}"
        + ", and in the 32-bit forms that take one.",
        "- ENOSYS on riscv32 (their structures are translated for riscv64 only): "
        + f"{names(RV64_LAYOUTS_ONLY)}.",
        "- time64 calls, each with the riscv64 handler of the call it replaces: "
        + ", ".join(f"{n} `{name}` (as {SYSCALLS[shared].name})"
                    for n, (name, shared) in TIME64.items()) + ".",
    ]


if __name__ == "__main__":
    print(render(), end="")
