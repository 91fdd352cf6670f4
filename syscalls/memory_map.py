"""The guest's address space as Linux bounds it: what fits below the task size and within
--max-memory (mmap, mremap, brk and aio's rings ask)."""

from __future__ import annotations

from ..loader import LAYOUTS
from .kernel import Kernel


def fits(k: Kernel, start: int, size: int, released: int = 0) -> bool:
    """Whether [start, start+size) lies in the user address space and, mapped (replacing
    what is there) while `released` bytes elsewhere are unmapped, keeps the guest within its
    memory limit."""
    end = start + size
    if start < 0 or end > LAYOUTS[k.xlen].task_size:
        return False
    replaced = sum(max(0, min(r.end, end) - max(r.start, start)) for r in k.mem.regions)
    return within_limit(k, size - replaced - released)


def within_limit(k: Kernel, added: int) -> bool:
    """Whether `added` more mapped bytes keep the guest within --max-memory."""
    limit = k.process.memory_limit
    return limit is None or sum(r.end - r.start for r in k.mem.regions) + added <= limit
