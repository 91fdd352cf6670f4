"""A debugger's watched ranges of an address space (watchpoints).

The pages of a watched range keep their read and write bits aside (in Watches.hidden) and
carry PTE_WATCHED instead, so that every TLB fill and the compiled engine's page walk fail:
loads and stores there take the reference engine's slow path, which asks check() about
each. A hit raises WatchpointHit before the access is made, unless the accesses are being
logged (Watches.log is a list): then they are appended to it and made.
"""

from __future__ import annotations

import contextlib
import mmap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .memory import AddressSpace

PTE_WATCHED = 32  # a page-table entry bit (see emulator/memory.py PTE_*)
# The bits hidden: page-table entries hold the protection as mmap's PROT_* bits.
READABLE_WRITABLE = mmap.PROT_READ | mmap.PROT_WRITE


class WatchpointHit(Exception):
    """An engine's load or store touches a watched range; raised before the access is made,
    so the instruction has changed nothing and can run again with the watch logged instead."""

    def __init__(self, addr: int, size: int, access: str):
        super().__init__(f"{access} of {size} bytes at {addr:#x}")
        self.addr = addr
        self.size = size
        self.access = access


class Watches:
    def __init__(self, space: AddressSpace):
        self.space = space
        self.ranges: list[tuple[int, int]] = []  # (start, end)
        self.log: list[tuple[int, int, str]] | None = None  # (addr, size, access) when a list
        self.hidden: dict[int, int] = {}  # page number -> the read/write bits hidden

    def set(self, ranges: list[tuple[int, int]]) -> None:
        """Watch these ranges from now on, instead of the previous ones."""
        self.show()
        self.ranges = list(ranges)
        self.hide()
        self.space.flush_tlbs()

    def check(self, addr: int, size: int, access: str) -> None:
        """An access about to be made: WatchpointHit (or logged) if it touches a range."""
        for start, end in self.ranges:
            if start < addr + size and addr < end:
                if self.log is None:
                    raise WatchpointHit(addr, size, access)
                self.log.append((addr, size, access))
                return

    def _pages(self):
        """(page number, l3 row, column) of each mapped page of the watched ranges."""
        space = self.space
        for start, end in self.ranges:
            for vpn in range(start >> space.page_shift, ((end - 1) >> space.page_shift) + 1):
                row, col = space.mapped_leaf(vpn)
                if row:
                    yield vpn, row, col

    def hide(self) -> None:
        """Take the read and write bits off the watched pages' entries."""
        l3 = self.space.l3
        for vpn, row, col in self._pages():
            entry = int(l3[row, col])
            if not entry & PTE_WATCHED:
                self.hidden[vpn] = entry & READABLE_WRITABLE
                l3[row, col] = (entry & ~READABLE_WRITABLE) | PTE_WATCHED

    def show(self) -> None:
        """Give the watched pages' entries their read and write bits back."""
        space = self.space
        for vpn, prot in self.hidden.items():
            row, col = space.mapped_leaf(vpn)
            if row and space.l3[row, col] & PTE_WATCHED:
                space.l3[row, col] = (int(space.l3[row, col]) & ~PTE_WATCHED) | prot
        self.hidden.clear()

    @contextlib.contextmanager
    def shown(self):
        """Page table entries as they really are, while a mapping changes."""
        if not self.ranges:
            yield
            return
        self.show()
        try:
            yield
        finally:
            self.hide()
