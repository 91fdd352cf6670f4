"""pyemu: run, test and inspect RISC-V Linux programs from Python."""

__version__ = "0.1.0"
