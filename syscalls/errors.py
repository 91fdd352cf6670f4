"""Linux errno numbers (asm-generic, as riscv64 uses) and the mapping of host OSErrors to them."""

from __future__ import annotations

import errno as host_errno

LINUX_ERRNO = {
    "EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EINTR": 4, "EIO": 5, "ENXIO": 6, "E2BIG": 7,
    "ENOEXEC": 8, "EBADF": 9, "ECHILD": 10, "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13,
    "EFAULT": 14, "ENOTBLK": 15, "EBUSY": 16, "EEXIST": 17, "EXDEV": 18, "ENODEV": 19,
    "ENOTDIR": 20, "EISDIR": 21, "EINVAL": 22, "ENFILE": 23, "EMFILE": 24, "ENOTTY": 25,
    "ETXTBSY": 26, "EFBIG": 27, "ENOSPC": 28, "ESPIPE": 29, "EROFS": 30, "EMLINK": 31,
    "EPIPE": 32, "EDOM": 33, "ERANGE": 34, "EDEADLK": 35, "ENAMETOOLONG": 36, "ENOLCK": 37,
    "ENOSYS": 38, "ENOTEMPTY": 39, "ELOOP": 40, "ENOMSG": 42, "EIDRM": 43, "ENOSTR": 60,
    "ENODATA": 61, "ETIME": 62, "EOVERFLOW": 75, "EILSEQ": 84, "ENOTSOCK": 88,
    "EDESTADDRREQ": 89, "EMSGSIZE": 90, "EPROTOTYPE": 91, "ENOPROTOOPT": 92,
    "EPROTONOSUPPORT": 93, "EOPNOTSUPP": 95, "EAFNOSUPPORT": 97, "EADDRINUSE": 98,
    "EADDRNOTAVAIL": 99, "ENETDOWN": 100, "ENETUNREACH": 101, "ECONNABORTED": 103,
    "ECONNRESET": 104, "ENOBUFS": 105, "EISCONN": 106, "ENOTCONN": 107, "ETIMEDOUT": 110,
    "ECONNREFUSED": 111, "EHOSTUNREACH": 113, "EALREADY": 114, "EINPROGRESS": 115,
    "ESTALE": 116, "EDQUOT": 122, "ECANCELED": 125, "EPROTO": 71, "EBADMSG": 74,
    "ESOCKTNOSUPPORT": 94, "EPFNOSUPPORT": 96, "ENETRESET": 102, "ESHUTDOWN": 108,
    "ETOOMANYREFS": 109, "EHOSTDOWN": 112,
}
globals().update(LINUX_ERRNO)
ERRNO_NAMES = {number: name for name, number in LINUX_ERRNO.items()}
EWOULDBLOCK = LINUX_ERRNO["EAGAIN"]


class SyscallError(Exception):
    """Raised by a handler to return -errno to the guest."""

    def __init__(self, errno: int):
        super().__init__(ERRNO_NAMES.get(errno, str(errno)))
        self.errno = errno


def linux_errno(error: OSError) -> int:
    """The Linux errno for a host OSError (host numbering may differ off Linux)."""
    name = host_errno.errorcode.get(error.errno or 0, "EIO")
    if name == "EWOULDBLOCK":
        name = "EAGAIN"
    if name == "ENOTSUP":
        name = "EOPNOTSUPP"
    return LINUX_ERRNO.get(name, LINUX_ERRNO["EIO"])
