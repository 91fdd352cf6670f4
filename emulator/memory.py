"""The guest's logical address space: numpy page frames behind a radix page table.

Both engines share this state. The page table is three numpy levels (11 + 12 + 12 bits of
virtual page number, so 47-bit guest addresses) that a compiled loop can walk as easily as
Python; each leaf entry packs the frame number with the page's permission bits. Frames are
4 KiB rows of one uint8 pool and are allocated on first touch, so large reservations cost
nothing until used. The pool is one host mapping (anonymous, private, reserved lazily), so a
run of its frames can be replaced by a host file's own pages (map_host_pages): that is how
pages shared with other processes are shared for real, atomics and all.

The Python side keeps small dictionaries in front of the table (one per access kind, like a
TLB): they are flushed whenever a mapping or permission changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import mmap
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_OFFSET_MASK = PAGE_SIZE - 1

PROT_NONE = 0
PROT_READ = 1
PROT_WRITE = 2
PROT_EXEC = 4

# Page-table entry bits below the frame number.
PTE_READ = PROT_READ
PTE_WRITE = PROT_WRITE
PTE_EXEC = PROT_EXEC
PTE_MAPPED = 8  # a mapping exists (also for PROT_NONE pages)
PTE_CODE = 16  # decoded code is cached for this page: stores must take the slow path
# A debugger watches part of this page: its read and write bits are kept aside (in
# AddressSpace.watched_prot) and cleared here, so that every TLB fill and the compiled
# engine's page walk fail and loads and stores take the reference engine's slow path.
PTE_WATCHED = 32
PTE_FRAME_SHIFT = 8

VA_BITS = 47
L1_SHIFT = 24
_LEVEL_BITS = 12
_LEVEL_MASK = (1 << _LEVEL_BITS) - 1
_L1_ENTRIES = 1 << (VA_BITS - PAGE_SHIFT - L1_SHIFT)

FAST_TLB_SIZE = 1024  # entries of the compiled engine's direct-mapped TLBs
# The tag of an empty TLB entry: no page number, not even a negative one (-1 was the page
# number of the addresses just below 2**64, which then hit empty entries and read frame 0).
TLB_EMPTY = 1 << 62

# Host address space the frame pool starts with: only frames in use cost memory (the pages are
# reserved lazily); beyond it the pool is copied into one twice its size.
POOL_RESERVATION = 64 << 30
_MAP_NORESERVE = 0x4000  # Linux's; the mmap module does not name it
_MAP_FIXED = 0x10


def _reserve_pool(size: int) -> np.ndarray:
    """A zeroed frame pool of about `size` bytes in one host mapping (less where the host
    refuses so much address space, as with strict overcommit)."""
    while True:
        try:
            area = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
                             | _MAP_NORESERVE)
            return np.frombuffer(area, dtype=np.uint8)
        except OSError:
            if size <= 64 * PAGE_SIZE:
                raise
            size //= 2


@functools.cache
def _host_mmap() -> Callable:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    return libc.mmap


def _map_over(address: int, size: int, prot: int, flags: int, fd: int = -1,
              offset: int = 0) -> None:
    """mmap(MAP_FIXED) over part of the frame pool's own host mapping."""
    result = _host_mmap()(address, size, prot, flags | _MAP_FIXED, fd, offset)
    if result is None or result == ctypes.c_void_p(-1).value:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_S32 = struct.Struct("<i")
_S64 = struct.Struct("<q")


class WatchpointHit(Exception):
    """An engine's load or store touches a watched range; raised before the access is made,
    so the instruction has changed nothing and can run again with the watch logged instead."""

    def __init__(self, addr: int, size: int, access: str):
        super().__init__(f"{access} of {size} bytes at {addr:#x}")
        self.addr = addr
        self.size = size
        self.access = access


class GuestFault(Exception):
    """A guest access to an unmapped page or against its permissions (SIGSEGV)."""

    def __init__(self, addr: int, access: str, mapped: bool):
        super().__init__(f"{access} fault at {addr:#x}")
        self.addr = addr
        self.access = access  # "r", "w" or "x"
        self.mapped = mapped  # True: permission (SEGV_ACCERR); False: no mapping (SEGV_MAPERR)


@dataclass
class Region:
    """A contiguous range of pages with the same protection and origin (one VMA)."""

    start: int
    end: int
    prot: int
    name: str = ""
    offset: int = 0  # file offset of `start`, for file-backed regions
    shared: bool = False  # MAP_SHARED: its pages are its file's (AddressSpace.map_host_pages)
    may_write: bool = True  # False: shared with a file opened read-only (mprotect: EACCES)

    def __contains__(self, addr: int) -> bool:
        return self.start <= addr < self.end


def page_floor(addr: int) -> int:
    return addr & ~PAGE_OFFSET_MASK


def page_ceil(addr: int) -> int:
    return (addr + PAGE_OFFSET_MASK) & ~PAGE_OFFSET_MASK


def journaled(method: Callable) -> Callable:
    """A change of the address space that AddressSpace.journal records, while it is a list,
    as (method name, arguments): replaying the list makes the same change again. Changes
    made inside a recorded one are not recorded again."""

    @functools.wraps(method)
    def recorded(self, *args, **kwargs):
        journal = self.journal
        if journal is None:
            return method(self, *args, **kwargs)
        journal.append((method.__name__, tuple(
            bytes(a) if isinstance(a, (bytearray, memoryview)) else a for a in args), kwargs))
        self.journal = None
        try:
            return method(self, *args, **kwargs)
        finally:
            self.journal = journal

    return recorded


class AddressSpace:
    def __init__(self, address_bits: int = VA_BITS):
        self.limit = 1 << min(address_bits, VA_BITS)
        self.l1 = np.zeros(_L1_ENTRIES, dtype=np.int32)
        self.l2 = np.zeros((4, 1 << _LEVEL_BITS), dtype=np.int32)  # row 0: "no table"
        self.l3 = np.zeros((4, 1 << _LEVEL_BITS), dtype=np.int64)
        self._rows_used = {"l2": 1, "l3": 1}
        self._use_frames(_reserve_pool(POOL_RESERVATION))  # frame 0: never handed out
        self._frames_used = 1
        self._free_frames: list[int] = []
        self._host_frames: set[int] = set()  # frames that are a host file's pages
        self.regions: list[Region] = []
        # Page number -> offset of its frame in `buffer`, per access kind; the reference
        # engine's translated blocks read these directly. Cleared in place, never replaced.
        self.read_tlb: dict[int, int] = {}
        self.write_tlb: dict[int, int] = {}
        self.exec_tlb: dict[int, int] = {}
        # The compiled engine's TLBs: rows 0 (reads) and 1 (writes) of page number tags, and the
        # frame-pool offsets they map to. Flushed together with the dictionaries above.
        self.fast_tlb_tag = np.full((2, FAST_TLB_SIZE), TLB_EMPTY, dtype=np.int64)
        self.fast_tlb_base = np.zeros((2, FAST_TLB_SIZE), dtype=np.int64)
        self._fast_view: tuple | None = None
        self._fast_status = np.zeros(1, dtype=np.int64)
        # Counts the flushes: an engine that keeps frame offsets of its own (the compiled
        # loop's code pages) drops them when it changes.
        self.tlb_generation = 0
        # Called with a page number when a store hits a page whose code is cached.
        self.code_write_listeners: list[Callable[[int], None]] = []
        # Watched ranges (start, end): engine accesses that touch one raise WatchpointHit, or
        # are appended to watch_log while that is a list. Their pages never enter a TLB.
        self.watched: list[tuple[int, int]] = []
        self.watch_log: list[tuple[int, int, str]] | None = None
        self.watched_prot: dict[int, int] = {}  # page number -> the read/write bits hidden
        self.journal: list[tuple[str, tuple, dict]] | None = None  # see journaled

    # ----------------------------------------------------------------- page table

    def _leaf(self, vpn: int, create: bool) -> tuple[int, int]:
        """(l3 row, column) holding the entry of `vpn`; row 0 when absent and not created."""
        i1 = vpn >> L1_SHIFT
        t2 = int(self.l1[i1])
        if not t2:
            if not create:
                return 0, 0
            t2 = self._new_table_row("l2")
            self.l1[i1] = t2
        i2 = (vpn >> _LEVEL_BITS) & _LEVEL_MASK
        t3 = int(self.l2[t2, i2])
        if not t3:
            if not create:
                return 0, 0
            t3 = self._new_table_row("l3")
            self.l2[t2, i2] = t3
        return t3, vpn & _LEVEL_MASK

    def _new_table_row(self, name: str) -> int:
        """Index of a fresh row of the level table `name` ("l2" or "l3"), growing it if full."""
        table = getattr(self, name)
        row = self._rows_used[name]
        if row >= table.shape[0]:
            bigger = np.zeros((table.shape[0] * 2, table.shape[1]), dtype=table.dtype)
            bigger[: table.shape[0]] = table
            setattr(self, name, bigger)
        self._rows_used[name] = row + 1
        return row

    def pte(self, vpn: int) -> int:
        row, col = self._leaf(vpn, create=False)
        return int(self.l3[row, col]) if row else 0

    def _leaf_slices(self, vpn: int, end: int, create: bool):
        """(first page number, l3 row, column, count) of each leaf table's part of the pages
        [vpn, end); without `create`, absent tables are skipped whole (a guest may name
        terabytes of address space)."""
        while vpn < end:
            if not create and not self.l1[vpn >> L1_SHIFT]:
                vpn = ((vpn >> L1_SHIFT) + 1) << L1_SHIFT
                continue
            row, col = self._leaf(vpn, create=create)
            n = min(end - vpn, (1 << _LEVEL_BITS) - col)
            if row:
                yield vpn, row, col, n
            vpn += n

    def _set_ptes(self, start_vpn: int, count: int, update: Callable[[np.ndarray], None],
                  create: bool = True) -> None:
        """Apply `update` to the entry slices covering `count` pages, one leaf table at a time
        (only to the tables that exist unless `create`)."""
        for _, row, col, n in self._leaf_slices(start_vpn, start_vpn + count, create):
            update(self.l3[row, col : col + n])
        self.flush_tlbs()

    def flush_tlbs(self) -> None:
        self.tlb_generation += 1
        self.read_tlb.clear()
        self.write_tlb.clear()
        self.exec_tlb.clear()
        self.fast_tlb_tag.fill(TLB_EMPTY)

    def fast_view(self) -> tuple:
        """The arrays the compiled engine reads memory through (see fast_runtime)."""
        view = self._fast_view
        if view is None or view[0] is not self.frames or view[4] is not self.l1 \
                or view[5] is not self.l2 or view[6] is not self.l3:
            frames = self.frames
            view = self._fast_view = (
                frames, frames.view(np.uint16), frames.view(np.uint32), frames.view(np.uint64),
                self.l1, self.l2, self.l3, self.fast_tlb_tag, self.fast_tlb_base,
                self._fast_status,
            )
        return view

    # ----------------------------------------------------------------- frames

    def _use_frames(self, frames: np.ndarray) -> None:
        """Make `frames` the frame pool. `buffer` views it as bytes, `as_b` ... `as_Q` as
        aligned 1-, 2-, 4- and 8-byte integers (struct codes), signed and unsigned: the
        reference engine's translated blocks index them for aligned accesses."""
        self.frames = frames
        self.buffer = memoryview(frames)
        for code in "bBhHiIqQ":
            setattr(self, f"as_{code}", self.buffer.cast(code))

    def _new_frame(self) -> int:
        if self._free_frames:
            frame = self._free_frames.pop()
            start = frame << PAGE_SHIFT
            self.frames[start : start + PAGE_SIZE] = 0
            return frame
        return self._new_frames(1)

    def _new_frames(self, count: int) -> int:
        """The first of `count` consecutive frames never used before."""
        first = self._frames_used
        self._frames_used += count
        self._grow_pool(self._frames_used << PAGE_SHIFT)
        return first

    def _grow_pool(self, size: int) -> None:
        """Make the pool hold at least `size` bytes. Host pages mapped into the old pool
        are copied, not shared, into the new one: it takes a guest using more memory than
        POOL_RESERVATION (or than a strictly overcommitting host allows) to get here."""
        if size <= self.frames.size:
            return
        bigger = _reserve_pool(max(size, self.frames.size * 2))
        bigger[: self.frames.size] = self.frames
        self._use_frames(bigger)
        self._host_frames.clear()

    def _release_frames(self, frames: list[int]) -> None:
        """Frames whose pages are gone become free; a host file's pages among them are
        replaced by private memory first (or reusing the frame would write the file)."""
        for frame in self._host_frames.intersection(frames):
            _map_over(self.frames.ctypes.data + (frame << PAGE_SHIFT), PAGE_SIZE,
                      mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            self._host_frames.discard(frame)
        self._free_frames.extend(frames)

    def _backed_frame(self, vpn: int) -> int:
        """The frame of a mapped page, allocating its zero frame on first touch."""
        row, col = self._leaf(vpn, create=False)
        entry = int(self.l3[row, col]) if row else 0
        frame = entry >> PTE_FRAME_SHIFT
        if not frame:
            frame = self._new_frame()
            self.l3[row, col] = entry | (frame << PTE_FRAME_SHIFT)
        return frame

    # ----------------------------------------------------------------- mappings

    def check_range(self, addr: int, size: int) -> bool:
        return 0 <= addr and size >= 0 and addr + size <= self.limit

    @journaled
    def map(self, addr: int, size: int, prot: int, name: str = "", offset: int = 0) -> None:
        """Map zero-filled pages over [addr, addr+size), replacing what was there."""
        start, end = page_floor(addr), page_ceil(addr + size)
        if not self.check_range(start, end - start):
            raise ValueError(f"mapping {start:#x}-{end:#x} outside the address space")
        self.unmap(start, end - start)
        flags = PTE_MAPPED | (prot & 7)

        def fill(entries: np.ndarray) -> None:
            entries[:] = flags

        with self._watch_bits_shown():
            self._set_ptes(start >> PAGE_SHIFT, (end - start) >> PAGE_SHIFT, fill)
        self._add_region(Region(start, end, prot, name, offset))

    def map_host_pages(self, addr: int, size: int, prot: int, name: str, offset: int,
                       host_fd: int, pages: int, writable: bool) -> None:
        """Map [addr, addr+size) over the first `pages` pages of a host file at `offset`
        themselves (MAP_SHARED): what the guest writes there is in the file at once, and
        what other processes write to the file is seen at once. Pages past `pages` (past the
        file's end, where the host would raise SIGBUS) are ordinary zero pages. A descriptor
        that does not allow writing (`writable` false) gets a private mapping of the file,
        which still sees the file's changes, and the region never becomes writable."""
        self.map(addr, size, prot, name, offset)
        for region in self.regions:
            if region.start == page_floor(addr):
                region.shared, region.may_write = True, writable
        pages = min(pages, size >> PAGE_SHIFT)
        if not pages:
            return
        first = self._new_frames(pages)
        _map_over(self.frames.ctypes.data + (first << PAGE_SHIFT), pages << PAGE_SHIFT,
                  mmap.PROT_READ | mmap.PROT_WRITE,
                  mmap.MAP_SHARED if writable else mmap.MAP_PRIVATE, host_fd, offset)
        self._host_frames.update(range(first, first + pages))
        frame = first
        for _, row, col, n in self._leaf_slices(addr >> PAGE_SHIFT,
                                                (addr >> PAGE_SHIFT) + pages, create=True):
            self.l3[row, col : col + n] |= (np.arange(frame, frame + n, dtype=np.int64)
                                            << PTE_FRAME_SHIFT)
            frame += n
        self.flush_tlbs()

    @journaled
    def unmap(self, addr: int, size: int) -> None:
        start, end = page_floor(addr), page_ceil(addr + size)
        if not any(r.start < end and start < r.end for r in self.regions):
            return
        self._notify_code_pages(start, end)

        def clear(entries: np.ndarray) -> None:
            frames = entries[entries >= (1 << PTE_FRAME_SHIFT)] >> PTE_FRAME_SHIFT
            self._release_frames([int(f) for f in frames])
            entries[:] = 0

        with self._watch_bits_shown():
            self._set_ptes(start >> PAGE_SHIFT, (end - start) >> PAGE_SHIFT, clear,
                           create=False)
        self._cut_regions(start, end)

    def move(self, old: int, new: int, size: int) -> None:
        """mremap's move: the pages of [old, old+size) take their contents to the already
        mapped [new, new+size), and the old pages are left empty. Frames move; pages never
        touched stay without one, so moving a huge untouched mapping costs nothing."""
        frame_mask = (1 << PTE_FRAME_SHIFT) - 1
        shift = (new - old) >> PAGE_SHIFT
        moved: list[tuple[int, int]] = []  # (new page number, frame)
        for vpn, row, col, n in self._leaf_slices(old >> PAGE_SHIFT, (old + size) >> PAGE_SHIFT,
                                                  create=False):
            entries = self.l3[row, col : col + n]
            for i in np.nonzero(entries >> PTE_FRAME_SHIFT)[0]:
                moved.append((vpn + int(i) + shift, int(entries[i]) >> PTE_FRAME_SHIFT))
            entries &= frame_mask  # unmapping the old range must not free these frames
        for target, frame in moved:
            row, col = self._leaf(target, create=True)
            self.l3[row, col] = (int(self.l3[row, col]) & frame_mask) | (frame << PTE_FRAME_SHIFT)
        self.flush_tlbs()

    @journaled
    def protect(self, addr: int, size: int, prot: int) -> None:
        """Change the protection of mapped pages in the range (mprotect)."""
        start, end = page_floor(addr), page_ceil(addr + size)

        def reprotect(entries: np.ndarray) -> None:
            mapped = (entries & PTE_MAPPED) != 0
            entries[mapped] = (entries[mapped] & ~np.int64(7)) | (prot & 7)

        with self._watch_bits_shown():
            self._set_ptes(start >> PAGE_SHIFT, (end - start) >> PAGE_SHIFT, reprotect,
                           create=False)
        pieces = []
        for region in self._cut_regions(start, end):
            region.prot = prot
            pieces.append(region)
        for region in pieces:
            self._add_region(region)

    def is_mapped(self, addr: int, size: int = 1) -> bool:
        """True when every page of the range has a mapping (one leaf table at a time: a
        guest may ask about gigabytes)."""
        if size <= 0:
            return True
        if not self.check_range(addr, size):
            return False
        vpn, end = addr >> PAGE_SHIFT, ((addr + size - 1) >> PAGE_SHIFT) + 1
        for first, row, col, n in self._leaf_slices(vpn, end, create=False):
            if first != vpn or not np.all(self.l3[row, col : col + n] & PTE_MAPPED):
                return False
            vpn += n
        return vpn == end

    def is_free(self, addr: int, size: int) -> bool:
        end = addr + size
        return self.check_range(addr, size) and not any(
            r.start < end and addr < r.end for r in self.regions
        )

    def find_free(self, size: int, below: int, above: int = PAGE_SIZE * 16) -> int | None:
        """The highest page-aligned gap of `size` bytes ending at or below `below`."""
        size = page_ceil(size)
        top = page_floor(below)
        for region in sorted(self.regions, key=lambda r: r.start, reverse=True):
            if region.end <= top - size:
                break  # the gap between this region and `top` is big enough
            top = min(top, region.start)
        return top - size if top - size >= above else None

    def region_at(self, addr: int) -> Region | None:
        for region in self.regions:
            if addr in region:
                return region
        return None

    def maps(self) -> list[Region]:
        return sorted(self.regions, key=lambda r: r.start)

    def _add_region(self, region: Region) -> None:
        self.regions.append(region)
        self.regions.sort(key=lambda r: r.start)

    def _cut_regions(self, start: int, end: int) -> list[Region]:
        """Remove [start, end) from the region list; return the removed parts."""
        kept: list[Region] = []
        removed: list[Region] = []
        for r in self.regions:
            if r.end <= start or r.start >= end:
                kept.append(r)
                continue
            if r.start < start:
                kept.append(dataclasses.replace(r, end=start))
            if r.end > end:
                kept.append(dataclasses.replace(r, start=end, offset=r.offset + (end - r.start)))
            lo, hi = max(r.start, start), min(r.end, end)
            removed.append(dataclasses.replace(r, start=lo, end=hi,
                                               offset=r.offset + (lo - r.start)))
        self.regions = sorted(kept, key=lambda r: r.start)
        return removed

    # ----------------------------------------------------------------- code cache support

    def mark_code(self, vpn: int) -> None:
        """Record that decoded code of this page is cached: stores to it must be reported."""
        row, col = self._leaf(vpn, create=False)
        if row:
            self.l3[row, col] |= PTE_CODE
            self.write_tlb.pop(vpn, None)
            slot = vpn % FAST_TLB_SIZE
            if self.fast_tlb_tag[1, slot] == vpn:
                self.fast_tlb_tag[1, slot] = TLB_EMPTY

    def _notify_code_pages(self, start: int, end: int) -> None:
        for vpn, row, col, n in self._leaf_slices(start >> PAGE_SHIFT, end >> PAGE_SHIFT,
                                                  create=False):
            for i in np.nonzero(self.l3[row, col : col + n] & PTE_CODE)[0]:
                self._code_written(vpn + int(i))

    def _code_written(self, vpn: int) -> None:
        row, col = self._leaf(vpn, create=False)
        self.l3[row, col] &= ~np.int64(PTE_CODE)
        for listener in self.code_write_listeners:
            listener(vpn)

    # ----------------------------------------------------------------- snapshots

    def contents(self) -> dict[str, np.ndarray]:
        """The page table and the frames in use (views, not copies): with bookkeeping(),
        everything that restore() needs to bring this address space back."""
        return {"l1": self.l1, "l2": self.l2[: self._rows_used["l2"]],
                "l3": self.l3[: self._rows_used["l3"]],
                "frames": self.frames[: self._frames_used << PAGE_SHIFT]}

    def bookkeeping(self) -> dict:
        return {"rows_used": dict(self._rows_used), "frames_used": self._frames_used,
                "free_frames": list(self._free_frames),
                "regions": [dataclasses.replace(r) for r in self.regions],
                "watched_prot": dict(self.watched_prot)}

    def replay(self, journal: list[tuple[str, tuple, dict]]) -> None:
        """Make again the changes a journal recorded (a write that faulted faults again)."""
        for name, args, kwargs in journal:
            with contextlib.suppress(GuestFault):
                getattr(self, name)(*args, **kwargs)

    def restore(self, contents: dict[str, bytes], bookkeeping: dict) -> None:
        """Bring back what contents() (as bytes) and bookkeeping() described. The engines drop
        the decoded code of the pages that change; the watched ranges stay the present ones."""
        self._show_watched()
        code = self._code_pages()
        rows = bookkeeping["rows_used"]
        for name in ("l2", "l3"):
            table = getattr(self, name)
            if table.shape[0] < rows[name]:
                table = np.zeros((rows[name], table.shape[1]), dtype=table.dtype)
                setattr(self, name, table)
            table[: rows[name]] = np.frombuffer(contents[name], table.dtype).reshape(
                rows[name], table.shape[1])
            table[rows[name] : self._rows_used[name]] = 0
        self.l1[:] = np.frombuffer(contents["l1"], self.l1.dtype)
        size = bookkeeping["frames_used"] << PAGE_SHIFT
        self._grow_pool(size)
        self.frames[:size] = np.frombuffer(contents["frames"], np.uint8)
        self.frames[size : self._frames_used << PAGE_SHIFT] = 0
        self._rows_used = dict(rows)
        self._frames_used = bookkeeping["frames_used"]
        self._free_frames = list(bookkeeping["free_frames"])
        self.regions = [dataclasses.replace(r) for r in bookkeeping["regions"]]
        self.watched_prot = dict(bookkeeping["watched_prot"])
        self._show_watched()
        # PTE_CODE describes what the engines cache now, and the watches are the present ones.
        self.l3[: rows["l3"]] &= ~np.int64(PTE_CODE)
        for vpn, (entry, data) in code.items():
            if self.pte(vpn) == entry and self._page_bytes(entry) == data:
                row, col = self._leaf(vpn, create=False)
                self.l3[row, col] |= PTE_CODE
            else:
                for listener in self.code_write_listeners:
                    listener(vpn)
        self._hide_watched()
        self.flush_tlbs()

    def _code_pages(self) -> dict[int, tuple[int, bytes]]:
        """Pages whose decoded code is cached: their entry (without the debugger's and the
        cache's bits) and contents."""
        pages = {}
        for i1 in np.flatnonzero(self.l1):
            t2 = self.l1[i1]
            for i2 in np.flatnonzero(self.l2[t2]):
                t3 = self.l2[t2, i2]
                for col in np.flatnonzero(self.l3[t3] & PTE_CODE):
                    vpn = (int(i1) << L1_SHIFT) | (int(i2) << _LEVEL_BITS) | int(col)
                    entry = int(self.l3[t3, col]) & ~PTE_CODE
                    pages[vpn] = (entry, self._page_bytes(entry))
        return pages

    def _page_bytes(self, entry: int) -> bytes:
        start = (entry >> PTE_FRAME_SHIFT) << PAGE_SHIFT
        return bytes(self.buffer[start : start + PAGE_SIZE]) if start else b""

    # ----------------------------------------------------------------- translation

    def _translate(self, addr: int, access: str) -> int:
        """Byte offset in `frames` of `addr`, checked for `access`; fills the matching TLB."""
        vpn = addr >> PAGE_SHIFT
        if not 0 <= addr < self.limit:
            raise GuestFault(addr, access, False)
        entry = self.pte(vpn)
        if not entry & PTE_MAPPED:
            raise GuestFault(addr, access, False)
        if entry & PTE_WATCHED:
            entry |= self.watched_prot.get(vpn, 0)
        need = {"r": PTE_READ, "w": PTE_WRITE, "x": PTE_EXEC}[access]
        if not entry & need:
            raise GuestFault(addr, access, True)
        if access == "w" and entry & PTE_CODE:
            self._code_written(vpn)
        base = self._backed_frame(vpn) << PAGE_SHIFT
        if access == "x" or not entry & PTE_WATCHED:
            tlb = {"r": self.read_tlb, "w": self.write_tlb, "x": self.exec_tlb}[access]
            tlb[vpn] = base
        return base + (addr & PAGE_OFFSET_MASK)

    def _offset(self, addr: int, size: int, tlb: dict[int, int], access: str) -> int:
        """Offset of an access that stays inside one page, or -1 when it crosses pages."""
        off = addr & PAGE_OFFSET_MASK
        base = tlb.get(addr >> PAGE_SHIFT)
        if base is None or off + size > PAGE_SIZE:
            if self.watched and access != "x":
                self._check_watched(addr, size, access)
            if off + size > PAGE_SIZE:
                return -1
            return self._translate(addr, access)
        return base + off

    def _check_watched(self, addr: int, size: int, access: str) -> None:
        for start, end in self.watched:
            if start < addr + size and addr < end:
                if self.watch_log is None:
                    raise WatchpointHit(addr, size, access)
                self.watch_log.append((addr, size, access))
                return

    # ----------------------------------------------------------------- debugger support

    def watch(self, ranges: list[tuple[int, int]]) -> None:
        """Watch these (start, end) ranges from now on, instead of the previous ones."""
        self._show_watched()
        self.watched = list(ranges)
        self._hide_watched()
        self.flush_tlbs()

    def _watched_pages(self):
        """(page number, l3 row, column) of each mapped page of the watched ranges."""
        for start, end in self.watched:
            for vpn in range(start >> PAGE_SHIFT, ((end - 1) >> PAGE_SHIFT) + 1):
                row, col = self._leaf(vpn, create=False)
                if row and self.l3[row, col] & PTE_MAPPED:
                    yield vpn, row, col

    def _hide_watched(self) -> None:
        readable_writable = PTE_READ | PTE_WRITE
        for vpn, row, col in self._watched_pages():
            entry = int(self.l3[row, col])
            if not entry & PTE_WATCHED:
                self.watched_prot[vpn] = entry & readable_writable
                self.l3[row, col] = (entry & ~readable_writable) | PTE_WATCHED

    def _show_watched(self) -> None:
        for vpn, prot in self.watched_prot.items():
            row, col = self._leaf(vpn, create=False)
            if row and self.l3[row, col] & PTE_WATCHED:
                self.l3[row, col] = (int(self.l3[row, col]) & ~PTE_WATCHED) | prot
        self.watched_prot.clear()

    @contextlib.contextmanager
    def _watch_bits_shown(self):
        """Page table entries as they really are, while a mapping changes."""
        if not self.watched:
            yield
            return
        self._show_watched()
        try:
            yield
        finally:
            self._hide_watched()

    @journaled
    def forget_code(self, addr: int, size: int) -> None:
        """Drop every engine's decoded code for the pages of this range (a debugger changed
        the code or the breakpoints there)."""
        self._notify_code_pages(page_floor(addr), page_ceil(addr + size))

    # The engines' loads and stores. Values are returned zero- or sign-extended as Python ints.

    def load(self, addr: int, size: int, signed: bool) -> int:
        off = self._offset(addr, size, self.read_tlb, "r")
        if off < 0:
            return int.from_bytes(self.read(addr, size), "little", signed=signed)
        return int.from_bytes(self.buffer[off : off + size], "little", signed=signed)

    def load_u16(self, addr: int) -> int:
        off = self._offset(addr, 2, self.read_tlb, "r")
        return _U16.unpack_from(self.buffer, off)[0] if off >= 0 else self.load(addr, 2, False)

    def load_u32(self, addr: int) -> int:
        off = self._offset(addr, 4, self.read_tlb, "r")
        return _U32.unpack_from(self.buffer, off)[0] if off >= 0 else self.load(addr, 4, False)

    def load_s32(self, addr: int) -> int:
        off = self._offset(addr, 4, self.read_tlb, "r")
        return _S32.unpack_from(self.buffer, off)[0] if off >= 0 else self.load(addr, 4, True)

    def load_u64(self, addr: int) -> int:
        off = self._offset(addr, 8, self.read_tlb, "r")
        return _U64.unpack_from(self.buffer, off)[0] if off >= 0 else self.load(addr, 8, False)

    def load_s64(self, addr: int) -> int:
        off = self._offset(addr, 8, self.read_tlb, "r")
        return _S64.unpack_from(self.buffer, off)[0] if off >= 0 else self.load(addr, 8, True)

    def store(self, addr: int, size: int, value: int) -> None:
        off = self._offset(addr, size, self.write_tlb, "w")
        data = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        if off < 0:
            self.write(addr, data)
        else:
            self.buffer[off : off + size] = data

    def readable(self, addr: int) -> bool:
        """Whether the byte at addr may be read (the cache-block operations' check)."""
        try:
            self._translate(addr, "r")
        except GuestFault:
            return False
        return True

    def code_frame(self, vpn: int) -> int:
        """Offset in `frames` of the page an engine decodes code from; -1 when it cannot be
        fetched from (the engine's fetch then raises the fault)."""
        try:
            return self._translate(vpn << PAGE_SHIFT, "x")
        except GuestFault:
            return -1

    def fetch16(self, addr: int) -> int:
        """A 16-bit instruction parcel (instruction fetch permission)."""
        off = self._offset(addr, 2, self.exec_tlb, "x")
        if off < 0:  # only an odd address can cross; the engine never asks for one
            raise GuestFault(addr, "x", True)
        return _U16.unpack_from(self.buffer, off)[0]

    # ----------------------------------------------------------------- bulk access

    def _chunks(self, addr: int, size: int, access: str):
        """(frame offset, buffer offset, length) pieces of a range, each within one page."""
        if size < 0 or not self.check_range(addr, size):
            raise GuestFault(addr, access, False)
        # A page in the TLB needs no walk (watched pages never enter it): a 64 KiB read or
        # write then costs microseconds, not a page-table walk in Python per page.
        tlb = self.read_tlb if access == "r" else self.write_tlb
        done = 0
        while done < size:
            a = addr + done
            n = min(size - done, PAGE_SIZE - (a & PAGE_OFFSET_MASK))
            base = tlb.get(a >> PAGE_SHIFT)
            yield (self._translate(a, access) if base is None
                   else base + (a & PAGE_OFFSET_MASK)), done, n
            done += n

    def read(self, addr: int, size: int) -> bytes:
        """Read guest memory with the guest's read permission (GuestFault otherwise). The
        bytes grow page by page, so a size beyond what is mapped faults without pyemu first
        allocating it (a guest may pass any size)."""
        out = bytearray()
        for off, _, n in self._chunks(addr, size, "r"):
            out += self.buffer[off : off + n]
        return bytes(out)

    @journaled
    def write(self, addr: int, data: bytes) -> None:
        """Write guest memory with the guest's write permission (GuestFault otherwise)."""
        view = memoryview(data)
        for off, done, n in self._chunks(addr, len(data), "w"):
            self.buffer[off : off + n] = view[done : done + n]

    @journaled
    def poke(self, addr: int, data: bytes) -> None:
        """Write mapped memory regardless of its protection (loading segments)."""
        view = memoryview(data)
        done = 0
        while done < len(data):
            a = addr + done
            if not self.pte(a >> PAGE_SHIFT) & PTE_MAPPED:
                raise GuestFault(a, "w", False)
            n = min(len(data) - done, PAGE_SIZE - (a & PAGE_OFFSET_MASK))
            off = (self._backed_frame(a >> PAGE_SHIFT) << PAGE_SHIFT) + (a & PAGE_OFFSET_MASK)
            self.buffer[off : off + n] = view[done : done + n]
            done += n

    def peek(self, addr: int, size: int) -> bytes:
        """Read mapped memory regardless of its protection (moving mappings, inspection)."""
        out = bytearray()
        while len(out) < size:
            a = addr + len(out)
            if not self.pte(a >> PAGE_SHIFT) & PTE_MAPPED:
                raise GuestFault(a, "r", False)
            n = min(size - len(out), PAGE_SIZE - (a & PAGE_OFFSET_MASK))
            off = (self._backed_frame(a >> PAGE_SHIFT) << PAGE_SHIFT) + (a & PAGE_OFFSET_MASK)
            out += self.buffer[off : off + n]
        return bytes(out)

    def read_cstring(self, addr: int, limit: int = 1 << 16) -> bytes:
        """A NUL-terminated string (without the NUL); GuestFault if unreadable or too long."""
        out = bytearray()
        while len(out) < limit:
            n = PAGE_SIZE - (addr & PAGE_OFFSET_MASK)
            chunk = self.read(addr, n)
            nul = chunk.find(0)
            if nul >= 0:
                out += chunk[:nul]
                return bytes(out)
            out += chunk
            addr += n
        raise GuestFault(addr, "r", True)
