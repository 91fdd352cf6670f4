"""Why an engine returned control to its caller."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class StopReason(Enum):
    TRAP = "trap"  # an instruction raised an exception (ecall, fault, illegal, ebreak)
    LIMIT = "limit"  # the instruction budget of this run is spent
    BREAKPOINT = "breakpoint"  # execution reached a breakpoint address (not yet executed)
    WATCHPOINT = "watchpoint"  # an access touches a watched range (not yet made); tval: address


@dataclass(frozen=True)
class Stop:
    reason: StopReason
    cause: int = 0  # RISC-V exception cause code, for TRAP
    tval: int = 0  # faulting address or instruction bits, for TRAP
