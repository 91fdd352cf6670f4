"""The journal of an address space's changes, which reverse execution (pyemu/history.py)
keeps for the steps that are not instructions: while AddressSpace.journal is a list, each
change made through a `journaled` method is appended to it as (method name, arguments), and
replay() makes the same changes again on a restored address space."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .memory import AddressSpace

Journal = list[tuple[str, tuple, dict]]


def journaled(method: Callable) -> Callable:
    """A change of the address space that its journal records, while it is a list. Changes
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


@contextlib.contextmanager
def recording(space: AddressSpace) -> Iterator[Journal]:
    """The changes made to `space` inside the `with`."""
    journal: Journal = []
    space.journal = journal
    try:
        yield journal
    finally:
        space.journal = None


def replay(space: AddressSpace, journal: Journal, ignored: type[Exception]) -> None:
    """Make again the changes a journal recorded; one that raises `ignored` (a write that
    faulted faults again) changes nothing."""
    for name, args, kwargs in journal:
        with contextlib.suppress(ignored):
            getattr(space, name)(*args, **kwargs)
