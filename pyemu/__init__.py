"""pyemu: run, test and inspect RISC-V Linux programs from Python."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """`from pyemu import Machine` (imported on first use: the command line starts without it)."""
    if name in ("Machine", "Snapshot"):
        from . import machine

        return getattr(machine, name)
    raise AttributeError(f"module 'pyemu' has no attribute {name!r}")
