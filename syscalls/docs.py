"""Render the syscall table as docs/syscalls.md: `python -m pyemu.syscalls.docs > docs/syscalls.md`."""

from __future__ import annotations

from collections import Counter

from .table import SYSCALLS

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
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
