"""The address space: mappings, permissions, faults, lazy frames, code-write notices."""

import pytest
from pyemu.emulator.memory import (
    PAGE_SIZE,
    PROT_EXEC,
    PROT_NONE,
    PROT_READ,
    PROT_WRITE,
    AddressSpace,
    GuestFault,
)

RW = PROT_READ | PROT_WRITE


def test_mapped_pages_read_zero_and_keep_stores():
    mem = AddressSpace()
    mem.map(0x10000, 2 * PAGE_SIZE, RW)
    assert mem.load_u64(0x10000) == 0
    mem.store(0x10FFE, 4, 0x11223344)  # crosses into the second page
    assert mem.load_u32(0x10FFE) == 0x11223344
    assert mem.read(0x10FFE, 4) == bytes.fromhex("44332211")
    assert mem.load(0x10FFF, 1, True) == 0x33 and mem.load(0x11001, 1, True) == 0x11


def test_sign_extending_loads():
    mem = AddressSpace()
    mem.map(0x1000, PAGE_SIZE, RW)
    mem.store(0x1000, 8, -2)
    assert mem.load_s32(0x1000) == -2
    assert mem.load_u32(0x1000) == 0xFFFFFFFE
    assert mem.load_s64(0x1000) == -2
    assert mem.load_u64(0x1000) == (1 << 64) - 2


def test_unmapped_access_is_a_fault_with_the_address():
    mem = AddressSpace()
    with pytest.raises(GuestFault) as fault:
        mem.load_u32(0x5000)
    assert fault.value.addr == 0x5000 and fault.value.access == "r" and not fault.value.mapped


@pytest.mark.parametrize(
    "prot, access, operation",
    [
        (PROT_READ, "w", lambda m: m.store(0x2000, 1, 1)),
        (PROT_NONE, "r", lambda m: m.load_u16(0x2000)),
        (RW, "x", lambda m: m.fetch16(0x2000)),
    ],
)
def test_protection_is_enforced(prot, access, operation):
    mem = AddressSpace()
    mem.map(0x2000, PAGE_SIZE, prot)
    with pytest.raises(GuestFault) as fault:
        operation(mem)
    assert fault.value.access == access and fault.value.mapped


def test_protect_and_unmap_take_effect_after_cached_accesses():
    mem = AddressSpace()
    mem.map(0x3000, PAGE_SIZE, RW)
    mem.store(0x3000, 1, 7)
    mem.protect(0x3000, PAGE_SIZE, PROT_READ)
    assert mem.load_u16(0x3000) == 7
    with pytest.raises(GuestFault):
        mem.store(0x3000, 1, 1)
    mem.unmap(0x3000, PAGE_SIZE)
    with pytest.raises(GuestFault):
        mem.load_u16(0x3000)


def test_large_reservations_allocate_frames_only_when_touched():
    mem = AddressSpace()
    mem.map(0x4000_0000, 1 << 30, RW)
    used = mem._frames_used
    mem.store(0x4000_0000 + (1 << 29), 8, 1)
    assert mem._frames_used == used + 1


def test_regions_split_on_partial_unmap_and_protect():
    mem = AddressSpace()
    mem.map(0x10000, 4 * PAGE_SIZE, RW, "heap")
    mem.unmap(0x11000, PAGE_SIZE)
    mem.protect(0x12000, PAGE_SIZE, PROT_READ)
    assert [(r.start, r.end, r.prot) for r in mem.maps()] == [
        (0x10000, 0x11000, RW),
        (0x12000, 0x13000, PROT_READ),
        (0x13000, 0x14000, RW),
    ]


def test_find_free_places_below_the_limit_and_skips_regions():
    mem = AddressSpace()
    mem.map(0x7000_0000 - PAGE_SIZE, PAGE_SIZE, RW)
    assert mem.find_free(PAGE_SIZE, below=0x7000_0000) == 0x7000_0000 - 2 * PAGE_SIZE
    assert mem.find_free(2 * PAGE_SIZE, below=0x6000_0000) == 0x6000_0000 - 2 * PAGE_SIZE


def test_stores_into_cached_code_are_reported():
    mem = AddressSpace()
    mem.map(0x8000, PAGE_SIZE, RW | PROT_EXEC)
    written = []
    mem.code_write_listeners.append(written.append)
    mem.fetch16(0x8000)
    mem.mark_code(0x8)
    mem.store(0x8010, 4, 0x13)
    mem.store(0x8020, 4, 0x13)  # reported once: the page is no longer marked
    assert written == [0x8]
