"""The guest CPU and memory: user-level RISC-V, knowing nothing of Linux."""
