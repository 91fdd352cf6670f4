"""Linux native asynchronous I/O (io_setup, io_submit, io_getevents and friends).

Each request runs when it is submitted (reads, writes and syncs at once; a poll as soon as
its descriptor is ready), and its completion event waits in the context until taken. A
context is a page of guest memory, as in Linux, whose ring header says it has no events in
user space (so libaio always asks the kernel).
"""

from __future__ import annotations

import os
import select
import struct

from ..emulator.memory import PAGE_SIZE, PROT_READ, GuestFault
from .blocking import WouldBlock, deadline_after, with_signal_mask
from .descriptors import gather, host_fd, iovecs, scatter
from .errors import EAGAIN, EBADF, ECANCELED, EINPROGRESS, EINVAL, ENOMEM, SyscallError
from .kernel import ULONG, Kernel, signed
from .memory_map import fits
from .process_state import AioContext
from .signal_delivery import sigmask_argument
from .times import read_timespec

IOCB = struct.Struct("<QIIHhIQQqQII")  # struct iocb: 64 bytes
IO_EVENT = struct.Struct("<QQqq")  # data, obj, res, res2
IOCB_CMD_PREAD, IOCB_CMD_PWRITE, IOCB_CMD_FSYNC, IOCB_CMD_FDSYNC = 0, 1, 2, 3
IOCB_CMD_POLL, IOCB_CMD_NOOP, IOCB_CMD_PREADV, IOCB_CMD_PWRITEV = 5, 6, 7, 8
IOCB_FLAG_RESFD = 1
AIO_RING_HEADER = struct.Struct("<8I")  # id, nr, head, tail, magic, compat, incompat, size
MAX_EVENTS = 0x10000  # aio-max-nr's default


def _context(k: Kernel, ctx: int) -> AioContext:
    context = k.process.aio.get(ctx)
    if context is None:
        raise SyscallError(EINVAL)
    return context


def io_setup(k: Kernel, nr_events: int, ctx_addr: int) -> int:
    nr_events = signed(nr_events)
    context = ULONG[k.xlen]  # aio_context_t: an unsigned long
    (current,) = context.unpack(k.mem.read(ctx_addr, context.size))
    if current or nr_events <= 0 or nr_events > MAX_EVENTS:
        raise SyscallError(EINVAL if nr_events <= MAX_EVENTS else EAGAIN)
    ring = k.mem.find_free(PAGE_SIZE, below=k.process.mmap_base)
    if ring is None or not fits(k, ring, PAGE_SIZE):
        raise SyscallError(ENOMEM)  # as Linux, when mapping the ring fails (--max-memory)
    k.mem.map(ring, PAGE_SIZE, PROT_READ, "/[aio] (deleted)")
    k.mem.poke(ring, AIO_RING_HEADER.pack(0, nr_events, 0, 0, 0, 0, 0,
                                          AIO_RING_HEADER.size))
    k.process.aio[ring] = AioContext(nr_events)
    k.mem.write(ctx_addr, context.pack(ring))
    return 0


def io_destroy(k: Kernel, ctx: int) -> int:
    _context(k, ctx)
    del k.process.aio[ctx]
    k.mem.unmap(ctx, PAGE_SIZE)
    return 0


def _perform(k: Kernel, opcode: int, fd: int, buf: int, size: int, offset: int) -> int:
    """A request's result, as its event reports it (bytes, or -errno)."""
    host = host_fd(k, fd)
    if opcode == IOCB_CMD_PREAD:
        data = os.pread(host, size, offset)
        k.mem.write(buf, data)
        return len(data)
    if opcode == IOCB_CMD_PWRITE:
        return os.pwrite(host, k.mem.read(buf, size), offset)
    if opcode in (IOCB_CMD_PREADV, IOCB_CMD_PWRITEV):
        buffers = iovecs(k, buf, size)
        if opcode == IOCB_CMD_PWRITEV:
            return os.pwrite(host, gather(k, buffers), offset)
        data = os.pread(host, sum(length for _, length in buffers), offset)
        scatter(k, buffers, data)
        return len(data)
    if opcode == IOCB_CMD_FSYNC:
        os.fsync(host)
        return 0
    os.fdatasync(host)  # IOCB_CMD_FDSYNC: the others were refused at submission
    return 0


def _complete_event(k: Kernel, context: AioContext, data: int, iocb: int, result: int,
                    resfd: int | None) -> None:
    context.events.append(IO_EVENT.pack(data, iocb, result, 0))
    if resfd is not None:
        os.eventfd_write(host_fd(k, resfd), 1)


def io_submit(k: Kernel, ctx: int, count: int, iocbpp: int) -> int:
    """Runs each request now; the events wait to be taken. An invalid request ends the
    batch (with EINVAL, EBADF or EFAULT if it is the first)."""
    context = _context(k, ctx)
    count = signed(count, 64)
    if count < 0:
        raise SyscallError(EINVAL)
    word = k.xlen // 8
    submitted = 0
    for index in range(count):
        try:
            pointer = int.from_bytes(k.mem.read(iocbpp + index * word, word), "little")
            _submit_one(k, context, pointer)
        except (SyscallError, GuestFault):
            if submitted:
                break
            raise
        submitted += 1
    return submitted


def _submit_one(k: Kernel, context: AioContext, iocb: int) -> None:
    (data, _, _, opcode, _, fd, buf, size, offset, _, flags,
     resfd) = IOCB.unpack(k.mem.read(iocb, IOCB.size))
    if fd not in k.process.files or flags & IOCB_FLAG_RESFD and resfd not in k.process.files:
        raise SyscallError(EBADF)
    if len(context.events) + len(context.polls) >= context.capacity:
        raise SyscallError(EAGAIN)
    if opcode not in (IOCB_CMD_PREAD, IOCB_CMD_PWRITE, IOCB_CMD_FSYNC, IOCB_CMD_FDSYNC,
                      IOCB_CMD_POLL, IOCB_CMD_PREADV, IOCB_CMD_PWRITEV):
        raise SyscallError(EINVAL)  # IOCB_CMD_NOOP included, as in Linux
    notify = resfd if flags & IOCB_FLAG_RESFD else None
    if opcode == IOCB_CMD_POLL:
        context.polls[iocb] = (data, fd, buf & 0xFFFF, notify)
        _finish_polls(k, context)
        return
    result = k.outcome(lambda: _perform(k, opcode, fd, buf, size, offset))
    _complete_event(k, context, data, iocb, result, notify)


def _finish_polls(k: Kernel, context: AioContext) -> None:
    """Poll requests whose descriptor is ready complete, with its events as result."""
    for iocb, (data, fd, events, notify) in list(context.polls.items()):
        description = k.process.files.get(fd)
        if description is None:
            continue
        poller = select.poll()
        poller.register(description.host_fd, events)
        answer = poller.poll(0)
        if answer:
            del context.polls[iocb]
            _complete_event(k, context, data, iocb, answer[0][1] & events, notify)


def io_cancel(k: Kernel, ctx: int, iocb: int, result_addr: int) -> int:
    """Only a poll can still be pending; its cancellation is reported as an event."""
    context = _context(k, ctx)
    pending = context.polls.pop(iocb, None)
    if pending is None:
        raise SyscallError(EINVAL)
    data, _, _, notify = pending
    _complete_event(k, context, data, iocb, -ECANCELED, notify)
    raise SyscallError(EINPROGRESS)


def _get_events(k: Kernel, ctx: int, min_nr: int, nr: int, events_addr: int,
                timeout_addr: int, mask_addr: int = 0, sigsetsize: int = 0) -> int:
    context = _context(k, ctx)
    min_nr, nr = signed(min_nr, 64), signed(nr, 64)
    if min_nr < 0 or nr < 0 or min_nr > nr:
        raise SyscallError(EINVAL)
    deadline = deadline_after(k, read_timespec(k, timeout_addr)) if timeout_addr else None

    def take() -> int:
        taken = context.events[:nr]
        del context.events[:nr]
        if taken:
            k.mem.write(events_addr, b"".join(taken))
        return len(taken)

    def attempt() -> int:
        _finish_polls(k, context)
        if len(context.events) < max(min_nr, 1) and nr:
            waits = [(k.process.files[fd].host_fd, events)
                     for _, fd, events, _ in context.polls.values() if fd in k.process.files]
            raise WouldBlock(*waits)
        return take()

    return with_signal_mask(k, mask_addr, sigsetsize, attempt, deadline, take)


def io_getevents(k: Kernel, ctx: int, min_nr: int, nr: int, events: int, timeout: int) -> int:
    return _get_events(k, ctx, min_nr, nr, events, timeout)


def io_pgetevents(k: Kernel, ctx: int, min_nr: int, nr: int, events: int, timeout: int,
                  usig: int) -> int:
    mask_addr = sigsetsize = 0
    if usig:
        mask_addr, sigsetsize = sigmask_argument(k, usig)
    return _get_events(k, ctx, min_nr, nr, events, timeout, mask_addr, sigsetsize)

