"""The compiled loop as machine code of its own: made once with numba, loaded with llvmlite.

numba's own cache loads a compiled function through numba: importing it, building its typing
and lowering registries and typing the call take 1.5 s before the first instruction, which a
program of a million instructions never earns back. So `write` asks numba once (at warm-up)
for the loop behind a C entry point, `entry(pointers, sizes, budget)`, which rebuilds the
arrays from their addresses and lengths, and keeps its machine code in an object file;
`load` hands that file to llvmlite's JIT linker and gets the entry's address back, in
0.01 s, with no numba in the process. The few symbols the code refers to outside itself are
numba's C helpers (reached only when the loop raises, which it does not mean to) and the
Python C API; each must be found before the code is linked, or the load fails.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import importlib.machinery
import importlib.util
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

# entry(pointers, sizes, budget) -> the loop's return value
Entry = Callable[[int, int, int], int]
_ENTRY_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
# numba's C helper modules and how numba names their functions for the code it generates
_HELPER_MODULES = (("_helperlib", "", lambda name: "numba_" + name),
                   ("_nrt_python", "core/runtime",
                    lambda name: name if name.startswith("_") else "NRT_" + name))
_engines: list = []  # llvmlite's execution engines: the code lives as long as they do


def entry_source(arrays: Sequence[np.ndarray]) -> str:
    """The entry point's Python source: each array made again from its address (its dtype
    a global T<i>), the loop called with them and the budget."""
    lines = ["def loop_entry(pointers, sizes, budget):"]
    for i, array in enumerate(arrays):
        shape = f"sizes[{i}]" if array.ndim == 1 else f"(sizes[{i}], {array.shape[1]})"
        lines.append(f"    a{i} = carray(pointers[{i}], {shape}, T{i})")
    lines.append(f"    return run_loop({', '.join(f'a{i}' for i in range(len(arrays)))}, "
                 "budget)")
    return "\n".join(lines)


@functools.cache
def host_cpu() -> tuple[str, str]:
    """What the machine code is made for, its name and features (it runs on the CPU it was
    made on)."""
    import llvmlite.binding as llvm

    return llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()


def write(stem: Path, run_loop, arrays: Sequence[np.ndarray], extra: dict) -> None:
    """Compile `run_loop` (a numba function taking `arrays` and a budget) behind the entry
    point and write stem.o (its machine code) and stem.json (the entry's name, the symbols
    it needs, the CPU, and `extra`)."""
    import llvmlite.binding as llvm
    from numba import carray, cfunc, types

    namespace = {"carray": carray, "run_loop": run_loop,
                 **{f"T{i}": array.dtype.type for i, array in enumerate(arrays)}}
    exec(entry_source(arrays), namespace)  # noqa: S102 - our own generated source
    entry = cfunc(types.int64(types.CPointer(types.voidptr), types.CPointer(types.int64),
                              types.int64))(namespace["loop_entry"])
    module = llvm.parse_assembly(entry.inspect_llvm())
    needed = sorted({f.name for f in module.functions if f.is_declaration
                     and not f.name.startswith("llvm.")}
                    | {g.name for g in module.global_variables if g.is_declaration})
    cpu, features = host_cpu()
    machine = llvm.Target.from_default_triple().create_target_machine(
        cpu=cpu, features=features, opt=3, codemodel="jitdefault")
    code = machine.emit_object(module)
    recorded = {"entry": entry.native_name, "needs": needed, "cpu": list(host_cpu()),
                "writer": _writer(), "sha256": hashlib.sha256(code).hexdigest(), **extra}
    # The .json last: its presence says the .o is complete.
    for suffix, content in ((".o", code), (".json", json.dumps(recorded).encode())):
        path = stem.with_suffix(suffix)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(content)
        temporary.replace(path)


def metadata(stem: Path) -> dict | None:
    """What `write` recorded, or None without a usable object file for this CPU."""
    found = _usable(stem)
    return None if found is None else found[0]


def _usable(stem: Path) -> tuple[dict, bytes] | None:
    """What `write` recorded and the machine code, when both are there, for this CPU and
    writer, and the code is what was written (LLVM would crash on a damaged file)."""
    try:
        recorded = json.loads(stem.with_suffix(".json").read_text())
        code = stem.with_suffix(".o").read_bytes()
    except (OSError, ValueError):
        return None
    if recorded.get("cpu") != list(host_cpu()) or recorded.get("writer") != _writer() \
            or recorded.get("sha256") != hashlib.sha256(code).hexdigest():
        return None
    return recorded, code


@functools.cache
def _writer() -> str:
    """This module's version: a change to the entry point makes the object files stale."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def load(stem: Path) -> tuple[Entry, dict]:
    """The entry point of stem.o, callable, and its metadata. FileNotFoundError when there
    is none for this CPU, OSError when numba's helpers are missing, LookupError when a
    symbol it needs cannot be found."""
    import llvmlite.binding as llvm

    found = _usable(stem)
    if found is None:
        raise FileNotFoundError(f"no machine code for this CPU at {stem}.o")
    recorded, code = found
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    _add_numba_helpers(llvm)
    process = ctypes.CDLL(None)  # the Python C API and libm, which the linker finds there
    missing = [name for name in recorded["needs"]
               if not llvm.address_of_symbol(name) and not hasattr(process, name)]
    if missing:  # LLVM would end the process on the first call of one
        raise LookupError(f"symbols not found: {', '.join(missing)}")
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""),
                                        llvm.Target.from_default_triple().create_target_machine())
    engine.add_object_file(llvm.ObjectFileRef.from_data(code))
    engine.finalize_object()
    _engines.append(engine)
    return _ENTRY_TYPE(engine.get_function_address(recorded["entry"])), recorded


@functools.cache
def _add_numba_helpers(llvm) -> None:
    """Make numba's C helpers known to the linker (once), from numba's extension modules
    loaded on their own (importing numba would cost what this module is here to save)."""
    spec = importlib.util.find_spec("numba")  # found, not imported
    if spec is None or not spec.submodule_search_locations:
        raise OSError("numba is not installed")
    package = Path(spec.submodule_search_locations[0])
    for name, folder, symbol in _HELPER_MODULES:
        module = _extension(package / folder, name)
        for helper, address in module.c_helpers.items():
            llvm.add_symbol(symbol(helper), address)


def _extension(folder: Path, name: str):
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.exists():
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise OSError(f"numba's {name} module is missing from {folder}")
