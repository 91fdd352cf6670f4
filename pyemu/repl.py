"""`pyemu --repl PROGRAM ARGS`: a Python shell with the guest's machine bound to `m`.

IPython when it is installed, the standard interactive console otherwise. The machine is
stopped at the program's entry point, or at the first --break symbol it reaches. Ctrl-C while
the guest runs stops it (the run returns a Limit stop); at the prompt it is the shell's own.
"""

from __future__ import annotations

import code
import signal

from . import __version__, stops
from .machine import Machine, print_error

HELP = ("m.run(), m.step(n), m.step(-n), m.run(reverse=True), m.breakpoint(sym), "
        "m.watch(addr, size, 'w'), m.regs, m.mem, m.symbols, m.disasm(), help(m)")


def interact(machine: Machine, breaks: list[str]) -> int:
    """Stop at the first of `breaks` (symbols or addresses) that runs, then hand over to a
    Python shell; 0 when the shell ends (2: a --break symbol is unknown)."""
    where = "stopped at the entry point"
    if breaks:
        for name in breaks:
            try:
                machine.breakpoint(int(name, 0) if name[:1].isdigit() else name)
            except (KeyError, ValueError):
                print_error(f"--break {name}: no such symbol in the program or its interpreter")
                return 2
        where = str(machine.run())
    banner = (f"pyemu {__version__}: m = {machine!r}\n{where}\n{HELP}")
    namespace = {"m": machine, "Machine": Machine, "stops": stops}
    previous = signal.signal(signal.SIGINT, _stop_or_interrupt(machine))
    try:
        try:
            import IPython
        except ImportError:
            code.interact(banner=banner, local=namespace, exitmsg="")
        else:
            print(banner)
            IPython.start_ipython(argv=[], user_ns=namespace)
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0


def _stop_or_interrupt(machine: Machine):
    def handler(signum, frame):
        if machine.running:
            machine.interrupted = True
        else:
            raise KeyboardInterrupt

    return handler
