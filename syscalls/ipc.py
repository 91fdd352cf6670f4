"""Inter-process communication the host kernel keeps: POSIX message queues and System V
message queues and semaphores.

The host's own objects are used, so guests (each in its own pyemu) and host programs share
them. Calls are made raw, since the kernel's structures are what the guest expects; the few
whose layout differs between riscv64 and the host are translated. A call that would block is
tried without blocking until it can complete (see blocking.py).
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import struct

from .blocking import POLLIN, POLLOUT, WouldBlock, complete, deadline_after
from .descriptors import host_fd, install_fd
from .errors import E2BIG, EAGAIN, EINVAL, ENOMSG, ETIMEDOUT, SyscallError, linux_errno
from .host import buffer, raw_syscall
from .kernel import ULONG, Kernel, signed
from .signal_defs import SIGEVENT, SIGEVENT_SIZE
from .sources import CLOCK_REALTIME
from .times import read_timespec

IPC_NOWAIT = 0o4000
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
IPC_64 = 0x100
IPC_RETRY = 10_000_000  # ns: how often a blocked System V call looks again (no descriptor)
O_CLOEXEC = 0o2000000

# ---------------------------------------------------------------- POSIX message queues

# struct mq_attr: four longs and four reserved ones (the host's are 64-bit).
MQ_ATTR = {64: struct.Struct("<8q"), 32: struct.Struct("<8i")}


def _mq_attr_in(k: Kernel, addr: int) -> ctypes.Array | None:
    if not addr:
        return None
    attr = MQ_ATTR[k.xlen]
    return buffer(MQ_ATTR[64].pack(*attr.unpack(k.mem.read(addr, attr.size))))


def mq_open(k: Kernel, name_addr: int, flags: int, mode: int, attr_addr: int) -> int:
    """The queue's descriptor is the host's (the name lives in the host's mqueue space)."""
    name = k.mem.read_cstring(name_addr, 4096)
    host = raw_syscall("mq_open", name, (flags & ~O_CLOEXEC) | O_CLOEXEC, mode & 0o7777,
                       _mq_attr_in(k, attr_addr))
    return install_fd(k, host, "/" + os.fsdecode(name), bool(flags & O_CLOEXEC))


def mq_unlink(k: Kernel, name_addr: int) -> int:
    raw_syscall("mq_unlink", k.mem.read_cstring(name_addr, 4096))
    return 0


def _mq_deadline(k: Kernel, timeout_addr: int) -> int | None:
    """An absolute CLOCK_REALTIME timeout, as a deadline on the kernel's monotonic clock."""
    if not timeout_addr:
        return None
    return deadline_after(k, read_timespec(k, timeout_addr) - k.clock.now_ns(CLOCK_REALTIME))


def mq_timedsend(k: Kernel, mqd: int, msg: int, size: int, priority: int,
                 timeout_addr: int) -> int:
    host = host_fd(k, mqd)
    data = buffer(k.mem.read(msg, size) or b"\0")
    deadline = _mq_deadline(k, timeout_addr)

    def attempt() -> int:
        _now_or_wait(lambda: raw_syscall("mq_timedsend", host, data, size,
                                         priority & 0xFFFF_FFFF, PAST), host, POLLOUT)
        return 0

    return complete(k, attempt, deadline, lambda: -ETIMEDOUT)


def mq_timedreceive(k: Kernel, mqd: int, msg: int, size: int, priority_addr: int,
                    timeout_addr: int) -> int:
    host = host_fd(k, mqd)
    # No message is longer than the queue's mq_msgsize (a smaller size is the host's
    # EMSGSIZE): room for that much, whatever size the guest claims.
    attributes = buffer(MQ_ATTR[64].size)
    raw_syscall("mq_getsetattr", host, None, attributes)
    size = min(size, MQ_ATTR[64].unpack(attributes.raw)[2])
    room = buffer(max(size, 1))
    priority = ctypes.c_uint(0)
    deadline = _mq_deadline(k, timeout_addr)

    def attempt() -> int:
        got = _now_or_wait(lambda: raw_syscall("mq_timedreceive", host, room, size,
                                               ctypes.byref(priority), PAST), host, POLLIN)
        k.mem.write(msg, room.raw[:got])
        if priority_addr:
            k.mem.write(priority_addr, struct.pack("<I", priority.value))
        return got

    return complete(k, attempt, deadline, lambda: -ETIMEDOUT)


SIGEV_SIGNAL, SIGEV_NONE = 0, 1
PAST = buffer(bytes(16))  # an absolute timeout long gone: the host answers at once


def _now_or_wait(call, host: int, events: int) -> int:
    """A queue call with a timeout already past: what the host answers now (its checks,
    EMSGSIZE, EAGAIN of a non-blocking queue), or a wait for the queue when it timed out."""
    try:
        return call()
    except TimeoutError:
        raise WouldBlock((host, events)) from None


def mq_notify(k: Kernel, mqd: int, sevp: int) -> int:
    """Notification by signal (the host's, which reaches the guest like any signal sent to
    pyemu) or none; SIGEV_THREAD is glibc's, built on SIGEV_SIGNAL-less netlink."""
    host = host_fd(k, mqd)
    if not sevp:
        raw_syscall("mq_notify", host, None)
        return 0
    layout = SIGEVENT[k.xlen]
    fields = layout.unpack(k.mem.read(sevp, layout.size))
    if fields[2] not in (SIGEV_SIGNAL, SIGEV_NONE):
        raise SyscallError(EINVAL)
    event = SIGEVENT[64].pack(*fields).ljust(SIGEVENT_SIZE, b"\0")  # the host's layout
    raw_syscall("mq_notify", host, buffer(event))
    return 0


def mq_getsetattr(k: Kernel, mqd: int, new_addr: int, old_addr: int) -> int:
    host = host_fd(k, mqd)
    old = buffer(MQ_ATTR[64].size) if old_addr else None
    raw_syscall("mq_getsetattr", host, _mq_attr_in(k, new_addr), old)
    if old is not None:
        k.mem.write(old_addr, MQ_ATTR[k.xlen].pack(*MQ_ATTR[64].unpack(old.raw)))
    return 0


# ---------------------------------------------------------------- System V messages

MSG_STAT, MSG_INFO, MSG_STAT_ANY = 11, 12, 13
MSGINFO_SIZE = 32
# riscv32's struct ipc64_perm ends in two unsigned longs (36 bytes, not 48) after the fields
# every layout shares (key, ids, mode, seq: 28 bytes), and each time in its msqid64_ds and
# semid64_ds is two unsigned longs, the low half first.
PERM_FIELDS = 28
# struct msqid64_ds: perm, stime, rtime, ctime, cbytes, qnum, qbytes, lspid, lrpid, unused;
# asm-generic 64-bit (the host's too), and riscv32's.
MSQID = {64: struct.Struct("<48s3q3Qii2Q"), 32: struct.Struct("<36s9I2i2I")}


def _halves(value: int) -> tuple[int, int]:
    return value & 0xFFFF_FFFF, (value >> 32) & 0xFFFF_FFFF


def _msqid_to_guest(k: Kernel, raw: bytes) -> bytes:
    if k.xlen == 64:
        return raw[: MSQID[64].size]
    perm, stime, rtime, ctime, *counts, lspid, lrpid, _, _ = MSQID[64].unpack(raw)
    return MSQID[32].pack(perm[:PERM_FIELDS], *_halves(stime), *_halves(rtime),
                          *_halves(ctime), *counts, lspid, lrpid, 0, 0)


def _msqid_to_host(k: Kernel, raw: bytes) -> bytes:
    if k.xlen == 64:
        return raw
    perm, *times, cbytes, qnum, qbytes, lspid, lrpid, _, _ = MSQID[32].unpack(raw)
    stime, rtime, ctime = (lo | hi << 32 for lo, hi in zip(times[0::2], times[1::2]))
    return MSQID[64].pack(perm[:PERM_FIELDS], stime, rtime, ctime, cbytes, qnum, qbytes,
                          lspid, lrpid, 0, 0)


def _command(cmd: int) -> int:
    """glibc may mark commands IPC_64; 64-bit kernels take the new layouts anyway."""
    return signed(cmd) & ~IPC_64


def msgget(k: Kernel, key: int, flags: int) -> int:
    return raw_syscall("msgget", signed(key), signed(flags))


def msgsnd(k: Kernel, qid: int, msg: int, size: int, flags: int) -> int:
    """struct msgbuf starts with a long, mtype: the host's is 64-bit. As in Linux, the type
    is read, then the size and type checked, before the text is."""
    mtype = ULONG[k.xlen]
    (kind,) = mtype.unpack(k.mem.read(msg, mtype.size))
    if not 0 <= signed(size, k.xlen) <= _largest_message() or signed(qid) < 0 \
            or signed(kind, k.xlen) < 1:
        raise SyscallError(EINVAL)
    data = buffer(struct.pack("<q", signed(kind, k.xlen)) + k.mem.read(msg + mtype.size, size))

    def attempt() -> int:
        return _without_waiting(lambda: raw_syscall("msgsnd", signed(qid), data, size,
                                                    signed(flags) | IPC_NOWAIT),
                                flags, EAGAIN)

    return complete(k, attempt)


def msgrcv(k: Kernel, qid: int, msg: int, size: int, kind: int, flags: int) -> int:
    if signed(size, k.xlen) < 0:
        raise SyscallError(EINVAL)
    room = buffer(8 + size)
    mtype = ULONG[k.xlen]

    def attempt() -> int:
        got = _without_waiting(lambda: raw_syscall("msgrcv", signed(qid), room, size,
                                                   signed(kind, k.xlen),
                                                   signed(flags) | IPC_NOWAIT),
                               flags, ENOMSG)
        (received,) = struct.unpack_from("<q", room.raw)
        k.mem.write(msg, mtype.pack(received & ((1 << k.xlen) - 1)) + room.raw[8 : 8 + got])
        return got

    return complete(k, attempt)


def _without_waiting(call, flags: int, would_block: int) -> int:
    """A System V call made with IPC_NOWAIT: its "not now" (`would_block`) waits, unless the
    guest asked for IPC_NOWAIT itself."""
    try:
        return call()
    except OSError as error:
        if linux_errno(error) == would_block and not flags & IPC_NOWAIT:
            raise WouldBlock(every=IPC_RETRY) from None
        raise


def msgctl(k: Kernel, qid: int, cmd: int, buf: int) -> int:
    cmd = _command(cmd)
    if cmd in (IPC_STAT, MSG_STAT, MSG_STAT_ANY):
        data = buffer(MSQID[64].size)
        result = raw_syscall("msgctl", signed(qid), cmd, data)
        k.mem.write(buf, _msqid_to_guest(k, data.raw))
        return result
    if cmd == IPC_SET:
        data = buffer(_msqid_to_host(k, k.mem.read(buf, MSQID[k.xlen].size)))
        return raw_syscall("msgctl", signed(qid), cmd, data)
    if cmd in (IPC_INFO, MSG_INFO):  # struct msginfo: ints only
        data = buffer(MSGINFO_SIZE)
        result = raw_syscall("msgctl", signed(qid), cmd, data)
        k.mem.write(buf, data.raw)
        return result
    return raw_syscall("msgctl", signed(qid), cmd, None)


# ---------------------------------------------------------------- System V semaphores

SEM_STAT, SEM_INFO, SEM_STAT_ANY = 18, 19, 20
GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL = 11, 12, 13, 14, 15, 16, 17
SEMBUF_SIZE = 6
SEMINFO_SIZE = 40
IPC64_PERM_SIZE = 48
# struct semid64_ds: riscv64 has the asm-generic layout (88 bytes); x86-64 pads each time
# with an unused long (104 bytes).
GUEST_SEMID = struct.Struct(f"<{IPC64_PERM_SIZE}sqqQQQ")  # perm, otime, ctime, nsems, unused
SEMID32 = struct.Struct("<36s7I")  # riscv32's: perm, otime, its high half, ctime, ..., nsems
HOST_SEMID = struct.Struct(f"<{IPC64_PERM_SIZE}sqQqQQQQ") if platform.machine() == "x86_64" \
    else GUEST_SEMID


def _semid_to_guest(raw: bytes, xlen: int = 64) -> bytes:
    fields = HOST_SEMID.unpack(raw[: HOST_SEMID.size])
    if HOST_SEMID is GUEST_SEMID:
        perm, otime, ctime, nsems, _, _ = fields
    else:
        perm, otime, _, ctime, _, nsems, _, _ = fields
    if xlen == 32:
        return SEMID32.pack(perm[:PERM_FIELDS], *_halves(otime), *_halves(ctime), nsems, 0, 0)
    return GUEST_SEMID.pack(perm, otime, ctime, nsems, 0, 0)


def _semid_to_host(raw: bytes, xlen: int = 64) -> bytes:
    if xlen == 32:
        perm, otime, otime_high, ctime, ctime_high, nsems, _, _ = SEMID32.unpack(raw)
        raw = GUEST_SEMID.pack(perm[:PERM_FIELDS], otime | otime_high << 32,
                               ctime | ctime_high << 32, nsems, 0, 0)
    if HOST_SEMID is GUEST_SEMID:
        return raw
    perm, otime, ctime, nsems, _, _ = GUEST_SEMID.unpack(raw)
    return HOST_SEMID.pack(perm, otime, 0, ctime, 0, nsems, 0, 0)


def semget(k: Kernel, key: int, count: int, flags: int) -> int:
    return raw_syscall("semget", signed(key), signed(count), signed(flags))


def semctl(k: Kernel, semid: int, number: int, cmd: int, arg: int) -> int:
    """The fourth argument is a union: a value (SETVAL) or a pointer."""
    cmd, semid = _command(cmd), signed(semid)
    if cmd in (IPC_STAT, SEM_STAT, SEM_STAT_ANY):
        data = buffer(HOST_SEMID.size)
        result = raw_syscall("semctl", semid, signed(number), cmd, data)
        k.mem.write(arg, _semid_to_guest(data.raw, k.xlen))
        return result
    if cmd == IPC_SET:
        guest = SEMID32 if k.xlen == 32 else GUEST_SEMID
        data = buffer(_semid_to_host(k.mem.read(arg, guest.size), k.xlen))
        return raw_syscall("semctl", semid, 0, cmd, data)
    if cmd in (IPC_INFO, SEM_INFO):
        data = buffer(SEMINFO_SIZE)
        result = raw_syscall("semctl", semid, 0, cmd, data)
        k.mem.write(arg, data.raw[:SEMINFO_SIZE])
        return result
    if cmd in (GETALL, SETALL):
        stat = buffer(HOST_SEMID.size)
        raw_syscall("semctl", semid, 0, IPC_STAT, stat)
        count = struct.unpack(GUEST_SEMID.format, _semid_to_guest(stat.raw))[3]
        values = buffer(k.mem.read(arg, 2 * count) if cmd == SETALL else max(2 * count, 1))
        result = raw_syscall("semctl", semid, 0, cmd, values)
        if cmd == GETALL:
            k.mem.write(arg, values.raw[: 2 * count])
        return result
    if cmd == SETVAL:
        return raw_syscall("semctl", semid, signed(number), cmd, signed(arg))
    return raw_syscall("semctl", semid, signed(number), cmd, 0)  # IPC_RMID, GET*


def semop(k: Kernel, semid: int, sops: int, count: int) -> int:
    return semtimedop(k, semid, sops, count, 0)


@functools.cache
def _largest_message() -> int:
    """MSGMAX, the host's largest message (kernel.msgmax)."""
    try:
        with open("/proc/sys/kernel/msgmax") as limit:
            return int(limit.read())
    except (OSError, ValueError):
        return 8192  # Linux's default


@functools.cache
def _most_operations() -> int:
    """SEMOPM, the host's limit of operations per semop (the third of kernel.sem)."""
    try:
        with open("/proc/sys/kernel/sem") as limits:
            return int(limits.read().split()[2])
    except (OSError, IndexError, ValueError):
        return 500  # Linux's default


def semtimedop(k: Kernel, semid: int, sops: int, count: int, timeout_addr: int) -> int:
    """The operations, all at once or not at all; while one would block and the guest did
    not say IPC_NOWAIT, they are tried again (EAGAIN at the timeout)."""
    count &= 0xFFFF_FFFF  # unsigned int nsops
    if count == 0 or signed(semid, 32) < 0:
        raise SyscallError(EINVAL)
    if count > _most_operations():
        raise SyscallError(E2BIG)
    raw = k.mem.read(sops, SEMBUF_SIZE * count)
    operations = [struct.unpack_from("<Hhh", raw, i * SEMBUF_SIZE) for i in range(count)]
    patient = not any(flags & IPC_NOWAIT for _, _, flags in operations)
    nowait = buffer(b"".join(struct.pack("<Hhh", num, op, flags | IPC_NOWAIT)
                             for num, op, flags in operations))
    deadline = deadline_after(k, read_timespec(k, timeout_addr)) if timeout_addr else None

    def attempt() -> int:
        try:
            return raw_syscall("semtimedop", signed(semid), nowait, count, None)
        except BlockingIOError:
            if patient:
                raise WouldBlock(every=IPC_RETRY) from None
            raise

    return complete(k, attempt, deadline, lambda: -EAGAIN)
