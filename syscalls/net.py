"""Sockets, passed to the host's own.

Socket addresses (AF_UNIX, AF_INET, AF_INET6 and the rest), socket options, message headers
and control messages have the same layout on riscv64 as on a 64-bit Linux host, so they go
through as bytes: only pointers are rebuilt, AF_UNIX paths resolved like other paths, and
descriptors passed with SCM_RIGHTS translated between the guest's numbers and the host's.
A call that would block parks its thread when others could run (see blocking.py).
"""

from __future__ import annotations

import ctypes
import os
import struct
import weakref

from .blocking import POLLIN, POLLOUT, WouldBlock, complete, deadline_after, when_ready
from .descriptors import AT_FDCWD, MAX_IO, host_fd, install_fd, iovecs, scatter
from .errors import EAGAIN, EFAULT, EINVAL, ENAMETOOLONG, ENOBUFS, SyscallError
from .host import buffer, libc_call
from .kernel import Kernel, signed
from .paths import host_name

SOCK_NONBLOCK, SOCK_CLOEXEC = 0o4000, 0o2000000
AF_UNIX = 1
SOCK_STREAM, SOCK_SEQPACKET = 1, 5
MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, MSG_WAITALL = 0x2, 0x20, 0x40, 0x100
MSG_WAITFORONE, MSG_CMSG_CLOEXEC = 0x10000, 0x40000000
SOL_SOCKET, SO_TYPE, SO_ERROR, SO_RCVTIMEO, SO_SNDTIMEO = 1, 3, 4, 20, 21
SCM_RIGHTS = 1
MAX_ADDRESS = 128  # sizeof(struct sockaddr_storage)
UNIX_PATH_MAX = 108
SOCKLEN = struct.Struct("<I")
MSGHDR = struct.Struct("<QI4xQQQQi4x")  # struct msghdr, riscv64 (and x86-64): 56 bytes
MMSGHDR_SIZE = MSGHDR.size + 8  # + unsigned msg_len, padded
CMSGHDR = struct.Struct("<Qii")  # cmsg_len, cmsg_level, cmsg_type
FD_SIZE = 4
MAX_CONTROL = 1 << 20  # control data a send may carry (the kernel's optmem limit is lower)


def _install_socket(k: Kernel, host: int, cloexec: bool) -> int:
    return install_fd(k, host, f"socket:[{os.fstat(host).st_ino}]", cloexec)


def _host_type(kind: int) -> int:
    """The host gets every socket close-on-exec: that flag is the guest descriptor's."""
    return (kind & ~SOCK_CLOEXEC) | SOCK_CLOEXEC


def socket(k: Kernel, domain: int, kind: int, protocol: int) -> int:
    host = libc_call("socket", signed(domain), _host_type(signed(kind)), signed(protocol))
    return _install_socket(k, host, bool(kind & SOCK_CLOEXEC))


def socketpair(k: Kernel, domain: int, kind: int, protocol: int, sv_addr: int) -> int:
    if not k.mem.is_mapped(sv_addr, 8):
        raise SyscallError(EFAULT)
    pair = (ctypes.c_int * 2)()
    libc_call("socketpair", signed(domain), _host_type(signed(kind)), signed(protocol), pair)
    cloexec = bool(kind & SOCK_CLOEXEC)
    fds = (_install_socket(k, pair[0], cloexec), _install_socket(k, pair[1], cloexec))
    k.mem.write(sv_addr, struct.pack("<ii", *fds))
    return 0


# ---------------------------------------------------------------- addresses


def _address_in(k: Kernel, addr: int, length: int, binds: bool = False
                ) -> tuple[ctypes.Array | None, int]:
    """A guest socket address for the host: an AF_UNIX path is found where other paths are
    (one that `binds` creates a socket file there)."""
    length = signed(length)
    if not 0 <= length <= MAX_ADDRESS:
        raise SyscallError(EINVAL)
    if not addr or not length:
        return None, length
    raw = k.mem.read(addr, length)
    held = None
    if length > 2 and struct.unpack_from("<H", raw)[0] == AF_UNIX and raw[2] != 0:
        path = raw[2:].split(b"\0", 1)[0]
        name, held = host_name(k, AT_FDCWD, os.fsdecode(path), follow=not binds,
                               creates=binds)
        resolved = os.fsencode(name)
        if resolved != path:
            if len(resolved) >= UNIX_PATH_MAX:
                if held is not None:
                    os.close(held)
                raise SyscallError(ENAMETOOLONG)
            raw = raw[:2] + resolved + b"\0"
    address = buffer(raw)
    if held is not None:  # open while the address is: a send may be tried again after a wait
        weakref.finalize(address, os.close, held)
    return address, len(raw)


class _AddressOut:
    """Room for an address the host fills in, and the guest's (addr, addrlen) to copy it to,
    as the kernel does: the guest's length is read first and the full length written back."""

    def __init__(self, k: Kernel, addr: int, length_addr: int):
        self.k, self.addr, self.length_addr = k, addr, length_addr
        self.limit = 0
        if addr and length_addr:
            self.limit = signed(SOCKLEN.unpack(k.mem.read(length_addr, 4))[0])
            if self.limit < 0:
                raise SyscallError(EINVAL)
        self.room = buffer(MAX_ADDRESS)
        self.length = ctypes.c_uint(MAX_ADDRESS)

    def host_args(self) -> tuple:
        return (self.room, ctypes.byref(self.length)) if self.addr else (None, None)

    def copy_out(self) -> None:
        if not self.addr:
            return
        self.k.mem.write(self.addr, self.room.raw[:min(self.limit, self.length.value)])
        self.k.mem.write(self.length_addr, SOCKLEN.pack(self.length.value))


def bind(k: Kernel, fd: int, addr: int, length: int) -> int:
    host = host_fd(k, fd)
    address, size = _address_in(k, addr, length, binds=True)
    libc_call("bind", host, address, size)
    return 0


def listen(k: Kernel, fd: int, backlog: int) -> int:
    libc_call("listen", host_fd(k, fd), signed(backlog))
    return 0


def _name(k: Kernel, fd: int, addr: int, length_addr: int, which: str) -> int:
    host = host_fd(k, fd)
    out = _AddressOut(k, addr, length_addr)
    libc_call(which, host, *out.host_args())
    out.copy_out()
    return 0


def getsockname(k: Kernel, fd: int, addr: int, length_addr: int) -> int:
    return _name(k, fd, addr, length_addr, "getsockname")


def getpeername(k: Kernel, fd: int, addr: int, length_addr: int) -> int:
    return _name(k, fd, addr, length_addr, "getpeername")


def shutdown(k: Kernel, fd: int, how: int) -> int:
    libc_call("shutdown", host_fd(k, fd), signed(how))
    return 0


# ---------------------------------------------------------------- connections


def accept4(k: Kernel, fd: int, addr: int, length_addr: int, flags: int) -> int:
    if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
        raise SyscallError(EINVAL)
    host = host_fd(k, fd)
    out = _AddressOut(k, addr, length_addr)

    def attempt(parking: bool) -> int:
        if parking:
            when_ready(host, POLLIN)
        accepted = libc_call("accept4", host, *out.host_args(), _host_type(flags))
        out.copy_out()
        return _install_socket(k, accepted, bool(flags & SOCK_CLOEXEC))

    return _blocking(k, host, attempt, SO_RCVTIMEO)


def accept(k: Kernel, fd: int, addr: int, length_addr: int) -> int:
    return accept4(k, fd, addr, length_addr, 0)


def connect(k: Kernel, fd: int, addr: int, length: int) -> int:
    host = host_fd(k, fd)
    address, size = _address_in(k, addr, length)
    if not os.get_blocking(host):
        libc_call("connect", host, address, size)
        return 0
    os.set_blocking(host, False)  # start it, then wait for it as the kernel would
    try:
        libc_call("connect", host, address, size)
        return 0
    except BlockingIOError:
        pass
    except OSError as error:
        if error.errno != 115:  # EINPROGRESS
            raise
    finally:
        os.set_blocking(host, True)

    def attempt() -> int:
        when_ready(host, POLLOUT)
        failure = _int_option(host, SOL_SOCKET, SO_ERROR)
        if failure:
            raise OSError(failure, os.strerror(failure))
        return 0

    return complete(k, attempt)


def _int_option(host: int, level: int, name: int) -> int:
    value, size = ctypes.c_int(0), ctypes.c_uint(4)
    libc_call("getsockopt", host, level, name, ctypes.byref(value), ctypes.byref(size))
    return value.value


def _timeout_of(host: int, option: int) -> int | None:
    """SO_RCVTIMEO or SO_SNDTIMEO in ns (None: none set)."""
    value, size = buffer(16), ctypes.c_uint(16)
    try:
        libc_call("getsockopt", host, SOL_SOCKET, option, value, ctypes.byref(size))
    except OSError:
        return None
    seconds, micro = struct.unpack("<qq", value.raw[:16])
    return seconds * 1_000_000_000 + micro * 1000 if seconds or micro else None


def _blocking(k: Kernel, host: int, attempt, timeout_option: int) -> int:
    """A socket call that may wait: it waits (see blocking.py) until ready, or until the
    socket's timeout gives EAGAIN. `attempt(parking)` makes the host call, without waiting
    when `parking` (raising WouldBlock instead); a non-blocking socket's host call answers
    at once."""
    if not os.get_blocking(host):
        return attempt(False)
    timeout = _timeout_of(host, timeout_option)
    return complete(k, lambda: attempt(True), deadline_after(k, timeout), lambda: -EAGAIN)


def _receive(host: int, flags: int, parking: bool, done: int, receive) -> int:
    """One host receive: `receive(flags)`; when parking, without waiting (WouldBlock, with
    what MSG_WAITALL has received so far, when nothing is there)."""
    if not parking or flags & MSG_DONTWAIT:
        return receive(flags)
    try:
        return receive(flags | MSG_DONTWAIT)
    except BlockingIOError:
        raise WouldBlock((host, POLLIN), progress=done or None) from None


def sendto(k: Kernel, fd: int, buf: int, length: int, flags: int, addr: int,
           addr_length: int) -> int:
    host = host_fd(k, fd)
    data = k.mem.read(buf, min(length, MAX_IO))
    address, size = _address_in(k, addr, addr_length)
    return _send(k, host, flags, lambda chunk, extra: libc_call(
        "sendto", host, chunk, ctypes.c_size_t(len(chunk)), signed(flags) | extra, address,
        size, sized=True), data)


def _send(k: Kernel, host: int, flags: int, send, data: bytes) -> int:
    """A send that may block: on a stream socket it returns once all is sent (what a
    signal interrupts after a part, that part); the host takes what it can at once and the
    caller waits for room for the rest."""
    if flags & MSG_DONTWAIT or not os.get_blocking(host):
        return send(data, 0)
    done = 0

    def attempt() -> int:
        nonlocal done
        try:
            done += send(data[done:], MSG_DONTWAIT)
        except BlockingIOError:
            pass
        if done < len(data) and (done == 0 or _is_stream(host)):
            raise WouldBlock((host, POLLOUT), progress=done)
        return done

    return complete(k, attempt, deadline_after(k, _timeout_of(host, SO_SNDTIMEO)),
                    lambda: done or -EAGAIN)


def _is_stream(host: int) -> bool:
    return _int_option(host, SOL_SOCKET, SO_TYPE) in (SOCK_STREAM, SOCK_SEQPACKET)


def recvfrom(k: Kernel, fd: int, buf: int, length: int, flags: int, addr: int,
             length_addr: int) -> int:
    host = host_fd(k, fd)
    size = min(length, MAX_IO)
    if not k.mem.is_mapped(buf, size):
        raise SyscallError(EFAULT)
    out = _AddressOut(k, addr, length_addr)
    done = 0  # what MSG_WAITALL has received while other threads ran

    def attempt(parking: bool) -> int:
        nonlocal done
        room = buffer(max(size - done, 1))
        got = _receive(host, signed(flags), parking, done, lambda extra: libc_call(
            "recvfrom", host, room, ctypes.c_size_t(size - done), extra, *out.host_args(),
            sized=True))
        k.mem.write(buf + done, room.raw[:min(got, size - done)])
        if parking and flags & MSG_WAITALL and not flags & MSG_PEEK and \
                0 < got < size - done and _is_stream(host):
            done += got
            raise WouldBlock((host, POLLIN), progress=done)
        out.copy_out()
        return done + got

    return _blocking(k, host, attempt, SO_RCVTIMEO)


# ---------------------------------------------------------------- messages


class _HostMsghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint),
                ("iov", ctypes.c_void_p), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class _HostIovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def _control_messages(raw: bytes) -> list[tuple[int, int, int, bytes]]:
    """(offset, level, type, data) of each cmsg in a control buffer."""
    messages, offset = [], 0
    while offset + CMSGHDR.size <= len(raw):
        length, level, kind = CMSGHDR.unpack_from(raw, offset)
        if length < CMSGHDR.size or offset + length > len(raw):
            break
        messages.append((offset, level, kind, raw[offset + CMSGHDR.size : offset + length]))
        offset += (length + 7) & ~7
    return messages


def _rights(raw: bytes, translate) -> bytes:
    """The control buffer with each SCM_RIGHTS descriptor replaced by translate(fd)."""
    out = bytearray(raw)
    for offset, level, kind, data in _control_messages(raw):
        if level == SOL_SOCKET and kind == SCM_RIGHTS:
            fds = struct.unpack(f"<{len(data) // FD_SIZE}i", data[: len(data) // FD_SIZE * 4])
            start = offset + CMSGHDR.size
            out[start : start + 4 * len(fds)] = struct.pack(f"<{len(fds)}i",
                                                            *map(translate, fds))
    return bytes(out)


class _Message:
    """A guest struct msghdr, with host buffers for the host's sendmsg/recvmsg."""

    def __init__(self, k: Kernel, addr: int, sending: bool):
        self.k, self.addr = k, addr
        (self.name_addr, self.name_length, iov, iov_count, self.control_addr,
         self.control_length, _) = MSGHDR.unpack(k.mem.read(addr, MSGHDR.size))
        self.buffers = iovecs(k, iov, iov_count)
        self.size = min(sum(length for _, length in self.buffers), MAX_IO)
        self.header = _HostMsghdr()
        if sending:
            data = b"".join(k.mem.read(base, length) for base, length in self.buffers)
            self.data = buffer(data[:MAX_IO] or b"\0")
            self.size = min(len(data), MAX_IO)
            address, length = _address_in(k, self.name_addr, self.name_length)
            self.name = address
            self.header.namelen = length if address is not None else 0
            if self.control_length > MAX_CONTROL:
                raise SyscallError(ENOBUFS)
            control = k.mem.read(self.control_addr, self.control_length) \
                if self.control_length else b""
            self.control = buffer(_rights(control, lambda fd: host_fd(k, fd)) or b"\0")
        else:
            for base, length in self.buffers:
                if not k.mem.is_mapped(base, min(length, MAX_IO)):
                    raise SyscallError(EFAULT)
            self.data = buffer(max(self.size, 1))
            self.name = buffer(MAX_ADDRESS) if self.name_addr else None
            self.header.namelen = MAX_ADDRESS if self.name_addr else 0
            self.control_length = min(self.control_length, MAX_CONTROL)
            self.control = buffer(max(self.control_length, 1))
        self.iovec = _HostIovec(ctypes.cast(self.data, ctypes.c_void_p), self.size)
        self.header.name = ctypes.cast(self.name, ctypes.c_void_p) if self.name is not None \
            else None
        self.header.iov = ctypes.cast(ctypes.pointer(self.iovec), ctypes.c_void_p)
        self.header.iovlen = 1
        self.header.control = ctypes.cast(self.control, ctypes.c_void_p) \
            if self.control_length else None
        self.header.controllen = self.control_length

    def deliver(self, got: int, cloexec: bool) -> None:
        """Copy what recvmsg received to the guest: data, sender, control messages (each
        descriptor received becomes a new guest descriptor) and the header's lengths."""
        scatter(self.k, self.buffers, self.data.raw[: min(got, self.size)])
        if self.name_addr:
            self.k.mem.write(self.name_addr, self.name.raw[: min(self.name_length,
                                                                  self.header.namelen)])
        control = self.control.raw[: self.header.controllen]
        control = _rights(control, lambda host: _install_socket_or_file(self.k, host, cloexec))
        if control:
            self.k.mem.write(self.control_addr, control)
        self.k.mem.write(self.addr + 8, SOCKLEN.pack(self.header.namelen if self.name_addr
                                                     else 0))
        self.k.mem.write(self.addr + 40, struct.pack("<Q", self.header.controllen))
        flags = self.header.flags & ~MSG_CMSG_CLOEXEC | (MSG_CMSG_CLOEXEC if cloexec else 0)
        self.k.mem.write(self.addr + 48, struct.pack("<i", flags))


def _install_socket_or_file(k: Kernel, host: int, cloexec: bool) -> int:
    try:
        return _install_socket(k, host, cloexec)
    except SyscallError:
        raise
    except OSError:
        return install_fd(k, host, "", cloexec)


def _host_flags(flags: int) -> int:
    """Received descriptors are close-on-exec in the host; MSG_CMSG_CLOEXEC is the guest's."""
    return (signed(flags) & ~MSG_CMSG_CLOEXEC) | MSG_CMSG_CLOEXEC


def _send_message(k: Kernel, host: int, msg_addr: int, flags: int) -> int:
    message = _Message(k, msg_addr, sending=True)
    return libc_call("sendmsg", host, ctypes.byref(message.header), flags, sized=True)


def _receive_message(k: Kernel, host: int, msg_addr: int, flags: int) -> int:
    message = _Message(k, msg_addr, sending=False)
    got = libc_call("recvmsg", host, ctypes.byref(message.header), _host_flags(flags),
                    sized=True)
    message.deliver(got, bool(flags & MSG_CMSG_CLOEXEC))
    return got


def sendmsg(k: Kernel, fd: int, msg_addr: int, flags: int) -> int:
    host = host_fd(k, fd)
    message = _Message(k, msg_addr, sending=True)
    data = message.data.raw[: message.size]

    def send(chunk: bytes, extra: int) -> int:
        if len(chunk) != len(data):  # the rest of a stream after a partial send
            return libc_call("send", host, chunk, ctypes.c_size_t(len(chunk)),
                             signed(flags) | extra, sized=True)
        return libc_call("sendmsg", host, ctypes.byref(message.header), signed(flags) | extra,
                         sized=True)

    return _send(k, host, flags, send, data)


def recvmsg(k: Kernel, fd: int, msg_addr: int, flags: int) -> int:
    host = host_fd(k, fd)
    _Message(k, msg_addr, sending=False)  # a bad header fails before any wait

    def attempt(parking: bool) -> int:
        return _receive(host, signed(flags), parking, 0,
                        lambda each: _receive_message(k, host, msg_addr, each))

    return _blocking(k, host, attempt, SO_RCVTIMEO)


def _each_message(k: Kernel, host: int, vector: int, count: int, flags: int, one,
                  events: int, timeout_option: int, first_only_waits: bool) -> int:
    """sendmmsg and recvmmsg: `one(entry, flags)` for each struct mmsghdr, whose msg_len
    gets its result. An error after some messages ends the call with their count;
    `first_only_waits` (MSG_WAITFORONE): the messages after the first are not waited for."""
    done = 0

    def attempt(parking: bool) -> int:
        nonlocal done
        while done < min(count, 1024):
            entry = vector + done * MMSGHDR_SIZE
            patient = not flags & MSG_DONTWAIT and not (done and first_only_waits)
            try:
                result = one(entry, signed(flags) | (0 if patient and not parking
                                                     else MSG_DONTWAIT))
            except BlockingIOError:
                if parking and patient:
                    raise WouldBlock((host, events), progress=done or None) from None
                if done:
                    break
                raise
            except OSError:
                if done:
                    break
                raise
            k.mem.write(entry + MSGHDR.size, SOCKLEN.pack(result))
            done += 1
        return done

    return _blocking(k, host, attempt, timeout_option)


def sendmmsg(k: Kernel, fd: int, vector: int, count: int, flags: int) -> int:
    host = host_fd(k, fd)
    return _each_message(k, host, vector, count, flags,
                         lambda entry, each: _send_message(k, host, entry, each), POLLOUT,
                         SO_SNDTIMEO, False)


def recvmmsg(k: Kernel, fd: int, vector: int, count: int, flags: int, timeout: int) -> int:
    host = host_fd(k, fd)
    return _each_message(k, host, vector, count, flags & ~MSG_WAITFORONE,
                         lambda entry, each: _receive_message(k, host, entry, each), POLLIN,
                         SO_RCVTIMEO, bool(flags & MSG_WAITFORONE))


# ---------------------------------------------------------------- options


def setsockopt(k: Kernel, fd: int, level: int, name: int, value_addr: int, length: int) -> int:
    host = host_fd(k, fd)
    length = signed(length)
    if length < 0:
        raise SyscallError(EINVAL)
    value = buffer(k.mem.read(value_addr, length)) if value_addr and length else None
    libc_call("setsockopt", host, signed(level), signed(name), value, length)
    return 0


def getsockopt(k: Kernel, fd: int, level: int, name: int, value_addr: int,
               length_addr: int) -> int:
    host = host_fd(k, fd)
    limit = signed(SOCKLEN.unpack(k.mem.read(length_addr, 4))[0])
    if limit < 0:
        raise SyscallError(EINVAL)
    room = buffer(max(limit, 1))
    size = ctypes.c_uint(limit)
    libc_call("getsockopt", host, signed(level), signed(name), room, ctypes.byref(size))
    k.mem.write(value_addr, room.raw[: min(size.value, limit)])
    k.mem.write(length_addr, SOCKLEN.pack(size.value))
    return 0
